//! Rendering: a [`Table`] in, bytes out. Nothing here touches the system, so every format
//! is unit-tested against bytes util-linux really printed.
//!
//! Every renderer walks the rows in print order (`Order::walk`) and writes as it goes:
//! memory stays at the size of the table, whatever the size of the output (a deep tree's
//! glyphs and JSON indentation grow with the square of its depth).

#[cfg(test)]
mod fixtures;
mod json;
mod layout;
mod raw;
mod table;

use std::io::{self, Write};

use crate::columns::Kind;

pub use layout::terminal_columns;

/// One output column as the renderers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Col {
    pub name: &'static str,
    pub kind: Kind,
    pub right: bool,
    /// The width the table prefers for this column (0: none); see `layout`.
    pub hint: usize,
    /// This column carries the tree glyphs (and is then left-aligned).
    pub tree: bool,
    /// Values may hold `\n` separated parts printed on several physical lines (NSFS).
    pub multiline: bool,
    /// May be cut to fit a terminal (COMMAND).
    pub trunc: bool,
}

impl Col {
    /// A column with no hint, no tree, on one line, never cut.
    pub fn plain(name: &'static str, kind: Kind, right: bool) -> Col {
        Col { name, kind, right, hint: 0, tree: false, multiline: false, trunc: false }
    }
}

/// What to print: rows of cells, one per column. A cell is raw bytes; an empty one is
/// "no value" (JSON `null`). `name` is the JSON top-level key.
///
/// The cells of all rows share one buffer: a listing has tens of thousands of them, and an
/// allocation each (made, then freed again at the end) cost more than rendering them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    pub cols: Vec<Col>,
    /// Each row's parent row (always an earlier one), in the order the rows were added.
    parents: Vec<Option<usize>>,
    /// The bytes of every cell, row after row, column after column.
    text: Vec<u8>,
    /// Where each cell ends in `text`: `cols.len()` of them per row.
    ends: Vec<usize>,
    /// Per column, what the table renderer would otherwise learn by visiting every cell
    /// again: the longest cell, and whether all cells are [`plain`].
    longest: Vec<usize>,
    all_plain: Vec<bool>,
    /// The column of the next cell pushed.
    next_col: usize,
}

/// Printable ASCII (0x20 to 0x7e) but the backslash: a byte the table shows as it is, in
/// one column. A backslash is not, because the table writes it `\x5c` where an `x`
/// follows it (as util-linux does), so that text such as `\x0a` in a command line cannot
/// pass for an escaped byte.
pub(crate) fn plain_byte(b: u8) -> bool {
    b.wrapping_sub(0x20) < 0x5f && b != b'\\'
}

/// Only [`plain_byte`]s (no control, no newline, no backslash, nothing above 0x7e): a cell
/// the table shows as it is, one column per byte. Nearly every cell of a listing is plain.
pub(crate) fn plain(bytes: &[u8]) -> bool {
    // (no early exit: the loop is vectorised, and cells are short)
    bytes.iter().fold(true, |ok, &b| ok & plain_byte(b))
}

impl Table {
    pub fn new(name: &'static str, cols: Vec<Col>) -> Table {
        let n = cols.len();
        Table {
            name,
            cols,
            parents: Vec::new(),
            text: Vec::new(),
            ends: Vec::new(),
            longest: vec![0; n],
            all_plain: vec![true; n],
            next_col: 0,
        }
    }

    /// Makes room for `rows` more rows of `bytes` bytes each (an estimate: the buffers
    /// still grow when it falls short), sparing the copies that growing them step by step
    /// costs.
    pub fn reserve(&mut self, rows: usize, bytes: usize) {
        self.parents.reserve(rows);
        self.ends.reserve(rows * self.cols.len());
        self.text.reserve(rows * bytes);
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.parents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parents.is_empty()
    }

    pub fn parent(&self, row: usize) -> Option<usize> {
        self.parents[row]
    }

    /// The cells of row `row`, column after column.
    pub fn cells(&self, row: usize) -> impl Iterator<Item = &[u8]> {
        let n = self.cols.len();
        let mut start = if row == 0 { 0 } else { self.ends[row * n - 1] };
        self.ends[row * n..(row + 1) * n].iter().map(move |&end| {
            let cell = &self.text[start..end];
            start = end;
            cell
        })
    }

