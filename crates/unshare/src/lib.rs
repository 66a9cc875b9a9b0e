//! rs-unshare: run a program in new namespaces, as util-linux's `unshare(1)` does.
//!
//! [`cli`] splits the command line, [`plan`] validates it into a plain value, [`run`]
//! carries it out, through the [`nscore::syscall::Syscall`] seam.
#![forbid(unsafe_code)]

pub mod cli;
pub mod plan;
pub mod run;

use std::ffi::OsString;

use nscore::cli::{print_stdout, Invocation};
use nscore::sys::SingleThreaded;
use nscore::syscall::Os;

use crate::plan::{Action, Context};

/// The whole program: argv in, exit status out. `single` is `main`'s promise that no
/// other thread runs, which forking needs.
pub fn main_with_args(args: Vec<OsString>, single: SingleThreaded) -> i32 {
    let (inv, rest) = Invocation::new(args, "rs-unshare");
    let result = (|| {
        nscore::setid::refuse_elevated()?;
        match plan::plan(&rest, &Context::current())? {
            Action::Help => print_stdout(&cli::help(&inv.name)),
            Action::Version => print_stdout(&inv.version_line()),
            Action::Run(p) => run::run(&mut Os::new(single), &p, &inv),
        }
    })();
    inv.finish(result)
}
