//! Write benchmarks on a scratch bucket that the run creates and deletes: heartbeat
//! latency while year-range queries run in parallel (the watcher-starvation scenario of
//! PR #615), and sequential heartbeat throughput with distinct and with merging data.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::json;

use super::queries::{cold_periods, desktop_query, query_body, Period, Series};
use super::sequential::QUERY_PATH;
use super::target::SCRATCH_PREFIX;
use super::{Bench, Request};
use crate::client::{bucket_path, Server};
use crate::error::{BenchError, Result};
use crate::report::{latency_metrics, Better, Metric, Row};

const UNDER_LOAD: &str = "Heartbeat latency while year-range queries run";
const THROUGHPUT: &str = "Write throughput (sequential heartbeats)";
const ROW_IDS: [&str; 3] = [
    "heartbeat_under_query_load",
    "heartbeat_throughput_distinct",
    "heartbeat_throughput_merging",
];
/// Heartbeats sent before a throughput measurement starts.
const WARMUP_HEARTBEATS: usize = 10;

/// A bucket for heartbeats, deleted again when dropped.
struct Scratch<'a> {
    server: &'a Server,
    id: String,
    /// Timestamp of the next heartbeat; advances one second per heartbeat, so heartbeats
    /// with equal data merge under `pulsetime=2`.
    clock: DateTime<Utc>,
}

impl Scratch<'_> {
    fn create(server: &Server) -> Result<Scratch<'_>> {
        let id = format!("{SCRATCH_PREFIX}_{}", std::process::id());
        match server.delete(&bucket_path(&id, "?force=1")) {
            Err(err) if !err.is_not_found() => return Err(err),
            _ => {}
        }
        let bucket = json!({"client": "aw-bench", "type": "currentwindow", "hostname": "aw-bench"});
        server.post_json(&bucket_path(&id, ""), &bucket)?;
        Ok(Scratch {
            server,
            id,
            clock: Utc::now(),
        })
    }

    fn heartbeat(&mut self, title: &str) -> Request {
        let body = json!({
            "timestamp": aw_models::time::format_datetime(&self.clock),
            "duration": 0,
            "data": {"app": "aw-bench", "title": title},
        });
        self.clock += chrono::TimeDelta::seconds(1);
        let path = bucket_path(&self.id, "/heartbeat?pulsetime=2");
        Request::Post(path, serde_json::to_vec(&body).unwrap_or_default())
    }
}

impl Drop for Scratch<'_> {
    fn drop(&mut self) {
        if let Err(err) = self.server.delete(&bucket_path(&self.id, "?force=1")) {
            eprintln!(
                "warning: could not delete scratch bucket {}: {err}",
                self.id
            );
        }
    }
}

/// The three heartbeat rows.
pub(crate) fn heartbeats(bench: &mut Bench<'_>) -> Result<()> {
    if !ROW_IDS.iter().any(|id| bench.wants(id)) {
        return Ok(());
    }
    let mut scratch = Scratch::create(bench.server)?;
    if bench.wants(ROW_IDS[0]) {
        let row = under_load(bench, &mut scratch)?;
        bench.push(row);
    }
    for (id, distinct) in [(ROW_IDS[1], true), (ROW_IDS[2], false)] {
        if bench.wants(id) {
            let row = throughput(bench, &mut scratch, id, distinct)?;
            bench.push(row);
        }
    }
    Ok(())
}

