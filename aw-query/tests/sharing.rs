//! Sharing of event data is never observable: random window, AFK and browser data
//! drawn from small pools (so many events have equal data) is run through aw-webui's
//! queries and programs using every data-dependent transform, from a datastore that
//! stores equal data once, from one where every event owns its data, and from one whose
//! reads hand out fresh copies; the serialised answers must be identical.
#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "test helpers: indexes are taken modulo the pool size, the golden file is ours"
)]

mod common;

use aw_models::time::from_nanos;
use aw_models::{Event, JsonMap};
use chrono::TimeDelta;
use common::{run_with, to_json_text, FixtureBucket, Sharing, SHARING_MODES};
use proptest::prelude::*;
use serde_json::{json, Value};

const SECOND: i64 = 1_000_000_000;
/// 2024-01-01T00:00:00Z.
const BASE: i64 = 1_704_067_200 * SECOND;
const WINDOW: &str = "aw-watcher-window_myhost";
const AFK: &str = "aw-watcher-afk_myhost";
const FIREFOX: &str = "aw-watcher-web-firefox_myhost";

const APPS: [(&str, &str); 6] = [
    ("Firefox", "GitHub - ActivityWatch"),
    ("Firefox", "YouTube"),
    ("org.mozilla.firefox", "Stack Overflow"),
    ("kate", "notes.txt"),
    ("vim", "aw-query"),
    ("Slack", "general"),
];
const URLS: [&str; 5] = [
    "https://www.github.com/ActivityWatch/aw-server?tab=1",
    "https://youtube.com/watch?v=x",
    "about:blank",
    "not a url",
    "http://www.www.example.org:8080/a/b",
];

/// Programs beyond the aw-webui ones: every transform that looks at data, with
/// variables read again after a transform changed their events' data.
const PROGRAMS: [&str; 3] = [
    r#"events = query_bucket("aw-watcher-window_myhost");
kept = events;
events = categorize(events, [[["Work"], {"type": "regex", "regex": "GitHub|vim"}], [["Work", "Code"], {"type": "regex", "regex": "aw-", "select_keys": ["title"]}], [["Media"], {"type": "regex", "regex": "youtube", "ignore_case": true}]]);
events = tag(events, [["t1", {"type": "regex", "regex": "i"}], ["t2", {"type": "regex", "regex": "^S"}], ["t1", {"type": "regex", "regex": "o"}]]);
again = categorize(kept, [[["Other"], {"type": "regex", "regex": "e"}]]);
return [kept, events, again, kept == query_bucket("aw-watcher-window_myhost"),
  merge_events_by_keys(events, ["$category", "app"]), merge_events_by_keys(kept, ["title"]),
  chunk_events_by_key(sort_by_timestamp(events), "app"), filter_keyvals(events, "$tags", [["t1"]])];"#,
    r#"raw = query_bucket("aw-watcher-web-firefox_myhost");
web = split_url_events(raw);
twice = split_url_events(web);
return [raw, web, twice == web, exclude_keyvals(web, "$domain", ["github.com"]),
  filter_keyvals_regex(raw, "url", "git|tube"), merge_events_by_keys(web, ["$domain", "audible"]),
  chunk_events_by_key(web, "$path"), sum_durations(filter_keyvals(web, "audible", [true]))];"#,
    r#"w = flood(query_bucket("aw-watcher-window_myhost"));
a = flood(query_bucket("aw-watcher-afk_myhost"));
active = filter_keyvals(a, "status", ["not-afk"]);
return [w, union_no_overlap(w, a), period_union(w, a), filter_period_intersect(w, active),
  limit_events(sort_by_duration(w), 3), concat(w, a), exclude_keyvals(w, "app", ["vim", "kate"])];"#,
];

fn event(start: i64, duration: i64, data: Value) -> Event {
    let data: JsonMap = match data {
        Value::Object(map) => map,
        _ => JsonMap::new(),
    };
    Event::new(from_nanos(start), TimeDelta::nanoseconds(duration), data)
}

