//! The parser: tokens to a [`Program`] by recursive descent (docs/QUERY.md §3).
//!
//! The grammar is upstream's LALR(1) grammar; errors name the offending token and the
//! terminals upstream's automaton would accept at that point ([`expected`]), so the
//! `ParsingError` text matches upstream for the common mistakes (§3.3).

mod expected;

use std::collections::HashMap;

use crate::ast::{BinOp, Expr, Program, Stmt};
use crate::error::{ParsePosition, QueryError, Result};
use crate::lexer::{Span, Token};
use expected::{Ctx, Kind};

/// How deep expressions, blocks and values may nest before a query is refused.
pub const MAX_DEPTH: usize = 256;

/// Parses a whole program.
pub fn parse(tokens: Vec<(Token, Span)>) -> Result<Program> {
    let mut parser = Parser { tokens, pos: 0 };
    let mut stmts = Vec::new();
    let mut at_start = true;
    while let Some(token) = parser.peek() {
        if *token == Token::Semi {
            parser.pos += 1;
        } else if expected::starts_statement(token) {
            stmts.push(parser.statement(0)?);
        } else if at_start || *token == Token::RBrace {
            return Err(parser.error(expected::PROGRAM_START));
        } else {
            return Err(parser.error(expected::AFTER_STATEMENT));
        }
        at_start = false;
    }
    Ok(Program { stmts })
}

