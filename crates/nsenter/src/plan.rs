//! Turns command-line options into a [`Plan`]: every number parsed, every rule between
//! options checked, and nothing touched on the system yet, so all of it is unit-testable
//! without privileges.

use std::ffi::{OsStr, OsString};
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;

use nix::errno::Errno;
use nscore::getopt::lossy;
use nscore::{Error, NsType, Result};

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

/// The option identifiers of the getopt table (see `cli.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptId {
    All,
    Target,
    Ns(NsType),
    NetSocket,
    UserParent,
    SetUid,
    SetGid,
    PreserveCredentials,
    KeepCaps,
    Root,
    Wd,
    WdNs,
    Env,
    NoFork,
    JoinCgroup,
    FollowContext,
    Help,
    Version,
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

/// `-N fd`: an int; a negative one is ignored, as util-linux does.
fn parse_fd(v: &OsStr) -> Result<Option<RawFd>> {
    let fail = |e| Error::sys(format!("failed to parse file descriptor: '{}'", lossy(v)), e);
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

/// What an option asks of the caller of [`Plan::apply`].
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Help,
    Version,
}

impl Plan {
    pub fn ns_source(&self, t: NsType) -> Option<&NsSource> {
        self.ns[t as usize].as_ref()
    }

    /// Takes one option in command-line order (util-linux reports the first bad value
    /// first, and `-h` wins only over what follows it).
    pub fn apply(&mut self, id: OptId, val: Option<&OsStr>) -> Result<Flow> {
        match id {
            OptId::Help => return Ok(Flow::Help),
            OptId::Version => return Ok(Flow::Version),
            OptId::All => self.all = true,
            OptId::Target => {
                if self.target.is_some() {
                    return Err(Error::msg("option --target may be given only once"));
                }
                self.target = Some(parse_target(val.unwrap_or_default())?);
            }
            OptId::Ns(t) => {
                self.ns[t as usize] = Some(match val {
                    Some(v) => parse_ns_value(v)?,
                    None => NsSource::Target,
                })
            }
            OptId::NetSocket => {
                if let Some(fd) = parse_fd(val.unwrap_or_default())? {
                    self.net_socket = Some(fd);
                }
            }
            OptId::UserParent => self.user_parent = true,
            OptId::SetUid => self.uid = Some(parse_id_spec(val.unwrap_or_default(), "uid")?),
            OptId::SetGid => self.gid = Some(parse_id_spec(val.unwrap_or_default(), "gid")?),
            OptId::PreserveCredentials => self.preserve_credentials = true,
            OptId::KeepCaps => self.keep_caps = true,
            OptId::Root => self.root = Some(dir_spec(val, false)),
            OptId::Wd => self.wd = Some(dir_spec(val, true)),
            OptId::WdNs => self.wdns = Some(dir_spec(val, true)),
            OptId::Env => self.env = true,
            OptId::NoFork => self.no_fork = true,
            OptId::JoinCgroup => self.join_cgroup = true,
            OptId::FollowContext => self.follow_context = true,
        }
        Ok(Flow::Continue)
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
        if self.wd.is_some() && self.wdns.is_some() {
            return Err(Error::msg("options --wd and --wdns cannot be combined"));
        }
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
mod tests {
    use super::*;

    fn plan(opts: &[(OptId, Option<&str>)]) -> Result<Plan> {
        let mut p = Plan::default();
        for (id, v) in opts {
            p.apply(*id, v.map(OsStr::new))?;
        }
        p.finish(vec![])
    }

    fn err(opts: &[(OptId, Option<&str>)]) -> String {
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
            (OptId::Target, Some("5")),
            (OptId::Ns(NsType::Uts), Some("=/a")),
            (OptId::Ns(NsType::Net), Some("/b")),
            (OptId::Ns(NsType::Ipc), Some(":42")),
            (OptId::Ns(NsType::Mnt), None),
            (OptId::Ns(NsType::Time), Some("==x")),
        ])
        .unwrap();
        assert_eq!(p.ns_source(NsType::Uts), Some(&NsSource::File("/a".into())));
        assert_eq!(p.ns_source(NsType::Net), Some(&NsSource::File("/b".into())));
        assert_eq!(p.ns_source(NsType::Ipc), Some(&NsSource::Id(42)));
        assert_eq!(p.ns_source(NsType::Mnt), Some(&NsSource::Target));
        assert_eq!(p.ns_source(NsType::Time), Some(&NsSource::File("=x".into())));
        assert_eq!(p.ns_source(NsType::Pid), None);
        assert!(err(&[(OptId::Ns(NsType::Net), Some(":x"))]).starts_with("failed to parse nsid: :x"));
    }

