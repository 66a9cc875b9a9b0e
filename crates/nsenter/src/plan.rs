//! Turns command-line options into a [`Plan`]: every number parsed, every rule between
//! options checked, one option at a time as util-linux's getopt loop checks them. The
//! one thing done on the system is what util-linux does there too: the namespace files
//! and the `-r`/`-w` directories are opened as their options come, so a missing one is
//! reported before a later bad option. Those opens go through the [`Syscall`] seam and
//! the descriptors travel in the plan to `run`, which enters and uses those very files:
//! nothing is opened twice, and what is checked is what is used. All of it is
//! unit-tested without privileges, against the seam's fake.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{Mode, SFlag};
use nscore::getopt::lossy;
use nscore::invocation::{read_options, Flow, Outcome};
use nscore::seam::{Stat, Syscall};
use nscore::{Error, NsType, Result};

use crate::options::{Id, OPTIONS, ORDERING};

/// Where a namespace comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NsSource {
    /// The target process's namespace of that type.
    Target,
    /// A namespace file: `/proc/PID/ns/<type>` or a bind mount of one.
    File(OsString),
    /// A 64-bit namespace ID (`--net=:<id>`), opened through a file handle.
    Id(u64),
}

/// `-S`/`-G`: a number, or `follow` (the owner of `/proc/PID` as seen in the namespaces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdSpec {
    Id(u32),
    Follow,
}

/// `-r`/`-w`/`-W`: the target's directory, or a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirSpec {
    Target,
    Path(OsString),
}

/// `-t PID[:inode]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetSpec {
    pub pid: i32,
    /// The pidfs inode the process must have (tells a recycled PID apart).
    pub inode: Option<u64>,
}

/// A file the command line names, as opening it while the options were read found it.
#[derive(Debug)]
pub enum Opened {
    /// Open for reading (close-on-exec): `run` enters or uses this very file.
    Fd(OwnedFd),
    /// Not of the kind the option wants (a namespace file is a regular file, `-r`/`-w`
    /// take a directory), so looked at only through `O_PATH`: opening a FIFO or a device
    /// for real could block or act. `run` refuses it, saying what it is.
    Wrong(Stat),
}

/// The files of the command line, opened while the options were read.
#[derive(Debug, Default)]
pub struct Named {
    /// By `NsType as usize`, for each [`NsSource::File`].
    pub ns: [Option<Opened>; 8],
    /// `-r<dir>`.
    pub root: Option<Opened>,
    /// `-w<dir>`.
    pub wd: Option<Opened>,
}

/// Everything rs-nsenter will do, decided before it does any of it.
#[derive(Debug, Default)]
pub struct Plan {
    pub target: Option<TargetSpec>,
    /// `--container REF`: the target is that container's main process, found when the
    /// plan is run (`nscore::container`).
    pub container: Option<OsString>,
    pub all: bool,
    /// Indexed by `NsType as usize`.
    pub ns: [Option<NsSource>; 8],
    pub net_socket: Option<RawFd>,
    pub user_parent: bool,
    pub uid: Option<IdSpec>,
    pub gid: Option<IdSpec>,
    pub preserve_credentials: bool,
    pub keep_caps: bool,
    pub root: Option<DirSpec>,
    pub wd: Option<DirSpec>,
    pub wdns: Option<DirSpec>,
    pub env: bool,
    pub no_fork: bool,
    pub join_cgroup: bool,
    pub follow_context: bool,
    pub program: Vec<OsString>,
    /// What the paths among the above led to when the options were read.
    pub named: Named,
}

/// What `main` should do.
#[derive(Debug)]
pub enum Action {
    Help,
    Version,
    Run(Box<Plan>),
}

/// Drops the one leading `=` that `-u=/path` leaves in the value.
fn strip_eq(v: &OsStr) -> OsString {
    OsStr::from_bytes(v.as_bytes().strip_prefix(b"=").unwrap_or(v.as_bytes())).to_os_string()
}

