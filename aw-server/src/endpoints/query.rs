//! `POST /api/0/query` (docs/API.md §3.15, docs/QUERY.md §1): runs a query program once per
//! time period, off the async workers. Every query error is a 500
//! `{"message": <error text>, "detail": {…}}`: the message as upstream, the detail
//! ours. Malformed periods are 422 (body shape), with serde's reason. The request
//! runs within the `[query]` budget: over a size limit 422, over the time 503.
//!
//! Periods answered before and not changed since come from the result cache
//! (`query_cache`); the others run in parallel, one thread per core, each recording
//! what it read so its answer can be cached; a lone period spreads its independent
//! statements over the cores instead (`aw_query::Parallelism`). The answer is the
//! same JSON a run of every period in order gives, including which error wins: the
//! first period's.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use aw_datastore::native::Datastore;
use aw_models::time::to_nanos;
use aw_models::{Query, TimeInterval};
use aw_query::{DataType, Parallelism, PreparedQuery, QueryError, QueryLimits};
use rocket::response::content::RawJson;
use rocket::{Route, State};

use crate::endpoints::body::JsonBody;
use crate::endpoints::query_sources::{Prefetched, QuerySource, Recorder};
use crate::endpoints::run_blocking;
use crate::error::ApiError;
use crate::query_cache::{Cached, QueryCache, Read};

/// One period's answer: its JSON and, when it ran here, what it read.
type Answer = Result<(Cached, Option<Vec<Read>>), ApiError>;

/// Answers `request`: the JSON array of every period's result.
pub(crate) fn answer(
    request: &Query,
    source: &QuerySource,
    limits: QueryLimits,
    cache: &Arc<QueryCache>,
) -> Result<String, ApiError> {
    if request.timeperiods.is_empty() {
        return Ok(String::from("[]"));
    }
    let code: Arc<str> = request.code().into();
    let prepared = PreparedQuery::new(&code, limits)?;
    let ticket = cache.begin();
    let periods: Vec<(i64, i64)> = request
        .timeperiods
        .iter()
        .map(|period| (to_nanos(period.start()), to_nanos(period.end())))
        .collect();
    let mut answers: Vec<Option<Answer>> = periods
        .iter()
        .map(|&(start, end)| cache.get(&code, start, end).map(|hit| Ok((hit, None))))
        .collect();
    let missing: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter_map(|(idx, answer)| answer.is_none().then_some(idx))
        .collect();
    // Periods run side by side, one per core; a lone period spreads its statements.
    let spread = Parallelism::default();
    let prepared = prepared.with_parallelism(Parallelism {
        threads: (spread.threads / missing.len().max(1)).max(1),
        ..spread
    });
    for (idx, answer) in run_parallel(&prepared, &request.timeperiods, &missing, source) {
        if let Some(slot) = answers.get_mut(idx) {
            *slot = Some(answer);
        }
    }
    let mut out = String::from("[");
    for (idx, answer) in answers.into_iter().enumerate() {
        let (cached, reads) = answer.unwrap_or_else(|| Err(lost_period()))?;
        match reads {
            Some(reads) => {
                if let Some(&period) = periods.get(idx) {
                    cache.store(&ticket, &code, period, cached.clone(), reads);
                }
            }
            None => prepared.count_result(cached.approx_bytes)?,
        }
        if idx > 0 {
            out.push(',');
        }
        out.push_str(&cached.json);
    }
    out.push(']');
    Ok(out)
}

fn lost_period() -> ApiError {
    ApiError::Internal {
        message: String::from("The request handler failed"),
        detail: String::from("a period's evaluation thread stopped"),
    }
}

/// Runs the periods at `indices`, on up to one thread per core; after a failure no
/// later period is started (an earlier one's error would win anyway).
fn run_parallel(
    prepared: &PreparedQuery,
    periods: &[TimeInterval],
    indices: &[usize],
    source: &QuerySource,
) -> Vec<(usize, Answer)> {
    let threads = Parallelism::default().threads.min(indices.len());
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = || {
        let mut done = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let Some(&idx) = indices.get(next.fetch_add(1, Ordering::Relaxed)) else {
                break;
            };
            let Some(period) = periods.get(idx) else {
                break;
            };
            let answer = run_one(prepared, period, source);
            failed.fetch_or(answer.is_err(), Ordering::Relaxed);
            done.push((idx, answer));
        }
        done
    };
    if threads <= 1 {
        return work();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap_or_default())
            .collect()
    })
}

fn run_one(prepared: &PreparedQuery, period: &TimeInterval, source: &QuerySource) -> Answer {
    // The program's buckets are read while it starts running.
    let prefetched = Prefetched::start(source, &prepared.literal_buckets(), period);
    let recorder = Recorder::new(&prefetched);
    let value: DataType = prepared.run(period, &recorder)?;
    finish(value, recorder.into_reads())
}

fn finish(value: DataType, reads: Vec<Read>) -> Answer {
    let json = serde_json::to_string(&value)
        .map_err(|err| QueryError::UnserializableResult(err.to_string()))?;
    let cached = Cached {
        json: json.into(),
        approx_bytes: value.approx_bytes(),
    };
    Ok((cached, Some(reads)))
}

#[rocket::post("/query", format = "json", data = "<query>")]
async fn query(
    query: JsonBody<Query>,
    datastore: &State<Datastore>,
    limits: &State<QueryLimits>,
    cache: &State<Arc<QueryCache>>,
) -> Result<RawJson<String>, ApiError> {
    let source = QuerySource(datastore.inner().clone());
    let query = query.into_inner();
    let limits = limits.inner().clone();
    let cache = Arc::clone(cache.inner());
    run_blocking(move || answer(&query, &source, limits, &cache).map(RawJson)).await
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![query]
}
