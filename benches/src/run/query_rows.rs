//! The `/query` rows, in three kinds: **cold** (`query_desktop_*`: every repetition, warm-ups
//! included, moves its periods back a little, so an exact-request result cache never
//! answers), **repeated** (`…_repeated`: the identical request again, a dashboard reload)
//! and **after a write** (`…_after_write`: the identical request, each time after one
//! "late" event was inserted, untimed, at a new time inside the queried range).
//!
//! What must stay true: the after-write rows delete every event they inserted and check
//! that the window bucket holds its original count again, so later rows see the dataset
//! unchanged; the repeated rows run before them, so a cache is warm when the writes come.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::json;

use aw_models::time::format_datetime;

use super::queries::{browser_query, cold_periods, desktop_query, query_body, Period, Series};
use super::sequential::{measure_each, QUERY_PATH};
use super::{Bench, Request};
use crate::client::{bucket_path, Server};
use crate::error::{BenchError, Result};

const COLD: &str = "/query: aw-webui desktop query, cold (a new period every request)";
const REPEATED: &str = "/query: the identical request again (dashboard reload)";
const AFTER_WRITE: &str = "/query: the identical request after a late event was inserted";
/// `data.app` of the inserted late events, to find them again without ids.
const LATE_APP: &str = "aw-bench-late-event";
/// Distance between the late events of consecutive repetitions.
const LATE_STEP: TimeDelta = TimeDelta::seconds(61);
/// The rows that also get an after-write variant.
const AFTER_WRITE_ROWS: [&str; 2] = ["query_desktop_month", "query_desktop_year"];

/// One query row: id, name, program and periods.
struct Span<'a> {
    id: &'static str,
    name: &'static str,
    lines: &'a [String],
    periods: Vec<Period>,
}

impl Span<'_> {
    fn request(&self, periods: &[Period]) -> Request {
        Request::Post(QUERY_PATH.to_string(), query_body(self.lines, periods))
    }
}

/// Every `/query` row: cold, then repeated, then after a write.
pub(crate) fn queries(bench: &mut Bench<'_>) -> Result<()> {
    let target = bench.target;
    let desktop = desktop_query(target);
    let browser = browser_query(target);
    let span = |id, name, lines, periods| Span {
        id,
        name,
        lines,
        periods,
    };
    let days: Vec<Period> = (0..7).rev().map(|offset| target.day_back(offset)).collect();
    let spans = [
        span(
            "query_desktop_day",
            "desktop query, 1 day",
            &desktop,
            vec![target.last_days(1)],
        ),
        span(
            "query_desktop_week",
            "desktop query, 1 week",
            &desktop,
            vec![target.last_days(7)],
        ),
        span(
            "query_desktop_month",
            "desktop query, 1 month",
            &desktop,
            vec![target.last_days(30)],
        ),
        span(
            "query_desktop_year",
            "desktop query, 1 year",
            &desktop,
            vec![target.last_days(365)],
        ),
        span(
            "query_browser_week",
            "browser query, 1 week",
            &browser,
            vec![target.last_days(7)],
        ),
        span(
            "query_desktop_7x1day",
            "desktop query, 7 × 1-day periods",
            &desktop,
            days,
        ),
    ];
    let salt = bench.cold_salt;
    for span in &spans {
        measure_each(bench, (span.id, COLD, span.name), &mut |repetition| {
            Ok(span.request(&cold_periods(
                &span.periods,
                Series::Sequential,
                repetition,
                salt,
            )))
        })?;
    }
    for span in spans
        .iter()
        .filter(|span| span.id.starts_with("query_desktop_"))
    {
        let request = span.request(&span.periods);
        let id = format!("{}_repeated", span.id);
        let name = format!("{}, repeated", span.name);
        measure_each(bench, (&id, REPEATED, &name), &mut |_| Ok(request.clone()))?;
    }
    for span in spans
        .iter()
        .filter(|span| AFTER_WRITE_ROWS.contains(&span.id))
    {
        after_write(bench, span)?;
    }
    Ok(())
}

