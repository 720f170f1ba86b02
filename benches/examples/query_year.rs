//! Timing harness for the query engine: aw-webui's desktop query (docs/QUERY.md §9.1)
//! over a year of generated data (545k events) in a `MemoryDatastore`, which shares
//! equal data in one `Arc` as the server's reads do. It runs with the server's
//! allocator (mimalloc, transparent huge pages off) so that timings match the server.
//!
//! `cargo run --release -p aw-benches --example query_year -- 20` prints the sharing
//! of each bucket, the result's size and hash (to check that a change keeps results
//! identical), and the minimum and median wall and thread CPU time of 20 runs. With
//! `MICRO=1` it times single transforms on the year's events instead. It asserts
//! nothing about timings: they depend on the machine and its load.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "timing harness"
)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use aw_benches::gen::GenConfig;
use aw_models::TimeInterval;
use aw_query::{query, MemoryDatastore, QueryDatastore};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../benches/common/mod.rs"]
mod common;

use common::{dataset, full_desktop_query};

fn main() {
    rustix::thread::disable_transparent_huge_pages(true).unwrap();
    let iters: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().unwrap())
        .unwrap_or(10);
    let config = GenConfig::default();
    let (datastore, interval) = dataset(&config);
    for bucket in datastore.get_buckets().unwrap() {
        let events = datastore
            .get_events(&bucket.id, *interval.start(), *interval.end())
            .unwrap();
        let distinct: HashSet<*const _> = events.iter().map(|e| Arc::as_ptr(&e.data)).collect();
        eprintln!(
            "{}: {} events, {} distinct data",
            bucket.id,
            events.len(),
            distinct.len()
        );
    }
    if std::env::var("MICRO").is_ok() {
        micro(&datastore, &interval, iters);
        return;
    }
    let code = full_desktop_query(&config.hostname);
    let result = query(&code, &interval, &datastore).unwrap();
    let json = serde_json::to_vec(&result).unwrap();
    eprintln!("result {} bytes, hash {:x}", json.len(), fnv1a(&json));
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    let thread_cpu = || {
        let ts = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6
    };
    for _ in 0..iters {
        let t = Instant::now();
        let c = thread_cpu();
        let r = query(&code, &interval, &datastore).unwrap();
        drop(r);
        cpu.push(thread_cpu() - c);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    cpu.sort_by(|a, b| a.partial_cmp(b).unwrap());
    eprintln!(
        "cpu: min {:.1} ms  median {:.1} ms",
        cpu[0],
        cpu[cpu.len() / 2]
    );
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    eprintln!(
        "min {:.1} ms  median {:.1} ms  max {:.1} ms  ({} runs)",
        times[0],
        times[times.len() / 2],
        times[times.len() - 1],
        times.len()
    );
}

/// FNV-1a: a stable digest of the result's JSON.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

fn time_min<T>(iters: usize, mut f: impl FnMut() -> T) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..iters {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        drop(r);
    }
    best
}

fn micro(datastore: &MemoryDatastore, interval: &TimeInterval, iters: usize) {
    use aw_query::transform;
    let get = |id: &str| {
        datastore
            .get_events(id, *interval.start(), *interval.end())
            .unwrap()
    };
    let window = get("aw-watcher-window_benchhost");
    let firefox = get("aw-watcher-web-firefox_benchhost");
    let pulse = chrono::TimeDelta::seconds(5);
    eprintln!(
        "flood window   {:.2} ms",
        time_min(iters, || transform::flood(window.clone(), pulse))
    );
    eprintln!(
        "flood firefox  {:.2} ms",
        time_min(iters, || transform::flood(firefox.clone(), pulse))
    );
    let w = transform::flood(window.clone(), pulse);
    let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let k_at = keys(&["app", "title"]);
    eprintln!(
        "merge app,title {:.2} ms",
        time_min(iters, || transform::merge_events_by_keys(
            w.iter().collect(),
            &k_at
        ))
    );
    let k_a = keys(&["app"]);
    eprintln!(
        "merge app      {:.2} ms",
        time_min(iters, || transform::merge_events_by_keys(
            w.iter().collect(),
            &k_a
        ))
    );
    eprintln!(
        "split firefox  {:.2} ms",
        time_min(iters, || transform::split_url_events(firefox.clone()))
    );
    let split = transform::split_url_events(firefox.clone());
    eprintln!(
        "split again    {:.2} ms",
        time_min(iters, || transform::split_url_events(split.clone()))
    );
    let k_u = keys(&["url"]);
    eprintln!(
        "merge url      {:.2} ms",
        time_min(iters, || transform::merge_events_by_keys(
            split.iter().collect(),
            &k_u
        ))
    );
    let k_t = keys(&["title"]);
    eprintln!(
        "merge title    {:.2} ms",
        time_min(iters, || transform::merge_events_by_keys(
            split.iter().collect(),
            &k_t
        ))
    );
    let afk = transform::flood(get("aw-watcher-afk_benchhost"), pulse);
    eprintln!(
        "fpi window     {:.2} ms",
        time_min(iters, || transform::filter_period_intersect(
            w.clone(),
            afk.clone()
        ))
    );
    let vals = [serde_json::json!("org.mozilla.firefox")];
    eprintln!(
        "filter_keyvals {:.2} ms",
        time_min(iters, || transform::filter_keyvals(
            w.iter().collect(),
            "app",
            &vals
        ))
    );
    eprintln!(
        "sum_durations  {:.2} ms",
        time_min(iters, || transform::sum_durations(&w))
    );
}
