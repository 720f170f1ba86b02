//! Events of a bucket (docs/API.md §3.6–§3.10): range read, insert, count, get, delete.

use aw_datastore::native::Datastore;
use aw_datastore::{is_small_read, EventQuery, STREAM_BATCH};
use aw_models::time::parse_rfc3339;
use aw_models::{Event, EventBatch};
use chrono::{DateTime, Utc};
use rocket::response::content::RawJson;
use rocket::serde::json::Json;
use rocket::{Route, State};

use crate::endpoints::body::EventsBody;
use crate::endpoints::run_blocking;
use crate::error::ApiError;

/// Parses the optional `start`/`end`/`limit` query parameters (docs/API.md §3.6).
/// An unparsable `limit` arrives as `None` (Rocket's `Option` semantics) and means
/// "unlimited", as does a value above `i64::MAX`.
fn event_query(
    start: Option<&str>,
    end: Option<&str>,
    limit: Option<u64>,
) -> Result<EventQuery, ApiError> {
    let parse = |text: Option<&str>| -> Result<Option<DateTime<Utc>>, String> {
        text.map(parse_rfc3339)
            .transpose()
            .map_err(|err| err.to_string())
    };
    Ok(EventQuery {
        start: parse(start).map_err(|reason| ApiError::InvalidStart { reason })?,
        end: parse(end).map_err(|reason| ApiError::InvalidEnd { reason })?,
        limit: limit.filter(|limit| i64::try_from(*limit).is_ok()),
    })
}

/// Events as JSON written by the datastore straight from the rows (canonical stored
/// texts copied as they are).
#[rocket::get("/buckets/<bucket_id>/events?<start>&<end>&<limit>")]
async fn get_events(
    bucket_id: &str,
    start: Option<&str>,
    end: Option<&str>,
    limit: Option<u64>,
    datastore: &State<Datastore>,
) -> Result<RawJson<Vec<u8>>, ApiError> {
    let query = event_query(start, end, limit)?;
    if is_small_read(query) {
        // The worker answers these itself in well under a millisecond (watchers poll
        // `?limit=1`); skip the blocking pool's thread hops, as for heartbeats.
        return Ok(RawJson(datastore.get_events_json(bucket_id, query)?));
    }
    let bucket_id = bucket_id.to_owned();
    let datastore = datastore.inner().clone();
    run_blocking(move || Ok(RawJson(datastore.get_events_json(&bucket_id, query)?))).await
}

/// `[]` answers `[]` without looking at the bucket, as upstream (docs/API.md §3.7).
#[rocket::post("/buckets/<bucket_id>/events", format = "json", data = "<events>")]
async fn insert_events(
    bucket_id: &str,
    events: EventsBody,
    datastore: &State<Datastore>,
) -> Result<RawJson<Vec<u8>>, ApiError> {
    let bucket_id = bucket_id.to_owned();
    let datastore = datastore.inner().clone();
    run_blocking(move || {
        let stored = store_events(&datastore, &bucket_id, &events)?;
        Ok(RawJson(EventBatch::list_json(&stored)))
    })
    .await
}

/// Reads and stores a posted list. A list of more than [`STREAM_BYTES`] is stored batch
/// by batch while the rest is read (one transaction: all or nothing). An invalid
/// element anywhere wins over an unknown bucket, as when the body was read first.
fn store_events(
    datastore: &Datastore,
    bucket_id: &str,
    body: &EventsBody,
) -> Result<Vec<EventBatch>, ApiError> {
    if body.0.len() <= STREAM_BYTES {
        let batch = EventBatch::from_json(&body.0);
        let batch = batch.map_or_else(|| body.exact_batch(), Ok)?;
        return store_whole(datastore, bucket_id, batch);
    }
    let stream = datastore.insert_stream(bucket_id)?;
    // Once the worker refused (an unknown bucket), the rest is only checked.
    let mut taking = true;
    let read = EventBatch::read_batches(&body.0, STREAM_BATCH, |batch| {
        taking = taking && stream.send(batch);
    });
    match read {
        Some(0) => Ok(Vec::new()),
        Some(_) => Ok(stream.finish()?),
        None => {
            // Dropping the stream undoes what it stored.
            drop(stream);
            store_whole(datastore, bucket_id, body.exact_batch()?)
        }
    }
}

