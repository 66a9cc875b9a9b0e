//! Turns command-line options into a [`Plan`]: every "A implies B", "A and B are
//! exclusive" and number rule lives here, checked one option at a time as util-linux's
//! getopt loop checks them, before anything happens, and unit-tested without privileges.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use nix::errno::Errno;
use nscore::exec::Program;
use nscore::getopt::lossy;
use nscore::idmap::{parse_map_spec, MapSpec};
use nscore::ids::{gid_from_str, parse_i64, parse_id, uid_from_str};
use nscore::invocation::{read_options, Flow, Outcome};
use nscore::{Error, NsSet, NsType, Result};

use crate::options::{Id, OPTIONS, ORDERING};

/// What the caller's environment contributes to the plan.
#[derive(Debug, Clone)]
pub struct Context {
    pub euid: u32,
    pub egid: u32,
    /// The real uid, whose passwd shell is the fallback program.
    pub uid: u32,
    pub shell: Option<OsString>,
    /// Reads the environment at start-up (`NAME=value`), when `--clear-env` or
    /// `--whitelist-env` needs it.
    pub env: fn() -> Vec<OsString>,
}

impl Context {
    /// This process's ids and environment.
    pub fn current() -> Context {
        Context {
            euid: nix::unistd::geteuid().as_raw(),
            egid: nix::unistd::getegid().as_raw(),
            uid: nix::unistd::getuid().as_raw(),
            shell: std::env::var_os("SHELL"),
            env: nscore::exec::current_env,
        }
    }
}

/// The mount propagation applied to `/` in a new mount namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    Private,
    Shared,
    Slave,
    Unchanged,
}

impl Propagation {
    fn parse(s: &str) -> Result<Propagation> {
        Ok(match s {
            "private" => Propagation::Private,
            "shared" => Propagation::Shared,
            "slave" => Propagation::Slave,
            "unchanged" => Propagation::Unchanged,
            _ => return Err(Error::msg(format!("unsupported propagation mode: {s}"))),
        })
    }
}

/// `--setgroups` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setgroups {
    Allow,
    Deny,
}

impl Setgroups {
    pub fn as_str(self) -> &'static str {
        match self {
            Setgroups::Allow => "allow",
            Setgroups::Deny => "deny",
        }
    }
}

/// binfmt_misc work: where to mount it, and an interpreter to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binfmt {
    pub dir: PathBuf,
    pub interp: Option<OsString>,
}

impl Binfmt {
    /// The `F` (fix binary) flag: the interpreter is opened at registration, so it must
    /// be registered before a chroot hides it.
    pub fn fix_binary(&self) -> bool {
        self.interp
            .as_deref()
            .and_then(|i| i.as_bytes().rsplit(|&b| b == b':').next())
            .is_some_and(|f| f.contains(&b'F'))
    }
}

/// Everything rs-unshare will do, resolved and validated.
#[derive(Debug, Clone)]
pub struct Plan {
    pub namespaces: NsSet,
    /// `--<type>=file`: bind mounts that keep namespaces alive, in command-line order.
    pub persist: Vec<(NsType, PathBuf)>,
    pub fork: bool,
    pub kill_child: Option<i32>,
    pub forward_signals: bool,
    pub mount_proc: Option<PathBuf>,
    pub binfmt: Option<Binfmt>,
    pub propagation: Propagation,
    pub root: Option<PathBuf>,
    pub wd: Option<PathBuf>,
    pub setuid: Option<u32>,
    pub setgid: Option<u32>,
    /// The single uid mapping: inner id for our euid.
    pub map_user: Option<u32>,
    pub map_group: Option<u32>,
    pub map_users: Vec<MapSpec>,
    pub map_groups: Vec<MapSpec>,
    pub owner: Option<(u32, u32)>,
    pub setgroups: Option<Setgroups>,
    pub keep_caps: bool,
    pub monotonic: Option<i64>,
    pub boottime: Option<i64>,
    /// `None`: the program inherits our environment; `Some`: exactly these entries.
    pub env: Option<Vec<OsString>>,
    pub program: Program,
    pub euid: u32,
    pub egid: u32,
}

/// What `main` should do.
#[derive(Debug)]
pub enum Action {
    Help,
    Version,
    Run(Box<Plan>),
}

fn value(v: &Option<OsString>) -> &OsStr {
    v.as_deref().unwrap_or_default()
}

