//! The human-readable table: column widths as [`layout`] decides, numbers on the right,
//! one space between columns and no padding after the last one.

use std::io::{self, Write};

use super::layout::{self, Fit};
use super::{glyph_width, glyphs, Order, Style, Table};

/// Makes a cell safe for a terminal: control bytes, invalid UTF-8 and (outside a UTF-8
/// locale) every non-ASCII byte become `\xHH`; returns the text and its display width.
pub(crate) fn safe_encode(bytes: &[u8], utf8: bool) -> (String, usize) {
    if is_plain(bytes) {
        return (String::from_utf8_lossy(bytes).into_owned(), bytes.len());
    }
    let mut out = String::with_capacity(bytes.len());
    let mut width = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if (0x20..0x7f).contains(&b) {
            out.push(b as char);
            width += 1;
            i += 1;
            continue;
        }
        if let Some((c, len)) = utf8.then(|| printable_char(&bytes[i..])).flatten() {
            out.push(c);
            width += char_width(c);
            i += len;
            continue;
        }
        out.push_str(&format!("\\x{b:02x}"));
        width += 4;
        i += 1;
    }
    (out, width)
}

/// The display width of [`safe_encode`]'s text, without making the text when the cell is
/// plain (the common case: the width pass visits every cell).
fn safe_width(bytes: &[u8], utf8: bool) -> usize {
    if is_plain(bytes) {
        bytes.len()
    } else {
        safe_encode(bytes, utf8).1
    }
}

/// Printable ASCII only: a cell that is shown as it is, one column per byte.
fn is_plain(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| (0x20..0x7f).contains(b))
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
/// encoded again rather than kept, so memory stays at the size of the table.
pub(super) fn render(t: &Table, order: &Order, s: &Style, out: &mut dyn Write) -> io::Result<()> {
    let mut fits: Vec<Fit> = t
        .cols
        .iter()
        .map(|c| Fit { data: 0, header: s.headings.then_some(c.name.len()), hint: c.hint, trunc: c.trunc })
        .collect();
    order.each(|v| {
        for (i, c) in t.cols.iter().enumerate() {
            let extra = if c.tree { glyph_width(v.levels) } else { 0 };
            for p in parts(&t.rows[v.row].cells[i], c.multiline) {
                fits[i].data = fits[i].data.max(safe_width(p, s.utf8) + extra);
            }
        }
        Ok(())
    })?;
    let widths = layout::widths(&fits, s.term_width);
    let mut line = String::new();
    if s.headings {
        let head: Vec<Vec<(String, usize)>> = t.cols.iter().map(|c| vec![(c.name.to_string(), c.name.len())]).collect();
        write_line(&mut line, t, &widths, &head, 0);
        out.write_all(line.as_bytes())?;
    }
    order.each(|v| {
        let cells: Vec<Vec<(String, usize)>> = t
            .cols
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let levels = if c.tree { v.levels } else { &[] };
                parts(&t.rows[v.row].cells[i], c.multiline).map(|p| encode_part(p, levels, s.utf8)).collect()
            })
            .collect();
        let height = cells.iter().map(Vec::len).max().unwrap_or(1);
        for k in 0..height {
            line.clear();
            write_line(&mut line, t, &widths, &cells, k);
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    })
}

/// One line of a cell, encoded, after the tree glyphs of `levels` (none outside the tree
/// column and at the top level); returns the text and its width.
fn encode_part(p: &[u8], levels: &[bool], utf8: bool) -> (String, usize) {
    let (text, w) = safe_encode(p, utf8);
    if levels.is_empty() {
        return (text, w);
    }
    let mut g = String::new();
    glyphs(levels, utf8, &mut g);
    g.push_str(&text);
    (g, w + glyph_width(levels))
}