struct Parser {
    tokens: Vec<(Token, Span)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(token, _)| token)
    }

    fn peek_at(&self, offset: usize) -> Option<&Token> {
        self.tokens.get(self.pos + offset).map(|(token, _)| token)
    }

    /// Takes the current token, which the caller has already inspected.
    fn bump(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).map(|(token, _)| token.clone());
        self.pos += 1;
        token
    }

    /// Consumes `token` or fails with `expected`.
    fn expect(&mut self, token: &Token, expected: &[Kind]) -> Result<()> {
        if self.peek() == Some(token) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }

    /// A `ParsingError` at the current token (or end of input).
    fn error(&self, expected: &[Kind]) -> QueryError {
        let found = self.tokens.get(self.pos).cloned();
        // Line and column are filled in by `compile`, which has the source text.
        let position = ParsePosition {
            offset: found.as_ref().map(|(_, span)| span.lo),
            found: found.as_ref().map(|(token, _)| expected::as_written(token)),
            expected: expected.iter().map(|kind| kind.in_words()).collect(),
            ..ParsePosition::default()
        };
        QueryError::ParsingError(
            format!("{:?}", (found, expected::describe(expected))),
            Box::new(position),
        )
    }

    fn check_depth(&self, depth: usize) -> Result<()> {
        if depth >= MAX_DEPTH {
            return Err(QueryError::NestingTooDeep(MAX_DEPTH));
        }
        Ok(())
    }

    fn statement(&mut self, depth: usize) -> Result<Stmt> {
        self.check_depth(depth)?;
        match self.peek() {
            Some(Token::If) => self.if_chain(depth),
            Some(Token::Return) => {
                self.pos += 1;
                self.simple(true, depth)
            }
            _ => self.simple(false, depth),
        }
    }

    /// `[return] [IDENT =] expr ;`
    fn simple(&mut self, is_return: bool, depth: usize) -> Result<Stmt> {
        let mut target = None;
        if let (Some(Token::Ident(name)), Some(Token::Assign)) = (self.peek(), self.peek_at(1)) {
            target = Some(name.clone());
            self.pos += 2;
        }
        let value = self.expr(Ctx::Statement, target.is_none(), depth)?;
        self.expect(&Token::Semi, expected::STATEMENT_END)?;
        Ok(Stmt::Simple {
            target,
            value,
            is_return,
        })
    }

    fn if_chain(&mut self, depth: usize) -> Result<Stmt> {
        let mut branches = Vec::new();
        loop {
            // The current token is `if` or `elif`.
            self.pos += 1;
            let cond = self.expr(Ctx::Condition, false, depth + 1)?;
            self.expect(&Token::LBrace, expected::CONDITION_END)?;
            branches.push((cond, self.block(depth + 1)?));
            match self.peek() {
                Some(Token::ElseIf) => continue,
                Some(Token::Else) => {
                    self.pos += 1;
                    self.expect(&Token::LBrace, &[Kind::LBrace])?;
                    branches.push((Expr::Bool(true), self.block(depth + 1)?));
                    return self.end_of_chain(branches, expected::AFTER_STATEMENT);
                }
                _ => return self.end_of_chain(branches, expected::AFTER_IF),
            }
        }
    }

    /// Checks the token after a finished `if` chain, as upstream's reduce state does.
    fn end_of_chain(&self, branches: Vec<(Expr, Vec<Stmt>)>, set: &[Kind]) -> Result<Stmt> {
        match self.peek() {
            Some(token) if !expected::in_set(token, expected::AFTER_STATEMENT) => {
                Err(self.error(set))
            }
            _ => Ok(Stmt::If { branches }),
        }
    }

    /// The statements of a block up to its `}`; the `{` is already consumed.
    fn block(&mut self, depth: usize) -> Result<Vec<Stmt>> {
        self.check_depth(depth)?;
        let mut stmts = Vec::new();
        loop {
            match self.peek() {
                Some(Token::RBrace) => {
                    self.pos += 1;
                    return Ok(stmts);
                }
                Some(Token::Semi) => self.pos += 1,
                Some(token) if expected::starts_statement(token) => {
                    stmts.push(self.statement(depth + 1)?);
                }
                _ => return Err(self.error(expected::AFTER_STATEMENT)),
            }
        }
    }

    /// An operator chain; left-associative, one precedence level, kept flat so that a
    /// long chain does not nest. `stmt_start` marks a statement's first operand.
    fn expr(&mut self, ctx: Ctx, stmt_start: bool, depth: usize) -> Result<Expr> {
        self.check_depth(depth)?;
        let (first, mut bare_ident) = self.operand(depth)?;
        let mut rest = Vec::new();
        if bare_ident && stmt_start {
            let next_ok = self
                .peek()
                .is_some_and(|t| binop(t).is_some() || *t == Token::Semi || *t == Token::LParen);
            if !next_ok {
                return Err(self.error(expected::AFTER_IDENT_STATEMENT));
            }
        }
        loop {
            let Some(token) = self.peek() else {
                return Err(self.error(after_operand(bare_ident)));
            };
            if let Some(op) = binop(token) {
                self.pos += 1;
                let (operand, ident) = self.operand(depth)?;
                bare_ident = ident;
                rest.push((op, operand));
            } else if ctx.accepts(token) {
                break;
            } else if expected::in_set(token, after_operand(bare_ident)) {
                return Err(self.error(ctx.expected()));
            } else {
                return Err(self.error(after_operand(bare_ident)));
            }
        }
        if rest.is_empty() {
            return Ok(first);
        }
        Ok(Expr::Chain {
            first: Box::new(first),
            rest,
        })
    }

    /// One operand; also says whether it was a bare identifier (its follow set differs).
    fn operand(&mut self, depth: usize) -> Result<(Expr, bool)> {
        self.check_depth(depth)?;
        let Some(token) = self.peek() else {
            return Err(self.error(expected::OPERAND));
        };
        let expr = match token {
            Token::Ident(_) if self.peek_at(1) == Some(&Token::LParen) => self.call(depth)?,
            Token::LParen => {
                self.pos += 1;
                let inner = self.expr(Ctx::Paren, false, depth + 1)?;
                self.pos += 1; // The `)` that ended `inner` (Ctx::Paren accepts only it).
                inner
            }
            Token::LBracket => {
                self.pos += 1;
                let items = self.items(Token::RBracket, depth + 1)?;
                Expr::List(items)
            }
            Token::LBrace => self.dict(depth + 1)?,
            _ => return self.atom(),
        };
        Ok((expr, false))
    }

    /// A literal or a variable, else the operand error.
    fn atom(&mut self) -> Result<(Expr, bool)> {
        let atom = match self.peek() {
            Some(Token::Ident(name)) => {
                let var = Expr::Var {
                    name: name.clone(),
                    last_use: false,
                };
                (var, true)
            }
            Some(Token::Number(number)) => (Expr::Number(*number), false),
            Some(Token::String(text)) => (Expr::String(text.clone()), false),
            Some(Token::Bool(value)) => (Expr::Bool(*value), false),
            _ => return Err(self.error(expected::OPERAND)),
        };
        self.pos += 1;
        Ok(atom)
    }

    fn call(&mut self, depth: usize) -> Result<Expr> {
        let Some(Token::Ident(name)) = self.bump() else {
            return Err(self.error(expected::OPERAND));
        };
        self.pos += 1; // `(`, checked by the caller.
        let args = self.items(Token::RParen, depth + 1)?;
        Ok(Expr::Call { name, args })
    }

    /// Comma-separated expressions up to `close` (`]` or `)`), which is consumed.
    fn items(&mut self, close: Token, depth: usize) -> Result<Vec<Expr>> {
        self.check_depth(depth)?;
        let mut items = Vec::new();
        if self.peek() == Some(&close) {
            self.pos += 1;
            return Ok(items);
        }
        if !self.peek().is_some_and(expected::starts_operand) {
            return Err(self.error(expected::operand_or(&close)));
        }
        loop {
            items.push(self.expr(Ctx::Item, false, depth)?);
            match self.peek() {
                Some(Token::Comma) => self.pos += 1,
                Some(token) if *token == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => return Err(self.error(expected::comma_or(&close))),
            }
        }
    }

    /// `{ "k": v, … }`; the current token is `{`. A repeated key replaces the earlier entry.
    fn dict(&mut self, depth: usize) -> Result<Expr> {
        self.check_depth(depth)?;
        self.pos += 1;
        let mut entries: Vec<(String, Expr)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        if self.peek() == Some(&Token::RBrace) {
            self.pos += 1;
            return Ok(Expr::Dict(entries));
        }
        let mut key_set = expected::DICT_START;
        loop {
            let Some(Token::String(key)) = self.peek().cloned() else {
                return Err(self.error(key_set));
            };
            self.pos += 1;
            self.expect(&Token::Colon, &[Kind::Colon])?;
            let value = self.expr(Ctx::DictValue, false, depth)?;
            match index.get(&key).and_then(|&idx| entries.get_mut(idx)) {
                Some(entry) => entry.1 = value,
                None => {
                    index.insert(key.clone(), entries.len());
                    entries.push((key, value));
                }
            }
            // Ctx::DictValue only accepts `,` and `}`.
            if self.bump() == Some(Token::RBrace) {
                return Ok(Expr::Dict(entries));
            }
            key_set = &[Kind::String];
        }
    }
}

fn binop(token: &Token) -> Option<BinOp> {
    match token {
        Token::Plus => Some(BinOp::Add),
        Token::Minus => Some(BinOp::Sub),
        Token::Star => Some(BinOp::Mul),
        Token::Slash => Some(BinOp::Div),
        Token::Percent => Some(BinOp::Mod),
        Token::Equals => Some(BinOp::Equal),
        _ => None,
    }
}

fn after_operand(bare_ident: bool) -> &'static [Kind] {
    if bare_ident {
        expected::AFTER_IDENT
    } else {
        expected::AFTER_OPERAND
    }
}
