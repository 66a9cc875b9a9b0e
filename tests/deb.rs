//! `make deb`: the two Debian packages hold what they should in Debian's paths; installed
//! with `dpkg --root` into a scratch root that has a stand-in util-linux (its unshare,
//! nsenter and lsns, their man pages and bash completions), the compat package diverts
//! util-linux's files and removing it gives them back; removing both leaves the root as it
//! was. Lintian finds no errors in either package.
//!
//! The scratch root has no shell, so dpkg runs the maintainer scripts with
//! `--force-script-chrootless`: they call only dpkg-divert, which works on `$DPKG_ROOT`.
use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::TempDir;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const COMPAT: &str = "nsutils-util-linux-names";

/// The files (not directories) of util-linux's that the compat package replaces.
const UTIL_LINUX_FILES: [&str; 9] = [
    "usr/bin/unshare",
    "usr/bin/nsenter",
    "usr/bin/lsns",
    "usr/share/man/man1/unshare.1.gz",
    "usr/share/man/man1/nsenter.1.gz",
    "usr/share/man/man8/lsns.8.gz",
    "usr/share/bash-completion/completions/unshare",
    "usr/share/bash-completion/completions/nsenter",
    "usr/share/bash-completion/completions/lsns",
];

/// Whether dpkg's tools are here (a Debian system); else skips, and fails in CI.
fn have_dpkg() -> bool {
    let ok = ["dpkg", "dpkg-deb", "dpkg-divert"]
        .iter()
        .all(|p| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success()));
    ok || common::skip("needs dpkg, dpkg-deb and dpkg-divert (a Debian system)")
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = common::run_timeout(cmd, 120);
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn arch() -> String {
    stdout_of(Command::new("dpkg").arg("--print-architecture")).trim().to_string()
}

/// The two packages `make deb` built into a scratch DEBDIR.
struct Debs {
    dir: TempDir,
    main: PathBuf,
    compat: PathBuf,
}

/// `make deb DEBDIR=..` with the binaries this test run built (`CARGO=true`: nothing is
/// rebuilt); it prints the paths of the packages.
fn make_deb(tag: &str) -> Debs {
    let dir = TempDir::new(&format!("deb-{tag}"));
    let bins = Path::new(env!("CARGO_BIN_EXE_rs-unshare")).parent().unwrap();
    let out = stdout_of(
        Command::new("make")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["-s", "deb", "CARGO=true"])
            .arg(format!("RELEASE={}", bins.display()))
            .arg(format!("DEBDIR={}", dir.path().join("out").display()))
            .env_remove("MAKEFLAGS")
            .env_remove("MFLAGS"),
    );
    let main = dir.path().join(format!("out/nsutils_{VERSION}_{}.deb", arch()));
    let compat = dir.path().join(format!("out/{COMPAT}_{VERSION}_all.deb"));
    assert_eq!(out, format!("{}\n{}\n", main.display(), compat.display()));
    Debs { dir, main, compat }
}

/// `dpkg-deb -c`: each entry's path (without the leading `.`) and `<mode> <owner>`, plus
/// ` -> <target>` for a link.
fn contents(deb: &Path) -> BTreeMap<String, String> {
    let listing = stdout_of(Command::new("dpkg-deb").arg("-c").arg(deb));
    let mut out = BTreeMap::new();
    for line in listing.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let path = f[5].trim_start_matches('.').trim_end_matches('/').to_string();
        let mut what = format!("{} {}", f[0], f[1]);
        if f.len() == 8 {
            what.push_str(&format!(" -> {}", f[7]));
        }
        if !path.is_empty() {
            out.insert(path, what);
        }
    }
    out
}

/// What a package should list: its files, links and the directories above them.
fn expected(files: &[(String, &str)]) -> BTreeMap<String, String> {
    let mut want = BTreeMap::new();
    for (path, what) in files {
        want.insert(path.clone(), what.to_string());
        let mut p = Path::new(path.as_str());
        while let Some(parent) = p.parent().filter(|d| *d != Path::new("/")) {
            want.insert(parent.display().to_string(), "drwxr-xr-x root/root".to_string());
            p = parent;
        }
    }
    want
}

