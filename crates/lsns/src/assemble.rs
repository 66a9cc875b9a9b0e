//! From a scan to a [`Table`]: which namespaces (or processes) become lines, how they
//! nest, and the value of every shown or filtered column, computed on demand.

use std::io::Write as _;

use nscore::Error;

use crate::columns::Column;
use crate::filter::Filter;
use crate::model::{Facts, IdMap, Origin, Prefetch};
use crate::options::{Plan, Tree};
use crate::output::{Col, Table};

/// A line: a namespace, seen through one process (its representative, or in the
/// positional mode each member).
#[derive(Clone, Copy)]
struct Line {
    ns: usize,
    pid: Option<i32>,
}

struct Builder<'a> {
    plan: &'a Plan,
    scan: &'a mut dyn Facts,
    filter: Option<&'a Filter>,
    table: Table,
    /// [`process_tree_shown`]: without a column to show it, nesting is invisible and the
    /// PPIDs are not needed.
    nest: bool,
}

impl Builder<'_> {
    /// The value of column `c` on line `l`, for the filter.
    fn cell(&mut self, l: Line, c: Column) -> Vec<u8> {
        let mut v = Vec::new();
        cell_into(self.scan, self.plan, l, c, &mut v);
        v
    }

    /// Adds the line if the filter accepts it; returns its row.
    fn push(&mut self, l: Line, parent: Option<usize>) -> Option<usize> {
        // the cells the filter computed, kept for the shown columns (a handful at most: a
        // list to search costs less than hashing every column of every line)
        let mut cache: Vec<(Column, Vec<u8>)> = Vec::new();
        if let Some(f) = self.filter {
            let ok = f.matches(&mut |c| {
                let v = self.cell(l, c);
                cache.push((c, v.clone()));
                v
            });
            if !ok {
                return None;
            }
        }
        let plan = self.plan;
        for &c in &plan.columns {
            let (scan, table) = (&mut *self.scan, &mut self.table);
            match cache.iter().position(|e| e.0 == c) {
                Some(i) => table.push_cell_with(|out| out.extend_from_slice(&cache.swap_remove(i).1)),
                None => table.push_cell_with(|out| cell_into(scan, plan, l, c, out)),
            }
        }
        Some(self.table.end_row(parent))
    }

    /// Whether a namespace is listed in its own right (rather than as an ancestor). In a
    /// tree, namespaces that only its ancestor links reach count like the others: `-P`
    /// lists them, since they have no process.
    fn selected(&self, ns: usize) -> bool {
        let n = &self.scan.model().ns(ns);
        let tree = matches!(self.plan.tree, Tree::Owner | Tree::Parent);
        (n.origin == Origin::Held || tree)
            && (self.plan.task.is_none() || self.scan.model().task_ns().contains(&n.ino))
            && (!self.plan.persistent || n.nprocs == 0)
    }

    /// Parent and owner inodes of a namespace, adding ancestors of the shown types that
    /// the model lacks ("ghosts": no process is a member).
    fn ups(&mut self, ns: usize) -> (Option<u64>, Option<u64>) {
        self.scan.relations(ns, Some(self.plan.types))
    }

    /// Looks up every namespace's ancestors before the tree is laid out, so that the
    /// ghosts among them take their place in inode order like the others. With `-p` a
    /// ghost is never listed in its own right, and the lazy look-ups suffice.
    fn find_ghosts(&mut self) {
        if self.plan.task.is_some() {
            return;
        }
        let mut i = 0;
        // ghosts are appended to the model as they are found, and walked in turn
        while i < self.scan.model().len() {
            self.ups(i);
            i += 1;
        }
    }

    fn namespaces(&mut self) {
        match self.plan.tree {
            Tree::None | Tree::Process => self.by_process(),
            Tree::Owner | Tree::Parent => self.by_ancestors(),
        }
    }

    /// The owner or parent tree: each namespace under its ancestor, which comes first.
    fn by_ancestors(&mut self) {
        self.find_ghosts();
        let mut done: IdMap<usize, Option<usize>> = IdMap::default();
        for ns in self.scan.model().sorted() {
            if self.selected(ns) {
                self.emit_with_ancestors(ns, &mut done);
            }
        }
    }

    /// A flat list, or in the process tree each namespace under the line of its
    /// representative's parent process.
    fn by_process(&mut self) {
        let mut line_of_pid: IdMap<i32, usize> = IdMap::default();
        for ns in self.scan.model().sorted() {
            if self.selected(ns) {
                self.push_under_parent_process(ns, &mut line_of_pid);
            }
        }
    }

    fn push_under_parent_process(&mut self, ns: usize, line_of_pid: &mut IdMap<i32, usize>) {
        let pid = self.scan.model().ns(ns).rep;
        let parent = match (self.plan.tree, pid) {
            (Tree::Process, Some(p)) if self.nest => self.scan.ppid(p).and_then(|pp| line_of_pid.get(&pp).copied()),
            _ => None,
        };
        if let (Some(row), Some(p)) = (self.push(Line { ns, pid }, parent), pid) {
            line_of_pid.insert(p, row);
        }
    }

    /// Prints the namespace's owner first, recursively, then the namespace under it. In
    /// the parent tree only pid and user namespaces nest, under their parent (printed
    /// first too, after the owner); the others stand at the top level after their owner.
    /// Ancestors are shown whatever `-p`/`-P` say, as context. Returns the row.
    fn emit_with_ancestors(&mut self, ns: usize, done: &mut IdMap<usize, Option<usize>>) -> Option<usize> {
        if let Some(&row) = done.get(&ns) {
            return row;
        }
        done.insert(ns, None);
        let (parent, owner) = self.ups(ns);
        let owner_row = self.emit_ancestor(owner, done);
        let up_row = match (self.plan.tree, self.scan.model().ns(ns).ty) {
            (Tree::Parent, nscore::NsType::Pid | nscore::NsType::User) => self.emit_ancestor(parent, done),
            (Tree::Parent, _) => None,
            _ => owner_row,
        };
        let pid = self.scan.model().ns(ns).rep;
        let row = self.push(Line { ns, pid }, up_row);
        done.insert(ns, row);
        row
    }

    /// Prints an ancestor (with its own ancestors) unless it is of a type not shown.
    fn emit_ancestor(&mut self, ino: Option<u64>, done: &mut IdMap<usize, Option<usize>>) -> Option<usize> {
        let a = self.scan.model().index_of(ino?)?;
        if !self.plan.types.contains(self.scan.model().ns(a).ty) {
            return None;
        }
        self.emit_with_ancestors(a, done)
    }

    /// The positional mode: one line per member process. In the process tree each comes
    /// under its parent process when that is a member too, wherever it comes in /proc
    /// (PIDs wrap around, so a child may have the lower PID); top-level lines and each
    /// one's children follow /proc order. Without a column to show that tree the lines
    /// keep /proc order, but for a parent member coming before its child, as util-linux
    /// lists them; outside a process tree (`-l`, `-T owner`) they are in /proc order.
    fn members(&mut self, ns: usize) {
        let members = self.scan.model().members().to_vec();
        if self.plan.tree != Tree::Process {
            for pid in members {
                self.push(Line { ns, pid: Some(pid) }, None);
            }
            return;
        }
        let index: IdMap<i32, usize> = members.iter().enumerate().map(|(i, &p)| (p, i)).collect();
        let up: Vec<Option<usize>> = (0..members.len())
            .map(|i| self.scan.ppid(members[i]).and_then(|pp| index.get(&pp).copied()).filter(|&p| p != i))
            .collect();
        if self.nest {
            self.push_member_trees(ns, &members, &up);
        } else {
            self.push_members_parents_first(ns, &members, &up);
        }
    }

    /// The members depth-first from the top-level ones, each under its parent's line; a
    /// member reached only through a cycle (a PID reused while /proc was read) starts a
    /// tree of its own. `up` is each member's parent member.
    fn push_member_trees(&mut self, ns: usize, members: &[i32], up: &[Option<usize>]) {
        let n = members.len();
        let mut kids: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, p) in up.iter().enumerate() {
            if let Some(p) = *p {
                kids[p].push(i);
            }
        }
        let mut seen = vec![false; n];
        for start in (0..n).filter(|&i| up[i].is_none()).chain(0..n) {
            self.push_members_from(ns, start, members, &kids, &mut seen);
        }
    }

    /// The members in the order of [`parents_first`].
    fn push_members_parents_first(&mut self, ns: usize, members: &[i32], up: &[Option<usize>]) {
        for k in parents_first(up) {
            self.push(Line { ns, pid: Some(members[k]) }, None);
        }
    }

    /// Member `start` and the members under it not yet `seen`, depth-first, each under
    /// its parent's line; without recursion (a process tree may be deep).
    fn push_members_from(&mut self, ns: usize, start: usize, members: &[i32], kids: &[Vec<usize>], seen: &mut [bool]) {
        let mut stack = vec![(start, None)];
        while let Some((i, up)) = stack.pop() {
            if !std::mem::replace(&mut seen[i], true) {
                let row = self.push(Line { ns, pid: Some(members[i]) }, up);
                stack.extend(kids[i].iter().rev().map(|&k| (k, row)));
            }
        }
    }
}

