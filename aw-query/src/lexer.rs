//! The lexer: source text to tokens by maximal munch (docs/QUERY.md §2).
//!
//! There is no lexer error: at a character no rule matches, lexing stops as if
//! the input ended there (§2.4), and the parser sees end of input.

use std::fmt;

/// One token. The variant names and their `Debug` form are part of the parse error
/// text (docs/QUERY.md §3.3), so they follow upstream's spelling.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// `if`
    If,
    /// `elif`
    ElseIf,
    /// `else`
    Else,
    /// `return`
    Return,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%`
    Percent,
    /// `==`
    Equals,
    /// `=`
    Assign,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `;`
    Semi,
    /// A name: `[a-zA-Z_][a-zA-Z0-9_]*` that is not a keyword.
    Ident(String),
    /// A number literal, always a float.
    Number(f64),
    /// A string literal with `\"` already turned into `"`.
    String(String),
    /// `true`, `True`, `false`, `False`.
    Bool(bool),
}

/// Where a token sits: byte offsets into the source and its 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub lo: usize,
    /// One past the last byte.
    pub hi: usize,
    /// 1 plus the newlines seen before the token (newlines inside strings do not count).
    pub line: usize,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Splits `source` into tokens, stopping silently at the first character no rule matches.
pub fn lex(source: &str) -> Vec<(Token, Span)> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0;
    let mut line = 1;
    while let Some(&byte) = bytes.get(pos) {
        match byte {
            b' ' | b'\t' | b'\r' => pos += 1,
            b'\n' => {
                pos += 1;
                line += 1;
            }
            b'#' => {
                pos = find_from(bytes, pos, |b| b == b'\n').unwrap_or(bytes.len());
            }
            _ => {
                let Some((token, len)) = lex_token(source, pos) else {
                    break;
                };
                let span = Span {
                    lo: pos,
                    hi: pos + len,
                    line,
                };
                tokens.push((token, span));
                pos += len;
            }
        }
    }
    tokens
}

/// The token starting at `pos` and its length in bytes, or `None` when nothing matches.
fn lex_token(source: &str, pos: usize) -> Option<(Token, usize)> {
    let bytes = source.as_bytes();
    let first = *bytes.get(pos)?;
    let punct = |token: Token| Some((token, 1));
    match first {
        b'"' => lex_string(source, pos),
        b'0'..=b'9' => lex_number(source, pos),
        b'a'..=b'z' | b'A'..=b'Z' | b'_' => Some(lex_word(source, pos)),
        b'=' if bytes.get(pos + 1) == Some(&b'=') => Some((Token::Equals, 2)),
        b'=' => punct(Token::Assign),
        b'+' => punct(Token::Plus),
        b'-' => punct(Token::Minus),
        b'*' => punct(Token::Star),
        b'/' => punct(Token::Slash),
        b'%' => punct(Token::Percent),
        b'(' => punct(Token::LParen),
        b')' => punct(Token::RParen),
        b'[' => punct(Token::LBracket),
        b']' => punct(Token::RBracket),
        b'{' => punct(Token::LBrace),
        b'}' => punct(Token::RBrace),
        b',' => punct(Token::Comma),
        b':' => punct(Token::Colon),
        b';' => punct(Token::Semi),
        _ => None,
    }
}

/// `"([^"]|\\")*"` by maximal munch: the string closes at the first quote not preceded
/// by a backslash; if every later quote is escaped, at the last of them (§2.3).
fn lex_string(source: &str, pos: usize) -> Option<(Token, usize)> {
    let bytes = source.as_bytes();
    let mut close = None;
    let mut idx = pos + 1;
    while let Some(quote) = find_from(bytes, idx, |b| b == b'"') {
        close = Some(quote);
        if bytes.get(quote - 1) != Some(&b'\\') || quote == pos + 1 {
            break;
        }
        idx = quote + 1;
    }
    let close = close?;
    let content = source.get(pos + 1..close)?;
    Some((
        Token::String(content.replace("\\\"", "\"")),
        close + 1 - pos,
    ))
}

/// `[0-9]+\.?[0-9]*`, read as the nearest f64.
fn lex_number(source: &str, pos: usize) -> Option<(Token, usize)> {
    let bytes = source.as_bytes();
    let not_digit = |b: u8| !b.is_ascii_digit();
    let mut end = find_from(bytes, pos, not_digit).unwrap_or(bytes.len());
    if bytes.get(end) == Some(&b'.') {
        end = find_from(bytes, end + 1, not_digit).unwrap_or(bytes.len());
    }
    let text = source.get(pos..end)?;
    let number = text.parse::<f64>().ok()?;
    Some((Token::Number(number), end - pos))
}

/// An identifier, or a keyword / bool when the whole word is one.
fn lex_word(source: &str, pos: usize) -> (Token, usize) {
    let bytes = source.as_bytes();
    let end =
        find_from(bytes, pos, |b| !(b.is_ascii_alphanumeric() || b == b'_')).unwrap_or(bytes.len());
    let word = source.get(pos..end).unwrap_or_default();
    let token = match word {
        "if" => Token::If,
        "elif" => Token::ElseIf,
        "else" => Token::Else,
        "return" => Token::Return,
        "true" | "True" => Token::Bool(true),
        "false" | "False" => Token::Bool(false),
        _ => Token::Ident(word.to_string()),
    };
    (token, end - pos)
}

/// The first index at or after `from` whose byte satisfies `pred`.
fn find_from(bytes: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> Option<usize> {
    let rest = bytes.get(from..)?;
    rest.iter().position(|&b| pred(b)).map(|idx| idx + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<Token> {
        lex(source).into_iter().map(|(token, _)| token).collect()
    }

    #[test]
    fn maximal_munch_and_silent_stop() {
        use Token::*;
        let cases: Vec<(&str, Vec<Token>)> = vec![
            ("iffy if", vec![Ident("iffy".into()), If]),
            ("True1 True", vec![Ident("True1".into()), Bool(true)]),
            ("=== =", vec![Equals, Assign, Assign]),
            ("1e5", vec![Number(1.0), Ident("e5".into())]),
            ("1.2.3", vec![Number(1.2)]),
            ("007 1.", vec![Number(7.0), Number(1.0)]),
            ("a # b\nc", vec![Ident("a".into()), Ident("c".into())]),
            ("x @ y", vec![Ident("x".into())]),
            ("\"open", vec![]),
            (r#""say \"hi\"""#, vec![String("say \"hi\"".into())]),
            (r#""a\\""#, vec![String(r"a\\".into())]),
            (r#""\\\"""#, vec![String(r#"\\""#.into())]),
            (r#""\""#, vec![String(r"\".into())]),
            (
                r#"x="a\\"; y="b";"#,
                vec![
                    Ident("x".into()),
                    Assign,
                    String(r#"a\"; y="#.into()),
                    Ident("b".into()),
                ],
            ),
        ];
        for (source, expected) in cases {
            assert_eq!(kinds(source), expected, "{source}");
        }
    }

    #[test]
    fn spans_count_lines_outside_strings() {
        let tokens = lex("a\n\"x\ny\" b");
        let spans: Vec<Span> = tokens.into_iter().map(|(_, span)| span).collect();
        assert_eq!(
            spans,
            vec![
                Span {
                    lo: 0,
                    hi: 1,
                    line: 1
                },
                Span {
                    lo: 2,
                    hi: 7,
                    line: 2
                },
                Span {
                    lo: 8,
                    hi: 9,
                    line: 2
                },
            ]
        );
    }
}
