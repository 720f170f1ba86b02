//! Events and heartbeats over HTTP (docs/API.md §3.6–§3.11, §5, §8 golden pairs).

mod common;

use std::sync::Arc;

use common::{event, json_answer, status_and_text, Harness};
use serde_json::{json, Value};

#[test]
fn event_golden_pairs() {
    let harness = Harness::start();
    harness.create_bucket("id");
    let (status, inserted) = status_and_text(harness.post_json(
        "/api/0/buckets/id/events",
        &json!([event("2018-01-01T01:01:01Z", 1.0, json!({}))]),
    ));
    assert_eq!(status, 200);
    let id = serde_json::from_str::<Value>(&inserted).unwrap()[0]["id"]
        .as_i64()
        .unwrap();
    let expected =
        format!(r#"[{{"id":{id},"timestamp":"2018-01-01T01:01:01Z","duration":1.0,"data":{{}}}}]"#);
    assert_eq!(inserted, expected);
    assert_eq!(
        status_and_text(harness.get("/api/0/buckets/id/events")),
        (200, expected)
    );

    let res = harness.post_json(
        "/api/0/buckets/id/heartbeat?pulsetime=2",
        &event("2018-01-01T01:01:02Z", 1.0, json!({})),
    );
    assert_eq!(
        status_and_text(res),
        (
            200,
            format!(
                r#"{{"id":{id},"timestamp":"2018-01-01T01:01:01Z","duration":2.0,"data":{{}}}}"#
            )
        )
    );
    let one = harness.get(&format!("/api/0/buckets/id/events/{id}"));
    assert_eq!(one.json::<Value>().unwrap()["duration"], 2.0);

    assert_eq!(
        status_and_text(harness.delete(&format!("/api/0/buckets/id/events/{id}"))),
        (200, String::new())
    );
    assert_eq!(
        status_and_text(harness.get("/api/0/buckets/id/events/count")),
        (200, "0".into())
    );
    // Deleting again, or an id that never existed, is still 200.
    assert_eq!(
        harness
            .delete(&format!("/api/0/buckets/id/events/{id}"))
            .status(),
        200
    );
}

#[test]
fn range_reads_clip_sort_and_limit() {
    let harness = Harness::start();
    harness.create_bucket("b");
    harness.insert(
        "b",
        json!([
            event("2018-01-01T00:00:00Z", 3600.0, json!({"n": 1})),
            event("2018-01-01T02:00:00Z", 3600.0, json!({"n": 2})),
            event("2018-01-01T04:00:00Z", 3600.0, json!({"n": 3})),
        ]),
    );
    let get = |query: &str| -> Value {
        harness
            .get(&format!("/api/0/buckets/b/events{query}"))
            .json()
            .unwrap()
    };
    let all = get("");
    let order: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["n"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [3, 2, 1], "newest first");
    let clipped = get("?start=2018-01-01T00:30:00Z&end=2018-01-01T02:30:00%2B00:00");
    assert_eq!(clipped.as_array().unwrap().len(), 2);
    assert_eq!(clipped[0]["timestamp"], "2018-01-01T02:00:00Z");
    assert_eq!(clipped[0]["duration"], 1800.0);
    assert_eq!(clipped[1]["timestamp"], "2018-01-01T00:30:00Z");
    assert_eq!(clipped[1]["duration"], 1800.0);
    let limit_cases = [
        ("?limit=1", 1),
        ("?limit=0", 0),
        ("?limit=-1", 3),
        ("?limit=abc", 3),
        ("?limit=1.5", 3),
        ("?limit=18446744073709551615", 3),
    ];
    for (query, expected) in limit_cases {
        assert_eq!(get(query).as_array().unwrap().len(), expected, "{query}");
    }
    assert_eq!(
        get("?start=2019-01-01T00:00:00Z&end=2018-01-01T00:00:00Z"),
        json!([])
    );
    let count = |query: &str| -> Value {
        harness
            .get(&format!("/api/0/buckets/b/events/count{query}"))
            .json()
            .unwrap()
    };
    assert_eq!(count(""), 3);
    // Deliberate fix: count honours start/end (upstream ignored them).
    assert_eq!(count("?start=2018-01-01T03:30:00Z"), 1);
}

#[test]
fn bad_parameters_and_unknown_things() {
    let harness = Harness::start();
    harness.create_bucket("b1");
    let cases: [(&str, u16, &str); 6] = [
        (
            "/api/0/buckets/b1/events?start=2018-01-01T03:00:00+00:00",
            400,
            r#"{"message":"Failed to parse starttime, datetime needs to be in rfc3339 format: input contains invalid characters"}"#,
        ),
        (
            "/api/0/buckets/b1/events?end=2018-01-01",
            400,
            r#"{"message":"Failed to parse endtime, datetime needs to be in rfc3339 format: premature end of input"}"#,
        ),
        (
            "/api/0/buckets/b1/events?end=2262-04-11T23:47:16.854775808Z",
            400,
            r#"{"message":"Failed to parse endtime, datetime needs to be in rfc3339 format: input is out of range"}"#,
        ),
        (
            "/api/0/buckets/nob/events",
            404,
            r#"{"message":"The requested bucket 'nob' does not exist"}"#,
        ),
        (
            "/api/0/buckets/nob/events/count",
            404,
            r#"{"message":"The requested bucket 'nob' does not exist"}"#,
        ),
        ("/api/0/buckets/b1/events/99999", 404, ""),
    ];
    for (path, status, body) in cases {
        let (got_status, got_body) = status_and_text(harness.get(path));
        assert_eq!(got_status, status, "{path}");
        if !body.is_empty() {
            assert_eq!(got_body, body, "{path}");
        }
    }
    assert_eq!(harness.get("/api/0/buckets/b1/events/abc").status(), 422);
    assert_eq!(harness.delete("/api/0/buckets/b1/events/abc").status(), 422);
    assert_eq!(harness.delete("/api/0/buckets/nob/events/1").status(), 404);
    // `[]` answers `[]` even for a missing bucket (docs/API.md §3.7).
    assert_eq!(
        status_and_text(harness.post_json("/api/0/buckets/nob/events", &json!([]))),
        (200, "[]".into())
    );
    assert_eq!(
        harness
            .post_json(
                "/api/0/buckets/nob/events",
                &json!([event("2018-01-01T00:00:00Z", 1.0, json!({}))])
            )
            .status(),
        404
    );
    // Wrong shapes and unstorable times are 422 (no worker crash, unlike upstream).
    let bad_events = [
        json!(event("2018-01-01T00:00:00Z", 1.0, json!({}))),
        json!([{"timestamp": "2018-01-01T00:00:00Z", "data": null}]),
        json!([{"timestamp": "3000-01-01T00:00:00Z", "data": {}}]),
        json!([{"timestamp": "2262-01-01T00:00:00Z", "duration": 1e10, "data": {}}]),
    ];
    for body in bad_events {
        assert_eq!(
            harness
                .post_json("/api/0/buckets/b1/events", &body)
                .status(),
            422,
            "{body}"
        );
    }
    assert_eq!(
        harness
            .get("/api/0/buckets/b1/events/count")
            .text()
            .unwrap(),
        "0"
    );
}

#[test]
fn heartbeat_parameters_and_merging() {
    let harness = Harness::start();
    harness.create_bucket("hb");
    let beat = |path: &str, ts: &str, data: Value| harness.post_json(path, &event(ts, 0.0, data));
    for query in ["", "?pulsetime=abc"] {
        assert_eq!(
            beat(
                &format!("/api/0/buckets/hb/heartbeat{query}"),
                "2020-01-01T10:00:00Z",
                json!({})
            )
            .status(),
            422
        );
    }
    assert_eq!(
        beat(
            "/api/0/buckets/nob/heartbeat?pulsetime=1",
            "2020-01-01T10:00:00Z",
            json!({})
        )
        .status(),
        404
    );
    let array = harness.post_json("/api/0/buckets/hb/heartbeat?pulsetime=1", &json!([]));
    assert_eq!(array.status(), 422);

    let first: Value = beat(
        "/api/0/buckets/hb/heartbeat?pulsetime=10",
        "2020-01-01T10:00:00Z",
        json!({"a": 1}),
    )
    .json()
    .unwrap();
    let cases = [
        ("10", "2020-01-01T10:00:05Z", json!({"a": 1}), true, 5.0),
        ("10", "2020-01-01T10:00:15Z", json!({"a": 1}), true, 15.0),
        ("1e3", "2020-01-01T10:10:00Z", json!({"a": 1}), true, 600.0),
        ("inf", "2020-01-01T11:00:00Z", json!({"a": 1}), true, 3600.0),
        ("10", "2020-01-01T11:00:01Z", json!({"a": 1.0}), false, 0.0),
    ];
    for (pulsetime, ts, data, merged, duration) in cases {
        let res: Value = beat(
            &format!("/api/0/buckets/hb/heartbeat?pulsetime={pulsetime}"),
            ts,
            data,
        )
        .json()
        .unwrap();
        assert_eq!(res["id"] == first["id"], merged, "{pulsetime} {ts}");
        assert_eq!(res["duration"], duration, "{pulsetime} {ts}");
    }
    assert_eq!(
        harness
            .get("/api/0/buckets/hb/events/count")
            .text()
            .unwrap(),
        "2"
    );
}

#[test]
fn concurrent_heartbeats_merge_into_one_event_per_client() {
    let harness = Arc::new(Harness::start());
    let clients = 8;
    let beats = 50;
    for client in 0..clients {
        harness.create_bucket(&format!("hb{client}"));
    }
    let threads: Vec<_> = (0..clients)
        .map(|client| {
            let harness = Arc::clone(&harness);
            std::thread::spawn(move || {
                for beat in 0..beats {
                    let ts = format!("2020-01-01T10:{:02}:{:02}Z", beat / 60, beat % 60);
                    let res = harness.post_json(
                        &format!("/api/0/buckets/hb{client}/heartbeat?pulsetime=2"),
                        &event(&ts, 0.0, json!({"client": client})),
                    );
                    assert_eq!(res.status(), 200);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    for client in 0..clients {
        let events: Value = harness
            .get(&format!("/api/0/buckets/hb{client}/events"))
            .json()
            .unwrap();
        assert_eq!(events.as_array().unwrap().len(), 1, "client {client}");
        assert_eq!(events[0]["timestamp"], "2020-01-01T10:00:00Z");
        assert_eq!(events[0]["duration"], f64::from(beats - 1));
        assert_eq!(events[0]["data"], json!({"client": client}));
    }
}

#[test]
fn explicit_ids_and_normalised_output() {
    let harness = Harness::start();
    harness.create_bucket("b");
    let body = r#"[{"id":1000,"timestamp":"2018-01-01T02:00:00.5+01:00","duration":2,"data":{"b":1,"a":{"z":1,"y":2}}}]"#;
    let (status, inserted) =
        status_and_text(harness.post_raw("/api/0/buckets/b/events", "application/json", body));
    assert_eq!(status, 200);
    assert_eq!(
        inserted,
        r#"[{"id":1000,"timestamp":"2018-01-01T01:00:00.500Z","duration":2.0,"data":{"a":{"y":2,"z":1},"b":1}}]"#
    );
    let next = harness.insert("b", json!([event("2018-01-01T03:00:00Z", 1.0, json!({}))]));
    assert_eq!(next[0]["id"], 1001);
}

/// Explicit ids beyond 2^53 - 1 are refused (found by schemathesis: an id of i64::MAX
/// exhausted the id sequence and every later insert was a 503 "disk is full").
#[test]
fn explicit_ids_beyond_2_pow_53_are_refused() {
    let harness = Harness::start();
    harness.create_bucket("b");
    let with_id = |id: i64| json!([{"id": id, "timestamp": "2018-01-01T00:00:00Z", "data": {}}]);
    for id in [i64::MAX, (1 << 53), -(1 << 53), i64::MIN] {
        let (status, _, body) =
            json_answer(harness.post_json("/api/0/buckets/b/events", &with_id(id)));
        assert_eq!(status, 400, "id {id}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("event id {id} is out of range")),
            "{message}"
        );
        let (status, _, _) = json_answer(
            harness.post_json("/api/0/buckets/b/heartbeat?pulsetime=1", &with_id(id)[0]),
        );
        assert_eq!(status, 400, "heartbeat id {id}");
    }
    assert_eq!(
        harness
            .get("/api/0/buckets/b/events/count")
            .json::<u64>()
            .unwrap(),
        0
    );
    for id in [(1 << 53) - 1, -((1 << 53) - 1)] {
        assert_eq!(harness.insert("b", with_id(id))[0]["id"], id);
    }
    let next = harness.insert("b", json!([event("2018-01-01T03:00:00Z", 1.0, json!({}))]));
    assert_eq!(
        next[0]["id"],
        1_i64 << 53,
        "automatic ids go on past the bound"
    );
    let merging = json!({"id": i64::MAX, "timestamp": "2018-01-01T03:00:01Z", "data": {}});
    let (status, _, _) =
        json_answer(harness.post_json("/api/0/buckets/b/heartbeat?pulsetime=60", &merging));
    assert_eq!(status, 400, "a heartbeat that would merge is checked too");
}

#[test]
fn full_disk_is_503_and_the_server_recovers() {
    let harness = Harness::start();
    harness.create_bucket("b");
    let datastore = harness.server.datastore();
    datastore.force_commit().unwrap();
    // SQLite clamps a limit below the current size to the current size: no room left.
    let pages = datastore.set_max_page_count(1).unwrap();
    assert!(pages < 1000, "{pages}");
    let big = json!([event(
        "2020-01-01T00:00:00Z",
        1.0,
        json!({"blob": "x".repeat(200_000)})
    )]);
    let res = harness.post_json("/api/0/buckets/b/events", &big);
    assert_eq!(res.status(), 503);
    let message = res.json::<Value>().unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("nothing was written"), "{message}");
    assert_eq!(
        harness.get("/api/0/buckets/b/events/count").text().unwrap(),
        "0"
    );
    datastore.set_max_page_count(1 << 30).unwrap();
    assert_eq!(
        harness.post_json("/api/0/buckets/b/events", &big).status(),
        200
    );
}
