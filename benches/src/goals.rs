//! The project's goals against upstream aw-server-rust, as data: a row id and a metric,
//! and a bound on the ratio *ours / upstream* of the raw values (at most, for times and
//! memory; at least, for throughput). [`check`] evaluates them for two reports and
//! [`goals_table`] prints the result; `aw-bench compare` shows it first.
//!
//! What must stay true: every goal names a row id and metric name that `aw-bench run`
//! reports (a test checks the ids against the rows of a quick run).

use std::fmt::Write as _;

use crate::report::{format_value, Metric, Report};

/// Which side of the bound the ratio must be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// `ours / upstream ≤ ratio` (latency, time, memory).
    AtMost,
    /// `ours / upstream ≥ ratio` (throughput).
    AtLeast,
}

/// One goal: `row`'s `metric`, ours divided by upstream's, on the `bound` side of `ratio`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goal {
    /// Row id, as in [`crate::report::Row::id`].
    pub row: &'static str,
    /// Metric name within the row.
    pub metric: &'static str,
    /// Direction of the bound.
    pub bound: Bound,
    /// The bound on ours / upstream.
    pub ratio: f64,
}

const fn at_most(row: &'static str, metric: &'static str, ratio: f64) -> Goal {
    Goal {
        row,
        metric,
        bound: Bound::AtMost,
        ratio,
    }
}

const fn at_least(row: &'static str, metric: &'static str, ratio: f64) -> Goal {
    Goal {
        row,
        metric,
        bound: Bound::AtLeast,
        ratio,
    }
}

/// The goal table, in the order it is printed.
pub const GOALS: [Goal; 16] = [
    at_most("query_desktop_year", "p50", 0.05),
    at_most("query_desktop_month", "p50", 0.1),
    at_most("query_desktop_7x1day", "p50", 0.1),
    at_most("query_desktop_day", "p50", 0.1),
    at_most("events_limit_10000", "p50", 0.5),
    at_most("events_range_month", "p50", 0.3),
    at_most("import_full", "time", 0.5),
    at_most("post_events_full", "time", 0.5),
    at_most("heartbeat_under_query_load", "heartbeat p95", 0.1),
    at_most("query_desktop_month_repeated", "p50", 0.02),
    at_most("query_desktop_year_after_write", "p50", 0.1),
    at_most("idle_rss", "RSS", 0.1),
    at_least("parallel_day_queries", "throughput", 10.0),
    at_least("heartbeat_throughput_distinct", "throughput", 1.5),
    at_least("heartbeat_throughput_merging", "throughput", 1.5),
    at_most("export_full", "peak RSS (sampled)", 0.2),
];

impl Goal {
    /// Whether `ratio` (ours / upstream) meets the goal.
    pub fn is_met(&self, ratio: f64) -> bool {
        match self.bound {
            Bound::AtMost => ratio <= self.ratio,
            Bound::AtLeast => ratio >= self.ratio,
        }
    }

    /// `≤ 0.05`, `≥ 10`.
    pub fn describe(&self) -> String {
        let sign = match self.bound {
            Bound::AtMost => "≤",
            Bound::AtLeast => "≥",
        };
        format!("{sign} {}", self.ratio)
    }
}

/// A goal evaluated for one pair of reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Check<'a> {
    /// The goal.
    pub goal: &'static Goal,
    /// The row's name (from either report; the id when neither has the row).
    pub name: &'a str,
    /// Upstream's value.
    pub upstream: Option<&'a Metric>,
    /// Our value.
    pub ours: Option<&'a Metric>,
    /// ours / upstream, when both are there and upstream's is positive.
    pub ratio: Option<f64>,
}

impl Check<'_> {
    /// `Some(true)` met, `Some(false)` missed, `None` not measured.
    pub fn met(&self) -> Option<bool> {
        self.ratio.map(|ratio| self.goal.is_met(ratio))
    }
}

fn find<'a>(report: &'a Report, goal: &Goal) -> (Option<&'a str>, Option<&'a Metric>) {
    let Some(row) = report.rows.iter().find(|row| row.id == goal.row) else {
        return (None, None);
    };
    let metric = row.metrics.iter().find(|m| m.name == goal.metric);
    (Some(row.name.as_str()), metric)
}

/// Every goal for `ours` against `upstream`.
pub fn check<'a>(upstream: &'a Report, ours: &'a Report) -> Vec<Check<'a>> {
    GOALS
        .iter()
        .map(|goal| {
            let (upstream_name, upstream_value) = find(upstream, goal);
            let (our_name, our_value) = find(ours, goal);
            let ratio = match (upstream_value, our_value) {
                (Some(base), Some(value))
                    if base.value > 0.0 && base.value.is_finite() && value.value.is_finite() =>
                {
                    Some(value.value / base.value)
                }
                _ => None,
            };
            Check {
                goal,
                name: our_name.or(upstream_name).unwrap_or(goal.row),
                upstream: upstream_value,
                ours: our_value,
                ratio,
            }
        })
        .collect()
}