    pub fn cell(&self, row: usize, col: usize) -> &[u8] {
        let k = row * self.cols.len() + col;
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.text[start..self.ends[k]]
    }

    /// The longest cell of column `col`, in bytes, and whether every cell of it is
    /// [`plain`] (then that is also its widest on a terminal).
    pub(crate) fn column_facts(&self, col: usize) -> (usize, bool) {
        (self.longest[col], self.all_plain[col])
    }

    /// Adds the next cell of the row being built, written by `f` (which gets the buffer
    /// to append to).
    pub fn push_cell_with(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        let start = self.text.len();
        f(&mut self.text);
        let col = self.next_col;
        let cell = &self.text[start..];
        self.longest[col] = self.longest[col].max(cell.len());
        self.all_plain[col] &= plain(cell);
        self.ends.push(self.text.len());
        self.next_col = if col + 1 == self.cols.len() { 0 } else { col + 1 };
    }

    /// Completes the row whose cells were pushed, under `parent`; returns its index.
    pub fn end_row(&mut self, parent: Option<usize>) -> usize {
        debug_assert_eq!(self.ends.len(), (self.parents.len() + 1) * self.cols.len());
        self.parents.push(parent);
        self.parents.len() - 1
    }

    /// Adds a row of `cells`, one per column; returns its index.
    pub fn push_row<C: AsRef<[u8]>>(&mut self, cells: impl IntoIterator<Item = C>, parent: Option<usize>) -> usize {
        for c in cells {
            self.push_cell_with(|out| out.extend_from_slice(c.as_ref()));
        }
        self.end_row(parent)
    }
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
    /// Tree glyphs in UTF-8 (else ASCII).
    pub utf8: bool,
    /// The terminal's width when stdout is a terminal (see [`terminal_columns`]): the
    /// table then uses spare room for width hints and cuts truncatable columns to fit.
    pub term_width: Option<usize>,
}

impl Style {
    pub fn new(mode: Mode) -> Style {
        Style { mode, headings: true, utf8: false, term_width: None }
    }
}

/// Renders `t` into `out`. An empty table prints nothing at all, not even the header, in
/// the table and raw forms; JSON still prints the empty document, so that a consumer
/// always gets JSON.
pub fn render_to(t: &Table, s: &Style, out: &mut dyn Write) -> io::Result<()> {
    let order = Order::of(t);
    match s.mode {
        Mode::Json(style) => json::render(t, &order, style, out),
        _ if t.is_empty() => Ok(()),
        Mode::Table => table::render(t, &order, s, out),
        Mode::Raw => raw::render(t, &order, s, out),
    }
}

/// Renders `t` to bytes.
pub fn render(t: &Table, s: &Style) -> Vec<u8> {
    let mut v = Vec::new();
    render_to(t, s, &mut v).expect("writing to a Vec cannot fail");
    v
}

const NONE: usize = usize::MAX;

/// The print order of a table: depth-first when it is a tree (children in the order they
/// were added), else as added. Kept as linked lists, so it costs two words per row.
pub(crate) struct Order {
    first_root: usize,
    first_child: Vec<usize>,
    next_sibling: Vec<usize>,
}

/// A row as the walk meets it.
pub(crate) struct Visit<'a> {
    pub row: usize,
    /// One flag per level from the top down to this row: whether a later sibling follows
    /// the row's ancestor at that level (the last flag is the row's own). Empty for
    /// top-level rows; its length is the depth.
    pub levels: &'a [bool],
    pub has_children: bool,
}

/// What a walk reports: a row is entered (children follow, if any), then left once its
/// subtree is done.
pub(crate) enum Step<'a> {
    Enter(Visit<'a>),
    /// The row's depth, and whether a sibling follows it.
    Leave {
        depth: usize,
        more: bool,
        has_children: bool,
    },
}

impl Order {
    fn of(t: &Table) -> Order {
        let n = t.len();
        let tree = t.cols.iter().any(|c| c.tree);
        let mut first_child = vec![NONE; n];
        let mut last_child = vec![NONE; n];
        let mut next_sibling = vec![NONE; n];
        let (mut first_root, mut last_root) = (NONE, NONE);
        for i in 0..n {
            // a parent is always an earlier row, which also rules out cycles
            let (first, last) = match t.parent(i).filter(|&p| tree && p < i) {
                Some(p) => (&mut first_child[p], &mut last_child[p]),
                None => (&mut first_root, &mut last_root),
            };
            if *last == NONE {
                *first = i;
            } else {
                next_sibling[*last] = i;
            }
            *last = i;
        }
        Order { first_root, first_child, next_sibling }
    }

