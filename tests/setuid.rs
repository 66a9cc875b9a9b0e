//! Privilege boundaries: the tools refuse to run set-user-ID, set-group-ID or with file
//! capabilities (checked on copies made so, run by uid 65534), and rs-nsenter `-e`
//! leaves a less privileged target's loader variables behind (tests/nsenter.rs has the
//! shell and interpreter ones).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{require_root, require_unpriv, run, skip, unpriv, unpriv_bin, world_exec_copy, Procs, TempDir};

const BINS: [&str; 3] =
    [env!("CARGO_BIN_EXE_rs-unshare"), env!("CARGO_BIN_EXE_rs-nsenter"), env!("CARGO_BIN_EXE_rs-lsns")];
const NSENTER: &str = env!("CARGO_BIN_EXE_rs-nsenter");

const HINT: &str = "hint: this tool must not be installed set-user-ID, set-group-ID or with file capabilities: \
                    remove them (chmod u-s,g-s FILE; setcap -r FILE) and run it as root, e.g. with sudo, \
                    where it needs privileges\n";

/// A copy of `src` in `dir` (written by cp in its own process: a descriptor open for
/// writing in this multi-threaded harness could leak into another test's child and make
/// exec'ing the copy fail with ETXTBSY), with `mode`.
fn copy_with_mode(src: &str, dir: &Path, mode: u32) -> PathBuf {
    let dst = dir.join(Path::new(src).file_name().unwrap());
    assert!(Command::new("cp").arg(src).arg(&dst).status().unwrap().success());
    // the copy is root's (the tests run as root); its set-ID bits are set once it is whole
    fs::set_permissions(&dst, fs::Permissions::from_mode(mode)).unwrap();
    dst
}

/// Runs `bin args` as uid/gid 65534.
fn as_uid_65534(bin: &Path, args: &[&str]) -> (String, String, i32) {
    run(unpriv(bin).args(args))
}

/// Whether set-ID bits take effect in `dir` (not on a `nosuid` mount): a set-user-ID
/// copy of id(1) run by uid 65534 reports effective uid 0.
fn setid_works_in(dir: &Path) -> bool {
    let id = copy_with_mode("/usr/bin/id", dir, 0o4755);
    let (out, _, _) = as_uid_65534(&id, &["-u"]);
    fs::remove_file(&id).unwrap();
    if out == "0\n" {
        return true;
    }
    skip(&format!("set-user-ID bits have no effect in {}", dir.display()))
}

/// Arguments that would do something privileged, or print something, if run.
fn attempts(bin: &Path) -> Vec<Vec<&'static str>> {
    let name = bin.file_name().unwrap().to_string_lossy().into_owned();
    let mut v = vec![vec!["--help"], vec!["--version"], vec!["--bogus-option"]];
    match name.as_str() {
        "rs-unshare" => v.push(vec!["-S", "0", "-G", "0", "sh", "-c", "echo RAN"]),
        "rs-nsenter" => v.push(vec!["-t", "1", "-n", "-S", "0", "sh", "-c", "echo RAN"]),
        _ => v.push(vec![]),
    }
    v
}

fn refused(mode: u32, why: &str) {
    let dir = TempDir::new("setid");
    for bin in BINS {
        let copy = copy_with_mode(bin, dir.path(), mode);
        let name = copy.file_name().unwrap().to_string_lossy().into_owned();
        let want = format!("{name}: {why}\n{name}: {HINT}");
        for args in attempts(&copy) {
            let (out, err, code) = as_uid_65534(&copy, &args);
            assert_eq!((out.as_str(), err.as_str(), code), ("", want.as_str(), 1), "{mode:o} {name} {args:?}");
        }
        // root itself may run a set-ID root copy: no IDs differ
        {
            let (out, err, code) = run(Command::new(&copy).arg("--version"));
            assert_eq!((err.as_str(), code), ("", 0), "root runs {name}");
            assert!(out.starts_with(&format!("{name} from nsutils ")), "{out}");
        }
    }
}

/// Set-ID copies made with `mode` refuse to run, saying `why`.
fn set_id_copies_refuse(mode: u32, why: &str) {
    if !require_root() {
        return;
    }
    let probe = TempDir::new("setid-probe");
    if setid_works_in(probe.path()) {
        refused(mode, why);
    }
}

#[test]
fn set_user_id_copies_refuse_to_run() {
    let why = "refusing to run set-user-ID (user IDs: real 65534, effective 0, saved 0)";
    set_id_copies_refuse(0o4755, why);
}

#[test]
fn set_group_id_copies_refuse_to_run() {
    let why = "refusing to run set-group-ID (group IDs: real 65534, effective 0, saved 0)";
    set_id_copies_refuse(0o2755, why);
}

/// File capabilities change no ID, but the kernel starts the program in secure-execution
/// mode all the same.
#[test]
fn copies_with_file_capabilities_refuse_to_run() {
    if !require_root() {
        return;
    }
    let setcap = ["/usr/sbin/setcap", "/sbin/setcap"].into_iter().find(|p| Path::new(p).exists());
    let Some(setcap) = setcap else {
        skip("needs setcap(8) (package libcap2-bin)");
        return;
    };
    let dir = TempDir::new("setcap");
    let why = "refusing to run in secure-execution mode (the kernel gave this program privileges its caller \
               lacks, e.g. file capabilities)";
    for bin in BINS {
        let copy = copy_with_mode(bin, dir.path(), 0o755);
        assert!(Command::new(setcap).arg("cap_sys_admin+ep").arg(&copy).status().unwrap().success());
        let name = copy.file_name().unwrap().to_string_lossy().into_owned();
        let want = format!("{name}: {why}\n{name}: {HINT}");
        for args in attempts(&copy) {
            let (out, err, code) = as_uid_65534(&copy, &args);
            assert_eq!((out.as_str(), err.as_str(), code), ("", want.as_str(), 1), "{name} {args:?}");
        }
    }
}

