//! [`Event`]: one interval of activity with free-form data.
//!
//! Every incoming event is checked here once: its end must be storable and its
//! `data` may nest at most [`MAX_DATA_DEPTH`] levels. That one limit is what lets
//! everything the server accepted be exported and imported again: the export wraps
//! each event's data five levels deeper than an insert body does, and serde_json
//! refuses documents nesting beyond 128 levels, so the limit keeps ample room below
//! that for every body that carries events (insert, heartbeat, bucket, import).

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::time::{self, duration_nanos, to_nanos};
use crate::{JsonMap, ModelError};

/// How deep event `data` may nest, counting the `data` object itself as level 1
/// (`{"a":[[1]]}` is 3 levels).
pub const MAX_DATA_DEPTH: usize = 100;

/// One interval of activity.
///
/// Wire form: `{"id":…,"timestamp":…,"duration":<float seconds>,"data":{…}}` in that
/// order. `id` is `null` for events the server has not stored. Equality ignores `id`,
/// as upstream's does (import de-duplication and heartbeat merging rely on it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "RawEvent")]
pub struct Event {
    /// Row id in the datastore, shared by all buckets; `None` before insertion.
    pub id: Option<i64>,
    /// Start of the interval, nanosecond precision, always storable.
    #[serde(with = "time::datetime")]
    pub timestamp: DateTime<Utc>,
    /// Length of the interval; may be negative, as upstream accepts.
    #[serde(with = "time::duration_secs")]
    pub duration: TimeDelta,
    /// Free-form data; keys serialise sorted.
    pub data: JsonMap,
}

/// The unchecked shape of an incoming event.
#[derive(Deserialize)]
struct RawEvent {
    #[serde(default)]
    id: Option<i64>,
    #[serde(with = "time::datetime")]
    timestamp: DateTime<Utc>,
    #[serde(default, with = "time::duration_secs")]
    duration: TimeDelta,
    data: JsonMap,
}

impl TryFrom<RawEvent> for Event {
    type Error = ModelError;

    fn try_from(raw: RawEvent) -> Result<Event, ModelError> {
        let event = Event {
            id: raw.id,
            timestamp: raw.timestamp,
            duration: raw.duration,
            data: raw.data,
        };
        // The end is stored too, so it must fit as well; upstream wrapped around here.
        if event.end_nanos().is_none() {
            return Err(ModelError::OutOfRange);
        }
        let depth = data_depth(&event.data);
        if depth > MAX_DATA_DEPTH {
            return Err(ModelError::DataTooDeep { depth });
        }
        Ok(event)
    }
}

/// How deep `data` nests, counting the object itself as level 1.
pub(crate) fn data_depth(data: &JsonMap) -> usize {
    1 + data.values().map(value_depth).max().unwrap_or(0)
}

/// How deep arrays and objects nest in `value` (a scalar is 0).
fn value_depth(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::Array(items) => 1 + items.iter().map(value_depth).max().unwrap_or(0),
        serde_json::Value::Object(map) => 1 + map.values().map(value_depth).max().unwrap_or(0),
        _ => 0,
    }
}

impl Event {
    /// A new, unstored event.
    pub fn new(timestamp: DateTime<Utc>, duration: TimeDelta, data: JsonMap) -> Event {
        Event {
            id: None,
            timestamp,
            duration,
            data,
        }
    }

    /// `timestamp + duration`.
    pub fn calculate_endtime(&self) -> DateTime<Utc> {
        endtime(&self.timestamp, &self.duration)
    }

    /// Start in nanoseconds since the epoch.
    pub fn start_nanos(&self) -> i64 {
        to_nanos(&self.timestamp)
    }

    /// End in nanoseconds since the epoch, or `None` when it does not fit in i64.
    pub fn end_nanos(&self) -> Option<i64> {
        end_nanos(&self.timestamp, &self.duration)
    }
}

/// `timestamp + duration`, or the start when that overflows (also for `SharedEvent`).
pub(crate) fn endtime(timestamp: &DateTime<Utc>, duration: &TimeDelta) -> DateTime<Utc> {
    timestamp
        .checked_add_signed(*duration)
        .unwrap_or(*timestamp)
}

