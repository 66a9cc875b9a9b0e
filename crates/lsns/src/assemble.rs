//! From a scan to a [`Table`]: which namespaces (or processes) become lines, how they
//! nest, and the value of every shown or filtered column, computed on demand.

use std::collections::HashMap;

use nscore::NsSet;

use crate::cli::{Plan, Tree};
use crate::columns::Column;
use crate::filter::Filter;
use crate::model::{Model, Origin};
use crate::output::{Col, Row, Table};

/// What assembling lines needs to know beyond the model; the scan answers from /proc
/// and the kernel, the unit tests from tables.
pub trait Facts {
    fn model(&self) -> &Model;
    fn ppid(&mut self, pid: i32) -> Option<i32>;
    fn command(&mut self, pid: i32) -> Vec<u8>;
    fn uid(&mut self, pid: i32) -> Option<u32>;
    fn user_name(&mut self, uid: u32) -> String;
    /// The owner of a user namespace (index into the model) without processes.
    fn owner_uid(&mut self, ns: usize) -> Option<u32>;
    fn netnsid(&mut self, ns: usize) -> Vec<u8>;
    /// Parent and owner inodes; with `ghosts`, missing ancestors of those types are
    /// added to the model.
    fn relations(&mut self, ns: usize, ghosts: Option<NsSet>) -> (Option<u64>, Option<u64>);
}

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
    rows: Vec<Row>,
    /// Whether a shown column carries the process tree: without one, nesting is
    /// invisible and the PPIDs (a /proc/PID/stat read each) are not needed.
    nest: bool,
}

