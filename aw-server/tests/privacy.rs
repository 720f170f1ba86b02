//! Privacy filters over HTTP: the setting `privacy_filters` takes effect at once for
//! inserts, heartbeats and imports; bad rules answer 400 and leave the old ones;
//! `POST /api/0/privacy/apply` rewrites what is stored (exports and queries follow).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{event, Harness};
use serde_json::{json, Value};

fn set_rules(harness: &Harness, rules: &Value) -> (u16, Value) {
    let res = harness.post_json("/api/0/settings/privacy_filters", rules);
    let status = res.status().as_u16();
    let text = res.text().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn titles(harness: &Harness, bucket: &str) -> Vec<Value> {
    let events: Vec<Value> = harness
        .get(&format!("/api/0/buckets/{bucket}/events"))
        .json()
        .unwrap();
    events.iter().map(|e| e["data"]["title"].clone()).collect()
}

fn heartbeat(harness: &Harness, bucket: &str, at: &str, title: &str) -> Value {
    let res = harness.post_json(
        &format!("/api/0/buckets/{bucket}/heartbeat?pulsetime=10"),
        &event(at, 0.0, json!({"title": title})),
    );
    assert_eq!(res.status(), 200);
    res.json().unwrap()
}

#[test]
fn rules_apply_to_inserts_heartbeats_and_imports_at_once() {
    let harness = Harness::start();
    harness.create_bucket("aw-watcher-window_h");
    harness.create_bucket("other");
    let rules = json!([
        {"enabled": true, "bucket_prefix": "aw-watcher-window", "field": "title",
         "pattern": "(?i)incognito", "action": "drop", "replacement": null},
        {"enabled": true, "bucket_prefix": null, "field": "tab.url",
         "pattern": "bank\\.example", "action": "redact", "replacement": "[bank]"},
        {"enabled": true, "bucket_prefix": null, "field": null,
         "pattern": "пароль", "action": "redact", "replacement": null},
    ]);
    assert_eq!(set_rules(&harness, &rules).0, 201);
    let answer = harness.insert(
        "aw-watcher-window_h",
        json!([
            event(
                "2024-01-01T10:00:00Z",
                1.0,
                json!({"title": "Incognito - Firefox"})
            ),
            event(
                "2024-01-01T10:00:01Z",
                1.0,
                json!({"title": "news", "tab": {"url": "https://bank.example/x"}})
            ),
            event(
                "2024-01-01T10:00:02Z",
                1.0,
                json!({"title": "мой пароль", "list": ["пароль", 3]})
            ),
        ]),
    );
    // The dropped event is left out of the answer; the others come back redacted.
    assert_eq!(answer.as_array().unwrap().len(), 2);
    assert_eq!(answer[0]["data"]["tab"]["url"], "[bank]");
    assert_eq!(
        answer[1]["data"],
        json!({"title": "REDACTED", "list": ["REDACTED", 3]})
    );
    // The prefix limits the drop rule to window buckets.
    harness.insert(
        "other",
        json!([event(
            "2024-01-01T10:00:00Z",
            1.0,
            json!({"title": "incognito"})
        )]),
    );
    assert_eq!(titles(&harness, "other"), [json!("incognito")]);
    // Import: a new bucket and an existing one, both filtered.
    let export = json!({"buckets": {
        "aw-watcher-window_new": {"id": "aw-watcher-window_new", "type": "t", "client": "c",
            "hostname": "h", "events": [
                event("2024-01-02T10:00:00Z", 1.0, json!({"title": "incognito tab"})),
                event("2024-01-02T10:00:01Z", 1.0, json!({"title": "kept"})),
            ]},
        "other": {"id": "other", "type": "type", "client": "client", "hostname": "hostname",
            "events": [event("2024-01-02T10:00:00Z", 1.0, json!({"title": "x пароль"}))]},
    }});
    assert_eq!(harness.post_json("/api/0/import", &export).status(), 200);
    assert_eq!(titles(&harness, "aw-watcher-window_new"), [json!("kept")]);
    assert_eq!(
        titles(&harness, "other"),
        [json!("REDACTED"), json!("incognito")]
    );
    // Bucket creation with embedded events is filtered too.
    let created = harness.post_json(
        "/api/0/buckets/aw-watcher-window_b",
        &json!({"type": "t", "client": "c", "hostname": "h", "events": [
            event("2024-01-03T10:00:00Z", 1.0, json!({"title": "Incognito"}))]}),
    );
    assert_eq!(created.status(), 200);
    assert!(titles(&harness, "aw-watcher-window_b").is_empty());
    // Deleting the setting turns filtering off.
    assert_eq!(
        harness.delete("/api/0/settings/privacy_filters").status(),
        200
    );
    harness.insert(
        "aw-watcher-window_b",
        json!([event(
            "2024-01-03T10:00:00Z",
            1.0,
            json!({"title": "Incognito"})
        )]),
    );
    assert_eq!(
        titles(&harness, "aw-watcher-window_b"),
        [json!("Incognito")]
    );
}

#[test]
fn a_dropped_heartbeat_leaves_the_merge_alone() {
    let harness = Harness::start();
    harness.create_bucket("w");
    let rules =
        json!([{"enabled": true, "field": "title", "pattern": "private", "action": "drop"}]);
    assert_eq!(set_rules(&harness, &rules).0, 201);
    let first = heartbeat(&harness, "w", "2024-01-01T10:00:00Z", "a");
    heartbeat(&harness, "w", "2024-01-01T10:00:02Z", "a");
    // Answered with the last event, which it does not change.
    let dropped = heartbeat(&harness, "w", "2024-01-01T10:00:04Z", "private tab");
    assert_eq!(dropped["id"], first["id"]);
    assert_eq!(dropped["data"]["title"], "a");
    let merged = heartbeat(&harness, "w", "2024-01-01T10:00:06Z", "a");
    assert_eq!(merged["id"], first["id"]);
    assert_eq!(merged["duration"], 6.0);
    assert_eq!(titles(&harness, "w"), [json!("a")]);
    // The first heartbeat of a bucket being dropped answers with itself, unstored.
    harness.create_bucket("w2");
    let alone = heartbeat(&harness, "w2", "2024-01-01T10:00:00Z", "private");
    assert_eq!(alone["id"], Value::Null);
    assert!(titles(&harness, "w2").is_empty());
}

#[test]
fn bad_rules_answer_400_and_keep_the_old_ones() {
    let harness = Harness::start();
    harness.create_bucket("w");
    let good = json!([{"enabled": true, "field": "title", "pattern": "secret", "action": "drop"}]);
    assert_eq!(set_rules(&harness, &good).0, 201);
    let cases = [
        (
            json!([good[0].clone(), {"enabled": true, "pattern": "(", "action": "drop"}]),
            "privacy_filters[1]: invalid regex",
        ),
        (
            json!([{"enabled": true, "pattern": "a", "action": "hide"}]),
            "unknown variant `hide`",
        ),
        (
            json!([{"enabled": 1, "pattern": "a", "action": "drop"}]),
            "expected a boolean",
        ),
        (
            json!([{"enabled": true, "pattern": "a", "action": "drop", "field": ""}]),
            "empty segment",
        ),
        (json!({"rules": []}), "must be a JSON array"),
        (json!("x"), "must be a JSON array"),
    ];
    for (rules, expected) in cases {
        let (status, body) = set_rules(&harness, &rules);
        assert_eq!(status, 400, "{rules}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(expected), "{message:?} lacks {expected:?}");
    }
    // The stored value and the rules in force are the old ones; the worker serves on.
    let stored: Value = harness
        .get("/api/0/settings/privacy_filters")
        .json()
        .unwrap();
    assert_eq!(stored, good);
    harness.insert(
        "w",
        json!([event(
            "2024-01-01T10:00:00Z",
            1.0,
            json!({"title": "secret"})
        )]),
    );
    assert!(titles(&harness, "w").is_empty());
    // Other keys still take any JSON.
    assert_eq!(
        harness
            .post_json("/api/0/settings/privacy_filter", &json!({"x": "("}))
            .status(),
        201
    );
}

#[test]
fn rules_changed_while_heartbeats_stream_in() {
    let harness = Arc::new(Harness::start());
    harness.create_bucket("w");
    let written = Arc::new(AtomicBool::new(false));
    let streamer = {
        let (harness, written) = (Arc::clone(&harness), Arc::clone(&written));
        std::thread::spawn(move || {
            let mut after_rule = Vec::new();
            for idx in 0..300 {
                let rule_known = written.load(Ordering::SeqCst);
                let at = format!("2024-01-01T10:{:02}:{:02}Z", idx / 60, idx % 60);
                let title = format!("secret {idx}");
                heartbeat(&harness, "w", &at, &title);
                if rule_known {
                    after_rule.push(title);
                }
            }
            after_rule
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(50));
    let rules =
        json!([{"enabled": true, "field": "title", "pattern": "^secret", "action": "redact"}]);
    assert_eq!(set_rules(&harness, &rules).0, 201);
    written.store(true, Ordering::SeqCst);
    let after_rule = streamer.join().unwrap();
    assert!(
        !after_rule.is_empty(),
        "the rule came too late to test anything"
    );
    let stored = titles(&harness, "w");
    for title in &after_rule {
        assert!(
            !stored.contains(&json!(title)),
            "{title} stored after the rule"
        );
    }
    // Consecutive redacted heartbeats are equal, so they merged into one event.
    let redacted = stored.iter().filter(|t| **t == json!("REDACTED")).count();
    assert_eq!(redacted, 1, "{stored:?}");
    assert_eq!(stored[0], json!("REDACTED"));
}

#[test]
fn apply_rewrites_stored_events_and_dry_run_only_counts() {
    let harness = Harness::start();
    harness.create_bucket("aw-watcher-window_h");
    harness.create_bucket("aw-watcher-afk_h");
    let mut events = Vec::new();
    for idx in 0..450 {
        let title = match idx % 3 {
            0 => format!("bank {idx}"),
            1 => format!("incognito {idx}"),
            _ => format!("plain {idx}"),
        };
        let at = format!("2024-01-01T{:02}:{:02}:00Z", idx / 60, idx % 60);
        events.push(event(&at, 30.0, json!({"title": title})));
    }
    harness.insert("aw-watcher-window_h", Value::Array(events));
    harness.insert(
        "aw-watcher-afk_h",
        json!([event("2024-01-01T10:00:00Z", 1.0, json!({"title": "bank"}))]),
    );
    let rules = json!([
        {"enabled": true, "bucket_prefix": "aw-watcher-window", "field": "title", "pattern": "^incognito", "action": "drop"},
        {"enabled": true, "bucket_prefix": "aw-watcher-window", "field": "title", "pattern": "^bank", "action": "redact", "replacement": "bank"},
    ]);
    assert_eq!(set_rules(&harness, &rules).0, 201);
    let expected = json!({
        "aw-watcher-window_h": {"dropped": 150, "redacted": 150},
        "aw-watcher-afk_h": {"dropped": 0, "redacted": 0},
    });
    let dry: Value = harness
        .post_json("/api/0/privacy/apply?dry_run=1", &json!(null))
        .json()
        .unwrap();
    assert_eq!(dry, json!({"dry_run": true, "buckets": expected}));
    assert_eq!(titles(&harness, "aw-watcher-window_h").len(), 450);
    let before: Value = harness
        .get("/api/0/buckets/aw-watcher-window_h")
        .json()
        .unwrap();
    let applied: Value = harness
        .post_json("/api/0/privacy/apply", &json!(null))
        .json()
        .unwrap();
    assert_eq!(applied, json!({"dry_run": false, "buckets": expected}));
    let stored = titles(&harness, "aw-watcher-window_h");
    assert_eq!(stored.len(), 300);
    assert!(stored
        .iter()
        .all(|t| t == "bank" || t.as_str().unwrap().starts_with("plain")));
    // The first event (index 0, "bank") stays; the last one (449, "plain") too.
    let after: Value = harness
        .get("/api/0/buckets/aw-watcher-window_h")
        .json()
        .unwrap();
    assert_eq!(after["metadata"], before["metadata"]);
    // A second run finds nothing left to do.
    let again: Value = harness
        .post_json("/api/0/privacy/apply?dry_run=0", &json!(null))
        .json()
        .unwrap();
    assert_eq!(
        again["buckets"]["aw-watcher-window_h"],
        json!({"dropped": 0, "redacted": 0})
    );
    // Exports and queries see the stored data, so they show the redaction.
    let export = harness
        .get("/api/0/buckets/aw-watcher-window_h/export")
        .text()
        .unwrap();
    assert!(
        !export.contains("incognito") && !export.contains("bank 0"),
        "export not redacted"
    );
    let query = json!({"timeperiods": ["2024-01-01T00:00:00Z/2024-01-02T00:00:00Z"],
        "query": ["RETURN = query_bucket(\"aw-watcher-window_h\");"]});
    let result = harness.post_json("/api/0/query/", &query).text().unwrap();
    assert!(
        result.contains("plain 2") && !result.contains("incognito") && !result.contains("bank 3")
    );
    assert_eq!(
        harness
            .post_json("/api/0/privacy/apply?dry_run=maybe", &json!(null))
            .status(),
        400
    );
}

#[test]
fn apply_drops_edge_events_and_fixes_the_bucket_span() {
    let harness = Harness::start();
    harness.create_bucket("w");
    harness.insert(
        "w",
        json!([
            event("2024-01-01T09:00:00Z", 60.0, json!({"title": "private"})),
            event("2024-01-01T10:00:00Z", 60.0, json!({"title": "ok"})),
            event("2024-01-01T11:00:00Z", 60.0, json!({"title": "private"})),
        ]),
    );
    let rules =
        json!([{"enabled": true, "field": "title", "pattern": "private", "action": "drop"}]);
    assert_eq!(set_rules(&harness, &rules).0, 201);
    harness.post_json("/api/0/privacy/apply", &json!(null));
    let bucket: Value = harness.get("/api/0/buckets/w").json().unwrap();
    assert_eq!(bucket["metadata"]["start"], "2024-01-01T10:00:00Z");
    assert_eq!(bucket["metadata"]["end"], "2024-01-01T10:01:00Z");
    let count: Value = harness.get("/api/0/buckets/w/events/count").json().unwrap();
    assert_eq!(count, json!(1));
}
