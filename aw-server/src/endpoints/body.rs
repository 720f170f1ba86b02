//! [`JsonBody`]: Rocket's `Json` data guard, keeping serde's reason when a body is
//! refused, so the client is told what was wrong and where (`missing field
//! `hostname` at line 1 column 31`) instead of a bare status.
//!
//! The statuses stay Rocket's (docs/API.md §1.3): 400 for a body that is not JSON,
//! 422 for JSON of the wrong shape, 413 over the `json` limit. The reason is left in
//! the request's local cache, where the error catcher (`catchers.rs`) finds it.
//!
//! [`EventsBody`] holds a list of events as sent, read later as [`EventBatch`]es (no
//! map per event); only when that fails is `Vec<Event>` parsed as `JsonBody` would,
//! for the same answer.

use aw_models::{Event, EventBatch};
use rocket::data::{self, Data, FromData, Limits};
use rocket::request::Request;
use rocket::serde::json::{self, Json};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body of type `T`.
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T> JsonBody<T> {
    /// The parsed value.
    pub(crate) fn into_inner(self) -> T {
        self.0
    }
}

/// Why a request guard refused the request: set once by the first guard that
/// fails, read by the catcher.
pub(crate) struct GuardFailure(pub(crate) Option<ApiError>);

/// Records `error` as the reason `request` is refused, and returns its status.
pub(crate) fn refuse_with(request: &Request<'_>, error: ApiError) -> rocket::http::Status {
    let status = error.status();
    request.local_cache(move || GuardFailure(Some(error)));
    status
}

/// The error for a failed `Json` guard, as Rocket classifies it.
fn json_error(err: json::Error<'_>, limit: u64) -> ApiError {
    match err {
        json::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            ApiError::BodyTooLarge { limit }
        }
        json::Error::Io(io) => ApiError::MalformedBody {
            detail: io.to_string(),
        },
        json::Error::Parse(_, parse) => ApiError::from(parse),
    }
}

/// A JSON array of events, as sent (up to the `json` limit). It is read on a blocking
/// thread, batch by batch while the batches are stored (`endpoints/events.rs`).
pub(crate) struct EventsBody(pub(crate) String);

impl EventsBody {
    /// The events read as `JsonBody<Vec<Event>>` reads them, for a body that does not
    /// read as an [`EventBatch`]: serde's exact reason when it is no list of events (a
    /// list it accepts all the same is taken as it reads).
    pub(crate) fn exact_batch(&self) -> Result<EventBatch, ApiError> {
        let events = serde_json::from_str::<Vec<Event>>(&self.0)?;
        EventBatch::from_events(&events).map_err(|err| ApiError::InvalidBody {
            detail: err.to_string(),
        })
    }
}

#[rocket::async_trait]
impl<'r> FromData<'r> for EventsBody {
    type Error = ();

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let limit = request.limits().get("json").unwrap_or(Limits::JSON);
        match data.open(limit).into_string().await {
            Ok(text) if text.is_complete() => data::Outcome::Success(EventsBody(text.into_inner())),
            Ok(_) => {
                let error = ApiError::BodyTooLarge {
                    limit: limit.as_u64(),
                };
                data::Outcome::Error((refuse_with(request, error), ()))
            }
            Err(io) => {
                let error = ApiError::MalformedBody {
                    detail: io.to_string(),
                };
                data::Outcome::Error((refuse_with(request, error), ()))
            }
        }
    }
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = ();

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        match <Json<T> as FromData<'r>>::from_data(request, data).await {
            data::Outcome::Success(value) => data::Outcome::Success(JsonBody(value.into_inner())),
            data::Outcome::Forward(forward) => data::Outcome::Forward(forward),
            data::Outcome::Error((_, err)) => {
                let limit = request.limits().get("json").unwrap_or(Limits::JSON);
                let error = json_error(err, limit.as_u64());
                data::Outcome::Error((refuse_with(request, error), ()))
            }
        }
    }
}