/// Heartbeats paced at `heartbeat_interval` while `load_query_threads` threads send the
/// desktop query over the last year back to back, for `load_window`. Every year query
/// has its own period (cold), so that a result cache cannot take the load away.
fn under_load(bench: &Bench<'_>, scratch: &mut Scratch<'_>) -> Result<Row> {
    let settings = bench.settings;
    let desktop = desktop_query(bench.target);
    let last_year: [Period; 1] = [bench.target.last_days(365)];
    let sent = AtomicUsize::new(0);
    let salt = bench.cold_salt;
    let year = || {
        let n = sent.fetch_add(1, Ordering::Relaxed);
        let periods = cold_periods(&last_year, Series::UnderLoad, n, salt);
        Request::Post(QUERY_PATH.to_string(), query_body(&desktop, &periods))
    };
    let deadline = Instant::now() + settings.load_window;
    let (latencies, queries) = thread::scope(|scope| -> Result<(Vec<Duration>, usize)> {
        let handles: Vec<_> = (0..settings.load_query_threads)
            .map(|_| {
                let server = bench.server.clone();
                let year = &year;
                scope.spawn(move || queries_until(&server, year, deadline))
            })
            .collect();
        // Let the first queries reach the server before the heartbeats start.
        thread::sleep(settings.heartbeat_interval);
        let latencies = heartbeats_until(bench, scratch, deadline)?;
        let mut queries = 0;
        for handle in handles {
            queries += handle
                .join()
                .map_err(|_| BenchError::WorkerPanicked { what: "year-query" })??;
        }
        Ok((latencies, queries))
    })?;
    let mut metrics = latency_metrics(&latencies);
    metrics
        .iter_mut()
        .for_each(|m| m.name = format!("heartbeat {}", m.name));
    let served = latencies.len() as f64;
    metrics.push(Metric::new(
        "heartbeats served",
        served,
        "count",
        Better::Higher,
    ));
    let completed = queries as f64;
    metrics.push(Metric::new(
        "queries completed",
        completed,
        "count",
        Better::Higher,
    ));
    Ok(Row {
        id: ROW_IDS[0].to_string(),
        group: UNDER_LOAD.to_string(),
        name: format!(
            "{} s window, {} query threads, 1 heartbeat / {} ms",
            settings.load_window.as_secs_f64(),
            settings.load_query_threads,
            settings.heartbeat_interval.as_millis()
        ),
        samples: latencies.len(),
        metrics,
        note: None,
    })
}

/// Sends `year()` back to back until `deadline`; returns how many finished before it.
fn queries_until(
    server: &Server,
    year: &(dyn Fn() -> Request + Sync),
    deadline: Instant,
) -> Result<usize> {
    let mut completed = 0;
    while Instant::now() < deadline {
        year().send(server)?;
        completed += usize::from(Instant::now() <= deadline);
    }
    Ok(completed)
}

/// One heartbeat per `heartbeat_interval` until `deadline`; the latencies of those
/// answered before it.
fn heartbeats_until(
    bench: &Bench<'_>,
    scratch: &mut Scratch<'_>,
    deadline: Instant,
) -> Result<Vec<Duration>> {
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let tick = Instant::now() + bench.settings.heartbeat_interval;
        let reply = scratch.heartbeat("under load").send(bench.server)?;
        if Instant::now() <= deadline {
            latencies.push(reply.elapsed);
        }
        thread::sleep(tick.saturating_duration_since(Instant::now()));
    }
    Ok(latencies)
}

/// `heartbeats` heartbeats back to back; every one new data (`distinct`) or all merging.
fn throughput(
    bench: &Bench<'_>,
    scratch: &mut Scratch<'_>,
    id: &str,
    distinct: bool,
) -> Result<Row> {
    let phase = if distinct { "distinct" } else { "merging" };
    let title = |n: usize| {
        if distinct {
            format!("{phase} {n}")
        } else {
            phase.to_string()
        }
    };
    for n in 0..WARMUP_HEARTBEATS {
        scratch
            .heartbeat(&format!("warm-up {phase} {}", n / 2))
            .send(bench.server)?;
    }
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(bench.settings.heartbeats);
    for n in 0..bench.settings.heartbeats {
        latencies.push(scratch.heartbeat(&title(n)).send(bench.server)?.elapsed);
    }
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
    let mut metrics = vec![Metric::new("throughput", rate, "req/s", Better::Higher)];
    metrics.extend(latency_metrics(&latencies));
    Ok(Row {
        id: id.to_string(),
        group: THROUGHPUT.to_string(),
        name: format!("{phase}-data heartbeats"),
        samples: latencies.len(),
        metrics,
        note: None,
    })
}