const FILE: &str = "-rw-r--r-- root/root";

/// The completions and doc files of package `pkg` for the command names `names`.
fn common_files(pkg: &str, names: &[&str]) -> Vec<(String, &'static str)> {
    let mut v =
        vec![(format!("/usr/share/doc/{pkg}/copyright"), FILE), (format!("/usr/share/doc/{pkg}/changelog.gz"), FILE)];
    for n in names {
        v.push((format!("/usr/share/bash-completion/completions/{n}"), FILE));
        v.push((format!("/usr/share/zsh/vendor-completions/_{n}"), FILE));
        v.push((format!("/usr/share/fish/vendor_completions.d/{n}.fish"), FILE));
    }
    v
}

/// A control field of a package.
fn field(deb: &Path, name: &str) -> String {
    stdout_of(Command::new("dpkg-deb").arg("-f").arg(deb).arg(name)).trim_end().to_string()
}

/// A gzip file as `gzip -9n` writes it: no name, no time stamp; its text.
fn gunzip_n(path: &Path) -> String {
    let bytes = fs::read(path).unwrap();
    assert_eq!(&bytes[..3], &[0x1f, 0x8b, 8], "{}: not gzip", path.display());
    assert_eq!(bytes[3] & 0x08, 0, "{}: has a file name", path.display());
    assert_eq!(&bytes[4..8], &[0, 0, 0, 0], "{}: has a time stamp", path.display());
    let out = common::run_timeout(Command::new("gzip").arg("-dc").arg(path), 30);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn packages_hold_debians_paths() {
    if !have_dpkg() {
        return;
    }
    let debs = make_deb("contents");
    let mut files = common_files("nsutils", &["rs-unshare", "rs-nsenter", "rs-lsns"]);
    let mut links = common_files(COMPAT, &["unshare", "nsenter", "lsns"]);
    for (tool, section) in [("unshare", 1), ("nsenter", 1), ("lsns", 8)] {
        files.push((format!("/usr/bin/rs-{tool}"), "-rwxr-xr-x root/root"));
        files.push((format!("/usr/share/man/man{section}/rs-{tool}.{section}.gz"), FILE));
        links.push((format!("/usr/share/man/man{section}/{tool}.{section}.gz"), FILE));
    }
    let link_targets: Vec<(String, String)> = ["unshare", "nsenter", "lsns"]
        .iter()
        .map(|t| (format!("/usr/bin/{t}"), format!("lrwxrwxrwx root/root -> rs-{t}")))
        .collect();
    links.extend(link_targets.iter().map(|(p, w)| (p.clone(), w.as_str())));
    assert_eq!(contents(&debs.main), expected(&files));
    assert_eq!(contents(&debs.compat), expected(&links));

    assert_eq!(field(&debs.main, "Version"), VERSION);
    assert_eq!(field(&debs.main, "Architecture"), arch());
    assert!(field(&debs.main, "Depends").starts_with("libc6 (>= 2."), "{}", field(&debs.main, "Depends"));
    assert_eq!(field(&debs.compat, "Architecture"), "all");
    assert_eq!(field(&debs.compat, "Depends"), format!("nsutils (= {VERSION})"));

    // man pages and changelogs gzip -9n; the compat pages say util-linux's names
    let x = debs.dir.path().join("x");
    for deb in [&debs.main, &debs.compat] {
        stdout_of(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&x));
    }
    assert!(gunzip_n(&x.join("usr/share/man/man1/rs-unshare.1.gz")).contains(".TH RS-UNSHARE 1"));
    assert!(gunzip_n(&x.join("usr/share/man/man8/lsns.8.gz")).contains(".TH LSNS 8"));
    let changelog = gunzip_n(&x.join("usr/share/doc/nsutils/changelog.gz"));
    assert!(changelog.starts_with(&format!("nsutils ({VERSION}) unstable; urgency=medium\n")), "{changelog}");
    let copyright = fs::read_to_string(x.join("usr/share/doc/nsutils/copyright")).unwrap();
    assert!(copyright.contains("\nLicense: MIT or Apache-2.0\n"), "{copyright}");
    // the binaries are stripped (the tests' debug build is not)
    let sections = stdout_of(Command::new("objdump").arg("-h").arg(x.join("usr/bin/rs-lsns")));
    assert!(!sections.contains(".debug_info"), "{sections}");
}