/// `PID[:inode]`. As in util-linux, a part that starts with a minus sign and a digit is
/// out of range whatever follows (`-5x`), and so is inode 0, which no pidfd has.
pub fn parse_target(s: &OsStr) -> Result<TargetSpec> {
    let bytes = s.as_bytes();
    let fail = |e| Error::sys(format!("failed to parse PID argument '{}'", lossy(s)), e);
    let negative = |b: &[u8]| b.len() > 1 && b[0] == b'-' && b[1].is_ascii_digit();
    let (pid, inode) = match bytes.iter().position(|&b| b == b':') {
        Some(i) => (&bytes[..i], Some(&bytes[i + 1..])),
        None => (bytes, None),
    };
    let pid = if negative(pid) { Err(Errno::ERANGE) } else { nscore::ids::parse_pid(pid) }.map_err(fail)?;
    let number = |b: &[u8]| if negative(b) { Err(Errno::ERANGE) } else { nscore::ids::parse_u64(b) };
    let inode = match inode.map(number).transpose().map_err(fail)? {
        Some(0) => return Err(fail(Errno::ERANGE)),
        inode => inode,
    };
    Ok(TargetSpec { pid, inode })
}

/// A namespace option's value: a file, or `:<id>`.
fn parse_ns_value(v: &OsStr) -> Result<NsSource> {
    let v = strip_eq(v);
    match v.as_bytes().strip_prefix(b":") {
        Some(id) => nscore::ids::parse_u64(id)
            .map(NsSource::Id)
            .map_err(|e| Error::sys(format!("failed to parse nsid: {}", lossy(&v)), e)),
        None => Ok(NsSource::File(v)),
    }
}

/// `-S`/`-G`: strict numbers (never `-1` or a wrapped `4294967296`), or `follow`.
fn parse_id_spec(v: &OsStr, what: &str) -> Result<IdSpec> {
    if v.as_bytes() == b"follow" {
        return Ok(IdSpec::Follow);
    }
    nscore::ids::parse_id(v.as_bytes()).map(IdSpec::Id).map_err(|e| Error::parse_failure(what, v, e))
}

/// `-N fd`: an int; a negative one is ignored, as util-linux does. Only an out-of-range
/// number gets the errno text in the message.
fn parse_fd(v: &OsStr) -> Result<Option<RawFd>> {
    let fail = |e| Error::parse_failure("file descriptor", v, e);
    let b = v.as_bytes();
    if let Some(digits) = b.strip_prefix(b"-") {
        return nscore::ids::parse_u64(digits).map(|_| None).map_err(fail);
    }
    let n = nscore::ids::parse_u64(b).map_err(fail)?;
    RawFd::try_from(n).map(Some).map_err(|_| fail(Errno::ERANGE))
}

fn dir_spec(v: Option<&OsStr>, strip: bool) -> DirSpec {
    match v {
        None => DirSpec::Target,
        Some(v) if strip => DirSpec::Path(strip_eq(v)),
        Some(v) => DirSpec::Path(v.to_os_string()),
    }
}

impl Plan {
    pub fn ns_source(&self, t: NsType) -> Option<&NsSource> {
        self.ns[t as usize].as_ref()
    }

    /// Whether an option reads from the target process (its namespaces, directories,
    /// environment, cgroup, sockets or owner).
    fn needs_target(&self) -> bool {
        NsType::ALL.into_iter().any(|t| self.ns_source(t) == Some(&NsSource::Target))
            || self.net_socket.is_some()
            || self.reads_proc_dir()
    }

    /// Whether anything is read through the target's `/proc/PID` directory: its
    /// namespace links, directories, environment, cgroup, owner or SELinux context.
    /// (Its namespaces and sockets alone are reached through its pidfd.)
    pub fn reads_proc_dir(&self) -> bool {
        let user_file = matches!(self.ns_source(NsType::User), Some(NsSource::File(_) | NsSource::Id(_)));
        self.all
            || (self.user_parent && !user_file)
            || [&self.root, &self.wd, &self.wdns].into_iter().any(|d| *d == Some(DirSpec::Target))
            || self.env
            || self.join_cgroup
            || self.uid == Some(IdSpec::Follow)
            || self.gid == Some(IdSpec::Follow)
            || self.follow_context
    }

    /// Whether rs-nsenter forks: only to put the program into an entered PID namespace
    /// (`setns` moves children only), and never with `-F`.
    pub fn forks_if(&self, pid_entered: bool) -> bool {
        pid_entered && !self.no_fork
    }

    /// Whether uid and gid are set before exec, and to what (`None`: untouched).
    /// Entering a user namespace without `--preserve-credentials` means becoming root in
    /// it unless `-S`/`-G` say otherwise.
    pub fn credentials(&self, user_entered: bool) -> (Option<IdSpec>, Option<IdSpec>) {
        let force = user_entered && !self.preserve_credentials;
        let pick = |given: Option<IdSpec>| given.or(force.then_some(IdSpec::Id(0)));
        (pick(self.uid), pick(self.gid))
    }
}

