//! `cpu CMD [ARGS...]`: runs CMD with stdin and stdout on /dev/null and prints the CPU time
//! it used, user and system, in seconds to the microsecond, and its maximum RSS in KiB:
//! `USER SYS MAXRSS`. Exits with CMD's status (1 if it could not be run or was killed).
//!
//! bench/lsns.sh measures with it. GNU time(1) counts CPU in 10 ms steps, and bash's
//! `time` put around it for finer figures adds time(1)'s own start-up (about 2 ms) to
//! every tool's: a fixed cost that weighs on the ratio of a fast tool to a slow one.
use std::process::{Command, ExitCode, Stdio};

use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::time::TimeVal;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(prog) = args.next() else {
        eprintln!("usage: cpu CMD [ARGS...]");
        return ExitCode::from(2);
    };
    let status = match Command::new(&prog).args(args).stdin(Stdio::null()).stdout(Stdio::null()).status() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cpu: {}: {e}", prog.to_string_lossy());
            return ExitCode::from(1);
        }
    };
    // the one child we had is reaped: the children's usage is its own
    let usage = match getrusage(UsageWho::RUSAGE_CHILDREN) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("cpu: getrusage: {e}");
            return ExitCode::from(1);
        }
    };
    let secs = |t: TimeVal| format!("{}.{:06}", t.tv_sec(), t.tv_usec());
    println!("{} {} {}", secs(usage.user_time()), secs(usage.system_time()), usage.max_rss());
    ExitCode::from(status.code().map_or(1, |c| c as u8))
}
