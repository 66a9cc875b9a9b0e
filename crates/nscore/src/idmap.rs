//! User-namespace id maps: the `--map-users`/`--map-groups` specs, subordinate-id files,
//! the hole-punching merge of a single mapping into ranges, and writing map files.
//!
//! Everything except the writers ([`write_proc_file`], [`write_map_file`]) is pure, so
//! the merge rules (which users notice when their ids shift) are unit-tested without
//! privileges; the writes go through the [`Syscall`] seam, so their order is unit-tested
//! too.
//!
//! ```
//! use nscore::idmap::{map_text, merge_single, parse_map_file, parse_map_spec, IdRange, MapSpec};
//!
//! // --map-users=0:100000:65536 is inner:outer:count; the legacy form is outer,inner,count
//! let MapSpec::Range(range) = parse_map_spec("0:100000:65536")? else { unreachable!() };
//! assert_eq!(range, IdRange { inner: 0, outer: 100000, count: 65536 });
//! assert_eq!(parse_map_spec("100000,0,65536")?, MapSpec::Range(range));
//! assert_eq!(parse_map_spec("0:100000:0").unwrap_err().to_string(), "invalid mapping '0:100000:0'");
//!
//! // with --map-root-user (inner 0 is our uid 1000) the range gives up inner id 0, so
//! // no id is mapped twice and the kernel accepts the map
//! let root = IdRange { inner: 0, outer: 1000, count: 1 };
//! let map = merge_single(root, &[range.into()]);
//! assert_eq!(map_text(&map), "0 1000 1\n1 100000 65535\n");
//! // and reads back what the kernel shows in /proc/PID/uid_map, padding and all
//! assert_eq!(parse_map_file("         0       1000          1\n         1     100000      65535\n"), map);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write as _;
use std::os::fd::AsFd;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use crate::error::Error;
use crate::ids::{parse_id, MAX_ID};
use crate::seam::Syscall;

/// Which id kind a map is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// User ids: `uid_map`, `/etc/subuid`, `newuidmap`.
    Uid,
    /// Group ids: `gid_map`, `/etc/subgid`, `newgidmap`.
    Gid,
}

impl IdKind {
    /// `uid_map` or `gid_map`.
    pub fn map_file(self) -> &'static str {
        match self {
            IdKind::Uid => "uid_map",
            IdKind::Gid => "gid_map",
        }
    }

    /// `/etc/subuid` or `/etc/subgid`.
    pub fn subid_file(self) -> &'static str {
        match self {
            IdKind::Uid => "/etc/subuid",
            IdKind::Gid => "/etc/subgid",
        }
    }

    /// `newuidmap` or `newgidmap`.
    pub fn helper(self) -> &'static str {
        match self {
            IdKind::Uid => "newuidmap",
            IdKind::Gid => "newgidmap",
        }
    }
}

/// One `--map-users`/`--map-groups` value as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapSpec {
    /// `inner:outer:count`, or the legacy `outer,inner,count`.
    Range(IdRange),
    /// The caller's first subordinate block, mapped from inner id 0.
    Auto,
    /// The caller's first subordinate block, mapped onto itself.
    Subids,
    /// Every id of the current namespace onto itself.
    All,
}

/// A range of a map: `count` ids from `inner` inside onto `outer` outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    /// The first id inside the namespace.
    pub inner: u32,
    /// The id that `inner` stands for in the parent user namespace.
    pub outer: u32,
    /// How many consecutive ids (at least 1 in a parsed spec).
    pub count: u32,
}

/// A range before merging: an `auto` range has no inner start yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingRange {
    /// The first id inside, or `None` for `auto`, which is placed when the map is laid
    /// out ([`merge_single`], [`finalize`]).
    pub inner: Option<u32>,
    /// As [`IdRange::outer`].
    pub outer: u32,
    /// As [`IdRange::count`].
    pub count: u32,
}

impl From<IdRange> for PendingRange {
    fn from(r: IdRange) -> Self {
        PendingRange { inner: Some(r.inner), outer: r.outer, count: r.count }
    }
}