/// Reads the command line (without argv\[0\]) into what to do. Each option is checked
/// as it comes, as util-linux's getopt loop checks it, so the first mistake on the line
/// is the one reported (and `-h` wins only over what follows it); the rules between
/// options are checked after the last one. The files options name are opened through
/// `sys` as they come.
pub fn parse<S: Syscall>(args: &[OsString], sys: &mut S) -> Result<Action> {
    let mut b = Builder { sys, plan: Plan::default() };
    Ok(match read_options(args, OPTIONS, ORDERING, |id, v| b.apply(id, v))? {
        Outcome::Help => Action::Help,
        Outcome::Version => Action::Version,
        Outcome::Operands(operands) => Action::Run(Box::new(b.finish(&operands)?)),
    })
}

/// The options that name a directory: `-r` (root), `-w` (working directory, opened now),
/// `-W` (working directory, looked up inside the namespaces).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Root,
    Wd,
    Wdns,
}

/// The plan while the options come in, and the system that opens what they name.
struct Builder<'s, S> {
    sys: &'s mut S,
    plan: Plan,
}

impl<S: Syscall> Builder<'_, S> {
    /// Takes one option, checking its value. Every option has its own arm (no `_`), so an
    /// option added to the definition in `crates/clidef` does not compile until it is
    /// handled here.
    fn apply(&mut self, id: Id, v: Option<OsString>) -> Result<Flow> {
        let p = &mut self.plan;
        match id {
            Id::Help => return Ok(Flow::Help),
            Id::Version => return Ok(Flow::Version),
            Id::Ns(t) => self.namespace(t, v)?,
            Id::Target if p.target.is_some() => return Err(Error::msg("option --target may be given only once")),
            Id::Target if p.container.is_some() => return Err(Error::msg(COMBINED)),
            Id::Container if p.target.is_some() => return Err(Error::msg(COMBINED)),
            Id::Container if p.container.is_some() => {
                return Err(Error::msg("option --container may be given only once"))
            }
            Id::Container => p.container = v,
            Id::Target => p.target = Some(parse_target(&v.unwrap_or_default())?),
            Id::NetSocket => p.net_socket = parse_fd(&v.unwrap_or_default())?.or(p.net_socket),
            Id::Setuid => p.uid = Some(parse_id_spec(&v.unwrap_or_default(), "uid")?),
            Id::Setgid => p.gid = Some(parse_id_spec(&v.unwrap_or_default(), "gid")?),
            Id::Root => self.directory(Dir::Root, v)?,
            Id::Wd => self.directory(Dir::Wd, v)?,
            Id::Wdns => self.directory(Dir::Wdns, v)?,
            Id::All => p.all = true,
            Id::UserParent => p.user_parent = true,
            Id::PreserveCredentials => p.preserve_credentials = true,
            Id::KeepCaps => p.keep_caps = true,
            Id::Env => p.env = true,
            Id::NoFork => p.no_fork = true,
            Id::JoinCgroup => p.join_cgroup = true,
            Id::FollowContext => p.follow_context = true,
        }
        Ok(Flow::Continue)
    }

    /// A namespace option: the target's namespace, a file (opened now), or an ID.
    fn namespace(&mut self, t: NsType, val: Option<OsString>) -> Result<()> {
        let source = match val {
            Some(v) => parse_ns_value(&v)?,
            None => NsSource::Target,
        };
        self.plan.named.ns[t as usize] = match &source {
            NsSource::File(path) => Some(open_ns_file(self.sys, path)?),
            _ => None,
        };
        self.plan.ns[t as usize] = Some(source);
        Ok(())
    }

    /// `-r`, `-w`, `-W`: `-w` and `-W` exclude each other; the directories of `-r` and
    /// `-w` are opened here, that of `-W` only inside the namespaces.
    fn directory(&mut self, dir: Dir, val: Option<OsString>) -> Result<()> {
        let p = &mut self.plan;
        match dir {
            Dir::Wd if p.wdns.is_some() => return Err(Error::msg("options --wdns and --wd cannot be combined")),
            Dir::Wdns if p.wd.is_some() => return Err(Error::msg("options --wd and --wdns cannot be combined")),
            Dir::Root | Dir::Wd | Dir::Wdns => {}
        }
        let spec = dir_spec(val.as_deref(), dir != Dir::Root);
        let opened = match (&spec, dir) {
            (DirSpec::Path(path), Dir::Root | Dir::Wd) => Some(open_dir(self.sys, path)?),
            _ => None,
        };
        let p = &mut self.plan;
        match dir {
            Dir::Root => (p.root, p.named.root) = (Some(spec), opened),
            Dir::Wd => (p.wd, p.named.wd) = (Some(spec), opened),
            Dir::Wdns => p.wdns = Some(spec),
        }
        Ok(())
    }

    /// The checks between options, once all are known, and the program. `--container`
    /// stands for `--target` in them, and without a namespace option it means `--all`.
    fn finish(self, operands: &[OsString]) -> Result<Plan> {
        let mut p = self.plan;
        p.program = operands.to_vec();
        let any_ns = NsType::ALL.into_iter().any(|t| p.ns_source(t).is_some());
        if p.container.is_some() {
            p.all |= !any_ns && p.net_socket.is_none() && !p.user_parent;
            return Ok(p);
        }
        if p.follow_context && p.target.is_none() {
            return Err(Error::msg("no target PID specified for --follow-context"));
        }
        if p.target.is_none() && p.needs_target() {
            return Err(Error::msg("no target PID specified"));
        }
        if !any_ns && !p.all && p.net_socket.is_none() && !p.user_parent {
            return Err(Error::msg("no namespace specified"));
        }
        Ok(p)
    }
}