/// The loader variables of the test environment, and an ordinary one.
const ENV: [&str; 6] = [
    "LD_PRELOAD=/nonexistent/nsutils-preload.so",
    "LD_LIBRARY_PATH=/nonexistent/nsutils-lib",
    "GLIBC_TUNABLES=glibc.malloc.check=0",
    "TMPDIR=/nonexistent/nsutils-tmp",
    "NSUTILS_ORDINARY=kept",
    "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
];

/// Starts `prefix... env -i ENV... sleep 300`, which must exec sleep in the same
/// process; its PID.
fn sleeper(p: &mut Procs, prefix: &[&str]) -> String {
    let mut c = Command::new(prefix[0]);
    c.args(&prefix[1..]).args(["/usr/bin/env", "-i"]).args(ENV).args(["sleep", "300"]).current_dir("/");
    p.start(&mut c).to_string()
}

/// The environment `-e` gives the program, sorted.
fn entered_env(cmd: &mut Command, pid: &str, extra: &[&str]) -> Vec<String> {
    let (out, err, code) = run(cmd.args(["-t", pid]).args(extra).args(["-e", "/usr/bin/env"]));
    assert_eq!(code, 0, "{err}");
    let mut v: Vec<String> = out.lines().map(String::from).collect();
    v.sort();
    v
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// What `-e` gives a program from a less privileged target: the ordinary variable, and
/// the caller's PATH (set by [`caller`]) in place of the target's.
const ORDINARY_ONLY: [&str; 2] = ["NSUTILS_ORDINARY=kept", "PATH=/usr/bin:/bin"];

/// rs-nsenter with an environment of only `PATH=/usr/bin:/bin`.
fn caller() -> Command {
    let mut c = Command::new(NSENTER);
    c.env_clear().env("PATH", "/usr/bin:/bin");
    c
}

#[test]
fn env_of_a_less_privileged_target_loses_its_loader_variables() {
    if !require_root() {
        return;
    }
    let mut p = Procs::new();
    // uid 65534's process: only the ordinary variables arrive (util-linux passes all on)
    let t = sleeper(&mut p, &["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]);
    assert_eq!(entered_env(&mut caller(), &t, &["-u"]), sorted(&ORDINARY_ONLY));
    // a gid alone differs
    let t = sleeper(&mut p, &["setpriv", "--regid=65534", "--clear-groups"]);
    assert_eq!(entered_env(&mut caller(), &t, &["-u"]), sorted(&ORDINARY_ONLY));
    // root's IDs, but no capabilities (as in a container that shares our IDs)
    let t = sleeper(&mut p, &["setpriv", "--bounding-set=-all", "--inh-caps=-all"]);
    assert_eq!(entered_env(&mut caller(), &t, &["-u"]), sorted(&ORDINARY_ONLY));
    // root of a user namespace root made: its capabilities stop at that namespace
    let t = sleeper(&mut p, &["/usr/bin/unshare", "--user", "--map-root-user"]);
    assert_eq!(entered_env(&mut caller(), &t, &["-U", "-u"]), sorted(&ORDINARY_ONLY));
}

#[test]
fn env_of_a_target_with_our_credentials_is_kept_whole() {
    if !require_root() {
        return;
    }
    let mut p = Procs::new();
    let t = sleeper(&mut p, &["/usr/bin/unshare", "-u"]);
    assert_eq!(entered_env(&mut Command::new(NSENTER), &t, &["-u"]), sorted(&ENV));
}

/// Unprivileged: a user (uid 65534 when we are root) entering its own rootless container holds no capability the
/// container's processes lack, so their environment comes whole (as util-linux's).
#[test]
fn env_of_an_own_rootless_container_is_kept_whole() {
    if !require_unpriv() {
        return;
    }
    let mut p = Procs::new();
    let t =
        p.start(unpriv("/usr/bin/unshare").args(["-r", "-u", "/usr/bin/env", "-i"]).args(ENV).args(["sleep", "300"]));
    let t = t.to_string();
    for extra in [&["-U", "-u"][..], &["-U", "-u", "--preserve-credentials"][..]] {
        assert_eq!(entered_env(&mut unpriv_bin(NSENTER), &t, extra), sorted(&ENV), "{extra:?}");
    }
}

/// Real and effective IDs that differ at exec are refused, though no set-ID bit made
/// them: the kernel marks such a start secure-execution too, which is all the check
/// looks at before it asks for the IDs.
#[test]
fn differing_real_and_effective_ids_are_refused() {
    if !require_root() {
        return;
    }
    let cases = [
        (&["--ruid=65534", "--euid=0"][..], "set-user-ID (user IDs: real 65534, effective 0, saved 0)"),
        (&["--ruid=0", "--euid=65534"][..], "set-user-ID (user IDs: real 0, effective 65534, saved 65534)"),
        (
            &["--rgid=65534", "--egid=0", "--keep-groups"][..],
            "set-group-ID (group IDs: real 65534, effective 0, saved 0)",
        ),
    ];
    for bin in BINS.map(world_exec_copy) {
        let name = bin.file_name().unwrap().to_string_lossy().into_owned();
        for (ids, why) in cases {
            let (out, err, code) = run(Command::new("/usr/bin/setpriv").args(ids).arg(&bin).arg("--version"));
            let first = err.lines().next().unwrap_or_default();
            assert_eq!((out.as_str(), first, code), ("", format!("{name}: refusing to run {why}").as_str(), 1));
        }
    }
}