/// A package built in `dir` from `files` (path, content, mode), with no maintainer scripts.
fn fake_deb(dir: &Path, name: &str, version: &str, files: &[(&str, &[u8], u32)]) -> PathBuf {
    let tree = dir.join(format!("{name}-tree"));
    fs::create_dir_all(tree.join("DEBIAN")).unwrap();
    let control = format!(
        "Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: test <test@example.invalid>\n\
         Description: a stand-in for the tests\n"
    );
    fs::write(tree.join("DEBIAN/control"), control).unwrap();
    for (path, content, mode) in files {
        let p = tree.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, content).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(*mode)).unwrap();
    }
    let deb = dir.join(format!("{name}.deb"));
    stdout_of(Command::new("dpkg-deb").args(["--build", "--root-owner-group"]).arg(&tree).arg(&deb));
    deb
}

/// The stand-in util-linux's content of one of its files.
fn util_linux_content(path: &str) -> Vec<u8> {
    format!("util-linux's {path}\n").into_bytes()
}

/// A scratch root with an empty dpkg database.
struct Root(TempDir);

impl Root {
    fn new(tag: &str) -> Root {
        let r = Root(TempDir::new(&format!("deb-root-{tag}")));
        for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log"] {
            fs::create_dir_all(r.path(d)).unwrap();
        }
        fs::write(r.path("var/lib/dpkg/status"), "").unwrap();
        fs::write(r.path("var/lib/dpkg/available"), "").unwrap();
        r
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.path().join(rel)
    }

    /// `dpkg --root=<root> --force-script-chrootless <args>`, which must succeed.
    fn dpkg(&self, args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
        let mut c = Command::new("dpkg");
        c.arg(format!("--root={}", self.0.path().display())).arg("--force-script-chrootless");
        for a in args {
            c.arg(a);
        }
        stdout_of(&mut c)
    }

    /// The diversions dpkg has in this root, `<path> <diverted to> <by package>`.
    fn diversions(&self) -> BTreeSet<String> {
        let text = fs::read_to_string(self.path("var/lib/dpkg/diversions")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines.chunks(3).map(|c| c.join(" ")).collect()
    }

    /// Every file, link and directory outside /var, with a file's content and a link's
    /// target.
    fn tree(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        walk(self.0.path(), self.0.path(), &mut out);
        out.retain(|k, _| !k.starts_with("var/"));
        out
    }
}

/// Adds what is below `dir` to `out`, by its path relative to `base`: a directory (with a
/// `/` after its name) with nothing, a link with `-> <target>`, a file with its content.
fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let rel = p.strip_prefix(base).unwrap().display().to_string();
        let ty = e.file_type().unwrap();
        if ty.is_dir() {
            out.insert(rel + "/", Vec::new());
            walk(&p, base, out);
        } else if ty.is_symlink() {
            out.insert(rel, format!("-> {}", fs::read_link(&p).unwrap().display()).into_bytes());
        } else {
            out.insert(rel, fs::read(&p).unwrap());
        }
    }
}

