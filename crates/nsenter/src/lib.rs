//! rs-nsenter: run a program in the namespaces of another process, or of namespace
//! files, as util-linux's nsenter(1) does.
//!
//! Built as rs-unshare is, in three layers that depend one way, `options` ← `plan` ← `run`:
//!
//! - [`options`]: the option table (`Id`, `OPTIONS`) and `--help`, generated from the clap
//!   definition in `crates/clidef`; it knows nothing of the other two.
//! - [`plan`]: [`plan::parse`] reads the command line with
//!   [`nscore::invocation::read_options`] into a [`plan::Action`], feeding each option
//!   as it comes to `Builder::apply`, which checks its value (so the first mistake on
//!   the line is the one reported), and ending with `Builder::finish`, the rules
//!   between options. What the environment contributes is the files the options name,
//!   opened as they come (util-linux opens them in its getopt loop) through the
//!   [`nscore::seam::Syscall`] seam; the result, a [`plan::Plan`], carries their
//!   descriptors.
//! - [`run`]: [`run::run`] carries the plan out in util-linux's order, entering and using
//!   the very files the plan holds, every system call through the seam (the binary
//!   passes the real one, unit tests a recording fake).
//!
//! [`main_with_args`] wires them together. Every error is an `nscore::Error`, printed and
//! turned into the exit status in one place, `Invocation::finish`.
#![forbid(unsafe_code)]

pub mod container;
pub mod options;
pub mod plan;
pub mod run;

use std::ffi::OsString;

use nscore::invocation::{print_stdout, Invocation};
use nscore::seam::Os;
use nscore::sys::SingleThreaded;

use crate::plan::Action;

/// The whole tool: argv in, exit status out (the binary's `main` only adds `exit`).
/// `single` is `main`'s promise that no other thread runs, which forking needs.
pub fn main_with_args(args: Vec<OsString>, single: SingleThreaded) -> i32 {
    let (inv, args) = Invocation::new(args, "rs-nsenter");
    let mut os = Os::new(single);
    let result = nscore::setid::refuse_elevated().and_then(|()| match plan::parse(&args, &mut os)? {
        Action::Help => print_stdout(&options::help(&inv.name)),
        Action::Version => print_stdout(&inv.version_line()),
        Action::Run(plan) => run::run(&mut os, *plan),
    });
    inv.finish(result)
}
