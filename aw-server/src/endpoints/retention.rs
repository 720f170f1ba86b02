//! `POST /api/0/retention/apply` (ours): runs the `[retention]` rules of the config now
//! (the datastore also runs them by itself, daily); `?dry_run=1` only counts. The answer
//! lists the buckets a rule matched with how many events were (or would be) removed.

use aw_datastore::native::Datastore;
use aw_datastore::{RetentionReport, RetentionRule};
use rocket::serde::json::Json;
use rocket::{Route, State};

use crate::endpoints::privacy::parse_flag;
use crate::endpoints::run_blocking;
use crate::error::ApiError;

/// The checked `[retention]` rules, managed by Rocket.
pub(crate) struct RetentionRules(pub(crate) Vec<RetentionRule>);

#[rocket::post("/retention/apply?<dry_run>")]
async fn apply_retention(
    dry_run: Option<&str>,
    rules: &State<RetentionRules>,
    datastore: &State<Datastore>,
) -> Result<Json<RetentionReport>, ApiError> {
    let dry_run = parse_flag("dry_run", dry_run)?;
    let (datastore, rules) = (datastore.inner().clone(), rules.0.clone());
    run_blocking(move || {
        Ok(Json(datastore.apply_retention(
            rules,
            chrono::Utc::now(),
            dry_run,
        )?))
    })
    .await
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![apply_retention]
}
