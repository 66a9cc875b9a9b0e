//! `make install` and `make uninstall` into a temporary DESTDIR: binaries, man pages and
//! completions, and with `COMPAT=1` util-linux's names too; a binary called by one of
//! those names says that name. Uninstall removes what the installs put there (listed in
//! `share/nsutils/installed`), whatever `COMPAT` it is given, and the directories they
//! made, but nothing that is no longer ours and nothing through a symbolic link.
use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::TempDir;

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

    /// Whether nothing is left in it, not even a directory.
    fn is_empty(&self) -> bool {
        fs::read_dir(self.0.path()).unwrap().next().is_none()
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
    want.insert("share/nsutils/installed".to_string());
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
    assert_eq!((err.as_str(), code), ("", 0));
    assert!(d.is_empty(), "{:?}", d.files());
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
    // the help of either name starts as util-linux's and points to that name's man page
    for name in ["unshare", "rs-unshare"] {
        let out = Command::new(d.path(&format!("bin/{name}"))).arg("--help").output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.starts_with(&format!("\nUsage:\n {name} [options]")), "{help}");
        assert!(help.ends_with(&format!("\nFor more details see {name}(1).\n")), "{help}");
    }
    compat_pages_say_util_linux_names(&d);
    // uninstall without COMPAT removes util-linux's names too, and the directories
    let (err, code) = make("uninstall", &d, false);
    assert_eq!((err.as_str(), code), ("", 0));
    assert!(d.is_empty(), "{:?}", d.files());
    // and so does one after a plain install over a COMPAT one
    for compat in [true, false] {
        let (err, code) = make("install", &d, compat);
        assert_eq!(code, 0, "{err}");
        assert_eq!(d.files(), want);
    }
    let (err, code) = make("uninstall", &d, true);
    assert_eq!((err.as_str(), code), ("", 0));
    assert!(d.is_empty(), "{:?}", d.files());
}

/// The man pages under util-linux's names are ours with every name of our tools
/// renamed and util-linux's own pages out of SEE ALSO (they would be these pages again,
/// or twice there); ours are as they are.
fn compat_pages_say_util_linux_names(d: &DestDir) {
    for (page, title) in [("man1/unshare.1", "UNSHARE 1"), ("man1/nsenter.1", "NSENTER 1"), ("man8/lsns.8", "LSNS 8")] {
        let text = fs::read_to_string(d.path(&format!("share/man/{page}"))).unwrap();
        assert!(text.starts_with(&format!(".TH {title} \"")), "{page}: {}", &text[..80]);
        let (name, section) = page[5..].split_once('.').unwrap();
        let source = fs::read_to_string(format!("{}/man/rs-{}", env!("CARGO_MANIFEST_DIR"), &page[5..])).unwrap();
        let ours = d.path(&format!("share/man/man{section}/rs-{}", &page[5..]));
        assert_eq!(fs::read_to_string(ours).unwrap(), source);
        let mut renamed = source;
        for tool in ["unshare", "nsenter", "lsns"] {
            for (from, to) in [(format!("rs-{tool}"), tool.to_string()), (format!("rs\\-{tool}"), tool.to_string())] {
                renamed = renamed.replace(&from, &to);
            }
            renamed = renamed.replace(&format!("RS-{}", tool.to_uppercase()), &tool.to_uppercase());
        }
        let (body, see_also) = renamed.split_once("\n.SH SEE ALSO\n").unwrap();
        let mut seen = BTreeSet::from([format!(".BR {name} ({section}),"), format!(".BR {name} ({section})")]);
        let see_also: Vec<&str> = see_also.lines().filter(|l| seen.insert(l.to_string())).collect();
        let want = format!("{body}\n.SH SEE ALSO\n{}\n", see_also.join("\n"));
        assert_eq!(text, want, "{page}");
        for ours in ["rs-", "rs\\-", "RS-"] {
            assert!(!text.contains(ours), "{page}: {ours}");
        }
    }
    let lsns = fs::read_to_string(d.path("share/man/man8/lsns.8")).unwrap();
    assert!(lsns.contains("\n.B lsns \\-t net \\-o +PNS,ONS\n"), "{lsns}");
    assert!(
        lsns.ends_with("\n.SH SEE ALSO\n.BR namespaces (7),\n.BR ioctl_ns (2),\n.BR unshare (1),\n.BR nsenter (1)\n"),
        "{lsns}"
    );
}

#[test]
fn compat_refuses_a_dangling_link() {
    let d = DestDir::new("dangling");
    fs::create_dir_all(d.path("bin")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/lsns", d.path("bin/lsns")).unwrap();
    let (err, code) = make("install", &d, true);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bin/lsns exists and is not a link to rs-lsns: not replacing it"), "{err}");
    assert_eq!(d.files(), BTreeSet::from(["bin/lsns".to_string()]));
    assert_eq!(fs::read_link(d.path("bin/lsns")).unwrap(), Path::new("/nonexistent/lsns"));
    // a dangling link that is ours (rs-lsns is gone) is replaced
    fs::remove_file(d.path("bin/lsns")).unwrap();
    std::os::unix::fs::symlink("rs-lsns", d.path("bin/lsns")).unwrap();
    let (err, code) = make("install", &d, true);
    assert_eq!(code, 0, "{err}");
    assert!(d.path("bin/lsns").exists());
}

#[test]
fn uninstall_does_not_follow_a_linked_directory() {
    let d = DestDir::new("linked");
    let (err, code) = make("install", &d, true);
    assert_eq!(code, 0, "{err}");
    // man1 becomes a link to a directory elsewhere with files named like ours, one of
    // them with our content
    let outside = TempDir::new("install-outside");
    let ours = fs::read(d.path("share/man/man1/rs-unshare.1")).unwrap();
    fs::write(outside.path().join("rs-unshare.1"), &ours).unwrap();
    fs::write(outside.path().join("unshare.1"), ".TH UNSHARE 1\n").unwrap();
    fs::remove_dir_all(d.path("share/man/man1")).unwrap();
    std::os::unix::fs::symlink(outside.path(), d.path("share/man/man1")).unwrap();
    let (err, code) = make("uninstall", &d, false);
    assert_eq!(code, 2, "{err}");
    let link = d.path("share/man/man1");
    let why = format!("{}/rs-unshare.1: {} is a symbolic link", link.display(), link.display());
    assert!(err.contains(&why), "{err}");
    assert_eq!(fs::read(outside.path().join("rs-unshare.1")).unwrap(), ours);
    assert!(outside.path().join("unshare.1").exists());
    // the rest is gone; the list stays, for another uninstall once the link is dealt with
    let left = BTreeSet::from(["share/man/man1".to_string(), "share/nsutils/installed".to_string()]);
    assert_eq!(d.files(), left);
    fs::remove_file(&link).unwrap();
    let (err, code) = make("uninstall", &d, false);
    assert_eq!((err.as_str(), code), ("", 0));
    assert!(d.is_empty(), "{:?}", d.files());
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
    let (err, code) = make("uninstall", &d, false);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("leaving "), "{err}");
    assert_eq!(d.files(), BTreeSet::from(["bin/lsns".to_string(), "share/man/man1/unshare.1".to_string()]));
}