/// Bodies up to this size are read whole, then stored with the requests around them
/// (group commit); larger ones are stored as they are read, in a transaction alone.
const STREAM_BYTES: usize = 1 << 20;

fn store_whole(
    datastore: &Datastore,
    bucket_id: &str,
    batch: EventBatch,
) -> Result<Vec<EventBatch>, ApiError> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![datastore.insert_batch(bucket_id, batch)?])
}

/// Honours `start`/`end` (upstream ignored them, docs/API.md §3.8); no parameters = all.
#[rocket::get("/buckets/<bucket_id>/events/count?<start>&<end>")]
async fn get_event_count(
    bucket_id: &str,
    start: Option<&str>,
    end: Option<&str>,
    datastore: &State<Datastore>,
) -> Result<Json<u64>, ApiError> {
    let bucket_id = bucket_id.to_owned();
    let query = event_query(start, end, None)?;
    let datastore = datastore.inner().clone();
    run_blocking(move || Ok(Json(datastore.get_event_count(&bucket_id, query)?))).await
}

#[rocket::get("/buckets/<bucket_id>/events/<event_id>")]
async fn get_event(
    bucket_id: &str,
    event_id: i64,
    datastore: &State<Datastore>,
) -> Result<Json<Event>, ApiError> {
    let bucket_id = bucket_id.to_owned();
    let datastore = datastore.inner().clone();
    run_blocking(move || Ok(Json(datastore.get_event(&bucket_id, event_id)?))).await
}

#[rocket::delete("/buckets/<bucket_id>/events/<event_id>")]
async fn delete_event(
    bucket_id: &str,
    event_id: i64,
    datastore: &State<Datastore>,
) -> Result<(), ApiError> {
    let bucket_id = bucket_id.to_owned();
    let datastore = datastore.inner().clone();
    run_blocking(move || Ok(datastore.delete_event(&bucket_id, event_id)?)).await
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![
        get_events,
        insert_events,
        get_event_count,
        get_event,
        delete_event
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters() {
        let query = event_query(Some("2018-01-01T00:00:00Z"), None, Some(5)).unwrap();
        assert_eq!(
            query.start.unwrap().to_rfc3339(),
            "2018-01-01T00:00:00+00:00"
        );
        assert_eq!((query.end, query.limit), (None, Some(5)));
        assert_eq!(event_query(None, None, Some(u64::MAX)).unwrap().limit, None);
        let cases = [
            (Some("2018-01-01T03:00:00 00:00"), None, "Failed to parse starttime, datetime needs to be in rfc3339 format: input contains invalid characters"),
            (None, Some("2018-01-01"), "Failed to parse endtime, datetime needs to be in rfc3339 format: premature end of input"),
            (None, Some("3000-01-01T00:00:00Z"), "Failed to parse endtime, datetime needs to be in rfc3339 format: input is out of range"),
            (Some("2018-01-01T03:00Z"), None, "Failed to parse starttime, datetime needs to be in rfc3339 format: input contains invalid characters"),
            (None, Some("2018-02-30T00:00:00"), "Failed to parse endtime, datetime needs to be in rfc3339 format: premature end of input"),
            (Some("2018-01-01T00:00:00ZZ"), None, "Failed to parse starttime, datetime needs to be in rfc3339 format: trailing input"),
        ];
        for (start, end, message) in cases {
            assert_eq!(
                event_query(start, end, None).unwrap_err().to_string(),
                message
            );
        }
    }
}
