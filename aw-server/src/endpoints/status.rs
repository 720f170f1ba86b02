//! `GET /api/0/status` (ours; upstream has none): the database's size and event
//! count, the integrity check at start and the state of the automatic backups, so a
//! dashboard or a script can warn before data is at risk. `GET /api/0/info` keeps
//! upstream's exact shape; this is where everything else goes.

use aw_datastore::native::Datastore;
use aw_datastore::DatastoreStatus;
use rocket::serde::json::Json;
use rocket::{Route, State};

use crate::endpoints::run_blocking;
use crate::error::ApiError;

#[rocket::get("/status")]
async fn get_status(datastore: &State<Datastore>) -> Result<Json<DatastoreStatus>, ApiError> {
    let datastore = datastore.inner().clone();
    run_blocking(move || Ok(Json(datastore.status()?))).await
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![get_status]
}
