//! Work over stored events through the public handle: privacy rules loaded at open
//! and applied retroactively in short steps while heartbeats go on; retention with an
//! explicit "now" and on its schedule.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code"
)]

mod common;

use std::time::{Duration, Instant};

use aw_datastore::native::Datastore;
use aw_datastore::{RetentionPolicy, RetentionRule};
use chrono::TimeDelta;
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

fn rule(prefix: &str, keep: Option<u32>, short_after: Option<u32>, secs: f64) -> RetentionRule {
    RetentionRule {
        bucket_prefix: prefix.to_string(),
        keep_days: keep,
        min_duration_after_days: short_after,
        min_duration_secs: secs,
    }
}

/// Buckets `window-a`, `window-b`, `afk` with events ending exactly 10 days before
/// "now", a nanosecond earlier, and later; some short, some long.
fn retention_fixture() -> (Datastore, chrono::DateTime<chrono::Utc>) {
    let datastore = Datastore::open_in_memory().unwrap();
    let now = aw_models::time::parse_json_datetime("2024-03-01T00:00:00Z").unwrap();
    for id in ["window-a", "window-b", "afk"] {
        datastore.create_bucket(bucket(id)).unwrap();
        let events = [
            // (ends this long before now, duration in seconds)
            (TimeDelta::days(10), 5.0),
            (TimeDelta::days(10) + TimeDelta::nanoseconds(1), 5.0),
            (TimeDelta::days(20), 0.5),
            (TimeDelta::days(20), 5.0),
            (TimeDelta::days(3), 0.5),
            (TimeDelta::days(40), 100.0),
        ]
        .into_iter()
        .enumerate()
        .map(|(idx, (before, secs))| {
            let mut e = event("2024-01-01T00:00:00Z", secs, json!({"n": idx}));
            e.timestamp = now - before - aw_models::time::duration_from_secs(secs);
            e
        })
        .collect();
        datastore.insert_events(id, events).unwrap();
    }
    (datastore, now)
}

fn numbers(datastore: &Datastore, bucket_id: &str) -> Vec<u64> {
    let mut ns: Vec<u64> = all_events(datastore, bucket_id)
        .iter()
        .map(|e| e.data["n"].as_u64().unwrap())
        .collect();
    ns.sort_unstable();
    ns
}

#[test]
fn retention_boundaries_several_rules_and_unmatched_buckets() {
    // (rules, expected survivors of window-a, of window-b)
    let cases = [
        // Ended more than 10 days ago: exactly 10 days stays, 1 ns more goes.
        (
            vec![rule("window-a", Some(10), None, 0.0)],
            vec![0, 4],
            vec![0, 1, 2, 3, 4, 5],
        ),
        // Short events (< 1 s) once older than 10 days; the 3-day short one stays.
        (
            vec![rule("window", None, Some(10), 1.0)],
            vec![0, 1, 3, 4, 5],
            vec![0, 1, 3, 4, 5],
        ),
        // Two rules on one bucket delete the union; the stricter keep_days wins.
        (
            vec![
                rule("window-a", Some(30), None, 0.0),
                rule("window-a", Some(15), None, 0.0),
                rule("window-", None, Some(2), 1.0),
            ],
            vec![0, 1],
            vec![0, 1, 3, 5],
        ),
        // A short event is exactly as long as the limit: kept (shorter than S goes).
        (
            vec![rule("window-b", None, Some(1), 0.5)],
            vec![0, 1, 2, 3, 4, 5],
            vec![0, 1, 2, 3, 4, 5],
        ),
    ];
    for (idx, (rules, survivors_a, survivors_b)) in cases.into_iter().enumerate() {
        let (datastore, now) = retention_fixture();
        let span_before = datastore.get_bucket("window-a").unwrap().metadata;
        let dry = datastore.apply_retention(rules.clone(), now, true).unwrap();
        assert_eq!(
            numbers(&datastore, "window-a").len(),
            6,
            "case {idx}: dry run deleted"
        );
        let report = datastore.apply_retention(rules, now, false).unwrap();
        assert_eq!(
            report.buckets, dry.buckets,
            "case {idx}: dry run and run differ"
        );
        assert!(!report.buckets.contains_key("afk"), "case {idx}");
        assert_eq!(numbers(&datastore, "window-a"), survivors_a, "case {idx}");
        assert_eq!(numbers(&datastore, "window-b"), survivors_b, "case {idx}");
        assert_eq!(numbers(&datastore, "afk").len(), 6, "case {idx}");
        let removed_a = report.buckets.get("window-a").map_or(0, |c| c.removed);
        assert_eq!(removed_a, 6 - survivors_a.len() as u64, "case {idx}");
        // The span follows: the oldest event (n = 5) decides the start.
        let span = datastore.get_bucket("window-a").unwrap().metadata;
        if survivors_a.contains(&5) {
            assert_eq!(span.start, span_before.start, "case {idx}");
        } else {
            assert!(span.start > span_before.start, "case {idx}");
        }
        assert_eq!(
            datastore
                .get_event_count("window-a", aw_datastore::EventQuery::default())
                .unwrap(),
            survivors_a.len() as u64
        );
    }
}

#[test]
fn scheduled_retention_runs_soon_after_it_is_given() {
    let (datastore, _) = retention_fixture();
    datastore
        .schedule_retention(RetentionPolicy {
            // Relative to the real clock: every fixture event is older than a day.
            rules: vec![rule("afk", Some(1), None, 0.0)],
            dry_run: false,
            first_run_after: Duration::ZERO,
            interval: Duration::from_secs(86_400),
        })
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !all_events(&datastore, "afk").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(all_events(&datastore, "afk").is_empty());
    assert_eq!(all_events(&datastore, "window-a").len(), 6);
}
