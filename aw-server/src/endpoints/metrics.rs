//! `GET /api/0/metrics` (ours; upstream has none): the server's figures in the
//! Prometheus text exposition format 0.0.4: requests by route and status class with
//! latency histograms (`request_metrics.rs`), and the datastore's queue depth, commit
//! latency and batch sizes, heartbeats merged or inserted, file size and events per
//! bucket (`Datastore::metrics`).
//!
//! What must stay true: a scrape is cheap (atomic loads, one worker round trip that
//! reads cached counts) and the output is valid exposition text: every family has
//! `# HELP` and `# TYPE`, label values are escaped, a histogram's buckets are
//! cumulative and its `+Inf` bucket equals its `_count`.

use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use aw_datastore::native::Datastore;
use aw_datastore::{DatastoreMetrics, Histogram};
use rocket::http::ContentType;
use rocket::{Route, State};

use crate::endpoints::request_metrics::{RouteTable, LATENCY_BOUNDS, STATUS_CLASSES};
use crate::endpoints::run_blocking;
use crate::error::ApiError;
use crate::query_cache::QueryCache;

#[rocket::get("/metrics")]
async fn get_metrics(
    datastore: &State<Datastore>,
    table: &State<RouteTable>,
    cache: &State<Arc<QueryCache>>,
) -> Result<(ContentType, String), ApiError> {
    let datastore = datastore.inner().clone();
    let store = run_blocking(move || Ok(datastore.metrics()?)).await?;
    let mut text = String::with_capacity(16 * 1024);
    write_requests(&mut text, table);
    write_datastore(&mut text, &store);
    write_query_cache(&mut text, cache);
    let content_type =
        ContentType::new("text", "plain").with_params([("version", "0.0.4"), ("charset", "utf-8")]);
    Ok((content_type, text))
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![get_metrics]
}

/// A label value as the format wants it: `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn header(text: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The `_bucket`, `_sum` and `_count` lines of one histogram; `labels` is empty or
/// ends with a comma.
fn histogram_lines(
    text: &mut String,
    name: &str,
    labels: &str,
    bounds: &[f64],
    counts: &[u64],
    sum: f64,
) {
    let mut cumulative = 0u64;
    for (bound, count) in bounds.iter().zip(counts) {
        cumulative += count;
        let _ = writeln!(text, "{name}_bucket{{{labels}le=\"{bound}\"}} {cumulative}");
    }
    cumulative += counts.get(bounds.len()).copied().unwrap_or(0);
    let _ = writeln!(text, "{name}_bucket{{{labels}le=\"+Inf\"}} {cumulative}");
    let plain = labels.trim_end_matches(',');
    let plain = if plain.is_empty() {
        String::new()
    } else {
        format!("{{{plain}}}")
    };
    let _ = writeln!(text, "{name}_sum{plain} {sum}");
    let _ = writeln!(text, "{name}_count{plain} {cumulative}");
}

fn write_requests(text: &mut String, table: &RouteTable) {
    header(
        text,
        "aw_http_requests_total",
        "counter",
        "HTTP requests answered, by route template, method and status class.",
    );
    for stats in &table.stats {
        let labels = format!(
            "method=\"{}\",route=\"{}\"",
            escape(&stats.method),
            escape(&stats.route)
        );
        for (class, counter) in STATUS_CLASSES.iter().zip(&stats.by_class) {
            let count = counter.load(Ordering::Relaxed);
            if count > 0 {
                let _ = writeln!(
                    text,
                    "aw_http_requests_total{{{labels},status=\"{class}\"}} {count}"
                );
            }
        }
    }
    let name = "aw_http_request_duration_seconds";
    header(
        text,
        name,
        "histogram",
        "Time from the request's arrival to its response, by route template and method.",
    );
    for stats in &table.stats {
        let counts: Vec<u64> = stats
            .latency
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        if counts.iter().all(|count| *count == 0) {
            continue;
        }
        #[allow(clippy::cast_precision_loss)] // nanoseconds: exact for 104 days of latency
        let sum = stats.latency_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let labels = format!(
            "method=\"{}\",route=\"{}\",",
            escape(&stats.method),
            escape(&stats.route)
        );
        histogram_lines(text, name, &labels, LATENCY_BOUNDS, &counts, sum);
    }
}