/// Members `0..up.len()` (in /proc order) in that order, but each after those of its
/// ancestors that come later: `up` is each member's parent member. A cycle of parents (PIDs
/// reused while /proc was read) is not followed.
fn parents_first(up: &[Option<usize>]) -> Vec<usize> {
    let mut seen = vec![false; up.len()];
    let mut walked = vec![0; up.len()];
    let mut order = Vec::with_capacity(up.len());
    for i in 0..up.len() {
        if seen[i] {
            continue;
        }
        let mut chain = unlisted_ancestors(i, up, &seen, &mut walked);
        chain.reverse();
        chain.push(i);
        chain.iter().for_each(|&k| seen[k] = true);
        order.extend(chain);
    }
    order
}

/// The ancestors of member `i` not yet `seen`, nearest first; none when they lead round
/// in a cycle. `walked` marks the members a walk passes, with `i + 1`.
fn unlisted_ancestors(i: usize, up: &[Option<usize>], seen: &[bool], walked: &mut [usize]) -> Vec<usize> {
    let mut chain = Vec::new();
    walked[i] = i + 1;
    let mut j = i;
    while let Some(p) = up[j].filter(|&p| !seen[p]) {
        if walked[p] == i + 1 {
            return Vec::new();
        }
        walked[p] = i + 1;
        chain.push(p);
        j = p;
    }
    chain
}

