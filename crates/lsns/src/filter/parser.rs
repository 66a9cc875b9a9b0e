//! Recursive-descent parser. Precedence, loosest first: `||`, `&&`, `!`, comparisons;
//! parentheses group. Syntax errors are worded the way bison words them.

use super::lexer::{CmpOp, Tok};

#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Holder(String),
    Str(Vec<u8>),
    Int(u64),
    Float(f64),
    Bool(bool),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Ast {
    /// A lone operand: a holder means "not empty", a literal its truth.
    Value(Operand),
    Cmp(Operand, CmpOp, Operand),
    And(Box<Ast>, Box<Ast>),
    Or(Box<Ast>, Box<Ast>),
    Not(Box<Ast>),
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

type PResult<T> = Result<T, String>;

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }

    fn unexpected(&self) -> String {
        format!("syntax error, unexpected {}", self.peek().describe())
    }

    /// One level of left-associative binary operators: `sub (op sub)*`.
    fn chain(
        &mut self,
        op: Tok,
        sub: fn(&mut Self) -> PResult<Ast>,
        join: fn(Box<Ast>, Box<Ast>) -> Ast,
    ) -> PResult<Ast> {
        let mut left = sub(self)?;
        while *self.peek() == op {
            self.next();
            left = join(Box::new(left), Box::new(sub(self)?));
        }
        Ok(left)
    }

    fn or(&mut self) -> PResult<Ast> {
        self.chain(Tok::Or, Self::and, Ast::Or)
    }

    fn and(&mut self) -> PResult<Ast> {
        self.chain(Tok::And, Self::unary, Ast::And)
    }

    fn unary(&mut self) -> PResult<Ast> {
        if *self.peek() == Tok::Not {
            self.next();
            return Ok(Ast::Not(Box::new(self.unary()?)));
        }
        if *self.peek() == Tok::LParen {
            self.next();
            let e = self.or()?;
            if *self.peek() != Tok::RParen {
                return Err(self.unexpected());
            }
            self.next();
            return Ok(e);
        }
        let left = self.operand()?;
        if let Tok::Cmp(op) = *self.peek() {
            self.next();
            let right = self.operand()?;
            return Ok(Ast::Cmp(left, op, right));
        }
        Ok(Ast::Value(left))
    }

    fn operand(&mut self) -> PResult<Operand> {
        let op = match self.peek().clone() {
            Tok::Holder(h) => Operand::Holder(h),
            Tok::Str(s) => Operand::Str(s),
            Tok::Int(i) => Operand::Int(i),
            Tok::Float(f) => Operand::Float(f),
            Tok::Bool(b) => Operand::Bool(b),
            _ => return Err(self.unexpected()),
        };
        self.next();
        Ok(op)
    }
}

/// Parses a whole expression; the error is the parser's message.
pub fn parse(toks: Vec<Tok>) -> PResult<Ast> {
    let mut p = Parser { toks, pos: 0 };
    let e = p.or()?;
    if *p.peek() != Tok::Eof {
        return Err(p.unexpected());
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    fn p(s: &str) -> PResult<Ast> {
        parse(tokenize(s.as_bytes()))
    }

    fn h(n: &str) -> Operand {
        Operand::Holder(n.into())
    }

    #[test]
    fn precedence() {
        let e = p("A || B && !C == 1").unwrap();
        assert_eq!(
            e,
            Ast::Or(
                Box::new(Ast::Value(h("A"))),
                Box::new(Ast::And(
                    Box::new(Ast::Value(h("B"))),
                    Box::new(Ast::Not(Box::new(Ast::Cmp(h("C"), CmpOp::Eq, Operand::Int(1)))))
                ))
            )
        );
        assert_eq!(p("(A or B) and C").unwrap(), {
            let or = Ast::Or(Box::new(Ast::Value(h("A"))), Box::new(Ast::Value(h("B"))));
            Ast::And(Box::new(or), Box::new(Ast::Value(h("C"))))
        });
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
        assert_eq!(p("NS || TYPE").unwrap(), Ast::Or(Box::new(Ast::Value(h("NS"))), Box::new(Ast::Value(h("TYPE")))));
    }
}
