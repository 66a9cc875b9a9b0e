//! rs-lsns.

fn main() {
    // SAFETY: Rust's start-up starts no thread, and rs-lsns never starts one, so the
    // process is single-threaded for its whole life (its `setlocale` relies on that).
    let single = unsafe { nscore::sys::SingleThreaded::new() };
    let code = lsns::main_with_args(std::env::args_os().collect(), single);
    std::process::exit(code);
}
