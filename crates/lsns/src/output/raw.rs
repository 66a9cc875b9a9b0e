//! Raw output: one space between cells, nothing padded, and every byte that could split
//! or hide a field (blanks, backslashes, control and non-ASCII bytes) written as `\xHH`.

use std::io::{self, Write};

use super::{glyphs, hex_escape, Order, Style, Table};

pub(crate) fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        if (0x21..0x7f).contains(&b) && b != b'\\' {
            out.push(b);
        } else {
            hex_escape(b, out);
        }
    }
}

pub(super) fn render(t: &Table, order: &Order, s: &Style, out: &mut dyn Write) -> io::Result<()> {
    let mut buf = Vec::new();
    if s.headings {
        let names: Vec<&str> = t.cols.iter().map(|c| c.name).collect();
        buf.extend_from_slice(names.join(" ").as_bytes());
        buf.push(b'\n');
    }
    let mut g = Vec::new();
    order.each(|v| {
        for (i, c) in t.cols.iter().enumerate() {
            if i > 0 {
                buf.push(b' ');
            }
            if c.tree {
                g.clear();
                glyphs(v.levels, s.utf8, &mut g);
                escape(&g, &mut buf);
            }
            escape(t.cell(v.row, i), &mut buf);
        }
        buf.push(b'\n');
        out.write_all(&buf)?;
        buf.clear();
        Ok(())
    })?;
    out.write_all(&buf)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{col, table};
    use super::super::*;
    use crate::columns::Kind;

    #[test]
    fn escapes_like_util_linux() {
        let mut out = Vec::new();
        super::escape("we\x01ird )\nname \\sl é\t".as_bytes(), &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "we\\x01ird\\x20)\\x0aname\\x20\\x5csl\\x20\\xc3\\xa9\\x09");
        let mut out = Vec::new();
        super::escape(b"\xff\"`-", &mut out);
        assert_eq!(out, b"\\xff\"`-");
    }

    #[test]
    fn empty_cells_keep_their_separator() {
        let cols =
            vec![col("NS", Kind::Number, true), col("PID", Kind::Number, true), col("USER", Kind::String, false)];
        let t = table("namespaces", cols, &[(&["4026532249", "", "root"], None), (&["1", "2", ""], None)]);
        let out = render(&t, &Style::new(Mode::Raw));
        assert_eq!(String::from_utf8(out).unwrap(), "NS PID USER\n4026532249  root\n1 2 \n");
    }
}
