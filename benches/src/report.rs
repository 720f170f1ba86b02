//! Benchmark results: the [`Report`] written as JSON, latency statistics, and the
//! markdown tables printed after a run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{BenchError, Result};

/// Which direction of a metric is an improvement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Latencies, memory.
    Lower,
    /// Throughput, requests completed.
    Higher,
    /// Informational (sizes).
    Neither,
}

/// One number of a row, e.g. `p50 = 0.33 ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Column name (`p50`, `p95`, `throughput`, …).
    pub name: String,
    /// The value, in `unit`.
    pub value: f64,
    /// `ms`, `s`, `req/s`, `MiB`, `count`, …
    pub unit: String,
    /// Improvement direction.
    pub better: Better,
}

/// One benchmark: a row of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Stable identifier, used by `compare` and `--only`.
    pub id: String,
    /// Table the row belongs to.
    pub group: String,
    /// Human-readable name (as in PR #615's report where it has the row).
    pub name: String,
    /// Number of timed samples behind the metrics.
    pub samples: usize,
    /// The measured values.
    pub metrics: Vec<Metric>,
    /// Response size or other context.
    #[serde(default)]
    pub note: Option<String>,
}

/// Facts about the data the server held during the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    /// Bucket id → event count, for the buckets used.
    pub buckets: BTreeMap<String, u64>,
    /// End of the newest window event: every time range is relative to it.
    pub last_event: String,
    /// Start of the bucket's history (metadata start, else its creation time).
    pub first_event: String,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `--label`, e.g. `ours` or `python-0.12`.
    pub label: String,
    /// Server URL.
    pub url: String,
    /// `version` from `/api/0/info`.
    pub server_version: String,
    /// When the run started (UTC, RFC 3339).
    pub started: String,
    /// `--quick` runs use few iterations and are only a smoke check.
    pub quick: bool,
    /// The dataset.
    pub dataset: DatasetInfo,
    /// The results.
    pub rows: Vec<Row>,
}

impl Metric {
    /// A metric in milliseconds from a duration.
    pub fn millis(name: &str, duration: Duration) -> Metric {
        Metric::new(name, duration.as_secs_f64() * 1e3, "ms", Better::Lower)
    }

    /// Any metric.
    pub fn new(name: &str, value: f64, unit: &str, better: Better) -> Metric {
        Metric {
            name: name.to_string(),
            value,
            unit: unit.to_string(),
            better,
        }
    }
}

/// The `p`-th percentile (0–100) of `samples` by nearest rank; zero when empty.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.clamp(1, sorted.len().max(1)) - 1)
        .copied()
        .unwrap_or_default()
}

/// `p50` and `p95` metrics of latency samples.
pub fn latency_metrics(samples: &[Duration]) -> Vec<Metric> {
    vec![
        Metric::millis("p50", percentile(samples, 50.0)),
        Metric::millis("p95", percentile(samples, 95.0)),
    ]
}

/// Formats a value with a precision that suits its size (`0.33`, `14.1`, `1074`).
pub fn format_value(value: f64, unit: &str) -> String {
    let number = if unit == "count" || value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    match unit {
        "count" | "" => number,
        _ => format!("{number} {unit}"),
    }
}

impl Report {
    /// Reads a result file written by [`Report::write`].
    pub fn read(path: &Path) -> Result<Report> {
        let text = std::fs::read_to_string(path).map_err(BenchError::io("read", path))?;
        serde_json::from_str(&text).map_err(|source| BenchError::Json {
            context: path.display().to_string(),
            source,
        })
    }

    /// Writes the report as pretty JSON.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|source| BenchError::Json {
            context: path.display().to_string(),
            source,
        })?;
        std::fs::write(path, text + "\n").map_err(BenchError::io("write", path))
    }

    /// Markdown: a heading, the dataset, then one table per group.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let mode = if self.quick { " (--quick)" } else { "" };
        let _ = writeln!(
            out,
            "## {}{mode}: {} at {}\n",
            self.label, self.server_version, self.url
        );
        let _ = writeln!(
            out,
            "Run {}; dataset up to {}:",
            self.started, self.dataset.last_event
        );
        for (bucket_id, count) in &self.dataset.buckets {
            let _ = writeln!(out, "- `{bucket_id}`: {count} events");
        }
        for group in groups(&self.rows) {
            out.push('\n');
            out.push_str(&group_table(group, &self.rows));
        }
        out
    }
}

/// Group names in first-appearance order.
pub fn groups(rows: &[Row]) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for row in rows {
        if !names.contains(&row.group.as_str()) {
            names.push(&row.group);
        }
    }
    names
}

fn group_table(group: &str, rows: &[Row]) -> String {
    let rows: Vec<&Row> = rows.iter().filter(|row| row.group == group).collect();
    let mut columns: Vec<&str> = Vec::new();
    for metric in rows.iter().flat_map(|row| &row.metrics) {
        if !columns.contains(&metric.name.as_str()) {
            columns.push(&metric.name);
        }
    }
    let mut out = format!(
        "### {group}\n\n| Benchmark | {} | n |\n|---|",
        columns.join(" | ")
    );
    out.push_str(&"---|".repeat(columns.len() + 1));
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|column| {
                row.metrics
                    .iter()
                    .find(|metric| metric.name == *column)
                    .map_or("-".to_string(), |m| format_value(m.value, &m.unit))
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            row.name,
            cells.join(" | "),
            row.samples
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|v| Duration::from_millis(*v)).collect()
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples = ms(&[5, 1, 4, 2, 3, 10, 9, 8, 7, 6]);
        assert_eq!(percentile(&samples, 50.0), Duration::from_millis(5));
        assert_eq!(percentile(&samples, 95.0), Duration::from_millis(10));
        assert_eq!(percentile(&ms(&[7]), 95.0), Duration::from_millis(7));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }

    #[test]
    fn values_are_formatted_by_magnitude() {
        assert_eq!(format_value(0.3312, "ms"), "0.33 ms");
        assert_eq!(format_value(14.06, "ms"), "14.1 ms");
        assert_eq!(format_value(1074.4, "ms"), "1074 ms");
        assert_eq!(format_value(165.0, "count"), "165");
    }

    #[test]
    fn markdown_has_one_table_per_group_with_union_of_columns() {
        let row = |id: &str, group: &str, metrics: Vec<Metric>| Row {
            id: id.into(),
            group: group.into(),
            name: id.into(),
            samples: 3,
            metrics,
            note: None,
        };
        let report = Report {
            label: "ours".into(),
            url: "http://x".into(),
            server_version: "v1".into(),
            started: "now".into(),
            quick: true,
            dataset: DatasetInfo::default(),
            rows: vec![
                row("a", "REST", latency_metrics(&ms(&[1, 2]))),
                row(
                    "b",
                    "Writes",
                    vec![Metric::new("throughput", 4085.0, "req/s", Better::Higher)],
                ),
            ],
        };
        let text = report.to_markdown();
        assert!(text.contains("### REST\n\n| Benchmark | p50 | p95 | n |\n|---|---|---|---|\n| a | 1.00 ms | 2.00 ms | 3 |"), "{text}");
        assert!(text.contains("| b | 4085 req/s | 3 |"), "{text}");
        let back: Report = serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
        assert_eq!(back, report);
    }
}