/// Appends the value of column `c` on line `l` to `out` (nothing for no value).
fn cell_into(scan: &mut dyn Facts, plan: &Plan, l: Line, c: Column, out: &mut Vec<u8>) {
    let ns = scan.model().ns(l.ns);
    let (ino, ty, nprocs) = (ns.ino, ns.ty, ns.nprocs);
    let num = nscore::ids::push_decimal;
    match c {
        Column::Ns => num(out, ino),
        Column::Type => out.extend_from_slice(ty.proc_name().as_bytes()),
        Column::Path => {
            if let Some(p) = l.pid {
                // (writing to a Vec cannot fail)
                let _ = write!(out, "/proc/{p}/ns/{ty}");
            }
        }
        Column::Nprocs => num(out, u64::from(nprocs)),
        Column::Pid => l.pid.into_iter().for_each(|p| num(out, p as u64)),
        Column::Ppid => l.pid.and_then(|p| scan.ppid(p)).into_iter().for_each(|p| num(out, p as u64)),
        Column::Command => {
            if let Some(p) = l.pid {
                out.extend_from_slice(scan.command(p));
            }
        }
        Column::Uid => line_uid(scan, l).into_iter().for_each(|u| num(out, u64::from(u))),
        Column::User => {
            if let Some(u) = line_uid(scan, l) {
                out.extend_from_slice(scan.user_name(u).as_bytes());
            }
        }
        Column::Netnsid => out.extend_from_slice(&scan.netnsid(l.ns)),
        Column::Nsfs => {
            let sep: &[u8] = if plan.nowrap { b"," } else { b"\n" };
            if let Some(v) = scan.model().nsfs(ino) {
                out.extend_from_slice(&v.join(sep));
            }
        }
        Column::Pns => num(out, scan.relations(l.ns, None).0.unwrap_or(0)),
        Column::Ons => num(out, scan.relations(l.ns, None).1.unwrap_or(0)),
        Column::Container => {
            if let Some(p) = l.pid {
                out.extend_from_slice(&scan.container(p));
            }
        }
        Column::ContainerName => {
            if let Some(p) = l.pid {
                out.extend_from_slice(&scan.container_name(p));
            }
        }
    }
}

/// A process's uid; without a process the owner of a user namespace, else 0 (root),
/// as util-linux reports namespaces nobody is a member of.
fn line_uid(scan: &mut dyn Facts, l: Line) -> Option<u32> {
    match l.pid {
        Some(p) => scan.uid(p),
        None => Some(scan.owner_uid(l.ns).unwrap_or(0)),
    }
}

