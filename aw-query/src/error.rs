//! [`QueryError`]: every way a query can fail, rendered exactly as upstream renders it,
//! and [`ErrorDetail`], the explanation for people that goes next to that text.

use serde::Serialize;
use thiserror::Error;

use crate::datastore::DatastoreQueryError;

/// A failed query. `Display` is the text upstream puts in the `message` of its HTTP 500
/// answer: the Rust Debug form of the variant, e.g. `VariableNotDefined("x")` or
/// `EmptyQuery` (docs/QUERY.md §1.5). The payloads are that text's user contract.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueryError {
    /// The program does not parse: `return (1;` (payload: token, span and expected set,
    /// §3.3; the [`ParsePosition`] is not part of the text).
    #[error("ParsingError({0:?})")]
    ParsingError(String, Box<ParsePosition>),
    /// The program ran without binding `RETURN`: ``, `x = 1;`.
    #[error("EmptyQuery")]
    EmptyQuery,
    /// An unbound name was read or called: `return none;`.
    #[error("VariableNotDefined({0:?})")]
    VariableNotDefined(String),
    /// Division by zero: `return 1/0;`.
    #[error("MathError({0:?})")]
    MathError(String),
    /// An operator or condition got the wrong type: `return 1 + "a";`, `if 1 {}`.
    #[error("InvalidType({0:?})")]
    InvalidType(String),
    /// A built-in got the wrong arity, argument type or rule shape: `flood()`.
    #[error("InvalidFunctionParameters({0:?})")]
    InvalidFunctionParameters(String),
    /// `TIMEINTERVAL` was reassigned to something `query_bucket` cannot parse.
    #[error("TimeIntervalError({0:?})")]
    TimeIntervalError(String),
    /// A bucket is missing or the datastore failed: `query_bucket("nob")`.
    #[error("BucketQueryError({0:?})")]
    BucketQueryError(String),
    /// A regex does not compile: `filter_keyvals_regex(e, "k", "(")`.
    #[error("RegexCompileError({0:?})")]
    RegexCompileError(String),
    /// Not upstream (which overflows its stack): the program nests deeper than the guard
    /// allows, e.g. 100 000 opening parentheses.
    #[error("NestingTooDeep(\"expressions, blocks and values may nest at most {0} levels\")")]
    NestingTooDeep(usize),
    /// Not upstream (which panics): the result holds a function value, e.g. `return print;`.
    #[error("UnserializableResult({0:?})")]
    UnserializableResult(String),
    /// Not upstream (which runs out of memory and aborts): the request crossed one of
    /// its [`crate::QueryLimits`], e.g. `a = a + a;` repeated 40 times.
    #[error("LimitExceeded({0:?})")]
    LimitExceeded(String),
    /// Not upstream: the request ran longer than [`crate::QueryLimits::timeout`].
    #[error("Timeout({0:?})")]
    Timeout(String),
}

/// Where a program stopped parsing, in terms a person can use (upstream's text
/// only has byte offsets and token names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsePosition {
    /// Byte offset of the offending token; `None` at the end of the program.
    pub offset: Option<usize>,
    /// 1-based line of the offending token (or of the end), counting every newline.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The offending token as written, e.g. `;`; `None` at the end of the program.
    pub found: Option<String>,
    /// What would have been accepted there, e.g. `)`, `a name`, `a number`.
    pub expected: Vec<&'static str>,
}

impl ParsePosition {
    /// Fills in `line` and `column` from the program text the offset points into.
    pub(crate) fn locate(&mut self, source: &str) {
        let mut offset = self.offset.unwrap_or(source.len()).min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = source.get(..offset).unwrap_or(source);
        self.line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        self.column = before
            .get(line_start..)
            .map_or(0, |text| text.chars().count())
            + 1;
    }
}

/// The `detail` member of a failed query's answer: what went wrong in words, and for
/// parse errors where. Not part of upstream's answer, which has only `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDetail {
    /// The error variant, e.g. `ParsingError`.
    pub kind: &'static str,
    /// A sentence saying what is wrong.
    pub explanation: String,
    /// 1-based line (parse errors only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column in characters (parse errors only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The token found, `end of program` at the end (parse errors only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// What would have been accepted (parse errors only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expected: Vec<&'static str>,
}

