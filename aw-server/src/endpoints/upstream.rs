//! Upstream-compatible server assembly: [`ServerState`], [`AssetResolver`] and
//! [`build_rocket`]`(ServerState, AWConfig) -> Rocket<Build>`, the way aw-tauri
//! and awatcher start an in-process server.
//!
//! What must stay true: [`build_rocket`] only converts its arguments and calls
//! [`build_server`], so an embedded server has exactly our binary's routes,
//! fairings and datastore behaviour. Upstream's signature cannot fail, so an
//! invalid setting (an unreadable config file, an address that is neither an IP
//! nor `localhost`, a bad CORS regex) is logged and the returned Rocket refuses to
//! ignite: `launch()` returns an error instead of serving with settings nobody
//! asked for.

use std::path::PathBuf;

use rocket::fairing::AdHoc;
use rocket::{Build, Rocket};

use crate::config::AWConfig;
use crate::dirs::Dirs;
use crate::endpoints::build_server;
use crate::error::StartupError;

/// Upstream's bundle of what a server needs besides its settings.
pub struct ServerState {
    /// The datastore to serve (upstream-compatible handle).
    pub datastore: aw_datastore::Datastore,
    /// Where the web UI files are.
    pub asset_resolver: AssetResolver,
    /// The id reported by `/api/0/info`.
    pub device_id: String,
}

/// Where the web UI (an aw-webui build) is served from.
pub struct AssetResolver {
    asset_path: Option<PathBuf>,
}

impl AssetResolver {
    /// The web UI in `asset_path`; with `None`, `<data dir>/static`, as our binary
    /// (this server embeds no web UI; without one, `/` explains how to install it).
    pub fn new(asset_path: Option<PathBuf>) -> AssetResolver {
        AssetResolver { asset_path }
    }

    fn into_webpath(self) -> Option<PathBuf> {
        self.asset_path.or_else(|| {
            Dirs::from_env()
                .ok()
                .map(|dirs| dirs.data_dir.join("static"))
        })
    }
}

/// Builds our server from upstream's arguments; launch it as upstream's.
pub fn build_rocket(server_state: ServerState, config: AWConfig) -> Rocket<Build> {
    prepare(server_state, &config).unwrap_or_else(refusing_rocket)
}

fn prepare(server_state: ServerState, config: &AWConfig) -> Result<Rocket<Build>, StartupError> {
    let ServerState {
        datastore,
        asset_resolver,
        device_id,
    } = server_state;
    let mut native = config.to_native()?;
    native.device_id = Some(device_id);
    native.webpath = asset_resolver.into_webpath();
    log::info!(
        "Starting aw-server-rust at {}:{}",
        native.address,
        native.effective_port()
    );
    build_server(&native, datastore.into_native())
}

/// A Rocket whose ignition fails with `err`, logged now and again at ignition.
fn refusing_rocket(err: StartupError) -> Rocket<Build> {
    let detail = err.to_string();
    log::error!("The server cannot start: {detail}");
    let config = rocket::Config {
        log_level: rocket::config::LogLevel::Critical,
        ..rocket::Config::release_default()
    };
    rocket::custom(config).attach(AdHoc::try_on_ignite(
        "Refuse to start: invalid settings",
        move |rocket| {
            Box::pin(async move {
                log::error!("Not starting aw-server: {detail}");
                Err(rocket)
            })
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_settings_are_refused_with_the_reason() {
        let with = |config: AWConfig| {
            let state = ServerState {
                datastore: aw_datastore::Datastore::new_in_memory(false),
                asset_resolver: AssetResolver::new(None),
                device_id: String::from("d"),
            };
            prepare(state, &config).err().map(|err| err.to_string())
        };
        let cases = [
            (
                AWConfig {
                    address: String::from("example.org"),
                    ..AWConfig::default()
                },
                "invalid value 'example.org' for address: 'example.org' is not an IP address",
            ),
            (
                AWConfig {
                    cors_regex: vec![String::from("(")],
                    ..AWConfig::default()
                },
                "invalid CORS setting '('",
            ),
            (
                AWConfig {
                    load_error: Some(String::from("invalid config file x: bad")),
                    ..AWConfig::default()
                },
                "invalid config file x: bad",
            ),
        ];
        for (config, expected) in cases {
            let reason = with(config).unwrap_or_default();
            assert!(reason.contains(expected), "{reason} / {expected}");
        }
        assert_eq!(with(AWConfig::default()), None);
    }
}
