//! Tokens of the `-Q` language (scols-filter(5)): column holders, literals, operators
//! in symbol and word form, parentheses.

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Holder(String),
    Str(Vec<u8>),
    Int(u64),
    Float(f64),
    Bool(bool),
    Cmp(CmpOp),
    And,
    Or,
    Not,
    LParen,
    RParen,
    /// A character that starts no token (bison's "invalid token").
    Invalid,
    Eof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Re,
    NotRe,
}

impl Tok {
    /// How a syntax error names this token.
    pub fn describe(&self) -> String {
        match self {
            Tok::Holder(_) => "column name".into(),
            Tok::Str(_) => "string".into(),
            Tok::Int(_) => "number".into(),
            Tok::Float(_) => "float number".into(),
            Tok::Bool(_) => "boolean".into(),
            Tok::Cmp(op) => format!("'{}'", op.symbol()),
            Tok::And => "'&&'".into(),
            Tok::Or => "'||'".into(),
            Tok::Not => "'!'".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Invalid => "invalid token".into(),
            Tok::Eof => "end of file".into(),
        }
    }
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Re => "=~",
            CmpOp::NotRe => "!~",
        }
    }
}

/// Multipliers of the size suffixes util-linux accepts: `K` and `KiB` are 1024,
/// `KB` is 1000 (and so on up to `E`).
fn suffix_factor(s: &str) -> Option<u64> {
    if s.is_empty() {
        return Some(1);
    }
    let (letter, rest) = s.split_at(1);
    let power = "KMGTPE".find(&letter.to_ascii_uppercase())? as u32 + 1;
    let base: u64 = match rest {
        "" | "iB" | "ib" => 1024,
        "B" | "b" => 1000,
        _ => return None,
    };
    base.checked_pow(power)
}

pub fn tokenize(src: &[u8]) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let two = src.get(i..i + 2).unwrap_or(b"");
        let (tok, len) = match two {
            b"==" => (Tok::Cmp(CmpOp::Eq), 2),
            b"!=" => (Tok::Cmp(CmpOp::Ne), 2),
            b"<=" => (Tok::Cmp(CmpOp::Le), 2),
            b">=" => (Tok::Cmp(CmpOp::Ge), 2),
            b"=~" => (Tok::Cmp(CmpOp::Re), 2),
            b"!~" => (Tok::Cmp(CmpOp::NotRe), 2),
            b"&&" => (Tok::And, 2),
            b"||" => (Tok::Or, 2),
            _ => match c {
                b'<' => (Tok::Cmp(CmpOp::Lt), 1),
                b'>' => (Tok::Cmp(CmpOp::Gt), 1),
                b'!' => (Tok::Not, 1),
                b'(' => (Tok::LParen, 1),
                b')' => (Tok::RParen, 1),
                b'"' | b'\'' => match src[i + 1..].iter().position(|&b| b == c) {
                    Some(end) => (Tok::Str(src[i + 1..i + 1 + end].to_vec()), end + 2),
                    None => (Tok::Invalid, src.len() - i),
                },
                b'0'..=b'9' => number(&src[i..]),
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    let len = src[i..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
                    (word(std::str::from_utf8(&src[i..i + len]).unwrap_or_default()), len)
                }
                _ => (Tok::Invalid, 1),
            },
        };
        out.push(tok);
        i += len;
    }
    out.push(Tok::Eof);
    out
}

fn number(s: &[u8]) -> (Tok, usize) {
    let len = s.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'.').count();
    let text = std::str::from_utf8(&s[..len]).unwrap_or_default();
    if text.contains('.') {
        return (text.parse().map(Tok::Float).unwrap_or(Tok::Invalid), len);
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let value = text[..digits].parse::<u64>().ok();
    let tok = match (value, suffix_factor(&text[digits..])) {
        (Some(v), Some(f)) => v.checked_mul(f).map(Tok::Int).unwrap_or(Tok::Invalid),
        _ => Tok::Invalid,
    };
    (tok, len)
}

fn word(w: &str) -> Tok {
    match w {
        "and" | "AND" => Tok::And,
        "or" | "OR" => Tok::Or,
        "not" | "NOT" => Tok::Not,
        "eq" | "EQ" => Tok::Cmp(CmpOp::Eq),
        "ne" | "NE" => Tok::Cmp(CmpOp::Ne),
        "lt" | "LT" => Tok::Cmp(CmpOp::Lt),
        "le" | "LE" => Tok::Cmp(CmpOp::Le),
        "gt" | "GT" => Tok::Cmp(CmpOp::Gt),
        "ge" | "GE" => Tok::Cmp(CmpOp::Ge),
        "true" | "TRUE" => Tok::Bool(true),
        "false" | "FALSE" => Tok::Bool(false),
        _ => Tok::Holder(w.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(
            tokenize(b"NS==1 && not(TYPE eq 'net')||x!~\"a b\""),
            vec![
                Tok::Holder("NS".into()),
                Tok::Cmp(CmpOp::Eq),
                Tok::Int(1),
                Tok::And,
                Tok::Not,
                Tok::LParen,
                Tok::Holder("TYPE".into()),
                Tok::Cmp(CmpOp::Eq),
                Tok::Str(b"net".to_vec()),
                Tok::RParen,
                Tok::Or,
                Tok::Holder("x".into()),
                Tok::Cmp(CmpOp::NotRe),
                Tok::Str(b"a b".to_vec()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(tokenize(b"1K")[0], Tok::Int(1024));
        assert_eq!(tokenize(b"2KiB")[0], Tok::Int(2048));
        assert_eq!(tokenize(b"3MB")[0], Tok::Int(3_000_000));
        assert_eq!(tokenize(b"1G")[0], Tok::Int(1 << 30));
        assert_eq!(tokenize(b"1.5")[0], Tok::Float(1.5));
        assert_eq!(tokenize(b"1Q")[0], Tok::Invalid);
        assert_eq!(tokenize(b"99999999999999999999")[0], Tok::Invalid);
        assert_eq!(tokenize(b"< > <= >= != =~ true false"), {
            use CmpOp::*;
            vec![
                Tok::Cmp(Lt),
                Tok::Cmp(Gt),
                Tok::Cmp(Le),
                Tok::Cmp(Ge),
                Tok::Cmp(Ne),
                Tok::Cmp(Re),
                Tok::Bool(true),
                Tok::Bool(false),
                Tok::Eof,
            ]
        });
        assert_eq!(tokenize(b"'open")[0], Tok::Invalid);
        assert_eq!(tokenize(b"=")[0], Tok::Invalid);
    }
}
