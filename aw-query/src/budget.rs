//! [`QueryLimits`] and the per-request [`Budget`] that enforces them, so that one
//! query cannot exhaust the server's memory or time (upstream aborts the process on
//! `a = a + a;` repeated 40 times, or on 10 000 periods each reading a 60 MB event).
//!
//! What is counted, for the whole request (all periods together unless noted):
//! * the size of every value built by `+`, a list or dict literal, or a function
//!   (estimated in bytes, see [`DataType::approx_bytes`]): at most `max_value_bytes`
//!   each, checked before a string or list concatenation allocates;
//! * the events the datastore returned, by count and by estimated size;
//! * the size of the results kept for the answer;
//! * the wall time, checked before every statement, operator and call.
//!
//! The first limit crossed stops the request with [`QueryError::LimitExceeded`]
//! (the server answers 4xx) or [`QueryError::Timeout`] (503), naming the limit.
//! Results of a request within every limit are exactly those of an unlimited run.
//!
//! Measuring a year of events after every step cost a tenth of a year query, so the
//! interpreter carries an upper bound of each value's size beside it (from what each
//! built-in adds) and measures exactly only when a bound would cross a limit: the
//! decisions and the error texts are those of exact measurement.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aw_models::{JsonMap, SharedEvent};

use crate::error::{QueryError, Result};
use crate::transform::memo::MeasureMemo;
use crate::value::DataType;

const MIB: usize = 1024 * 1024;

/// How much one query request may use. [`Default`] gives limits far above any real
/// dashboard query (a year of window events is a few hundred thousand events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryLimits {
    /// Largest value one expression may build, in estimated bytes.
    pub max_value_bytes: usize,
    /// Largest total of the results of all periods, in estimated bytes.
    pub max_result_bytes: usize,
    /// Most events all `query_bucket` calls of the request may return together.
    pub max_events: usize,
    /// Largest estimated size of those events together, in bytes.
    pub max_event_bytes: usize,
    /// Longest the request may run.
    pub timeout: Duration,
}

impl Default for QueryLimits {
    fn default() -> QueryLimits {
        QueryLimits {
            max_value_bytes: 512 * MIB,
            max_result_bytes: 1024 * MIB,
            max_events: 10_000_000,
            max_event_bytes: 1024 * MIB,
            timeout: Duration::from_secs(120),
        }
    }
}

/// The running totals of one request.
pub(crate) struct Budget {
    limits: QueryLimits,
    deadline: Option<Instant>,
    events: AtomicUsize,
    event_bytes: AtomicUsize,
    result_bytes: AtomicUsize,
}

impl Budget {
    pub(crate) fn new(limits: QueryLimits) -> Budget {
        Budget {
            deadline: Instant::now().checked_add(limits.timeout),
            limits,
            events: AtomicUsize::new(0),
            event_bytes: AtomicUsize::new(0),
            result_bytes: AtomicUsize::new(0),
        }
    }

    /// Fails once the request has run longer than its timeout.
    pub(crate) fn check_time(&self) -> Result<()> {
        match self.deadline {
            Some(deadline) if Instant::now() > deadline => Err(QueryError::Timeout(format!(
                "the query ran longer than the limit of {} s (query.timeout_secs)",
                self.limits.timeout.as_secs_f64()
            ))),
            _ => Ok(()),
        }
    }

    /// Whether a value of `bytes` fits the value limit ([`Budget::check_value`] passes).
    pub(crate) fn value_fits(&self, bytes: usize) -> bool {
        bytes <= self.limits.max_value_bytes
    }

    /// Fails if a value of `bytes` is larger than one value may be.
    pub(crate) fn check_value(&self, bytes: usize) -> Result<()> {
        if bytes > self.limits.max_value_bytes {
            return Err(limit_error(
                "a value built by the query",
                bytes,
                self.limits.max_value_bytes,
                "query.max_value_mb",
            ));
        }
        Ok(())
    }

