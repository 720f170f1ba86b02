//! [`Target`]: which buckets of the server the benchmarks use and the time anchors
//! (newest event, start of history) that every benchmarked time range is relative to.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;

use aw_models::time::parse_json_datetime;

use crate::client::{bucket_path, Server};
use crate::error::{BenchError, Result};

/// Prefix of the scratch buckets `run` creates (never benchmarked as data).
pub(crate) const SCRATCH_PREFIX: &str = "aw-bench-scratch";
/// Prefix of the buckets of the one-big-POST row.
pub(crate) const POST_PREFIX: &str = "aw-bench-post-";
/// Marks the renamed copies the import row creates (`<id>-benchimport-<pid>-<n>`).
pub(crate) const IMPORT_MARK: &str = "-benchimport-";

/// Whether `bucket_id` is one of the buckets `run` creates (left behind only when a run
/// was killed), which are never part of the dataset.
pub(crate) fn is_scratch(bucket_id: &str) -> bool {
    bucket_id.starts_with(SCRATCH_PREFIX)
        || bucket_id.starts_with(POST_PREFIX)
        || bucket_id.contains(IMPORT_MARK)
}

/// The dataset as seen through the API.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The `currentwindow` bucket with the most events.
    pub window: String,
    /// The `afkstatus` bucket (of the same host when there are several).
    pub afk: String,
    /// The `web.tab.current` buckets, sorted by id.
    pub browsers: Vec<String>,
    /// End of the newest window event.
    pub last: DateTime<Utc>,
    /// Start of the window bucket's history.
    pub first: DateTime<Utc>,
    /// Event counts of the buckets above.
    pub counts: BTreeMap<String, u64>,
}

/// The fields of a bucket listing that both the Rust and the Python server return.
#[derive(Debug, Deserialize)]
struct ListedBucket {
    #[serde(rename = "type")]
    bucket_type: String,
    #[serde(default)]
    hostname: String,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    metadata: Option<ListedMetadata>,
}

#[derive(Debug, Deserialize)]
struct ListedMetadata {
    start: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ListedEvent {
    timestamp: String,
    #[serde(default)]
    duration: f64,
}

impl Target {
    /// Finds the buckets and anchors on the server.
    pub fn discover(server: &Server) -> Result<Target> {
        let listing: BTreeMap<String, ListedBucket> = server.get_json("/api/0/buckets/")?;
        let of_type = |wanted: &str| -> Vec<(&String, &ListedBucket)> {
            listing
                .iter()
                .filter(|(id, bucket)| bucket.bucket_type == wanted && !is_scratch(id))
                .collect()
        };
        let mut best: Option<(&String, &ListedBucket, u64)> = None;
        for (id, bucket) in of_type("currentwindow") {
            let count: u64 = server.get_json(&bucket_path(id, "/events/count"))?;
            if best.is_none_or(|(_, _, best_count)| count > best_count) {
                best = Some((id, bucket, count));
            }
        }
        let (window_id, window_bucket, window_count) =
            best.ok_or_else(|| missing("currentwindow bucket"))?;
        let mut counts = BTreeMap::from([(window_id.clone(), window_count)]);
        let same_host = |candidates: Vec<(&String, &ListedBucket)>| -> Vec<String> {
            let host: Vec<String> = candidates
                .iter()
                .filter(|(_, b)| b.hostname == window_bucket.hostname)
                .map(|(id, _)| (*id).clone())
                .collect();
            if host.is_empty() {
                candidates.iter().map(|(id, _)| (*id).clone()).collect()
            } else {
                host
            }
        };
        let afk = same_host(of_type("afkstatus"))
            .into_iter()
            .next()
            .ok_or_else(|| missing("afkstatus bucket"))?;
        let browsers = same_host(of_type("web.tab.current"));
        for id in std::iter::once(&afk).chain(&browsers) {
            counts.insert(
                id.clone(),
                server.get_json(&bucket_path(id, "/events/count"))?,
            );
        }
        let last = newest_end(server, window_id)?;
        let first = history_start(window_bucket, last);
        Ok(Target {
            window: window_id.clone(),
            afk,
            browsers,
            last,
            first,
            counts,
        })
    }

    /// `[last - days, last]`.
    pub fn last_days(&self, days: i64) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.last - TimeDelta::days(days), self.last)
    }

    /// The `[start, end]` of day `offset` counted back from the last event (0 = last day).
    pub fn day_back(&self, offset: i64) -> (DateTime<Utc>, DateTime<Utc>) {
        let end = self.last - TimeDelta::days(offset);
        (end - TimeDelta::days(1), end)
    }

    /// A week centred on the middle of the history.
    pub fn mid_week(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let middle = self.first + (self.last - self.first) / 2;
        (middle - TimeDelta::hours(84), middle + TimeDelta::hours(84))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|(id, n)| format!("{id} ({n})"))
            .collect();
        write!(
            f,
            "{}; history {} .. {}",
            counts.join(", "),
            aw_models::time::format_datetime(&self.first),
            aw_models::time::format_datetime(&self.last)
        )
    }
}

fn missing(what: &str) -> BenchError {
    BenchError::MissingBucket {
        what: what.to_string(),
    }
}

/// End of the newest event of a bucket (`?limit=1` returns the newest first).
fn newest_end(server: &Server, bucket_id: &str) -> Result<DateTime<Utc>> {
    let events: Vec<ListedEvent> = server.get_json(&bucket_path(bucket_id, "/events?limit=1"))?;
    let event = events
        .first()
        .ok_or_else(|| missing("event in the window bucket"))?;
    let start = parse_json_datetime(&event.timestamp).map_err(|err| {
        BenchError::invalid(format!("bad timestamp {:?}: {err}", event.timestamp))
    })?;
    Ok(start + TimeDelta::nanoseconds((event.duration * 1e9) as i64))
}

/// The start of history: bucket metadata when the server has it (Rust), else the
/// bucket's creation time (the Python server), else half a year before the end.
fn history_start(bucket: &ListedBucket, last: DateTime<Utc>) -> DateTime<Utc> {
    let metadata_start = bucket.metadata.as_ref().and_then(|m| m.start.as_deref());
    metadata_start
        .or(bucket.created.as_deref())
        .and_then(|text| parse_json_datetime(text).ok())
        .filter(|start| *start < last)
        .unwrap_or(last - TimeDelta::days(182))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_start_prefers_metadata_then_created() {
        let last = parse_json_datetime("2026-06-12T00:00:00Z").unwrap();
        let bucket: ListedBucket = serde_json::from_str(
            r#"{"type":"currentwindow","created":"2025-05-01T00:00:00Z","metadata":{"start":"2025-05-28T08:00:00Z","end":null}}"#,
        )
        .unwrap();
        assert_eq!(
            history_start(&bucket, last),
            parse_json_datetime("2025-05-28T08:00:00Z").unwrap()
        );
        let python: ListedBucket = serde_json::from_str(
            r#"{"type":"currentwindow","created":"2025-05-01T00:00:00+00:00","hostname":"h"}"#,
        )
        .unwrap();
        assert_eq!(
            history_start(&python, last),
            parse_json_datetime("2025-05-01T00:00:00Z").unwrap()
        );
        let future: ListedBucket =
            serde_json::from_str(r#"{"type":"x","created":"2030-01-01T00:00:00Z"}"#).unwrap();
        assert_eq!(history_start(&future, last), last - TimeDelta::days(182));
    }
}