fn write_query_cache(text: &mut String, cache: &QueryCache) {
    let counters = cache.counters();
    let families = [
        (
            "hits",
            "Query periods answered from the result cache.",
            &counters.hits,
        ),
        (
            "misses",
            "Query periods not in the result cache (run).",
            &counters.misses,
        ),
        (
            "stored",
            "Query answers stored in the result cache.",
            &counters.stored,
        ),
        (
            "refused",
            "Query answers not stored: a write during their run touched what they read.",
            &counters.refused,
        ),
        (
            "invalidated",
            "Cached query answers dropped because a write touched what they read.",
            &counters.invalidated,
        ),
        (
            "evicted",
            "Cached query answers dropped to stay within query.cache_mb.",
            &counters.evicted,
        ),
    ];
    for (name, help, counter) in families {
        let name = format!("aw_query_cache_{name}_total");
        header(text, &name, "counter", help);
        let _ = writeln!(text, "{name} {}", counter.load(Ordering::Relaxed));
    }
    let (entries, bytes) = cache.size();
    header(
        text,
        "aw_query_cache_entries",
        "gauge",
        "Answers held by the query result cache.",
    );
    let _ = writeln!(text, "aw_query_cache_entries {entries}");
    header(
        text,
        "aw_query_cache_bytes",
        "gauge",
        "Memory held by the query result cache.",
    );
    let _ = writeln!(text, "aw_query_cache_bytes {bytes}");
}

fn histogram(text: &mut String, name: &str, help: &str, histogram: &Histogram) {
    header(text, name, "histogram", help);
    histogram_lines(
        text,
        name,
        "",
        histogram.bounds,
        &histogram.counts,
        histogram.sum,
    );
}

fn write_datastore(text: &mut String, metrics: &DatastoreMetrics) {
    let counters = &metrics.counters;
    let simple = [
        (
            "aw_datastore_queue_depth",
            "gauge",
            "Requests waiting for the datastore worker when the scrape was taken.",
            metrics.queue_depth,
        ),
        (
            "aw_datastore_size_bytes",
            "gauge",
            "Size of the database file plus its -wal file (0 in memory).",
            metrics.size_bytes,
        ),
        (
            "aw_datastore_commits_total",
            "counter",
            "Transactions committed by the datastore worker.",
            counters.commits,
        ),
        (
            "aw_datastore_commit_failures_total",
            "counter",
            "Commits that failed; their batch was rolled back.",
            counters.commit_failures,
        ),
    ];
    for (name, kind, help, value) in simple {
        header(text, name, kind, help);
        let _ = writeln!(text, "{name} {value}");
    }
    histogram(
        text,
        "aw_datastore_commit_duration_seconds",
        "Time one COMMIT took.",
        &counters.commit_seconds,
    );
    histogram(
        text,
        "aw_datastore_commit_batch_events",
        "Writes one commit held: each event or heartbeat counts one, as does any other write.",
        &counters.batch_events,
    );
    let name = "aw_datastore_heartbeats_total";
    header(
        text,
        name,
        "counter",
        "Heartbeats received, by outcome: merged into the last event, inserted as a new one, or dropped by a privacy rule.",
    );
    let beats = counters.heartbeats;
    for (result, count) in [
        ("merged", beats.merged),
        ("inserted", beats.inserted),
        ("dropped", beats.dropped),
    ] {
        let _ = writeln!(text, "{name}{{result=\"{result}\"}} {count}");
    }
    let name = "aw_bucket_events";
    header(
        text,
        name,
        "gauge",
        "Events stored in each bucket (what events/count answers).",
    );
    for (bucket, count) in &metrics.bucket_events {
        let _ = writeln!(text, "{name}{{bucket=\"{}\"}} {count}", escape(bucket));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let cases = [
            ("plain", "plain"),
            ("a\"b", "a\\\"b"),
            ("back\\slash", "back\\\\slash"),
            ("two\nlines", "two\\nlines"),
        ];
        for (raw, escaped) in cases {
            assert_eq!(escape(raw), escaped);
        }
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut text = String::new();
        histogram_lines(&mut text, "h", "", &[1.0, 2.0], &[3, 0, 2], 7.5);
        assert_eq!(
            text,
            "h_bucket{le=\"1\"} 3\nh_bucket{le=\"2\"} 3\nh_bucket{le=\"+Inf\"} 5\nh_sum 7.5\nh_count 5\n"
        );
    }
}
