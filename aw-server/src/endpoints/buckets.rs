//! Buckets (docs/API.md §3.2–§3.5): list, get, create (304 if it exists), delete.

use std::collections::BTreeMap;

use aw_datastore::native::Datastore;
use aw_models::Bucket;
use rocket::serde::json::Json;
use rocket::{Route, State};

use crate::endpoints::body::JsonBody;
use crate::endpoints::info::hostname;
use crate::endpoints::{run_blocking, Identity};
use crate::error::ApiError;

/// The host name a browser watcher sends because it cannot know the real one.
const LOCAL_HOSTNAME: &str = "!local";

/// Bucket reads are answered from the worker's in-memory bucket cache, so they are
/// called on the async worker directly, as heartbeats are (see heartbeat.rs).
#[rocket::get("/buckets")]
async fn get_buckets(
    datastore: &State<Datastore>,
) -> Result<Json<BTreeMap<String, Bucket>>, ApiError> {
    Ok(Json(datastore.get_buckets()?))
}

#[rocket::get("/buckets/<bucket_id>")]
async fn get_bucket(
    bucket_id: &str,
    datastore: &State<Datastore>,
) -> Result<Json<Bucket>, ApiError> {
    Ok(Json(datastore.get_bucket(bucket_id)?))
}

/// The path id wins over the body's; `!local` becomes this host, with the device id
/// in `data.device_id` (docs/API.md §3.4).
#[rocket::post("/buckets/<bucket_id>", format = "json", data = "<bucket>")]
async fn create_bucket(
    bucket_id: &str,
    bucket: JsonBody<Bucket>,
    datastore: &State<Datastore>,
    identity: &State<Identity>,
) -> Result<(), ApiError> {
    let bucket_id = bucket_id.to_owned();
    let mut bucket = bucket.into_inner();
    bucket.id = bucket_id;
    if bucket.hostname == LOCAL_HOSTNAME {
        bucket.hostname = hostname();
        bucket
            .data
            .insert(String::from("device_id"), identity.device_id.clone().into());
    }
    let datastore = datastore.inner().clone();
    run_blocking(move || Ok(datastore.create_bucket(bucket)?)).await
}

#[rocket::delete("/buckets/<bucket_id>")]
async fn delete_bucket(bucket_id: &str, datastore: &State<Datastore>) -> Result<(), ApiError> {
    let bucket_id = bucket_id.to_owned();
    let datastore = datastore.inner().clone();
    run_blocking(move || Ok(datastore.delete_bucket(&bucket_id)?)).await
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![get_buckets, get_bucket, create_bucket, delete_bucket]
}
