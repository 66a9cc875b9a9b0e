//! POSIX extended regular expressions, the dialect of util-linux's `=~` and `!~`, run by
//! the `regex` crate: matching takes time linear in the text and a compiled pattern has a
//! bounded size, where glibc's backtracking `regexec` spends minutes and gigabytes on
//! `(((a{1,255}){1,255}){1,255})`.
//!
//! The pattern is first translated to the crate's syntax, reading it as glibc's `regcomp`
//! reads an ERE: `\` is literal inside brackets and `]` first in them is a member; `[`,
//! `&&`, `--` and `~~` in brackets are plain characters; `{` always opens a bound (`{,n}`
//! is `{0,n}`); a `)` without `(` is literal; `\n`, `\d` and other unknown escapes are
//! the letter itself; `\w \W \s \S \b \B \< \> \` \'` are GNU's; `.` matches newlines;
//! stacked repetitions (`a+?`, `a{2}{3}`) repeat the repetition, never make it lazy.
//! Classes (`[:alpha:]`, `\w`) are ASCII. In a UTF-8 locale `.` and bracket members are
//! characters, in any other locale bytes, as in glibc.
//!
//! What the crate cannot do (back-references) or what would grow too big fails here, when
//! the filter is parsed. Messages use glibc's words where glibc has the same error.

use std::fmt::Write;

use regex::bytes::{Regex as Compiled, RegexBuilder};

const UNMATCHED_BRACKET: &str = "Unmatched [, [^, [:, [., or [=";
const UNMATCHED_PAREN: &str = "Unmatched ( or \\(";
const UNMATCHED_BRACE: &str = "Unmatched \\{";
const BAD_BRACE: &str = "Invalid content of \\{\\}";
const BAD_PRECEDING: &str = "Invalid preceding regular expression";
const BAD_CLASS: &str = "Invalid character class name";
const BAD_RANGE: &str = "Invalid range end";
const BAD_COLLATE: &str = "Invalid collation character";
const TOO_BIG: &str = "Regular expression too big";
const TRAILING_BACKSLASH: &str = "Trailing backslash";
const NO_BACKREF: &str = "back-references are not supported";

/// Why a pattern is refused. Each prints as glibc's `regcomp` words its error, where
/// glibc has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegexError {
    UnmatchedBracket,
    UnmatchedParen,
    UnmatchedBrace,
    BadBrace,
    BadPreceding,
    BadClass,
    BadRange,
    BadCollate,
    TooBig,
    TrailingBackslash,
    /// `\1` to `\9`, which the engine cannot match.
    BackReference,
    /// What the engine refuses beyond our checks (nesting too deep), in its words.
    Engine(String),
}

impl std::fmt::Display for RegexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RegexError::UnmatchedBracket => UNMATCHED_BRACKET,
            RegexError::UnmatchedParen => UNMATCHED_PAREN,
            RegexError::UnmatchedBrace => UNMATCHED_BRACE,
            RegexError::BadBrace => BAD_BRACE,
            RegexError::BadPreceding => BAD_PRECEDING,
            RegexError::BadClass => BAD_CLASS,
            RegexError::BadRange => BAD_RANGE,
            RegexError::BadCollate => BAD_COLLATE,
            RegexError::TooBig => TOO_BIG,
            RegexError::TrailingBackslash => TRAILING_BACKSLASH,
            RegexError::BackReference => NO_BACKREF,
            RegexError::Engine(m) => m,
        })
    }
}

impl std::error::Error for RegexError {}

/// What a pattern's compiled program may take: first tried small, which nearly every
/// pattern fits; the large limit still takes `(a{1,255}){1,100}`.
const SMALL: usize = 64 << 10;
const LARGE: usize = 2 << 20;

