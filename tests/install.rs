//! `make install` and `make uninstall` into a temporary DESTDIR: binaries, man pages and
//! completions, and with `COMPAT=1` util-linux's names too; a binary called by one of
//! those names says that name.
mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::TempDir;

/// Adds every file and link below `dir` to `out`, relative to `base`.
fn walk(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            walk(&p, base, out);
        } else {
            out.insert(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
        }
    }
}

/// A scratch DESTDIR, removed when dropped.
struct DestDir(TempDir);

impl DestDir {
    fn new(tag: &str) -> DestDir {
        DestDir(TempDir::new(&format!("install-{tag}")))
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.path().join("usr/local").join(rel)
    }

    /// Every file and link below it, relative to `$(PREFIX)`.
    fn files(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        walk(self.0.path(), &self.0.path().join("usr/local"), &mut out);
        out
    }
}

/// `make TARGET DESTDIR=.. [COMPAT=1]`, installing the binaries this test run built
/// (`CARGO=true`: nothing is rebuilt).
fn make(target: &str, dest: &DestDir, compat: bool) -> (String, i32) {
    let bins = Path::new(env!("CARGO_BIN_EXE_rs-unshare")).parent().unwrap();
    let mut c = Command::new("make");
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["-s", target, "CARGO=true"])
        .arg(format!("DESTDIR={}", dest.0.path().display()))
        .arg(format!("RELEASE={}", bins.display()))
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS");
    if compat {
        c.arg("COMPAT=1");
    }
    let out = common::run_timeout(&mut c, 120);
    (String::from_utf8_lossy(&out.stderr).into_owned(), common::code(&out))
}

fn ours_for(names: &[&str]) -> BTreeSet<String> {
    let mut want = BTreeSet::new();
    for n in names {
        want.insert(format!("share/bash-completion/completions/{n}"));
        want.insert(format!("share/zsh/site-functions/_{n}"));
        want.insert(format!("share/fish/vendor_completions.d/{n}.fish"));
    }
    want
}

fn plain_install() -> BTreeSet<String> {
    let mut want = ours_for(&["rs-unshare", "rs-nsenter", "rs-lsns"]);
    for f in ["bin/rs-unshare", "bin/rs-nsenter", "bin/rs-lsns"] {
        want.insert(f.to_string());
    }
    for f in ["share/man/man1/rs-unshare.1", "share/man/man1/rs-nsenter.1", "share/man/man8/rs-lsns.8"] {
        want.insert(f.to_string());
    }
    want
}

#[test]
fn install_and_uninstall() {
    let d = DestDir::new("plain");
    let (err, code) = make("install", &d, false);
    assert_eq!(code, 0, "{err}");
    assert_eq!(d.files(), plain_install());
    let completion = fs::read_to_string(d.path("share/bash-completion/completions/rs-nsenter")).unwrap();
    assert!(completion.contains("complete -F _rs_nsenter rs-nsenter"), "{completion}");
    let out = Command::new(d.path("bin/rs-lsns")).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("rs-lsns from nsutils {}\n", env!("CARGO_PKG_VERSION")));
    let (err, code) = make("uninstall", &d, false);
    assert_eq!(code, 0, "{err}");
    assert_eq!(d.files(), BTreeSet::new());
}

#[test]
fn compat_installs_util_linux_names() {
    let d = DestDir::new("compat");
    let (err, code) = make("install", &d, true);
    assert_eq!(code, 0, "{err}");
    let mut want = plain_install();
    want.extend(ours_for(&["unshare", "nsenter", "lsns"]));
    for f in ["bin/unshare", "bin/nsenter", "bin/lsns", "share/man/man1/unshare.1", "share/man/man1/nsenter.1"] {
        want.insert(f.to_string());
    }
    want.insert("share/man/man8/lsns.8".to_string());
    assert_eq!(d.files(), want);
    for tool in ["unshare", "nsenter", "lsns"] {
        let link = d.path(&format!("bin/{tool}"));
        assert_eq!(fs::read_link(&link).unwrap(), Path::new(&format!("rs-{tool}")));
        // called by util-linux's name, it says that name
        let out = Command::new(&link).arg("--version").output().unwrap();
        let version = format!("{tool} from nsutils {}\n", env!("CARGO_PKG_VERSION"));
        assert_eq!(String::from_utf8_lossy(&out.stdout), version);
        let out = Command::new(&link).arg("--bogus").output().unwrap();
        let err =
            format!("{}: unrecognized option '--bogus'\nTry '{tool} --help' for more information.\n", link.display());
        assert_eq!((String::from_utf8_lossy(&out.stderr).into_owned(), out.status.code()), (err, Some(1)));
        let out = Command::new(&link).arg("--help").output().unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!(" {tool} [options]")));
        let completion = fs::read_to_string(d.path(&format!("share/zsh/site-functions/_{tool}"))).unwrap();
        assert!(completion.starts_with(&format!("#compdef {tool}\n")), "{completion}");
    }
    let out = Command::new(d.path("bin/unshare")).arg("--propagation=x").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "unshare: unsupported propagation mode: x\n");
    // uninstall without COMPAT leaves util-linux's names; with it, nothing is left
    let (err, code) = make("uninstall", &d, false);
    assert_eq!(code, 0, "{err}");
    assert_eq!(d.files(), &want - &plain_install());
    let (err, code) = make("uninstall", &d, true);
    assert_eq!(code, 0, "{err}");
    assert_eq!(d.files(), BTreeSet::new());
}

#[test]
fn compat_leaves_other_programs_alone() {
    let d = DestDir::new("foreign");
    fs::create_dir_all(d.path("bin")).unwrap();
    fs::create_dir_all(d.path("share/man/man1")).unwrap();
    fs::write(d.path("bin/nsenter"), "#!/bin/sh\n").unwrap();
    fs::write(d.path("share/man/man1/unshare.1"), ".TH UNSHARE 1\n").unwrap();
    // install refuses to replace a program of that name that is not ours
    let (err, code) = make("install", &d, true);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nsenter exists and is not a link to rs-nsenter"), "{err}");
    assert_eq!(d.files(), BTreeSet::from(["bin/nsenter".to_string(), "share/man/man1/unshare.1".to_string()]));
    // uninstall removes only what is ours
    fs::remove_file(d.path("bin/nsenter")).unwrap();
    let (err, code) = make("install", &d, true);
    assert_eq!(code, 0, "{err}");
    fs::write(d.path("share/man/man1/unshare.1"), ".TH UNSHARE 1\n").unwrap();
    fs::remove_file(d.path("bin/lsns")).unwrap();
    fs::write(d.path("bin/lsns"), "#!/bin/sh\n").unwrap();
    let (err, code) = make("uninstall", &d, true);
    assert_eq!(code, 0, "{err}");
    assert_eq!(d.files(), BTreeSet::from(["bin/lsns".to_string(), "share/man/man1/unshare.1".to_string()]));
}
