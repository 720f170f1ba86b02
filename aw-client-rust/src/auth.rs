//! API keys: the `Authorization: Bearer <key>` header both clients send when a key
//! is set, and [`local_server_api_key`], which finds the key of a server running on
//! this machine from that server's own config file (loopback hosts only).
//!
//! What must stay true: a key is only ever read from the local server's own config
//! for loopback hosts, so a key never travels to another machine by accident.

use std::path::Path;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};

use crate::{Error, Result};

/// The host names for which the local server's config is consulted.
const LOOPBACK_HOSTS: [&str; 4] = ["127.0.0.1", "localhost", "::1", "[::1]"];

/// The config files aw-server-rust reads, each with the port it uses when the file
/// sets none (`config-testing.toml` is the testing-mode file, port 5666).
const SERVER_CONFIGS: [(&str, u16); 2] = [("config.toml", 5600), ("config-testing.toml", 5666)];

/// The `[auth] api_key` of the aw-server-rust instance on this machine that listens
/// on `port`, if `host` is a loopback name (`127.0.0.1`, `localhost`, `::1`).
///
/// Reads `<config dir>/activitywatch/aw-server-rust/config.toml` (and
/// `config-testing.toml`), where the config dir is `$XDG_CONFIG_HOME` or
/// `~/.config` on Linux. A file whose `port` (default 5600, 5666 for the testing
/// file) differs from `port` is skipped; an empty key counts as none. Unreadable
/// files are logged and skipped, never an error: the server may not need a key.
///
/// ```
/// // A remote host never gets the local key.
/// assert_eq!(aw_client_rust::local_server_api_key("example.com", 5600), None);
/// ```
pub fn local_server_api_key(host: &str, port: u16) -> Option<String> {
    if !LOOPBACK_HOSTS.contains(&host) {
        return None;
    }
    let config_dir = dirs::config_dir()?
        .join("activitywatch")
        .join("aw-server-rust");
    api_key_in(&config_dir, port)
}

/// The key for `port` from the server config files in `config_dir`.
fn api_key_in(config_dir: &Path, port: u16) -> Option<String> {
    SERVER_CONFIGS.iter().find_map(|(file_name, default_port)| {
        let path = config_dir.join(file_name);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
            Err(err) => {
                log::warn!("cannot read {}: {err}", path.display());
                return None;
            }
        };
        let config: toml::Table = match text.parse() {
            Ok(config) => config,
            Err(err) => {
                log::warn!("cannot parse {}: {err}", path.display());
                return None;
            }
        };
        if configured_port(&config).unwrap_or(*default_port) != port {
            return None;
        }
        let key = config.get("auth")?.get("api_key")?.as_str()?;
        (!key.is_empty()).then(|| key.to_string())
    })
}

/// `port` as an integer or, as the Python client also accepts, a string.
fn configured_port(config: &toml::Table) -> Option<u16> {
    match config.get("port")? {
        toml::Value::Integer(port) => u16::try_from(*port).ok(),
        toml::Value::String(port) => port.trim().parse().ok(),
        _ => None,
    }
}

/// The reqwest client both [`crate::AwClient`]s use: a timeout, a user agent and,
/// with a key, the `Authorization` header on every request (marked sensitive so it
/// never shows in debug output).
pub(crate) fn http_client(timeout: Duration, api_key: Option<&str>) -> Result<reqwest::Client> {
    let mut headers = HeaderMap::new();
    if let Some(api_key) = api_key {
        let mut value =
            HeaderValue::from_str(&format!("Bearer {api_key}")).map_err(|_| Error::Setup {
                reason: String::from("the API key contains characters not allowed in a header"),
            })?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("aw-client-rust/", env!("CARGO_PKG_VERSION")))
        .default_headers(headers)
        .build()
        .map_err(|err| Error::Setup {
            reason: err.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_taken_from_the_file_whose_port_matches() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            "port = 5601\n[auth]\napi_key = \"secret123\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("config-testing.toml"),
            "[auth]\napi_key = \"testing-secret\"\n",
        )
        .unwrap();
        assert_eq!(api_key_in(dir.path(), 5601).as_deref(), Some("secret123"));
        assert_eq!(
            api_key_in(dir.path(), 5666).as_deref(),
            Some("testing-secret")
        );
        assert_eq!(api_key_in(dir.path(), 5600), None);
    }

    #[test]
    fn string_ports_empty_keys_and_broken_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            "port = \"5602\"\n[auth]\napi_key = \"k\"\n",
        )
        .unwrap();
        assert_eq!(api_key_in(dir.path(), 5602).as_deref(), Some("k"));
        std::fs::write(dir.path().join("config.toml"), "[auth]\napi_key = \"\"\n").unwrap();
        assert_eq!(api_key_in(dir.path(), 5600), None);
        std::fs::write(dir.path().join("config.toml"), "port = [").unwrap();
        assert_eq!(api_key_in(dir.path(), 5600), None);
        assert_eq!(api_key_in(&dir.path().join("missing"), 5600), None);
    }

    #[test]
    fn remote_hosts_never_read_the_local_config() {
        assert_eq!(local_server_api_key("192.0.2.1", 5600), None);
        assert_eq!(local_server_api_key("example.com", 5600), None);
    }

    #[test]
    fn keys_that_cannot_be_a_header_are_a_setup_error() {
        let err = http_client(Duration::from_secs(1), Some("a\nb")).unwrap_err();
        assert!(matches!(err, Error::Setup { .. }), "{err}");
        assert!(http_client(Duration::from_secs(1), Some("secret")).is_ok());
    }
}
