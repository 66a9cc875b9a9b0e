//! rs-nsenter. `no_main`, as rs-unshare: the Rust runtime's start-up work would only be
//! undone before exec. Test builds (`cargo test --all-targets`) keep the harness's own main.
#![cfg_attr(not(test), no_main)]

#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(_argc: std::ffi::c_int, _argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    // SAFETY: nothing has run before this but the C runtime's start-up, which starts no
    // thread, and rs-nsenter never starts one: it forks and execs on this thread only.
    let single = unsafe { nscore::sys::SingleThreaded::new() };
    nsenter::main_with_args(std::env::args_os().collect(), single)
}
