//! `get_events_shared` and `get_events_json` answer exactly what `get_events` answers
//! (rows, ids, order, clipping, limits, errors), on the worker and on reader threads,
//! and events with equal stored data share one decoded map.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

mod common;

use std::sync::Arc;

use aw_datastore::native::Datastore;
use aw_datastore::{DatastoreError, EventQuery};
use aw_models::{Event, SharedEvent};
use common::{bucket, event, range};
use serde_json::json;

/// 1500 events over ~2 days in bucket `b`: 7 distinct data values, a few long events
/// that reach far past their neighbours, and ties in start time. Returns them with ids.
fn fill(datastore: &Datastore) -> Vec<Event> {
    fill_with(
        datastore,
        1500,
        |idx| json!({"app": format!("app{}", idx % 7), "title": "t", "n": idx % 7}),
    )
}

/// `count` events in bucket `b`, 100 s apart from 2024-03-01 on, shaped as [`fill`]'s,
/// with `data(idx)` as data.
fn fill_with(
    datastore: &Datastore,
    count: i64,
    data: impl Fn(i64) -> serde_json::Value,
) -> Vec<Event> {
    datastore.create_bucket(bucket("b")).unwrap();
    let start = aw_models::time::parse_json_datetime("2024-03-01T00:00:00Z").unwrap();
    let events: Vec<Event> = (0..count)
        .map(|idx| {
            let secs = if idx % 97 == 0 { 20_000.0 } else { 90.5 };
            let mut event = event("2024-03-01T00:00:00Z", secs, data(idx));
            event.timestamp = start + chrono::TimeDelta::seconds(idx * 100 - idx % 3);
            event
        })
        .collect();
    datastore.insert_events("b", events).unwrap()
}

/// What a read must answer, computed the naive way: touching the inclusive range,
/// start descending, end ascending, id ascending, limited, then clipped.
fn expected(stored: &[Event], query: EventQuery) -> Vec<Event> {
    let start = query.start.unwrap_or(chrono::DateTime::UNIX_EPOCH);
    let end = query
        .end
        .unwrap_or_else(|| aw_models::time::from_nanos(i64::MAX));
    let mut found: Vec<Event> = stored
        .iter()
        .filter(|e| start <= end && e.calculate_endtime() >= start && e.timestamp <= end)
        .cloned()
        .collect();
    found.sort_by_key(|e| (std::cmp::Reverse(e.timestamp), e.calculate_endtime(), e.id));
    found.truncate(query.limit.map_or(usize::MAX, |limit| limit as usize));
    for event in &mut found {
        let event_end = event.calculate_endtime().min(end);
        event.timestamp = event.timestamp.max(start);
        event.duration = event_end - event.timestamp;
    }
    found
}

fn with_ids(events: Vec<Event>) -> Vec<(Option<i64>, Event)> {
    events.into_iter().map(|event| (event.id, event)).collect()
}

/// Ranges and limits covering: everything, small limits (answered by the worker),
/// large ones (reader threads), clipping at either end, an empty and a reversed range.
fn queries() -> Vec<EventQuery> {
    let (from, to) = (Some("2024-03-01T10:00:30Z"), Some("2024-03-02T05:59:59.5Z"));
    vec![
        EventQuery::default(),
        range(None, None, Some(1)),
        range(None, None, Some(1000)),
        range(None, None, Some(1001)),
        range(from, to, None),
        range(from, to, Some(3)),
        range(from, None, Some(5000)),
        range(None, to, Some(10)),
        range(Some("2030-01-01T00:00:00Z"), None, None),
        range(to, from, None),
        range(
            Some("2024-03-01T00:00:00Z"),
            Some("2024-03-01T00:00:00Z"),
            None,
        ),
    ]
}

fn check_answers(datastore: &Datastore, stored: &[Event]) {
    for query in queries() {
        let plain = datastore.get_events("b", query).unwrap();
        assert_eq!(
            with_ids(plain.clone()),
            with_ids(expected(stored, query)),
            "{query:?}"
        );
        let shared = datastore.get_events_shared("b", query).unwrap();
        let json_plain = serde_json::to_string(&plain).unwrap();
        assert_eq!(
            serde_json::to_string(&shared).unwrap(),
            json_plain,
            "{query:?}"
        );
        let converted: Vec<Event> = shared.into_iter().map(SharedEvent::into_event).collect();
        assert_eq!(with_ids(converted), with_ids(plain), "{query:?}");
        let json = datastore.get_events_json("b", query).unwrap();
        assert_eq!(String::from_utf8(json).unwrap(), json_plain, "{query:?}");
    }
}

#[test]
fn shared_reads_equal_plain_reads_on_file_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    let file = Datastore::open_file(&dir.path().join("shared.db")).unwrap();
    let memory = Datastore::open_in_memory().unwrap();
    for datastore in [&file, &memory] {
        let stored = fill(datastore);
        check_answers(datastore, &stored);
        let everything = datastore.get_events_shared("b", EventQuery::default());
        assert_eq!(everything.unwrap().len(), 1500);
        assert!(matches!(
            datastore.get_events_shared("nob", EventQuery::default()),
            Err(DatastoreError::NoSuchBucket { bucket_id }) if bucket_id == "nob"
        ));
        assert!(matches!(
            datastore.get_events_json("nob", EventQuery::default()),
            Err(DatastoreError::NoSuchBucket { bucket_id }) if bucket_id == "nob"
        ));
    }
}