/// Reads the command line (without argv\[0\]) into what to do. Each option is checked
/// as it comes, as util-linux's getopt loop checks it, so the first mistake on the line
/// is the one reported; the rules between options are checked after the last one.
pub fn parse(args: &[OsString], ctx: &Context) -> Result<Action> {
    let mut b = Builder::new(ctx);
    Ok(match read_options(args, OPTIONS, ORDERING, |id, v| b.apply(id, v))? {
        Outcome::Help => Action::Help,
        Outcome::Version => Action::Version,
        Outcome::Operands(operands) => Action::Run(Box::new(b.finish(&operands)?)),
    })
}

/// The plan while the options come in, with what later options may still change.
struct Builder<'c> {
    ctx: &'c Context,
    plan: Plan,
    clear_env: bool,
    whitelist: Vec<OsString>,
    binfmt_dir: Option<PathBuf>,
    binfmt_default: bool,
    interp: Option<OsString>,
}

impl<'c> Builder<'c> {
    fn new(ctx: &'c Context) -> Self {
        let plan = Plan {
            namespaces: NsSet::EMPTY,
            persist: Vec::new(),
            fork: false,
            kill_child: None,
            forward_signals: false,
            mount_proc: None,
            binfmt: None,
            propagation: Propagation::Private,
            root: None,
            wd: None,
            setuid: None,
            setgid: None,
            map_user: None,
            map_group: None,
            map_users: Vec::new(),
            map_groups: Vec::new(),
            owner: None,
            setgroups: None,
            keep_caps: false,
            monotonic: None,
            boottime: None,
            env: None,
            program: Program { path: OsString::new(), argv: Vec::new() },
            euid: ctx.euid,
            egid: ctx.egid,
        };
        Builder {
            ctx,
            plan,
            clear_env: false,
            whitelist: Vec::new(),
            binfmt_dir: None,
            binfmt_default: false,
            interp: None,
        }
    }

    /// Takes one option, checking its value. Every option has its own arm (no `_`), so an
    /// option added to the definition in `crates/clidef` does not compile until it is
    /// handled here; the helpers take values, not option ids.
    fn apply(&mut self, id: Id, v: Option<OsString>) -> Result<Flow> {
        let text = || lossy(value(&v));
        match id {
            Id::Help => return Ok(Flow::Help),
            Id::Version => return Ok(Flow::Version),
            Id::Ns(t) => self.namespace(t, v),
            Id::Fork => self.plan.fork = true,
            Id::KillChild => (self.plan.fork, self.plan.kill_child) = (true, Some(kill_signal(v.as_deref())?)),
            Id::ForwardSignals => (self.plan.fork, self.plan.forward_signals) = (true, true),
            Id::MountProc => self.mount_proc(v),
            Id::MountBinfmt => self.binfmt(v),
            Id::LoadInterp => self.load_interp(v),
            Id::MapUser => self.user_ns().map_user = Some(uid_from_str(value(&v)).map_err(|e| bad_map(&v, "uid", e))?),
            Id::MapGroup => {
                self.user_ns().map_group = Some(gid_from_str(value(&v)).map_err(|e| bad_map(&v, "gid", e))?)
            }
            Id::MapRootUser => self.single_maps(0, 0),
            Id::MapCurrentUser => self.single_maps(self.ctx.euid, self.ctx.egid),
            Id::MapAuto => self.both_range_maps(MapSpec::Auto),
            Id::MapSubids => self.both_range_maps(MapSpec::Subids),
            Id::MapUsers => self.user_ns().map_users.push(parse_map_spec(&text())?),
            Id::MapGroups => self.user_ns().map_groups.push(parse_map_spec(&text())?),
            Id::Owner => {
                self.user_ns().owner = Some(parse_owner(value(&v)).ok_or_else(|| Error::msg("failed to parse owner"))?)
            }
            Id::Propagation => self.plan.propagation = Propagation::parse(&text())?,
            Id::Setgroups => self.plan.setgroups = Some(parse_setgroups(value(&v))?),
            Id::KeepCaps => self.plan.keep_caps = true,
            Id::Setuid => self.plan.setuid = Some(parse_id_of(&v, "uid")?),
            Id::Setgid => self.plan.setgid = Some(parse_id_of(&v, "gid")?),
            Id::Root => self.plan.root = v.map(PathBuf::from),
            Id::Wd => self.plan.wd = v.map(PathBuf::from),
            Id::Monotonic => self.plan.monotonic = Some(parse_offset(&v, "monotonic offset")?),
            Id::Boottime => self.plan.boottime = Some(parse_offset(&v, "boottime offset")?),
            Id::ClearEnv => self.clear_env = true,
            Id::WhitelistEnv => self
                .whitelist
                .extend(nscore::getopt::split_commas(value(&v)).filter(|s| !s.is_empty()).map(OsStr::to_os_string)),
        }
        Ok(Flow::Continue)
    }