    /// Calls `f` for every step of a depth-first walk, without recursion (trees may be
    /// thousands of levels deep).
    pub fn walk(&self, mut f: impl FnMut(Step<'_>) -> io::Result<()>) -> io::Result<()> {
        let mut path: Vec<usize> = Vec::new();
        let mut levels: Vec<bool> = Vec::new();
        let mut next = self.first_root;
        loop {
            if next == NONE {
                let row = match path.pop() {
                    Some(row) => row,
                    None => return Ok(()),
                };
                // its own level goes with it (a top-level row has none)
                levels.truncate(path.len().saturating_sub(1));
                let more = self.next_sibling[row] != NONE;
                f(Step::Leave { depth: path.len(), more, has_children: self.first_child[row] != NONE })?;
                next = self.next_sibling[row];
                continue;
            }
            let row = next;
            if !path.is_empty() {
                levels.push(self.next_sibling[row] != NONE);
            }
            let has_children = self.first_child[row] != NONE;
            f(Step::Enter(Visit { row, levels: &levels, has_children }))?;
            path.push(row);
            next = self.first_child[row];
        }
    }

    /// The rows in print order with their glyph levels.
    pub fn each(&self, mut f: impl FnMut(&Visit<'_>) -> io::Result<()>) -> io::Result<()> {
        self.walk(|s| match s {
            Step::Enter(v) => f(&v),
            Step::Leave { .. } => Ok(()),
        })
    }
}

/// The tree prefix of a row for display, two columns per level: `│ ` or blanks for the
/// ancestors' levels, `├─` or `└─` for the row's own.
pub(crate) fn glyphs(levels: &[bool], utf8: bool, out: &mut Vec<u8>) {
    let n = levels.len();
    for (i, &more) in levels.iter().enumerate() {
        out.extend_from_slice(match (i + 1 == n, more, utf8) {
            (false, true, true) => "│ ".as_bytes(),
            (false, true, false) => b"| ",
            (false, false, _) => b"  ",
            (true, true, true) => "├─".as_bytes(),
            (true, true, false) => b"|-",
            (true, false, true) => "└─".as_bytes(),
            (true, false, false) => b"`-",
        });
    }
}

/// Appends `\xHH` for byte `b`: how every form writes a byte it cannot show (raw and the
/// table a control or a byte that is not UTF-8, JSON a byte that is not UTF-8).
pub(crate) fn hex_escape(b: u8, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(&[b'\\', b'x', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
}

/// The display width of a row's glyphs.
pub(crate) fn glyph_width(levels: &[bool]) -> usize {
    levels.len() * 2
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn col(name: &'static str, kind: Kind, right: bool) -> Col {
        Col::plain(name, kind, right)
    }

    /// A table of `rows` (cells and parent).
    pub fn table(name: &'static str, cols: Vec<Col>, rows: &[(&[&str], Option<usize>)]) -> Table {
        let mut t = Table::new(name, cols);
        for (cells, parent) in rows {
            t.push_row(cells.iter(), *parent);
        }
        t
    }

    fn tree_of(parents: &[Option<usize>]) -> Table {
        let mut c = col("NS", Kind::Number, false);
        c.tree = true;
        let mut t = Table::new("namespaces", vec![c]);
        for &p in parents {
            t.push_row(["x"], p);
        }
        t
    }

    /// (row, glyphs) in print order.
    fn printed(t: &Table, utf8: bool) -> Vec<(usize, String)> {
        let mut v = Vec::new();
        Order::of(t)
            .each(|r| {
                let mut g = Vec::new();
                glyphs(r.levels, utf8, &mut g);
                let g = String::from_utf8(g).unwrap();
                assert_eq!(glyph_width(r.levels), g.chars().count());
                v.push((r.row, g));
                Ok(())
            })
            .unwrap();
        v
    }

    /// Cells come back as pushed, empty ones included, each row with its parent.
    #[test]
    fn cells_in_one_buffer() {
        let cols =
            vec![col("NS", Kind::Number, true), col("NSFS", Kind::String, false), col("PID", Kind::Number, true)];
        let mut t = Table::new("namespaces", cols);
        assert!(t.is_empty());
        assert_eq!(t.push_row(["4026531836", "", "1"], None), 0);
        t.push_cell_with(|out| out.extend_from_slice(b""));
        t.push_cell_with(|out| out.extend_from_slice(b"/run/netns/a\n/x"));
        t.push_cell_with(|out| out.extend_from_slice(b""));
        assert_eq!(t.end_row(Some(0)), 1);
        assert_eq!(t.len(), 2);
        let cells = |r| (0..3).map(|i| String::from_utf8(t.cell(r, i).to_vec()).unwrap()).collect::<Vec<_>>();
        assert_eq!(cells(0), ["4026531836", "", "1"]);
        assert_eq!(cells(1), ["", "/run/netns/a\n/x", ""]);
        assert_eq!((t.parent(0), t.parent(1)), (None, Some(0)));
        // the longest cell and plainness, column by column (a newline is not plain)
        assert_eq!([t.column_facts(0), t.column_facts(1), t.column_facts(2)], [(10, true), (15, false), (1, true)]);
    }

    #[test]
    fn plain_is_printable_ascii() {
        assert!(plain(b"") && plain(b" sleep 3600 ~{}|"));
        for b in [0u8, b'\t', b'\n', 0x1f, b'\\', 0x7f, 0x80, 0xc3, 0xff] {
            assert!(!plain(&[b'a', b]), "{b:#x}");
        }
        // every byte, against the renderers' definition of a byte shown as it is
        assert!((0..=255u8).all(|b| plain(&[b]) == ((0x20..0x7f).contains(&b) && b != b'\\')));
    }

    #[test]
    fn tree_order_and_glyphs() {
        let t = tree_of(&[None, Some(0), None, Some(1), Some(0), Some(3), Some(1)]);
        let p = printed(&t, false);
        let rows: Vec<usize> = p.iter().map(|x| x.0).collect();
        assert_eq!(rows, vec![0, 1, 3, 5, 6, 4, 2]);
        let g: Vec<&str> = p.iter().map(|x| x.1.as_str()).collect();
        assert_eq!(g, vec!["", "|-", "| |-", "| | `-", "| `-", "`-", ""]);
        assert_eq!(printed(&t, true)[4].1, "│ └─");
        // a parent that is not an earlier row is ignored (no cycles, nothing lost)
        let t = tree_of(&[Some(1), Some(0), Some(1), Some(3)]);
        let p = printed(&t, false);
        assert_eq!(p, [(0, String::new()), (1, "`-".into()), (2, "  `-".into()), (3, String::new())]);
    }

    #[test]
    fn walk_enters_and_leaves() {
        let t = tree_of(&[None, Some(0), Some(1), None]);
        let mut log = Vec::new();
        Order::of(&t)
            .walk(|s| {
                log.push(match s {
                    Step::Enter(v) => format!("+{}/{}{}", v.row, v.levels.len(), if v.has_children { "c" } else { "" }),
                    Step::Leave { depth, more, .. } => format!("-{depth}{}", if more { "m" } else { "" }),
                });
                Ok(())
            })
            .unwrap();
        assert_eq!(log, ["+0/0c", "+1/1c", "+2/2", "-2", "-1", "-0m", "+3/0", "-0"]);
    }

    /// A tree thousands of levels deep walks without recursion.
    #[test]
    fn deep_tree() {
        let parents: Vec<Option<usize>> = (0..20_000usize).map(|i| i.checked_sub(1)).collect();
        let t = tree_of(&parents);
        let mut n = 0;
        Order::of(&t)
            .each(|r| {
                assert_eq!(r.levels.len(), r.row);
                n += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(n, 20_000);
    }

    #[test]
    fn empty_table_prints_nothing_but_json_prints_an_empty_document() {
        let t = Table::new("namespaces", vec![col("NS", Kind::Number, true)]);
        for m in [Mode::Table, Mode::Raw] {
            assert!(render(&t, &Style::new(m)).is_empty());
        }
        let json = |s| String::from_utf8(render(&t, &Style::new(Mode::Json(s)))).unwrap();
        assert_eq!(json(JsonStyle::Pretty), "{\n   \"namespaces\": [\n\n   ]\n}\n");
        assert_eq!(json(JsonStyle::Compact), "{\"namespaces\":[\n]}\n");
        assert_eq!(json(JsonStyle::Lines), "");
    }
}