/// The end in nanoseconds, `None` when it does not fit in i64 (also for `SharedEvent`).
pub(crate) fn end_nanos(timestamp: &DateTime<Utc>, duration: &TimeDelta) -> Option<i64> {
    to_nanos(timestamp).checked_add(duration_nanos(duration))
}

impl PartialEq for Event {
    fn eq(&self, other: &Event) -> bool {
        self.timestamp == other.timestamp
            && self.duration == other.duration
            && self.data == other.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `{"k": [[…]]}` with `lists` arrays: data depth `lists + 1`.
    fn nested_event(lists: usize) -> String {
        let data = format!("{}1{}", "[".repeat(lists), "]".repeat(lists));
        format!(r#"{{"timestamp":"2024-01-01T00:00:00Z","duration":0,"data":{{"k":{data}}}}}"#)
    }

    #[test]
    fn data_nesting_is_limited() {
        let at_limit = nested_event(MAX_DATA_DEPTH - 1);
        assert!(serde_json::from_str::<Event>(&at_limit).is_ok());
        for lists in [MAX_DATA_DEPTH, 124] {
            let err = serde_json::from_str::<Event>(&nested_event(lists)).unwrap_err();
            assert!(
                err.to_string().starts_with(&format!(
                    "event data nests {} levels deep; at most 100 are accepted",
                    lists + 1
                )),
                "{err}"
            );
        }
        let object: Event = serde_json::from_str(
            r#"{"timestamp":"2024-01-01T00:00:00Z","data":{"a":{"b":[{}]},"c":1}}"#,
        )
        .unwrap();
        assert_eq!(1 + object.data.values().map(value_depth).max().unwrap(), 4);
    }

    #[test]
    fn wire_form_matches_upstream() {
        let event: Event = serde_json::from_str(
            r#"{"id":3,"timestamp":"2024-05-01T10:00:00.250Z","duration":1.75,"data":{"title":"GitHub","app":"Firefox"}}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&event).unwrap(),
            r#"{"id":3,"timestamp":"2024-05-01T10:00:00.250Z","duration":1.75,"data":{"app":"Firefox","title":"GitHub"}}"#
        );
    }

    #[test]
    fn duration_is_optional_and_integers_are_accepted() {
        let event: Event =
            serde_json::from_str(r#"{"timestamp":"2018-01-01T00:00:00Z","data":{}}"#).unwrap();
        assert_eq!(event.duration, TimeDelta::zero());
        let event: Event = serde_json::from_str(
            r#"{"id":null,"timestamp":"2018-01-01T00:00:00Z","duration":2,"data":{}}"#,
        )
        .unwrap();
        assert_eq!(serde_json::to_value(&event).unwrap()["duration"], 2.0);
    }

    #[test]
    fn bad_shapes_are_rejected() {
        let cases = [
            r#"{"timestamp":"2018-01-01T00:00:00Z"}"#,
            r#"{"timestamp":"2018-01-01T00:00:00Z","data":null}"#,
            r#"{"timestamp":"2018-01-01T00:00:00Z","data":[]}"#,
            r#"{"timestamp":"2018-01-01T00:00:00","data":{}}"#,
            r#"{"timestamp":"2018-01-01T00:00:00Z","duration":"1","data":{}}"#,
            r#"{"timestamp":"3000-01-01T00:00:00Z","data":{}}"#,
            r#"{"timestamp":"2262-01-01T00:00:00Z","duration":1e10,"data":{}}"#,
            r#"{"duration":1,"data":{}}"#,
        ];
        for case in cases {
            assert!(serde_json::from_str::<Event>(case).is_err(), "{case}");
        }
    }

    #[test]
    fn equality_ignores_id_but_not_number_kind() {
        let a: Event = serde_json::from_str(
            r#"{"id":1,"timestamp":"2018-01-01T00:00:00Z","duration":1,"data":{"a":1}}"#,
        )
        .unwrap();
        let mut b = a.clone();
        b.id = Some(2);
        assert_eq!(a, b);
        b.data.insert("a".into(), serde_json::json!(1.0));
        assert_ne!(a, b);
    }
}
