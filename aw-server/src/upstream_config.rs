//! Upstream-compatible configuration, re-exported from [`crate::config`]:
//! [`AWConfig`], [`AWAuthConfig`] and [`create_config`], with upstream's field
//! names and types, for programs that embed the server the way aw-tauri does.
//!
//! What must stay true: the file read is the one our binary reads
//! (`config.toml` / `config-testing.toml`, created with our commented defaults),
//! nothing panics, and a file that cannot be read or parsed never yields a server
//! that runs with default settings (which could drop a configured API key): the
//! failure is kept in [`AWConfig::load_error`] and `build_rocket` refuses to start.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{config_file_name, parse_address, read_or_create, AuthConfig, Config};
use crate::config::{DEFAULT_PORT, DEFAULT_TESTING_PORT};
use crate::error::StartupError;

/// Upstream's `[auth]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AWAuthConfig {
    /// When set and non-empty, `/api/` requests (except `GET /api/0/info`) need
    /// `Authorization: Bearer <api_key>`.
    #[serde(default)]
    pub api_key: Option<String>,
}

/// Upstream's server settings, as `build_rocket` takes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AWConfig {
    /// Address to listen on: an IP address (`127.0.0.1`, `0.0.0.0`, `::1`) or `localhost`.
    pub address: String,
    /// Port to listen on (0 = any free port).
    pub port: u16,
    /// Testing mode, reported by `/api/0/info`; not read from the file.
    #[serde(skip)]
    pub testing: bool,
    /// Extra CORS origins, exact `scheme://host[:port]`.
    pub cors: Vec<String>,
    /// Extra CORS origins as regexes, each matched against the whole origin.
    pub cors_regex: Vec<String>,
    /// The `[auth]` table.
    pub auth: AWAuthConfig,
    /// Directories served under `/pages/<name>`: name -> path.
    pub custom_static: HashMap<String, String>,
    /// Not in upstream's struct: why [`create_config`] could not load the file, if
    /// it could not. `build_rocket` then refuses to start, with this reason.
    #[serde(skip)]
    pub load_error: Option<String>,
}

impl Default for AWConfig {
    /// Upstream's defaults in a fresh process: testing mode on, port 5666.
    /// [`create_config`] sets `testing` (and the default port) from its argument.
    fn default() -> AWConfig {
        AWConfig {
            address: String::from("127.0.0.1"),
            port: DEFAULT_TESTING_PORT,
            testing: true,
            cors: Vec::new(),
            cors_regex: Vec::new(),
            auth: AWAuthConfig::default(),
            custom_static: HashMap::new(),
            load_error: None,
        }
    }
}

impl AWConfig {
    /// The native [`Config`] with these settings (device id and web UI unset).
    pub(crate) fn to_native(&self) -> Result<Config, StartupError> {
        if let Some(reason) = &self.load_error {
            return Err(StartupError::Launch {
                detail: reason.clone(),
            });
        }
        let address = parse_address(&self.address).map_err(|reason| StartupError::InvalidFlag {
            flag: String::from("address"),
            value: self.address.clone(),
            reason,
        })?;
        let custom_static: BTreeMap<String, PathBuf> = self
            .custom_static
            .iter()
            .map(|(name, dir)| (name.clone(), PathBuf::from(dir)))
            .collect();
        Ok(Config {
            address,
            port: Some(self.port),
            cors: self.cors.clone(),
            cors_regex: self.cors_regex.clone(),
            auth: AuthConfig {
                api_key: self.auth.api_key.clone(),
            },
            custom_static,
            testing: self.testing,
            legacy_import: false,
            ..Config::default()
        })
    }
}

/// Reads `config_override`, or `<config dir>/config.toml` (`config-testing.toml`
/// when `testing`), creating it with commented-out defaults when missing. The port
/// defaults to 5600, or 5666 when `testing`. On failure the error is logged and
/// kept in [`AWConfig::load_error`].
pub fn create_config(testing: bool, config_override: Option<&Path>) -> AWConfig {
    match load(testing, config_override) {
        Ok(config) => config,
        Err(err) => {
            log::error!("{err}");
            AWConfig {
                testing,
                port: default_port(testing),
                load_error: Some(err.to_string()),
                ..AWConfig::default()
            }
        }
    }
}

fn load(testing: bool, config_override: Option<&Path>) -> Result<AWConfig, StartupError> {
    let path = match config_override {
        Some(path) => path.to_path_buf(),
        None => crate::dirs::get_config_dir()
            .map_err(|()| StartupError::NoDirectory {
                what: String::from("config"),
            })?
            .join(config_file_name(testing)),
    };
    log::debug!("Reading config at {}", path.display());
    let text = read_or_create(&path, testing)?;
    let invalid = |reason: String| StartupError::Config {
        path: path.clone(),
        reason,
    };
    let table: toml::Table = toml::from_str(&text).map_err(|err| invalid(err.to_string()))?;
    let port_set = table.contains_key("port");
    let mut config: AWConfig = table.try_into().map_err(|err| invalid(err.to_string()))?;
    config.testing = testing;
    if !port_set {
        config.port = default_port(testing);
    }
    Ok(config)
}

fn default_port(testing: bool) -> u16 {
    if testing {
        DEFAULT_TESTING_PORT
    } else {
        DEFAULT_PORT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_values_defaults_and_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("sub/config.toml");
        // Missing: created with our commented defaults, which set nothing.
        let config = create_config(false, Some(&path));
        assert!(path.is_file());
        assert_eq!(config.load_error, None);
        assert_eq!((config.address.as_str(), config.port), ("127.0.0.1", 5600));
        assert!(!config.testing);
        assert_eq!(create_config(true, Some(&path)).port, 5666);

        std::fs::write(
            &path,
            "address = \"0.0.0.0\"\nport = 5611\ncors = [\"http://a:1\"]\nother = 1\n\
             [auth]\napi_key = \"k\"\n[custom_static]\npg = \"/tmp\"\n[limits]\njson = 5\n",
        )
        .unwrap();
        let config = create_config(true, Some(&path));
        assert_eq!((config.address.as_str(), config.port), ("0.0.0.0", 5611));
        assert!(config.testing);
        assert_eq!(config.cors, ["http://a:1"]);
        assert_eq!(config.auth.api_key.as_deref(), Some("k"));
        assert_eq!(config.custom_static["pg"], "/tmp");
        let native = config.to_native().unwrap();
        assert_eq!(native.api_key(), Some("k"));
        assert_eq!(native.effective_port(), 5611);
        assert_eq!(native.custom_static["pg"], Path::new("/tmp"));

        for bad in ["port = \"x\"", "[[[", "auth = 3"] {
            std::fs::write(&path, bad).unwrap();
            let config = create_config(false, Some(&path));
            let reason = config.load_error.clone().unwrap();
            assert!(reason.contains("config.toml"), "{reason}");
            assert!(config.to_native().is_err());
        }
    }

    #[test]
    fn defaults_are_upstreams_fresh_process_values() {
        let config = AWConfig::default();
        assert!(config.testing);
        assert_eq!(config.port, 5666);
        let native = config.to_native().unwrap();
        assert_eq!(native.address.to_string(), "127.0.0.1");
        let named = AWConfig {
            address: String::from("localhost"),
            ..AWConfig::default()
        };
        assert_eq!(named.to_native().unwrap().address.to_string(), "127.0.0.1");
        let bad_address = AWConfig {
            address: String::from("example.org"),
            ..AWConfig::default()
        };
        assert!(bad_address
            .to_native()
            .unwrap_err()
            .to_string()
            .contains("'example.org' is not an IP address"));
    }
}