    fn namespace(&mut self, t: NsType, file: Option<OsString>) {
        self.plan.namespaces.insert(t);
        if let Some(file) = file {
            self.plan.persist.retain(|(pt, _)| *pt != t);
            self.plan.persist.push((t, PathBuf::from(file)));
        }
    }

    /// The plan, for an option that implies `--user`: the id maps and `--owner`.
    fn user_ns(&mut self) -> &mut Plan {
        self.plan.namespaces.insert(NsType::User);
        &mut self.plan
    }

    /// `--map-root-user`, `--map-current-user`: both single maps (the last such option wins).
    fn single_maps(&mut self, uid: u32, gid: u32) {
        let p = self.user_ns();
        (p.map_user, p.map_group) = (Some(uid), Some(gid));
    }

    /// `--map-auto`, `--map-subids`: a range for users and one for groups (range maps add up).
    fn both_range_maps(&mut self, spec: MapSpec) {
        let p = self.user_ns();
        p.map_users.push(spec);
        p.map_groups.push(spec);
    }

    fn mount_proc(&mut self, dir: Option<OsString>) {
        self.plan.namespaces.insert(NsType::Mnt);
        self.plan.mount_proc = Some(dir.map_or_else(|| PathBuf::from("/proc"), PathBuf::from));
    }

    /// `--mount-binfmt[=DIR]` and `--load-interp` need a mount and a user namespace.
    fn binfmt(&mut self, dir: Option<OsString>) {
        self.plan.namespaces.insert(NsType::Mnt);
        self.plan.namespaces.insert(NsType::User);
        match dir {
            Some(d) => self.binfmt_dir = Some(PathBuf::from(d)),
            None => self.binfmt_default = true,
        }
    }

    fn load_interp(&mut self, interp: Option<OsString>) {
        self.plan.namespaces.insert(NsType::Mnt);
        self.plan.namespaces.insert(NsType::User);
        self.interp = interp;
        self.binfmt_default |= self.binfmt_dir.is_none();
    }

    /// The rules between options, once all are known, and the program.
    fn finish(mut self, operands: &[OsString]) -> Result<Plan> {
        if self.binfmt_default || self.binfmt_dir.is_some() {
            if self.binfmt_dir.is_none() && self.plan.mount_proc.is_none() {
                // the default binfmt_misc directory lives in a proc of the new namespaces
                self.plan.mount_proc = Some(PathBuf::from("/proc"));
            }
            let dir = self.binfmt_dir.take().unwrap_or_else(|| PathBuf::from("/proc/sys/fs/binfmt_misc"));
            self.plan.binfmt = Some(Binfmt { dir, interp: self.interp.take() });
        }
        self.plan.check()?;
        if self.clear_env || !self.whitelist.is_empty() {
            self.plan.env = Some(kept_env((self.ctx.env)(), &self.whitelist));
        }
        self.plan.program = Program::command(operands)
            .unwrap_or_else(|| nscore::exec::default_shell(self.ctx.shell.clone(), self.ctx.uid));
        Ok(self.plan)
    }
}

/// The entries of `env` whose names are in `names`.
fn kept_env(env: Vec<OsString>, names: &[OsString]) -> Vec<OsString> {
    env.into_iter()
        .filter(|e| {
            let name = e.as_bytes().split(|&b| b == b'=').next().unwrap_or_default();
            names.iter().any(|w| w.as_bytes() == name)
        })
        .collect()
}

/// `--kill-child[=SIGNAL]`: SIGKILL without a name.
fn kill_signal(v: Option<&OsStr>) -> Result<i32> {
    match v {
        None => Ok(libc::SIGKILL),
        Some(s) => nscore::signal::parse_signal_name(&lossy(s))
            .ok_or_else(|| Error::msg(format!("unknown signal: {}", lossy(s)))),
    }
}

