//! End-to-end smoke test of the `aw-bench` binary against our real server: a tiny
//! `gen`, `load` (twice: the second is a no-op), `run --quick` and `compare`.
//! It checks that everything completes and reports sane numbers, never a speed.

use std::path::Path;
use std::process::{Command, Output};

use aw_benches::report::Report;

const EXPECTED_ROWS: [&str; 21] = [
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
    "parallel_day_queries",
    "parallel_range_fetches",
    "heartbeat_under_query_load",
    "heartbeat_throughput_distinct",
    "heartbeat_throughput_merging",
    "export_full",
];

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
    let desktop_day = &report.rows[9];
    assert!(desktop_day.metrics[0].value > 0.0, "{desktop_day:?}");
    let export = report.rows.last().unwrap();
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

    // The scratch bucket of the heartbeat benchmarks is gone again.
    let buckets = reqwest::blocking::get(format!("{url}/api/0/buckets/"))
        .unwrap()
        .text()
        .unwrap();
    assert!(!buckets.contains("aw-bench-scratch"), "{buckets}");

    let compare = aw_bench(&["compare", &path_arg(&results), &path_arg(&results)]);
    let table = String::from_utf8_lossy(&compare.stdout);
    assert!(
        table.contains("| Benchmark | Metric | smoke | smoke |"),
        "{table}"
    );
    assert!(table.contains("(1.0×)"), "{table}");
}
