//! [`Bucket`]: a named container of events from one watcher on one host.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::time::{self};
use crate::{Event, JsonMap};

/// A bucket as clients see it.
///
/// Output order: `id, type, client, hostname, created, data, metadata, events,
/// last_updated`; every optional is written as `null`. On input only `type`, `client`
/// and `hostname` are required; `metadata` is ignored; invalid elements of `events`
/// are dropped one by one (docs/API.md §4.4).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Bucket {
    /// Public bucket id (the path id wins on create; the import uses this one).
    #[serde(default)]
    pub id: String,
    /// Watcher-defined type, e.g. `currentwindow`.
    #[serde(rename = "type")]
    pub bucket_type: String,
    /// The client that created it, e.g. `aw-watcher-window`.
    pub client: String,
    /// Host the data comes from; `!local` is replaced on create.
    pub hostname: String,
    /// Creation time; the server fills it when absent.
    #[serde(default, with = "time::option_datetime")]
    pub created: Option<DateTime<Utc>>,
    /// Free-form data.
    #[serde(default)]
    pub data: JsonMap,
    /// First start and last end of the stored events (computed, never read from input).
    #[serde(default, skip_deserializing)]
    pub metadata: BucketMetadata,
    /// Events embedded in a create request or an export.
    #[serde(default, deserialize_with = "deserialize_valid_events")]
    pub events: Option<Vec<Event>>,
    /// Client-supplied time of last update, echoed while the server runs.
    #[serde(default, with = "time::option_datetime")]
    pub last_updated: Option<DateTime<Utc>>,
}

/// The time span covered by a bucket's events; both `null` when it is empty.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct BucketMetadata {
    /// Earliest event start.
    #[serde(with = "time::option_datetime")]
    pub start: Option<DateTime<Utc>>,
    /// Latest event end.
    #[serde(with = "time::option_datetime")]
    pub end: Option<DateTime<Utc>>,
}

/// Reads an array of events, keeping the elements that are valid events and
/// dropping the others, as upstream's import does.
fn deserialize_valid_events<'de, D: Deserializer<'de>>(
    de: D,
) -> Result<Option<Vec<Event>>, D::Error> {
    let Some(values) = Option::<Vec<serde_json::Value>>::deserialize(de)? else {
        return Ok(None);
    };
    let events = values
        .into_iter()
        .filter_map(|value| Event::deserialize(value).ok())
        .collect();
    Ok(Some(events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_bucket_serialises_every_field() {
        let bucket: Bucket = serde_json::from_str(
            r#"{"id":"id","type":"type","client":"client","hostname":"hostname","created":"2020-01-01T00:00:00Z","metadata":{"start":"x"}}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&bucket).unwrap(),
            r#"{"id":"id","type":"type","client":"client","hostname":"hostname","created":"2020-01-01T00:00:00Z","data":{},"metadata":{"start":null,"end":null},"events":null,"last_updated":null}"#
        );
    }

    #[test]
    fn invalid_events_are_dropped_individually() {
        let bucket: Bucket = serde_json::from_str(
            r#"{"type":"t","client":"c","hostname":"h","events":[{"bad":1},null,{"timestamp":"2000-01-01T00:00:00Z","duration":1,"data":{}}]}"#,
        )
        .unwrap();
        assert_eq!(bucket.id, "");
        assert_eq!(bucket.events.unwrap().len(), 1);
    }

    #[test]
    fn required_fields_and_types_are_enforced() {
        for case in [
            r#"{"type":"t","client":"c"}"#,
            r#"{"type":"t","client":"c","hostname":1}"#,
            r#"{"type":"t","client":"c","hostname":"h","data":null}"#,
            r#"{"type":"t","client":"c","hostname":"h","created":"yesterday"}"#,
        ] {
            assert!(serde_json::from_str::<Bucket>(case).is_err(), "{case}");
        }
    }
}
