//! The terminal sets upstream's LALR(1) automaton reports in parse errors (docs/QUERY.md §3.3).
//!
//! LALR merges the lookaheads of states that share a core, so an error after an
//! operand names every token that may follow an expression anywhere; the sets below
//! are those merged sets, derived from upstream's grammar.

use std::fmt;

use crate::lexer::Token;

/// A terminal's name as upstream prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Assign,
    Bool,
    Colon,
    Comma,
    Else,
    ElseIf,
    Equals,
    Ident,
    If,
    LBrace,
    LBracket,
    LParen,
    Minus,
    Number,
    Percent,
    Plus,
    RBrace,
    RBracket,
    RParen,
    Return,
    Semi,
    Slash,
    Star,
    String,
}

use Kind::*;

/// Where a statement may start, before any statement was read.
pub const PROGRAM_START: &[Kind] = &[
    Bool, Ident, If, LBrace, LBracket, LParen, Number, Return, Semi, String,
];
/// After a statement (merged with block ends).
pub const AFTER_STATEMENT: &[Kind] = &[
    Bool, Ident, If, LBrace, LBracket, LParen, Number, RBrace, Return, Semi, String,
];
/// After an `if`/`elif` block.
pub const AFTER_IF: &[Kind] = &[
    Bool, Else, ElseIf, Ident, If, LBrace, LBracket, LParen, Number, RBrace, Return, Semi, String,
];
/// Where an operand must start.
pub const OPERAND: &[Kind] = &[Bool, Ident, LBrace, LBracket, LParen, Number, String];
/// After a complete operand: binary operators plus everything that may follow an expression.
pub const AFTER_OPERAND: &[Kind] = &[
    Comma, Equals, LBrace, Minus, Percent, Plus, RBrace, RBracket, RParen, Semi, Slash, Star,
];
/// After a bare identifier inside an expression (it may still become a call).
pub const AFTER_IDENT: &[Kind] = &[
    Comma, Equals, LBrace, LParen, Minus, Percent, Plus, RBrace, RBracket, RParen, Semi, Slash,
    Star,
];
/// After an identifier that starts a statement (it may still become an assignment).
pub const AFTER_IDENT_STATEMENT: &[Kind] = &[
    Assign, Equals, LParen, Minus, Percent, Plus, Semi, Slash, Star,
];
/// After a statement's expression.
pub const STATEMENT_END: &[Kind] = &[Equals, Minus, Percent, Plus, Semi, Slash, Star];
/// After an `if` condition.
pub const CONDITION_END: &[Kind] = &[Equals, LBrace, Minus, Percent, Plus, Slash, Star];
/// After `{` in an expression.
pub const DICT_START: &[Kind] = &[RBrace, String];

/// The expression contexts, each with the tokens that end an expression there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// A statement: ends at `;`.
    Statement,
    /// An `if` condition: ends at `{`.
    Condition,
    /// Inside `( … )`.
    Paren,
    /// A list element or call argument: ends at `,`, `]` or `)` (merged).
    Item,
    /// A dict value: ends at `,` or `}`.
    DictValue,
}

impl Ctx {
    /// Whether `token` ends an expression in this context.
    pub fn accepts(self, token: &Token) -> bool {
        match self {
            Ctx::Statement => *token == Token::Semi,
            Ctx::Condition => *token == Token::LBrace,
            Ctx::Paren => *token == Token::RParen,
            Ctx::Item => matches!(token, Token::Comma | Token::RBracket | Token::RParen),
            Ctx::DictValue => matches!(token, Token::Comma | Token::RBrace),
        }
    }

    /// The set reported when an expression in this context is followed by a wrong token.
    pub fn expected(self) -> &'static [Kind] {
        match self {
            Ctx::Statement => STATEMENT_END,
            Ctx::Condition => CONDITION_END,
            Ctx::Paren => &[Equals, Minus, Percent, Plus, RParen, Slash, Star],
            Ctx::Item => &[
                Comma, Equals, Minus, Percent, Plus, RBracket, RParen, Slash, Star,
            ],
            Ctx::DictValue => &[Comma, Equals, Minus, Percent, Plus, RBrace, Slash, Star],
        }
    }
}

