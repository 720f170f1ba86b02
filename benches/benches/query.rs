//! Criterion benchmark of the query engine: aw-webui's `fullDesktopQuery` (docs/QUERY.md §9.1)
//! over generated window, AFK and browser data held in an in-memory datastore, at
//! 10k, 100k and 1M events, with throughput in events per second.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "benchmark set-up"
)]

use aw_benches::gen::GenConfig;
use aw_models::TimeInterval;
use aw_query::{query, MemoryDatastore};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

mod common;

use common::full_desktop_query;

/// A datastore holding a generated dataset of `n_events`, and the period covering it.
fn dataset(n_events: usize) -> (MemoryDatastore, TimeInterval) {
    // Same density as the default dataset (545k events over 380 days).
    let days = (n_events * 380 / 545_000).max(1) as u32;
    common::dataset(&GenConfig {
        events: n_events,
        days,
        ..GenConfig::default()
    })
}

fn bench_full_desktop_query(c: &mut Criterion) {
    let code = full_desktop_query(&GenConfig::default().hostname);
    let mut group = c.benchmark_group("full_desktop_query");
    group.sample_size(10);
    for (label, n_events) in [("10k", 10_000), ("100k", 100_000), ("1M", 1_000_000)] {
        let (datastore, interval) = dataset(n_events);
        group.throughput(Throughput::Elements(n_events as u64));
        group.bench_function(format!("eval/{label}"), |b| {
            b.iter(|| query(&code, &interval, &datastore).unwrap())
        });
        group.bench_function(format!("eval_and_json/{label}"), |b| {
            b.iter(|| serde_json::to_vec(&query(&code, &interval, &datastore).unwrap()).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_full_desktop_query);
criterion_main!(benches);
