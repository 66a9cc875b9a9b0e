//! Running commands with deadlines, and bounded waits.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs a command with a deadline (a hung namespace test must not hang CI); the child
/// is killed by PID if it overruns, and the test fails.
pub fn run_timeout(cmd: &mut Command, secs: u64) -> Output {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn");
    wait_timeout(child, secs)
}

/// Waits for a spawned child with a deadline, collecting its output.
pub fn wait_timeout(mut child: Child, secs: u64) -> Output {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let output = Drained::start(&mut child);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("command timed out after {secs} s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    output.collect(status)
}

/// A child's stdout and stderr, read on threads as they come, so that a chatty child (a
/// listing longer than a pipe holds) never blocks on a full pipe while it is waited for.
pub struct Drained {
    out: Option<std::thread::JoinHandle<Vec<u8>>>,
    err: Option<std::thread::JoinHandle<Vec<u8>>>,
}

impl Drained {
    /// Starts reading the child's piped stdout and stderr.
    pub fn start(child: &mut Child) -> Drained {
        fn reader(r: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
            std::thread::spawn(move || {
                let mut r = r;
                let mut v = Vec::new();
                r.read_to_end(&mut v).ok();
                v
            })
        }
        Drained { out: child.stdout.take().map(reader), err: child.stderr.take().map(reader) }
    }

    /// What was read, once the child has ended with `status`.
    pub fn collect(self, status: std::process::ExitStatus) -> Output {
        Output {
            status,
            stdout: self.out.map(|t| t.join().unwrap()).unwrap_or_default(),
            stderr: self.err.map(|t| t.join().unwrap()).unwrap_or_default(),
        }
    }
}

/// Runs and returns (stdout, stderr, exit code or 128+signal).
pub fn run(cmd: &mut Command) -> (String, String, i32) {
    let o = run_timeout(cmd, 60);
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned(), code(&o))
}

/// The shell-style status: the exit code, or 128 + the signal that killed it.
pub fn code(o: &Output) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    o.status.code().unwrap_or_else(|| 128 + o.status.signal().unwrap_or(0))
}

/// Runs a command (program first) that must succeed.
pub fn sh(args: &[&str]) {
    let (out, err, rc) = run(Command::new(args[0]).args(&args[1..]));
    assert_eq!(rc, 0, "{args:?}: {out}{err}");
}

/// Waits (30 s at most, else the test fails) until `cond` holds.
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    wait_for(what, || cond().then_some(()))
}

/// Polls `f` every 10 ms until it returns a value; fails the test after 30 s.
pub fn wait_for<T>(what: &str, f: impl FnMut() -> Option<T>) -> T {
    wait_for_within(what, 30, f)
}

/// Polls `f` every 10 ms until it returns a value; fails the test after `secs` s.
pub fn wait_for_within<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Starts `cmd` with stdin from /dev/null and stdout and stderr piped (collect them with
/// [`wait_timeout`]).
pub fn spawn_piped(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn")
}