/// glibc's largest repetition count (`RE_DUP_MAX`).
const DUP_MAX: u32 = 0x7fff;
/// Repetitions stacked on one atom (`a+?`); glibc refuses most stacks of two already.
const MAX_STACKED: usize = 8;
/// The class names POSIX defines (the crate knows a few more).
const CLASSES: [&str; 12] =
    ["alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "xdigit"];

/// Compiles the patterns of one filter. Their programs share a budget, so that a filter
/// of a thousand huge patterns cannot take gigabytes either.
#[derive(Debug)]
pub struct Compiler {
    /// The locale's character set is UTF-8.
    utf8: bool,
    /// Program bytes left.
    left: usize,
}

impl Compiler {
    pub fn new(utf8: bool) -> Compiler {
        Compiler { utf8, left: 64 << 20 }
    }

    /// Compiles an ERE; one that is not valid UTF-8 is read as bytes in any locale.
    pub fn compile(&mut self, pattern: &[u8]) -> Result<Regex, RegexError> {
        let (unicode, units): (bool, Vec<char>) = match std::str::from_utf8(pattern) {
            Ok(s) if self.utf8 => (true, s.chars().collect()),
            // a byte as the char of the same number; `push_literal` turns it back
            _ => (false, pattern.iter().map(|&b| char::from(b)).collect()),
        };
        let text = Translator::new(&units, unicode).run()?;
        for limit in [SMALL, LARGE] {
            if limit > self.left {
                break;
            }
            match RegexBuilder::new(&text).size_limit(limit).build() {
                Ok(re) => {
                    self.left -= limit;
                    return Ok(Regex(re));
                }
                Err(regex::Error::CompiledTooBig(_)) => {}
                // what is left after our own checks: nesting beyond the crate's limit
                Err(e) => {
                    let words =
                        e.to_string().lines().last().unwrap_or_default().trim_start_matches("error: ").to_string();
                    return Err(RegexError::Engine(words));
                }
            }
        }
        Err(RegexError::TooBig)
    }
}

/// A compiled pattern.
#[derive(Debug)]
pub struct Regex(Compiled);

impl Regex {
    /// Whether `text` contains a match.
    pub fn is_match(&self, text: &[u8]) -> bool {
        self.0.is_match(text)
    }
}

/// A member of a bracket expression.
enum Member {
    Char(char),
    Class(String),
}

struct Translator<'a> {
    units: &'a [char],
    i: usize,
    /// Unicode mode: units are characters; else bytes (each stored as the char of its
    /// value, 0 to 255).
    unicode: bool,
    out: String,
    /// Where the groups still open start in `out`.
    groups: Vec<usize>,
    /// Where the last atom that a repetition may follow starts in `out`.
    atom: Option<usize>,
    /// Repetitions already on that atom.
    stacked: usize,
}

impl<'a> Translator<'a> {
    fn new(units: &'a [char], unicode: bool) -> Self {
        // `s`: `.` matches a newline too, as without REG_NEWLINE
        let out = String::from(if unicode { "(?s)" } else { "(?s-u)" });
        Translator { units, i: 0, unicode, out, groups: Vec::new(), atom: None, stacked: 0 }
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.units.get(self.i + k).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek_at(0)?;
        self.i += 1;
        Some(c)
    }

    fn run(mut self) -> Result<String, RegexError> {
        while let Some(c) = self.next() {
            match c {
                '\\' => self.escape()?,
                '.' => self.atom("."),
                '^' => self.assertion("^"),
                '$' => self.assertion("$"),
                '|' => self.assertion("|"),
                '(' => {
                    self.groups.push(self.out.len());
                    self.assertion("(?:");
                }
                ')' => match self.groups.pop() {
                    Some(start) => {
                        self.out.push(')');
                        (self.atom, self.stacked) = (Some(start), 0);
                    }
                    None => self.literal(c),
                },
                '*' | '+' | '?' => self.repeat(&c.to_string())?,
                '{' => {
                    self.atom.ok_or(RegexError::BadPreceding)?;
                    let bound = self.bound()?;
                    self.repeat(&bound)?;
                }
                '[' => {
                    (self.atom, self.stacked) = (Some(self.out.len()), 0);
                    self.bracket()?;
                }
                _ => self.literal(c),
            }
        }
        if !self.groups.is_empty() {
            return Err(RegexError::UnmatchedParen);
        }
        Ok(self.out)
    }

    /// Text that a repetition may follow.
    fn atom(&mut self, text: &str) {
        (self.atom, self.stacked) = (Some(self.out.len()), 0);
        self.out.push_str(text);
    }

    /// Text that no repetition may follow (anchors, `|`, an opening parenthesis).
    fn assertion(&mut self, text: &str) {
        self.atom = None;
        self.out.push_str(text);
    }

    fn literal(&mut self, c: char) {
        (self.atom, self.stacked) = (Some(self.out.len()), 0);
        push_literal(&mut self.out, c, self.unicode);
    }

    /// `*`, `+`, `?` or a bound after the last atom. A second one repeats the first
    /// (`a+?` is `(a+)?`), where the crate would make it lazy or refuse it.
    fn repeat(&mut self, op: &str) -> Result<(), RegexError> {
        let start = self.atom.ok_or(RegexError::BadPreceding)?;
        if self.stacked == MAX_STACKED {
            return Err(RegexError::BadPreceding);
        }
        if self.stacked > 0 {
            self.out.insert_str(start, "(?:");
            self.out.push(')');
        }
        self.out.push_str(op);
        self.stacked += 1;
        Ok(())
    }