/// A `--map-user`/`--map-group` value that is not an id (`kind` is `uid` or `gid`).
fn bad_map(v: &Option<OsString>, kind: &str, e: Errno) -> Error {
    Error::sys(format!("failed to parse {kind} '{}'", lossy(value(v))), single_map_errno(e))
}

fn parse_setgroups(v: &OsStr) -> Result<Setgroups> {
    match v.as_bytes() {
        b"allow" => Ok(Setgroups::Allow),
        b"deny" => Ok(Setgroups::Deny),
        _ => Err(Error::msg(format!("unsupported --setgroups argument '{}'", lossy(v)))),
    }
}

/// `--setuid`/`--setgid` (`what` is `uid` or `gid`).
fn parse_id_of(v: &Option<OsString>, what: &str) -> Result<u32> {
    parse_id(value(v).as_bytes()).map_err(|e| Error::parse_failure(what, value(v), e))
}

/// `--monotonic`/`--boottime`.
fn parse_offset(v: &Option<OsString>, what: &str) -> Result<i64> {
    parse_i64(value(v).as_bytes()).map_err(|e| Error::parse_failure(what, value(v), e))
}

/// util-linux reports a bad `--map-user` value with EINVAL; an out-of-range number keeps
/// its own errno so the message says why.
fn single_map_errno(e: Errno) -> Errno {
    if e == Errno::ERANGE {
        e
    } else {
        Errno::EINVAL
    }
}

/// `uid:gid`, both plain numbers.
fn parse_owner(s: &OsStr) -> Option<(u32, u32)> {
    let b = s.as_bytes();
    let colon = b.iter().position(|&c| c == b':')?;
    Some((parse_id(&b[..colon]).ok()?, parse_id(&b[colon + 1..]).ok()?))
}

impl Plan {
    /// The rules between options.
    fn check(&self) -> Result<()> {
        let ns = self.namespaces;
        if (self.monotonic.is_some() || self.boottime.is_some()) && !ns.contains(NsType::Time) {
            return Err(Error::msg("options --monotonic and --boottime require unsharing of a time namespace (-T)"));
        }
        if self.persist.iter().any(|(t, _)| *t == NsType::Pid) && !self.fork {
            // pid_for_children exists only once a child was forked
            return Err(Error::msg("persisting a PID namespace (--pid=<file>) requires --fork"));
        }
        if self.setgroups == Some(Setgroups::Allow) && self.writes_own_gid_map() {
            return Err(Error::msg("options --setgroups=allow and --map-group are mutually exclusive"));
        }
        Ok(())
    }

    /// Whether a helper process writes this kind's map (ranges, or `--owner`, which leaves
    /// us without the rights to write our own).
    pub fn uid_map_by_helper(&self) -> bool {
        !self.map_users.is_empty() || (self.owner.is_some() && self.map_user.is_some())
    }

    pub fn gid_map_by_helper(&self) -> bool {
        !self.map_groups.is_empty() || (self.owner.is_some() && self.map_group.is_some())
    }

    /// Whether this process writes its own single gid map (which needs `deny` in
    /// setgroups first).
    pub fn writes_own_gid_map(&self) -> bool {
        self.map_group.is_some() && !self.gid_map_by_helper()
    }