/// A raw ratio with two significant digits or more (`0.031`, `0.45`, `12`).
pub fn format_plain_ratio(ratio: f64) -> String {
    match ratio {
        r if r >= 10.0 => format!("{r:.0}"),
        r if r >= 1.0 => format!("{r:.1}"),
        r if r >= 0.1 => format!("{r:.2}"),
        r if r >= 0.01 => format!("{r:.3}"),
        r => format!("{r:.4}"),
    }
}

/// The goals as a markdown table (readable as plain text too) and a one-line summary.
pub fn goals_table(upstream: &Report, ours: &Report) -> String {
    let checks = check(upstream, ours);
    let mut out = format!(
        "### Goals: {ours} / {upstream}\n\n\
         | Benchmark | Metric | {upstream} | {ours} | ratio | goal | met |\n\
         |---|---|---|---|---|---|---|\n",
        ours = ours.label,
        upstream = upstream.label
    );
    let value = |metric: Option<&Metric>| {
        metric.map_or("-".to_string(), |m| format_value(m.value, &m.unit))
    };
    for check in &checks {
        let met = match check.met() {
            Some(true) => "yes",
            Some(false) => "**NO**",
            None => "-",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {met} |",
            check.name,
            check.goal.metric,
            value(check.upstream),
            value(check.ours),
            check.ratio.map_or("-".to_string(), format_plain_ratio),
            check.goal.describe(),
        );
    }
    let measured = checks.iter().filter(|c| c.met().is_some()).count();
    let met = checks.iter().filter(|c| c.met() == Some(true)).count();
    let _ = writeln!(
        out,
        "\n{met} of {measured} measured goals met ({} not measured). \
         ratio = {ours} / {upstream} of the raw values.",
        checks.len() - measured,
        ours = ours.label,
        upstream = upstream.label
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Better, DatasetInfo, Row};

    fn report(label: &str, rows: Vec<(&str, &str, f64, Better)>) -> Report {
        Report {
            label: label.into(),
            url: "http://127.0.0.1:1".into(),
            server_version: "v".into(),
            started: "t".into(),
            quick: false,
            dataset: DatasetInfo::default(),
            rows: rows
                .into_iter()
                .map(|(id, metric, value, better)| Row {
                    id: id.into(),
                    group: "G".into(),
                    name: format!("{id} name"),
                    samples: 1,
                    metrics: vec![Metric::new(metric, value, "ms", better)],
                    note: None,
                })
                .collect(),
        }
    }

    #[test]
    fn goals_are_checked_on_the_raw_ratio_in_their_direction() {
        let upstream = report(
            "upstream",
            vec![
                ("query_desktop_year", "p50", 1000.0, Better::Lower),
                ("query_desktop_month", "p50", 100.0, Better::Lower),
                ("parallel_day_queries", "throughput", 10.0, Better::Higher),
                ("idle_rss", "RSS", 0.0, Better::Lower),
            ],
        );
        let ours = report(
            "ours",
            vec![
                ("query_desktop_year", "p50", 50.0, Better::Lower),
                ("query_desktop_month", "p50", 10.5, Better::Lower),
                ("parallel_day_queries", "throughput", 99.0, Better::Higher),
                ("idle_rss", "RSS", 5.0, Better::Lower),
            ],
        );
        let checks = check(&upstream, &ours);
        let by_row = |row: &str| checks.iter().find(|c| c.goal.row == row).unwrap();
        assert_eq!(
            by_row("query_desktop_year").met(),
            Some(true),
            "exactly 0.05"
        );
        assert_eq!(by_row("query_desktop_month").met(), Some(false));
        assert_eq!(
            by_row("parallel_day_queries").met(),
            Some(false),
            "9.9 < 10"
        );
        assert_eq!(by_row("idle_rss").ratio, None, "zero baseline");
        assert_eq!(by_row("import_full").met(), None);
        let text = goals_table(&upstream, &ours);
        assert!(
            text.contains("| Benchmark | Metric | upstream | ours | ratio | goal | met |"),
            "{text}"
        );
        assert!(
            text.contains(
                "| query_desktop_year name | p50 | 1000 ms | 50.0 ms | 0.050 | ≤ 0.05 | yes |"
            ),
            "{text}"
        );
        assert!(
            text.contains("| parallel_day_queries name | throughput | 10.0 ms | 99.0 ms | 9.9 | ≥ 10 | **NO** |"),
            "{text}"
        );
        assert!(
            text.contains("| import_full | time | - | - | - | ≤ 0.5 | - |"),
            "{text}"
        );
        assert!(
            text.contains("1 of 3 measured goals met (13 not measured)"),
            "{text}"
        );
    }
}
