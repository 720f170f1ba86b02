//! Property tests: the engine never panics on arbitrary or hostile input, and the
//! transforms agree with naive reference models.

#![allow(
    clippy::indexing_slicing,
    reason = "the naive reference model indexes within bounds it just checked"
)]

mod common;

use aw_models::time::from_nanos;
use aw_models::{Event, JsonMap, SharedEvent};
use aw_query::transform;
use aw_query::{QueryError, MAX_DEPTH};
use chrono::TimeDelta;
use common::{run, run_spread, to_json_text, FixtureBucket, DEFAULT_PERIOD, SPREADS};
use proptest::prelude::*;

const SECOND: i64 = 1_000_000_000;

/// A small datastore for the fuzz-style properties.
fn fixture() -> Vec<FixtureBucket> {
    let events = (0..5)
        .map(|idx| {
            event(
                idx * 3 * SECOND,
                2 * SECOND,
                if idx % 2 == 0 { "a" } else { "b" },
            )
        })
        .collect();
    vec![FixtureBucket {
        id: "b".to_string(),
        hostname: "h".to_string(),
        events,
    }]
}

fn event(start: i64, duration: i64, label: &str) -> Event {
    let mut data = JsonMap::new();
    data.insert(
        "k".to_string(),
        serde_json::Value::String(label.to_string()),
    );
    Event::new(from_nanos(start), TimeDelta::nanoseconds(duration), data)
}

/// Program fragments that make interesting token soups.
const FRAGMENTS: &[&str] = &[
    "x",
    "e",
    "=",
    "==",
    "+",
    "-",
    "*",
    "/",
    "%",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ";",
    "if",
    "elif",
    "else",
    "return",
    "true",
    "1",
    "0",
    "2.5",
    "\"b\"",
    "\"k\"",
    "\"a\"",
    "query_bucket",
    "flood",
    "merge_events_by_keys",
    "filter_keyvals",
    "categorize",
    "tag",
    "print",
    "contains",
    "limit_events",
    "sort_by_duration",
    "period_union",
    "union_no_overlap",
    "concat",
    "find_bucket",
    "filter_period_intersect",
    "split_url_events",
    "sum_durations",
    "TIMEINTERVAL",
    "RETURN",
    "{\"type\": \"regex\", \"regex\": \"(\"}",
    "[[\"c\"], {\"type\": \"regex\", \"regex\": \"a\"}]",
    "query_bucket(\"b\")",
    "e = query_bucket(\"b\");",
    "return e;",
    "@",
];

/// Statement shapes over the variables `a`, `b`, `e` (`{v}` is assigned, `{u}` and
/// `{w}` read): reads, moves, rebinding, type errors, unknown buckets, `if`s, returns.
const STATEMENTS: &[&str] = &[
    "{v} = query_bucket(\"b\");",
    "{v} = query_bucket(\"nope\");",
    "{v} = flood({u});",
    "{v} = concat({u}, {w});",
    "{v} = sort_by_duration({u});",
    "{v} = limit_events({u}, 2);",
    "{v} = merge_events_by_keys({u}, [\"k\"]);",
    "{v} = filter_period_intersect({u}, {w});",
    "{v} = sum_durations({u});",
    "{v} = {u} + {w};",
    "{v} = [{u}, {w}];",
    "{v} = 1;",
    "return {u};",
    "return [{u}, {w}];",
    "if {u} == 1 { {v} = {w}; } elif {w} == [] { {v} = 2; } else { return {u}; }",
];

const VARIABLES: &[&str] = &["a", "b", "e"];

