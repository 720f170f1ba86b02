//! The ActivityWatch query2 language: lexer, parser, interpreter, built-in functions
//! and the event transforms behind them, compatible with upstream aw-server-rust
//! (`shared/reference/QUERY.md`).
//!
//! A query runs once per time period against a [`QueryDatastore`]; the result is a
//! [`DataType`] that serialises to exactly the JSON upstream sends.
//!
//! ```
//! use aw_query::{query, MemoryDatastore};
//!
//! let datastore = MemoryDatastore::new();
//! let interval = "2026-08-22T04:00:00+02:00/2026-08-23T04:00:00+02:00".parse().unwrap();
//! let value = query("x = 1 + 2 * 3; return [x, TIMEINTERVAL];", &interval, &datastore).unwrap();
//! assert_eq!(
//!     serde_json::to_string(&value).unwrap(),
//!     r#"[9.0,"2026-08-22T02:00:00+00:00/2026-08-23T02:00:00+00:00"]"#
//! );
//! let err = query("return nope;", &interval, &datastore).unwrap_err();
//! assert_eq!(err.to_string(), r#"VariableNotDefined("nope")"#);
//! ```
#![warn(missing_docs)]

mod ast;
mod budget;
mod datastore;
mod env;
mod error;
mod functions;
mod interpret;
mod lexer;
mod liveness;
mod operators;
mod parser;
mod plan;
mod regex_cache;
mod rules;
mod schedule;
pub mod transform;
mod value;

use aw_models::{Query, TimeInterval};

use budget::Budget;

pub use budget::QueryLimits;
pub use datastore::{DatastoreQueryError, MemoryDatastore, QueryDatastore};
pub use error::{ErrorDetail, ParsePosition, QueryError, Result};
pub use parser::MAX_DEPTH;
pub use schedule::Parallelism;
pub use value::DataType;

/// Lexes, parses and runs `code` for one period; `RETURN` is the result.
///
/// The result never holds a function value (that is refused with
/// [`QueryError::UnserializableResult`]), so serialising it cannot fail.
pub fn query(
    code: &str,
    interval: &TimeInterval,
    datastore: &dyn QueryDatastore,
) -> Result<DataType> {
    let budget = Budget::new(QueryLimits::default());
    run(
        &compile(code)?,
        interval,
        datastore,
        &budget,
        Parallelism::default(),
    )
}

/// Runs a whole request: the program once per period, in order, stopping at the first
/// error (no partial results). No periods give `[]` without parsing the program.
///
/// Upstream parses the program again for every period; the parse is deterministic,
/// so parsing once gives the same answers, errors included.
pub fn query_all(request: &Query, datastore: &dyn QueryDatastore) -> Result<Vec<DataType>> {
    query_all_limited(request, datastore, QueryLimits::default())
}

/// [`query_all`] within `limits` (module `budget`): the first limit crossed ends the
/// request with [`QueryError::LimitExceeded`] or [`QueryError::Timeout`].
pub fn query_all_limited(
    request: &Query,
    datastore: &dyn QueryDatastore,
    limits: QueryLimits,
) -> Result<Vec<DataType>> {
    if request.timeperiods.is_empty() {
        return Ok(Vec::new());
    }
    let program = compile(&request.code())?;
    let budget = Budget::new(limits);
    request
        .timeperiods
        .iter()
        .map(|interval| {
            let value = run(
                &program,
                interval,
                datastore,
                &budget,
                Parallelism::default(),
            )?;
            budget.add_result(&value)?;
            Ok(value)
        })
        .collect()
}

/// A request's program, compiled once, and the budget its periods share: periods run
/// through [`PreparedQuery::run`] one by one or in parallel, and results computed
/// earlier (a result cache) are counted with [`PreparedQuery::count_result`], so the
/// request stays within its [`QueryLimits`] whichever way its periods are answered.
pub struct PreparedQuery {
    program: Compiled,
    budget: Budget,
    parallelism: Parallelism,
}

impl PreparedQuery {
    /// Compiles `code`; errors are those [`query_all`] reports for it.
    pub fn new(code: &str, limits: QueryLimits) -> Result<PreparedQuery> {
        Ok(PreparedQuery {
            program: compile(code)?,
            budget: Budget::new(limits),
            parallelism: Parallelism::default(),
        })
    }

