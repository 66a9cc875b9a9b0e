//! Rendering: a [`Table`] in, bytes out. Nothing here touches the system, so every format
//! is unit-tested against bytes util-linux really printed.

#[cfg(test)]
mod fixtures;
mod json;
mod raw;
mod table;

use std::io::{self, Write};

use crate::columns::Kind;

/// One output column as the renderers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Col {
    pub name: &'static str,
    pub kind: Kind,
    pub right: bool,
    /// This column carries the tree glyphs (and is then left-aligned).
    pub tree: bool,
    /// Values may hold `\n` separated parts printed on several physical lines (NSFS).
    pub multiline: bool,
    /// May be cut to fit a terminal (COMMAND).
    pub trunc: bool,
}

/// A line. Cells are raw bytes in column order; an empty cell is "no value" (JSON `null`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub cells: Vec<Vec<u8>>,
    /// Index of the parent row (always an earlier row).
    pub parent: Option<usize>,
}

/// What to print. `name` is the JSON top-level key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    pub cols: Vec<Col>,
    pub rows: Vec<Row>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonStyle {
    Pretty,
    /// `LIBSMARTCOLS_JSON=compact`: one object per line inside the array.
    Compact,
    /// `LIBSMARTCOLS_JSON=lines`: JSON Lines, no enclosing object.
    Lines,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Table,
    Raw,
    Json(JsonStyle),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub mode: Mode,
    pub headings: bool,
    /// Nest rows under their parents (only when some column carries the tree).
    pub utf8: bool,
    /// Terminal width when stdout is a terminal and truncation is allowed.
    pub term_width: Option<usize>,
}

impl Style {
    pub fn new(mode: Mode) -> Style {
        Style { mode, headings: true, utf8: false, term_width: None }
    }
}

/// Renders `t` into `out`; an empty table prints nothing at all, not even the header.
pub fn render_to(t: &Table, s: &Style, out: &mut dyn Write) -> io::Result<()> {
    if t.rows.is_empty() {
        return Ok(());
    }
    let order = Order::of(t);
    match s.mode {
        Mode::Table => table::render(t, &order, s, out),
        Mode::Raw => raw::render(t, &order, s, out),
        Mode::Json(style) => json::render(t, &order, style, out),
    }
}

/// Renders `t` to bytes.
pub fn render(t: &Table, s: &Style) -> Vec<u8> {
    let mut v = Vec::new();
    render_to(t, s, &mut v).expect("writing to a Vec cannot fail");
    v
}

/// The print order of a table: depth-first when it is a tree, else as added.
pub(crate) struct Order {
    /// Whether the rows nest (some column carries the tree).
    pub tree: bool,
    /// (row, depth) in print order.
    pub seq: Vec<(usize, usize)>,
    pub children: Vec<Vec<usize>>,
    /// Tree glyph prefix per row (empty for top-level rows or when not a tree).
    pub prefix: Vec<String>,
}

impl Order {
    fn of(t: &Table) -> Order {
        let n = t.rows.len();
        let tree = t.cols.iter().any(|c| c.tree);
        let mut children = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for (i, r) in t.rows.iter().enumerate() {
            match r.parent.filter(|&p| tree && p < i) {
                Some(p) => children[p].push(i),
                None => roots.push(i),
            }
        }
        let mut seq = Vec::with_capacity(n);
        // (row, depth, glyph stack: one "has a later sibling" flag per ancestor level)
        let mut prefix = vec![String::new(); n];
        let mut stack: Vec<(usize, usize, Vec<bool>)> =
            roots.iter().rev().map(|&r| (r, 0, Vec::new())).collect::<Vec<_>>();
        while let Some((row, depth, flags)) = stack.pop() {
            seq.push((row, depth));
            prefix[row] = flags_to_prefix(&flags);
            let kids = &children[row];
            for (k, &c) in kids.iter().enumerate().rev() {
                let mut f = flags.clone();
                f.push(k + 1 < kids.len());
                stack.push((c, depth + 1, f));
            }
        }
        Order { tree, seq, children, prefix }
    }
}

/// Glyphs in a neutral notation ('|', '+', '`', ' ' per level) turned into real ones
/// by [`glyphs`].
fn flags_to_prefix(flags: &[bool]) -> String {
    let mut s = String::new();
    for (i, &more) in flags.iter().enumerate() {
        let last = i + 1 == flags.len();
        s.push(match (last, more) {
            (false, true) => '|',
            (false, false) => ' ',
            (true, true) => '+',
            (true, false) => '`',
        });
    }
    s
}

/// The tree prefix for display: two columns per level.
pub(crate) fn glyphs(prefix: &str, utf8: bool) -> String {
    let mut s = String::new();
    for c in prefix.chars() {
        s.push_str(match (c, utf8) {
            ('|', true) => "│ ",
            ('|', false) => "| ",
            ('+', true) => "├─",
            ('+', false) => "|-",
            ('`', true) => "└─",
            ('`', false) => "`-",
            _ => "  ",
        });
    }
    s
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn col(name: &'static str, kind: Kind, right: bool) -> Col {
        Col { name, kind, right, tree: false, multiline: false, trunc: false }
    }

    pub fn row(cells: &[&str], parent: Option<usize>) -> Row {
        Row { cells: cells.iter().map(|c| c.as_bytes().to_vec()).collect(), parent }
    }

    #[test]
    fn tree_order_and_glyphs() {
        let mut c = col("NS", Kind::Number, false);
        c.tree = true;
        let t = Table {
            name: "namespaces",
            cols: vec![c],
            rows: vec![
                row(&["a"], None),
                row(&["b"], Some(0)),
                row(&["c"], None),
                row(&["d"], Some(1)),
                row(&["e"], Some(0)),
            ],
        };
        let o = Order::of(&t);
        assert_eq!(o.seq, vec![(0, 0), (1, 1), (3, 2), (4, 1), (2, 0)]);
        assert_eq!(glyphs(&o.prefix[3], false), "| `-");
        assert_eq!(glyphs(&o.prefix[4], true), "└─");
        assert_eq!(o.prefix[0], "");
    }

    #[test]
    fn empty_table_prints_nothing() {
        let t = Table { name: "namespaces", cols: vec![col("NS", Kind::Number, true)], rows: vec![] };
        for m in [Mode::Table, Mode::Raw, Mode::Json(JsonStyle::Pretty)] {
            assert!(render(&t, &Style::new(m)).is_empty());
        }
    }
}
