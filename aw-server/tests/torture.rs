//! Crash torture: many rounds of concurrent writers (inserts, heartbeats, settings,
//! bucket create/delete, imports) against the real binary with a backup running
//! every second, `kill -9` at a random moment, then: `integrity_check` is ok, every
//! verified backup is sound, and every acknowledged write is on disk (heartbeats once
//! older than the commit window).
//!
//! `AW_TORTURE_ROUNDS` sets the number of rounds (default 20, well under a minute);
//! run `AW_TORTURE_ROUNDS=200 cargo test -p aw-server --test torture -- --nocapture`
//! for a longer run. `AW_TORTURE_SEED` repeats a run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aw_datastore::native::Datastore;
use aw_datastore::{backup, integrity, EventQuery};
use common::spawn_server_process;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::blocking::Client;
use serde_json::{json, Value};

const WRITERS: usize = 4;
/// Heartbeats acknowledged at least this long before the kill must be on disk (the
/// promise is 500 ms; the rest is scheduling slack on a loaded 2-core machine).
const HEARTBEAT_SLACK: Duration = Duration::from_millis(1500);

/// What one writer was told "ok" for.
#[derive(Default)]
struct Acked {
    inserts: Vec<(String, i64)>,
    settings: Vec<(String, i64)>,
    imports: Vec<String>,
    /// Bucket id -> whether it must exist (`None`: a create or delete was in flight).
    buckets: BTreeMap<String, Option<bool>>,
    /// (acknowledged at, bucket, timestamp second, value)
    heartbeats: Vec<(Instant, String, i64, i64)>,
}

fn time(second: i64) -> String {
    chrono::DateTime::from_timestamp(1_750_000_000 + second, 0)
        .unwrap()
        .to_rfc3339()
}

fn ok(result: reqwest::Result<reqwest::blocking::Response>) -> bool {
    result.is_ok_and(|res| res.status().is_success() || res.status() == 304)
}

/// One writer: a random mix of writes until `stop`, recording what was acknowledged.
fn writer(url: &str, thread: usize, seed: u64, stop: &AtomicBool) -> Acked {
    let client = Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut acked = Acked::default();
    let own = format!("w{thread}");
    if !ok(client
        .post(format!("{url}/api/0/buckets/{own}"))
        .json(&json!({"type": "t", "client": "torture", "hostname": "h"}))
        .send())
    {
        return acked;
    }
    let mut beat = 0_i64;
    for n in 0_i64.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        match rng.random_range(0..10) {
            0..=2 => {
                let body = json!([{"timestamp": time(n * 10), "duration": 1.0, "data": {"t": thread, "n": n}}]);
                if ok(client
                    .post(format!("{url}/api/0/buckets/{own}/events"))
                    .json(&body)
                    .send())
                {
                    acked.inserts.push((own.clone(), n));
                } else {
                    break;
                }
            }
            3..=5 => {
                beat += 1;
                let body = json!({"timestamp": time(1_000_000 + beat), "duration": 0.0, "data": {"hb": thread}});
                let sent = client
                    .post(format!("{url}/api/0/buckets/{own}/heartbeat?pulsetime=5"))
                    .json(&body)
                    .send();
                if ok(sent) {
                    acked
                        .heartbeats
                        .push((Instant::now(), own.clone(), 1_000_000 + beat, n));
                } else {
                    break;
                }
            }
            6 => {
                let key = format!("torture-{thread}-{n}");
                if ok(client
                    .post(format!("{url}/api/0/settings/{key}"))
                    .json(&n)
                    .send())
                {
                    acked.settings.push((format!("settings.{key}"), n));
                } else {
                    break;
                }
            }
            7 => {
                let id = format!("tmp-{thread}-{n}");
                acked.buckets.insert(id.clone(), None);
                if !ok(client
                    .post(format!("{url}/api/0/buckets/{id}"))
                    .json(&json!({"type": "t", "client": "torture", "hostname": "h"}))
                    .send())
                {
                    break;
                }
                acked.buckets.insert(id.clone(), Some(true));
                if rng.random_bool(0.5) {
                    acked.buckets.insert(id.clone(), None);
                    if !ok(client.delete(format!("{url}/api/0/buckets/{id}")).send()) {
                        break;
                    }
                    acked.buckets.insert(id, Some(false));
                }
            }
            _ => {
                let id = format!("import-{thread}-{n}");
                let events: Vec<Value> = (0..3)
                    .map(|idx| json!({"timestamp": time(idx), "duration": 1.0, "data": {"i": idx}}))
                    .collect();
                let body = json!({"buckets": {id.clone(): {"id": id, "type": "t", "client": "torture",
                    "hostname": "h", "created": "2026-01-01T00:00:00Z", "events": events}}});
                if ok(client
                    .post(format!("{url}/api/0/import"))
                    .json(&body)
                    .send())
                {
                    acked.imports.push(id);
                } else {
                    break;
                }
            }
        }
    }
    acked
}

