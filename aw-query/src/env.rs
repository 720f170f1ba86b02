//! The variable environment: each name's [`Binding`], a value shared by the statements
//! reading it at the same time (module `schedule`) with an upper bound of its size.
//!
//! What must stay true: a binding's bound is never below its value's
//! [`DataType::approx_bytes`], and a value is only moved out of its `Arc` by the one
//! statement the plan hands it to (module `plan`), so moving never copies.

use std::collections::HashMap;
use std::sync::Arc;

use aw_models::TimeInterval;
use chrono::SecondsFormat;

use crate::functions;
use crate::value::DataType;

/// A variable's value and an upper bound of its size.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The value; a statement that moves it out holds the only reference.
    pub value: Arc<DataType>,
    /// At least `value.approx_bytes()`.
    pub bound: usize,
}

impl Binding {
    /// A binding of `value`, whose size is at most `bound`.
    pub fn new(value: DataType, bound: usize) -> Binding {
        Binding {
            value: Arc::new(value),
            bound,
        }
    }

    /// The value, moved out when this is its only reference and copied otherwise.
    pub(crate) fn into_value(self) -> DataType {
        Arc::try_unwrap(self.value).unwrap_or_else(|shared| (*shared).clone())
    }
}

/// A flat variable environment: the whole program's, or the part one statement uses.
pub type Env = HashMap<String, Binding>;

/// The environment a program starts in: the built-ins and `TIMEINTERVAL`.
pub(crate) fn initial_env(interval: &TimeInterval) -> Env {
    let mut env = functions::environment();
    let interval = DataType::String(format_interval(interval));
    let bound = interval.approx_bytes();
    env.insert("TIMEINTERVAL".to_string(), Binding::new(interval, bound));
    env
}

/// `<start>/<end>` in UTC with `+00:00` and 0/3/6/9 fraction digits (§4.1).
fn format_interval(interval: &TimeInterval) -> String {
    format!(
        "{}/{}",
        interval
            .start()
            .to_rfc3339_opts(SecondsFormat::AutoSi, false),
        interval.end().to_rfc3339_opts(SecondsFormat::AutoSi, false)
    )
}
