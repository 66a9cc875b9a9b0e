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
use nscore::Error;

use crate::cli::Id;
use crate::plan::{Action, Context};

/// The whole program: argv in, exit status out. `single` is `main`'s promise that no
/// other thread runs, which forking needs.
pub fn main_with_args(args: Vec<OsString>, single: SingleThreaded) -> i32 {
    let (inv, rest) = Invocation::new(args, "rs-unshare");
    let result = (|| {
        nscore::setid::refuse_elevated()?;
        let parsed = cli::parse(&rest).map_err(Error::from)?;
        let wants_env = parsed.opts.iter().any(|(id, _)| matches!(id, Id::ClearEnv | Id::WhitelistEnv));
        let ctx = Context {
            euid: nix::unistd::geteuid().as_raw(),
            egid: nix::unistd::getegid().as_raw(),
            uid: nix::unistd::getuid().as_raw(),
            shell: std::env::var_os("SHELL"),
            env: if wants_env { nscore::exec::current_env() } else { Vec::new() },
        };
        match plan::plan(parsed, &ctx)? {
            Action::Help => print_stdout(&cli::help(&inv.name)),
            Action::Version => print_stdout(&inv.version_line()),
            Action::Run(p) => run::run(&mut Os::new(single), &p, &inv),
        }
    })();
    inv.finish(result)
}
