//! rs-nsenter. `no_main`, as rs-unshare: the Rust runtime's start-up work would only be
//! undone before exec. Test builds (`cargo test --all-targets`) keep the harness's own main.
#![cfg_attr(not(test), no_main)]

#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(_argc: std::ffi::c_int, _argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    nsenter::main_with_args(std::env::args_os().collect())
}
