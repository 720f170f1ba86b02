//! Criterion benchmarks of the datastore: inserts, heartbeats and range reads on a
//! bucket of 545k events (the size of the upstream benchmark report's window+AFK data).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark set-up")]

use aw_datastore::native::Datastore;
use aw_datastore::EventQuery;
use aw_models::time::from_nanos;
use aw_models::{Bucket, Event};
use chrono::TimeDelta;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde_json::json;

const SECOND: i64 = 1_000_000_000;
const BIG_BUCKET_EVENTS: i64 = 545_000;
/// 2025-01-01T00:00:00Z.
const ORIGIN: i64 = 1_735_689_600 * SECOND;

fn bucket(id: &str) -> Bucket {
    serde_json::from_value(
        json!({"id": id, "type": "currentwindow", "client": "bench", "hostname": "host"}),
    )
    .unwrap()
}

/// Event `idx` of a window-like stream: one every 58 s, lasting 55 s, 40 distinct titles.
fn window_event(idx: i64) -> Event {
    let data = json!({"app": format!("app{}", idx % 7), "title": format!("title {}", idx % 40)});
    Event::new(
        from_nanos(ORIGIN + idx * 58 * SECOND),
        TimeDelta::seconds(55),
        data.as_object().unwrap().clone(),
    )
}

fn fill(datastore: &Datastore, bucket_id: &str, n_events: i64) {
    for chunk_start in (0..n_events).step_by(10_000) {
        let chunk = (chunk_start..(chunk_start + 10_000).min(n_events))
            .map(window_event)
            .collect();
        datastore.insert_events(bucket_id, chunk).unwrap();
    }
}

fn bench_writes(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let datastore = Datastore::open_file(&dir.path().join("writes.db")).unwrap();
    datastore.create_bucket(bucket("w")).unwrap();
    let mut group = c.benchmark_group("datastore_writes");
    group.throughput(Throughput::Elements(1000));
    let mut next = 0;
    group.bench_function("insert_1000_events_one_request", |b| {
        b.iter_batched(
            || {
                next += 1000;
                (next - 1000..next).map(window_event).collect::<Vec<_>>()
            },
            |events| datastore.insert_events("w", events).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.throughput(Throughput::Elements(1));
    datastore.create_bucket(bucket("hb")).unwrap();
    let mut second = 0;
    group.bench_function("heartbeat_merging", |b| {
        b.iter(|| {
            second += 1;
            let mut heartbeat = window_event(0);
            heartbeat.timestamp = from_nanos(ORIGIN + second * SECOND);
            heartbeat.duration = TimeDelta::zero();
            datastore.heartbeat("hb", heartbeat, 2.0).unwrap()
        })
    });
    group.bench_function("heartbeat_distinct_data", |b| {
        b.iter(|| {
            second += 1;
            let mut heartbeat = window_event(second);
            heartbeat.timestamp = from_nanos(ORIGIN + second * SECOND);
            datastore.heartbeat("hb", heartbeat, 2.0).unwrap()
        })
    });
    group.finish();
}

fn bench_reads(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let datastore = Datastore::open_file(&dir.path().join("reads.db")).unwrap();
    datastore.create_bucket(bucket("big")).unwrap();
    fill(&datastore, "big", BIG_BUCKET_EVENTS);
    let last = ORIGIN + BIG_BUCKET_EVENTS * 58 * SECOND;
    let mut group = c.benchmark_group("datastore_reads_545k");
    group.sample_size(20);
    for (name, span) in [
        ("1_day", 86_400),
        ("1_week", 7 * 86_400),
        ("30_days", 30 * 86_400),
    ] {
        let query = EventQuery {
            start: Some(from_nanos(last - span * SECOND)),
            end: Some(from_nanos(last)),
            limit: None,
        };
        let n_events = datastore.get_events("big", query).unwrap().len();
        group.throughput(Throughput::Elements(n_events as u64));
        group.bench_function(name, |b| {
            b.iter(|| datastore.get_events("big", query).unwrap())
        });
    }
    group.throughput(Throughput::Elements(100));
    let newest = EventQuery {
        limit: Some(100),
        ..EventQuery::default()
    };
    group.bench_function("newest_100", |b| {
        b.iter(|| datastore.get_events("big", newest).unwrap())
    });
    group.bench_function("count_all", |b| {
        b.iter(|| {
            datastore
                .get_event_count("big", EventQuery::default())
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_writes, bench_reads);
criterion_main!(benches);
