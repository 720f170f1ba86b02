//! The built-in functions: a registry where each function's name, arity and argument
//! types are declared once ([`BUILTINS`]) and checked before its body runs (docs/QUERY.md §5.5, §6).

mod builtins;
pub(crate) mod convert;

use std::collections::VecDeque;

use aw_models::SharedEvent;

use crate::budget::Budget;
use crate::datastore::QueryDatastore;
use crate::env::{Binding, Env};
use crate::error::{QueryError, Result};
use crate::rules::Rule;
use crate::value::DataType;

pub use builtins::BUILTINS;

/// One built-in function.
pub struct Builtin {
    /// The name it is bound to in a fresh environment.
    pub name: &'static str,
    /// What it accepts.
    pub params: Params,
    /// The body; it receives the arguments already converted to the declared types.
    pub body: fn(Args<'_>, &mut CallCtx<'_>) -> Result<DataType>,
    /// Whether its result can be larger (in [`DataType::approx_bytes`]) than its
    /// largest argument. Arguments were each checked when they were built, so only
    /// the results of functions that can grow need checking against the budget; the
    /// body of one that can grow may set [`CallCtx::bound`] so that it need not be
    /// measured (measuring a year of events after every call was a tenth of a year query).
    pub may_grow: bool,
}

/// A function's parameter list.
pub enum Params {
    /// Exactly these.
    Exact(&'static [ArgType]),
    /// `required` then up to all of `optional`; an arity error names the full count
    /// (upstream's `find_bucket` says "Expected 2 parameters" for 0 or 3 arguments).
    Optional {
        /// Always present.
        required: &'static [ArgType],
        /// May be left out from the end.
        optional: &'static [ArgType],
    },
    /// Any number, all of this type.
    Variadic(ArgType),
}

/// The argument types of §5.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    /// Anything, unconverted.
    Any,
    /// A String.
    String,
    /// A Number.
    Number,
    /// A Number cast to an unsigned count (saturating, NaN → 0).
    Count,
    /// A List of Strings.
    Strings,
    /// A List of Events, owned (for transforms that change the events).
    Events,
    /// A List of Events the function only reads or filters: a variable passed here is
    /// borrowed, and only the events kept in the result are copied.
    EventsRead,
    /// A List of values convertible to JSON (`filter_keyvals`).
    JsonValues,
    /// `categorize` rules.
    CategoryRules,
    /// `tag` rules.
    TagRules,
}

/// An argument value before conversion: computed, or a variable borrowed from the
/// environment (see `Interpreter::call`).
pub enum Input<'a> {
    /// A value the call owns.
    Owned(DataType),
    /// A variable's value, still bound.
    Borrowed(&'a DataType),
}

/// Events for an [`ArgType::EventsRead`] parameter.
pub enum EventsIn<'a> {
    /// Moved out of an owned list.
    Owned(Vec<SharedEvent>),
    /// Borrowed from a variable's list.
    Borrowed(Vec<&'a SharedEvent>),
}

/// An argument after conversion.
pub enum Arg<'a> {
    /// [`ArgType::Any`]
    Any(DataType),
    /// [`ArgType::String`]
    String(String),
    /// [`ArgType::Number`]
    Number(f64),
    /// [`ArgType::Count`]
    Count(usize),
    /// [`ArgType::Strings`]
    Strings(Vec<String>),
    /// [`ArgType::Events`]
    Events(Vec<SharedEvent>),
    /// [`ArgType::EventsRead`]
    EventsIn(EventsIn<'a>),
    /// [`ArgType::JsonValues`]
    Json(Vec<serde_json::Value>),
    /// [`ArgType::CategoryRules`]
    Categories(Vec<(Vec<String>, Rule)>),
    /// [`ArgType::TagRules`]
    Tags(Vec<(String, Rule)>),
}

/// What a body may use besides its arguments.
pub struct CallCtx<'a> {
    /// The caller's environment (`query_bucket` reads `TIMEINTERVAL`).
    pub env: &'a Env,
    /// Where `query_bucket` and `find_bucket` read from.
    pub datastore: &'a dyn QueryDatastore,
    /// The request's budget (`query_bucket` counts the events it reads).
    pub(crate) budget: &'a Budget,
    /// For each argument, an upper bound of its [`DataType::approx_bytes`].
    pub(crate) arg_bounds: &'a [usize],
    /// Set by a body that can grow: an upper bound of its result's
    /// [`DataType::approx_bytes`], computed from `arg_bounds` and what the body added.
    /// Left `None`, the result is measured.
    pub(crate) bound: Option<usize>,
}