fn write_line(text: &mut String, t: &Table, widths: &[usize], cells: &[Vec<(String, usize)>], line: usize) {
    let last = t.cols.len().saturating_sub(1);
    for (i, c) in t.cols.iter().enumerate() {
        if i > 0 {
            text.push(' ');
        }
        let (mut v, mut w) = cells[i].get(line).cloned().unwrap_or_default();
        if w > widths[i] {
            (v, w) = cut(&v, widths[i]);
        }
        let pad = widths[i] - w;
        if c.right && !c.tree {
            if !(i == last && w == 0) {
                text.extend(std::iter::repeat(' ').take(pad));
            }
            text.push_str(&v);
        } else {
            text.push_str(&v);
            if i != last {
                text.extend(std::iter::repeat(' ').take(pad));
            }
        }
    }
    text.push('\n');
}

#[cfg(test)]
mod tests {
    use super::super::tests::{col, row};
    use super::super::*;
    use super::{safe_encode, safe_width};
    use crate::columns::Kind;

    #[test]
    fn encoding() {
        assert_eq!(safe_encode(b"we\x01ird )\nname\xff \\sl", true), ("we\\x01ird )\\x0aname\\xff \\sl".into(), 27));
        assert_eq!(safe_encode("é\t".as_bytes(), true), ("é\\x09".into(), 5));
        assert_eq!(safe_encode("é".as_bytes(), false), ("\\xc3\\xa9".into(), 8));
        assert_eq!(safe_encode(b"\xe2\x94", true).0, "\\xe2\\x94");
    }

    /// The width pass's shortcut for plain cells measures what the encoder writes.
    #[test]
    fn width_without_encoding() {
        let cells: [&[u8]; 8] =
            [b"", b"sleep 300", b" ~}", b"a\x7f", b"\x1f", "\u{e9}t\u{e9}".as_bytes(), b"\xff", b"\t"];
        for c in cells {
            for utf8 in [true, false] {
                assert_eq!(safe_width(c, utf8), safe_encode(c, utf8).1, "{c:?} {utf8}");
            }
        }
        assert_eq!(safe_encode(b"sleep 300", false), ("sleep 300".into(), 9));
    }

    #[test]
    fn right_alignment_and_empty_last_cell() {
        let t = Table {
            name: "namespaces",
            cols: vec![col("NS", Kind::Number, true), col("NETNSID", Kind::String, true)],
            rows: vec![row(&["4026531838", ""], None), row(&["4026532177", "5"], None)],
        };
        let out = render(&t, &Style::new(Mode::Table));
        assert_eq!(String::from_utf8(out).unwrap(), "        NS NETNSID\n4026531838 \n4026532177       5\n");
        let mut s = Style::new(Mode::Table);
        s.headings = false;
        let t2 = Table { rows: vec![row(&["1", ""], None)], ..t };
        // without headings the header's width does not count
        assert_eq!(String::from_utf8(render(&t2, &s)).unwrap(), "1 \n");
    }

    #[test]
    fn multiline_cells() {
        let mut nsfs = col("NSFS", Kind::String, false);
        nsfs.multiline = true;
        let t = Table {
            name: "namespaces",
            cols: vec![col("NS", Kind::Number, true), nsfs, col("COMMAND", Kind::String, false)],
            rows: vec![row(&["1", "/run/netns/abc\n/x", "sleep"], None)],
        };
        let out = String::from_utf8(render(&t, &Style::new(Mode::Table))).unwrap();
        assert_eq!(out, "NS NSFS           COMMAND\n 1 /run/netns/abc sleep\n   /x             \n");
    }

    #[test]
    fn truncation_on_terminal() {
        let mut cmd = col("COMMAND", Kind::String, false);
        cmd.trunc = true;
        let t = Table {
            name: "namespaces",
            cols: vec![col("PID", Kind::Number, true), cmd],
            rows: vec![row(&["1", "a very long command line"], None)],
        };
        let mut s = Style::new(Mode::Table);
        s.term_width = Some(14);
        assert_eq!(String::from_utf8(render(&t, &s)).unwrap(), "PID COMMAND\n  1 a very lon\n");
    }
}
