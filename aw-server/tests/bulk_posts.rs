//! `POST …/events` bodies over 1 MiB, which are stored batch by batch while the rest of
//! the body is read: the answer and what is stored equal a short list's, and the list
//! is all or nothing (an invalid element or id late in the body stores none of it, and
//! the bucket's count stays right). A body error wins over an unknown bucket.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]

mod common;

use common::{json_answer, status_and_text, Harness};
use serde_json::{json, Value};

/// Events in a long list: well over 1 MiB and several batches of 8192.
const LONG: usize = 20_000;

/// `LONG` valid events, one minute apart from 2024-01-01, with a few distinct data.
fn long_list() -> Vec<Value> {
    (0..LONG)
        .map(|idx| {
            let minute = i64::try_from(idx).unwrap();
            let at = chrono::DateTime::from_timestamp(1_704_067_200 + minute * 60, 0).unwrap();
            json!({
                "timestamp": at.to_rfc3339(),
                "duration": 30.5,
                "data": {"app": format!("app{}", idx % 13), "title": "a title that pads the body"},
            })
        })
        .collect()
}

fn body_of(events: &[Value]) -> String {
    serde_json::to_string(events).unwrap()
}

fn count(harness: &Harness, bucket: &str) -> u64 {
    harness
        .get(&format!("/api/0/buckets/{bucket}/events/count"))
        .json()
        .unwrap()
}

fn post(harness: &Harness, bucket: &str, body: String) -> (u16, String) {
    status_and_text(harness.post_raw(
        &format!("/api/0/buckets/{bucket}/events"),
        "application/json",
        body,
    ))
}

#[test]
fn a_long_list_is_stored_and_answered_as_a_short_one() {
    let harness = Harness::start();
    harness.create_bucket("b");
    let events = long_list();
    let body = body_of(&events);
    assert!(body.len() > 1 << 20, "the body must take the streamed path");
    let (status, answer, stored) =
        json_answer(harness.post_raw("/api/0/buckets/b/events", "application/json", body));
    assert_eq!(status, 200, "{answer}");
    let stored = stored.as_array().unwrap();
    assert_eq!(stored.len(), LONG);
    for (idx, (sent, answered)) in events.iter().zip(stored).enumerate() {
        assert_eq!(answered["id"], json!(idx + 1), "ids in order");
        assert_eq!(answered["data"], sent["data"]);
        assert_eq!(answered["duration"], sent["duration"]);
        let at = |event: &Value| {
            chrono::DateTime::parse_from_rfc3339(event["timestamp"].as_str().unwrap()).unwrap()
        };
        assert_eq!(at(answered), at(sent));
    }
    assert_eq!(count(&harness, "b"), LONG as u64);
    // What a read gives back is what the answer said was stored, newest first.
    let mut read: Vec<Value> = harness
        .get("/api/0/buckets/b/events?limit=-1")
        .json::<Vec<Value>>()
        .unwrap();
    read.reverse();
    assert_eq!(&read, stored);
    // A short list goes on from the same ids.
    let next = harness.insert("b", json!([events[0]]));
    assert_eq!(next[0]["id"], json!(LONG + 1));
}

/// A long list that goes wrong late stores none of itself, whatever went wrong; what
/// was stored before stays, and the count (cached by the read before) stays right.
#[test]
fn a_long_list_that_goes_wrong_late_stores_nothing() {
    let harness = Harness::start();
    harness.create_bucket("b");
    harness.insert("b", json!([long_list()[0]]));
    let late = LONG - 5;
    type Spoil = Box<dyn Fn(&mut Vec<Value>)>;
    let cases: [(&str, Spoil, &str); 4] = [
        (
            "a timestamp that is none",
            Box::new(move |events| events[late]["timestamp"] = json!("yesterday")),
            "",
        ),
        (
            "an element that is no event",
            Box::new(move |events| events[late] = json!([1, 2])),
            "",
        ),
        (
            "an id past 2^53",
            Box::new(move |events| events[late]["id"] = json!(1_i64 << 60)),
            "",
        ),
        ("trailing characters", Box::new(|_| ()), " x"),
    ];
    for (name, spoil, trailer) in cases {
        assert_eq!(count(&harness, "b"), 1, "{name}: before");
        let mut events = long_list();
        spoil(&mut events);
        // The same fault in a short list, for the status it gets.
        let (short_status, _) = post(&harness, "b", body_of(&events[late..]) + trailer);
        assert!((400..500).contains(&short_status), "{name}: {short_status}");
        let (status, answer) = post(&harness, "b", body_of(&events) + trailer);
        assert_eq!(status, short_status, "{name}: {answer}");
        let message: Value = serde_json::from_str(&answer).unwrap();
        assert!(message["message"].is_string(), "{name}: {answer}");
        assert_eq!(count(&harness, "b"), 1, "{name}: nothing of it stored");
    }
    // The bucket takes writes as before.
    assert_eq!(
        harness.insert("b", json!([long_list()[1]]))[0]["id"],
        json!(2)
    );
}

/// The same body errors answer as they do for a short list, and win over an unknown
/// bucket; a valid long list into an unknown bucket is a 404; an empty list padded
/// past 1 MiB is `[]` without looking at the bucket, as `[]` is.
#[test]
fn body_errors_win_over_unknown_buckets() {
    let harness = Harness::start();
    harness.create_bucket("b");
    let mut spoiled = long_list();
    spoiled[LONG - 1]["timestamp"] = json!("yesterday");
    let short_error = post(&harness, "b", body_of(&spoiled[LONG - 1..]));
    for bucket in ["b", "nobucket"] {
        let (status, answer) = post(&harness, bucket, body_of(&spoiled));
        assert_eq!(status, short_error.0, "{bucket}: {answer}");
    }
    let (status, answer) = post(&harness, "nobucket", body_of(&long_list()));
    assert_eq!(status, 404, "{answer}");
    let padded = format!("[{}]", " ".repeat(2 << 20));
    for bucket in ["b", "nobucket"] {
        assert_eq!(
            post(&harness, bucket, padded.clone()),
            (200, String::from("[]"))
        );
    }
    assert_eq!(count(&harness, "b"), 0);
}
