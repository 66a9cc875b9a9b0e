//! Turns command-line options into a [`Plan`]: every number parsed, every rule between
//! options checked, and nothing touched on the system yet, so all of it is unit-testable
//! without privileges.

use std::ffi::{OsStr, OsString};
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;

use nix::errno::Errno;
use nscore::cli::Flow;
use nscore::getopt::lossy;
use nscore::{Error, NsType, Result};

use crate::cli::Id;

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

/// What util-linux looks at while it reads the options, besides the command line: it
/// opens the files they name, so a missing one is reported before a later bad option.
/// Unit tests give it fakes.
#[derive(Clone, Copy)]
pub struct Context {
    /// Opens a namespace file (or fails as opening it fails).
    pub open_file: fn(&OsStr) -> Result<()>,
    /// Opens a directory given to `-r` or `-w`.
    pub open_dir: fn(&OsStr) -> Result<()>,
}

/// Everything rs-nsenter will do, decided before any system call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub target: Option<TargetSpec>,
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
}

/// Drops the one leading `=` that `-u=/path` leaves in the value.
fn strip_eq(v: &OsStr) -> OsString {
    OsStr::from_bytes(v.as_bytes().strip_prefix(b"=").unwrap_or(v.as_bytes())).to_os_string()
}

/// `PID[:inode]`.
pub fn parse_target(s: &OsStr) -> Result<TargetSpec> {
    let bytes = s.as_bytes();
    let fail = |e| Error::sys(format!("failed to parse PID argument '{}'", lossy(s)), e);
    let (pid, inode) = match bytes.iter().position(|&b| b == b':') {
        Some(i) => (&bytes[..i], Some(&bytes[i + 1..])),
        None => (bytes, None),
    };
    let pid = nscore::ids::parse_pid(pid).map_err(fail)?;
    let inode = inode.map(nscore::ids::parse_u64).transpose().map_err(fail)?;
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
    match nscore::ids::parse_id(v.as_bytes()) {
        Ok(id) => Ok(IdSpec::Id(id)),
        Err(Errno::ERANGE) => Err(Error::sys(format!("failed to parse {what}: '{}'", lossy(v)), Errno::ERANGE)),
        Err(_) => Err(Error::msg(format!("failed to parse {what}: '{}'", lossy(v)))),
    }
}

