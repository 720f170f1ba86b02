//! Settings (docs/API.md §3.16): free-form JSON values stored under `settings.<key>`.
//! Unset keys read as `null`; writes answer 201; keys of 128 bytes or more are refused.
//! The one key with a meaning, `privacy_filters`, is validated by the datastore: a
//! rule that cannot work answers 400 and the old rules stay in force.

use std::collections::BTreeMap;

use aw_datastore::native::Datastore;
use aw_datastore::DatastoreError;
use rocket::http::RawStr;
use rocket::response::status::Created;
use rocket::serde::json::{Json, Value};
use rocket::{Route, State};

use crate::endpoints::body::JsonBody;
use crate::endpoints::run_blocking;
use crate::error::ApiError;

const PREFIX: &str = "settings.";
const MAX_KEY_BYTES: usize = 127;

fn storage_key(key: &str) -> Result<String, ApiError> {
    if key.len() > MAX_KEY_BYTES {
        return Err(ApiError::KeyTooLong);
    }
    Ok(format!("{PREFIX}{key}"))
}

#[rocket::get("/settings")]
async fn get_settings(
    datastore: &State<Datastore>,
) -> Result<Json<BTreeMap<String, Value>>, ApiError> {
    let datastore = datastore.inner().clone();
    run_blocking(move || {
        let stored = datastore.get_key_values(PREFIX)?;
        let settings = stored
            .into_iter()
            .filter_map(|(key, value)| key.strip_prefix(PREFIX).map(|key| (key.to_string(), value)))
            .collect();
        Ok(Json(settings))
    })
    .await
}

#[rocket::get("/settings/<key>")]
async fn get_setting(key: &str, datastore: &State<Datastore>) -> Result<Json<Value>, ApiError> {
    let key = storage_key(key)?;
    let datastore = datastore.inner().clone();
    run_blocking(move || match datastore.get_key_value(&key) {
        Ok(value) => Ok(Json(value)),
        Err(DatastoreError::NoSuchKey { .. }) => Ok(Json(Value::Null)),
        Err(err) => Err(err.into()),
    })
    .await
}

#[rocket::post("/settings/<key>", format = "json", data = "<value>")]
async fn set_setting(
    key: &str,
    value: JsonBody<Value>,
    datastore: &State<Datastore>,
) -> Result<Created<()>, ApiError> {
    let storage_key = storage_key(key)?;
    let datastore = datastore.inner().clone();
    run_blocking(move || Ok(datastore.set_key_value(&storage_key, value.into_inner())?)).await?;
    // 201 as upstream; the Location names the written setting, percent-encoded.
    let encoded = RawStr::new(key).percent_encode();
    Ok(Created::new(format!("/api/0/settings/{encoded}")))
}

#[rocket::delete("/settings/<key>")]
async fn delete_setting(key: &str, datastore: &State<Datastore>) -> Result<(), ApiError> {
    let key = storage_key(key)?;
    let datastore = datastore.inner().clone();
    run_blocking(move || Ok(datastore.delete_key_value(&key)?)).await
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![get_settings, get_setting, set_setting, delete_setting]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_length_limit_is_in_bytes() {
        assert_eq!(
            storage_key(&"a".repeat(127)).unwrap(),
            format!("settings.{}", "a".repeat(127))
        );
        assert!(matches!(
            storage_key(&"a".repeat(128)),
            Err(ApiError::KeyTooLong)
        ));
        assert!(matches!(
            storage_key(&"é".repeat(64)),
            Err(ApiError::KeyTooLong)
        ));
    }
}
