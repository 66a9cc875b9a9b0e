//! From a scan to a [`Table`]: which namespaces (or processes) become lines, how they
//! nest, and the value of every shown or filtered column, computed on demand.

use std::collections::HashMap;

use crate::cli::{Plan, Tree};
use crate::columns::Column;
use crate::filter::Filter;
use crate::model::Origin;
use crate::output::{Col, Row, Table};
use crate::scan::Scan;

/// A line: a namespace, seen through one process (its representative, or in the
/// positional mode each member).
#[derive(Clone, Copy)]
struct Line {
    ns: usize,
    pid: Option<i32>,
}

struct Builder<'a> {
    plan: &'a Plan,
    scan: &'a mut Scan,
    filter: Option<&'a Filter>,
    rows: Vec<Row>,
}

impl Builder<'_> {
    fn cell(&mut self, l: Line, c: Column) -> Vec<u8> {
        let ns = &self.scan.model.namespaces[l.ns];
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
                self.scan.model.nsfs.get(&ino).map(|v| v.join(sep)).unwrap_or_default()
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
        let n = &self.scan.model.namespaces[ns];
        n.origin == Origin::Held
            && (self.plan.task.is_none() || self.scan.model.task_ns.contains(&n.ino))
            && (!self.plan.persistent || n.nprocs == 0)
    }

    fn namespaces(&mut self) {
        let order = self.scan.model.sorted();
        match self.plan.tree {
            Tree::None | Tree::Process => {
                let mut line_of_pid: HashMap<i32, usize> = HashMap::new();
                for ns in order {
                    if !self.selected(ns) {
                        continue;
                    }
                    let pid = self.scan.model.namespaces[ns].rep;
                    let parent = match (self.plan.tree, pid) {
                        (Tree::Process, Some(p)) => self.scan.ppid(p).and_then(|pp| line_of_pid.get(&pp).copied()),
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
        let ty = self.scan.model.namespaces[ns].ty;
        let (parent, owner) = self.scan.relations(ns, Some(self.plan.types));
        let up = match (self.plan.tree, ty) {
            (Tree::Parent, nscore::NsType::Pid | nscore::NsType::User) => parent,
            _ => owner,
        };
        let up_row = up
            .and_then(|ino| self.scan.model.index.get(&ino).copied())
            .filter(|&a| self.plan.types.contains(self.scan.model.namespaces[a].ty))
            .and_then(|a| self.emit_with_ancestors(a, done));
        let pid = self.scan.model.namespaces[ns].rep;
        let row = self.push(Line { ns, pid }, up_row);
        done.insert(ns, row);
        row
    }

    /// The positional mode: one line per member process, nested by parent process.
    fn members(&mut self, ns: usize) {
        let members = self.scan.model.members.clone();
        let mut line_of_pid: HashMap<i32, usize> = HashMap::new();
        for pid in members {
            let parent = if self.plan.tree != Tree::None {
                self.scan.ppid(pid).and_then(|pp| line_of_pid.get(&pp).copied())
            } else {
                None
            };
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
                tree,
                multiline: c == Column::Nsfs && !plan.nowrap,
                trunc: c == Column::Command && !plan.notruncate,
            }
        })
        .collect()
}

/// Builds the table; `Err` carries the positional namespace that does not exist.
pub fn build(plan: &Plan, scan: &mut Scan, filter: Option<&Filter>) -> Result<Table, u64> {
    let mut b = Builder { plan, scan, filter, rows: Vec::new() };
    match plan.namespace {
        Some(ino) => {
            let ns = *b.scan.model.index.get(&ino).ok_or(ino)?;
            b.members(ns);
        }
        None => b.namespaces(),
    }
    Ok(Table { name: "namespaces", cols: columns(plan), rows: b.rows })
}
