//! `POST /api/0/buckets/<id>/heartbeat?pulsetime=<seconds>` (API.md §3.11, §5).
//! `pulsetime` is required; missing or unparsable gives Rocket's 422.

use aw_datastore::Datastore;
use aw_models::Event;
use rocket::serde::json::Json;
use rocket::{Route, State};

use crate::endpoints::run_blocking;
use crate::error::ApiError;

#[rocket::post(
    "/buckets/<bucket_id>/heartbeat?<pulsetime>",
    format = "json",
    data = "<heartbeat>"
)]
async fn heartbeat(
    bucket_id: String,
    pulsetime: f64,
    heartbeat: Json<Event>,
    datastore: &State<Datastore>,
) -> Result<Json<Event>, ApiError> {
    let heartbeat = heartbeat.into_inner();
    let datastore = datastore.inner().clone();
    run_blocking(move || Ok(Json(datastore.heartbeat(&bucket_id, heartbeat, pulsetime)?))).await
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![heartbeat]
}
