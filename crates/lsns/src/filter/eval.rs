//! Resolving holders to columns and evaluating an expression against one line.
//!
//! Types follow the columns: number columns compare numerically (a float literal makes
//! the comparison a float one), string columns byte-wise. A literal of the other kind is
//! converted to the holder's kind. An empty cell equals nothing (`!=` is true, every
//! other comparison false) and is false when used alone.

use std::cmp::Ordering;

use super::ere::{Compiler, Regex};
use super::lexer::{tokenize, CmpOp};
use super::parser::{parse, Operand, Step};
use super::FilterError;
use crate::columns::{Column, Kind};

#[derive(Debug)]
enum Val {
    Col(Column),
    Str(Vec<u8>),
    Int(u64),
    Float(f64),
    Bool(bool),
}

/// A step of the parser's program with its holders resolved and its patterns compiled.
#[derive(Debug)]
enum Instr {
    Value(Val),
    Cmp(Val, CmpOp, Val),
    Match(Val, Regex, bool),
    Not,
    /// Jump there when the value is false (`&&`) or true (`||`).
    And(usize),
    Or(usize),
}

/// A compiled filter: a flat program, run without recursion however deep the
/// expression nests.
#[derive(Debug)]
pub struct Filter {
    code: Vec<Instr>,
}

/// A value as seen by a comparison.
#[derive(Debug, PartialEq)]
enum Data {
    Empty,
    Num(f64, Option<u64>),
    Bytes(Vec<u8>),
}

impl Filter {
    /// Compiles `expr`, with `=~` reading bytes as in the C locale.
    pub fn new(expr: &[u8]) -> Result<Filter, FilterError> {
        Filter::in_locale(expr, false)
    }

    /// Compiles `expr`; `utf8` tells whether the locale is UTF-8, where `=~` matches
    /// characters instead of bytes.
    pub fn in_locale(expr: &[u8], utf8: bool) -> Result<Filter, FilterError> {
        let expr_text = String::from_utf8_lossy(expr).into_owned();
        let steps = parse(tokenize(expr))
            .map_err(|e| FilterError::Parse { expr: expr_text.clone(), message: e.to_string() })?;
        let mut unknown = None;
        let mut patterns = Compiler::new(utf8);
        let code =
            steps.into_iter().map(|s| resolve(s, &mut unknown, &expr_text, &mut patterns)).collect::<Result<_, _>>()?;
        // util-linux compiles the whole expression while it reads the options and looks
        // the columns up only later: a bad pattern anywhere is reported before a column
        match unknown {
            Some(name) => Err(FilterError::UnknownColumn(name)),
            None => Ok(Filter { code }),
        }
    }

    /// Evaluates the filter; `cell` gives a column's raw value on this line.
    pub fn matches(&self, cell: &mut dyn FnMut(Column) -> Vec<u8>) -> bool {
        let mut value = false;
        let mut pc = 0;
        while let Some(instr) = self.code.get(pc) {
            pc += 1;
            match instr {
                Instr::Not => value = !value,
                Instr::And(end) if !value => pc = *end,
                Instr::Or(end) if value => pc = *end,
                Instr::And(_) | Instr::Or(_) => {}
                test => value = eval(test, cell),
            }
        }
        value
    }
}

/// An operand with its holder resolved; `unknown` keeps the first name that is no column.
fn resolve_val(o: Operand, unknown: &mut Option<String>) -> Result<Val, FilterError> {
    Ok(match o {
        Operand::Holder(h) => match Column::from_name(h.as_bytes()) {
            Some(c) => Val::Col(c),
            None => {
                unknown.get_or_insert(h);
                Val::Bool(false)
            }
        },
        Operand::Str(s) => Val::Str(s),
        Operand::Int(i) => Val::Int(i),
        Operand::Float(f) => Val::Float(f),
        Operand::Bool(b) => Val::Bool(b),
    })
}

fn resolve(s: Step, unknown: &mut Option<String>, expr: &str, patterns: &mut Compiler) -> Result<Instr, FilterError> {
    Ok(match s {
        Step::Value(o) => Instr::Value(resolve_val(o, unknown)?),
        Step::Cmp(l, op @ (CmpOp::Re | CmpOp::NotRe), r) => {
            let l = resolve_val(l, unknown)?;
            let Operand::Str(pat) = r else {
                return Err(FilterError::Parse {
                    expr: expr.to_string(),
                    message: "regular expression must be a string".into(),
                });
            };
            let re = patterns
                .compile(&pat)
                .map_err(|e| FilterError::Parse { expr: expr.to_string(), message: e.to_string() })?;
            Instr::Match(l, re, op == CmpOp::Re)
        }
        Step::Cmp(l, op, r) => Instr::Cmp(resolve_val(l, unknown)?, op, resolve_val(r, unknown)?),
        Step::Not => Instr::Not,
        Step::And(end) => Instr::And(end),
        Step::Or(end) => Instr::Or(end),
    })
}

