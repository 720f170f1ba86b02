//! Event lists, single events and exports are byte for byte what serialising the
//! same events as `aw_models::Event`s gives, also for rows whose stored data text is
//! not in this server's canonical form (written by other programs: spaces, unsorted
//! keys, `1.0e2`, `\u` escapes, text that is no JSON object).
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code: a failed step must fail the test"
)]

mod common;

use std::collections::BTreeMap;

use aw_datastore::EventQuery;
use aw_models::time::parse_rfc3339;
use aw_models::BucketsExport;
use aw_server::testkit::{spawn_test_server_with, test_config};
use common::{event, status_and_text, Harness};
use serde_json::{json, Value};

/// Rows rewritten behind the server's back, with the data they must read as.
const FOREIGN: [(&str, &str); 4] = [
    (
        r#"{"b": 1, "a": 2, "c": 1.0e2}"#,
        r#"{"a":2,"b":1,"c":100.0}"#,
    ),
    (
        r#"{"t":"\u00e9\u0041", "l":[1 , 2.50]}"#,
        r#"{"l":[1,2.5],"t":"éA"}"#,
    ),
    ("not json", "{}"),
    ("[1,2]", "{}"),
];

/// A server on a file whose bucket `w` holds 9000 events (half with six repeating
/// data values, half each with its own, so stream caches overflow) and whose first
/// rows hold the [`FOREIGN`] texts; bucket `a` holds three events.
fn server_with_foreign_rows() -> (Harness, Vec<i64>) {
    let harness = Harness::start();
    harness.create_bucket("w");
    harness.create_bucket("a");
    let mut ids = Vec::new();
    for batch in 0..3 {
        let events: Vec<Value> = (0..3000)
            .map(|idx| {
                let n = batch * 3000 + idx;
                let data = if n % 2 == 0 {
                    json!({"app": format!("app{}", n % 6), "title": "Ünïcode \"q\" \\", "f": 0.1})
                } else {
                    json!({"n": n})
                };
                let seconds = if n % 500 == 0 { 4000.0 } else { 1.5 };
                let timestamp = format!(
                    "2024-05-0{}T{:02}:{:02}:{:02}.{:03}Z",
                    1 + n % 3,
                    n % 24,
                    n % 60,
                    n / 60 % 60,
                    n % 1000
                );
                event(&timestamp, seconds, data)
            })
            .collect();
        let inserted = harness.insert("w", Value::Array(events));
        ids.extend(
            inserted
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_i64().unwrap()),
        );
    }
    harness.insert(
        "a",
        json!([
            event("1969-12-31T23:59:59Z", 3.0, json!({"status": "afk"})),
            event("2024-05-01T00:00:00Z", 60.0, json!({"status": "not-afk"})),
            event("2024-05-01T00:01:00Z", 60.0, json!({"status": "afk"})),
        ]),
    );
    let Harness {
        server,
        client,
        dir,
    } = harness;
    drop(server);
    let conn = rusqlite::Connection::open(dir.path().join("sqlite-testing.db")).unwrap();
    for ((text, _), id) in FOREIGN.iter().zip(&ids) {
        conn.execute(
            "UPDATE events SET data = ?1 WHERE id = ?2",
            rusqlite::params![text, id],
        )
        .unwrap();
    }
    drop(conn);
    let server = spawn_test_server_with(dir.path(), test_config());
    (
        Harness {
            server,
            client,
            dir,
        },
        ids,
    )
}

fn query(start: Option<&str>, end: Option<&str>, limit: Option<u64>) -> EventQuery {
    EventQuery {
        start: start.map(|text| parse_rfc3339(text).unwrap()),
        end: end.map(|text| parse_rfc3339(text).unwrap()),
        limit,
    }
}

#[test]
fn rest_reads_are_byte_identical_to_plain_events() {
    let (harness, ids) = server_with_foreign_rows();
    let datastore = harness.server.datastore();
    let (from, to) = ("2024-05-01T05:30:00.000001Z", "2024-05-02T23:00:00Z");
    let cases = [
        (String::new(), query(None, None, None)),
        ("?limit=1".into(), query(None, None, Some(1))),
        ("?limit=1000".into(), query(None, None, Some(1000))),
        ("?limit=1001".into(), query(None, None, Some(1001))),
        ("?limit=abc".into(), query(None, None, None)),
        (format!("?start={from}"), query(Some(from), None, None)),
        (format!("?end={to}"), query(None, Some(to), None)),
        (
            format!("?start={from}&end={to}"),
            query(Some(from), Some(to), None),
        ),
        (
            format!("?start={from}&end={to}&limit=7"),
            query(Some(from), Some(to), Some(7)),
        ),
        (
            format!("?start={to}&end={from}"),
            query(Some(to), Some(from), None),
        ),
    ];
    for bucket_id in ["w", "a"] {
        for (params, query) in &cases {
            let expected = datastore.get_events(bucket_id, *query).unwrap();
            let res = harness.get(&format!("/api/0/buckets/{bucket_id}/events{params}"));
            assert_eq!(res.headers()["content-type"], "application/json");
            assert_eq!(
                status_and_text(res),
                (200, serde_json::to_string(&expected).unwrap()),
                "{bucket_id}{params}"
            );
        }
    }
    let listed = harness.get("/api/0/buckets/w/events").text().unwrap();
    for ((_, canonical), id) in FOREIGN.iter().zip(&ids) {
        assert!(listed.contains(&format!(r#""id":{id},"#)));
        let single = harness
            .get(&format!("/api/0/buckets/w/events/{id}"))
            .text()
            .unwrap();
        let expected = serde_json::to_string(&datastore.get_event("w", *id).unwrap()).unwrap();
        assert_eq!(single, expected);
        assert!(
            single.ends_with(&format!(r#""data":{canonical}}}"#)),
            "{single}"
        );
        let position = listed.find(&format!(r#""id":{id},"#)).unwrap();
        let in_list = &listed[position..];
        assert_eq!(&in_list[..single.len() - 1], &single[1..], "{id}");
    }
}

#[test]
fn exports_are_byte_identical_to_plain_events() {
    let (harness, _) = server_with_foreign_rows();
    let datastore = harness.server.datastore();
    let mut buckets = BTreeMap::new();
    for bucket_id in ["a", "w"] {
        let mut bucket = datastore.get_bucket(bucket_id).unwrap();
        bucket.events = Some(
            datastore
                .get_events(bucket_id, EventQuery::default())
                .unwrap(),
        );
        buckets.insert(bucket_id.to_string(), bucket);
    }
    let one = BucketsExport {
        buckets: buckets
            .iter()
            .filter(|(id, _)| *id == "w")
            .map(|(id, b)| (id.clone(), b.clone()))
            .collect(),
    };
    let all = BucketsExport { buckets };
    let exported = harness.get("/api/0/buckets/w/export").text().unwrap();
    assert_eq!(exported, serde_json::to_string(&one).unwrap());
    assert!(exported.contains(r#""data":{"a":2,"b":1,"c":100.0}}"#));
    let exported = harness.get("/api/0/export").text().unwrap();
    assert_eq!(exported, serde_json::to_string(&all).unwrap());
    assert_eq!(all.buckets["w"].events.as_ref().unwrap().len(), 9000);
}
