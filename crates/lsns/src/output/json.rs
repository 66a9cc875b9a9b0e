//! JSON in libsmartcols' layout: three-space indentation, sibling objects joined as
//! `},{`, numbers unquoted, empty cells `null`, tree children in a `"children"` array.
//! Unlike util-linux, the output is always valid JSON: a multi-line cell (NSFS) is one
//! properly escaped string, and a byte that is not UTF-8 is written as the text `\xHH`.
//! Written while the rows are walked, so memory does not grow with the output (a deep
//! tree's indentation alone grows with the square of its depth).

use std::io::{self, Write};

use super::{hex_escape, JsonStyle, Order, Step, Table};
use crate::columns::Kind;

/// Writes `bytes` as a JSON string: valid UTF-8 as it is (DEL and C1 controls included,
/// as util-linux writes them), `"`, `\` and C0 controls escaped, and each byte of an
/// invalid sequence as the text `\xHH` (`"\\xff"` in the JSON).
pub(crate) fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for chunk in bytes.utf8_chunks() {
        for &b in chunk.valid().as_bytes() {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b'\r' => out.extend_from_slice(b"\\r"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                0..=0x1f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
                _ => out.push(b),
            }
        }
        for &b in chunk.invalid() {
            // the text `\xHH`, its backslash escaped
            out.push(b'\\');
            hex_escape(b, out);
        }
    }
    out.push(b'"');
}

/// Text is handed to the output in pieces of about this size.
const CHUNK: usize = 64 * 1024;

struct Writer<'a> {
    t: &'a Table,
    keys: Vec<String>,
    style: JsonStyle,
    buf: Vec<u8>,
    out: &'a mut dyn Write,
}

impl Writer<'_> {
    fn pretty(&self) -> bool {
        self.style == JsonStyle::Pretty
    }

    fn flush_some(&mut self) -> io::Result<()> {
        if self.buf.len() >= CHUNK {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn indent(&mut self, level: usize) {
        if self.pretty() {
            self.buf.extend(std::iter::repeat(b' ').take(level * 3));
        }
    }

    fn newline(&mut self) {
        if self.pretty() {
            self.buf.push(b'\n');
        }
    }

    /// The indentation level of an object at tree depth `depth` (pretty form).
    fn level(depth: usize) -> usize {
        2 + 2 * depth
    }

    /// Opens row `r`'s object and writes its fields, and the start of its children.
    fn enter(&mut self, r: usize, depth: usize, first: bool, has_children: bool) {
        let level = Self::level(depth);
        if first {
            self.indent(level);
        } else if self.pretty() || depth > 0 {
            self.buf.push(b',');
        }
        self.buf.push(b'{');
        self.newline();
        let n = self.t.cols.len();
        for i in 0..n {
            self.indent(level + 1);
            escape(self.keys[i].as_bytes(), &mut self.buf);
            self.buf.extend_from_slice(if self.pretty() { b": " } else { b":" });
            let v = self.t.cell(r, i);
            if v.is_empty() {
                self.buf.extend_from_slice(b"null");
            } else if self.t.cols[i].kind == Kind::Number {
                self.buf.extend_from_slice(v);
            } else {
                escape(v, &mut self.buf);
            }
            if i + 1 < n || has_children {
                self.buf.push(b',');
            }
            self.newline();
        }
        if has_children {
            self.indent(level + 1);
            self.buf.extend_from_slice(if self.pretty() { b"\"children\": [" } else { b"\"children\":[" });
            self.newline();
        }
    }

    /// Closes an object (and its children's array); `more`: a sibling follows.
    fn leave(&mut self, depth: usize, more: bool, has_children: bool) {
        let level = Self::level(depth);
        if has_children {
            self.indent(level + 1);
            self.buf.push(b']');
            self.newline();
        }
        self.indent(level);
        self.buf.push(b'}');
        match self.style {
            JsonStyle::Pretty if !more => self.buf.push(b'\n'),
            JsonStyle::Compact | JsonStyle::Lines if depth == 0 => {
                if more && self.style == JsonStyle::Compact {
                    self.buf.push(b',');
                }
                self.buf.push(b'\n');
            }
            _ => {}
        }
    }
}

pub(super) fn render(t: &Table, order: &Order, style: JsonStyle, out: &mut dyn Write) -> io::Result<()> {
    let keys = t.cols.iter().map(|c| c.name.to_ascii_lowercase()).collect();
    let mut w = Writer { t, keys, style, buf: Vec::with_capacity(CHUNK + 1024), out };
    match style {
        JsonStyle::Pretty => w.buf.extend_from_slice(format!("{{\n   \"{}\": [\n", t.name).as_bytes()),
        JsonStyle::Compact => w.buf.extend_from_slice(format!("{{\"{}\":[\n", t.name).as_bytes()),
        JsonStyle::Lines => {}
    }
    if style == JsonStyle::Pretty && t.is_empty() {
        w.buf.push(b'\n');
    }
    // whether the next object opens its parent's array (else a sibling precedes it)
    let mut first = true;
    order.walk(|step| {
        match step {
            Step::Enter(v) => {
                w.enter(v.row, v.levels.len(), first, v.has_children);
                first = true;
            }
            Step::Leave { depth, more, has_children, .. } => {
                w.leave(depth, more, has_children);
                first = false;
            }
        }
        w.flush_some()
    })?;
    match style {
        JsonStyle::Pretty => w.buf.extend_from_slice(b"   ]\n}\n"),
        JsonStyle::Compact => w.buf.extend_from_slice(b"]}\n"),
        JsonStyle::Lines => {}
    }
    w.out.write_all(&w.buf)
}

#[cfg(test)]
mod tests {
    fn esc(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        super::escape(b, &mut out);
        out
    }

    #[test]
    fn string_escapes() {
        assert_eq!(
            esc(b"we\x01ird )\nname \\sl\t\"q\"\x7f\x08\x0c\r\x1f"),
            &b"\"we\\u0001ird )\\nname \\\\sl\\t\\\"q\\\"\x7f\\b\\f\\r\\u001f\""[..]
        );
    }

    /// Whatever the bytes, the result is UTF-8; bytes that are not are written as `\xHH`.
    #[test]
    fn invalid_utf8_is_spelled_out() {
        assert_eq!(esc(b"a\xffb"), b"\"a\\\\xffb\"");
        assert_eq!(esc("é€😀\u{80}".as_bytes()), "\"é€😀\u{80}\"".as_bytes());
        // a cut sequence, a surrogate, an overlong form, a code point beyond U+10FFFF
        assert_eq!(
            esc(b"\xc3|\xed\xa0\x80|\xe0\x80\x80|\xf4\x90\x80\x80"),
            &b"\"\\\\xc3|\\\\xed\\\\xa0\\\\x80|\\\\xe0\\\\x80\\\\x80|\\\\xf4\\\\x90\\\\x80\\\\x80\""[..]
        );
        for b in 0..=255u8 {
            assert!(std::str::from_utf8(&esc(&[b, b'x', b])).is_ok(), "{b:#x}");
        }
    }
}
