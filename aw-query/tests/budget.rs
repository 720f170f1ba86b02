//! Query bombs against the request budget (`QueryLimits`): each one is stopped with
//! the error naming its limit, and everything within the limits runs unchanged.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a broken fixture or a wrong outcome should stop the test loudly"
)]

use std::time::Duration;

use aw_models::{Event, JsonMap, Query};
use aw_query::{query_all_limited, MemoryDatastore, QueryError, QueryLimits};
use chrono::{DateTime, TimeDelta};
use proptest::prelude::*;

const MIB: usize = 1024 * 1024;

fn small_limits() -> QueryLimits {
    QueryLimits {
        max_value_bytes: 4 * MIB,
        max_result_bytes: 32 * MIB,
        max_events: 1000,
        max_event_bytes: 16 * MIB,
        timeout: Duration::from_secs(20),
    }
}

/// A datastore with bucket `big` holding one event of `data_bytes` of text.
fn datastore(data_bytes: usize) -> MemoryDatastore {
    let mut datastore = MemoryDatastore::new();
    let bucket = serde_json::from_value(serde_json::json!({
        "id": "big", "type": "t", "client": "c", "hostname": "h"
    }))
    .unwrap();
    datastore.create_bucket(bucket);
    let mut data = JsonMap::new();
    data.insert("title".into(), "x".repeat(data_bytes).into());
    let start = DateTime::from_timestamp(1_000_000, 0).unwrap();
    let event = Event::new(start, TimeDelta::seconds(10), data);
    datastore.insert_events("big", vec![event]).unwrap();
    datastore
}

fn run(
    code: &str,
    periods: usize,
    datastore: &MemoryDatastore,
    limits: QueryLimits,
) -> Result<usize, QueryError> {
    let period = "1970-01-01T00:00:00Z/2100-01-01T00:00:00Z".parse().unwrap();
    let request = Query {
        timeperiods: vec![period; periods],
        query: vec![code.to_string()],
    };
    query_all_limited(&request, datastore, limits).map(|values| values.len())
}

fn limit_message(result: Result<usize, QueryError>) -> String {
    match result {
        Err(QueryError::LimitExceeded(text)) => text,
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
}

#[test]
fn bombs_are_stopped_naming_their_limit() {
    let empty = datastore(1);
    let doubling = |seed: &str| format!("a = {seed}; {} return a;", "a = a + a; ".repeat(40));
    let cases = [
        (
            "string doubled 40 times",
            doubling("\"x\""),
            1,
            "query.max_value_mb",
        ),
        (
            "list doubled 40 times",
            doubling("[1]"),
            1,
            "query.max_value_mb",
        ),
        (
            "list literal quadrupling",
            format!("a = [1]; {} return a;", "a = [a, a, a, a]; ".repeat(30)),
            1,
            "query.max_value_mb",
        ),
        (
            "dict literal doubling",
            format!(
                "a = 1; {} return a;",
                "a = {\"x\": a, \"y\": a}; ".repeat(40)
            ),
            1,
            "query.max_value_mb",
        ),
        (
            "concat doubling events",
            format!(
                "a = query_bucket(\"big\"); {} return a;",
                "a = concat(a, a); ".repeat(40)
            ),
            1,
            "query.max_value_mb",
        ),
        (
            "many periods of events",
            "return query_bucket(\"big\");".to_string(),
            5000,
            "query.max_events",
        ),
    ];
    for (name, code, periods, key) in cases {
        let text = limit_message(run(&code, periods, &empty, small_limits()));
        assert!(text.contains(key), "{name}: {text}");
    }
    // 10 000 periods each reading a 1 MiB event: stopped by the bytes read.
    let big = datastore(MIB);
    let text = limit_message(run(
        "return query_bucket(\"big\");",
        10_000,
        &big,
        small_limits(),
    ));
    assert!(text.contains("the events read would take 17 MiB or more, above the limit of 16 MiB (query.max_event_mb)"), "{text}");
    // Many periods of a moderate value: stopped by the results kept.
    let code = format!("a = \"{}\"; return a;", "y".repeat(MIB));
    let text = limit_message(run(&code, 100, &big, small_limits()));
    assert!(text.contains("query.max_result_mb"), "{text}");
}

/// Built-ins that grow their input without measuring it (their size is bounded by
/// what they add) are still refused once the exact size crosses the limit, and pass
/// just below it.
#[test]
fn growing_builtins_are_refused_by_exact_size() {
    // One event of 1 MiB of data, cut into `pieces` by as many filter periods.
    let mut store = datastore(MIB);
    let bucket = serde_json::from_value(serde_json::json!({
        "id": "ticks", "type": "t", "client": "c", "hostname": "h"
    }))
    .unwrap();
    store.create_bucket(bucket);
    let ticks = (0..8)
        .map(|n| {
            let start = DateTime::from_timestamp(1_000_000 + n, 0).unwrap();
            Event::new(start, TimeDelta::milliseconds(500), JsonMap::new())
        })
        .collect();
    store.insert_events("ticks", ticks).unwrap();
    let code = |pieces: usize| {
        format!(
            "f = limit_events(sort_by_timestamp(query_bucket(\"ticks\")), {pieces}); \
             e = query_bucket(\"big\"); \
             e = categorize(split_url_events(filter_period_intersect(e, f)), [[[\"a\"], {{\"type\": \"regex\", \"regex\": \"x\"}}]]); \
             return sum_durations(e);"
        )
    };
    assert!(run(&code(3), 1, &store, small_limits()).is_ok());
    let text = limit_message(run(&code(5), 1, &store, small_limits()));
    assert!(
        text.contains("a value built by the query would take 6 MiB or more, above the limit of 4 MiB (query.max_value_mb)"),
        "{text}"
    );
}

#[test]
fn the_time_limit_is_a_timeout() {
    let limits = QueryLimits {
        timeout: Duration::ZERO,
        ..QueryLimits::default()
    };
    let got = run("return 1;", 1000, &datastore(1), limits);
    match got {
        Err(QueryError::Timeout(text)) => {
            assert!(text.contains("query.timeout_secs"), "{text}")
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
}

#[test]
fn default_limits_stop_the_doubling_bomb() {
    let code = format!("a = \"x\"; {} return a;", "a = a + a; ".repeat(40));
    let text = limit_message(run(&code, 1, &datastore(1), QueryLimits::default()));
    assert!(
        text.contains("above the limit of 512 MiB (query.max_value_mb)"),
        "{text}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Within the limits a budgeted run answers exactly what an unlimited one does;
    /// outside them it stops with a limit error, never anything else.
    #[test]
    fn doubling_is_exact_or_refused(seed_len in 1usize..200, doublings in 0usize..30) {
        let code = format!("a = \"{}\"; {} return a;", "z".repeat(seed_len), "a = a + a; ".repeat(doublings));
        let store = datastore(1);
        let expected = seed_len << doublings;
        let request = Query {
            timeperiods: vec!["1970-01-01T00:00:00Z/1971-01-01T00:00:00Z".parse().unwrap()],
            query: vec![code.clone()],
        };
        match query_all_limited(&request, &store, small_limits()) {
            Ok(values) => {
                prop_assert!(expected <= 4 * MIB);
                let json = serde_json::to_string(&values).unwrap();
                prop_assert_eq!(json.len(), expected + 4);
            }
            Err(QueryError::LimitExceeded(_)) => prop_assert!(expected > 4 * MIB / 2),
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }
}