/// The root with a stand-in util-linux and stand-ins for what nsutils depends on.
fn root_with_util_linux(debs: &Debs) -> Root {
    let root = Root::new("install");
    let files: Vec<(&str, Vec<u8>, u32)> = UTIL_LINUX_FILES
        .iter()
        .map(|p| (*p, util_linux_content(p), if p.starts_with("usr/bin/") { 0o755 } else { 0o644 }))
        .collect();
    let files: Vec<(&str, &[u8], u32)> = files.iter().map(|(p, c, m)| (*p, c.as_slice(), *m)).collect();
    let dir = debs.dir.path();
    let mut fakes = vec![fake_deb(dir, "util-linux", "2.38.1-5", &files)];
    // libc6 (>= 2.34), libgcc-s1 (>= 4.2): empty packages, so dpkg checks Depends as usual
    for dep in field(&debs.main, "Depends").split(',') {
        let name = dep.split(['(', '|']).next().unwrap().trim();
        fakes.push(fake_deb(dir, name, "9999", &[]));
    }
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"-i"];
    args.extend(fakes.iter().map(|f| f as &dyn AsRef<std::ffi::OsStr>));
    root.dpkg(&args);
    root
}

/// Where the compat package diverts a file of util-linux's.
fn diverted(path: &str) -> String {
    match path.strip_suffix(".gz") {
        Some(page) => {
            let (name, section) = page.rsplit_once('.').unwrap();
            format!("{name}.util-linux.{section}.gz")
        }
        None => format!("{path}.util-linux"),
    }
}

#[test]
fn compat_diverts_util_linux_and_gives_it_back() {
    if !common::require_root() || !have_dpkg() {
        return;
    }
    let debs = make_deb("install");
    let root = root_with_util_linux(&debs);
    let before = root.tree();
    root.dpkg(&[&"-i", &debs.main, &debs.compat]);
    for tool in ["unshare", "nsenter", "lsns"] {
        let link = root.path(&format!("usr/bin/{tool}"));
        assert_eq!(fs::read_link(&link).unwrap(), Path::new(&format!("rs-{tool}")));
        let out = stdout_of(Command::new(&link).arg("--version"));
        assert_eq!(out, format!("{tool} from nsutils {VERSION}\n"));
    }
    for f in UTIL_LINUX_FILES {
        assert_eq!(fs::read(root.path(&diverted(f))).unwrap(), util_linux_content(f), "{f}");
        assert_ne!(fs::read(root.path(f)).unwrap(), util_linux_content(f), "{f}");
    }
    let diversions = root.diversions();
    for f in UTIL_LINUX_FILES {
        assert!(diversions.contains(&format!("/{f} /{} {COMPAT}", diverted(f))), "{f}: {diversions:?}");
    }
    // installing it again (an upgrade to the same version) keeps the diversions
    root.dpkg(&[&"-i", &debs.compat]);
    assert_eq!(root.diversions(), diversions);
    assert!(fs::read_link(root.path("usr/bin/unshare")).is_ok());

    // removing the compat package gives util-linux its files back, under their names
    root.dpkg(&[&"--remove", &COMPAT]);
    assert_eq!(root.diversions(), BTreeSet::new());
    for f in UTIL_LINUX_FILES {
        assert_eq!(fs::read(root.path(f)).unwrap(), util_linux_content(f), "{f}");
        assert!(!root.path(&diverted(f)).exists(), "{f}");
    }
    assert!(root.path("usr/bin/rs-unshare").exists());
    // and removing nsutils leaves nothing of ours
    root.dpkg(&[&"--purge", &"nsutils", &COMPAT]);
    assert_eq!(root.tree(), before);
}

#[test]
fn lintian_finds_no_errors() {
    if !have_dpkg() {
        return;
    }
    if Command::new("lintian").arg("--version").output().is_err() {
        common::skip("needs lintian (apt-get install lintian)");
        return;
    }
    let debs = make_deb("lintian");
    // lintian says as much when it runs as root, and exits 0 unless it found an error
    let out = common::run_timeout(Command::new("lintian").arg(&debs.main).arg(&debs.compat), 300);
    let text = String::from_utf8_lossy(&out.stdout);
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("E: ")).collect();
    assert!(errors.is_empty() && out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
}