    fn escape(&mut self) -> Result<(), RegexError> {
        let c = self.next().ok_or(RegexError::TrailingBackslash)?;
        match c {
            '1'..='9' => return Err(RegexError::BackReference),
            'w' => self.atom("[0-9A-Za-z_]"),
            'W' => self.atom("[^0-9A-Za-z_]"),
            's' => self.atom("[[:space:]]"),
            'S' => self.atom("[^[:space:]]"),
            'b' => self.assertion(r"(?-u:\b)"),
            'B' => self.assertion(r"(?-u:\B)"),
            '<' => self.assertion(r"(?-u:\b{start})"),
            '>' => self.assertion(r"(?-u:\b{end})"),
            '`' => self.assertion(r"\A"),
            '\'' => self.assertion(r"\z"),
            _ => self.literal(c),
        }
        Ok(())
    }

    /// `{m}`, `{m,}`, `{m,n}` or `{,n}`, the `{` already read; returns the crate's form.
    fn bound(&mut self) -> Result<String, RegexError> {
        let min = self.count()?;
        let max = if self.peek_at(0) == Some(',') {
            self.i += 1;
            Some(self.count()?)
        } else {
            None
        };
        match self.next() {
            Some('}') => {}
            None => return Err(RegexError::UnmatchedBrace),
            Some(_) => return Err(RegexError::BadBrace),
        }
        let lo = match (min, max) {
            (None, None) => return Err(RegexError::BadBrace),
            (m, _) => m.unwrap_or(0),
        };
        Ok(match max {
            None => format!("{{{lo}}}"),
            Some(None) => format!("{{{lo},}}"),
            Some(Some(hi)) if hi < lo => return Err(RegexError::BadBrace),
            Some(Some(hi)) => format!("{{{lo},{hi}}}"),
        })
    }

    /// The decimal number at the cursor, if any.
    fn count(&mut self) -> Result<Option<u32>, RegexError> {
        let mut n: Option<u32> = None;
        while let Some(d) = self.peek_at(0).and_then(|c| c.to_digit(10)) {
            self.i += 1;
            let v = n.unwrap_or(0).saturating_mul(10).saturating_add(d);
            if v > DUP_MAX {
                return Err(RegexError::TooBig);
            }
            n = Some(v);
        }
        Ok(n)
    }

    /// A bracket expression, the `[` already read.
    fn bracket(&mut self) -> Result<(), RegexError> {
        self.out.push('[');
        if self.peek_at(0) == Some('^') {
            self.i += 1;
            self.out.push('^');
        }
        let mut first = true;
        loop {
            let c = self.peek_at(0).ok_or(RegexError::UnmatchedBracket)?;
            if c == ']' && !first {
                self.i += 1;
                self.out.push(']');
                return Ok(());
            }
            // a `-` is a member only first, last, or as the end of a range
            if c == '-' && !first && self.peek_at(1) != Some(']') {
                return Err(RegexError::BadRange);
            }
            first = false;
            let lo = self.member()?;
            if self.peek_at(0) == Some('-') && self.peek_at(1).is_some_and(|n| n != ']') {
                self.i += 1;
                self.range(lo)?;
                continue;
            }
            match lo {
                Member::Char(a) => push_literal(&mut self.out, a, self.unicode),
                Member::Class(name) => {
                    let _ = write!(self.out, "[:{name}:]");
                }
            }
        }
    }

    /// A range `lo-hi` in a bracket expression, the `-` already read: both ends plain
    /// characters, in order.
    fn range(&mut self, lo: Member) -> Result<(), RegexError> {
        let (Member::Char(a), Member::Char(b)) = (lo, self.member()?) else {
            return Err(RegexError::BadRange);
        };
        if a > b {
            return Err(RegexError::BadRange);
        }
        push_literal(&mut self.out, a, self.unicode);
        self.out.push('-');
        push_literal(&mut self.out, b, self.unicode);
        Ok(())
    }

    /// One member of a bracket expression: a character, `[:class:]`, or a one-character
    /// collating element `[.c.]` / equivalence class `[=c=]`.
    fn member(&mut self) -> Result<Member, RegexError> {
        let c = self.next().ok_or(RegexError::UnmatchedBracket)?;
        let kind = match (c, self.peek_at(0)) {
            ('[', Some(k @ (':' | '.' | '='))) => k,
            _ => return Ok(Member::Char(c)),
        };
        let start = self.i + 1;
        let end = (start..self.units.len().saturating_sub(1))
            .find(|&j| self.units[j] == kind && self.units[j + 1] == ']')
            .ok_or(RegexError::UnmatchedBracket)?;
        self.i = end + 2;
        let body = &self.units[start..end];
        match (kind, body) {
            (':', _) => {
                let name: String = body.iter().collect();
                CLASSES.contains(&name.as_str()).then_some(Member::Class(name)).ok_or(RegexError::BadClass)
            }
            (_, [one]) => Ok(Member::Char(*one)),
            _ => Err(RegexError::BadCollate),
        }
    }
}

