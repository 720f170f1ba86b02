//! How the request fairings refuse a request: Rocket 0.5 fairings cannot answer,
//! so the request is re-targeted to one internal route that answers the stored
//! [`ApiError`] (upstream re-targets to `/cors/<n>` etc., docs/API.md §1.1). The real
//! handler never runs. Called directly, the internal route is a 404.

use rocket::http::uri::Origin;
use rocket::http::Method;
use rocket::request::{FromRequest, Outcome};
use rocket::{Request, Route};

use crate::error::ApiError;

/// The internal route every refused request is sent to.
const REFUSED_PATH: &str = "/__aw-server/refused";

/// The refusal stored in the request's local cache (set once, by the first refuser).
struct Refusal(Option<ApiError>);

/// Request guard giving the handler the stored refusal, if any.
struct Refused(Option<ApiError>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Refused {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Refused, ()> {
        Outcome::Success(Refused(request.local_cache(|| Refusal(None)).0.clone()))
    }
}

/// Refuses `request` with `error`.
pub(crate) fn refuse(request: &mut Request<'_>, error: ApiError) {
    request.local_cache(|| Refusal(Some(error)));
    match Origin::parse(REFUSED_PATH) {
        Ok(uri) => request.set_uri(uri),
        Err(err) => log::error!("internal refusal path does not parse: {err}"),
    }
    // HEAD stays HEAD (Rocket answers it with the GET route and strips the body).
    if request.method() != Method::Head {
        request.set_method(Method::Get);
    }
}

/// Whether an earlier fairing already refused `request`.
pub(crate) fn is_refused(request: &Request<'_>) -> bool {
    request.uri().path() == REFUSED_PATH
}

#[rocket::get("/__aw-server/refused")]
fn refused(refused: Refused) -> Result<(), ApiError> {
    Err(refused.0.unwrap_or_else(|| ApiError::NoSuchFile {
        path: REFUSED_PATH.to_string(),
    }))
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![refused]
}
