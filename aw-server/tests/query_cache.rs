//! The query result cache never answers what a fresh run would not: random
//! interleavings of writes (late ones into old periods included) and queries get
//! byte-identical answers from a server with the cache and one without it, and after
//! writers and readers ran concurrently every cached answer still equals a fresh run.
//!
//! Sizes: `AW_CACHE_TEST_STEPS` (default 400) operations from seed `AW_CACHE_TEST_SEED`.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};

use common::{env_number, Harness};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

const DAY: i64 = 86_400;
const SPAN_DAYS: i64 = 10;
/// 2024-01-01T00:00:00Z.
const EPOCH: i64 = 1_704_067_200;

const PROGRAMS: [&str; 5] = [
    r#"events = flood(query_bucket("w"));
       not_afk = flood(query_bucket("a"));
       not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);
       events = filter_period_intersect(events, not_afk);
       events = categorize(events, [[["Work"], {"type": "regex", "regex": "code|term"}], [["Fun"], {"type": "regex", "regex": "game"}]]);
       apps = sort_by_duration(merge_events_by_keys(events, ["app"]));
       RETURN = {"apps": apps, "total": sum_durations(events), "cats": merge_events_by_keys(events, ["$category"])};"#,
    r#"RETURN = query_bucket(find_bucket("w"));"#,
    r#"RETURN = query_bucket_names();"#,
    r#"RETURN = sort_by_timestamp(concat(query_bucket("w"), query_bucket("b")));"#,
    r#"RETURN = limit_events(sort_by_duration(merge_events_by_keys(query_bucket("b"), ["url"])), 3);"#,
];

fn iso(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn bucket_body() -> Value {
    json!({"type": "t", "client": "c", "hostname": "h"})
}

/// The cached server and the uncached one.
struct Pair {
    cached: Harness,
    fresh: Harness,
}

impl Pair {
    fn start() -> Pair {
        let mut off = aw_server::testkit::test_config();
        off.query.cache_mb = 0;
        let pair = Pair {
            cached: Harness::start(),
            fresh: Harness::start_with(off),
        };
        for bucket in ["w", "a", "b"] {
            pair.both_json(&format!("/api/0/buckets/{bucket}"), &bucket_body());
        }
        pair
    }

    /// POSTs to both and checks they agree; returns the answer.
    fn both_json(&self, path: &str, body: &Value) -> (u16, String) {
        let a = self.cached.post_json(path, body);
        let b = self.fresh.post_json(path, body);
        let a = (a.status().as_u16(), a.text().unwrap());
        let b = (b.status().as_u16(), b.text().unwrap());
        assert_eq!(a, b, "{path} {body}");
        a
    }

    fn both_delete(&self, path: &str) {
        let a = self.cached.delete(path).status();
        let b = self.fresh.delete(path).status();
        assert_eq!(a, b, "DELETE {path}");
    }
}

fn random_data(rng: &mut ChaCha8Rng, bucket: &str) -> Value {
    match bucket {
        "a" => json!({"status": *["afk", "not-afk"].choose(rng).unwrap()}),
        "b" => {
            json!({"url": *["https://a.org/x", "https://b.org/", "http://c.net/y?q"].choose(rng).unwrap(), "title": "t"})
        }
        _ => {
            json!({"app": *["code", "term", "game", "mail"].choose(rng).unwrap(), "title": *["x", "y"].choose(rng).unwrap()})
        }
    }
}

fn random_event(rng: &mut ChaCha8Rng, bucket: &str) -> Value {
    let start = EPOCH + rng.random_range(0..SPAN_DAYS * DAY);
    json!({"timestamp": iso(start), "duration": rng.random_range(1..4000), "data": random_data(rng, bucket)})
}

/// A query request over one to three of a small set of periods, so requests repeat.
fn random_query(rng: &mut ChaCha8Rng) -> Value {
    let program = PROGRAMS.choose(rng).unwrap();
    let periods: Vec<String> = (0..*[1, 1, 2, 3].choose(rng).unwrap())
        .map(|_| {
            let day = rng.random_range(0..SPAN_DAYS);
            let days = *[1, 1, 1, 1, 3].choose(rng).unwrap();
            format!(
                "{}/{}",
                iso(EPOCH + day * DAY),
                iso(EPOCH + (day + days) * DAY)
            )
        })
        .collect();
    json!({"query": [program], "timeperiods": periods})
}

/// One random write, applied to both servers; they must answer alike.
fn random_write(pair: &Pair, rng: &mut ChaCha8Rng, ids: &mut Vec<i64>, now: &mut i64) {
    let bucket = *["w", "w", "a", "b"].choose(rng).unwrap();
    match rng.random_range(0..10) {
        0..=2 => {
            let events: Vec<Value> = (0..rng.random_range(1..4))
                .map(|_| random_event(rng, bucket))
                .collect();
            let (_, text) = pair.both_json(
                &format!("/api/0/buckets/{bucket}/events"),
                &Value::Array(events),
            );
            if let Ok(Value::Array(stored)) = serde_json::from_str::<Value>(&text) {
                ids.extend(stored.iter().filter_map(|e| e["id"].as_i64()));
            }
        }
        3..=5 => {
            *now += rng.random_range(0..120);
            let at = if rng.random_bool(0.2) {
                EPOCH + rng.random_range(0..SPAN_DAYS * DAY)
            } else {
                *now
            };
            let heartbeat =
                json!({"timestamp": iso(at), "duration": 0, "data": random_data(rng, bucket)});
            pair.both_json(
                &format!("/api/0/buckets/{bucket}/heartbeat?pulsetime=120"),
                &heartbeat,
            );
        }
        6 if !ids.is_empty() => {
            let id = ids.swap_remove(rng.random_range(0..ids.len()));
            for bucket in ["w", "a", "b"] {
                pair.both_delete(&format!("/api/0/buckets/{bucket}/events/{id}"));
            }
        }
        7 if !ids.is_empty() => {
            // An explicit id rewrites a stored event wherever it lies in time.
            let id = *ids.choose(rng).unwrap();
            let mut event = random_event(rng, "w");
            event["id"] = json!(id);
            pair.both_json("/api/0/buckets/w/events", &json!([event]));
        }
        8 => {
            let events: Vec<Value> = (0..3).map(|_| random_event(rng, bucket)).collect();
            let doc = json!({"buckets": {bucket: {"id": bucket, "type": "t", "client": "c", "hostname": "h", "events": events}}});
            pair.both_json("/api/0/import", &doc);
        }
        _ => {
            pair.both_delete("/api/0/buckets/b?force=1");
            if rng.random_bool(0.7) {
                pair.both_json("/api/0/buckets/b", &bucket_body());
            }
        }
    }
}

/// Sets the flag when dropped (the readers' stop signal).
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn metric(harness: &Harness, name: &str) -> u64 {
    let text = harness.get("/api/0/metrics").text().unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} missing"))
}

