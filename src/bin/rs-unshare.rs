//! rs-unshare. `no_main`: the Rust runtime's start-up work (a stack-overflow handler
//! that reads /proc/self/maps, ignoring SIGPIPE) would be wasted or, for SIGPIPE, passed
//! on to the program, which inherits the caller's dispositions as util-linux's does.
//! Test builds (`cargo test --all-targets`) keep the harness's own main.
#![cfg_attr(not(test), no_main)]

#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(_argc: std::ffi::c_int, _argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    // SAFETY: nothing has run before this but the C runtime's start-up, which starts no
    // thread, and rs-unshare never starts one: it forks and execs on this thread only.
    let single = unsafe { nscore::sys::SingleThreaded::new() };
    unshare::main_with_args(std::env::args_os().collect(), single)
}