fn num(bytes: &[u8]) -> Option<Data> {
    let s = std::str::from_utf8(bytes).ok()?;
    let i = s.parse::<u64>().ok();
    let f = s.parse::<f64>().ok()?;
    Some(Data::Num(f, i))
}

/// The value of `v`, in the kind of `other` when `v` is a literal.
fn data(v: &Val, other: &Val, cell: &mut dyn FnMut(Column) -> Vec<u8>) -> Data {
    let literal_wants_string = |o: &Val| matches!(o, Val::Col(c) if c.kind() == Kind::String);
    match v {
        Val::Col(c) => {
            let bytes = cell(*c);
            if bytes.is_empty() {
                Data::Empty
            } else if c.kind() == Kind::Number {
                num(&bytes).unwrap_or(Data::Bytes(bytes))
            } else {
                Data::Bytes(bytes)
            }
        }
        Val::Str(s) if matches!(other, Val::Col(c) if c.kind() == Kind::Number) => {
            num(s).unwrap_or(Data::Bytes(s.clone()))
        }
        Val::Str(s) => Data::Bytes(s.clone()),
        Val::Int(i) if literal_wants_string(other) => Data::Bytes(i.to_string().into_bytes()),
        Val::Int(i) => Data::Num(*i as f64, Some(*i)),
        Val::Float(f) if literal_wants_string(other) => Data::Bytes(f.to_string().into_bytes()),
        Val::Float(f) => Data::Num(*f, None),
        Val::Bool(b) => Data::Num(u8::from(*b) as f64, Some(u64::from(*b))),
    }
}

fn truth(v: &Val, cell: &mut dyn FnMut(Column) -> Vec<u8>) -> bool {
    match v {
        Val::Col(c) => !cell(*c).is_empty(),
        Val::Str(s) => !s.is_empty(),
        Val::Int(i) => *i != 0,
        Val::Float(f) => *f != 0.0,
        Val::Bool(b) => *b,
    }
}

fn compare(a: &Data, b: &Data) -> Option<Ordering> {
    match (a, b) {
        (Data::Num(_, Some(x)), Data::Num(_, Some(y))) => Some(x.cmp(y)),
        (Data::Num(x, _), Data::Num(y, _)) => x.partial_cmp(y),
        (Data::Bytes(x), Data::Bytes(y)) => Some(x.as_slice().cmp(y.as_slice())),
        (Data::Num(x, i), Data::Bytes(y)) => Some(i.map_or(x.to_string(), |i| i.to_string()).as_bytes().cmp(y)),
        (Data::Bytes(x), Data::Num(y, i)) => {
            Some(x.as_slice().cmp(i.map_or(y.to_string(), |i| i.to_string()).as_bytes()))
        }
        _ => None,
    }
}