/// Events laid out from `(gap, length, pick)` triples in seconds, data chosen by `pick`.
fn lay_out(spec: &[(i64, i64, usize)], data: impl Fn(usize) -> Value) -> Vec<Event> {
    let mut cursor = BASE;
    spec.iter()
        .map(|&(gap, length, pick)| {
            let start = cursor + gap * SECOND;
            cursor = start + length * SECOND;
            event(start, length * SECOND, data(pick))
        })
        .collect()
}

fn buckets(
    window: &[(i64, i64, usize)],
    afk: &[(i64, i64, usize)],
    web: &[(i64, i64, usize)],
) -> Vec<FixtureBucket> {
    let bucket = |id: &str, events| FixtureBucket {
        id: id.to_string(),
        hostname: "myhost".to_string(),
        events,
    };
    vec![
        bucket(
            WINDOW,
            lay_out(window, |pick| {
                let (app, title) = APPS[pick % APPS.len()];
                json!({"app": app, "title": title})
            }),
        ),
        bucket(
            AFK,
            lay_out(
                afk,
                |pick| json!({"status": if pick % 3 == 0 { "afk" } else { "not-afk" }}),
            ),
        ),
        bucket(
            FIREFOX,
            lay_out(web, |pick| {
                json!({"url": URLS[pick % URLS.len()], "title": APPS[pick % APPS.len()].1,
                       "audible": pick % 2 == 0, "tabCount": 3})
            }),
        ),
    ]
}

/// aw-webui's programs from the golden data, then [`PROGRAMS`].
fn programs() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/webui.json");
    let text = std::fs::read_to_string(path).unwrap();
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    let webui = cases.iter().map(|case| match &case["query"] {
        Value::Array(lines) => lines
            .iter()
            .map(|line| line.as_str().unwrap())
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.as_str().unwrap().to_string(),
    });
    webui
        .chain(PROGRAMS.iter().map(|program| program.to_string()))
        .collect()
}

/// One period over everything, and the same time split in two.
const PERIODS: [&str; 3] = [
    "2024-01-01T00:00:00Z/2024-01-02T00:00:00Z",
    "2024-01-01T00:00:00Z/2024-01-01T00:05:00Z",
    "2024-01-01T00:05:00Z/2024-01-02T00:00:00Z",
];

fn spec() -> impl Strategy<Value = Vec<(i64, i64, usize)>> {
    prop::collection::vec((0i64..8, 0i64..30, 0usize..12), 0..30)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn shared_and_unshared_data_give_identical_answers(window in spec(), afk in spec(), web in spec()) {
        let buckets = buckets(&window, &afk, &web);
        for program in programs() {
            for periods in [&PERIODS[..1], &PERIODS[1..]] {
                let shared = to_json_text(run_with(&program, periods, &buckets, Sharing::Interned));
                prop_assert!(shared.is_ok(), "{program}: {shared:?}");
                for sharing in [Sharing::PerEvent, Sharing::FreshCopies] {
                    let other = to_json_text(run_with(&program, periods, &buckets, sharing));
                    prop_assert_eq!(&shared, &other, "{:?}: {}", sharing, program);
                }
            }
        }
    }
}

/// Reading a variable again after a transform changed its events' data gives the
/// data as it was read, in both sharing modes.
#[test]
fn transforms_leave_shared_inputs_alone() {
    let spec = [(0, 10, 0), (1, 10, 0), (1, 10, 4), (1, 10, 0)];
    let buckets = buckets(&spec, &spec, &spec);
    let program = r#"raw = query_bucket("aw-watcher-window_myhost");
web = query_bucket("aw-watcher-web-firefox_myhost");
c = categorize(raw, [[["Work"], {"type": "regex", "regex": "."}]]);
t = tag(raw, [["x", {"type": "regex", "regex": "."}]]);
s = split_url_events(web);
return [raw == query_bucket("aw-watcher-window_myhost"), web == query_bucket("aw-watcher-web-firefox_myhost"),
  c == raw, s == web, t == c];"#;
    for sharing in SHARING_MODES {
        let got = to_json_text(run_with(program, &PERIODS[..1], &buckets, sharing));
        assert_eq!(
            got.as_deref(),
            Ok("[[true,true,false,false,false]]"),
            "{sharing:?}"
        );
    }
}
