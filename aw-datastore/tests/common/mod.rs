//! Shared builders for the datastore integration tests.
#![allow(dead_code, reason = "each test crate uses a subset")]

use aw_datastore::native::Datastore;
use aw_datastore::EventQuery;
use aw_models::time::{duration_from_secs, parse_json_datetime};
use aw_models::{Bucket, Event};
use serde_json::json;

/// A bucket with the given id and empty data.
pub fn bucket(id: &str) -> Bucket {
    serde_json::from_value(
        json!({"id": id, "type": "currentwindow", "client": "test", "hostname": "host"}),
    )
    .unwrap()
}

/// An event at `time` (RFC 3339) lasting `secs` with `data`.
pub fn event(time: &str, secs: f64, data: serde_json::Value) -> Event {
    Event::new(
        parse_json_datetime(time).unwrap(),
        duration_from_secs(secs),
        data.as_object().unwrap().clone(),
    )
}

/// Opens an in-memory datastore holding one empty bucket `b`.
pub fn datastore_with_bucket() -> Datastore {
    let datastore = Datastore::open_in_memory().unwrap();
    datastore.create_bucket(bucket("b")).unwrap();
    datastore
}

/// All events of bucket `b`, newest first.
pub fn all_events(datastore: &Datastore, bucket_id: &str) -> Vec<Event> {
    datastore
        .get_events(bucket_id, EventQuery::default())
        .unwrap()
}

/// A range query.
pub fn range(start: Option<&str>, end: Option<&str>, limit: Option<u64>) -> EventQuery {
    EventQuery {
        start: start.map(|t| parse_json_datetime(t).unwrap()),
        end: end.map(|t| parse_json_datetime(t).unwrap()),
        limit,
    }
}

/// `(timestamp, duration seconds)` pairs, for compact assertions.
pub fn spans(events: &[Event]) -> Vec<(String, f64)> {
    events
        .iter()
        .map(|e| {
            (
                aw_models::time::format_datetime(&e.timestamp),
                aw_models::time::duration_to_secs(&e.duration),
            )
        })
        .collect()
}
