//! [`build_server`]: the only place the HTTP server is assembled: Rocket config,
//! managed state, fairings and the route table, in the order of docs/API.md. The
//! upstream-compatible [`build_rocket`] (with [`ServerState`] and [`AssetResolver`])
//! converts its arguments and calls it.
//!
//! Body size limits come from [`BodyLimits`] (docs/API.md §1.3 has upstream's 1000 MB
//! for every JSON body): by default 256 MiB for every ordinary JSON body (events,
//! bucket creation with embedded events, heartbeats, queries, settings), far above
//! any real batch yet bounded so a runaway client cannot make us buffer gigabytes;
//! and 10^9 bytes for `POST /api/0/import` (JSON and multipart), as upstream,
//! because a full export of years of data can be hundreds of MB. Rocket knows them
//! as the `json` and [`IMPORT_LIMIT_NAME`] limits. A larger body gets 413.

mod apikey;
mod body;
mod buckets;
mod catchers;
mod cors;
mod events;
mod export;
mod heartbeat;
mod hostcheck;
mod import;
mod info;
mod method_override;
mod metrics;
pub mod openapi;
mod privacy;
mod query;
mod query_sources;
mod refusal;
mod request_metrics;
mod retention;
mod settings;
mod static_dir;
mod status;
mod streamed_body;
mod upstream;
mod webui;
pub mod webui_embedded;
mod wire;

use std::path::PathBuf;

use aw_datastore::native::Datastore;
use rocket::config::LogLevel;
use rocket::data::{ByteUnit, Limits};
use rocket::fairing::AdHoc;
use rocket::{Build, Rocket};

use crate::config::{BodyLimits, Config};
use crate::error::{ApiError, StartupError};

pub use upstream::{build_rocket, AssetResolver, ServerState};

/// Name of the Rocket limit for `POST /api/0/import` bodies, JSON or multipart.
pub const IMPORT_LIMIT_NAME: &str = "import";

/// Name of the Rocket limit up to which imports are parsed from memory (`streamed_body`).
pub const IMPORT_IN_MEMORY_NAME: &str = "import-in-memory";

/// What `/api/0/info` reports besides the host name.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The device id (docs/API.md §7.9).
    pub device_id: String,
    /// Testing mode.
    pub testing: bool,
}

/// Builds the server for `config`, serving `datastore`. The caller launches it.
///
/// Fails on invalid CORS settings. Custom static directories that do not exist, or
/// whose name is not a plain URL segment, are left out with an error log (upstream
/// panicked for those from the config file).
pub fn build_server(config: &Config, datastore: Datastore) -> Result<Rocket<Build>, StartupError> {
    let identity = Identity {
        device_id: config
            .device_id
            .clone()
            .unwrap_or_else(|| String::from("unknown")),
        testing: config.testing,
    };
    // The datastore runs the retention rules by itself; the endpoint runs the same.
    let retention_policy =
        config
            .retention
            .policy()
            .map_err(|reason| StartupError::InvalidFlag {
                flag: "[retention]".to_string(),
                value: String::new(),
                reason,
            })?;
    let rules = retention::RetentionRules(retention_policy.rules.clone());
    if !rules.0.is_empty() {
        datastore
            .schedule_retention(retention_policy)
            .map_err(StartupError::Datastore)?;
    }
    let mut cache = crate::query_cache::QueryCache::new(config.query.cache_bytes());
    // Without the datastore's change notices the cache could serve stale answers, so
    // a datastore that cannot take a listener (one that failed to open) gets none.
    if cache.enabled() {
        if let Err(err) = datastore.subscribe(cache.listener()) {
            log::warn!("query result cache off: {err}");
            cache = crate::query_cache::QueryCache::new(0);
        }
    }
    let rocket = rocket::custom(rocket_config(config))
        .manage(cache)
        .manage(datastore)
        .manage(rules)
        .manage(identity)
        .manage(config.query.limits())
        .manage(webui::WebUi::new(config.webpath.clone()));
    let mut rocket = attach_fairings(rocket, config)?
        .mount("/api/0", info::routes())
        .mount("/api/0", buckets::routes())
        .mount("/api/0", events::routes())
        .mount("/api/0", heartbeat::routes())
        .mount("/api/0", export::routes())
        .mount("/api/0", import::routes())
        .mount("/api/0", query::routes())
        .mount("/api/0", settings::routes())
        .mount("/api/0", status::routes())
        .mount("/api/0", privacy::routes())
        .mount("/api/0", retention::routes())
        .mount("/api/0", metrics::routes())
        .mount("/api/0", openapi::routes())
        .mount("/", webui::routes())
        .mount("/", cors::routes())
        .mount("/", refusal::routes())
        .register("/", catchers::catchers());
    for (name, dir) in custom_static_dirs(config) {
        rocket = rocket.mount(format!("/pages/{name}"), static_dir::StaticDir::routes(dir));
    }
    Ok(rocket)
}