/// One character (or, outside Unicode mode, one byte), matched as itself: letters and
/// digits as they are, anything else by number (`\xHH`, which outside Unicode mode is
/// the byte, also in brackets), so that no character is special to the crate.
fn push_literal(out: &mut String, c: char, unicode: bool) {
    if c.is_ascii_alphanumeric() || (unicode && !c.is_ascii()) {
        out.push(c);
    } else {
        // below 256 here: ASCII, or a byte outside Unicode mode
        let _ = write!(out, "\\x{:02X}", u32::from(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `pat` matches `text` in the C locale and in a UTF-8 one.
    fn re(pat: &[u8], utf8: bool) -> Result<Regex, RegexError> {
        Compiler::new(utf8).compile(pat)
    }

    fn m(pat: &str, text: &str) -> bool {
        let c = re(pat.as_bytes(), false).unwrap().is_match(text.as_bytes());
        let u = re(pat.as_bytes(), true).unwrap().is_match(text.as_bytes());
        assert_eq!(c, u, "{pat} on {text}: C and UTF-8 differ");
        c
    }

    fn err(pat: &str) -> String {
        re(pat.as_bytes(), false).unwrap_err().to_string()
    }

    #[test]
    fn what_users_write() {
        assert!(m("^sl(e+)p [0-9]+$", "sleep 300") && !m("^sl(e+)p$", "asleep"));
        assert!(m("net|pid", "pid") && !m("^(net|pid)$", "uts"));
        assert!(m("^[[:alpha:]]+$", "abc") && !m("[[:alpha:]]", "123"));
        assert!(m("[[:digit:][:space:]]", " ") && m("[^[:alnum:]]", "a-b"));
        assert!(m("^a{2}$", "aa") && !m("^a{2}$", "a") && m("^a{1,2}b{2,}$", "abbb"));
        assert!(m("^a{,2}$", "") && m("^a{,}$", "aaaa") && m("^x{0}$", ""));
        assert!(m("a.c", "a\nc") && m("^$", "") && m("", "x"));
        assert!(m("\\.", ".") && !m("\\.", "x") && m("\\(", "(") && m("a\\|b", "a|b") && !m("a\\|b", "a"));
        assert!(m("\\bbar", "foo bar") && !m("\\Bbar", "foo bar") && m("\\<bar\\>", "foo bar"));
        assert!(m("^\\w+$", "a_1") && m("\\s", "a b") && m("\\W", "a-b") && m("\\S", " x "));
        assert!(m("\\`ab\\'", "ab") && !m("\\`b", "ab"));
    }

    #[test]
    fn posix_not_crate_syntax() {
        // backslash and brackets inside brackets are members
        assert!(m("[\\]", "a\\b") && m("[]a]", "]") && !m("[^]a]", "a") && m("[^]a]", "b") && m("[[]", "["));
        // no set operators in brackets
        assert!(m("[a&&b]", "&") && m("[a~~b]", "~"));
        assert!(m("[a-]", "-") && m("[-a]", "-") && m("[--z]", "q") && m("[!--]", "-"));
        assert!(m("[[.a.]]", "a") && m("[[=a=]]", "a") && m("[[.-.]]", "-") && m("[[.a.]-z]", "q"));
        // unknown escapes are the character itself, not the crate's classes or controls
        assert!(m("\\n", "n") && m("\\t", "t") && m("\\d", "d") && !m("\\d", "5") && m("\\x", "x"));
        // a lone ) is literal; empty alternatives and groups match the empty string
        assert!(m("a)", "a)") && !m(")", "a") && m("a||b", "a") && m("(|a)", "") && m("()", "a"));
        // stacked repetitions repeat; they are never lazy
        assert!(m("^x+?$", "xxx") && m("^x*?$", "") && m("^(a){1}{2}$", "aa") && !m("^a{1}{2}$", "a"));
        assert!(m("^a{1}?b$", "b") && m("(a|)+", "b"));
        // anchors in the middle only match there
        assert!(!m("b^a", "ba") && !m("a$b", "a$b") && !m("a^", "a^"));
        // other characters the crate treats specially are plain here
        assert!(m("^a#b c$", "a#b c") && m("}", "}") && m("~&", "~&"));
    }

    #[test]
    fn bytes_or_characters_by_locale() {
        let re = |p: &str, utf8| re(p.as_bytes(), utf8).unwrap();
        assert!(!re("^.$", false).is_match("é".as_bytes()) && re("^..$", false).is_match("é".as_bytes()));
        assert!(re("^.$", true).is_match("é".as_bytes()) && !re("^..$", true).is_match("é".as_bytes()));
        assert!(re("[é]", false).is_match("à".as_bytes()) && !re("[é]", true).is_match("à".as_bytes()));
        assert!(re("^[é]$", true).is_match("é".as_bytes()));
        // bytes that are not UTF-8, in the text or the pattern
        assert!(re("^a.b$", false).is_match(b"a\xffb") && re("\\w", true).is_match(b"\xffa"));
        assert!(super::tests::re(b"^\xff$", true).unwrap().is_match(b"\xff"));
        assert!(!re("[[:alpha:]]", true).is_match("é".as_bytes()));
    }

    #[test]
    fn errors_at_parse_time() {
        for (pat, e) in [
            ("a{", UNMATCHED_BRACE),
            ("a{1", UNMATCHED_BRACE),
            ("a{1,2", UNMATCHED_BRACE),
            ("a{x}", BAD_BRACE),
            ("a{}", BAD_BRACE),
            ("a{ 1}", BAD_BRACE),
            ("a{2,1}", BAD_BRACE),
            ("{1}", BAD_PRECEDING),
            ("{", BAD_PRECEDING),
            ("*a", BAD_PRECEDING),
            ("a|*b", BAD_PRECEDING),
            ("(*a)", BAD_PRECEDING),
            ("^*a", BAD_PRECEDING),
            ("a$*", BAD_PRECEDING),
            ("(?i)a", BAD_PRECEDING),
            ("a?????????", BAD_PRECEDING),
            ("[[.space.]]", BAD_COLLATE),
            ("[[:foo:]]", BAD_CLASS),
            ("[[:ALPHA:]]", BAD_CLASS),
            ("[[:word:]]", BAD_CLASS),
            ("[c-a]", BAD_RANGE),
            ("[a-c-e]", BAD_RANGE),
            ("[a--]", BAD_RANGE),
            ("[a-[:alpha:]]", BAD_RANGE),
            ("[[:alpha:]-z]", BAD_RANGE),
            ("(", UNMATCHED_PAREN),
            ("(a|(b)", UNMATCHED_PAREN),
            ("[a", UNMATCHED_BRACKET),
            ("[", UNMATCHED_BRACKET),
            ("[]", UNMATCHED_BRACKET),
            ("[^]", UNMATCHED_BRACKET),
            ("[[:alpha:]", UNMATCHED_BRACKET),
            ("[[:alpha", UNMATCHED_BRACKET),
            ("[[=a", UNMATCHED_BRACKET),
            ("\\", "Trailing backslash"),
            ("(a)\\1", NO_BACKREF),
            ("\\9", NO_BACKREF),
            ("a{32768}", TOO_BIG),
            ("a{99999999999999999999}", TOO_BIG),
        ] {
            assert_eq!(err(pat), e, "{pat}");
        }
    }

    /// What a backtracking engine takes gigabytes and minutes for is refused at once,
    /// and what compiles matches in linear time.
    #[test]
    fn size_is_bounded() {
        assert_eq!(err("(((a{1,255}){1,255}){1,255})"), TOO_BIG);
        assert_eq!(err("a{32767}{32767}"), TOO_BIG);
        let deep = format!("{}a{}", "(".repeat(1000), ")".repeat(1000));
        assert!(err(&deep).contains("nest"), "{}", err(&deep));
        let r = re(b"(a|aa)*(a|aa)*(a|aa)*b", false).unwrap();
        assert!(!r.is_match(&[b'a'; 10_000]));
        assert!(m("^(a{1,255}){1,3}$", "aaaa") && m("(a{1,255}){1,100}", "a"));
        // the patterns of one filter share a budget
        let mut c = Compiler::new(false);
        let big: Vec<_> = (0..40).map(|_| c.compile(b"(a{1,255}){1,100}")).collect();
        assert!(big[..32].iter().all(Result::is_ok));
        assert_eq!(big[32].as_ref().unwrap_err().to_string(), TOO_BIG);
        let mut c = Compiler::new(true);
        assert!((0..1024).all(|_| c.compile(b"^sl(e+)p").is_ok()));
    }
}