/// Checks that a range is non-empty and stays within valid ids on both sides.
fn checked_range(inner: u64, outer: u64, count: u64) -> Option<IdRange> {
    let max = u64::from(MAX_ID);
    if count == 0 || inner + count - 1 > max || outer + count - 1 > max {
        return None;
    }
    Some(IdRange { inner: inner as u32, outer: outer as u32, count: count as u32 })
}

/// Parses a `--map-users`/`--map-groups` value. The error is util-linux's message.
pub fn parse_map_spec(s: &str) -> Result<MapSpec, Error> {
    match s {
        "auto" => return Ok(MapSpec::Auto),
        "subids" => return Ok(MapSpec::Subids),
        "all" => return Ok(MapSpec::All),
        _ => {}
    }
    let invalid = || Error::msg(format!("invalid mapping '{s}'"));
    let (sep, legacy) = if s.contains(':') { (':', false) } else { (',', true) };
    let parts: Vec<&str> = s.split(sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(invalid());
    };
    let num = |p: &str| parse_id(p.as_bytes()).map(u64::from).map_err(|_| invalid());
    let (inner, outer) = if legacy { (num(b)?, num(a)?) } else { (num(a)?, num(b)?) };
    let count = crate::ids::parse_u64(c.as_bytes()).map_err(|_| invalid())?;
    if count > u64::from(u32::MAX) {
        return Err(invalid());
    }
    checked_range(inner, outer, count).map(MapSpec::Range).ok_or_else(invalid)
}

/// A line of `/etc/subuid` (or `/etc/subgid`) that names the user but has bad numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to parse subid map: '{0}'")]
pub struct BadSubidLine(pub String);

/// Finds the first subordinate-id block of a user in `/etc/subuid`-format text (see
/// [`subid_blocks`]); a matching line with bad numbers is an error, as util-linux
/// reports it.
pub fn find_subid_block(text: &str, name: Option<&str>, uid: u32) -> Result<Option<(u32, u32)>, BadSubidLine> {
    subid_blocks(text, name, uid).next().transpose()
}

/// Every subordinate-id block of a user in `/etc/subuid`-format text, in file order: the
/// lines whose owner field is the user's name or numeric uid, each as `(start, count)`
/// or, where its numbers are bad, the line. Malformed lines are skipped.
pub fn subid_blocks<'a>(
    text: &'a str,
    name: Option<&'a str>,
    uid: u32,
) -> impl Iterator<Item = Result<(u32, u32), BadSubidLine>> + 'a {
    let uid_s = uid.to_string();
    text.lines().filter_map(move |line| {
        let mut f = line.splitn(3, ':');
        let (owner, start, count) = (f.next()?, f.next()?, f.next()?);
        if owner != uid_s && Some(owner) != name {
            return None;
        }
        let bad = || BadSubidLine(line.to_string());
        let block = (|| {
            let start = parse_id(start.trim().as_bytes()).ok()?;
            let count = parse_id(count.trim().as_bytes()).ok()?;
            checked_range(0, u64::from(start), u64::from(count)).map(|_| (start, count))
        })();
        Some(block.ok_or_else(bad))
    })
}

/// Parses a `uid_map`/`gid_map` file's lines (`inner outer count`).
pub fn parse_map_file(text: &str) -> Vec<IdRange> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_ascii_whitespace().map(|x| x.parse::<u64>().ok());
            let (inner, outer, count) = (f.next()??, f.next()??, f.next()??);
            Some(IdRange { inner: inner as u32, outer: outer as u32, count: count.min(u64::from(u32::MAX)) as u32 })
        })
        .collect()
}

