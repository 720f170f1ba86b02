//! Sequential benchmarks: REST reads and `/query` calls sent one at a time over one
//! keep-alive connection (warm-up, then timed iterations, p50/p95).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use aw_models::time::format_datetime;

use super::queries::{browser_query, desktop_query, query_body};
use super::{Bench, Request, Settings};
use crate::client::{bucket_path, Server};
use crate::error::Result;
use crate::report::{latency_metrics, Row};

const REST: &str = "REST endpoints (sequential)";
const QUERY: &str = "/query: aw-webui desktop query (sequential)";
/// aw-webui posts to the path with the trailing slash (the Python server insists on it).
pub(crate) const QUERY_PATH: &str = "/api/0/query/";

/// Timed samples of one request.
pub(crate) struct Sampled {
    pub(crate) durations: Vec<Duration>,
    /// Size of the last response body.
    pub(crate) bytes: usize,
}

/// Sends `request` `settings.warmup` times untimed, then up to `settings.iterations`
/// times timed, stopping early (after `min_iterations`) once `time_budget` is spent.
pub(crate) fn sample(settings: &Settings, server: &Server, request: &Request) -> Result<Sampled> {
    let started = Instant::now();
    for _ in 0..settings.warmup {
        request.send(server)?;
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
        let reply = request.send(server)?;
        durations.push(reply.elapsed);
        bytes = reply.body.len();
    }
    Ok(Sampled { durations, bytes })
}

fn measure(
    bench: &mut Bench<'_>,
    id: &str,
    group: &str,
    name: &str,
    request: Request,
) -> Result<()> {
    if !bench.wants(id) {
        return Ok(());
    }
    let sampled = sample(bench.settings, bench.server, &request)?;
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

/// The `/query` rows: the desktop query over growing ranges, the browser query, and
/// seven one-day periods in one request.
pub(crate) fn queries(bench: &mut Bench<'_>) -> Result<()> {
    let target = bench.target;
    let desktop = desktop_query(target);
    let post = |lines: &[String], periods: &[(DateTime<Utc>, DateTime<Utc>)]| {
        Request::Post(QUERY_PATH.to_string(), query_body(lines, periods))
    };
    let spans = [
        ("query_desktop_day", "desktop query, 1 day", 1),
        ("query_desktop_week", "desktop query, 1 week", 7),
        ("query_desktop_month", "desktop query, 1 month", 30),
        ("query_desktop_year", "desktop query, 1 year", 365),
    ];
    for (id, name, days) in spans {
        measure(
            bench,
            id,
            QUERY,
            name,
            post(&desktop, &[target.last_days(days)]),
        )?;
    }
    let browser = post(&browser_query(target), &[target.last_days(7)]);
    measure(
        bench,
        "query_browser_week",
        QUERY,
        "browser query, 1 week",
        browser,
    )?;
    let days: Vec<_> = (0..7).rev().map(|offset| target.day_back(offset)).collect();
    measure(
        bench,
        "query_desktop_7x1day",
        QUERY,
        "desktop query, 7 × 1-day periods",
        post(&desktop, &days),
    )
}