    /// Counts one period's result; fails if all results together are too large.
    pub(crate) fn add_result(&self, value: &DataType) -> Result<()> {
        self.add_result_bytes(value.approx_bytes())
    }

    /// Counts a period's result of `bytes` (estimated); fails as [`Budget::add_result`].
    pub(crate) fn add_result_bytes(&self, bytes: usize) -> Result<()> {
        let total = add(&self.result_bytes, bytes);
        if total > self.limits.max_result_bytes {
            return Err(limit_error(
                "the results of all periods",
                total,
                self.limits.max_result_bytes,
                "query.max_result_mb",
            ));
        }
        Ok(())
    }

    /// Counts events read from the datastore; returns their estimated size (the sum of
    /// [`event_bytes`], so a list of them measures this plus one value slot).
    pub(crate) fn add_events(&self, events: &[SharedEvent]) -> Result<usize> {
        let count = add(&self.events, events.len());
        if count > self.limits.max_events {
            return Err(QueryError::LimitExceeded(format!(
                "the query read {count} events or more, above the limit of {} (query.max_events)",
                self.limits.max_events
            )));
        }
        let mut memo = MeasureMemo::new();
        let bytes = events
            .iter()
            .map(|event| event_bytes(event, &mut memo))
            .fold(0, usize::saturating_add);
        let total = add(&self.event_bytes, bytes);
        if total > self.limits.max_event_bytes {
            return Err(limit_error(
                "the events read",
                total,
                self.limits.max_event_bytes,
                "query.max_event_mb",
            ));
        }
        Ok(bytes)
    }
}

fn add(counter: &AtomicUsize, amount: usize) -> usize {
    counter
        .fetch_add(amount, Ordering::Relaxed)
        .saturating_add(amount)
}

fn limit_error(what: &str, bytes: usize, limit: usize, key: &str) -> QueryError {
    QueryError::LimitExceeded(format!(
        "{what} would take {} MiB or more, above the limit of {} MiB ({key})",
        bytes.div_ceil(MIB),
        limit / MIB
    ))
}

/// Estimated memory of one event: its value slot plus its data, counted for every
/// event as if unshared (so limits do not depend on sharing) but measured once per
/// distinct data in `memo`.
pub(crate) fn event_bytes<'a>(event: &'a SharedEvent, memo: &mut MeasureMemo<'a, usize>) -> usize {
    let data = memo.get_or_insert_with(&event.data, data_bytes);
    std::mem::size_of::<DataType>().saturating_add(data)
}

/// [`event_bytes`] without a memo, for an event measured on its own.
pub(crate) fn event_bytes_unshared(event: &SharedEvent) -> usize {
    std::mem::size_of::<DataType>().saturating_add(data_bytes(&event.data))
}

fn data_bytes(data: &JsonMap) -> usize {
    data.iter()
        .map(|(key, value)| entry_bytes(key, value))
        .fold(0, usize::saturating_add)
}

/// Estimated memory of one data entry: setting `key` to `value` in a map makes its
/// data at most this much larger (less if it replaces an entry).
pub(crate) fn entry_bytes(key: &str, value: &serde_json::Value) -> usize {
    key.len().saturating_add(json_bytes(value))
}

/// Estimated memory of a JSON value: a value slot per node plus string contents
/// (map entries count twice, for the key).
pub(crate) fn json_bytes(value: &serde_json::Value) -> usize {
    let node = std::mem::size_of::<serde_json::Value>();
    match value {
        serde_json::Value::String(text) => node.saturating_add(text.len()),
        serde_json::Value::Array(items) => items
            .iter()
            .map(json_bytes)
            .fold(node, usize::saturating_add),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(key, value)| {
                key.len()
                    .saturating_add(node)
                    .saturating_add(json_bytes(value))
            })
            .fold(node, usize::saturating_add),
        _ => node,
    }
}
