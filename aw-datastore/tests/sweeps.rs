//! Work over stored events through the public handle: privacy rules loaded at open
//! and applied retroactively in short steps while heartbeats go on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code"
)]

mod common;

use std::time::{Duration, Instant};

use aw_datastore::Datastore;
use common::{all_events, bucket, event};
use serde_json::json;

const RULES_KEY: &str = "settings.privacy_filters";

#[test]
fn stored_rules_are_in_force_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.db");
    {
        let datastore = Datastore::open_file(&path).unwrap();
        datastore.create_bucket(bucket("b")).unwrap();
        let rules = json!([{"enabled": true, "field": "title", "pattern": "x", "action": "drop"}]);
        datastore.set_key_value(RULES_KEY, rules).unwrap();
    }
    let datastore = Datastore::open_file(&path).unwrap();
    let kept = datastore
        .insert_events(
            "b",
            vec![event("2024-01-01T00:00:00Z", 1.0, json!({"title": "x"}))],
        )
        .unwrap();
    assert!(kept.is_empty());
    assert!(all_events(&datastore, "b").is_empty());
}

/// Applying rules to 40 000 events goes in steps: heartbeats sent meanwhile are
/// answered between two steps. Latencies are printed, not asserted (benches measure).
#[test]
fn apply_runs_in_steps_between_heartbeats() {
    let dir = tempfile::tempdir().unwrap();
    let datastore = Datastore::open_file(&dir.path().join("big.db")).unwrap();
    datastore.create_bucket(bucket("b")).unwrap();
    datastore.create_bucket(bucket("hb")).unwrap();
    let start = aw_models::time::parse_json_datetime("2024-01-01T00:00:00Z").unwrap();
    let events = (0..40_000)
        .map(|idx| {
            let mut e = event(
                "2024-01-01T00:00:00Z",
                1.0,
                json!({"title": format!("t{}", idx % 4)}),
            );
            e.timestamp = start + chrono::TimeDelta::seconds(idx);
            e
        })
        .collect();
    datastore.insert_events("b", events).unwrap();
    let rules = json!([{"enabled": true, "field": "title", "pattern": "^t0$", "action": "drop"},
                       {"enabled": true, "field": "title", "pattern": "^t1$", "action": "redact"}]);
    datastore.set_key_value(RULES_KEY, rules).unwrap();
    let sweeper = {
        let datastore = datastore.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let report = datastore.apply_privacy_filters(false).unwrap();
            (report, started.elapsed())
        })
    };
    let mut worst = Duration::ZERO;
    let mut beats = 0;
    while !sweeper.is_finished() && beats < 100_000 {
        let sent = Instant::now();
        let mut beat = event("2024-01-02T00:00:00Z", 0.0, json!({"title": "t2"}));
        beat.timestamp += chrono::TimeDelta::milliseconds(beats);
        datastore.heartbeat("hb", beat, 1.0).unwrap();
        worst = worst.max(sent.elapsed());
        beats += 1;
    }
    let (report, took) = sweeper.join().unwrap();
    println!(
        "apply over 40000 events took {took:?}; {beats} heartbeats meanwhile, slowest {worst:?}"
    );
    let counts = report.buckets["b"];
    assert_eq!((counts.dropped, counts.redacted), (10_000, 10_000));
    assert!(beats > 1, "no heartbeat was answered while the sweep ran");
    let stored = all_events(&datastore, "b");
    assert_eq!(stored.len(), 30_000);
    assert_eq!(
        stored
            .iter()
            .filter(|e| e.data["title"] == "REDACTED")
            .count(),
        10_000
    );
    // Every heartbeat merged into one event: the sweep never broke the merge.
    assert_eq!(all_events(&datastore, "hb").len(), 1);
}
