//! Operator-precedence parser without recursion. Precedence, loosest first: `||`, `&&`,
//! `!`, comparisons; parentheses group. Syntax errors are worded the way bison words them.
//!
//! The expression becomes a flat program in postfix order with jumps for `&&` and `||`,
//! so that neither parsing nor evaluating nor freeing it needs stack in proportion to its
//! nesting: 30,000 parentheses or `&&` terms cost memory in proportion to their length,
//! never a stack overflow.

use super::lexer::{CmpOp, Tok};

#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Holder(String),
    Str(Vec<u8>),
    Int(u64),
    Float(f64),
    Bool(bool),
}

/// One step of a filter program. The program keeps one truth value, the result so far.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// A lone operand sets the value: a holder means "not empty", a literal its truth.
    Value(Operand),
    /// A comparison sets the value.
    Cmp(Operand, CmpOp, Operand),
    /// Negates the value.
    Not,
    /// `&&`: a false value is the result of the whole `&&`, so jump to the step after its
    /// right-hand side; else go on and let the right-hand side set the value.
    And(usize),
    /// `||`: the same for a true value.
    Or(usize),
}

/// A token the grammar does not allow where it stands, worded as bison words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// The token, described (`end of file`, `')'`, `number`).
    pub unexpected: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "syntax error, unexpected {}", self.unexpected)
    }
}

impl std::error::Error for SyntaxError {}

type PResult<T> = Result<T, SyntaxError>;

/// What waits on the operator stack for the rest of its operands.
#[derive(Clone, Copy, PartialEq)]
enum Pending {
    Not,
    Group,
    /// A binary operator, with the index of its jump step.
    And(usize),
    Or(usize),
}

fn unexpected(t: &Tok) -> SyntaxError {
    SyntaxError { unexpected: t.describe() }
}

struct Parser {
    toks: std::vec::IntoIter<Tok>,
    code: Vec<Step>,
    stack: Vec<Pending>,
}

impl Parser {
    fn next(&mut self) -> Tok {
        self.toks.next().unwrap_or(Tok::Eof)
    }

    fn operand(t: Tok) -> PResult<Operand> {
        Ok(match t {
            Tok::Holder(h) => Operand::Holder(h),
            Tok::Str(s) => Operand::Str(s),
            Tok::Int(i) => Operand::Int(i),
            Tok::Float(f) => Operand::Float(f),
            Tok::Bool(b) => Operand::Bool(b),
            other => return Err(unexpected(&other)),
        })
    }

    /// Reads `!`s and `(`s, then an operand or a comparison; returns the token after it.
    fn unary(&mut self) -> PResult<Tok> {
        let mut t = self.next();
        while matches!(t, Tok::Not | Tok::LParen) {
            self.stack.push(if t == Tok::Not { Pending::Not } else { Pending::Group });
            t = self.next();
        }
        let left = Self::operand(t)?;
        let t = self.next();
        let Tok::Cmp(op) = t else {
            self.code.push(Step::Value(left));
            return Ok(t);
        };
        let right = Self::operand(self.next())?;
        self.code.push(Step::Cmp(left, op, right));
        Ok(self.next())
    }

    /// Ends the pending operators down to the first one of a looser level: `&&`s only
    /// (`or` false), or `&&`s and `||`s (`or` true). Their jumps land here.
    fn finish(&mut self, or: bool) {
        while let Some(&top) = self.stack.last() {
            let (at, step) = match top {
                Pending::And(at) => (at, Step::And(self.code.len())),
                Pending::Or(at) if or => (at, Step::Or(self.code.len())),
                _ => break,
            };
            self.stack.pop();
            self.code[at] = step;
        }
    }

    /// A unary just ended: the `!`s right before it apply to it.
    fn negate(&mut self) {
        while self.stack.last() == Some(&Pending::Not) {
            self.stack.pop();
            self.code.push(Step::Not);
        }
    }

    /// After a unary: `)`s, then a binary operator (true) or the end (false).
    fn after_unary(&mut self, mut t: Tok) -> PResult<bool> {
        loop {
            self.negate();
            match t {
                Tok::RParen => self.close_group(&t)?,
                Tok::And | Tok::Or => {
                    self.binary(t == Tok::Or);
                    return Ok(true);
                }
                Tok::Eof => return self.end(&t).map(|()| false),
                other => return Err(unexpected(&other)),
            }
            t = self.next();
        }
    }

    /// `)`: ends what is pending inside the group, and the group.
    fn close_group(&mut self, t: &Tok) -> PResult<()> {
        self.finish(true);
        if self.stack.pop() != Some(Pending::Group) {
            return Err(unexpected(t));
        }
        Ok(())
    }