#[test]
fn answers_with_and_without_the_cache_are_identical() {
    let seed: u64 = env_number("AW_CACHE_TEST_SEED", 11);
    let steps: usize = env_number("AW_CACHE_TEST_STEPS", 400);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pair = Pair::start();
    let mut ids = Vec::new();
    let mut now = EPOCH + 5 * DAY;
    for _ in 0..steps {
        if rng.random_bool(0.3) {
            random_write(&pair, &mut rng, &mut ids, &mut now);
        } else {
            pair.both_json("/api/0/query/", &random_query(&mut rng));
        }
    }
    // The cache was used, and writes did drop answers: the comparison meant something.
    let hits = metric(&pair.cached, "aw_query_cache_hits_total");
    let invalidated = metric(&pair.cached, "aw_query_cache_invalidated_total");
    eprintln!("{steps} steps: {hits} periods answered from the cache, {invalidated} answers dropped by writes");
    assert!(hits >= steps as u64 / 20, "{hits}");
    assert!(invalidated > 0);
    assert_eq!(metric(&pair.fresh, "aw_query_cache_hits_total"), 0);
}

#[test]
fn concurrent_writes_leave_no_stale_answer_behind() {
    let seed: u64 = env_number("AW_CACHE_TEST_SEED", 11);
    let steps: usize = env_number("AW_CACHE_TEST_STEPS", 400);
    let pair = Pair::start();
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        // Readers fill the cache while the writers change what it holds.
        for reader in 0..2 {
            let (pair, done) = (&pair, &done);
            scope.spawn(move || {
                let mut rng = ChaCha8Rng::seed_from_u64(seed + 100 + reader);
                while !done.load(Ordering::Relaxed) {
                    pair.cached
                        .post_json("/api/0/query/", &random_query(&mut rng));
                }
            });
        }
        // One writer, so both servers hand out the same ids; it stops the readers
        // even if it fails.
        let _stop = StopOnDrop(&done);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for _ in 0..steps / 2 {
            let bucket = *["w", "a", "b"].choose(&mut rng).unwrap();
            let event = random_event(&mut rng, bucket);
            if rng.random_bool(0.5) {
                pair.both_json(&format!("/api/0/buckets/{bucket}/events"), &json!([event]));
            } else {
                let path = format!("/api/0/buckets/{bucket}/heartbeat?pulsetime=3600");
                pair.both_json(&path, &event);
            }
        }
    });
    for program in PROGRAMS {
        for day in 0..SPAN_DAYS {
            for days in [1, 3, 7] {
                let period = format!(
                    "{}/{}",
                    iso(EPOCH + day * DAY),
                    iso(EPOCH + (day + days) * DAY)
                );
                pair.both_json(
                    "/api/0/query/",
                    &json!({"query": [program], "timeperiods": [period]}),
                );
            }
        }
    }
    assert!(metric(&pair.cached, "aw_query_cache_hits_total") > 0);
}