impl Builder<'_> {
    fn cell(&mut self, l: Line, c: Column) -> Vec<u8> {
        let ns = &self.scan.model().namespaces[l.ns];
        let (ino, ty, nprocs) = (ns.ino, ns.ty, ns.nprocs);
        let num = |v: u64| v.to_string().into_bytes();
        match c {
            Column::Ns => num(ino),
            Column::Type => ty.proc_name().as_bytes().to_vec(),
            Column::Path => l.pid.map(|p| format!("/proc/{p}/ns/{ty}").into_bytes()).unwrap_or_default(),
            Column::Nprocs => num(u64::from(nprocs)),
            Column::Pid => l.pid.map(|p| num(p as u64)).unwrap_or_default(),
            Column::Ppid => l.pid.and_then(|p| self.scan.ppid(p)).map(|p| num(p as u64)).unwrap_or_default(),
            Column::Command => l.pid.map(|p| self.scan.command(p)).unwrap_or_default(),
            Column::Uid => self.uid(l).map(|u| num(u64::from(u))).unwrap_or_default(),
            Column::User => match self.uid(l) {
                Some(u) => self.scan.user_name(u).into_bytes(),
                None => Vec::new(),
            },
            Column::Netnsid => self.scan.netnsid(l.ns),
            Column::Nsfs => {
                let sep: &[u8] = if self.plan.nowrap { b"," } else { b"\n" };
                self.scan.model().nsfs.get(&ino).map(|v| v.join(sep)).unwrap_or_default()
            }
            Column::Pns => num(self.scan.relations(l.ns, None).0.unwrap_or(0)),
            Column::Ons => num(self.scan.relations(l.ns, None).1.unwrap_or(0)),
        }
    }

    /// A process's uid; without a process the owner of a user namespace, else 0 (root),
    /// as util-linux reports namespaces nobody is a member of.
    fn uid(&mut self, l: Line) -> Option<u32> {
        match l.pid {
            Some(p) => self.scan.uid(p),
            None => Some(self.scan.owner_uid(l.ns).unwrap_or(0)),
        }
    }

    /// Adds the line if the filter accepts it; returns its row.
    fn push(&mut self, l: Line, parent: Option<usize>) -> Option<usize> {
        let mut cache: HashMap<Column, Vec<u8>> = HashMap::new();
        if let Some(f) = self.filter {
            let ok = f.matches(&mut |c| {
                let v = self.cell(l, c);
                cache.insert(c, v.clone());
                v
            });
            if !ok {
                return None;
            }
        }
        let cols = self.plan.columns.clone();
        let cells = cols.iter().map(|&c| cache.remove(&c).unwrap_or_else(|| self.cell(l, c))).collect();
        self.rows.push(Row { cells, parent });
        Some(self.rows.len() - 1)
    }

    fn selected(&self, ns: usize) -> bool {
        let n = &self.scan.model().namespaces[ns];
        n.origin == Origin::Held
            && (self.plan.task.is_none() || self.scan.model().task_ns.contains(&n.ino))
            && (!self.plan.persistent || n.nprocs == 0)
    }

    fn namespaces(&mut self) {
        let order = self.scan.model().sorted();
        match self.plan.tree {
            Tree::None | Tree::Process => {
                let mut line_of_pid: HashMap<i32, usize> = HashMap::new();
                for ns in order {
                    if !self.selected(ns) {
                        continue;
                    }
                    let pid = self.scan.model().namespaces[ns].rep;
                    let parent = match (self.plan.tree, pid) {
                        (Tree::Process, Some(p)) if self.nest => {
                            self.scan.ppid(p).and_then(|pp| line_of_pid.get(&pp).copied())
                        }
                        _ => None,
                    };
                    if let (Some(row), Some(p)) = (self.push(Line { ns, pid }, parent), pid) {
                        line_of_pid.insert(p, row);
                    }
                }
            }
            Tree::Owner | Tree::Parent => {
                let mut done: HashMap<usize, Option<usize>> = HashMap::new();
                for ns in order {
                    if self.selected(ns) {
                        self.emit_with_ancestors(ns, &mut done);
                    }
                }
            }
        }
    }

    /// Prints the namespace's owner (or parent) first, recursively, then the namespace
    /// under it. Ancestors are shown whatever `-p`/`-P` say, as context.
    fn emit_with_ancestors(&mut self, ns: usize, done: &mut HashMap<usize, Option<usize>>) -> Option<usize> {
        if let Some(&row) = done.get(&ns) {
            return row;
        }
        done.insert(ns, None);
        let ty = self.scan.model().namespaces[ns].ty;
        let (parent, owner) = self.scan.relations(ns, Some(self.plan.types));
        let up = match (self.plan.tree, ty) {
            (Tree::Parent, nscore::NsType::Pid | nscore::NsType::User) => parent,
            _ => owner,
        };
        let up_row = up
            .and_then(|ino| self.scan.model().index.get(&ino).copied())
            .filter(|&a| self.plan.types.contains(self.scan.model().namespaces[a].ty))
            .and_then(|a| self.emit_with_ancestors(a, done));
        let pid = self.scan.model().namespaces[ns].rep;
        let row = self.push(Line { ns, pid }, up_row);
        done.insert(ns, row);
        row
    }

    /// The positional mode: one line per member process, nested by parent process.
    fn members(&mut self, ns: usize) {
        let members = self.scan.model().members.clone();
        let mut line_of_pid: HashMap<i32, usize> = HashMap::new();
        for pid in members {
            let parent =
                if self.nest { self.scan.ppid(pid).and_then(|pp| line_of_pid.get(&pp).copied()) } else { None };
            if let Some(row) = self.push(Line { ns, pid: Some(pid) }, parent) {
                line_of_pid.insert(pid, row);
            }
        }
    }
}