/// Merges a single mapping (`inner` → `outer`, one id) into ranges, as util-linux does:
///
/// * an `auto` range starts at inner 0 and keeps its full size;
/// * any other range that covers `outer` on its outer side or `inner` on its inner side
///   (upper bound inclusive) gives up one id;
/// * each range is then laid out so that its inner ids skip `inner` and its outer ids
///   skip `outer`, which splits it into up to three pieces;
/// * the single mapping comes first.
pub fn merge_single(single: IdRange, ranges: &[PendingRange]) -> Vec<IdRange> {
    let (hole_in, hole_out) = (u64::from(single.inner), u64::from(single.outer));
    let mut out = vec![single];
    for r in ranges {
        let outer = u64::from(r.outer);
        let (inner, count) = match r.inner {
            None => (0u64, u64::from(r.count)),
            Some(i) => {
                let i = u64::from(i);
                let c = u64::from(r.count);
                let covers = |start: u64, id: u64| id >= start && id <= start + c;
                if covers(outer, hole_out) || covers(i, hole_in) {
                    (i, c - 1)
                } else {
                    (i, c)
                }
            }
        };
        // k-th id of the range on one side, skipping that side's hole
        let at =
            |start: u64, hole: u64, k: u64| if hole >= start && start + k >= hole { start + k + 1 } else { start + k };
        let mut cuts: Vec<u64> = [hole_in.checked_sub(inner), hole_out.checked_sub(outer)]
            .into_iter()
            .flatten()
            .filter(|&k| k > 0 && k < count)
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut from = 0;
        for to in cuts.into_iter().chain(std::iter::once(count)) {
            let (i, o) = (at(inner, hole_in, from), at(outer, hole_out, from));
            let len = to - from;
            if len > 0 && i + len - 1 <= u64::from(MAX_ID) && o + len - 1 <= u64::from(MAX_ID) {
                out.push(IdRange { inner: i as u32, outer: o as u32, count: len as u32 });
            }
            from = to;
        }
    }
    out
}

/// Lays out ranges with no single mapping: `auto` ranges start at inner 0.
pub fn finalize(ranges: &[PendingRange]) -> Vec<IdRange> {
    ranges.iter().map(|r| IdRange { inner: r.inner.unwrap_or(0), outer: r.outer, count: r.count }).collect()
}

/// The text of a map file, one `inner outer count` line per range.
pub fn map_text(ranges: &[IdRange]) -> String {
    let mut s = String::new();
    for r in ranges {
        let _ = writeln!(s, "{} {} {}", r.inner, r.outer, r.count);
    }
    s
}

/// Writes `data` to a `/proc` control file (`uid_map`, `setgroups`, `timens_offsets`)
/// with exactly one `write(2)`: the kernel accepts a map file's content only whole and
/// only once, and a buffered writer might split it.
pub fn write_proc_file<S: Syscall>(
    sys: &mut S,
    path: &str,
    data: &[u8],
    open_what: &str,
    write_what: &str,
) -> Result<(), Error> {
    let fd = sys
        .open(None, Path::new(path), OFlag::O_WRONLY | OFlag::O_CLOEXEC, Mode::empty())
        .map_err(|e| Error::sys(format!("{open_what} {path}"), e))?;
    match sys.write(fd.as_fd(), data) {
        Ok(n) if n == data.len() => Ok(()),
        Ok(_) => Err(Error::sys(format!("{write_what} {path}"), Errno::EIO)),
        Err(e) => Err(Error::sys(format!("{write_what} {path}"), e)),
    }
}