    /// Spreads each period's statements over threads as `parallelism` says (by
    /// default [`Parallelism::default`]); the answers stay the same.
    pub fn with_parallelism(mut self, parallelism: Parallelism) -> PreparedQuery {
        self.parallelism = parallelism;
        self
    }

    /// Runs the program for one period and counts its result toward the request's
    /// result budget. The same period gives the same answer as in [`query_all`].
    pub fn run(&self, interval: &TimeInterval, datastore: &dyn QueryDatastore) -> Result<DataType> {
        let value = run(
            &self.program,
            interval,
            datastore,
            &self.budget,
            self.parallelism,
        )?;
        self.budget.add_result(&value)?;
        Ok(value)
    }

    /// The buckets the program reads with `query_bucket("<literal id>")`, each once, in
    /// order of appearance: a caller may start reading them for a period before the
    /// program asks (a read the program then does not make is only wasted work).
    pub fn literal_buckets(&self) -> Vec<String> {
        let mut found = Vec::new();
        for stmt in &self.program.ast.stmts {
            literal_buckets_in_stmt(stmt, &mut found);
        }
        found
    }

    /// Counts a result of `approx_bytes` ([`DataType::approx_bytes`]) that was not run
    /// here toward the result budget.
    pub fn count_result(&self, approx_bytes: usize) -> Result<()> {
        self.budget.add_result_bytes(approx_bytes)
    }
}

fn literal_buckets_in_stmt(stmt: &ast::Stmt, found: &mut Vec<String>) {
    match stmt {
        ast::Stmt::Simple { value, .. } => literal_buckets_in(value, found),
        ast::Stmt::If { branches } => {
            for (condition, block) in branches {
                literal_buckets_in(condition, found);
                block
                    .iter()
                    .for_each(|stmt| literal_buckets_in_stmt(stmt, found));
            }
        }
    }
}

fn literal_buckets_in(expr: &ast::Expr, found: &mut Vec<String>) {
    use ast::Expr;
    match expr {
        Expr::Call { name, args } => {
            if let (true, [Expr::String(bucket)]) = (name == "query_bucket", args.as_slice()) {
                if !found.contains(bucket) {
                    found.push(bucket.clone());
                }
            }
            args.iter().for_each(|arg| literal_buckets_in(arg, found));
        }
        Expr::List(items) => items
            .iter()
            .for_each(|item| literal_buckets_in(item, found)),
        Expr::Dict(entries) => entries
            .iter()
            .for_each(|(_, value)| literal_buckets_in(value, found)),
        Expr::Chain { first, rest } => {
            literal_buckets_in(first, found);
            rest.iter()
                .for_each(|(_, operand)| literal_buckets_in(operand, found));
        }
        Expr::Number(_) | Expr::Bool(_) | Expr::String(_) | Expr::Var { .. } => {}
    }
}

/// Lexes and parses `code` and marks the variable reads that can move their value.
fn compile(code: &str) -> Result<Compiled> {
    let mut program = match parser::parse(lexer::lex(code)) {
        Ok(program) => program,
        Err(QueryError::ParsingError(text, mut position)) => {
            position.locate(code);
            return Err(QueryError::ParsingError(text, position));
        }
        Err(err) => return Err(err),
    };
    liveness::mark_last_uses(&mut program);
    let plan = plan::Plan::new(&program);
    Ok(Compiled { ast: program, plan })
}

/// A program ready to run: its tree, reads marked, and which statement waits for which.
struct Compiled {
    ast: ast::Program,
    plan: plan::Plan,
}

/// Runs a compiled program for one period and refuses function values in the result.
fn run(
    program: &Compiled,
    interval: &TimeInterval,
    datastore: &dyn QueryDatastore,
    budget: &Budget,
    parallelism: Parallelism,
) -> Result<DataType> {
    let value = schedule::run(
        &program.ast,
        &program.plan,
        interval,
        datastore,
        budget,
        parallelism,
    )?;
    if let Some(builtin) = value.find_function() {
        return Err(QueryError::UnserializableResult(format!(
            "a function value cannot be serialised: {}",
            builtin.name
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server moves results and errors across threads.
    #[test]
    fn results_and_errors_are_send() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<DataType>();
        assert_send_sync::<QueryError>();
        assert_send_sync::<MemoryDatastore>();
    }
}
