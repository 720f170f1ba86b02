//! `GET /api/0/metrics`: the counters move by what the traffic did (requests by
//! route and status class, heartbeats merged vs inserted, commits, events per
//! bucket), the route obeys the API key, Host check and CORS like every other, and
//! the exposition passes `promtool check metrics` (when promtool is on PATH).
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed request or parse must fail the calling test"
)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use aw_server::testkit::test_config;
use common::{event, Harness};
use serde_json::json;

const HEARTBEAT_ROUTE: &str = "/api/0/buckets/<bucket_id>/heartbeat";

/// The exposition text, after checking status and content type.
fn scrape(harness: &Harness) -> String {
    let res = harness.get("/api/0/metrics");
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.text().unwrap()
}

/// The value of one series (`name{labels}` exactly as written), 0 if absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |number| number.parse().unwrap())
}

fn requests(text: &str, method: &str, route: &str, class: &str) -> f64 {
    value(
        text,
        &format!(
            "aw_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{class}\"}}"
        ),
    )
}

fn heartbeat(harness: &Harness, bucket: &str, timestamp: &str, app: &str) {
    let res = harness.post_json(
        &format!("/api/0/buckets/{bucket}/heartbeat?pulsetime=60"),
        &event(timestamp, 1.0, json!({"app": app})),
    );
    assert_eq!(res.status(), 200);
}

#[test]
fn counters_follow_the_traffic() {
    let harness = Harness::start();
    harness.create_bucket("metrics-b");
    let rules = json!([{"enabled": true, "bucket_prefix": null, "field": "app",
        "pattern": "^secret$", "action": "drop", "replacement": null}]);
    let res = harness.post_json("/api/0/settings/privacy_filters", &rules);
    assert_eq!(res.status(), 201);
    let before = scrape(&harness);

    const N: u32 = 6;
    for i in 0..N {
        heartbeat(
            &harness,
            "metrics-b",
            &format!("2024-05-01T10:00:{:02}Z", i * 5),
            "a",
        );
    }
    heartbeat(&harness, "metrics-b", "2024-05-01T10:01:00Z", "secret");
    harness.insert(
        "metrics-b",
        json!([
            event("2024-05-02T10:00:00Z", 1.0, json!({"app": "x"})),
            event("2024-05-02T11:00:00Z", 1.0, json!({"app": "y"})),
        ]),
    );
    assert_eq!(harness.get("/api/0/buckets/no-such-bucket").status(), 404);
    assert_eq!(harness.get("/no/such/route/at/all").status(), 404);
    let after = scrape(&harness);

    let delta = |series: &str| value(&after, series) - value(&before, series);
    let cases = [
        ("aw_datastore_heartbeats_total{result=\"merged\"}", f64::from(N - 1)),
        ("aw_datastore_heartbeats_total{result=\"inserted\"}", 1.0),
        ("aw_datastore_heartbeats_total{result=\"dropped\"}", 1.0),
        (
            &format!(
                "aw_http_request_duration_seconds_count{{method=\"POST\",route=\"{HEARTBEAT_ROUTE}\"}}"
            ),
            f64::from(N + 1),
        ),
    ];
    for (series, expected) in cases {
        assert_eq!(delta(series), expected, "{series}\n{after}");
    }
    let request_cases = [
        ("POST", HEARTBEAT_ROUTE, "2xx", f64::from(N + 1)),
        ("POST", "/api/0/buckets/<bucket_id>/events", "2xx", 1.0),
        ("GET", "/api/0/buckets/<bucket_id>", "4xx", 1.0),
        ("ANY", "unmatched", "4xx", 1.0),
        // The scrape before this one.
        ("GET", "/api/0/metrics", "2xx", 1.0),
    ];
    for (method, route, class, expected) in request_cases {
        let moved =
            requests(&after, method, route, class) - requests(&before, method, route, class);
        assert_eq!(moved, expected, "{method} {route} {class}\n{after}");
    }
    // One inserted heartbeat and two inserted events.
    assert_eq!(value(&after, "aw_bucket_events{bucket=\"metrics-b\"}"), 3.0);
    // The insert is answered after its commit, which held its two events.
    let commits = value(&after, "aw_datastore_commits_total");
    assert!(commits >= 1.0, "{after}");
    assert_eq!(
        value(&after, "aw_datastore_commit_duration_seconds_count"),
        commits
    );
    assert_eq!(
        value(&after, "aw_datastore_commit_batch_events_count"),
        commits
    );
    assert!(
        value(&after, "aw_datastore_commit_batch_events_sum") >= 2.0,
        "{after}"
    );
    assert!(value(&after, "aw_datastore_size_bytes") > 0.0, "{after}");
    assert_eq!(value(&after, "aw_datastore_queue_depth"), 0.0);
    assert!(
        after.contains("aw_bucket_events{bucket=\"metrics-b\"} 3\n"),
        "{after}"
    );
    promtool_check(&after);
}

#[test]
fn deleted_buckets_and_odd_ids_are_reported_right() {
    let harness = Harness::start();
    harness.create_bucket("gone");
    harness.create_bucket("odd%22id");
    assert_eq!(harness.delete("/api/0/buckets/gone").status(), 200);
    let text = scrape(&harness);
    assert!(!text.contains("bucket=\"gone\""), "{text}");
    assert!(
        text.contains("aw_bucket_events{bucket=\"odd\\\"id\"} 0\n"),
        "{text}"
    );
    promtool_check(&text);
}

/// Runs `promtool check metrics` over `text`, or prints SKIP without promtool.
fn promtool_check(text: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        println!("SKIP: promtool is not on PATH (Debian package prometheus)");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics failed:\n{}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn metrics_obey_the_api_key_host_check_and_cors() {
    let mut config = test_config();
    config.auth.api_key = Some("metrics-key".to_string());
    let harness = Harness::start_with(config);
    let refused = harness.get("/api/0/metrics");
    assert_eq!(refused.status(), 401);
    let allowed = harness
        .request(reqwest::Method::GET, "/api/0/metrics")
        .header("Authorization", "Bearer metrics-key")
        .send()
        .unwrap();
    assert_eq!(allowed.status(), 200);
    let text = allowed.text().unwrap();
    // The refusal above is counted, under its own label.
    assert_eq!(requests(&text, "ANY", "refused", "4xx"), 1.0, "{text}");

    let port = harness.server.addr.port();
    let bad_host = harness.raw(&format!(
        "GET /api/0/metrics HTTP/1.1\r\nHost: evil.example:{port}\r\nAuthorization: Bearer metrics-key\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(bad_host.status, 400, "{}", bad_host.body);
    let foreign = harness
        .request(reqwest::Method::GET, "/api/0/metrics")
        .header("Authorization", "Bearer metrics-key")
        .header("Origin", "http://evil.example")
        .send()
        .unwrap();
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "a foreign origin is not allowed to read the metrics"
    );
}
