//! `POST /api/0/privacy/apply` (ours; upstream has none): applies the privacy rules in
//! force (the setting `privacy_filters`) to the events already stored, dropping or
//! redacting them; `?dry_run=1` only counts. The answer lists every bucket with how
//! many of its events were (or would be) dropped and redacted.

use aw_datastore::native::Datastore;
use aw_datastore::PrivacyReport;
use rocket::serde::json::Json;
use rocket::{Route, State};

use crate::endpoints::run_blocking;
use crate::error::ApiError;

#[rocket::post("/privacy/apply?<dry_run>")]
async fn apply_privacy(
    dry_run: Option<&str>,
    datastore: &State<Datastore>,
) -> Result<Json<PrivacyReport>, ApiError> {
    let dry_run = parse_flag("dry_run", dry_run)?;
    let datastore = datastore.inner().clone();
    run_blocking(move || Ok(Json(datastore.apply_privacy_filters(dry_run)?))).await
}

/// A yes/no query parameter: absent, `0`, `false`, `no`, `off` are no; present
/// without a value, `1`, `true`, `yes`, `on` are yes (case-insensitive).
pub(crate) fn parse_flag(name: &str, value: Option<&str>) -> Result<bool, ApiError> {
    let Some(value) = value else {
        return Ok(false);
    };
    match value.to_ascii_lowercase().as_str() {
        "" | "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ApiError::InvalidInput {
            message: format!("{name} must be 1 or 0 (or true/false), not {value:?}"),
        }),
    }
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![apply_privacy]
}
