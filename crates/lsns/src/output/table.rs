//! The human-readable table: column widths as [`layout`] decides, numbers on the right,
//! one space between columns and no padding after the last one.

use std::io::{self, Write};

use super::layout::{self, Fit};
use super::{glyph_width, glyphs, hex_escape, plain, plain_byte, Col, Order, Style, Table, Visit};

/// Makes a cell safe for a terminal, appending to `out` (the renderer reuses one buffer
/// for every cell): control bytes, invalid UTF-8 and (outside a UTF-8 locale) every
/// non-ASCII byte become `\xHH`, so what it appends is always valid UTF-8. A backslash
/// before an `x` becomes `\x5c`, as util-linux writes it (others stay as they are): the
/// text `\x0a` prints `\x5cx0a`, so every `\x` the table shows starts an escape. Returns
/// its display width.
fn encode_into(bytes: &[u8], utf8: bool, out: &mut Vec<u8>) -> usize {
    let mut width = 0;
    let mut rest = bytes;
    while !rest.is_empty() {
        // printable ASCII goes as it is, a run at a time
        let n = rest.iter().position(|&b| !plain_byte(b)).unwrap_or(rest.len());
        out.extend_from_slice(&rest[..n]);
        width += n;
        rest = &rest[n..];
        let Some(&b) = rest.first() else { break };
        if b == b'\\' && rest.get(1) != Some(&b'x') {
            out.push(b);
            width += 1;
            rest = &rest[1..];
            continue;
        }
        if let Some((c, len)) = utf8.then(|| printable_char(rest)).flatten() {
            out.extend_from_slice(&rest[..len]);
            width += char_width(c);
            rest = &rest[len..];
            continue;
        }
        hex_escape(b, out);
        width += 4;
        rest = &rest[1..];
    }
    width
}

/// The display width of [`encode_into`]'s text, without making the text when the cell is
/// plain (the common case: the width pass visits every cell).
fn safe_width(bytes: &[u8], utf8: bool, scratch: &mut Vec<u8>) -> usize {
    if plain(bytes) {
        bytes.len()
    } else {
        scratch.clear();
        encode_into(bytes, utf8, scratch)
    }
}