/// The identical request of `span`, each repetition after one late event was inserted a
/// quarter into its (first) period plus `LATE_STEP` per repetition; the events are
/// deleted again afterwards, also when a request failed.
fn after_write(bench: &mut Bench<'_>, span: &Span<'_>) -> Result<()> {
    let id = format!("{}_after_write", span.id);
    let Some(&(start, end)) = span.periods.first() else {
        return Ok(());
    };
    if !bench.wants(&id) {
        return Ok(());
    }
    let target = bench.target;
    let mut late = LateEvents {
        server: bench.server,
        bucket_id: &target.window,
        inserted: Vec::new(),
    };
    let request = span.request(&span.periods);
    let name = format!("{}, after a late write", span.name);
    let first_late = start + (end - start) / 4;
    let measured = measure_each(bench, (&id, AFTER_WRITE, &name), &mut |repetition| {
        let steps = i32::try_from(repetition).unwrap_or(i32::MAX);
        late.insert(first_late + LATE_STEP * steps, repetition)?;
        Ok(request.clone())
    });
    let cleaned = late.delete_all();
    measured?;
    cleaned?;
    let expected = target.counts.get(&target.window).copied().unwrap_or(0);
    let actual: u64 = bench
        .server
        .get_json(&bucket_path(&target.window, "/events/count"))?;
    if actual != expected {
        return Err(BenchError::CountMismatch {
            bucket_id: target.window.clone(),
            expected,
            actual,
        });
    }
    Ok(())
}

/// The late events inserted so far: their ids, or their time when the server's answer
/// had no ids (the Python server), to find them again.
struct LateEvents<'a> {
    server: &'a Server,
    bucket_id: &'a str,
    inserted: Vec<(DateTime<Utc>, Option<i64>)>,
}

#[derive(Deserialize)]
struct StoredEvent {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    data: serde_json::Map<String, serde_json::Value>,
}

impl LateEvents<'_> {
    fn insert(&mut self, at: DateTime<Utc>, repetition: usize) -> Result<()> {
        let event = json!([{
            "timestamp": format_datetime(&at),
            "duration": 1.0,
            "data": {"app": LATE_APP, "title": format!("late event {repetition}")},
        }]);
        let path = bucket_path(self.bucket_id, "/events");
        let reply = self.server.post_json(&path, &event)?;
        let stored: Option<Vec<StoredEvent>> = reply.json(&path).ok();
        let id = stored.and_then(|events| events.first().and_then(|event| event.id));
        self.inserted.push((at, id));
        Ok(())
    }

    /// Deletes every inserted event; tries them all, returns the first failure.
    fn delete_all(&mut self) -> Result<()> {
        let mut first_error = None;
        for (at, id) in std::mem::take(&mut self.inserted) {
            let ids = match id {
                Some(id) => Ok(vec![id]),
                None => self.find(at),
            };
            let deleted = ids.and_then(|ids| {
                ids.into_iter().try_for_each(|id| {
                    let path = bucket_path(self.bucket_id, &format!("/events/{id}"));
                    self.server.delete(&path).map(drop)
                })
            });
            if let Err(err) = deleted {
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// The ids of the late events stored at `at`.
    fn find(&self, at: DateTime<Utc>) -> Result<Vec<i64>> {
        let query = format!(
            "/events?start={}&end={}",
            format_datetime(&at),
            format_datetime(&(at + TimeDelta::seconds(1)))
        );
        let events: Vec<StoredEvent> =
            self.server.get_json(&bucket_path(self.bucket_id, &query))?;
        Ok(events
            .into_iter()
            .filter(|event| event.data.get("app").and_then(|app| app.as_str()) == Some(LATE_APP))
            .filter_map(|event| event.id)
            .collect())
    }
}
