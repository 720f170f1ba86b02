//! `GET /api/0/openapi.json` (ours; upstream has none): the OpenAPI 3 document of
//! every `/api/0` route, written by hand in `openapi.json` beside this file and
//! compiled in. `aw-server/tests/openapi.rs` fails when a mounted route is missing
//! from the document or the document names a route, parameter or body type the
//! server does not have, so the two cannot drift apart.

use rocket::http::ContentType;
use rocket::Route;

/// The document, as served.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

#[rocket::get("/openapi.json")]
fn openapi() -> (ContentType, &'static str) {
    (ContentType::JSON, OPENAPI_JSON)
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![openapi]
}