/// The character a valid UTF-8 sequence at the start of `bytes` encodes, with its length,
/// unless it is a C1 control (U+0080 to U+009F).
fn printable_char(bytes: &[u8]) -> Option<(char, usize)> {
    let len = match bytes.first()? {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let c = std::str::from_utf8(bytes.get(..len)?).ok()?.chars().next()?;
    (!('\u{80}'..='\u{9f}').contains(&c)).then_some((c, len))
}

/// Display columns of a printable character: 2 for the wide East Asian blocks, 0 for
/// combining marks, else 1. Enough for command lines and paths.
fn char_width(c: char) -> usize {
    match c as u32 {
        0x0300..=0x036f | 0x200b..=0x200f => 0,
        0x1100..=0x115f
        | 0x2e80..=0xa4cf
        | 0xac00..=0xd7a3
        | 0xf900..=0xfaff
        | 0xfe30..=0xfe4f
        | 0xff00..=0xff60
        | 0xffe0..=0xffe6
        | 0x1f300..=0x1f64f
        | 0x1f900..=0x1f9ff
        | 0x20000..=0x3fffd => 2,
        _ => 1,
    }
}

/// Cuts `s` to at most `max` display columns.
fn cut(s: &str, max: usize) -> (String, usize) {
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = char_width(c);
        if w + cw > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    (out, w)
}

/// The physical lines of a cell: NSFS-like cells split at `\n`, others are one line.
fn parts(v: &[u8], multiline: bool) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(v);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.iter().position(|&b| b == b'\n').filter(|_| multiline) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Two walks over the rows, the first for the widths, the second writing; cells are
/// encoded again rather than kept, so memory stays at the size of the table, and lines
/// are built in one buffer reused for all of them.
///
/// Nearly all cells are plain ASCII, which the table has noted column by column: such a
/// column's width is its longest cell's, without a visit (unless it carries the tree,
/// whose glyphs differ from row to row), and its cells are copied to the line as they are.
pub(super) fn render(t: &Table, order: &Order, s: &Style, out: &mut dyn Write) -> io::Result<()> {
    let mut fits: Vec<Fit> = t
        .cols
        .iter()
        .map(|c| Fit { data: 0, header: s.headings.then_some(c.name.len()), hint: c.hint, trunc: c.trunc })
        .collect();
    let mut visit = Vec::new();
    for (i, c) in t.cols.iter().enumerate() {
        match t.column_facts(i) {
            (longest, true) if !c.tree => fits[i].data = longest,
            _ => visit.push(i),
        }
    }
    let mut cell = Vec::new();
    if !visit.is_empty() {
        order.each(|v| {
            visit.iter().for_each(|&i| widen(&mut fits[i], t, i, v, s.utf8, &mut cell));
            Ok(())
        })?;
    }
    let widths = layout::widths(&fits, s.term_width);
    let plain_rows = (0..t.cols.len()).all(|i| t.column_facts(i).1);
    let last = t.cols.len().saturating_sub(1);
    let mut line = Vec::with_capacity(FLUSH_AT + 4096);
    if s.headings {
        for (i, c) in t.cols.iter().enumerate() {
            put_cell(&mut line, c, i, last, widths[i], c.name.as_bytes(), c.name.len());
        }
        line.push(b'\n');
    }
    order.each(|v| {
        if plain_rows {
            write_plain_row(t, v, s.utf8, &widths, &mut line, &mut cell);
        } else {
            write_row(t, v, s.utf8, &widths, &mut line, &mut cell);
        }
        if line.len() >= FLUSH_AT {
            out.write_all(&line)?;
            line.clear();
        }
        Ok(())
    })?;
    out.write_all(&line)
}

/// Widens `fit` to the cell of column `i` on row `v`: its widest line, after the glyphs
/// in the tree column.
fn widen(fit: &mut Fit, t: &Table, i: usize, v: &Visit<'_>, utf8: bool, scratch: &mut Vec<u8>) {
    let c = &t.cols[i];
    let extra = if c.tree { glyph_width(v.levels) } else { 0 };
    for p in parts(t.cell(v.row, i), c.multiline) {
        fit.data = fit.data.max(safe_width(p, utf8, scratch) + extra);
    }
}

/// How much output is gathered before it is written on: as much as the caller's
/// `BufWriter` holds (64 KiB), which then hands it on without copying it.
const FLUSH_AT: usize = 64 * 1024;

/// Appends the physical lines of a row to `line`: more than one when a multi-line cell
/// has several parts. `cell` is a buffer reused for every cell.
fn write_row(t: &Table, v: &Visit<'_>, utf8: bool, widths: &[usize], line: &mut Vec<u8>, cell: &mut Vec<u8>) {
    let last = t.cols.len().saturating_sub(1);
    let height = t
        .cols
        .iter()
        .enumerate()
        .map(|(i, c)| if c.multiline { 1 + t.cell(v.row, i).iter().filter(|&&b| b == b'\n').count() } else { 1 })
        .max()
        .unwrap_or(1);
    for k in 0..height {
        for (i, c) in t.cols.iter().enumerate() {
            cell.clear();
            let w = parts(t.cell(v.row, i), c.multiline).nth(k).map_or(0, |p| encode_part(p, c, v.levels, utf8, cell));
            put_cell(line, c, i, last, widths[i], cell, w);
        }
        line.push(b'\n');
    }
}

/// [`write_row`] for a row of [`plain`](super::plain) cells: one line, each cell as it
/// is (after the glyphs in the tree column), unless it must be cut.
fn write_plain_row(t: &Table, v: &Visit<'_>, utf8: bool, widths: &[usize], line: &mut Vec<u8>, cell: &mut Vec<u8>) {
    let last = t.cols.len().saturating_sub(1);
    for (i, (c, text)) in t.cols.iter().zip(t.cells(v.row)).enumerate() {
        let levels = if c.tree { v.levels } else { &[] };
        let w = glyph_width(levels) + text.len();
        if w > widths[i] {
            cell.clear();
            let w = encode_part(text, c, v.levels, utf8, cell);
            put_cell(line, c, i, last, widths[i], cell, w);
        } else {
            place(line, c, i, last, widths[i], w, |line| {
                glyphs(levels, utf8, line);
                line.extend_from_slice(text);
            });
        }
    }
    line.push(b'\n');
}

/// Appends one line of a cell of column `c` to `out`, encoded, after the tree glyphs of
/// `levels` in the tree column (none at the top level); returns its width.
fn encode_part(p: &[u8], c: &Col, levels: &[bool], utf8: bool, out: &mut Vec<u8>) -> usize {
    let levels = if c.tree { levels } else { &[] };
    glyphs(levels, utf8, out);
    glyph_width(levels) + encode_into(p, utf8, out)
}

/// Appends cell `i` (text `v`, `w` columns wide) of a line to `line`, aligned in its
/// column of `width` (cut to it when wider).
fn put_cell(line: &mut Vec<u8>, c: &Col, i: usize, last: usize, width: usize, v: &[u8], w: usize) {
    if w > width {
        // (the encoder's text is UTF-8, so nothing is lost here)
        let (v, w) = cut(&String::from_utf8_lossy(v), width);
        return put_cell(line, c, i, last, width, v.as_bytes(), w);
    }
    place(line, c, i, last, width, w, |line| line.extend_from_slice(v));
}

/// Appends cell `i`, `w` columns wide (at most `width`) and written by `text`, to `line`:
/// a blank before every cell but the first, padding to the column's width on the left of
/// a number, on the right of anything else, but none after the last cell.
fn place(line: &mut Vec<u8>, c: &Col, i: usize, last: usize, width: usize, w: usize, text: impl FnOnce(&mut Vec<u8>)) {
    if i > 0 {
        line.push(b' ');
    }
    let pad = width - w;
    if c.right && !c.tree {
        if !(i == last && w == 0) {
            pad_with_blanks(line, pad);
        }
        text(line);
    } else {
        text(line);
        if i != last {
            pad_with_blanks(line, pad);
        }
    }
}

/// Appends `n` blanks (a copy from a row of them, cheaper than `resize` for the few that
/// a column mostly needs).
fn pad_with_blanks(line: &mut Vec<u8>, n: usize) {
    const BLANKS: [u8; 32] = [b' '; 32];
    match BLANKS.get(..n) {
        Some(b) => line.extend_from_slice(b),
        None => line.resize(line.len() + n, b' '),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{col, table};
    use super::super::*;
    use super::{encode_into, safe_width};
    use crate::columns::Kind;

    /// [`encode_into`]'s text and width.
    fn safe_encode(bytes: &[u8], utf8: bool) -> (String, usize) {
        let mut out = Vec::new();
        let width = encode_into(bytes, utf8, &mut out);
        (String::from_utf8(out).unwrap(), width)
    }

    #[test]
    fn encoding() {
        assert_eq!(safe_encode(b"we\x01ird )\nname\xff \\sl", true), ("we\\x01ird )\\x0aname\\xff \\sl".into(), 27));
        assert_eq!(safe_encode("é\t".as_bytes(), true), ("é\\x09".into(), 5));
        assert_eq!(safe_encode("é".as_bytes(), false), ("\\xc3\\xa9".into(), 8));
        assert_eq!(safe_encode(b"\xe2\x94", true).0, "\\xe2\\x94");
    }

    /// A backslash before an `x` is `\x5c`, so no text passes for an escape; other
    /// backslashes stay (bytes and widths as the newest util-linux printed them, in a UTF-8
    /// locale and in the C locale).
    #[test]
    fn backslashes() {
        let args = br"\x \X \\ e\ \xzz \n \x5c \\x ";
        let shown = r"\x5cx \X \\ e\ \x5cxzz \n \x5cx5c \\x5cx ";
        for utf8 in [true, false] {
            assert_eq!(safe_encode(args, utf8), (shown.into(), shown.len()));
            assert_eq!(safe_encode(b"true \\x0a a\\b", utf8), (r"true \x5cx0a a\b".into(), 16));
            assert_eq!(safe_encode(b"\\\t\\\xff\\", utf8), (r"\\x09\\xff\".into(), 11));
        }
        assert_eq!(safe_encode("\\\u{e9}\\x".as_bytes(), true), (r"\é\x5cx".into(), 7));
        assert_eq!(safe_encode("\\\u{e9}\\x".as_bytes(), false), (r"\\xc3\xa9\x5cx".into(), 14));
    }

    /// Columns are as wide as the escaped text, in the fast and the slow row writer alike,
    /// the tree column included (util-linux's table for a command line `\x0a a\b`).
    #[test]
    fn backslashes_in_a_table() {
        let cmd = "sh -c sleep 1000; true \\x0a a\\b";
        let cols =
            vec![col("NS", Kind::Number, true), col("COMMAND", Kind::String, false), col("PID", Kind::Number, true)];
        let t = table(
            "namespaces",
            cols,
            &[(&["4026531836", "kthreadd", "2"], None), (&["4026532174", cmd, "17809"], None)],
        );
        let out = String::from_utf8(render(&t, &Style::new(Mode::Table))).unwrap();
        assert_eq!(
            out,
            "        NS COMMAND                              PID\n\
             4026531836 kthreadd                               2\n\
             4026532174 sh -c sleep 1000; true \\x5cx0a a\\b 17809\n"
        );
        let mut ns = col("NS", Kind::Number, true);
        ns.tree = true;
        let t = table(
            "namespaces",
            vec![ns, col("COMMAND", Kind::String, false)],
            &[(&["1", "a"], None), (&["2\\x", "b"], Some(0))],
        );
        let out = String::from_utf8(render(&t, &Style::new(Mode::Table))).unwrap();
        assert_eq!(out, "NS       COMMAND\n1        a\n`-2\\x5cx b\n");
    }

    /// The width pass's shortcut for plain cells measures what the encoder writes.
    #[test]
    fn width_without_encoding() {
        let cells: [&[u8]; 10] = [
            b"",
            b"sleep 300",
            b" ~}",
            b"a\x7f",
            b"\x1f",
            "\u{e9}t\u{e9}".as_bytes(),
            b"\xff",
            b"\t",
            b"\\x0a",
            b"a\\b",
        ];
        for c in cells {
            for utf8 in [true, false] {
                assert_eq!(safe_width(c, utf8, &mut Vec::new()), safe_encode(c, utf8).1, "{c:?} {utf8}");
            }
        }
        assert_eq!(safe_encode(b"sleep 300", false), ("sleep 300".into(), 9));
    }

    #[test]
    fn right_alignment_and_empty_last_cell() {
        let cols = vec![col("NS", Kind::Number, true), col("NETNSID", Kind::String, true)];
        let t = table("namespaces", cols.clone(), &[(&["4026531838", ""], None), (&["4026532177", "5"], None)]);
        let out = render(&t, &Style::new(Mode::Table));
        assert_eq!(String::from_utf8(out).unwrap(), "        NS NETNSID\n4026531838 \n4026532177       5\n");
        let mut s = Style::new(Mode::Table);
        s.headings = false;
        let t2 = table("namespaces", cols, &[(&["1", ""], None)]);
        // without headings the header's width does not count
        assert_eq!(String::from_utf8(render(&t2, &s)).unwrap(), "1 \n");
    }

    #[test]
    fn multiline_cells() {
        let mut nsfs = col("NSFS", Kind::String, false);
        nsfs.multiline = true;
        let cols = vec![col("NS", Kind::Number, true), nsfs, col("COMMAND", Kind::String, false)];
        let t = table("namespaces", cols, &[(&["1", "/run/netns/abc\n/x", "sleep"], None)]);
        let out = String::from_utf8(render(&t, &Style::new(Mode::Table))).unwrap();
        assert_eq!(out, "NS NSFS           COMMAND\n 1 /run/netns/abc sleep\n   /x             \n");
    }

    #[test]
    fn truncation_on_terminal() {
        let mut cmd = col("COMMAND", Kind::String, false);
        cmd.trunc = true;
        let t = table(
            "namespaces",
            vec![col("PID", Kind::Number, true), cmd],
            &[(&["1", "a very long command line"], None)],
        );
        let mut s = Style::new(Mode::Table);
        s.term_width = Some(14);
        assert_eq!(String::from_utf8(render(&t, &s)).unwrap(), "PID COMMAND\n  1 a very lon\n");
    }
}
