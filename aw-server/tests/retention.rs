//! Retention over HTTP: the `[retention]` rules of the config run on
//! `POST /api/0/retention/apply`, with a dry run that only counts.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]

mod common;

use aw_server::config::RetentionConfig;
use aw_server::retention_config::RetentionRuleConfig;
use aw_server::testkit::test_config;
use common::{event, Harness};
use serde_json::{json, Value};

#[test]
fn configured_rules_run_on_request_and_dry_run_only_counts() {
    let mut config = test_config();
    config.retention = RetentionConfig {
        dry_run: false,
        rules: vec![
            RetentionRuleConfig {
                bucket_prefix: "aw-watcher-window".to_string(),
                keep_days: Some(30),
                min_duration_after_days: None,
                min_duration_secs: None,
            },
            RetentionRuleConfig {
                bucket_prefix: "aw-watcher-window".to_string(),
                keep_days: None,
                min_duration_after_days: Some(1),
                min_duration_secs: Some(1.0),
            },
        ],
    };
    let harness = Harness::start_with(config);
    harness.create_bucket("aw-watcher-window_h");
    harness.create_bucket("aw-watcher-afk_h");
    let now = chrono::Utc::now();
    let ago = |days: i64, secs: i64| {
        (now - chrono::TimeDelta::days(days) - chrono::TimeDelta::seconds(secs)).to_rfc3339()
    };
    let events = json!([
        event(&ago(40, 0), 10.0, json!({"n": 0})),
        event(&ago(10, 0), 0.5, json!({"n": 1})),
        event(&ago(10, 0), 5.0, json!({"n": 2})),
        event(&ago(0, 60), 0.5, json!({"n": 3})),
    ]);
    harness.insert("aw-watcher-window_h", events.clone());
    harness.insert("aw-watcher-afk_h", events);
    let dry: Value = harness
        .post_json("/api/0/retention/apply?dry_run=1", &json!(null))
        .json()
        .unwrap();
    assert_eq!(
        dry,
        json!({"dry_run": true, "buckets": {"aw-watcher-window_h": {"removed": 2}}})
    );
    let count: Value = harness
        .get("/api/0/buckets/aw-watcher-window_h/events/count")
        .json()
        .unwrap();
    assert_eq!(count, json!(4));
    let done: Value = harness
        .post_json("/api/0/retention/apply", &json!(null))
        .json()
        .unwrap();
    assert_eq!(
        done,
        json!({"dry_run": false, "buckets": {"aw-watcher-window_h": {"removed": 2}}})
    );
    let left: Vec<Value> = harness
        .get("/api/0/buckets/aw-watcher-window_h/events")
        .json()
        .unwrap();
    let ns: Vec<Value> = left.iter().map(|e| e["data"]["n"].clone()).collect();
    assert_eq!(ns, [json!(3), json!(2)]);
    let bucket: Value = harness
        .get("/api/0/buckets/aw-watcher-window_h")
        .json()
        .unwrap();
    assert_eq!(bucket["metadata"]["start"], left[1]["timestamp"]);
    let afk: Value = harness
        .get("/api/0/buckets/aw-watcher-afk_h/events/count")
        .json()
        .unwrap();
    assert_eq!(afk, json!(4));
}