/// Readers give their memory back after a few idle seconds (decoded data, page cache,
/// mapped file); reads after that answer as before.
#[test]
fn reads_after_an_idle_release_answer_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let datastore = Datastore::open_file(&dir.path().join("idle.db")).unwrap();
    let stored = fill(&datastore);
    let before = datastore
        .get_events_json("b", EventQuery::default())
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(3500));
    check_answers(&datastore, &stored);
    assert_eq!(
        datastore
            .get_events_json("b", EventQuery::default())
            .unwrap(),
        before
    );
}

/// Equal data shares one allocation in a read, and in an export stream's chunk.
#[test]
fn equal_data_is_decoded_once() {
    let datastore = Datastore::open_in_memory().unwrap();
    fill(&datastore);
    let reads = [
        datastore
            .get_events_shared("b", EventQuery::default())
            .unwrap(),
        datastore
            .get_events_shared("b", range(None, None, Some(500)))
            .unwrap(),
        datastore
            .stream_events("b")
            .unwrap()
            .next()
            .unwrap()
            .unwrap(),
    ];
    for events in reads {
        let mut distinct: Vec<&Arc<aw_models::JsonMap>> = Vec::new();
        for event in &events {
            match distinct.iter().find(|data| **data == &event.data) {
                Some(data) => assert!(Arc::ptr_eq(data, &event.data)),
                None => distinct.push(&event.data),
            }
        }
        assert_eq!(distinct.len(), 7);
    }
}

/// Texts written by other programs (spaces, unsorted keys, other number forms, and
/// text that is no JSON object at all) read the same both ways.
#[test]
fn foreign_stored_texts_read_the_same_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("foreign.db");
    let mut stored = {
        let datastore = Datastore::open_file(&path).unwrap();
        fill(&datastore)
    };
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        r#"UPDATE events SET data = '{"b": 1, "a": 2.50, "c": 1.0e2}' WHERE id % 5 = 0;
           UPDATE events SET data = 'not json' WHERE id % 11 = 0;
           UPDATE events SET data = '[1,2]' WHERE id % 13 = 0;"#,
    )
    .unwrap();
    drop(conn);
    for event in &mut stored {
        let id = event.id.unwrap();
        if id % 5 == 0 {
            event.data = serde_json::from_str(r#"{"a":2.5,"b":1,"c":100.0}"#).unwrap();
        }
        if id % 11 == 0 || id % 13 == 0 {
            event.data = aw_models::JsonMap::new();
        }
    }
    let datastore = Datastore::open_file(&path).unwrap();
    check_answers(&datastore, &stored);
    let events = datastore.get_events("b", EventQuery::default()).unwrap();
    let foreign = events.iter().find(|e| e.id == Some(5)).unwrap();
    assert_eq!(
        serde_json::to_string(&foreign.data).unwrap(),
        r#"{"a":2.5,"b":1,"c":100.0}"#
    );
    assert!(events
        .iter()
        .find(|e| e.id == Some(11))
        .unwrap()
        .data
        .is_empty());
}

/// More distinct texts than a JSON read remembers the form of (4096), canonical and
/// foreign ones mixed: past that bound every text is still written as its decoding's
/// encoding.
#[test]
fn texts_past_the_remembered_forms_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.db");
    let mut stored = {
        let datastore = Datastore::open_file(&path).unwrap();
        fill_with(&datastore, 6000, |idx| json!({"n": idx}))
    };
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE events SET data = '{ \"n\" : ' || id || ', \"a\": 1.50 }' WHERE id % 3 = 0",
        [],
    )
    .unwrap();
    drop(conn);
    for event in &mut stored {
        let id = event.id.unwrap();
        if id % 3 == 0 {
            event.data = serde_json::from_value(json!({"a": 1.5, "n": id})).unwrap();
        }
    }
    let datastore = Datastore::open_file(&path).unwrap();
    check_answers(&datastore, &stored);
}

/// A stored data value that is no UTF-8 text (damaged bytes, a blob) fails every kind
/// of read with the same error; a number (stored as text by the column's affinity)
/// reads as empty data every way, as other text that is no JSON object does.
#[test]
fn damaged_stored_values_read_alike_every_way() {
    let cases = [
        (
            "bytes that are not UTF-8",
            "CAST(x'7b2261223a22ff227d' AS TEXT)",
            true,
        ),
        ("a blob", "x'7b7d'", true),
        ("a number", "42", false),
    ];
    for (what, value, fails) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("damaged.db");
        let stored = fill(&Datastore::open_file(&path).unwrap());
        let damaged = stored[700].id.unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        let sql = format!("UPDATE events SET data = {value} WHERE id = {damaged}");
        assert_eq!(conn.execute(&sql, []).unwrap(), 1);
        drop(conn);
        let datastore = Datastore::open_file(&path).unwrap();
        let everything = EventQuery::default();
        let plain = datastore.get_events("b", everything);
        let shared = datastore.get_events_shared("b", everything);
        let json = datastore.get_events_json("b", everything);
        if fails {
            let error = plain.map(|_| ()).unwrap_err().to_string();
            assert_eq!(shared.map(|_| ()).unwrap_err().to_string(), error, "{what}");
            assert_eq!(json.map(|_| ()).unwrap_err().to_string(), error, "{what}");
        } else {
            let plain = plain.unwrap();
            let read = plain.iter().find(|e| e.id == Some(damaged)).unwrap();
            assert!(read.data.is_empty(), "{what}");
            let as_json = serde_json::to_string(&plain).unwrap();
            assert_eq!(serde_json::to_string(&shared.unwrap()).unwrap(), as_json);
            assert_eq!(String::from_utf8(json.unwrap()).unwrap(), as_json);
        }
        let newest = range(None, None, Some(10));
        assert_eq!(datastore.get_events_shared("b", newest).unwrap().len(), 10);
    }
}
