//! [`RequestMetrics`]: the fairing that counts every HTTP request by route template,
//! method and status class, with a latency histogram per route, for
//! `GET /api/0/metrics` (`metrics.rs` writes them out).
//!
//! What must stay true: the hot path takes no lock and allocates nothing. The table
//! of routes is built once, at ignite, from the mounted routes (so label cardinality
//! is bounded by the route table, never by request paths) and is read-only after;
//! each request does one hash lookup by the matched route's URI template and a few
//! relaxed atomic additions. Requests no route matched count as `unmatched`, those a
//! request fairing refused (Host, CORS, API key) as `refused`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::http::Method;
use rocket::{Build, Data, Request, Response, Rocket};

use crate::endpoints::refusal;

/// Upper bounds (seconds) of the request latency histogram.
pub(crate) const LATENCY_BOUNDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Status classes counted: 1xx to 5xx (anything else counts as 5xx).
pub(crate) const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// The figures of one route template and method.
pub(crate) struct RouteStats {
    /// The method label (`GET`, …).
    pub(crate) method: String,
    /// The route label: the mounted path template, `unmatched` or `refused`.
    pub(crate) route: String,
    /// Requests answered, by status class ([`STATUS_CLASSES`]).
    pub(crate) by_class: [AtomicU64; 5],
    /// Requests by latency, one slot per bound of [`LATENCY_BOUNDS`] plus one above.
    pub(crate) latency: Vec<AtomicU64>,
    /// Sum of the latencies, in nanoseconds.
    pub(crate) latency_nanos: AtomicU64,
}

impl RouteStats {
    fn new(method: &str, route: &str) -> RouteStats {
        RouteStats {
            method: method.to_string(),
            route: route.to_string(),
            by_class: Default::default(),
            latency: (0..=LATENCY_BOUNDS.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            latency_nanos: AtomicU64::new(0),
        }
    }

    fn record(&self, status: u16, elapsed_nanos: u64) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        if let Some(counter) = self.by_class.get(class) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        #[allow(clippy::cast_precision_loss)] // nanoseconds: exact far beyond any latency
        let seconds = elapsed_nanos as f64 / 1e9;
        let slot = LATENCY_BOUNDS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BOUNDS.len());
        if let Some(counter) = self.latency.get(slot) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        self.latency_nanos
            .fetch_add(elapsed_nanos, Ordering::Relaxed);
    }
}

/// Every route's figures, fixed at ignite (managed state).
pub(crate) struct RouteTable {
    /// In label order.
    pub(crate) stats: Vec<RouteStats>,
    /// Route URI template (with its query part) → (method, index into `stats`).
    index: HashMap<String, Vec<(Method, usize)>>,
    unmatched: usize,
    refused: usize,
}

impl RouteTable {
    fn build(rocket: &Rocket<Build>) -> RouteTable {
        let mut stats: Vec<RouteStats> = Vec::new();
        let mut by_label: HashMap<(String, String), usize> = HashMap::new();
        let mut index: HashMap<String, Vec<(Method, usize)>> = HashMap::new();
        let mut slot_for = |stats: &mut Vec<RouteStats>, method: &str, route: &str| {
            *by_label
                .entry((method.to_string(), route.to_string()))
                .or_insert_with(|| {
                    stats.push(RouteStats::new(method, route));
                    stats.len() - 1
                })
        };
        for route in rocket.routes() {
            // Routes differing only in rank or query share one label.
            let slot = slot_for(&mut stats, route.method.as_str(), route.uri.path());
            index
                .entry(route.uri.as_str().to_string())
                .or_default()
                .push((route.method, slot));
        }
        let unmatched = slot_for(&mut stats, "ANY", "unmatched");
        let refused = slot_for(&mut stats, "ANY", "refused");
        RouteTable {
            stats,
            index,
            unmatched,
            refused,
        }
    }

    fn stats_for(&self, request: &Request<'_>) -> Option<&RouteStats> {
        let slot = if refusal::is_refused(request) {
            self.refused
        } else {
            request
                .route()
                .and_then(|route| {
                    self.index
                        .get(route.uri.as_str())?
                        .iter()
                        .find(|(method, _)| *method == route.method)
                        .map(|(_, slot)| *slot)
                })
                .unwrap_or(self.unmatched)
        };
        self.stats.get(slot)
    }
}

/// When the request arrived (request-local cache).
struct RequestStart(Instant);

/// The request-counting fairing; attach it first, so its clock starts first.
pub(crate) struct RequestMetrics;

#[rocket::async_trait]
impl Fairing for RequestMetrics {
    fn info(&self) -> Info {
        Info {
            name: "Request metrics",
            kind: Kind::Ignite | Kind::Request | Kind::Response,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        let table = RouteTable::build(&rocket);
        Ok(rocket.manage(table))
    }

    async fn on_request(&self, request: &mut Request<'_>, _data: &mut Data<'_>) {
        request.local_cache(|| RequestStart(Instant::now()));
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let Some(table) = request.rocket().state::<RouteTable>() else {
            return;
        };
        let started = request.local_cache(|| RequestStart(Instant::now())).0;
        let elapsed = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        if let Some(stats) = table.stats_for(request) {
            stats.record(response.status().code, elapsed);
        }
    }
}
