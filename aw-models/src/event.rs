//! [`Event`]: one interval of activity with free-form data.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::time::{self, duration_nanos, to_nanos};
use crate::{JsonMap, ModelError};

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
        match event.end_nanos() {
            Some(_) => Ok(event),
            None => Err(ModelError::OutOfRange),
        }
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
        self.timestamp
            .checked_add_signed(self.duration)
            .unwrap_or(self.timestamp)
    }

    /// Start in nanoseconds since the epoch.
    pub fn start_nanos(&self) -> i64 {
        to_nanos(&self.timestamp)
    }

    /// End in nanoseconds since the epoch, or `None` when it does not fit in i64.
    pub fn end_nanos(&self) -> Option<i64> {
        self.start_nanos()
            .checked_add(duration_nanos(&self.duration))
    }
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