/// The output columns: which carries the tree, which may wrap or be cut.
pub fn columns(plan: &Plan) -> Vec<Col> {
    plan.columns
        .iter()
        .map(|&c| {
            // the positional mode nests processes whatever -T asked for
            let tree = match (plan.namespace.is_some(), plan.tree) {
                (_, Tree::None) => false,
                (true, _) | (false, Tree::Process) => c == Column::Command,
                (false, Tree::Owner | Tree::Parent) => c == Column::Ns,
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

/// Builds the table; `Err` carries the positional namespace that does not exist.
pub fn build(plan: &Plan, scan: &mut dyn Facts, filter: Option<&Filter>) -> Result<Table, u64> {
    let cols = columns(plan);
    let nest = cols.iter().any(|c| c.tree);
    let mut b = Builder { plan, scan, filter, rows: Vec::new(), nest };
    match plan.namespace {
        Some(ino) => {
            let ns = *b.scan.model().index.get(&ino).ok_or(ino)?;
            b.members(ns);
        }
        None => b.namespaces(),
    }
    Ok(Table { name: "namespaces", cols, rows: b.rows })
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use nscore::NsType;

    use super::*;
    use crate::cli::{parse, Action};
    use crate::model::{Access, Namespace};

    /// Facts from tables: PPIDs, and parent/owner inodes (ancestors missing from the
    /// model are "ghosts" it may add).
    #[derive(Default)]
    struct Fake {
        model: Model,
        ppids: HashMap<i32, i32>,
        rel: HashMap<u64, (Option<u64>, Option<u64>)>,
        ghosts: HashMap<u64, NsType>,
        ppid_calls: usize,
    }

    impl Facts for Fake {
        fn model(&self) -> &Model {
            &self.model
        }
        fn ppid(&mut self, pid: i32) -> Option<i32> {
            self.ppid_calls += 1;
            self.ppids.get(&pid).copied()
        }
        fn command(&mut self, pid: i32) -> Vec<u8> {
            format!("cmd{pid}").into_bytes()
        }
        fn uid(&mut self, _pid: i32) -> Option<u32> {
            Some(0)
        }
        fn user_name(&mut self, uid: u32) -> String {
            if uid == 0 {
                "root".into()
            } else {
                uid.to_string()
            }
        }
        fn owner_uid(&mut self, ns: usize) -> Option<u32> {
            (self.model.namespaces[ns].ty == NsType::User).then_some(1000)
        }
        fn netnsid(&mut self, ns: usize) -> Vec<u8> {
            if self.model.namespaces[ns].ty == NsType::Net {
                b"unassigned".to_vec()
            } else {
                Vec::new()
            }
        }
        fn relations(&mut self, ns: usize, ghosts: Option<NsSet>) -> (Option<u64>, Option<u64>) {
            let (ino, ty) = (self.model.namespaces[ns].ino, self.model.namespaces[ns].ty);
            let r = self.rel.get(&ino).copied().unwrap_or_default();
            for (a, aty) in [(r.0, ty), (r.1, NsType::User)] {
                let Some(a) = a else { continue };
                if ghosts.is_some_and(|g| g.contains(aty)) && self.ghosts.contains_key(&a) {
                    self.model.add(Namespace::new(a, aty, Access::Rep, Origin::Ghost));
                }
            }
            r
        }
    }

    fn plan(args: &[&str]) -> Plan {
        let a: Vec<OsString> = args.iter().map(OsString::from).collect();
        match parse(&a).unwrap() {
            Action::List(p) => p,
            other => panic!("{other:?}"),
        }
    }

    /// (first cell as text, parent row) per row.
    fn shape(t: &Table) -> Vec<(String, Option<usize>)> {
        t.rows.iter().map(|r| (String::from_utf8(r.cells[0].clone()).unwrap(), r.parent)).collect()
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
        assert_eq!(t.rows[1].cells[1], b"cmd200");
        assert_eq!(t.rows[5].cells[1], b"");
        assert!(t.cols[1].tree && !t.cols[0].tree);
        // -l, or no COMMAND column to draw the tree in: flat, and no PPIDs read
        f.ppid_calls = 0;
        for args in [&["-l", "-o", "NS,COMMAND"][..], &["-o", "NS"][..]] {
            let t = build(&plan(args), &mut f, None).unwrap();
            assert!(t.rows.iter().all(|r| r.parent.is_none()));
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

    #[test]
    fn task_and_persistent_selection() {
        let mut f = processes();
        f.model.task_ns = vec![11, 14];
        let t = build(&plan(&["-o", "NS", "-p", "200"]), &mut f, None).unwrap();
        assert_eq!(shape(&t), vec![s("11", None), s("14", None)]);
        let mut f = processes();
        let t = build(&plan(&["-P", "-o", "NS,NPROCS,PID,USER"]), &mut f, None).unwrap();
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].cells, vec![b"15".to_vec(), b"0".to_vec(), b"".to_vec(), b"root".to_vec()]);
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
        for (ino, ty, pid) in all {
            if types.contains(&ty) {
                f.model.attach(ino, ty, pid);
                if pid == 50 {
                    f.model.task_ns.push(ino);
                }
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
        assert_eq!(t.rows[1].cells[1], b"0");
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

    #[test]
    fn members_of_one_namespace() {
        let mut f = processes();
        f.model.members = vec![100, 200, 300, 400];
        let t = build(&plan(&["-o", "PID,PPID,COMMAND", "12"]), &mut f, None).unwrap();
        assert_eq!(shape(&t), vec![s("100", None), s("200", Some(0)), s("300", Some(1)), s("400", Some(0))]);
        assert_eq!(t.rows[1].cells[1], b"100");
        assert_eq!(build(&plan(&["99"]), &mut f, None).unwrap_err(), 99);
        let t = build(&plan(&["-l", "12"]), &mut f, None).unwrap();
        assert!(t.rows.iter().all(|r| r.parent.is_none()));
    }
}