/// The output columns: which carries the tree, which may wrap or be cut.
pub fn columns(plan: &Plan) -> Vec<Col> {
    plan.columns
        .iter()
        .map(|&c| {
            // (the processes of one namespace never nest in an owner or parent tree, but
            // NS is still the tree column, left-aligned, as in util-linux)
            let tree = match plan.tree {
                Tree::None => false,
                Tree::Process => c == Column::Command,
                Tree::Owner | Tree::Parent => c == Column::Ns,
            };
            Col {
                name: c.name(),
                kind: c.kind(),
                right: c.right_aligned(),
                hint: c.width_hint(),
                tree,
                multiline: c == Column::Nsfs && !plan.nowrap,
                trunc: c == Column::Command && !plan.notruncate,
            }
        })
        .collect()
}

/// Whether lines nest in the process tree: a process tree (the default) with a column to
/// draw it in (COMMAND). Only then are PPIDs needed (a pidfd ioctl or a /proc/PID/stat
/// read each).
fn process_tree_shown(plan: &Plan, cols: &[Col]) -> bool {
    plan.tree == Tree::Process && cols.iter().any(|c| c.tree)
}

/// What the scan may look up for every representative as it meets it: what each line of
/// a listing of all namespaces shows (see [`Prefetch`]). Nothing with a
/// filter, `-p`, `-P` or a member list, whose lines are not all the representatives'.
pub fn prefetch(plan: &Plan) -> Prefetch {
    if plan.namespace.is_some() || plan.task.is_some() || plan.filter.is_some() || plan.persistent {
        return Prefetch::default();
    }
    let shows = |c| plan.columns.contains(&c);
    let nest = process_tree_shown(plan, &columns(plan));
    Prefetch {
        command: shows(Column::Command),
        ppid: shows(Column::Ppid) || nest,
        uid: shows(Column::User) || shows(Column::Uid),
    }
}