/// The request fairings, in order: a bad Host wins over a CORS refusal, and
/// requests already refused are not checked again (docs/API.md §1.1).
fn attach_fairings(rocket: Rocket<Build>, config: &Config) -> Result<Rocket<Build>, StartupError> {
    // First, so its clock starts before any other fairing runs.
    let mut rocket = rocket
        .attach(request_metrics::RequestMetrics)
        .attach(method_override::NoMethodOverride)
        .attach(AdHoc::on_response("Large body pieces", |_, response| {
            Box::pin(async move { set_body_pieces(response) })
        }))
        .attach(AdHoc::on_liftoff(
            "Log the address, notify systemd",
            |rocket| {
                Box::pin(async move {
                    let config = rocket.config();
                    // A SocketAddr prints IPv6 in brackets: http://[::1]:5600.
                    let addr = std::net::SocketAddr::new(config.address, config.port);
                    log::info!("aw-server listening on http://{addr}");
                    crate::systemd::notify_ready();
                })
            },
        ));
    if let Some(hostcheck) =
        hostcheck::HostCheck::with_allowed(config.address, &config.allowed_hosts)?
    {
        rocket = rocket.attach(hostcheck);
    } else {
        log::warn!(
            "Listening on {}: the Host-header check (DNS-rebinding protection) is off",
            config.address
        );
    }
    rocket = rocket.attach(cors::Cors::from_config(config)?);
    if let Some(key) = config.api_key() {
        rocket = rocket.attach(apikey::ApiKey::new(key));
    }
    Ok(rocket)
}

/// Largest piece a body of known size is handed to hyper in.
const SIZED_BODY_PIECE: usize = 1 << 20;

/// Piece size for a streamed body (an export), which arrives in pieces of its own.
const STREAMED_BODY_PIECE: usize = 256 * 1024;

/// Rocket hands a body to hyper in pieces of 4 KiB by default, each a channel hop and a
/// socket write: a month of events (4 MB) took a thousand of them, a third of the
/// request's CPU time. Bodies larger than that go in pieces of up to 1 MiB.
fn set_body_pieces(response: &mut rocket::Response<'_>) {
    let piece = match response.body().preset_size() {
        Some(size) if size <= rocket::response::Body::DEFAULT_MAX_CHUNK => return,
        Some(size) => size.min(SIZED_BODY_PIECE),
        None => STREAMED_BODY_PIECE,
    };
    response.set_max_chunk_size(piece);
}

/// Runs blocking work (datastore calls, query evaluation, big parses) off the async
/// workers, so no HTTP worker thread ever waits on the datastore.
pub(crate) async fn run_blocking<T, F>(job: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    match rocket::tokio::task::spawn_blocking(job).await {
        Ok(result) => result,
        Err(err) => Err(ApiError::Internal {
            message: String::from("The request handler failed"),
            detail: err.to_string(),
        }),
    }
}

fn rocket_config(config: &Config) -> rocket::Config {
    let base = rocket::Config::release_default();
    let log_level = if config.verbose {
        LogLevel::Normal
    } else {
        LogLevel::Critical
    };
    rocket::Config {
        address: config.address,
        port: config.effective_port(),
        limits: body_limits(&config.limits),
        log_level,
        cli_colors: false,
        ..base
    }
}

fn body_limits(limits: &BodyLimits) -> Limits {
    Limits::default()
        .limit("json", ByteUnit::Byte(limits.json))
        .limit(IMPORT_LIMIT_NAME, ByteUnit::Byte(limits.import))
        .limit(
            IMPORT_IN_MEMORY_NAME,
            ByteUnit::Byte(limits.import_in_memory),
        )
}

/// The `custom_static` entries that can be served: an existing directory and a name
/// made of URL-safe characters (anything else would not make a valid mount point).
fn custom_static_dirs(config: &Config) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    for (name, dir) in &config.custom_static {
        let plain_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'));
        if !plain_name {
            log::error!("custom_static '{name}': use only letters, digits, '-', '_', '.', '~'");
        } else if !dir.is_dir() {
            log::error!(
                "custom_static '{name}': {} is not a directory, not serving /pages/{name}",
                dir.display()
            );
        } else {
            found.push((name.clone(), dir.clone()));
        }
    }
    found
}