/// The truth of one test (a value, a comparison or a match).
fn eval(n: &Instr, cell: &mut dyn FnMut(Column) -> Vec<u8>) -> bool {
    match n {
        Instr::Not | Instr::And(_) | Instr::Or(_) => false,
        Instr::Value(v) => truth(v, cell),
        Instr::Match(v, re, want) => {
            let text = match v {
                Val::Col(c) => cell(*c),
                Val::Str(s) => s.clone(),
                other => match data(other, other, cell) {
                    Data::Num(f, i) => i.map_or(f.to_string(), |i| i.to_string()).into_bytes(),
                    _ => Vec::new(),
                },
            };
            re.is_match(&text) == *want
        }
        Instr::Cmp(l, op, r) => {
            let (a, b) = (data(l, r, cell), data(r, l, cell));
            let ord = if a == Data::Empty || b == Data::Empty { None } else { compare(&a, &b) };
            match (op, ord) {
                (CmpOp::Ne, None) => true,
                (_, None) => false,
                (CmpOp::Eq, Some(o)) => o == Ordering::Equal,
                (CmpOp::Ne, Some(o)) => o != Ordering::Equal,
                (CmpOp::Lt, Some(o)) => o == Ordering::Less,
                (CmpOp::Le, Some(o)) => o != Ordering::Greater,
                (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
                (CmpOp::Ge, Some(o)) => o != Ordering::Less,
                (CmpOp::Re | CmpOp::NotRe, _) => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(c: Column) -> Vec<u8> {
        match c {
            Column::Ns => b"4026532178".to_vec(),
            Column::Type => b"uts".to_vec(),
            Column::Nprocs => b"3".to_vec(),
            Column::Pid => b"20275".to_vec(),
            Column::Command => b"sleep 300".to_vec(),
            Column::Netnsid => b"5".to_vec(),
            _ => Vec::new(),
        }
    }

    fn m(expr: &str) -> bool {
        Filter::new(expr.as_bytes()).unwrap().matches(&mut line)
    }

    #[test]
    fn comparisons() {
        assert!(m("NPROCS > 1 && PID == 20275"));
        assert!(m("NS == 4026532178"));
        assert!(!m("NS != 4026532178"));
        assert!(m("NPROCS ge 3 and NPROCS le 3 and NPROCS lt 4 and NPROCS gt 2"));
        assert!(m("NPROCS eq 3.0"));
        assert!(m("NPROCS < 1K"));
        assert!(m("TYPE == 'uts' || TYPE == \"net\""));
        assert!(m("TYPE > 'net'"));
        assert!(m("NETNSID == '5'"));
        assert!(m("NETNSID == 5"));
        assert!(m("NPROCS == '3'"));
        assert!(m("!(TYPE eq 'net')"));
        assert!(m("not TYPE == 'net'"));
    }

    #[test]
    fn empty_cells_and_bare_holders() {
        assert!(m("COMMAND"));
        assert!(!m("PPID"));
        assert!(m("!PPID"));
        assert!(!m("PPID == 0"));
        assert!(m("PPID != 0"));
        assert!(!m("USER == ''"));
        assert!(m("true") && !m("false") && m("1") && !m("0"));
    }

    #[test]
    fn regexes() {
        assert!(m("COMMAND =~ '^sl(e)+p [0-9]+$'"));
        assert!(!m("COMMAND !~ 'sleep'"));
        assert!(m("TYPE !~ 'net|pid'"));
        assert!(m("NS =~ '^4026'"));
    }

    #[test]
    fn logic_and_short_circuits() {
        for (e, want) in [
            ("true || false && false", true),
            ("(true || false) && false", false),
            ("false && false || true", true),
            ("!true || true", true),
            ("!(true || true)", false),
            ("!!true", true),
            ("not false and not (false or false)", true),
            ("true && (false || (true && !false))", true),
            ("false || !(true && false) && !false", true),
        ] {
            assert_eq!(m(e), want, "{e}");
        }
        // the right side of a decided && or || is never computed
        let mut asked = Vec::new();
        let f = Filter::new(b"TYPE == 'net' && NETNSID == 5 || PID == 20275 || NS").unwrap();
        assert!(f.matches(&mut |c| {
            asked.push(c);
            line(c)
        }));
        assert_eq!(asked, [Column::Type, Column::Pid]);
    }

    /// Nesting far beyond any stack is parsed and evaluated (and freed) on the heap.
    #[test]
    fn deep_expressions_evaluate() {
        let n = 100_000;
        assert!(m(&format!("{}NPROCS == 3{}", "(".repeat(n), ")".repeat(n))));
        assert!(m(&vec!["NPROCS == 3"; n].join(" && ")));
        assert!(!m(&[&vec!["NPROCS == 3"; n].join(" && ")[..], " && false"].concat()));
        assert!(m(&[&vec!["false"; n].join(" || ")[..], " || COMMAND"].concat()));
        assert!(m(&format!("{}true", "!".repeat(n))));
        assert!(!m(&format!("{}true", "!".repeat(n + 1))));
        // each level is !(false || !x), which is x
        assert!(m(&format!("{}true{}", "!(false || !(".repeat(n), "))".repeat(n))));
        assert!(!m(&format!("{}false{}", "!(false || !(".repeat(n), "))".repeat(n))));
    }

    #[test]
    fn errors() {
        let e = |s: &str| Filter::new(s.as_bytes()).err().unwrap();
        assert_eq!(e("BOGUS == 1"), FilterError::UnknownColumn("BOGUS".into()));
        assert_eq!(e("BOGUS == 1 || X == 2"), FilterError::UnknownColumn("BOGUS".into()));
        assert!(matches!(e(r#"BOGUS == 1 || NS =~ "(""#), FilterError::Parse { .. }));
        assert_eq!(
            e("NS =="),
            FilterError::Parse { expr: "NS ==".into(), message: "syntax error, unexpected end of file".into() }
        );
        assert!(matches!(e("NS =~ 1"), FilterError::Parse { .. }));
        assert!(matches!(e("NS =~ '('"), FilterError::Parse { message, .. } if !message.is_empty()));
        // syntax is checked before columns
        assert!(matches!(e("BOGUS =="), FilterError::Parse { .. }));
    }
}
