//! End-to-end smoke test of the `aw-bench` binary against our real server: a tiny
//! `gen`, `load` (twice: the second is a no-op), `run --quick` and `compare`.
//! It checks that everything completes, reports sane numbers, leaves the dataset as it
//! found it and that every goal of `compare` finds its row; never a speed.
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use std::path::Path;
use std::process::{Command, Output};

use aw_benches::report::{Report, Row};

const EXPECTED_ROWS: [&str; 31] = [
    "buckets_list",
    "events_limit_100",
    "events_limit_1000",
    "events_limit_10000",
    "events_range_day",
    "events_range_week",
    "events_range_month",
    "events_range_mid_week",
    "events_count",
    "query_desktop_day",
    "query_desktop_week",
    "query_desktop_month",
    "query_desktop_year",
    "query_browser_week",
    "query_desktop_7x1day",
    "query_desktop_day_repeated",
    "query_desktop_week_repeated",
    "query_desktop_month_repeated",
    "query_desktop_year_repeated",
    "query_desktop_7x1day_repeated",
    "query_desktop_month_after_write",
    "query_desktop_year_after_write",
    "parallel_day_queries",
    "parallel_range_fetches",
    "heartbeat_under_query_load",
    "heartbeat_throughput_distinct",
    "heartbeat_throughput_merging",
    "export_full",
    "import_full",
    "post_events_full",
    "idle_rss",
];

fn row<'a>(report: &'a Report, id: &str) -> &'a Row {
    report.rows.iter().find(|row| row.id == id).unwrap()
}

fn metric(row: &Row, name: &str) -> f64 {
    row.metrics.iter().find(|m| m.name == name).unwrap().value
}

/// The import and big-POST rows: every event of the dataset sent, the rate consistent
/// with the time, the sampled peak at least the RSS before.
fn check_bulk_row(row: &Row, events: u64) {
    let names: Vec<&str> = row.metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["time", "throughput", "RSS before", "peak RSS (sampled)"],
        "{row:?}"
    );
    assert!((1..=2).contains(&row.samples), "{row:?}");
    let time = metric(row, "time");
    assert!(time > 0.0 && time < 60.0, "{row:?}");
    let sent = metric(row, "throughput") * time;
    assert!((sent - events as f64).abs() < 1.0, "{row:?}");
    assert!(
        metric(row, "peak RSS (sampled)") >= metric(row, "RSS before"),
        "{row:?}"
    );
    assert!(metric(row, "RSS before") > 1.0, "{row:?}");
    let note = row.note.as_deref().unwrap();
    assert!(note.contains(&format!(": {events} events, ")), "{note}");
}

#[test]
fn gen_load_run_compare_end_to_end() {
    let aw_bench = |args: &[&str]| -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_aw-bench"))
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "aw-bench {args:?} failed:\n{stderr}"
        );
        output
    };
    let path_arg = |path: &Path| path.to_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let server = aw_server::testkit::spawn_test_server(dir.path());
    let url = server.url();
    let dataset = dir.path().join("dataset.json");
    let results = dir.path().join("results.json");

    aw_bench(&[
        "gen",
        "--events",
        "2000",
        "--days",
        "10",
        "--out",
        &path_arg(&dataset),
    ]);
    let load = aw_bench(&["load", "--url", &url, "--chunk", "300", &path_arg(&dataset)]);
    let log = String::from_utf8_lossy(&load.stderr);
    assert!(
        log.contains("aw-watcher-window_benchhost: 1134 events loaded, verified"),
        "{log}"
    );
    let again = aw_bench(&["load", "--url", &url, &path_arg(&dataset)]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("1134 events already present"));

    // The server runs inside this test process, so our pid is the server's pid.
    let pid = std::process::id().to_string();
    let run = aw_bench(&[
        "run",
        "--url",
        &url,
        "--label",
        "smoke",
        "--quick",
        "--pid",
        &pid,
        "--out",
        &path_arg(&results),
    ]);
    let markdown = String::from_utf8_lossy(&run.stdout);
    assert!(markdown.contains("| desktop query, 1 year |"), "{markdown}");

    let report = Report::read(&results).unwrap();
    let ids: Vec<&str> = report.rows.iter().map(|row| row.id.as_str()).collect();
    assert_eq!(ids, EXPECTED_ROWS);
    assert_eq!(report.dataset.buckets["aw-watcher-window_benchhost"], 1134);
    assert_eq!(report.dataset.buckets.len(), 4);
    for row in &report.rows {
        assert!(row.samples > 0, "{row:?}");
        for metric in &row.metrics {
            assert!(metric.value.is_finite() && metric.value >= 0.0, "{row:?}");
        }
    }
    for id in EXPECTED_ROWS.iter().filter(|id| id.starts_with("query_")) {
        let query = row(&report, id);
        assert!(metric(query, "p50") > 0.0, "{query:?}");
        assert!(metric(query, "p95") >= metric(query, "p50"), "{query:?}");
    }
    let events: u64 = report.dataset.buckets.values().sum();
    assert_eq!(events, 2000);
    check_bulk_row(row(&report, "import_full"), events);
    check_bulk_row(row(&report, "post_events_full"), events);
    let idle = report.rows.last().unwrap();
    assert_eq!(idle.id, "idle_rss");
    assert!(metric(idle, "RSS") > 1.0, "{idle:?}");
    assert!(
        metric(idle, "VmHWM") >= metric(idle, "RSS") * 0.5,
        "{idle:?}"
    );
    let export = row(&report, "export_full");
    let names: Vec<&str> = export.metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "time",
            "size",
            "RSS before",
            "peak RSS (sampled)",
            "RSS growth",
            "VmHWM"
        ]
    );

    // The scratch, import and post buckets are gone again, the late events of the
    // after-write rows too: the dataset is as loaded.
    let get = |path: &str| {
        reqwest::blocking::get(format!("{url}{path}"))
            .unwrap()
            .text()
            .unwrap()
    };
    let buckets: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&get("/api/0/buckets/")).unwrap();
    let mut ids: Vec<&str> = buckets.keys().map(String::as_str).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        report
            .dataset
            .buckets
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    for (bucket_id, count) in &report.dataset.buckets {
        let now = get(&format!("/api/0/buckets/{bucket_id}/events/count"));
        assert_eq!(now, count.to_string(), "{bucket_id}");
    }

    let compare = aw_bench(&["compare", &path_arg(&results), &path_arg(&results)]);
    let table = String::from_utf8_lossy(&compare.stdout);
    assert!(
        table.contains("| Benchmark | Metric | smoke | smoke |"),
        "{table}"
    );
    assert!(table.contains("(1.0×)"), "{table}");
    // Every goal finds its row and metric; a run against itself meets none of them.
    assert!(table.contains("### Goals: smoke / smoke"), "{table}");
    assert!(
        table.contains("0 of 16 measured goals met (0 not measured)"),
        "{table}"
    );
    assert!(
        table.contains("| desktop query, 1 year | p50 |")
            && table.contains("| 1.0 | ≤ 0.05 | **NO** |"),
        "{table}"
    );
}
