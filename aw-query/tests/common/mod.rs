//! The one place the integration tests call the engine: [`run`] builds an in-memory
//! datastore from fixture buckets and runs a request; [`check`] runs a golden case in
//! every [`Sharing`] mode and every [`SPREADS`] mode (neither sharing of event data
//! nor running statements side by side may ever show in a result).
#![allow(dead_code, reason = "each test binary uses a different subset")]
#![allow(
    clippy::expect_used,
    reason = "test harness: a broken fixture should stop the test loudly"
)]

use std::collections::BTreeMap;
use std::sync::Arc;

use aw_models::{Bucket, Event, Query, SharedEvent, TimeInterval};
use aw_query::{
    query_all, DataType, DatastoreQueryError, MemoryDatastore, Parallelism, PreparedQuery,
    QueryDatastore, QueryError, QueryLimits,
};
use serde::Deserialize;
use serde_json::Value;

/// The period used when a case names none.
pub const DEFAULT_PERIOD: &str = "1970-01-01T00:00:00Z/2100-01-01T00:00:00Z";

/// A bucket of a fixture, created in list order (which fixes the event ids).
#[derive(Debug, Clone, Deserialize)]
pub struct FixtureBucket {
    /// Bucket id.
    pub id: String,
    /// Bucket hostname.
    #[serde(default = "default_hostname")]
    pub hostname: String,
    /// Events, inserted as one batch in this order.
    #[serde(default)]
    pub events: Vec<Event>,
}

/// A member that is present, even as `null`.
fn present<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(de).map(Some)
}

fn default_hostname() -> String {
    "myhost".to_string()
}

/// One golden case: a program, its periods and data, and the expected answer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case shows (and where in docs/QUERY.md it comes from).
    pub name: String,
    /// The program, as one text or as the request's lines.
    pub query: Code,
    /// Time periods; one [`DEFAULT_PERIOD`] when absent.
    #[serde(default)]
    pub periods: Option<Vec<String>>,
    /// A named fixture from `fixtures.json`.
    #[serde(default)]
    pub fixture: Option<String>,
    /// Inline buckets (after the fixture's).
    #[serde(default)]
    pub buckets: Vec<FixtureBucket>,
    /// The value of the only period (`null` included).
    #[serde(default, deserialize_with = "present")]
    pub result: Option<Value>,
    /// The whole response array, one value per period.
    #[serde(default)]
    pub results: Option<Value>,
    /// The error's `Display` text.
    #[serde(default)]
    pub error: Option<String>,
}

/// Program text.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Code {
    /// One source text.
    Text(String),
    /// Request lines, joined with `\n`.
    Lines(Vec<String>),
}

/// How a test datastore holds event data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// Equal data is stored once and shared by its events (as the server reads it).
    Interned,
    /// Every event has its own stored copy.
    PerEvent,
    /// Every read returns fresh copies that nothing else holds (as the server's
    /// uninterned read does), so transforms may change them in place.
    FreshCopies,
}

/// Every [`Sharing`] mode.
pub const SHARING_MODES: [Sharing; 3] =
    [Sharing::Interned, Sharing::PerEvent, Sharing::FreshCopies];

/// Ways to spread a period's statements over threads: one after the other on one
/// thread, and every ready statement on a thread of its own (up to four).
pub const SPREADS: [Parallelism; 2] = [
    Parallelism {
        threads: 1,
        min_bytes: 0,
    },
    Parallelism {
        threads: 4,
        min_bytes: 0,
    },
];

/// A datastore whose reads copy every event's data.
struct FreshCopies(MemoryDatastore);