/// The converted arguments, taken in declaration order by the typed accessors.
pub struct Args<'a>(VecDeque<Arg<'a>>);

/// The accessors below can only fail if a body disagrees with its declaration; that
/// is a bug in this crate, reported as an error instead of a panic.
fn declaration_mismatch() -> QueryError {
    QueryError::InvalidFunctionParameters(
        "internal error: a function body disagrees with its declared parameters".to_string(),
    )
}

macro_rules! accessor {
    ($(#[$doc:meta])* $name:ident, $variant:ident, $ty:ty) => {
        $(#[$doc])*
        pub fn $name(&mut self) -> Result<$ty> {
            match self.0.pop_front() {
                Some(Arg::$variant(value)) => Ok(value),
                _ => Err(declaration_mismatch()),
            }
        }
    };
}

impl<'a> Args<'a> {
    accessor!(/** The next `Any` argument. */ any, Any, DataType);
    accessor!(/** The next `String` argument. */ string, String, String);
    accessor!(/** The next `Number` argument. */ number, Number, f64);
    accessor!(/** The next `Count` argument. */ count, Count, usize);
    accessor!(/** The next `Strings` argument. */ strings, Strings, Vec<String>);
    accessor!(/** The next `Events` argument. */ events, Events, Vec<SharedEvent>);
    accessor!(/** The next `EventsRead` argument. */ events_in, EventsIn, EventsIn<'a>);
    accessor!(/** The next `JsonValues` argument. */ json, Json, Vec<serde_json::Value>);
    accessor!(/** The next `CategoryRules` argument. */ categories, Categories, Vec<(Vec<String>, Rule)>);
    accessor!(/** The next `TagRules` argument. */ tags, Tags, Vec<(String, Rule)>);

    /// The optional string argument, if it was given.
    pub fn optional_string(&mut self) -> Result<Option<String>> {
        if self.0.is_empty() {
            return Ok(None);
        }
        self.string().map(Some)
    }

    /// All remaining arguments (for variadic functions).
    pub fn rest(self) -> impl Iterator<Item = Arg<'a>> {
        self.0.into_iter()
    }
}

/// A fresh environment holding every built-in under its name.
pub fn environment() -> Env {
    BUILTINS
        .iter()
        .map(|builtin| {
            let value = DataType::Function(builtin);
            let bound = value.approx_bytes();
            (builtin.name.to_string(), Binding::new(value, bound))
        })
        .collect()
}

/// Checks the arity, converts the arguments left to right, then runs the body.
pub fn call(builtin: &Builtin, args: Vec<Input<'_>>, ctx: &mut CallCtx<'_>) -> Result<DataType> {
    let types = check_arity(&builtin.params, args.len())?;
    let converted = args
        .into_iter()
        .zip(types)
        .map(|(arg, ty)| convert::convert(ty, arg))
        .collect::<Result<VecDeque<Arg<'_>>>>()?;
    (builtin.body)(Args(converted), ctx)
}

/// The declared type of each of `n_args` arguments, or the arity error.
fn check_arity(params: &Params, n_args: usize) -> Result<Vec<ArgType>> {
    let arity_error = |expected: usize| {
        QueryError::InvalidFunctionParameters(format!(
            "Expected {expected} parameters in function, got {n_args}"
        ))
    };
    match params {
        Params::Exact(types) if types.len() == n_args => Ok(types.to_vec()),
        Params::Exact(types) => Err(arity_error(types.len())),
        Params::Optional { required, optional } => {
            let max = required.len() + optional.len();
            if n_args < required.len() || n_args > max {
                return Err(arity_error(max));
            }
            Ok(required
                .iter()
                .chain(*optional)
                .take(n_args)
                .copied()
                .collect())
        }
        Params::Variadic(ty) => Ok(vec![*ty; n_args]),
    }
}
