//! JSON in libsmartcols' layout: three-space indentation, sibling objects joined as
//! `},{`, numbers unquoted, empty cells `null`, tree children in a `"children"` array.
//! Unlike util-linux, a multi-line cell (NSFS) is one properly escaped string.

use std::io::{self, Write};

use super::{JsonStyle, Order, Table};
use crate::columns::Kind;

pub(crate) fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

struct Writer<'a> {
    t: &'a Table,
    order: &'a Order,
    keys: Vec<String>,
    pretty: bool,
    buf: Vec<u8>,
    out: &'a mut dyn Write,
}

impl Writer<'_> {
    /// Hands the text so far to the output, so memory does not grow with the table.
    fn drain(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    fn indent(&mut self, level: usize) {
        if self.pretty {
            self.buf.extend(std::iter::repeat(b' ').take(level * 3));
        }
    }

    fn newline(&mut self) {
        if self.pretty {
            self.buf.push(b'\n');
        }
    }

    /// Writes row `r` (and its subtree) as an object whose `{` is already indented.
    fn object(&mut self, r: usize, level: usize) -> io::Result<()> {
        self.buf.push(b'{');
        self.newline();
        let kids = if self.order.tree { self.order.children[r].clone() } else { Vec::new() };
        let n = self.t.cols.len();
        for i in 0..n {
            self.indent(level + 1);
            escape(self.keys[i].as_bytes(), &mut self.buf);
            self.buf.push(b':');
            if self.pretty {
                self.buf.push(b' ');
            }
            let v = &self.t.rows[r].cells[i];
            if v.is_empty() {
                self.buf.extend_from_slice(b"null");
            } else if self.t.cols[i].kind == Kind::Number {
                self.buf.extend_from_slice(v);
            } else {
                escape(v, &mut self.buf);
            }
            if i + 1 < n || !kids.is_empty() {
                self.buf.push(b',');
            }
            self.newline();
        }
        if !kids.is_empty() {
            self.indent(level + 1);
            self.buf.extend_from_slice(if self.pretty { b"\"children\": [" } else { b"\"children\":[" });
            self.newline();
            self.array(&kids, level + 2)?;
            self.indent(level + 1);
            self.buf.push(b']');
            self.newline();
        }
        self.indent(level);
        self.buf.push(b'}');
        Ok(())
    }

    fn array(&mut self, rows: &[usize], level: usize) -> io::Result<()> {
        self.indent(level);
        for (k, &r) in rows.iter().enumerate() {
            if k > 0 {
                self.buf.push(b',');
            }
            self.object(r, level)?;
            // nested arrays stay in the buffer until their top-level object is done
            if level == 2 {
                self.drain()?;
            }
        }
        self.newline();
        Ok(())
    }
}

pub(super) fn render(t: &Table, order: &Order, style: JsonStyle, out: &mut dyn Write) -> io::Result<()> {
    let keys = t.cols.iter().map(|c| c.name.to_ascii_lowercase()).collect();
    let roots: Vec<usize> = order.seq.iter().filter(|&&(_, d)| d == 0).map(|&(r, _)| r).collect();
    let mut w = Writer { t, order, keys, pretty: style == JsonStyle::Pretty, buf: Vec::new(), out };
    match style {
        JsonStyle::Pretty => {
            w.buf.extend_from_slice(format!("{{\n   \"{}\": [\n", t.name).as_bytes());
            w.array(&roots, 2)?;
            w.buf.extend_from_slice(b"   ]\n}\n");
        }
        JsonStyle::Compact | JsonStyle::Lines => {
            let compact = style == JsonStyle::Compact;
            if compact {
                w.buf.extend_from_slice(format!("{{\"{}\":[\n", t.name).as_bytes());
            }
            for (k, &r) in roots.iter().enumerate() {
                w.object(r, 0)?;
                if compact && k + 1 < roots.len() {
                    w.buf.push(b',');
                }
                w.buf.push(b'\n');
                w.drain()?;
            }
            if compact {
                w.buf.extend_from_slice(b"]}\n");
            }
        }
    }
    w.drain()
}

#[cfg(test)]
mod tests {
    #[test]
    fn string_escapes() {
        let mut out = Vec::new();
        super::escape(b"we\x01ird )\nname\xff \\sl\t\"q\"\x7f", &mut out);
        assert_eq!(out, b"\"we\\u0001ird )\\nname\xff \\\\sl\\t\\\"q\\\"\\u007f\"");
    }
}
