//! `aw-bench run`: every benchmark of upstream PR #615's report, measured over HTTP
//! against any ActivityWatch server that holds a dataset (see [`crate::load`]).
//!
//! Sections, in order: sequential REST reads, `/query` calls cold, repeated and after a
//! late write (warm-up, then timed iterations, p50/p95), 8 parallel clients, heartbeat
//! latency under a year-query load, sequential heartbeat throughput, the server's peak
//! memory during a full export, the import and the one-big-POST of the whole dataset, and
//! last the server's memory at rest. Every time range is relative to the end of the
//! newest window event; the rows that write leave the dataset as they found it.

mod bulk;
mod memory;
mod parallel;
mod queries;
mod query_rows;
mod sequential;
mod target;
mod writes;

use std::time::{Duration, Instant};

use chrono::TimeDelta;

use crate::client::{Reply, Server};
use crate::error::Result;
use crate::report::{format_value, DatasetInfo, Report, Row};

pub use self::target::Target;

/// What to run against which server.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Server base URL.
    pub url: String,
    /// Name of this run in the report.
    pub label: String,
    /// Few iterations and short windows: a smoke check that takes seconds.
    pub quick: bool,
    /// Server process id, for the memory row (Linux `/proc`).
    pub pid: Option<u32>,
    /// Only run rows whose id contains one of these (all when empty).
    pub only: Vec<String>,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// Iteration counts and time windows; [`Settings::full`] or [`Settings::quick`].
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Untimed requests before the timed ones.
    pub warmup: usize,
    /// Timed requests per benchmark (fewer when `time_budget` runs out).
    pub iterations: usize,
    /// Timed requests per benchmark even when over budget.
    pub min_iterations: usize,
    /// Time after which a benchmark stops once it has `min_iterations`.
    pub time_budget: Duration,
    /// Clients in the concurrency benchmarks.
    pub parallel_clients: usize,
    /// Duration of each concurrency benchmark.
    pub parallel_window: Duration,
    /// Duration of the heartbeat-under-load benchmark.
    pub load_window: Duration,
    /// Threads sending year-range queries during that benchmark.
    pub load_query_threads: usize,
    /// Pause between heartbeats during that benchmark (a busy watcher).
    pub heartbeat_interval: Duration,
    /// Heartbeats per sequential throughput benchmark.
    pub heartbeats: usize,
    /// Timed requests of the import and big-POST rows (at least one, fewer when
    /// `time_budget` runs out).
    pub bulk_repetitions: usize,
    /// Time without requests before the idle-memory row reads the server's RSS.
    pub idle_pause: Duration,
}

impl Settings {
    /// The settings of a real measurement.
    pub fn full() -> Settings {
        Settings {
            warmup: 3,
            iterations: 30,
            min_iterations: 5,
            time_budget: Duration::from_secs(20),
            parallel_clients: 8,
            parallel_window: Duration::from_secs(15),
            load_window: Duration::from_secs(12),
            load_query_threads: 2,
            heartbeat_interval: Duration::from_millis(50),
            heartbeats: 2000,
            bulk_repetitions: 3,
            idle_pause: Duration::from_secs(10),
        }
    }

    /// Settings for a smoke run on a tiny dataset.
    pub fn quick() -> Settings {
        Settings {
            warmup: 1,
            iterations: 3,
            min_iterations: 2,
            time_budget: Duration::from_secs(1),
            parallel_clients: 8,
            parallel_window: Duration::from_millis(700),
            load_window: Duration::from_millis(1500),
            load_query_threads: 2,
            heartbeat_interval: Duration::from_millis(50),
            heartbeats: 50,
            bulk_repetitions: 2,
            idle_pause: Duration::from_millis(500),
        }
    }
}

/// One HTTP request of a benchmark, prepared once and sent many times.
#[derive(Debug, Clone)]
pub(crate) enum Request {
    Get(String),
    Post(String, Vec<u8>),
}

impl Request {
    pub(crate) fn send(&self, server: &Server) -> Result<Reply> {
        match self {
            Request::Get(path) => server.get(path),
            Request::Post(path, body) => server.post_raw(path, body.clone()),
        }
    }
}

/// State shared by the benchmark sections: where, what, how long, and the results.
pub(crate) struct Bench<'a> {
    pub(crate) server: &'a Server,
    pub(crate) target: &'a Target,
    pub(crate) settings: &'a Settings,
    pub(crate) pid: Option<u32>,
    /// This run's sub-second offset of the cold query periods (1–999 ms), so that they
    /// differ from the repeated rows' periods and from an earlier run's.
    pub(crate) cold_salt: TimeDelta,
    only: &'a [String],
    rows: Vec<Row>,
}

impl Bench<'_> {
    /// Whether the row `id` is selected by `--only`.
    pub(crate) fn wants(&self, id: &str) -> bool {
        self.only.is_empty()
            || self
                .only
                .iter()
                .any(|pattern| id.contains(pattern.as_str()))
    }

    /// Records a result and prints it as progress.
    pub(crate) fn push(&mut self, row: Row) {
        let values: Vec<String> = row
            .metrics
            .iter()
            .map(|m| format!("{} {}", m.name, format_value(m.value, &m.unit)))
            .collect();
        eprintln!("  {:<44} {}", row.name, values.join(", "));
        self.rows.push(row);
    }
}

/// Runs the suite and returns the report (the caller writes and prints it).
pub fn run(config: &RunConfig) -> Result<Report> {
    let started = chrono::Utc::now();
    let server = Server::new(&config.url, config.timeout)?;
    let info: serde_json::Value = server.get_json("/api/0/info")?;
    let server_version = info
        .get("version")
        .and_then(|v| v.as_str())
        .unwrap_or("unknown")
        .to_string();
    let target = Target::discover(&server)?;
    eprintln!("{} ({server_version}): {target}", config.url);
    let settings = if config.quick {
        Settings::quick()
    } else {
        Settings::full()
    };
    let mut bench = Bench {
        server: &server,
        target: &target,
        settings: &settings,
        pid: config.pid,
        cold_salt: TimeDelta::milliseconds(i64::from(started.timestamp_subsec_millis() % 999 + 1)),
        only: &config.only,
        rows: Vec::new(),
    };
    let clock = Instant::now();
    sequential::rest(&mut bench)?;
    query_rows::queries(&mut bench)?;
    parallel::concurrency(&mut bench)?;
    writes::heartbeats(&mut bench)?;
    memory::export(&mut bench)?;
    bulk::bulk_writes(&mut bench)?;
    memory::idle(&mut bench)?;
    eprintln!("finished in {:.1} s", clock.elapsed().as_secs_f64());
    Ok(Report {
        label: config.label.clone(),
        url: config.url.clone(),
        server_version,
        started: aw_models::time::format_datetime(&started),
        quick: config.quick,
        dataset: DatasetInfo {
            buckets: target.counts.clone(),
            last_event: aw_models::time::format_datetime(&target.last),
            first_event: aw_models::time::format_datetime(&target.first),
        },
        rows: bench.rows,
    })
}
