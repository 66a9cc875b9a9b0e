//! rs-nsenter: run a program in the namespaces of another process, or of namespace
//! files, as util-linux's nsenter(1) does.
//!
//! `cli` parses the command line into a `plan::Plan` (pure, unit-tested); `run` carries
//! it out, through the [`nscore::syscall::Syscall`] seam. All errors are `nscore::Error`,
//! rendered and mapped to exit codes in one place.
#![forbid(unsafe_code)]

use std::ffi::OsString;

use nscore::cli::{print_stdout, Invocation};
use nscore::sys::SingleThreaded;
use nscore::syscall::Os;

pub mod cli;
pub mod plan;
pub mod probe;
pub mod run;

/// The whole tool: argv in, exit status out (the binary's `main` only adds `exit`).
/// `single` is `main`'s promise that no other thread runs, which forking needs.
pub fn main_with_args(args: Vec<OsString>, single: SingleThreaded) -> i32 {
    let (inv, args) = Invocation::new(args, "rs-nsenter");
    let result = nscore::setid::refuse_elevated().and_then(|()| match cli::parse(&args)? {
        cli::Command::Help => print_stdout(&cli::help(&inv.name)),
        cli::Command::Version => print_stdout(&inv.version_line()),
        cli::Command::Run(plan) => run::run(&mut Os::new(single), &plan),
    });
    inv.finish(result)
}