/// Builds the table; fails if the positional namespace does not exist.
pub fn build(plan: &Plan, scan: &mut dyn Facts, filter: Option<&Filter>) -> Result<Table, Error> {
    let mut table = Table::new("namespaces", columns(plan));
    // about a line per namespace (or member), of a command line and a few numbers
    let m = scan.model();
    let rows = if plan.namespace.is_some() { m.members().len() } else { m.len() };
    table.reserve(rows, 64);
    let nest = process_tree_shown(plan, &table.cols);
    let mut b = Builder { plan, scan, filter, table, nest };
    match plan.namespace {
        Some(ino) => {
            let missing = || Error::msg(format!("not found namespace: {ino}"));
            let ns = b.scan.model().index_of(ino).ok_or_else(missing)?;
            b.members(ns);
        }
        None => b.namespaces(),
    }
    Ok(b.table)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::ffi::OsString;

    use nscore::{NsSet, NsType};

    use super::*;
    use crate::model::{Access, Model, Namespace};
    use crate::options::{parse, Action};

    /// Facts from tables: PPIDs, and parent/owner inodes (ancestors missing from the
    /// model are "ghosts" it may add).
    #[derive(Default)]
    struct Fake {
        model: Model,
        ppids: HashMap<i32, i32>,
        rel: HashMap<u64, (Option<u64>, Option<u64>)>,
        ghosts: HashMap<u64, NsType>,
        ppid_calls: usize,
        container_calls: usize,
        commands: HashMap<i32, Vec<u8>>,
        names: HashMap<u32, String>,
    }

    impl Facts for Fake {
        fn model(&self) -> &Model {
            &self.model
        }
        fn ppid(&mut self, pid: i32) -> Option<i32> {
            self.ppid_calls += 1;
            self.ppids.get(&pid).copied()
        }
        fn command(&mut self, pid: i32) -> &[u8] {
            self.commands.entry(pid).or_insert_with(|| format!("cmd{pid}").into_bytes())
        }
        fn uid(&mut self, _pid: i32) -> Option<u32> {
            Some(0)
        }
        fn user_name(&mut self, uid: u32) -> &str {
            self.names.entry(uid).or_insert_with(|| if uid == 0 { "root".into() } else { uid.to_string() })
        }
        fn owner_uid(&mut self, ns: usize) -> Option<u32> {
            (self.model.ns(ns).ty == NsType::User).then_some(1000)
        }
        fn netnsid(&mut self, ns: usize) -> Vec<u8> {
            if self.model.ns(ns).ty == NsType::Net {
                b"unassigned".to_vec()
            } else {
                Vec::new()
            }
        }
        fn container(&mut self, pid: i32) -> Vec<u8> {
            self.container_calls += 1;
            if pid % 200 == 0 {
                format!("docker:{pid}").into_bytes()
            } else {
                Vec::new()
            }
        }
        fn container_name(&mut self, pid: i32) -> Vec<u8> {
            self.container_calls += 1;
            if pid % 200 == 0 {
                format!("web{pid}").into_bytes()
            } else {
                Vec::new()
            }
        }
        fn relations(&mut self, ns: usize, ghosts: Option<NsSet>) -> (Option<u64>, Option<u64>) {
            let (ino, ty) = (self.model.ns(ns).ino, self.model.ns(ns).ty);
            let r = self.rel.get(&ino).copied().unwrap_or_default();
            let found: Vec<(u64, NsType)> = [(r.0, ty), (r.1, NsType::User)]
                .into_iter()
                .filter_map(|(a, aty)| Some((a?, aty)))
                .filter(|(a, aty)| ghosts.is_some_and(|g| g.contains(*aty)) && self.ghosts.contains_key(a))
                .collect();
            for (a, aty) in found {
                self.model.add(Namespace::new(a, aty, Access::Rep, Origin::Ghost));
            }
            r
        }
    }

    fn plan(args: &[&str]) -> Plan {
        let a: Vec<OsString> = args.iter().map(OsString::from).collect();
        match parse(&a, &crate::Locale::ascii()).unwrap() {
            Action::List(p) => p,
            other => panic!("{other:?}"),
        }
    }

    /// (first cell as text, parent row) per row.
    fn shape(t: &Table) -> Vec<(String, Option<usize>)> {
        (0..t.len()).map(|r| (String::from_utf8(t.cell(r, 0).to_vec()).unwrap(), t.parent(r))).collect()
    }

    fn s(v: &str, p: Option<usize>) -> (String, Option<usize>) {
        (v.to_string(), p)
    }

    /// Five uts namespaces: 10 and 12 represented by 100, 11 by its child 200, 13 by
    /// 200's child 300, 14 by 100's child 400, and 15 held by nothing but a mount.
    fn processes() -> Fake {
        let mut f = Fake::default();
        for (ino, pid) in [(12, 100), (10, 100), (11, 200), (13, 300), (14, 400)] {
            f.model.attach(ino, NsType::Uts, pid);
        }
        f.model.add(Namespace::new(15, NsType::Uts, Access::Rep, Origin::Held));
        f.ppids = [(100, 1), (200, 100), (300, 200), (400, 100)].into();
        f
    }

    #[test]
    fn process_tree_nests_under_the_latest_line_of_the_parent() {
        let mut f = processes();
        let t = build(&plan(&["-o", "NS,COMMAND"]), &mut f, None).unwrap();
        assert_eq!(
            shape(&t),
            vec![s("10", None), s("11", Some(0)), s("12", None), s("13", Some(1)), s("14", Some(2)), s("15", None)]
        );
        assert_eq!(t.cell(1, 1), b"cmd200");
        assert_eq!(t.cell(5, 1), b"");
        assert!(t.cols[1].tree && !t.cols[0].tree);
        // -l, or no COMMAND column to draw the tree in: flat, and no PPIDs read
        f.ppid_calls = 0;
        for args in [&["-l", "-o", "NS,COMMAND"][..], &["-o", "NS"][..]] {
            let t = build(&plan(args), &mut f, None).unwrap();
            assert!((0..t.len()).all(|r| t.parent(r).is_none()));
        }
        assert_eq!(f.ppid_calls, 0);
    }

    #[test]
    fn filtered_out_lines_parent_nothing() {
        let mut f = processes();
        let flt = Filter::new(b"NS != 11").unwrap();
        let t = build(&plan(&["-o", "NS,COMMAND"]), &mut f, Some(&flt)).unwrap();
        assert_eq!(shape(&t), vec![s("10", None), s("12", None), s("13", None), s("14", Some(1)), s("15", None)]);
        // a column only the filter reads is computed, not shown
        let flt = Filter::new(b"PID == 300 || (USER == 'root' && !PID)").unwrap();
        let t = build(&plan(&["-o", "NS"]), &mut f, Some(&flt)).unwrap();
        assert_eq!(shape(&t), vec![s("13", None), s("15", None)]);
    }

    /// CONTAINER is asked of the line's process only when shown or filtered on; a line
    /// without a process has none.
    #[test]
    fn container_column_is_looked_up_only_when_needed() {
        let mut f = processes();
        for args in [&[][..], &["--output-all"][..], &["-o", "+PNS,ONS"][..]] {
            build(&plan(args), &mut f, None).unwrap();
        }
        assert_eq!(f.container_calls, 0);
        let t = build(&plan(&["-o", "NS,CONTAINER"]), &mut f, None).unwrap();
        let cells: Vec<&[u8]> = (0..t.len()).map(|r| t.cell(r, 1)).collect();
        assert_eq!(cells, [&b""[..], b"docker:200", b"", b"", b"docker:400", b""]);
        assert_eq!(f.container_calls, 5);
        let flt = Filter::new(b"CONTAINER =~ \"^docker:\" && NS != 14").unwrap();
        let t = build(&plan(&["-o", "NS,PID"]), &mut f, Some(&flt)).unwrap();
        assert_eq!(shape(&t), vec![s("11", None)]);
        // CONTAINERNAME likewise, and in a filter
        let mut f = processes();
        build(&plan(&["--output-all"]), &mut f, None).unwrap();
        assert_eq!(f.container_calls, 0);
        let t = build(&plan(&["-o", "NS,CONTAINERNAME"]), &mut f, None).unwrap();
        let cells: Vec<&[u8]> = (0..t.len()).map(|r| t.cell(r, 1)).collect();
        assert_eq!(cells, [&b""[..], b"web200", b"", b"", b"web400", b""]);
        let flt = Filter::new(b"CONTAINERNAME == \"web400\"").unwrap();
        let t = build(&plan(&["-o", "NS"]), &mut f, Some(&flt)).unwrap();
        assert_eq!(shape(&t), vec![s("14", None)]);
    }

    #[test]
    fn task_and_persistent_selection() {
        let mut f = processes();
        f.model.add_task_ns(11);
        f.model.add_task_ns(14);
        let t = build(&plan(&["-o", "NS", "-p", "200"]), &mut f, None).unwrap();
        assert_eq!(shape(&t), vec![s("11", None), s("14", None)]);
        let mut f = processes();
        let t = build(&plan(&["-P", "-o", "NS,NPROCS,PID,USER"]), &mut f, None).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!((0..4).map(|i| t.cell(0, i)).collect::<Vec<_>>(), [&b"15"[..], b"0", b"", b"root"]);
    }

    /// user 1 (init) > ghost user 5 > user 6 > uts 7 and pid 8 (pid 8's parent: pid 2),
    /// as a scan limited to `types` (`-t`) sees them.
    fn owners(types: &[NsType]) -> Fake {
        let mut f = Fake::default();
        let all = [
            (1, NsType::User, 1),
            (2, NsType::Pid, 1),
            (6, NsType::User, 50),
            (7, NsType::Uts, 50),
            (8, NsType::Pid, 50),
        ];
        for (ino, ty, pid) in all.into_iter().filter(|(_, ty, _)| types.contains(ty)) {
            f.model.attach(ino, ty, pid);
            if pid == 50 {
                f.model.add_task_ns(ino);
            }
        }
        f.ghosts.insert(5, NsType::User);
        f.rel = [
            (1, (None, None)),
            (2, (None, Some(1))),
            (5, (Some(1), Some(1))),
            (6, (Some(5), Some(5))),
            (7, (None, Some(6))),
            (8, (Some(2), Some(6))),
        ]
        .into();
        f
    }

    #[test]
    fn owner_tree_prints_ancestors_and_ghosts_first() {
        let mut f = owners(&NsType::ALL);
        let t = build(&plan(&["--tree=owner", "-o", "NS,NPROCS", "-p", "50"]), &mut f, None).unwrap();
        assert_eq!(shape(&t), vec![s("1", None), s("5", Some(0)), s("6", Some(1)), s("7", Some(2)), s("8", Some(2))]);
        assert_eq!(t.cell(1, 1), b"0");
        assert!(t.cols[0].tree);
        // ancestors of a type left out by -t are not shown: a flat list
        let mut f = owners(&[NsType::Uts]);
        let t = build(&plan(&["--tree=owner", "-o", "NS", "-t", "uts", "-p", "50"]), &mut f, None).unwrap();
        assert_eq!(shape(&t), vec![s("7", None)]);
        assert!(f.model.get(5).is_none(), "no ghost of a filtered type");
    }

    #[test]
    fn parent_tree_follows_parents_of_pid_and_user_namespaces() {
        let mut f = owners(&[NsType::Pid, NsType::Uts]);
        let t = build(&plan(&["--tree=parent", "-o", "NS", "-t", "pid", "-t", "uts", "-p", "50"]), &mut f, None);
        // pid 8 under pid 2 (its parent); uts 7's owner is a user namespace: not shown
        assert_eq!(shape(&t.unwrap()), vec![s("7", None), s("2", None), s("8", Some(1))]);
    }

    /// Only pid and user namespaces nest in the parent tree; uts 7 stands at the top
    /// level, after its owner (user 6, printed with its ancestors first), and pid 2 after
    /// its owner too.
    #[test]
    fn parent_tree_nests_only_pid_and_user_namespaces() {
        let mut f = owners(&NsType::ALL);
        let t = build(&plan(&["--tree=parent", "-o", "NS", "-p", "50"]), &mut f, None).unwrap();
        assert_eq!(
            shape(&t),
            vec![s("1", None), s("5", Some(0)), s("6", Some(1)), s("7", None), s("2", None), s("8", Some(4))]
        );
        // without -p, each namespace in inode order, after its owner: user 1 before pid 2
        let mut f = owners(&NsType::ALL);
        let t = build(&plan(&["--tree=parent", "-o", "NS"]), &mut f, None).unwrap();
        assert_eq!(
            shape(&t),
            vec![s("1", None), s("2", None), s("5", Some(0)), s("6", Some(2)), s("7", None), s("8", Some(1))]
        );
    }

    /// Init user 1; user 3 has no process but owns user 5 (process 50); user 4 (process
    /// 40) came in between.
    fn ghost_between() -> Fake {
        let mut f = Fake::default();
        for (ino, pid) in [(1, 1), (4, 40), (5, 50)] {
            f.model.attach(ino, NsType::User, pid);
        }
        f.ghosts.insert(3, NsType::User);
        f.rel = [(1, (None, None)), (3, (Some(1), Some(1))), (4, (Some(1), Some(1))), (5, (Some(3), Some(3)))].into();
        f
    }

    #[test]
    fn namespaces_without_processes_take_their_place_in_inode_order() {
        for tree in ["--tree=owner", "--tree=parent"] {
            let mut f = ghost_between();
            let t = build(&plan(&[tree, "-o", "NS,NPROCS"]), &mut f, None).unwrap();
            assert_eq!(shape(&t), vec![s("1", None), s("3", Some(0)), s("4", Some(0)), s("5", Some(1))], "{tree}");
            assert_eq!(t.cell(1, 1), b"0");
        }
        // a list shows only what processes, fds and mounts hold
        let mut f = ghost_between();
        let t = build(&plan(&["-l", "-o", "NS"]), &mut f, None).unwrap();
        assert_eq!(shape(&t), vec![s("1", None), s("4", None), s("5", None)]);
    }

    /// -P lists a process-less ancestor like any namespace without processes, under its
    /// own ancestors as context.
    #[test]
    fn persistent_tree_lists_process_less_ancestors() {
        for tree in ["--tree=owner", "--tree=parent"] {
            let mut f = ghost_between();
            let t = build(&plan(&["-P", tree, "-o", "NS,NPROCS"]), &mut f, None).unwrap();
            assert_eq!(shape(&t), vec![s("1", None), s("3", Some(0))], "{tree}");
        }
    }

    #[test]
    fn members_of_one_namespace() {
        let mut f = processes();
        for pid in [100, 200, 300, 400] {
            f.model.add_member(pid);
        }
        let t = build(&plan(&["-o", "PID,PPID,COMMAND", "12"]), &mut f, None).unwrap();
        assert_eq!(shape(&t), vec![s("100", None), s("200", Some(0)), s("300", Some(1)), s("400", Some(0))]);
        assert_eq!(t.cell(1, 1), b"100");
        assert_eq!(build(&plan(&["99"]), &mut f, None).unwrap_err().to_string(), "not found namespace: 99");
        let t = build(&plan(&["-l", "12"]), &mut f, None).unwrap();
        assert!((0..t.len()).all(|r| t.parent(r).is_none()));
    }

    /// Without a tree column the members keep /proc order, a parent before its child.
    #[test]
    fn parents_first_keeps_proc_order_otherwise() {
        // 0 (top), 1 (top), 2 (child of 0): no ancestor comes later, /proc order holds
        assert_eq!(parents_first(&[None, None, Some(0)]), [0, 1, 2]);
        // 0's parent is 3, whose parent is 2: both move before it
        assert_eq!(parents_first(&[Some(3), None, None, Some(2), Some(1)]), [2, 3, 0, 1, 4]);
        // a cycle 0 <-> 1 is not followed; 2's parent 1 comes first anyway
        assert_eq!(parents_first(&[Some(1), Some(0), Some(1)]), [0, 1, 2]);
        let mut f = processes();
        for pid in [100, 150, 200] {
            f.model.add_member(pid);
        }
        f.ppids = [(100, 1), (150, 1), (200, 100)].into();
        let pids = |t: Table| shape(&t).into_iter().map(|r| r.0).collect::<Vec<_>>();
        assert_eq!(pids(build(&plan(&["-o", "PID", "12"]), &mut f, None).unwrap()), ["100", "150", "200"]);
        assert_eq!(pids(build(&plan(&["-o", "PID,COMMAND", "12"]), &mut f, None).unwrap()), ["100", "200", "150"]);
    }

    /// PIDs wrap around: a child may have a lower PID than its parent, and still comes
    /// under it; a cycle of PPIDs (PIDs reused during the scan) loses nobody.
    #[test]
    fn members_nest_under_parents_with_higher_pids() {
        let mut f = processes();
        for pid in [30, 50, 100, 500, 700, 800, 801] {
            f.model.add_member(pid);
        }
        f.ppids = [(30, 1), (50, 100), (100, 500), (500, 1), (700, 500), (800, 801), (801, 800)].into();
        let want = vec![
            s("30", None),
            s("500", None),
            s("100", Some(1)),
            s("50", Some(2)),
            s("700", Some(1)),
            s("800", None),
            s("801", Some(5)),
        ];
        assert_eq!(shape(&build(&plan(&["-o", "PID,COMMAND", "12"]), &mut f, None).unwrap()), want);
        // no column shows the tree: /proc order, parents first, which is the same here
        let t = build(&plan(&["-o", "PID", "12"]), &mut f, None).unwrap();
        assert_eq!(
            shape(&t).into_iter().map(|r| r.0).collect::<Vec<_>>(),
            want.iter().map(|w| w.0.clone()).collect::<Vec<_>>()
        );
        // -l, -T owner: /proc order, flat
        for a in ["-l", "-T"] {
            let t = build(&plan(&[a, "-o", "PID,COMMAND", "12"]), &mut f, None).unwrap();
            let pids: Vec<String> = shape(&t)
                .into_iter()
                .map(|(p, up)| {
                    assert!(up.is_none());
                    p
                })
                .collect();
            assert_eq!(pids, ["30", "50", "100", "500", "700", "800", "801"], "{a}");
        }
    }

    /// What the scan asks of each representative as it meets it: what the lines show,
    /// and nothing when not every representative gets a line of its own.
    #[test]
    fn prefetch_follows_the_lines() {
        let p = |args: &[&str]| prefetch(&plan(args));
        let all = Prefetch { command: true, ppid: true, uid: true };
        assert_eq!(p(&[]), all);
        assert_eq!(p(&["-T"]), Prefetch { ppid: false, ..all }); // the owner tree needs no PPID
        assert_eq!(p(&["-l"]), Prefetch { ppid: false, ..all }); // nor a flat list
        assert_eq!(p(&["-o", "NS,TYPE"]), Prefetch::default());
        assert_eq!(p(&["-o", "NS,PPID"]), Prefetch { ppid: true, ..Prefetch::default() });
        assert_eq!(p(&["-o", "NS,UID"]), Prefetch { uid: true, ..Prefetch::default() });
        // the process tree's glyphs are in COMMAND: without it nothing nests
        assert_eq!(p(&["-o", "NS,USER"]), Prefetch { uid: true, ..Prefetch::default() });
        for args in [&["-Q", "NPROCS > 1"][..], &["-p", "1"], &["-P"], &["4026531836"]] {
            assert_eq!(p(args), Prefetch::default(), "{args:?}");
        }
    }
}