/// Everything acknowledged before `killed_at` is in the reopened database.
fn verify(db: &Path, all: &[Acked], killed_at: Instant) -> usize {
    let problems = integrity::integrity_check(db).unwrap();
    assert!(problems.is_empty(), "integrity_check: {problems:?}");
    let datastore = Datastore::open_file(db).unwrap();
    let buckets = datastore.get_buckets().unwrap();
    let mut checked = 0;
    for acked in all {
        let mut by_bucket: BTreeMap<&str, Vec<aw_models::Event>> = BTreeMap::new();
        for (bucket, n) in &acked.inserts {
            let events = by_bucket
                .entry(bucket)
                .or_insert_with(|| datastore.get_events(bucket, EventQuery::default()).unwrap());
            assert!(
                events.iter().any(|e| e.data.get("n") == Some(&json!(n))),
                "acknowledged insert {bucket}/{n} lost"
            );
            checked += 1;
        }
        for (key, value) in &acked.settings {
            assert_eq!(
                datastore.get_key_value(key).unwrap(),
                json!(value),
                "setting {key}"
            );
            checked += 1;
        }
        for id in &acked.imports {
            let events = datastore.get_events(id, EventQuery::default()).unwrap();
            assert_eq!(events.len(), 3, "import {id}");
            checked += 1;
        }
        for (id, must_exist) in &acked.buckets {
            if let Some(must_exist) = must_exist {
                assert_eq!(buckets.contains_key(id), *must_exist, "bucket {id}");
                checked += 1;
            }
        }
        for (at, bucket, second, _) in &acked.heartbeats {
            if killed_at.duration_since(*at) < HEARTBEAT_SLACK {
                continue;
            }
            let events = by_bucket
                .entry(bucket)
                .or_insert_with(|| datastore.get_events(bucket, EventQuery::default()).unwrap());
            let wanted = chrono::DateTime::from_timestamp(1_750_000_000 + second, 0).unwrap();
            assert!(
                events.iter().any(|e| e.data.contains_key("hb")
                    && e.timestamp <= wanted
                    && e.timestamp + e.duration >= wanted),
                "acknowledged heartbeat {bucket}@{second} lost"
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn kill_9_at_random_moments_loses_nothing_acknowledged() {
    let rounds: usize = common::env_number("AW_TORTURE_ROUNDS", 20);
    let seed: u64 = common::env_number("AW_TORTURE_SEED", 0x5eed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("torture.db");
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "[backup]\ninterval = \"1s\"\nkeep = 3\nkeep_weekly = 0\n",
    )
    .unwrap();
    let args = [
        "--port",
        "0",
        "--dbpath",
        db.to_str().unwrap(),
        "-c",
        config.to_str().unwrap(),
    ];
    let (mut total_checked, started) = (0, Instant::now());
    for round in 0..rounds {
        let mut server = spawn_server_process(home.path(), &args).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|thread| {
                let (url, stop) = (server.url.clone(), Arc::clone(&stop));
                let seed = rng.random();
                std::thread::spawn(move || writer(&url, thread + round * WRITERS, seed, &stop))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rng.random_range(200..1800)));
        let killed_at = Instant::now();
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        let acked: Vec<Acked> = writers.into_iter().map(|w| w.join().unwrap()).collect();
        total_checked += verify(&db, &acked, killed_at);
        for info in backup::list(&home.path().join("backups"), &db) {
            assert!(
                integrity::integrity_check(&info.path).unwrap().is_empty(),
                "{info:?}"
            );
        }
    }
    println!(
        "torture: {rounds} rounds, {total_checked} acknowledged writes verified, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(total_checked > rounds * 10, "too few writes were exercised");
}
