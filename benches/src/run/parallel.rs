//! Concurrency benchmarks: N clients on their own connections, each sending requests
//! back to back for a fixed window; throughput and latency percentiles. The day queries
//! are cold (no two alike), so a result cache cannot answer them.

use std::thread;
use std::time::{Duration, Instant};

use super::queries::{cold_periods, desktop_query, query_body, Series};
use super::sequential::QUERY_PATH;
use super::{Bench, Request};
use crate::client::Server;
use crate::error::{BenchError, Result};
use crate::report::{percentile, Better, Metric, Row};

/// Days back from the last event that the parallel requests spread over.
const SPREAD_DAYS: usize = 30;

/// Builds the `n`-th request of client `client`.
pub(crate) type MakeRequest<'a> = &'a (dyn Fn(usize, usize) -> Request + Sync);

/// What a group of clients achieved.
pub(crate) struct Outcome {
    pub(crate) completed: usize,
    pub(crate) wall: Duration,
    pub(crate) latencies: Vec<Duration>,
}

impl Outcome {
    fn throughput(&self) -> f64 {
        self.completed as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// Runs `clients` threads until `window` has passed, each sending `make(client, n)` for
/// its n-th request. Requests in flight at the deadline finish and are counted; the wall
/// time ends when the last one does.
pub(crate) fn run_clients(
    server: &Server,
    clients: usize,
    window: Duration,
    make: MakeRequest<'_>,
) -> Result<Outcome> {
    let started = Instant::now();
    let deadline = started + window;
    let per_client: Vec<Result<Vec<Duration>>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|client| {
                let server = server.clone();
                scope.spawn(move || -> Result<Vec<Duration>> {
                    let mut latencies = Vec::new();
                    while Instant::now() < deadline {
                        let reply = make(client, latencies.len()).send(&server)?;
                        latencies.push(reply.elapsed);
                    }
                    Ok(latencies)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or(Err(BenchError::WorkerPanicked { what: "parallel" }))
            })
            .collect()
    });
    let wall = started.elapsed();
    let mut latencies = Vec::new();
    for client in per_client {
        latencies.extend(client?);
    }
    Ok(Outcome {
        completed: latencies.len(),
        wall,
        latencies,
    })
}

/// Throughput and latency metrics of an outcome.
fn outcome_metrics(outcome: &Outcome) -> Vec<Metric> {
    vec![
        Metric::new("throughput", outcome.throughput(), "req/s", Better::Higher),
        Metric::millis("p50", percentile(&outcome.latencies, 50.0)),
        Metric::millis("p95", percentile(&outcome.latencies, 95.0)),
    ]
}

/// The two concurrency rows: desktop day-queries and one-day event-range fetches.
pub(crate) fn concurrency(bench: &mut Bench<'_>) -> Result<()> {
    let clients = bench.settings.parallel_clients;
    let group = format!("Concurrency ({clients} parallel clients)");
    let target = bench.target;
    let day = move |client: usize, n: usize| {
        target.day_back(((client + clients * n) % SPREAD_DAYS) as i64)
    };
    let desktop = desktop_query(target);
    let salt = bench.cold_salt;
    // Every query a new period (cold), as in the sequential rows: after a round over the
    // 30 days, the next round moves its days back a little.
    let make_query = |client: usize, n: usize| {
        let round = (client + clients * n) / SPREAD_DAYS;
        let periods = cold_periods(&[day(client, n)], Series::Parallel, round, salt);
        Request::Post(QUERY_PATH.to_string(), query_body(&desktop, &periods))
    };
    let make_range = |client: usize, n: usize| {
        let (start, end) = day(client, n);
        let query = format!(
            "/events?start={}&end={}",
            aw_models::time::format_datetime(&start),
            aw_models::time::format_datetime(&end)
        );
        Request::Get(crate::client::bucket_path(&target.window, &query))
    };
    let rows: [(&str, &str, MakeRequest<'_>); 2] = [
        (
            "parallel_day_queries",
            "day queries (desktop query, 1 day)",
            &make_query,
        ),
        (
            "parallel_range_fetches",
            "event-range fetches (1 day)",
            &make_range,
        ),
    ];
    for (id, name, make) in rows {
        if !bench.wants(id) {
            continue;
        }
        let outcome = run_clients(bench.server, clients, bench.settings.parallel_window, make)?;
        bench.push(Row {
            id: id.to_string(),
            group: group.clone(),
            name: name.to_string(),
            samples: outcome.completed,
            metrics: outcome_metrics(&outcome),
            note: Some(format!("{:.1} s window", outcome.wall.as_secs_f64())),
        });
    }
    Ok(())
}