/// A program of the statements `picks` names (shape, assigned, first and second read).
fn program(picks: &[(usize, usize, usize, usize)]) -> String {
    let var = |idx: usize| VARIABLES.get(idx % VARIABLES.len()).copied().unwrap_or("a");
    picks
        .iter()
        .filter_map(|&(shape, v, u, w)| {
            let shape = STATEMENTS.get(shape % STATEMENTS.len())?;
            Some(
                shape
                    .replace("{v}", var(v))
                    .replace("{u}", var(u))
                    .replace("{w}", var(w)),
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs a program; the property is only that it returns.
fn run_any(code: &str) -> Result<(), QueryError> {
    run(code, &[DEFAULT_PERIOD], &fixture()).map(|_| ())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_text_never_panics(code in "\\PC{0,200}") {
        let _ = run_any(&code);
    }

    #[test]
    fn spreading_statements_over_threads_never_changes_the_answer(
        picks in prop::collection::vec((0..64usize, 0..3usize, 0..3usize, 0..3usize), 1..14)
    ) {
        let code = program(&picks);
        let periods = [DEFAULT_PERIOD, "1970-01-01T00:00:03Z/1970-01-01T00:00:09Z"];
        let in_order = to_json_text(run(&code, &periods, &fixture()));
        for spread in SPREADS {
            let spread_out = to_json_text(run_spread(&code, &periods, &fixture(), spread));
            prop_assert_eq!(&spread_out, &in_order, "{:?}\n{}", spread, code);
        }
    }

    #[test]
    fn token_soup_never_panics(picks in prop::collection::vec(0..FRAGMENTS.len(), 0..60)) {
        let code: Vec<&str> = picks.iter().filter_map(|&idx| FRAGMENTS.get(idx).copied()).collect();
        let _ = run_any(&code.join(" "));
    }

    #[test]
    fn flood_output_never_overlaps(spec in prop::collection::vec((0i64..8_000, 0i64..6_000, 0..2u8), 0..40)) {
        // Non-overlapping input (flood keeps overlaps of different data by design).
        let mut events: Vec<SharedEvent> = Vec::new();
        let mut cursor = 0;
        for (gap_ms, duration_ms, label) in spec {
            let start = cursor + gap_ms * 1_000_000;
            let duration = duration_ms * 1_000_000;
            events.push(event(start, duration, if label == 0 { "a" } else { "b" }).into());
            cursor = start + duration;
        }
        let input_spans: Vec<(i64, i64)> = events.iter().map(span).collect();
        let flooded = transform::flood(events, TimeDelta::seconds(5));
        for pair in flooded.windows(2) {
            let (first, second) = (span(&pair[0]), span(&pair[1]));
            let gap = second.0 - first.1;
            prop_assert!(gap >= 0, "overlap: {first:?} {second:?}");
            prop_assert!(gap >= 5 * SECOND || gap <= 1, "unfilled gap {gap}");
            prop_assert!(pair[0].data != pair[1].data || gap >= 5 * SECOND, "unmerged neighbours");
        }
        for (start, end) in input_spans {
            prop_assert!(flooded.iter().any(|e| span(e).0 <= start && span(e).1 >= end));
        }
    }

    #[test]
    fn period_union_matches_naive_model(
        first in prop::collection::vec((0i64..100, 0i64..20), 0..15),
        second in prop::collection::vec((0i64..100, 0i64..20), 0..15),
    ) {
        let build = |spec: &[(i64, i64)]| -> Vec<SharedEvent> {
            spec.iter().map(|&(start, len)| event(start * SECOND, len * SECOND, "x").into()).collect()
        };
        let mut all: Vec<(i64, i64)> = first.iter().chain(&second).map(|&(s, l)| (s * SECOND, (s + l) * SECOND)).collect();
        let expected = naive_union(&mut all);
        let union = transform::period_union(build(&first), build(&second));
        let got: Vec<(i64, i64)> = union.iter().map(span).collect();
        prop_assert_eq!(got, expected);
        prop_assert!(union.iter().all(|e| e.data.is_empty()));
    }

    #[test]
    fn filter_period_intersect_matches_naive_model(
        events in prop::collection::vec((1i64..20, 0i64..5), 0..15),
        filters in prop::collection::vec((1i64..20, 0i64..5), 0..15),
    ) {
        // Both lists sorted, positive lengths, no self-overlap: the sweep is exact there.
        let lay_out = |spec: &[(i64, i64)]| -> Vec<(i64, i64)> {
            let mut cursor = 0;
            spec.iter().map(|&(len, gap)| {
                let start = cursor + gap * SECOND;
                cursor = start + len * SECOND;
                (start, cursor)
            }).collect()
        };
        let (event_spans, filter_spans) = (lay_out(&events), lay_out(&filters));
        let expected: Vec<(i64, i64)> = event_spans.iter().flat_map(|&(es, ee)| {
            filter_spans.iter().filter_map(move |&(fs, fe)| {
                let (start, end) = (es.max(fs), ee.min(fe));
                (start < end).then_some((start, end))
            })
        }).collect();
        let to_events = |spans: &[(i64, i64)]| -> Vec<SharedEvent> {
            spans.iter().map(|&(s, e)| event(s, e - s, "x").into()).collect()
        };
        let got: Vec<(i64, i64)> = transform::filter_period_intersect(to_events(&event_spans), to_events(&filter_spans))
            .iter().map(span).collect();
        prop_assert_eq!(got, expected);
    }
}

fn span(event: &SharedEvent) -> (i64, i64) {
    let start = event.start_nanos();
    (start, event.end_nanos().unwrap_or(start))
}

/// Merges touching or overlapping intervals by repeated pairwise merging, then sorts.
fn naive_union(spans: &mut Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    let mut merged = true;
    while merged {
        merged = false;
        'outer: for i in 0..spans.len() {
            for j in 0..spans.len() {
                let (a, b) = (spans[i], spans[j]);
                if i != j && a.0 <= b.0 && b.0 <= a.1 {
                    spans[i] = (a.0, a.1.max(b.1));
                    spans.remove(j);
                    merged = true;
                    break 'outer;
                }
            }
        }
    }
    spans.sort();
    spans.clone()
}

#[test]
fn hostile_inputs_are_refused_or_survived() {
    let deep = |open: &str, close: &str, n: usize| {
        format!("return {}1{};", open.repeat(n), close.repeat(n))
    };
    let too_deep = Err(QueryError::NestingTooDeep(MAX_DEPTH).to_string());
    let cases: Vec<(&str, String, Result<String, String>)> = vec![
        (
            "100k nested parentheses",
            deep("(", ")", 100_000),
            too_deep.clone(),
        ),
        (
            "100k nested lists",
            deep("[", "]", 100_000),
            too_deep.clone(),
        ),
        (
            "100k nested calls",
            deep("print(", ")", 100_000),
            too_deep.clone(),
        ),
        (
            "100k nested dicts",
            format!(
                "return {}1{};",
                "{\"a\": ".repeat(100_000),
                "}".repeat(100_000)
            ),
            too_deep.clone(),
        ),
        (
            "100k nested ifs",
            format!(
                "{}return 1;{}",
                "if true { ".repeat(100_000),
                " }".repeat(100_000)
            ),
            too_deep.clone(),
        ),
        (
            "values nested by repeated statements",
            format!("x = 1; {} return x;", "x = [x]; ".repeat(1000)),
            too_deep.clone(),
        ),
        (
            "unclosed parentheses",
            "return ".to_string() + &"(".repeat(100_000),
            too_deep,
        ),
        (
            "a long operator chain is fine",
            format!("return 0{};", "+1".repeat(100_000)),
            Ok("[100000.0]".to_string()),
        ),
        (
            "100k statements",
            format!("x = 0; {} return x;", "x = x + 1; ".repeat(100_000)),
            Ok("[100000.0]".to_string()),
        ),
        (
            "a long string",
            format!("return \"{}\" == \"\";", "a".repeat(1_000_000)),
            Ok("[false]".to_string()),
        ),
        (
            "a huge list",
            format!(
                "return sum_durations(concat({}));",
                vec!["[]"; 50_000].join(",")
            ),
            Ok("[0.0]".to_string()),
        ),
        (
            "nesting just under the limit",
            deep("[", "]", MAX_DEPTH - 10),
            Ok(format!(
                "[{}1.0{}]",
                "[".repeat(MAX_DEPTH - 10),
                "]".repeat(MAX_DEPTH - 10)
            )),
        ),
    ];
    for (name, code, expected) in cases {
        let got = run(&code, &[DEFAULT_PERIOD], &[])
            .map(|values| serde_json::to_string(&values).unwrap())
            .map_err(|err| err.to_string());
        assert_eq!(got, expected, "{name}");
    }
}