/// The first item of a list (`]`) or of an argument list (`)`).
pub fn operand_or(close: &Token) -> &'static [Kind] {
    if *close == Token::RParen {
        &[
            Bool, Ident, LBrace, LBracket, LParen, Number, RParen, String,
        ]
    } else {
        &[
            Bool, Ident, LBrace, LBracket, LParen, Number, RBracket, String,
        ]
    }
}

/// After a list's or argument list's item, when the wrong closer came.
pub fn comma_or(close: &Token) -> &'static [Kind] {
    if *close == Token::RParen {
        &[Comma, RParen]
    } else {
        &[Comma, RBracket]
    }
}

/// The kind of a token.
pub fn kind(token: &Token) -> Kind {
    match token {
        Token::If => If,
        Token::ElseIf => ElseIf,
        Token::Else => Else,
        Token::Return => Return,
        Token::Plus => Plus,
        Token::Minus => Minus,
        Token::Star => Star,
        Token::Slash => Slash,
        Token::Percent => Percent,
        Token::Equals => Equals,
        Token::Assign => Assign,
        Token::LParen => LParen,
        Token::RParen => RParen,
        Token::LBracket => LBracket,
        Token::RBracket => RBracket,
        Token::LBrace => LBrace,
        Token::RBrace => RBrace,
        Token::Comma => Comma,
        Token::Colon => Colon,
        Token::Semi => Semi,
        Token::Ident(_) => Ident,
        Token::Number(_) => Number,
        Token::String(_) => String,
        Token::Bool(_) => Bool,
    }
}

/// Whether `token` is in `set`.
pub fn in_set(token: &Token, set: &[Kind]) -> bool {
    set.contains(&kind(token))
}

/// Whether `token` can start a statement (not counting `;`).
pub fn starts_statement(token: &Token) -> bool {
    *token == Token::If || *token == Token::Return || starts_operand(token)
}

/// Whether `token` can start an operand.
pub fn starts_operand(token: &Token) -> bool {
    in_set(token, OPERAND)
}

/// `expected `A``, `` expected `A` or `B` ``, `` expected `A`, `B`, or `C` ``.
pub fn describe(set: &[Kind]) -> std::string::String {
    let names: Vec<std::string::String> = set.iter().map(|kind| format!("`{kind}`")).collect();
    match names.as_slice() {
        [] => "expected nothing".to_string(),
        [one] => format!("expected {one}"),
        [first, second] => format!("expected {first} or {second}"),
        [init @ .., last] => format!("expected {}, or {last}", init.join(", ")),
    }
}

impl Kind {
    /// The terminal as a person would write it or name it.
    pub fn in_words(self) -> &'static str {
        match self {
            Assign => "`=`",
            Bool => "`true` or `false`",
            Colon => "`:`",
            Comma => "`,`",
            Else => "`else`",
            ElseIf => "`elif`",
            Equals => "`==`",
            Ident => "a name",
            If => "`if`",
            LBrace => "`{`",
            LBracket => "`[`",
            LParen => "`(`",
            Minus => "`-`",
            Number => "a number",
            Percent => "`%`",
            Plus => "`+`",
            RBrace => "`}`",
            RBracket => "`]`",
            RParen => "`)`",
            Return => "`return`",
            Semi => "`;`",
            Slash => "`/`",
            Star => "`*`",
            String => "a string",
        }
    }
}

/// A found token as a person would recognise it: `` `;` ``, `` the name `x` ``.
pub fn as_written(token: &Token) -> std::string::String {
    match token {
        Token::Ident(name) => format!("the name `{name}`"),
        Token::Number(number) => format!("the number {number}"),
        Token::String(text) => format!("the string {text:?}"),
        Token::Bool(value) => format!("`{value}`"),
        other => kind(other).in_words().to_string(),
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