impl QueryDatastore for FreshCopies {
    fn get_events(
        &self,
        bucket_id: &str,
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<SharedEvent>, DatastoreQueryError> {
        let mut events = self.0.get_events(bucket_id, start, end)?;
        for event in &mut events {
            event.data = Arc::new((*event.data).clone());
        }
        Ok(events)
    }

    fn get_buckets(&self) -> Result<Vec<Bucket>, DatastoreQueryError> {
        self.0.get_buckets()
    }
}

/// Runs `code` for `periods` against a datastore holding `buckets` (data interned).
pub fn run(
    code: &str,
    periods: &[&str],
    buckets: &[FixtureBucket],
) -> Result<Vec<DataType>, QueryError> {
    run_with(code, periods, buckets, Sharing::Interned)
}

/// [`run`] with the data held as `sharing` says.
pub fn run_with(
    code: &str,
    periods: &[&str],
    buckets: &[FixtureBucket],
    sharing: Sharing,
) -> Result<Vec<DataType>, QueryError> {
    let datastore = datastore(buckets, sharing);
    let request = request(code, periods);
    match sharing {
        Sharing::FreshCopies => query_all(&request, &FreshCopies(datastore)),
        Sharing::Interned | Sharing::PerEvent => query_all(&request, &datastore),
    }
}

/// [`run`] with each period's statements spread over threads as `spread` says.
pub fn run_spread(
    code: &str,
    periods: &[&str],
    buckets: &[FixtureBucket],
    spread: Parallelism,
) -> Result<Vec<DataType>, QueryError> {
    if periods.is_empty() {
        return Ok(Vec::new());
    }
    let datastore = datastore(buckets, Sharing::Interned);
    let request = request(code, periods);
    let prepared =
        PreparedQuery::new(&request.code(), QueryLimits::default())?.with_parallelism(spread);
    request
        .timeperiods
        .iter()
        .map(|period| prepared.run(period, &datastore))
        .collect()
}

fn datastore(buckets: &[FixtureBucket], sharing: Sharing) -> MemoryDatastore {
    let mut datastore = MemoryDatastore::new();
    for fixture in buckets {
        let bucket: Bucket = serde_json::from_value(serde_json::json!({
            "id": fixture.id, "type": "test", "client": "test", "hostname": fixture.hostname
        }))
        .expect("fixture bucket");
        datastore.create_bucket(bucket);
        let events = fixture.events.clone();
        match sharing {
            Sharing::Interned => datastore.insert_events(&fixture.id, events),
            Sharing::PerEvent | Sharing::FreshCopies => datastore.insert_shared_events(
                &fixture.id,
                events.into_iter().map(SharedEvent::from).collect(),
            ),
        }
        .expect("fixture events");
    }
    datastore
}

fn request(code: &str, periods: &[&str]) -> Query {
    let timeperiods = periods
        .iter()
        .map(|period| period.parse::<TimeInterval>().expect("fixture period"))
        .collect();
    Query {
        timeperiods,
        query: vec![code.to_string()],
    }
}

/// Runs one golden case; returns a description of the mismatch, if any.
pub fn check(case: &Case, fixtures: &BTreeMap<String, Vec<FixtureBucket>>) -> Option<String> {
    let code = match &case.query {
        Code::Text(text) => text.clone(),
        Code::Lines(lines) => lines.join("\n"),
    };
    let mut buckets = match &case.fixture {
        Some(name) => match fixtures.get(name) {
            Some(buckets) => buckets.clone(),
            None => return Some(format!("unknown fixture {name}")),
        },
        None => Vec::new(),
    };
    buckets.extend(case.buckets.iter().cloned());
    let periods: Vec<&str> = match &case.periods {
        Some(periods) => periods.iter().map(String::as_str).collect(),
        None => vec![DEFAULT_PERIOD],
    };
    let actual = run_with(&code, &periods, &buckets, Sharing::Interned);
    let expected = match (&case.result, &case.results, &case.error) {
        (Some(value), None, None) => Ok(Value::Array(vec![value.clone()])),
        (None, Some(values), None) => Ok(values.clone()),
        (None, None, Some(text)) => Err(text.clone()),
        _ => return Some("a case needs exactly one of result, results, error".to_string()),
    };
    let actual = to_json_text(actual);
    for sharing in [Sharing::PerEvent, Sharing::FreshCopies] {
        let other = to_json_text(run_with(&code, &periods, &buckets, sharing));
        if other != actual {
            return Some(format!(
                "{sharing:?} data changed the answer\n  interned {actual:?}\n  {sharing:?} {other:?}"
            ));
        }
    }
    for spread in SPREADS {
        let other = to_json_text(run_spread(&code, &periods, &buckets, spread));
        if other != actual {
            return Some(format!(
                "{spread:?} changed the answer\n  default {actual:?}\n  spread {other:?}"
            ));
        }
    }
    // The expected side is printed by today's serde_json, which writes `1e+16`;
    // upstream (and we) write `1e16` (docs/QUERY.md §5.2), so drop that `+`.
    let plus = fancy_regex::Regex::new(r"(\d)e\+(\d)").expect("regex");
    let expected = expected.map(|value| {
        let text = serde_json::to_string(&value).expect("json");
        plus.replace_all(&text, "${1}e${2}").into_owned()
    });
    (actual != expected).then(|| format!("expected {expected:?}\n     got {actual:?}"))
}

/// A result as compact JSON, or the error's `Display` text.
pub fn to_json_text(result: Result<Vec<DataType>, QueryError>) -> Result<String, String> {
    result
        .map(|values| serde_json::to_string(&values).expect("serialisable result"))
        .map_err(|err| err.to_string())
}

/// Runs every case of `tests/golden/<file>` and fails listing all mismatches.
pub fn check_file(file: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect(name);
    let fixtures: BTreeMap<String, Vec<FixtureBucket>> =
        serde_json::from_str(&read("fixtures.json")).expect("fixtures.json");
    let cases: Vec<Case> = serde_json::from_str(&read(file)).expect(file);
    assert!(!cases.is_empty(), "{file} has no cases");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| check(case, &fixtures).map(|why| format!("{}: {why}", case.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases in {file} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