    /// Whether persistence needs the helper forked before `unshare(2)`: after a new
    /// mount namespace our bind mounts would land in it, and after a new user namespace
    /// we lack the rights over the original mount namespace.
    pub fn bind_helper_needed(&self) -> bool {
        !self.persist.is_empty() && (self.namespaces.contains(NsType::Mnt) || self.namespaces.contains(NsType::User))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            euid: 1000,
            egid: 100,
            uid: 1000,
            shell: Some("/bin/bash".into()),
            env: || vec!["A=1".into(), "B=2".into(), "PATH=/bin".into()],
        }
    }

    fn action(v: &[&str]) -> Result<Action> {
        parse(&v.iter().map(OsString::from).collect::<Vec<_>>(), &ctx())
    }

    fn plan_of(v: &[&str]) -> Result<Plan> {
        match action(v)? {
            Action::Run(p) => Ok(*p),
            other => panic!("{other:?}"),
        }
    }

    fn err_of(v: &[&str]) -> String {
        plan_of(v).unwrap_err().to_string()
    }

    #[test]
    fn implications() {
        let p = plan_of(&["-r"]).unwrap();
        assert!(p.namespaces.contains(NsType::User));
        assert_eq!((p.map_user, p.map_group), (Some(0), Some(0)));
        let p = plan_of(&["-c"]).unwrap();
        assert_eq!((p.map_user, p.map_group), (Some(1000), Some(100)));
        let p = plan_of(&["--mount-proc"]).unwrap();
        assert!(p.namespaces.contains(NsType::Mnt) && !p.namespaces.contains(NsType::Pid) && !p.fork);
        assert_eq!(p.mount_proc, Some(PathBuf::from("/proc")));
        let p = plan_of(&["--kill-child"]).unwrap();
        assert!(p.fork);
        assert_eq!(p.kill_child, Some(libc::SIGKILL));
        assert!(plan_of(&["--forward-signals"]).unwrap().fork);
        let p = plan_of(&["--map-auto"]).unwrap();
        assert_eq!((p.map_users.clone(), p.map_groups.clone()), (vec![MapSpec::Auto], vec![MapSpec::Auto]));
        assert!(p.uid_map_by_helper() && p.namespaces.contains(NsType::User));
        let p = plan_of(&["--map-subids"]).unwrap();
        assert_eq!(p.map_users, vec![MapSpec::Subids]);
        let p = plan_of(&["--owner=5:6"]).unwrap();
        assert_eq!(p.owner, Some((5, 6)));
        assert!(p.namespaces.contains(NsType::User) && !p.uid_map_by_helper());
        assert!(plan_of(&["--owner=5:6", "-r"]).unwrap().uid_map_by_helper());
    }

    #[test]
    fn binfmt_implications() {
        let p = plan_of(&["--mount-binfmt"]).unwrap();
        assert!(p.namespaces.contains(NsType::User) && p.namespaces.contains(NsType::Mnt));
        assert_eq!(p.binfmt.as_ref().unwrap().dir, PathBuf::from("/proc/sys/fs/binfmt_misc"));
        assert_eq!(p.mount_proc, Some(PathBuf::from("/proc")));
        let p = plan_of(&["--mount-binfmt=/b"]).unwrap();
        assert_eq!(p.binfmt.unwrap().dir, PathBuf::from("/b"));
        assert_eq!(p.mount_proc, None);
        let p = plan_of(&["-l", ":x:E::x::/bin/cat:F"]).unwrap();
        let b = p.binfmt.unwrap();
        assert!(b.fix_binary());
        assert_eq!(b.dir, PathBuf::from("/proc/sys/fs/binfmt_misc"));
        assert_eq!(p.mount_proc, Some(PathBuf::from("/proc")));
        assert!(!plan_of(&["-l", ":x:E::x::/bin/cat:"]).unwrap().binfmt.unwrap().fix_binary());
    }

    #[test]
    fn last_single_mapping_wins() {
        let p = plan_of(&["-r", "--map-user=7", "-c", "--map-group=root"]).unwrap();
        assert_eq!((p.map_user, p.map_group), (Some(1000), Some(0)));
        let p = plan_of(&["--map-user=root"]).unwrap();
        assert_eq!(p.map_user, Some(0));
    }

    #[test]
    fn persistence() {
        let p = plan_of(&["--net=/a", "--uts=/b", "--net=/c"]).unwrap();
        assert_eq!(p.persist, vec![(NsType::Uts, PathBuf::from("/b")), (NsType::Net, PathBuf::from("/c"))]);
        assert!(!p.bind_helper_needed());
        assert!(plan_of(&["--net=/a", "-m"]).unwrap().bind_helper_needed());
        assert!(plan_of(&["--user=/a"]).unwrap().bind_helper_needed());
        assert_eq!(err_of(&["--pid=/a"]), "persisting a PID namespace (--pid=<file>) requires --fork");
        assert!(plan_of(&["--pid=/a", "-f"]).is_ok());
    }

    #[test]
    fn bad_values() {
        assert_eq!(err_of(&["--propagation=foo"]), "unsupported propagation mode: foo");
        assert_eq!(err_of(&["--setgroups=foo"]), "unsupported --setgroups argument 'foo'");
        assert_eq!(err_of(&["--kill-child=15"]), "unknown signal: 15");
        assert_eq!(err_of(&["-S", "abc"]), "failed to parse uid: 'abc'");
        assert_eq!(err_of(&["-S", "-1"]), "failed to parse uid: '-1': Numerical result out of range");
        assert_eq!(err_of(&["-S", "4294967296"]), "failed to parse uid: '4294967296': Numerical result out of range");
        assert_eq!(err_of(&["-G", "x"]), "failed to parse gid: 'x'");
        assert_eq!(err_of(&["--map-user=-1"]), "failed to parse uid '-1': Numerical result out of range");
        assert_eq!(err_of(&["--map-user=nosuchuserxyz"]), "failed to parse uid 'nosuchuserxyz': Invalid argument");
        assert_eq!(
            err_of(&["--map-group=4294967295"]),
            "failed to parse gid '4294967295': Numerical result out of range"
        );
        assert_eq!(err_of(&["--map-users=1:2"]), "invalid mapping '1:2'");
        assert_eq!(err_of(&["--map-groups=0:4294967000:1000"]), "invalid mapping '0:4294967000:1000'");
        assert_eq!(err_of(&["--owner=1"]), "failed to parse owner");
        assert_eq!(err_of(&["--owner=1:-1"]), "failed to parse owner");
        assert_eq!(err_of(&["-T", "--monotonic", "abc"]), "failed to parse monotonic offset: 'abc'");
        assert_eq!(
            err_of(&["-T", "--boottime", "99999999999999999999"]),
            "failed to parse boottime offset: '99999999999999999999': Numerical result out of range"
        );
    }

    #[test]
    fn exclusions() {
        assert_eq!(
            err_of(&["--monotonic", "5"]),
            "options --monotonic and --boottime require unsharing of a time namespace (-T)"
        );
        let p = plan_of(&["-T", "--monotonic", "-5", "--boottime=+7"]).unwrap();
        assert_eq!((p.monotonic, p.boottime), (Some(-5), Some(7)));
        assert_eq!(
            err_of(&["-r", "--setgroups=allow"]),
            "options --setgroups=allow and --map-group are mutually exclusive"
        );
        // with a range map the single mapping is written by the helper: allow is fine
        assert!(plan_of(&["-r", "--map-groups=1:100000:10", "--setgroups=allow"]).is_ok());
    }

    #[test]
    fn environment() {
        assert_eq!(plan_of(&["true"]).unwrap().env, None);
        assert_eq!(plan_of(&["--clear-env", "true"]).unwrap().env, Some(vec![]));
        let p = plan_of(&["--whitelist-env", "B", "--whitelist-env=PATH,NOPE", "true"]).unwrap();
        assert_eq!(p.env, Some(vec![OsString::from("B=2"), OsString::from("PATH=/bin")]));
    }

    #[test]
    fn program_or_shell() {
        let p = plan_of(&["-U", "ls", "-l"]).unwrap();
        assert_eq!(p.program.argv, vec![OsString::from("ls"), OsString::from("-l")]);
        let p = plan_of(&["-U"]).unwrap();
        assert_eq!(p.program.path, "/bin/bash");
        assert_eq!(p.program.argv, vec![OsString::from("-bash")]);
    }

    #[test]
    fn help_and_version_win() {
        assert!(matches!(action(&["-h", "--bogus-later-is-not-reached"]), Ok(Action::Help)));
        assert!(matches!(action(&["-V", "-h"]), Ok(Action::Version)));
        assert!(matches!(action(&["-f", "--help", "--propagation=bad"]), Ok(Action::Help)));
    }

    #[test]
    fn the_first_mistake_is_reported() {
        // values are checked as they come, as util-linux's getopt loop checks them
        assert_eq!(err_of(&["--propagation=foo", "--bogus"]), "unsupported propagation mode: foo");
        assert_eq!(err_of(&["--bogus", "--propagation=foo"]), "unrecognized option '--bogus'");
        assert_eq!(err_of(&["-S", "x", "-h"]), "failed to parse uid: 'x'");
        assert_eq!(err_of(&["--kill-child=15", "-x"]), "unknown signal: 15");
        assert_eq!(err_of(&["--map-users=1:2", "--map-gr=0"]), "invalid mapping '1:2'");
        // the rules between options come after the last option
        assert_eq!(err_of(&["--monotonic=5", "--bogus"]), "unrecognized option '--bogus'");
        assert!(matches!(action(&["--monotonic=5", "-h"]), Ok(Action::Help)));
    }
}