/// `--container` names the target as `--target` does: one of the two.
const COMBINED: &str = "options --container and --target cannot be combined";

/// Read-only and close-on-exec: how every file is opened unless it is written to.
pub(crate) const RDONLY: OFlag = OFlag::O_RDONLY.union(OFlag::O_CLOEXEC);

/// A namespace file, opened as util-linux opens it (`cannot open <path>: <errno text>`
/// when that fails) if it is a regular file, as namespace files are.
pub fn open_ns_file<S: Syscall>(sys: &mut S, path: &OsStr) -> Result<Opened> {
    open_named(sys, path, SFlag::S_IFREG, RDONLY)
}

/// A directory of `-r` or `-w`, opened if it is one.
pub fn open_dir<S: Syscall>(sys: &mut S, path: &OsStr) -> Result<Opened> {
    open_named(sys, path, SFlag::S_IFDIR, RDONLY.union(OFlag::O_DIRECTORY))
}

/// `path` opened with `O_PATH` (which opens nothing: a FIFO cannot block it), and if it
/// proves to be of `kind`, that very file opened again for real, with `flags`.
fn open_named<S: Syscall>(sys: &mut S, path: &OsStr, kind: SFlag, flags: OFlag) -> Result<Opened> {
    let cannot_open = |e| Error::sys(format!("cannot open {}", lossy(path)), e);
    let at = sys.open(None, Path::new(path), OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty()).map_err(cannot_open)?;
    let st = sys.fstat(at.as_fd()).map_err(|e| Error::sys(format!("fstat({})", at.as_raw_fd()), e))?;
    if st.mode & SFlag::S_IFMT.bits() != kind.bits() {
        return Ok(Opened::Wrong(st));
    }
    let again = nscore::procfs::fd_link(at.as_fd());
    sys.open(None, Path::new(&again), flags, Mode::empty()).map(Opened::Fd).map_err(cannot_open)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nscore::seam::fake::Fake;

    /// A fake where every file opens, except those under `/missing`.
    fn fake() -> Fake {
        let mut f = Fake::new();
        f.fail("open /missing", Errno::ENOENT);
        f
    }

    fn run(v: &[&str]) -> Result<Action> {
        parse(&v.iter().map(OsString::from).collect::<Vec<_>>(), &mut fake())
    }

    fn plan_of(v: &[&str]) -> Plan {
        match run(v).unwrap() {
            Action::Run(p) => *p,
            other => panic!("{other:?}"),
        }
    }

    fn plan(opts: &[(Id, Option<&str>)]) -> Result<Plan> {
        let mut f = fake();
        let mut b = Builder { sys: &mut f, plan: Plan::default() };
        for (id, v) in opts {
            b.apply(*id, v.map(OsString::from))?;
        }
        b.finish(&[])
    }

    fn err(opts: &[(Id, Option<&str>)]) -> String {
        plan(opts).unwrap_err().to_string()
    }

    #[test]
    fn attached_values() {
        let p = plan_of(&["-t1", "-n/path", "-u=/u", "-m", "ls", "-l"]);
        assert_eq!(p.target.unwrap().pid, 1);
        assert_eq!(p.ns_source(NsType::Net), Some(&NsSource::File("/path".into())));
        assert_eq!(p.ns_source(NsType::Uts), Some(&NsSource::File("/u".into())));
        assert_eq!(p.ns_source(NsType::Mnt), Some(&NsSource::Target));
        assert_eq!(p.program, vec![OsString::from("ls"), OsString::from("-l")]);
        // -nu is --net=u, and a detached value is the program
        let p = plan_of(&["-t1", "-nu", "--ipc", "/x"]);
        assert_eq!(p.ns_source(NsType::Net), Some(&NsSource::File("u".into())));
        assert_eq!(p.ns_source(NsType::Uts), None);
        assert_eq!(p.program, vec![OsString::from("/x")]);
        let p = plan_of(&["-t", "1", "-aw-W/x", "--", "-a"]);
        assert!(p.all);
        assert_eq!(p.wd, Some(DirSpec::Path("-W/x".into())));
        assert_eq!(p.program, vec![OsString::from("-a")]);
    }

    #[test]
    fn help_and_errors() {
        // like a getopt loop, --help acts at once: later mistakes go unnoticed
        assert!(matches!(run(&["-h", "--bogus"]), Ok(Action::Help)));
        assert!(run(&["--bogus", "-h"]).is_err());
        assert!(matches!(run(&["-h", "-t", "x"]), Ok(Action::Help)));
        assert!(matches!(run(&["--vers"]), Ok(Action::Version)));
        assert_eq!(run(&["-x"]).unwrap_err().to_string(), "invalid option -- 'x'");
        assert_eq!(run(&["-t"]).unwrap_err().to_string(), "option requires an argument -- 't'");
        assert_eq!(
            run(&["-t", "x", "-h"]).unwrap_err().to_string(),
            "failed to parse PID argument 'x': Invalid argument"
        );
        // the first mistake on the line is reported, as util-linux's getopt loop does
        assert_eq!(
            run(&["-t", "x", "--bogus"]).unwrap_err().to_string(),
            "failed to parse PID argument 'x': Invalid argument"
        );
        assert_eq!(run(&["--bogus", "-t", "x"]).unwrap_err().to_string(), "unrecognized option '--bogus'");
        assert_eq!(
            run(&["--net=/missing", "-h"]).unwrap_err().to_string(),
            "cannot open /missing: No such file or directory"
        );
        assert_eq!(
            run(&["-W", "-w", "--bogus"]).unwrap_err().to_string(),
            "options --wdns and --wd cannot be combined"
        );
    }

    #[test]
    fn targets() {
        assert_eq!(parse_target(OsStr::new("12:345")).unwrap(), TargetSpec { pid: 12, inode: Some(345) });
        assert_eq!(parse_target(OsStr::new("12")).unwrap(), TargetSpec { pid: 12, inode: None });
        assert_eq!(
            parse_target(OsStr::new("0")).unwrap_err().to_string(),
            "failed to parse PID argument '0': Numerical result out of range"
        );
        assert_eq!(
            parse_target(OsStr::new("1x")).unwrap_err().to_string(),
            "failed to parse PID argument '1x': Invalid argument"
        );
        assert!(parse_target(OsStr::new("12:")).is_err());
        assert!(parse_target(OsStr::new("12:x")).is_err());
        // util-linux's wording: a negative number, or inode 0, is out of range
        for bad in ["1:0", "1:00", "1:-1", "1:-5x", "-5x:1", "1:-99999999999999999999"] {
            assert_eq!(
                parse_target(OsStr::new(bad)).unwrap_err().to_string(),
                format!("failed to parse PID argument '{bad}': Numerical result out of range")
            );
        }
        for bad in ["1:-", "1:-x", "x:-5", "1x:0"] {
            assert_eq!(
                parse_target(OsStr::new(bad)).unwrap_err().to_string(),
                format!("failed to parse PID argument '{bad}': Invalid argument")
            );
        }
    }

    #[test]
    fn namespace_values() {
        let p = plan(&[
            (Id::Target, Some("5")),
            (Id::Ns(NsType::Uts), Some("=/a")),
            (Id::Ns(NsType::Net), Some("/b")),
            (Id::Ns(NsType::Ipc), Some(":42")),
            (Id::Ns(NsType::Mnt), None),
            (Id::Ns(NsType::Time), Some("==x")),
        ])
        .unwrap();
        assert_eq!(p.ns_source(NsType::Uts), Some(&NsSource::File("/a".into())));
        assert_eq!(p.ns_source(NsType::Net), Some(&NsSource::File("/b".into())));
        assert_eq!(p.ns_source(NsType::Ipc), Some(&NsSource::Id(42)));
        assert_eq!(p.ns_source(NsType::Mnt), Some(&NsSource::Target));
        assert_eq!(p.ns_source(NsType::Time), Some(&NsSource::File("=x".into())));
        assert_eq!(p.ns_source(NsType::Pid), None);
        assert!(err(&[(Id::Ns(NsType::Net), Some(":x"))]).starts_with("failed to parse nsid: :x"));
    }

    #[test]
    fn ids_are_strict() {
        let p = plan(&[(Id::Target, Some("1")), (Id::Ns(NsType::Net), None), (Id::Setuid, Some("follow"))]).unwrap();
        assert_eq!(p.uid, Some(IdSpec::Follow));
        assert_eq!(err(&[(Id::Setuid, Some("-1"))]), "failed to parse uid: '-1': Numerical result out of range");
        assert_eq!(
            err(&[(Id::Setgid, Some("4294967296"))]),
            "failed to parse gid: '4294967296': Numerical result out of range"
        );
        assert_eq!(err(&[(Id::Setuid, Some("root"))]), "failed to parse uid: 'root'");
        let p = plan(&[(Id::Ns(NsType::Net), Some("/x")), (Id::Setgid, Some("4294967294"))]).unwrap();
        assert_eq!(p.gid, Some(IdSpec::Id(4294967294)));
    }

    #[test]
    fn fds() {
        assert_eq!(parse_fd(OsStr::new("3")).unwrap(), Some(3));
        assert_eq!(parse_fd(OsStr::new("-3")).unwrap(), None);
        assert!(parse_fd(OsStr::new("2147483648")).is_err());
        assert_eq!(parse_fd(OsStr::new("x")).unwrap_err().to_string(), "failed to parse file descriptor: 'x'");
    }

    #[test]
    fn rules_between_options() {
        assert_eq!(err(&[]), "no namespace specified");
        assert_eq!(err(&[(Id::Target, Some("1")), (Id::Root, None)]), "no namespace specified");
        assert_eq!(err(&[(Id::Ns(NsType::Net), None)]), "no target PID specified");
        assert_eq!(err(&[(Id::All, None)]), "no target PID specified");
        assert_eq!(err(&[(Id::Ns(NsType::Net), Some("/x")), (Id::Env, None)]), "no target PID specified");
        assert_eq!(err(&[(Id::NetSocket, Some("3"))]), "no target PID specified");
        assert_eq!(err(&[(Id::UserParent, None)]), "no target PID specified");
        assert!(plan(&[(Id::UserParent, None), (Id::Ns(NsType::User), Some("/u"))]).is_ok());
        assert_eq!(err(&[(Id::Target, Some("1")), (Id::Target, Some("2"))]), "option --target may be given only once");
        assert_eq!(
            err(&[(Id::Target, Some("1")), (Id::All, None), (Id::Wd, None), (Id::Wdns, Some("/"))]),
            "options --wd and --wdns cannot be combined"
        );
        assert_eq!(
            err(&[(Id::Ns(NsType::Net), Some("/x")), (Id::FollowContext, None)]),
            "no target PID specified for --follow-context"
        );
        let p =
            plan(&[(Id::Target, Some("1")), (Id::All, None), (Id::Wd, Some("=/d")), (Id::Root, Some("=/r"))]).unwrap();
        assert_eq!(p.wd, Some(DirSpec::Path("/d".into())));
        assert_eq!(p.root, Some(DirSpec::Path("=/r".into())));
    }

    #[test]
    fn container() {
        // alone it means every namespace; with namespace options, only those
        let p = plan(&[(Id::Container, Some("web"))]).unwrap();
        assert_eq!((p.container.as_deref(), p.all, p.target), (Some(OsStr::new("web")), true, None));
        let p = plan(&[(Id::Container, Some("web")), (Id::Ns(NsType::Uts), None)]).unwrap();
        assert!(!p.all);
        assert_eq!(p.ns_source(NsType::Uts), Some(&NsSource::Target));
        assert!(!plan(&[(Id::Container, Some("web")), (Id::NetSocket, Some("3"))]).unwrap().all);
        assert!(plan(&[(Id::Container, Some("web")), (Id::FollowContext, None), (Id::Env, None)]).unwrap().all);
        // the target is the container's: not with -t as well, and once
        let both = "options --container and --target cannot be combined";
        assert_eq!(err(&[(Id::Container, Some("web")), (Id::Target, Some("1"))]), both);
        assert_eq!(err(&[(Id::Target, Some("1")), (Id::Container, Some("web"))]), both);
        assert_eq!(
            err(&[(Id::Container, Some("a")), (Id::Container, Some("b"))]),
            "option --container may be given only once"
        );
        let p = plan_of(&["--container=web", "-n", "ip", "a"]);
        assert_eq!(p.program, ["ip", "a"].map(OsString::from));
        assert_eq!(run(&["--container"]).unwrap_err().to_string(), "option '--container' requires an argument");
    }

    #[test]
    fn checked_as_they_come() {
        // files are opened in command-line order, the first that fails is reported
        let missing = |p: &str| format!("cannot open {p}: No such file or directory");
        assert_eq!(err(&[(Id::Ns(NsType::Net), Some("/missing/a")), (Id::Target, Some("x"))]), missing("/missing/a"));
        assert_eq!(
            err(&[(Id::Ns(NsType::Net), Some("/missing/a")), (Id::Ns(NsType::Net), Some("/b"))]),
            missing("/missing/a")
        );
        assert_eq!(err(&[(Id::Wd, Some("/missing/w")), (Id::Wdns, None)]), missing("/missing/w"));
        assert_eq!(err(&[(Id::Root, Some("=/missing"))]), "no namespace specified"); // -r keeps its '='
        assert!(plan(&[(Id::Target, Some("1")), (Id::All, None), (Id::Wdns, Some("/missing/w"))]).is_ok());
        // the exclusion is checked before the directory is opened, and says which came first
        assert_eq!(
            err(&[(Id::Wdns, None), (Id::Wd, Some("/missing/w"))]),
            "options --wdns and --wd cannot be combined"
        );
        assert_eq!(err(&[(Id::Wd, None), (Id::Wdns, None)]), "options --wd and --wdns cannot be combined");
        assert_eq!(err(&[(Id::NetSocket, Some("x"))]), "failed to parse file descriptor: 'x'");
    }

    #[test]
    fn help_stops_at_its_place() {
        let mut f = fake();
        let mut b = Builder { sys: &mut f, plan: Plan::default() };
        assert_eq!(b.apply(Id::Help, None).unwrap(), Flow::Help);
        assert_eq!(b.apply(Id::Version, None).unwrap(), Flow::Version);
    }

    #[test]
    fn looks() {
        let os = &mut nscore::seam::Os::without_fork();
        assert!(open_ns_file(os, OsStr::new("/proc/self/ns/net")).is_ok());
        assert!(open_dir(os, OsStr::new("/")).is_ok());
        // a directory given as a file (or the other way round) is run's to refuse
        assert!(open_ns_file(os, OsStr::new("/")).is_ok());
        assert!(open_dir(os, OsStr::new("/proc/self/ns/net")).is_ok());
        assert_eq!(
            open_ns_file(os, OsStr::new("/nonexistent/x")).unwrap_err().to_string(),
            "cannot open /nonexistent/x: No such file or directory"
        );
    }

    #[test]
    fn credentials_and_fork() {
        let mut p = Plan::default();
        assert_eq!(p.credentials(false), (None, None));
        assert_eq!(p.credentials(true), (Some(IdSpec::Id(0)), Some(IdSpec::Id(0))));
        p.uid = Some(IdSpec::Id(5));
        assert_eq!(p.credentials(true), (Some(IdSpec::Id(5)), Some(IdSpec::Id(0))));
        assert_eq!(p.credentials(false), (Some(IdSpec::Id(5)), None));
        p.preserve_credentials = true;
        assert_eq!(p.credentials(true), (Some(IdSpec::Id(5)), None));
        assert!(p.forks_if(true) && !p.forks_if(false));
        p.no_fork = true;
        assert!(!p.forks_if(true));
    }
}