/// `-N fd`: an int; a negative one is ignored, as util-linux does. Only an out-of-range
/// number gets the errno text in the message.
fn parse_fd(v: &OsStr) -> Result<Option<RawFd>> {
    let fail = |e| {
        let what = format!("failed to parse file descriptor: '{}'", lossy(v));
        if e == Errno::ERANGE {
            Error::sys(what, e)
        } else {
            Error::msg(what)
        }
    };
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

    /// Takes one option in command-line order (util-linux reports the first bad value
    /// first, and `-h` wins only over what follows it), opening the files it names.
    pub fn apply(&mut self, id: Id, val: Option<&OsStr>, ctx: &Context) -> Result<Flow> {
        match id {
            Id::Help => return Ok(Flow::Help),
            Id::Version => return Ok(Flow::Version),
            Id::Ns(t) => self.namespace(t, val, ctx)?,
            Id::Target | Id::NetSocket | Id::Setuid | Id::Setgid => self.numbers(id, val.unwrap_or_default())?,
            Id::Root | Id::Wd | Id::Wdns => self.directory(id, val, ctx)?,
            _ => self.switch(id),
        }
        Ok(Flow::Continue)
    }

    fn namespace(&mut self, t: NsType, val: Option<&OsStr>, ctx: &Context) -> Result<()> {
        let source = match val {
            Some(v) => parse_ns_value(v)?,
            None => NsSource::Target,
        };
        if let NsSource::File(path) = &source {
            (ctx.open_file)(path)?;
        }
        self.ns[t as usize] = Some(source);
        Ok(())
    }

    /// The options whose value is a number (or `follow`).
    fn numbers(&mut self, id: Id, v: &OsStr) -> Result<()> {
        match id {
            Id::Target if self.target.is_some() => return Err(Error::msg("option --target may be given only once")),
            Id::Target => self.target = Some(parse_target(v)?),
            Id::NetSocket => self.net_socket = parse_fd(v)?.or(self.net_socket),
            Id::Setuid => self.uid = Some(parse_id_spec(v, "uid")?),
            _ => self.gid = Some(parse_id_spec(v, "gid")?),
        }
        Ok(())
    }

    /// `-r`, `-w`, `-W`: `-w` and `-W` exclude each other; the directories of `-r` and
    /// `-w` are opened here, that of `-W` only inside the namespaces.
    fn directory(&mut self, id: Id, val: Option<&OsStr>, ctx: &Context) -> Result<()> {
        match id {
            Id::Wd if self.wdns.is_some() => return Err(Error::msg("options --wdns and --wd cannot be combined")),
            Id::Wdns if self.wd.is_some() => return Err(Error::msg("options --wd and --wdns cannot be combined")),
            _ => {}
        }
        let spec = dir_spec(val, id != Id::Root);
        if let (DirSpec::Path(p), false) = (&spec, id == Id::Wdns) {
            (ctx.open_dir)(p)?;
        }
        *match id {
            Id::Root => &mut self.root,
            Id::Wd => &mut self.wd,
            _ => &mut self.wdns,
        } = Some(spec);
        Ok(())
    }

    /// The options without a value.
    fn switch(&mut self, id: Id) {
        *match id {
            Id::All => &mut self.all,
            Id::UserParent => &mut self.user_parent,
            Id::PreserveCredentials => &mut self.preserve_credentials,
            Id::KeepCaps => &mut self.keep_caps,
            Id::Env => &mut self.env,
            Id::NoFork => &mut self.no_fork,
            Id::JoinCgroup => &mut self.join_cgroup,
            _ => &mut self.follow_context,
        } = true;
    }

    /// Whether the user namespace will be entered (asked for, or its parent).
    pub fn enters_user(&self) -> bool {
        self.ns_source(NsType::User).is_some() || self.user_parent
    }

    /// Why a target process is needed, if one is: the first option that reads from it.
    fn needs_target(&self) -> Option<String> {
        if let Some(t) = NsType::ALL.into_iter().find(|t| self.ns_source(*t) == Some(&NsSource::Target)) {
            return Some(format!("--{}", t.long_option()));
        }
        let user_file = matches!(self.ns_source(NsType::User), Some(NsSource::File(_) | NsSource::Id(_)));
        let checks = [
            (self.all, "--all"),
            (self.net_socket.is_some(), "--net-socket"),
            (self.user_parent && !user_file, "--user-parent"),
            (self.root == Some(DirSpec::Target), "--root"),
            (self.wd == Some(DirSpec::Target), "--wd"),
            (self.wdns == Some(DirSpec::Target), "--wdns"),
            (self.env, "--env"),
            (self.join_cgroup, "--join-cgroup"),
            (self.uid == Some(IdSpec::Follow), "--setuid follow"),
            (self.gid == Some(IdSpec::Follow), "--setgid follow"),
        ];
        checks.into_iter().find(|(on, _)| *on).map(|(_, name)| name.to_string())
    }

    /// The checks between options, once all are known.
    pub fn finish(mut self, program: Vec<OsString>) -> Result<Plan> {
        self.program = program;
        if self.follow_context && self.target.is_none() {
            return Err(Error::msg("no target PID specified for --follow-context"));
        }
        if self.target.is_none() && self.needs_target().is_some() {
            return Err(Error::msg("no target PID specified"));
        }
        let any_ns = NsType::ALL.into_iter().any(|t| self.ns_source(t).is_some());
        if !any_ns && !self.all && self.net_socket.is_none() && !self.user_parent {
            return Err(Error::msg("no namespace specified"));
        }
        Ok(self)
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every file opens, except those under `/missing`.
    pub(crate) const CTX: Context = Context {
        open_file: |p| match p.as_bytes().starts_with(b"/missing") {
            true => Err(Error::sys(format!("cannot open {}", lossy(p)), Errno::ENOENT)),
            false => Ok(()),
        },
        open_dir: |p| match p.as_bytes().starts_with(b"/missing") {
            true => Err(Error::sys(format!("cannot open {}", lossy(p)), Errno::ENOENT)),
            false => Ok(()),
        },
    };

    fn plan(opts: &[(Id, Option<&str>)]) -> Result<Plan> {
        let mut p = Plan::default();
        for (id, v) in opts {
            p.apply(*id, v.map(OsStr::new), &CTX)?;
        }
        p.finish(vec![])
    }

    fn err(opts: &[(Id, Option<&str>)]) -> String {
        plan(opts).unwrap_err().to_string()
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
        assert_eq!(err(&[(Id::Setuid, Some("-1"))]), "failed to parse uid: '-1'");
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
        let mut p = Plan::default();
        assert_eq!(p.apply(Id::Help, None, &CTX).unwrap(), Flow::Help);
        assert_eq!(p.apply(Id::Version, None, &CTX).unwrap(), Flow::Version);
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