impl QueryError {
    /// The explanation for people that goes next to the upstream text.
    pub fn detail(&self) -> ErrorDetail {
        let plain = |kind: &'static str, explanation: String| ErrorDetail {
            kind,
            explanation,
            line: None,
            column: None,
            found: None,
            expected: Vec::new(),
        };
        match self {
            QueryError::ParsingError(_, position) => {
                let found = position.found.as_deref().unwrap_or("end of program");
                ErrorDetail {
                    kind: "ParsingError",
                    explanation: format!(
                        "syntax error at line {}, column {}: found {found}, expected {}",
                        position.line,
                        position.column,
                        position.expected.join(" or ")
                    ),
                    line: Some(position.line),
                    column: Some(position.column),
                    found: Some(found.to_string()),
                    expected: position.expected.clone(),
                }
            }
            QueryError::EmptyQuery => plain(
                "EmptyQuery",
                "the program never sets RETURN; end it with `RETURN = <value>;`".to_string(),
            ),
            QueryError::VariableNotDefined(name) => plain(
                "VariableNotDefined",
                format!("`{name}` is neither a variable assigned earlier nor a built-in function"),
            ),
            QueryError::MathError(text) => plain("MathError", format!("arithmetic failed: {text}")),
            QueryError::InvalidType(text) => plain(
                "InvalidType",
                format!("an operator, comparison, `if` condition or call got a value of the wrong type: {text}"),
            ),
            QueryError::InvalidFunctionParameters(text) => plain(
                "InvalidFunctionParameters",
                format!("a built-in function got the wrong number or kind of arguments: {text}"),
            ),
            QueryError::TimeIntervalError(text) => plain(
                "TimeIntervalError",
                format!("TIMEINTERVAL was reassigned to something that is not a period: {text}"),
            ),
            QueryError::BucketQueryError(text) => plain(
                "BucketQueryError",
                format!("a bucket could not be read (GET /api/0/buckets/ lists the ids): {text}"),
            ),
            QueryError::RegexCompileError(text) => plain(
                "RegexCompileError",
                format!("a regular expression does not compile: {text}"),
            ),
            QueryError::NestingTooDeep(depth) => plain(
                "NestingTooDeep",
                format!("the program nests more than {depth} levels deep"),
            ),
            QueryError::UnserializableResult(text) => plain(
                "UnserializableResult",
                format!("RETURN holds a function, which has no JSON form: {text}"),
            ),
            QueryError::LimitExceeded(text) => plain(
                "LimitExceeded",
                format!("the query was stopped to protect the server: {text}; narrow the periods or the buckets, or raise the limit in the [query] section of the config"),
            ),
            QueryError::Timeout(text) => plain(
                "Timeout",
                format!("the query was stopped: {text}; query shorter periods, or raise query.timeout_secs in the config"),
            ),
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, QueryError>;

impl From<DatastoreQueryError> for QueryError {
    /// The one conversion of datastore failures, worded as upstream's `query_bucket`.
    fn from(err: DatastoreQueryError) -> QueryError {
        QueryError::BucketQueryError(format!("Failed to query bucket: {err:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_upstream_debug_form() {
        let cases = [
            (QueryError::EmptyQuery, "EmptyQuery"),
            (
                QueryError::VariableNotDefined("x".into()),
                r#"VariableNotDefined("x")"#,
            ),
            (
                QueryError::InvalidType("a \"q\" \\ \n\t\u{1}".into()),
                r#"InvalidType("a \"q\" \\ \n\t\u{1}")"#,
            ),
            (
                DatastoreQueryError::NoSuchBucket("nob".into()).into(),
                r#"BucketQueryError("Failed to query bucket: NoSuchBucket(\"nob\")")"#,
            ),
        ];
        for (err, text) in cases {
            assert_eq!(err.to_string(), text);
        }
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let source = "a = 1;\nb = \"é\" c;";
        let cases = [
            (Some(0), 1, 1),
            (Some(7), 2, 1),
            (Some(16), 2, 9),
            (Some(13), 2, 6),
            (None, 2, 11),
        ];
        for (offset, line, column) in cases {
            let mut position = ParsePosition {
                offset,
                ..ParsePosition::default()
            };
            position.locate(source);
            assert_eq!(
                (position.line, position.column),
                (line, column),
                "{offset:?}"
            );
        }
    }
}
