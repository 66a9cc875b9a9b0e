//! Signal names as `kill -l` spells them (`TERM`, `SIGTERM`, `term`, `RTMIN+1`).
//!
//! Real-time signals have no fixed numbers: glibc keeps the first few for its threads,
//! so `RTMIN` is whatever `SIGRTMIN` is in this program, and names and numbers are
//! converted here, at run time, rather than written down.
//!
//! ```
//! use nscore::signal::{name, parse_signal_name};
//!
//! assert_eq!(parse_signal_name("SIGTERM"), Some(libc::SIGTERM));
//! assert_eq!(parse_signal_name("term"), Some(libc::SIGTERM));
//! assert_eq!(parse_signal_name("RTMIN+2"), Some(libc::SIGRTMIN() + 2));
//! assert_eq!(parse_signal_name("rtmax-1"), Some(libc::SIGRTMAX() - 1));
//! // a number is not a name
//! assert_eq!(parse_signal_name("9"), None);
//!
//! // and back, for messages and logs
//! assert_eq!(name(libc::SIGKILL), "KILL");
//! assert_eq!(name(libc::SIGRTMIN() + 2), "RTMIN+2");
//! assert_eq!(name(0), "0");
//! ```

const NAMES: &[(&str, i32)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("ILL", libc::SIGILL),
    ("TRAP", libc::SIGTRAP),
    ("ABRT", libc::SIGABRT),
    ("IOT", libc::SIGIOT),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("SEGV", libc::SIGSEGV),
    ("USR2", libc::SIGUSR2),
    ("PIPE", libc::SIGPIPE),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
    ("STKFLT", libc::SIGSTKFLT),
    ("CHLD", libc::SIGCHLD),
    ("CLD", libc::SIGCHLD),
    ("CONT", libc::SIGCONT),
    ("STOP", libc::SIGSTOP),
    ("TSTP", libc::SIGTSTP),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("URG", libc::SIGURG),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("WINCH", libc::SIGWINCH),
    ("IO", libc::SIGIO),
    ("POLL", libc::SIGPOLL),
    ("PWR", libc::SIGPWR),
    ("SYS", libc::SIGSYS),
];

/// glibc reserves the first real-time signals for itself; these are what
/// `SIGRTMIN`/`SIGRTMAX` evaluate to in a glibc program.
fn rt_range() -> (i32, i32) {
    (libc::SIGRTMIN(), libc::SIGRTMAX())
}

/// Parses a signal *name* (numbers are refused, as util-linux's `--kill-child` does).
pub fn parse_signal_name(s: &str) -> Option<i32> {
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    if let Some(&(_, n)) = NAMES.iter().find(|(n, _)| *n == name) {
        return Some(n);
    }
    let (min, max) = rt_range();
    let offset = |rest: &str| -> Option<i32> {
        if rest.is_empty() {
            return Some(0);
        }
        if !rest.bytes().all(|b| b.is_ascii_digit()) || rest.len() > 3 {
            return None;
        }
        rest.parse().ok()
    };
    if let Some(rest) = name.strip_prefix("RTMIN") {
        let off = match rest.strip_prefix('+') {
            Some(r) if !r.is_empty() => offset(r)?,
            None if rest.is_empty() => 0,
            _ => return None,
        };
        return (min + off <= max).then_some(min + off);
    }
    if let Some(rest) = name.strip_prefix("RTMAX") {
        let off = match rest.strip_prefix('-') {
            Some(r) if !r.is_empty() => offset(r)?,
            None if rest.is_empty() => 0,
            _ => return None,
        };
        return (max - off >= min).then_some(max - off);
    }
    None
}

/// The name of `sig` as `kill -l` spells it, without `SIG` (`TERM`, `RTMIN+2`); the
/// number itself when it has none. Readable logs and messages need it.
pub fn name(sig: i32) -> String {
    if let Some(&(n, _)) = NAMES.iter().find(|(_, s)| *s == sig) {
        return n.to_string();
    }
    let (min, max) = rt_range();
    match sig {
        s if s == min => "RTMIN".to_string(),
        s if s > min && s <= max => format!("RTMIN+{}", s - min),
        s => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse_signal_name("TERM"), Some(15));
        assert_eq!(parse_signal_name("SIGTERM"), Some(15));
        assert_eq!(parse_signal_name("term"), Some(15));
        assert_eq!(parse_signal_name("sigkill"), Some(9));
        assert_eq!(parse_signal_name("RTMIN"), Some(libc::SIGRTMIN()));
        assert_eq!(parse_signal_name("RTMIN+1"), Some(libc::SIGRTMIN() + 1));
        assert_eq!(parse_signal_name("rtmax-2"), Some(libc::SIGRTMAX() - 2));
        for bad in ["15", "", "SIG", "FOO", "RTMIN+", "RTMIN-1", "RTMAX+1", "RTMIN+99", "TERM "] {
            assert_eq!(parse_signal_name(bad), None, "{bad}");
        }
        assert_eq!(name(15), "TERM");
        assert_eq!(name(libc::SIGRTMIN() + 2), "RTMIN+2");
        assert_eq!(name(0), "0");
    }
}
