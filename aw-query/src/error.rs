//! [`QueryError`]: every way a query can fail, rendered exactly as upstream renders it.

use thiserror::Error;

use crate::datastore::DatastoreQueryError;

/// A failed query. `Display` is the text upstream puts in the `message` of its HTTP 500
/// answer: the Rust Debug form of the variant, e.g. `VariableNotDefined("x")` or
/// `EmptyQuery` (QUERY.md §1.5). The payloads are that text's user contract.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueryError {
    /// The program does not parse: `return (1;` (payload: token, span and expected set, §3.3).
    #[error("ParsingError({0:?})")]
    ParsingError(String),
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
}
