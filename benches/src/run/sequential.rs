//! Sequential benchmarks: the sampling loop (warm-up, then timed iterations, p50/p95) that
//! the REST rows here and the `/query` rows of [`super::query_rows`] share, sending one
//! request at a time over one keep-alive connection.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use aw_models::time::format_datetime;

use super::{Bench, Request, Settings};
use crate::client::{bucket_path, Server};
use crate::error::Result;
use crate::report::{latency_metrics, Row};

const REST: &str = "REST endpoints (sequential)";
/// aw-webui posts to the path with the trailing slash (the Python server insists on it).
pub(crate) const QUERY_PATH: &str = "/api/0/query/";

/// Timed samples of one request.
pub(crate) struct Sampled {
    pub(crate) durations: Vec<Duration>,
    /// Size of the last response body.
    pub(crate) bytes: usize,
}

/// Sends a request `settings.warmup` times untimed, then up to `settings.iterations`
/// times timed, stopping early (after `min_iterations`) once `time_budget` is spent.
/// `prepare(n)` builds the `n`-th request (warm-ups count first), untimed; it may also
/// change the server first (the after-write rows insert an event there).
pub(crate) fn sample(
    settings: &Settings,
    server: &Server,
    prepare: &mut dyn FnMut(usize) -> Result<Request>,
) -> Result<Sampled> {
    let started = Instant::now();
    let mut sent = 0;
    for _ in 0..settings.warmup {
        prepare(sent)?.send(server)?;
        sent += 1;
        // A very slow request is its own warm-up; don't spend the budget on more.
        if started.elapsed() > settings.time_budget / 4 {
            break;
        }
    }
    let timed_from = Instant::now();
    let mut durations = Vec::with_capacity(settings.iterations);
    let mut bytes = 0;
    while durations.len() < settings.iterations
        && (durations.len() < settings.min_iterations
            || timed_from.elapsed() < settings.time_budget)
    {
        let request = prepare(sent)?;
        sent += 1;
        let reply = request.send(server)?;
        durations.push(reply.elapsed);
        bytes = reply.body.len();
    }
    Ok(Sampled { durations, bytes })
}

/// Samples the requests `prepare` builds and records them as row `id` (when selected).
pub(crate) fn measure_each(
    bench: &mut Bench<'_>,
    (id, group, name): (&str, &str, &str),
    prepare: &mut dyn FnMut(usize) -> Result<Request>,
) -> Result<()> {
    if !bench.wants(id) {
        return Ok(());
    }
    let sampled = sample(bench.settings, bench.server, prepare)?;
    bench.push(Row {
        id: id.to_string(),
        group: group.to_string(),
        name: name.to_string(),
        samples: sampled.durations.len(),
        metrics: latency_metrics(&sampled.durations),
        note: Some(format!("{} bytes per response", sampled.bytes)),
    });
    Ok(())
}

fn measure(
    bench: &mut Bench<'_>,
    id: &str,
    group: &str,
    name: &str,
    request: Request,
) -> Result<()> {
    measure_each(bench, (id, group, name), &mut |_| Ok(request.clone()))
}

fn range_path(bucket_id: &str, (start, end): (DateTime<Utc>, DateTime<Utc>)) -> String {
    let query = format!(
        "/events?start={}&end={}",
        format_datetime(&start),
        format_datetime(&end)
    );
    bucket_path(bucket_id, &query)
}

/// The REST rows: bucket list, newest-N fetches, range fetches, count.
pub(crate) fn rest(bench: &mut Bench<'_>) -> Result<()> {
    let target = bench.target;
    let window = &target.window;
    measure(
        bench,
        "buckets_list",
        REST,
        "GET /buckets/",
        Request::Get("/api/0/buckets/".into()),
    )?;
    for limit in [100, 1000, 10000] {
        let path = bucket_path(window, &format!("/events?limit={limit}"));
        let name = format!("events ?limit={limit}");
        measure(
            bench,
            &format!("events_limit_{limit}"),
            REST,
            &name,
            Request::Get(path),
        )?;
    }
    let ranges = [
        (
            "events_range_day",
            "events, 1-day range",
            target.last_days(1),
        ),
        (
            "events_range_week",
            "events, 1-week range",
            target.last_days(7),
        ),
        (
            "events_range_month",
            "events, 1-month range",
            target.last_days(30),
        ),
        (
            "events_range_mid_week",
            "events, mid-history week",
            target.mid_week(),
        ),
    ];
    for (id, name, range) in ranges {
        measure(
            bench,
            id,
            REST,
            name,
            Request::Get(range_path(window, range)),
        )?;
    }
    let count = Request::Get(bucket_path(window, "/events/count"));
    measure(
        bench,
        "events_count",
        REST,
        "event count (full bucket)",
        count,
    )
}