    #[test]
    fn ids_are_strict() {
        let p = plan(&[(OptId::Target, Some("1")), (OptId::Ns(NsType::Net), None), (OptId::SetUid, Some("follow"))])
            .unwrap();
        assert_eq!(p.uid, Some(IdSpec::Follow));
        assert_eq!(err(&[(OptId::SetUid, Some("-1"))]), "failed to parse uid: '-1'");
        assert_eq!(
            err(&[(OptId::SetGid, Some("4294967296"))]),
            "failed to parse gid: '4294967296': Numerical result out of range"
        );
        assert_eq!(err(&[(OptId::SetUid, Some("root"))]), "failed to parse uid: 'root'");
        let p = plan(&[(OptId::Ns(NsType::Net), Some("/x")), (OptId::SetGid, Some("4294967294"))]).unwrap();
        assert_eq!(p.gid, Some(IdSpec::Id(4294967294)));
    }

    #[test]
    fn fds() {
        assert_eq!(parse_fd(OsStr::new("3")).unwrap(), Some(3));
        assert_eq!(parse_fd(OsStr::new("-3")).unwrap(), None);
        assert!(parse_fd(OsStr::new("2147483648")).is_err());
        assert_eq!(
            parse_fd(OsStr::new("x")).unwrap_err().to_string(),
            "failed to parse file descriptor: 'x': Invalid argument"
        );
    }

    #[test]
    fn rules_between_options() {
        assert_eq!(err(&[]), "no namespace specified");
        assert_eq!(err(&[(OptId::Target, Some("1")), (OptId::Root, None)]), "no namespace specified");
        assert_eq!(err(&[(OptId::Ns(NsType::Net), None)]), "no target PID specified");
        assert_eq!(err(&[(OptId::All, None)]), "no target PID specified");
        assert_eq!(err(&[(OptId::Ns(NsType::Net), Some("/x")), (OptId::Env, None)]), "no target PID specified");
        assert_eq!(err(&[(OptId::NetSocket, Some("3"))]), "no target PID specified");
        assert_eq!(err(&[(OptId::UserParent, None)]), "no target PID specified");
        assert!(plan(&[(OptId::UserParent, None), (OptId::Ns(NsType::User), Some("/u"))]).is_ok());
        assert_eq!(
            err(&[(OptId::Target, Some("1")), (OptId::Target, Some("2"))]),
            "option --target may be given only once"
        );
        assert_eq!(
            err(&[(OptId::Target, Some("1")), (OptId::All, None), (OptId::Wd, None), (OptId::WdNs, Some("/"))]),
            "options --wd and --wdns cannot be combined"
        );
        assert_eq!(
            err(&[(OptId::Ns(NsType::Net), Some("/x")), (OptId::FollowContext, None)]),
            "no target PID specified for --follow-context"
        );
        let p = plan(&[
            (OptId::Target, Some("1")),
            (OptId::All, None),
            (OptId::Wd, Some("=/d")),
            (OptId::Root, Some("=/r")),
        ])
        .unwrap();
        assert_eq!(p.wd, Some(DirSpec::Path("/d".into())));
        assert_eq!(p.root, Some(DirSpec::Path("=/r".into())));
    }

    #[test]
    fn help_stops_at_its_place() {
        let mut p = Plan::default();
        assert_eq!(p.apply(OptId::Help, None).unwrap(), Flow::Help);
        assert_eq!(p.apply(OptId::Version, None).unwrap(), Flow::Version);
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
