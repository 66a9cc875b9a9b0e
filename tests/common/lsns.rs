//! Helpers for the rs-lsns tests.

use std::process::{Command, Output};
use std::time::Duration;

use super::run_timeout;

/// `cmd` run as [`run_timeout`] does, again while it fails the way util-linux 2.38.1's
/// lsns does when a process vanishes in the middle of its scan (exit 1, not a word),
/// which the tests running beside each other make likely; at most 10 tries.
pub fn run_lsns_retrying(cmd: &mut Command, secs: u64) -> Output {
    let mut tries = 1;
    loop {
        let o = run_timeout(cmd, secs);
        if !(o.status.code() == Some(1) && o.stderr.is_empty()) || tries == 10 {
            return o;
        }
        tries += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The width rs-lsns (and the newest util-linux) gives a table column off a terminal:
/// the header's width (`None` without headings: 1, or 0 for a column of empty cells) if
/// every cell fits in it, else the widest cell but at least the column's width hint
/// (PID 5, NS 10, ...). Tests build expected tables with it.
pub fn lsns_width(widest: usize, header: Option<usize>, hint: usize) -> usize {
    let min = header.unwrap_or(widest.min(1));
    if widest <= min {
        min
    } else {
        widest.max(hint)
    }
}
