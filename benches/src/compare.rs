//! `aw-bench compare A.json B.json …`: first, for every file after the first, the goal
//! table of [`crate::goals`] (that file as "ours", the first as upstream: values, the
//! ratio ours / upstream, the goal and whether it is met); then the rows of all runs side
//! by side, each value with its speedup relative to the first file.

use std::fmt::Write as _;

use crate::goals::goals_table;
use crate::report::{format_value, groups, Better, Metric, Report};

/// How much better `value` is than `baseline`: above 1 means better, whatever the
/// direction of the metric (`first / this` for latencies, `this / first` for throughput).
/// `None` when a ratio would be meaningless (zero or missing values).
pub fn speedup(baseline: &Metric, value: &Metric) -> Option<f64> {
    let (numerator, denominator) = match baseline.better {
        Better::Lower => (baseline.value, value.value),
        Better::Higher | Better::Neither => (value.value, baseline.value),
    };
    (numerator > 0.0 && denominator > 0.0 && numerator.is_finite() && denominator.is_finite())
        .then(|| numerator / denominator)
}

/// `417×`, `3.3×`, `0.25×`.
pub fn format_ratio(ratio: f64) -> String {
    if ratio >= 10.0 {
        format!("{ratio:.0}×")
    } else if ratio >= 1.0 {
        format!("{ratio:.1}×")
    } else {
        format!("{ratio:.2}×")
    }
}

/// The comparison as markdown tables, one per group of the first report; rows that only
/// later reports have come last.
pub fn compare(reports: &[Report]) -> String {
    let Some(first) = reports.first() else {
        return String::new();
    };
    let labels: Vec<&str> = reports.iter().map(|r| r.label.as_str()).collect();
    let mut out = String::new();
    for report in reports {
        let _ = writeln!(
            out,
            "- **{}**: {} at {}, {}{}",
            report.label,
            report.server_version,
            report.url,
            report.started,
            if report.quick { " (--quick)" } else { "" }
        );
    }
    for report in reports.iter().skip(1) {
        out.push('\n');
        out.push_str(&goals_table(first, report));
    }
    let mut all_rows = first.rows.clone();
    for report in reports.iter().skip(1) {
        for row in &report.rows {
            if !all_rows.iter().any(|known| known.id == row.id) {
                all_rows.push(row.clone());
            }
        }
    }
    for group in groups(&all_rows) {
        let _ = write!(
            out,
            "\n### {group}\n\n| Benchmark | Metric | {} |\n|---|---|",
            labels.join(" | ")
        );
        out.push_str(&"---|".repeat(labels.len()));
        out.push('\n');
        for row in all_rows.iter().filter(|row| row.group == group) {
            for metric in &row.metrics {
                let cells: Vec<String> = reports
                    .iter()
                    .map(|report| cell(first, report, &row.id, &metric.name))
                    .collect();
                let _ = writeln!(
                    out,
                    "| {} | {} | {} |",
                    row.name,
                    metric.name,
                    cells.join(" | ")
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "\nRatios are speedups relative to **{}**: above 1× is better (faster, more throughput, \
         less memory), below 1× is worse.",
        first.label
    );
    out
}

fn find<'a>(report: &'a Report, row_id: &str, metric: &str) -> Option<&'a Metric> {
    report
        .rows
        .iter()
        .find(|row| row.id == row_id)?
        .metrics
        .iter()
        .find(|m| m.name == metric)
}

fn cell(first: &Report, report: &Report, row_id: &str, metric: &str) -> String {
    let Some(value) = find(report, row_id, metric) else {
        return "-".to_string();
    };
    let text = format_value(value.value, &value.unit);
    if std::ptr::eq(first, report) || value.better == Better::Neither {
        return text;
    }
    match find(first, row_id, metric).and_then(|baseline| speedup(baseline, value)) {
        Some(ratio) => format!("{text} ({})", format_ratio(ratio)),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{DatasetInfo, Row};

    fn report(label: &str, p50: f64, throughput: f64) -> Report {
        Report {
            label: label.into(),
            url: "http://127.0.0.1:1".into(),
            server_version: "v".into(),
            started: "t".into(),
            quick: false,
            dataset: DatasetInfo::default(),
            rows: vec![Row {
                id: "q".into(),
                group: "G".into(),
                name: "query".into(),
                samples: 5,
                metrics: vec![
                    Metric::new("p50", p50, "ms", Better::Lower),
                    Metric::new("throughput", throughput, "req/s", Better::Higher),
                ],
                note: None,
            }],
        }
    }

    #[test]
    fn speedup_direction_follows_the_metric() {
        let slow = Metric::new("p50", 137.5, "ms", Better::Lower);
        let fast = Metric::new("p50", 0.33, "ms", Better::Lower);
        assert_eq!(format_ratio(speedup(&slow, &fast).unwrap()), "417×");
        let before = Metric::new("t", 23.8, "req/s", Better::Higher);
        let after = Metric::new("t", 100.1, "req/s", Better::Higher);
        assert_eq!(format_ratio(speedup(&before, &after).unwrap()), "4.2×");
        assert_eq!(format_ratio(speedup(&after, &before).unwrap()), "0.24×");
        assert_eq!(
            speedup(&before, &Metric::new("t", 0.0, "req/s", Better::Higher)),
            None
        );
    }

    #[test]
    fn table_shows_values_and_ratios_to_the_first_file() {
        let text = compare(&[report("python", 42.0, 10.0), report("ours", 12.0, 40.0)]);
        assert!(
            text.contains("| Benchmark | Metric | python | ours |"),
            "{text}"
        );
        assert!(
            text.contains("| query | p50 | 42.0 ms | 12.0 ms (3.5×) |"),
            "{text}"
        );
        assert!(
            text.contains("| query | throughput | 10.0 req/s | 40.0 req/s (4.0×) |"),
            "{text}"
        );
        assert!(text.contains("### Goals: ours / python\n"), "{text}");
        assert!(
            text.find("### Goals").unwrap() < text.find("### G\n").unwrap(),
            "{text}"
        );
    }
}
