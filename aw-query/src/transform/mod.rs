//! The event transforms behind the query functions, one file per transform (docs/QUERY.md §7).
//!
//! Every transform takes its events by value and returns them (or the pieces made from
//! them); none copies a `Vec<SharedEvent>`. Times are handled as i64 nanoseconds.
//! Events with equal data may share it (`Arc`): work that depends on the data alone is
//! done once per distinct allocation ([`memo::DataMemo`]), changed data is a new `Arc`
//! shared by every output event whose input shared the old one, and no result may
//! depend on whether two equal maps share an allocation.

pub mod chunk_events_by_key;
pub mod classify;
pub mod concat;
pub mod filter_keyvals;
pub mod filter_period_intersect;
pub mod flood;
pub mod limit;
pub(crate) mod memo;
pub mod merge_events_by_keys;
pub mod period_union;
pub mod sort;
pub mod split_url_events;
pub mod sum_durations;
pub mod union_no_overlap;

use aw_models::time::{duration_nanos, from_nanos};
use aw_models::SharedEvent;
use chrono::TimeDelta;

pub use chunk_events_by_key::chunk_events_by_key;
pub use classify::{categorize, tag};
pub use concat::concat;
pub use filter_keyvals::{exclude_keyvals, filter_keyvals, filter_keyvals_regex};
pub use filter_period_intersect::filter_period_intersect;
pub use flood::flood;
pub use limit::limit_events;
pub use merge_events_by_keys::merge_events_by_keys;
pub use period_union::period_union;
pub use sort::{sort_by_duration, sort_by_timestamp};
pub use split_url_events::split_url_events;
pub use sum_durations::sum_durations;
pub use union_no_overlap::union_no_overlap;

/// An event a read-only transform can take either owned (moved through) or borrowed
/// from a variable (copied only if it is kept).
pub trait EventSource: std::borrow::Borrow<SharedEvent> {
    /// The event, owned: moved if it was owned, cloned (sharing its data) if it was borrowed.
    fn into_event(self) -> SharedEvent;
}

impl EventSource for SharedEvent {
    fn into_event(self) -> SharedEvent {
        self
    }
}

impl EventSource for &SharedEvent {
    fn into_event(self) -> SharedEvent {
        self.clone()
    }
}

/// Start in nanoseconds since the epoch.
fn start(event: &SharedEvent) -> i64 {
    event.start_nanos()
}

/// End in nanoseconds since the epoch (saturating).
fn end(event: &SharedEvent) -> i64 {
    event
        .start_nanos()
        .saturating_add(duration_nanos(&event.duration))
}

/// Duration in nanoseconds.
fn nanos(duration: &TimeDelta) -> i64 {
    duration_nanos(duration)
}

/// Moves `event` to cover `[start, end]`.
fn set_span(event: &mut SharedEvent, start: i64, end: i64) {
    event.timestamp = from_nanos(start);
    event.duration = TimeDelta::nanoseconds(end.saturating_sub(start));
}

/// Builders shared by the transform unit tests.
#[cfg(test)]
pub(crate) mod test_util {
    use aw_models::time::{duration_from_secs, from_nanos};
    use aw_models::{Event, JsonMap, SharedEvent};
    use serde_json::Value;

    /// An event at `start` seconds, `duration` seconds long, with `data` (a JSON object).
    pub fn ev(start: f64, duration: f64, data: Value) -> SharedEvent {
        let data: JsonMap = match data {
            Value::Object(map) => map,
            _ => JsonMap::new(),
        };
        SharedEvent::from(Event::new(
            from_nanos((start * 1e9).round() as i64),
            duration_from_secs(duration),
            data,
        ))
    }

    /// `(start, end)` in seconds of each event.
    pub fn spans(events: &[SharedEvent]) -> Vec<(f64, f64)> {
        events
            .iter()
            .map(|event| {
                let start = super::start(event) as f64 / 1e9;
                (start, super::end(event) as f64 / 1e9)
            })
            .collect()
    }
}