/// Writes a map file in one piece; maps above the kernel's 4 KiB limit are refused.
pub fn write_map_file<S: Syscall>(sys: &mut S, path: &str, ranges: &[IdRange]) -> Result<(), Error> {
    let text = map_text(ranges);
    if text.len() > 4096 {
        return Err(Error::msg(format!("{path} too large for kernel 4k limit")));
    }
    write_proc_file(sys, path, text.as_bytes(), "cannot open", "write failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(inner: u32, outer: u32, count: u32) -> IdRange {
        IdRange { inner, outer, count }
    }

    fn auto(outer: u32, count: u32) -> PendingRange {
        PendingRange { inner: None, outer, count }
    }

    #[test]
    fn specs() {
        assert_eq!(parse_map_spec("0:100000:65536").unwrap(), MapSpec::Range(r(0, 100000, 65536)));
        assert_eq!(parse_map_spec("100000,0,65536").unwrap(), MapSpec::Range(r(0, 100000, 65536)));
        assert_eq!(parse_map_spec("auto").unwrap(), MapSpec::Auto);
        assert_eq!(parse_map_spec("subids").unwrap(), MapSpec::Subids);
        assert_eq!(parse_map_spec("all").unwrap(), MapSpec::All);
        assert_eq!(parse_map_spec("0:0:4294967295").unwrap(), MapSpec::Range(r(0, 0, 4294967295)));
        for bad in
            ["1:2", "1:2:3:4", "a:b:c", "-1:0:1", "0:0:0", "1:0:4294967295", "0:4294967295:1", "0,0", "", "1:2,3"]
        {
            let e = parse_map_spec(bad).unwrap_err();
            assert_eq!(e.to_string(), format!("invalid mapping '{bad}'"));
        }
    }

    #[test]
    fn subid_lines() {
        let t = "alice:100000:65536\n# comment\nbob:165536:65536\n1000:231072:10\n";
        assert_eq!(find_subid_block(t, Some("bob"), 1001), Ok(Some((165536, 65536))));
        assert_eq!(find_subid_block(t, Some("carol"), 1000), Ok(Some((231072, 10))));
        assert_eq!(find_subid_block(t, Some("carol"), 1002), Ok(None));
        assert_eq!(find_subid_block(t, None, 65534), Ok(None));
        assert!(find_subid_block("dave:x:1\n", Some("dave"), 5).is_err());
        // a user never gets another user's block by a prefix match
        assert_eq!(find_subid_block("alice2:1:1\n", Some("alice"), 7), Ok(None));
        // every block of a user, by name or number, the bad one as its line
        let t = "alice:100000:10\nbob:1:1\n1000:200000:5\nalice:x:1\n";
        let all: Vec<_> = subid_blocks(t, Some("alice"), 1000).collect();
        assert_eq!(all, [Ok((100000, 10)), Ok((200000, 5)), Err(BadSubidLine("alice:x:1".into()))]);
    }

    #[test]
    fn merge_cases_from_spec() {
        // -r --map-auto
        assert_eq!(merge_single(r(0, 0, 1), &[auto(100000, 65536)]), vec![r(0, 0, 1), r(1, 100000, 65536)]);
        // --map-auto alone
        assert_eq!(finalize(&[auto(100000, 65536)]), vec![r(0, 100000, 65536)]);
        // -c --map-subids
        assert_eq!(
            merge_single(r(0, 0, 1), &[r(100000, 100000, 65536).into()]),
            vec![r(0, 0, 1), r(100000, 100000, 65536)]
        );
        // --map-users=auto --map-user=5
        assert_eq!(
            merge_single(r(5, 0, 1), &[auto(100000, 65536)]),
            vec![r(5, 0, 1), r(0, 100000, 5), r(6, 100005, 65531)]
        );
        // --map-users=0:100000:100 -r
        assert_eq!(merge_single(r(0, 0, 1), &[r(0, 100000, 100).into()]), vec![r(0, 0, 1), r(1, 100000, 99)]);
        // --map-users=10:100000:100 -r
        assert_eq!(merge_single(r(0, 0, 1), &[r(10, 100000, 100).into()]), vec![r(0, 0, 1), r(10, 100000, 100)]);
        // two ranges keep their order
        assert_eq!(
            merge_single(r(0, 0, 1), &[r(10, 100000, 5).into(), r(1, 200000, 5).into()]),
            vec![r(0, 0, 1), r(10, 100000, 5), r(1, 200000, 5)]
        );
    }

    #[test]
    fn merge_splits_on_both_sides() {
        // outer hole in the middle: ids 1000 outside is taken by the single mapping
        let m = merge_single(r(0, 1000, 1), &[r(1, 995, 10).into()]);
        assert_eq!(m, vec![r(0, 1000, 1), r(1, 995, 5), r(6, 1001, 4)]);
        // no inner or outer id is used twice
        let mut inner: Vec<u32> = m.iter().flat_map(|x| x.inner..x.inner + x.count).collect();
        let mut outer: Vec<u32> = m.iter().flat_map(|x| x.outer..x.outer + x.count).collect();
        let n = inner.len();
        inner.sort_unstable();
        inner.dedup();
        outer.sort_unstable();
        outer.dedup();
        assert_eq!((inner.len(), outer.len()), (n, n));
    }

    #[test]
    fn map_file_text() {
        assert_eq!(map_text(&[r(0, 0, 1), r(1, 100000, 65536)]), "0 0 1\n1 100000 65536\n");
        assert_eq!(parse_map_file("         0          0 4294967295\n"), vec![r(0, 0, 4294967295)]);
    }
}