    /// `&&` (`or` false) or `||` (`or` true): ends the operators it binds looser than or
    /// as loose as, then waits for its right-hand side behind a jump step.
    fn binary(&mut self, or: bool) {
        self.finish(or);
        let at = self.code.len();
        self.code.push(if or { Step::Or(at) } else { Step::And(at) });
        self.stack.push(if or { Pending::Or(at) } else { Pending::And(at) });
    }

    /// The end of the expression: nothing may be left pending.
    fn end(&mut self, t: &Tok) -> PResult<()> {
        self.finish(true);
        match self.stack.is_empty() {
            true => Ok(()),
            false => Err(unexpected(t)),
        }
    }
}

/// Parses a whole expression into its program.
pub fn parse(toks: Vec<Tok>) -> PResult<Vec<Step>> {
    let mut p = Parser { toks: toks.into_iter(), code: Vec::new(), stack: Vec::new() };
    loop {
        let t = p.unary()?;
        if !p.after_unary(t)? {
            return Ok(p.code);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    fn p(s: &str) -> Result<Vec<Step>, String> {
        parse(tokenize(s.as_bytes())).map_err(|e| e.to_string())
    }

    fn v(n: &str) -> Step {
        Step::Value(Operand::Holder(n.into()))
    }

    #[test]
    fn precedence() {
        let c = Step::Cmp(Operand::Holder("C".into()), CmpOp::Eq, Operand::Int(1));
        assert_eq!(p("A || B && !C == 1").unwrap(), vec![v("A"), Step::Or(6), v("B"), Step::And(6), c, Step::Not]);
        assert_eq!(p("(A or B) and C").unwrap(), vec![v("A"), Step::Or(3), v("B"), Step::And(5), v("C")]);
        assert_eq!(p("A && B || C").unwrap(), vec![v("A"), Step::And(3), v("B"), Step::Or(5), v("C")]);
        assert_eq!(p("!(A && B)").unwrap(), vec![v("A"), Step::And(3), v("B"), Step::Not]);
        assert_eq!(p("!!A").unwrap(), vec![v("A"), Step::Not, Step::Not]);
        assert_eq!(p("((A))").unwrap(), vec![v("A")]);
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(p("NS ==").unwrap_err(), "syntax error, unexpected end of file");
        assert_eq!(p("").unwrap_err(), "syntax error, unexpected end of file");
        assert_eq!(p("NS == 1 )").unwrap_err(), "syntax error, unexpected ')'");
        assert_eq!(p("(NS == 1").unwrap_err(), "syntax error, unexpected end of file");
        assert_eq!(p("NS 1").unwrap_err(), "syntax error, unexpected number");
        assert_eq!(p("NS == == 1").unwrap_err(), "syntax error, unexpected '=='");
        assert_eq!(p("NS = 1").unwrap_err(), "syntax error, unexpected invalid token");
        assert_eq!(p("&& NS").unwrap_err(), "syntax error, unexpected '&&'");
        assert_eq!(p("NS == 'a' 'b'").unwrap_err(), "syntax error, unexpected string");
        assert_eq!(p("NS || TYPE").unwrap(), vec![v("NS"), Step::Or(3), v("TYPE")]);
        assert_eq!(p("((NS)").unwrap_err(), "syntax error, unexpected end of file");
        assert_eq!(p("()").unwrap_err(), "syntax error, unexpected ')'");
        assert_eq!(p("!").unwrap_err(), "syntax error, unexpected end of file");
        assert_eq!(p("(NS) == 1").unwrap_err(), "syntax error, unexpected '=='");
        assert_eq!(p("NS == 1 == 2").unwrap_err(), "syntax error, unexpected '=='");
        assert_eq!(p("NS && (TYPE || )").unwrap_err(), "syntax error, unexpected ')'");
        assert_eq!(p("NS ! TYPE").unwrap_err(), "syntax error, unexpected '!'");
        assert_eq!(p("! && NS").unwrap_err(), "syntax error, unexpected '&&'");
    }

    /// Far deeper than any stack: the parser keeps its state on the heap.
    #[test]
    fn depth_costs_no_stack() {
        let n = 200_000;
        let parens = format!("{}NS{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(p(&parens).unwrap(), vec![v("NS")]);
        assert_eq!(
            p(&format!("{}NS{}", "(".repeat(n), ")".repeat(n - 1))).unwrap_err(),
            "syntax error, unexpected end of file"
        );
        assert_eq!(p(&vec!["NS"; n].join("&&")).unwrap().len(), 2 * n - 1);
        assert_eq!(p(&format!("{}NS", "!".repeat(n))).unwrap().len(), n + 1);
        let not_groups = format!("{}NS{}", "!(".repeat(n), ")".repeat(n));
        assert_eq!(p(&not_groups).unwrap().len(), n + 1);
    }
}
