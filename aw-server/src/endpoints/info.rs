//! `GET /api/0/info` (docs/API.md §3.1): host name, version, testing flag, device id.

use aw_models::Info;
use rocket::serde::json::Json;
use rocket::{Route, State};

use crate::endpoints::Identity;

/// The machine's host name, `unknown` if it is not valid UTF-8.
pub(crate) fn hostname() -> String {
    gethostname::gethostname()
        .into_string()
        .unwrap_or_else(|_| String::from("unknown"))
}

#[rocket::get("/info")]
fn get_info(identity: &State<Identity>) -> Json<Info> {
    Json(Info {
        hostname: hostname(),
        version: crate::version::info_version(),
        testing: identity.testing,
        device_id: identity.device_id.clone(),
    })
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![get_info]
}
