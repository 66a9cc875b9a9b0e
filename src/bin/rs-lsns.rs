//! rs-lsns. `no_main`, as the other two: the Rust runtime's start-up would ignore
//! SIGPIPE, where util-linux's lsns keeps the caller's disposition (by default it dies of
//! SIGPIPE when its reader goes away; with SIGPIPE ignored it stops writing quietly).
//! Test builds (`cargo test --all-targets`) keep the harness's own main.
#![cfg_attr(not(test), no_main)]

#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(_argc: std::ffi::c_int, _argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    // SAFETY: nothing has run before this but the C runtime's start-up, which starts no
    // thread, and rs-lsns never starts one (its `setlocale` relies on that).
    let single = unsafe { nscore::sys::SingleThreaded::new() };
    lsns::main_with_args(std::env::args_os().collect(), single)
}
