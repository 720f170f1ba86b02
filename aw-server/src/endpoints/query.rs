//! `POST /api/0/query` (docs/API.md §3.15, docs/QUERY.md §1): runs a query program once per
//! time period, off the async workers. Every query error is a 500
//! `{"message": <error text>, "detail": {…}}`: the message as upstream, the detail
//! ours. Malformed periods are 422 (body shape), with serde's reason. The request
//! runs within the `[query]` budget: over a size limit 422, over the time 503.

use aw_datastore::native::Datastore;
use aw_datastore::{DatastoreError, EventQuery};
use aw_models::{Bucket, Query, SharedEvent};
use aw_query::{DataType, DatastoreQueryError, QueryDatastore, QueryLimits};
use chrono::{DateTime, Utc};
use rocket::serde::json::Json;
use rocket::{Route, State};

use crate::endpoints::body::JsonBody;
use crate::endpoints::run_blocking;
use crate::error::ApiError;

/// The datastore as the query engine reads it.
struct QuerySource(Datastore);

impl QuerySource {
    fn convert(err: DatastoreError) -> DatastoreQueryError {
        match err {
            DatastoreError::NoSuchBucket { bucket_id } => {
                DatastoreQueryError::NoSuchBucket(bucket_id)
            }
            other => DatastoreQueryError::InternalError(other.to_string()),
        }
    }
}

impl QueryDatastore for QuerySource {
    fn get_events(
        &self,
        bucket_id: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<SharedEvent>, DatastoreQueryError> {
        let query = EventQuery {
            start: Some(start),
            end: Some(end),
            limit: None,
        };
        let events = self
            .0
            .get_events(bucket_id, query)
            .map_err(QuerySource::convert)?;
        Ok(events.into_iter().map(SharedEvent::from).collect())
    }

    fn get_buckets(&self) -> Result<Vec<Bucket>, DatastoreQueryError> {
        let buckets = self.0.get_buckets().map_err(QuerySource::convert)?;
        Ok(buckets.into_values().collect())
    }
}

#[rocket::post("/query", format = "json", data = "<query>")]
async fn query(
    query: JsonBody<Query>,
    datastore: &State<Datastore>,
    limits: &State<QueryLimits>,
) -> Result<Json<Vec<DataType>>, ApiError> {
    let source = QuerySource(datastore.inner().clone());
    let query = query.into_inner();
    let limits = limits.inner().clone();
    run_blocking(move || Ok(Json(aw_query::query_all_limited(&query, &source, limits)?))).await
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![query]
}
