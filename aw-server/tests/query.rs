//! `POST /api/0/query` over HTTP (docs/API.md §3.15, docs/QUERY.md §1, §8 golden pairs).

mod common;

use common::{event, status_and_text, Harness};
use serde_json::{json, Value};

const PERIOD: &str = "2000-01-01T00:00:00Z/2020-01-01T00:00:00Z";

fn query(harness: &Harness, path: &str, lines: Value, periods: Value) -> (u16, String) {
    status_and_text(harness.post_json(path, &json!({"timeperiods": periods, "query": lines})))
}

#[test]
fn query_golden_pairs() {
    let harness = Harness::start();
    harness.create_bucket("id");
    let inserted = harness.insert("id", json!([event("2018-01-01T01:01:01Z", 1.0, json!({}))]));
    let id = inserted[0]["id"].as_i64().unwrap();
    let cases = [
        (json!(["return 1;"]), 200, "[1.0]".to_string()),
        (
            json!(["return query_bucket(\"id\");"]),
            200,
            format!(
                r#"[[{{"data":{{}},"duration":1.0,"id":{id},"timestamp":"2018-01-01T01:01:01Z"}}]]"#
            ),
        ),
        // Errors: upstream's message, byte for byte (the `detail` beside it is ours).
        (json!([""]), 500, r#""EmptyQuery""#.to_string()),
        (
            json!(["return none;"]),
            500,
            r#""VariableNotDefined(\"none\")""#.to_string(),
        ),
        (
            json!(["return query_bucket(\"nob\");"]),
            500,
            r#""BucketQueryError(\"Failed to query bucket: NoSuchBucket(\\\"nob\\\")\")""#
                .to_string(),
        ),
    ];
    for (lines, status, body) in cases {
        for path in ["/api/0/query", "/api/0/query/"] {
            let (got_status, mut got_body) = query(&harness, path, lines.clone(), json!([PERIOD]));
            if got_status == 500 {
                let error: Value = serde_json::from_str(&got_body).unwrap();
                assert!(error["detail"]["explanation"].is_string(), "{error}");
                got_body = error["message"].to_string();
            }
            assert_eq!(
                (got_status, got_body),
                (status, body.clone()),
                "{lines} {path}"
            );
        }
    }
}

#[test]
fn periods_lines_and_shapes() {
    let harness = Harness::start();
    harness.create_bucket("b");
    harness.insert(
        "b",
        json!([
            event("2020-01-01T10:00:00Z", 60.0, json!({"app": "x"})),
            event("2020-01-02T10:00:00Z", 30.0, json!({"app": "y"}))
        ]),
    );
    let periods = json!([
        "2020-01-01T00:00:00Z/2020-01-02T00:00:00Z",
        "2020-01-02T00:00:00+00:00/2020-01-03T00:00:00+00:00"
    ]);
    let (status, body) = query(
        &harness,
        "/api/0/query/",
        json!([
            "events = query_bucket(\"b\");",
            "RETURN = sum_durations(events);"
        ]),
        periods,
    );
    assert_eq!((status, body.as_str()), (200, "[60.0,30.0]"));
    assert_eq!(
        query(
            &harness,
            "/api/0/query",
            json!(["syntax error here"]),
            json!([])
        ),
        (200, "[]".into())
    );
    let bad_shapes = [
        json!({"timeperiods": [PERIOD], "query": "return 1;"}),
        json!({"timeperiods": ["2020-01-01T00:00:00Z"], "query": ["return 1;"]}),
        json!({"timeperiods": ["2020-01-01T00:00:00Z/2020-01-02T00:00:00Z/x"], "query": ["return 1;"]}),
        json!({"query": ["return 1;"]}),
        json!({"timeperiods": ["2020-01-01T00:00:00Z/3000-01-01T00:00:00Z"], "query": ["return 1;"]}),
    ];
    for body in bad_shapes {
        assert_eq!(
            harness.post_json("/api/0/query", &body).status(),
            422,
            "{body}"
        );
    }
    assert_eq!(
        harness
            .post_raw("/api/0/query", "application/json", "{")
            .status(),
        400
    );
    assert_eq!(
        harness
            .post_raw("/api/0/query", "text/plain", "{}")
            .status(),
        404
    );
}

#[test]
fn desktop_style_query() {
    let harness = Harness::start();
    harness.create_bucket("aw-watcher-window_host");
    harness.create_bucket("aw-watcher-afk_host");
    harness.insert(
        "aw-watcher-window_host",
        json!([
            event(
                "2020-01-01T10:00:00Z",
                60.0,
                json!({"app": "Firefox", "title": "a"})
            ),
            event(
                "2020-01-01T10:01:00Z",
                120.0,
                json!({"app": "Code", "title": "b"})
            ),
            event(
                "2020-01-01T10:03:00Z",
                30.0,
                json!({"app": "Firefox", "title": "c"})
            ),
        ]),
    );
    harness.insert(
        "aw-watcher-afk_host",
        json!([event(
            "2020-01-01T10:00:00Z",
            600.0,
            json!({"status": "not-afk"})
        )]),
    );
    let lines = json!([
        "events = flood(query_bucket(find_bucket(\"aw-watcher-window_\")));",
        "not_afk = flood(query_bucket(find_bucket(\"aw-watcher-afk_\")));",
        "not_afk = filter_keyvals(not_afk, \"status\", [\"not-afk\"]);",
        "events = filter_period_intersect(events, not_afk);",
        "events = merge_events_by_keys(events, [\"app\"]);",
        "RETURN = sort_by_duration(events);",
    ]);
    let (status, body) = query(
        &harness,
        "/api/0/query/",
        lines,
        json!(["2020-01-01T00:00:00Z/2020-01-02T00:00:00Z"]),
    );
    assert_eq!(status, 200, "{body}");
    let result: Value = serde_json::from_str(&body).unwrap();
    let apps: Vec<(&str, f64)> = result[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["data"]["app"].as_str().unwrap(),
                e["duration"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(apps, [("Code", 120.0), ("Firefox", 90.0)]);
}

/// Query bombs against a running server with a small `[query]` budget: each answers
/// 422 (size) or 503 (time) naming its limit, and the server keeps serving.
#[test]
fn query_bombs_are_refused_and_the_server_stays_up() {
    let mut config = aw_server::testkit::test_config();
    config.query.max_value_mb = 8;
    config.query.max_event_mb = 16;
    let harness = Harness::start_with(config);
    harness.create_bucket("big");
    let big_title = "x".repeat(2 * 1024 * 1024);
    harness.insert(
        "big",
        json!([event(
            "2020-01-01T00:00:00Z",
            1.0,
            json!({"title": big_title})
        )]),
    );
    let period = "2020-01-01T00:00:00Z/2020-01-02T00:00:00Z";
    let doubling = |seed: &str| format!("a = {seed}; {} RETURN = a;", "a = a + a; ".repeat(40));
    let cases = [
        (doubling("\"x\""), 1, "query.max_value_mb"),
        (doubling("[1]"), 1, "query.max_value_mb"),
        (
            "RETURN = query_bucket(\"big\");".to_string(),
            10_000,
            "query.max_event_mb",
        ),
    ];
    for (code, periods, key) in cases {
        let body = json!({"query": [code], "timeperiods": vec![period; periods]});
        let res = harness.post_json("/api/0/query/", &body);
        assert_eq!(res.status(), 422, "{key}");
        let answer: Value = res.json().unwrap();
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.starts_with("LimitExceeded(") && message.contains(key),
            "{message}"
        );
        assert_eq!(answer["detail"]["kind"], "LimitExceeded");
    }
    let mut config = aw_server::testkit::test_config();
    config.query.timeout_secs = 0;
    let slow = Harness::start_with(config);
    let body = json!({"query": ["RETURN = 1;"], "timeperiods": vec![period; 100]});
    let res = slow.post_json("/api/0/query/", &body);
    assert_eq!(res.status(), 503);
    let answer: Value = res.json().unwrap();
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("query.timeout_secs"),
        "{answer}"
    );
    // Both servers still answer, and a query within the budget is unchanged.
    for server in [&harness, &slow] {
        assert_eq!(server.get("/api/0/info").status(), 200);
    }
    let body = json!({"query": ["RETURN = 1 + 1;"], "timeperiods": [period]});
    assert_eq!(
        status_and_text(harness.post_json("/api/0/query/", &body)),
        (200, "[2.0]".to_string())
    );
}
