//! [`Config`]: every setting of the server, layered `defaults -> config file -> CLI`.
//!
//! The file is TOML at `<config dir>/config.toml` (`config-testing.toml` in testing
//! mode) or the `--config` path; it is created with commented defaults when missing
//! (docs/API.md §7.4). Unknown keys are ignored, as upstream does, but each is
//! warned about by name (a misspelt `prot = 5700` would otherwise go unnoticed).
//! Bad values give a [`StartupError`] naming the file or flag, never a panic.

use std::collections::BTreeMap;
use std::fs;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use crate::backup_config::BackupConfig;
use crate::cli::Cli;
use crate::dirs::Dirs;
use crate::error::StartupError;
pub use crate::retention_config::RetentionConfig;

pub use crate::upstream_config::{create_config, AWAuthConfig, AWConfig};

/// Port used when neither the file nor the CLI sets one.
pub const DEFAULT_PORT: u16 = 5600;
/// Port used in testing mode when neither the file nor the CLI sets one.
pub const DEFAULT_TESTING_PORT: u16 = 5666;

/// All settings. The first group can be set in the config file; the second only on
/// the command line (or by code, as the testkit does).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on: an IP address (`127.0.0.1`, `0.0.0.0`, `::1`) or
    /// `localhost` (= `127.0.0.1`). The Host-header check (DNS-rebinding defence) is
    /// on for loopback addresses.
    #[serde(deserialize_with = "deserialize_address")]
    pub address: IpAddr,
    /// Port to listen on; default 5600, 5666 in testing mode, 0 = any free port.
    pub port: Option<u16>,
    /// Extra CORS origins, compared exactly as `scheme://host[:port]`.
    pub cors: Vec<String>,
    /// Extra CORS origins as regexes; each must match the WHOLE origin (anchored).
    pub cors_regex: Vec<String>,
    /// Extra host names the Host-header check accepts (any port), e.g. the name a
    /// reverse proxy forwards. Each one is a name a DNS-rebinding page could use.
    pub allowed_hosts: Vec<String>,
    /// Authentication settings (`[auth]` table).
    pub auth: AuthConfig,
    /// Directories served under `/pages/<name>` (`[custom_static]` table: name = path).
    pub custom_static: BTreeMap<String, PathBuf>,
    /// Request body size limits in bytes (`[limits]` table); larger bodies get 413.
    pub limits: BodyLimits,
    /// Automatic backups of the database (`[backup]` table).
    pub backup: BackupConfig,
    /// Folder sync inside the server (`[sync]` table; off by default).
    pub sync: crate::sync::config::SyncConfig,
    /// Opt-in deletion of old events (`[retention]` table); off by default.
    pub retention: RetentionConfig,
    /// The budget of one query request (`[query]` table).
    pub query: crate::query_config::QueryConfig,

    /// The config file that was read (set by [`Config::load`]).
    #[serde(skip)]
    pub config_file: Option<PathBuf>,
    /// Testing mode (`--testing`, always on in debug builds as upstream); not settable in the file.
    #[serde(skip)]
    pub testing: bool,
    /// Debug logging (`--verbose`).
    #[serde(skip)]
    pub verbose: bool,
    /// Database file (`--dbpath`); default `<data dir>/sqlite.db` (`sqlite-testing.db`).
    #[serde(skip)]
    pub dbpath: Option<PathBuf>,
    /// Web UI directory (`--webpath`); default `<data dir>/static`.
    #[serde(skip)]
    pub webpath: Option<PathBuf>,
    /// Device id override (`--device-id`); otherwise read from `<data dir>/device_id`.
    #[serde(skip)]
    pub device_id: Option<String>,
    /// Import the Python aw-server's database into a new one (off with
    /// `--no-legacy-import` or `--dbpath`).
    #[serde(skip)]
    pub legacy_import: bool,
}

/// The `[auth]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// When non-empty, `/api/` requests (except `GET /api/0/info` and `OPTIONS`) need
    /// `Authorization: Bearer <api_key>`.
    pub api_key: Option<String>,
}

/// The `[limits]` table: maximum request body sizes, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct BodyLimits {
    /// Every JSON body except imports (events, buckets, heartbeats, queries,
    /// settings); default 256 MiB, far above any real batch yet bounded.
    pub json: u64,
    /// `POST /api/0/import`, JSON or multipart; default 10^9 bytes, upstream's value,
    /// since a full export of years of data can be hundreds of MB.
    pub import: u64,
    /// Imports up to this size are read whole and parsed from memory (fastest);
    /// larger ones are parsed while they arrive, holding only the compact plan of the
    /// document (bounded memory). Default 192 MiB.
    pub import_in_memory: u64,
}

impl Default for BodyLimits {
    fn default() -> BodyLimits {
        BodyLimits {
            json: 256 * 1024 * 1024,
            import: 1_000_000_000,
            import_in_memory: 192 * 1024 * 1024,
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: None,
            cors: Vec::new(),
            cors_regex: Vec::new(),
            allowed_hosts: Vec::new(),
            auth: AuthConfig::default(),
            custom_static: BTreeMap::new(),
            limits: BodyLimits::default(),
            backup: BackupConfig::default(),
            query: crate::query_config::QueryConfig::default(),
            config_file: None,
            sync: crate::sync::config::SyncConfig::default(),
            retention: RetentionConfig::default(),
            testing: false,
            verbose: false,
            dbpath: None,
            webpath: None,
            device_id: None,
            legacy_import: true,
        }
    }
}

impl Config {
    /// `defaults -> config file (created if missing) -> CLI flags`.
    pub fn load(cli: &Cli, dirs: &Dirs) -> Result<Config, StartupError> {
        let testing = Config::testing_mode(cli);
        let path = match &cli.config {
            Some(path) => path.clone(),
            None => dirs.config_dir.join(config_file_name(testing)),
        };
        let text = read_or_create(&path, testing)?;
        let (mut config, unknown) =
            Config::from_toml_reporting_unknown(&text).map_err(|reason| StartupError::Config {
                path: path.clone(),
                reason,
            })?;
        for key in unknown {
            log::warn!(
                "Config file {}: unknown key '{key}' ignored (see docs/API.md §7.4 for the keys)",
                path.display()
            );
        }
        log::info!("Using config file {}", path.display());
        config.config_file = Some(path);
        config.testing = testing;
        config.apply_cli(cli)?;
        Ok(config)
    }

    /// Testing mode: `--testing`, and always in debug builds, as upstream (docs/API.md §7.2).
    pub fn testing_mode(cli: &Cli) -> bool {
        cli.testing || cfg!(debug_assertions)
    }

    /// Parses a config file's text (unknown keys ignored).
    pub fn from_toml(text: &str) -> Result<Config, String> {
        Config::from_toml_reporting_unknown(text).map(|(config, _)| config)
    }

    /// Parses a config file's text and lists the keys it ignored, dotted
    /// (`prot`, `auth.apikey`).
    pub fn from_toml_reporting_unknown(text: &str) -> Result<(Config, Vec<String>), String> {
        let mut unknown = Vec::new();
        let deserializer = toml::Deserializer::new(text);
        let config = serde_ignored::deserialize(deserializer, |path| {
            unknown.push(path.to_string());
        })
        .map_err(|err: toml::de::Error| err.to_string())?;
        Ok((config, unknown))
    }

    /// Applies the command-line overrides.
    pub fn apply_cli(&mut self, cli: &Cli) -> Result<(), StartupError> {
        let invalid = |flag: &str, value: &str, reason: String| StartupError::InvalidFlag {
            flag: flag.to_string(),
            value: value.to_string(),
            reason,
        };
        self.verbose |= cli.verbose;
        if let Some(host) = &cli.host {
            self.address = parse_address(host).map_err(|reason| invalid("--host", host, reason))?;
        }
        if let Some(port) = &cli.port {
            let port = port
                .parse()
                .map_err(|err: std::num::ParseIntError| invalid("--port", port, err.to_string()))?;
            self.port = Some(port);
        }
        if let Some(spec) = &cli.custom_static {
            let entries = parse_custom_static(spec)
                .map_err(|reason| invalid("--custom-static", spec, reason))?;
            self.custom_static.extend(entries);
        }
        if cli.dbpath.is_some() {
            self.dbpath.clone_from(&cli.dbpath);
            self.legacy_import = false;
        }
        if cli.no_legacy_import {
            self.legacy_import = false;
        }
        if cli.webpath.is_some() {
            self.webpath.clone_from(&cli.webpath);
        }
        if cli.device_id.is_some() {
            self.device_id.clone_from(&cli.device_id);
        }
        Ok(())
    }

    /// The port to listen on.
    pub fn effective_port(&self) -> u16 {
        match self.port {
            Some(port) => port,
            None if self.testing => DEFAULT_TESTING_PORT,
            None => DEFAULT_PORT,
        }
    }

    /// The API key, if authentication is enabled (an empty key disables it).
    pub fn api_key(&self) -> Option<&str> {
        self.auth.api_key.as_deref().filter(|key| !key.is_empty())
    }

    /// The database file to open.
    pub fn db_path(&self, dirs: &Dirs) -> PathBuf {
        let name = if self.testing {
            "sqlite-testing.db"
        } else {
            "sqlite.db"
        };
        self.dbpath
            .clone()
            .unwrap_or_else(|| dirs.data_dir.join(name))
    }

    /// The Python server's database to import from, when legacy import applies.
    pub fn legacy_import_path(&self, dirs: &Dirs) -> Option<PathBuf> {
        (self.legacy_import && self.dbpath.is_none()).then(|| dirs.legacy_db.clone())
    }
}

/// An IP address, or `localhost` (any case), which means `127.0.0.1` as in the
/// Python aw-server's default config.
pub fn parse_address(text: &str) -> Result<IpAddr, String> {
    if text.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    text.parse().map_err(|_| {
        format!("'{text}' is not an IP address (use e.g. 127.0.0.1, ::1, 0.0.0.0 or localhost)")
    })
}

fn deserialize_address<'de, D: serde::Deserializer<'de>>(de: D) -> Result<IpAddr, D::Error> {
    let text = String::deserialize(de)?;
    parse_address(&text).map_err(serde::de::Error::custom)
}

/// `config.toml`, or `config-testing.toml` in testing mode.
pub fn config_file_name(testing: bool) -> &'static str {
    if testing {
        "config-testing.toml"
    } else {
        "config.toml"
    }
}

/// The file written when none exists: every key commented out, so nothing is active.
pub fn default_config_text(testing: bool) -> String {
    let port = if testing {
        DEFAULT_TESTING_PORT
    } else {
        DEFAULT_PORT
    };
    let backup = crate::backup_config::DEFAULT_TEXT;
    let retention = crate::retention_config::DEFAULT_TEXT;
    let query = crate::query_config::default_text();
    format!(
        "### DEFAULT SETTINGS ###\n\
         # Address to listen on (an IP address or localhost; 0.0.0.0 listens everywhere).\n\
         #address = \"127.0.0.1\"\n\
         # Port to listen on.\n\
         #port = {port}\n\
         # Extra CORS origins, exact \"scheme://host[:port]\".\n\
         #cors = []\n\
         # Extra CORS origins as regexes, each matched against the whole origin.\n\
         #cors_regex = []\n\
         # Extra Host-header names to accept, e.g. a reverse proxy's (DNS-rebinding risk).\n\
         #allowed_hosts = []\n\
         #\n\
         #[auth]\n\
         # Require \"Authorization: Bearer <key>\" on /api/ (GET /api/0/info stays open).\n\
         # Clients that send it: aw-client-rust (read from this file for 127.0.0.1, or\n\
         # new_with_api_key) and the aw-client CLI (--api-key, AW_API_KEY, or this file);\n\
         # any HTTP client with that header. The Python aw-client 0.5.15 (PyPI) sends none,\n\
         # so its watchers are refused (401) while a key is set.\n\
         #api_key = \"\"\n\
         #\n\
         #[custom_static]\n\
         # Serve a directory under /pages/<name>.\n\
         #name = \"/path/to/directory\"\n\
         #\n\
         #[limits]\n\
         # Largest accepted request bodies, in bytes (larger ones get 413).\n\
         #json = 268435456\n\
         #import = 1000000000\n\
         # Imports up to this size are parsed in memory, larger ones as they arrive.\n\
         #import_in_memory = 201326592\n\
         {backup}\
         {query}\
         {sync}\
         {retention}",
        sync = crate::sync::config::DEFAULT_SYNC_CONFIG_TEXT
    )
}

/// Splits `name1=/path1,name2=/path2`.
pub fn parse_custom_static(spec: &str) -> Result<BTreeMap<String, PathBuf>, String> {
    let mut entries = BTreeMap::new();
    for entry in spec.split(',').filter(|entry| !entry.is_empty()) {
        let Some((name, path)) = entry.split_once('=') else {
            return Err(format!("entry '{entry}' is not of the form name=path"));
        };
        if name.is_empty() || path.is_empty() {
            return Err(format!("entry '{entry}' has an empty name or path"));
        }
        entries.insert(name.to_string(), PathBuf::from(path));
    }
    Ok(entries)
}

pub(crate) fn read_or_create(path: &Path, testing: bool) -> Result<String, StartupError> {
    let io_error = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| StartupError::Io {
            action,
            path,
            source,
        }
    };
    match fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let text = default_config_text(testing);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)
                    .map_err(io_error("create the config directory", parent))?;
            }
            fs::write(path, &text).map_err(io_error("write the default config file", path))?;
            log::info!("Created a default config file at {}", path.display());
            Ok(text)
        }
        Err(err) => Err(io_error("read the config file", path)(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        use clap::Parser;
        Cli::try_parse_from(std::iter::once("aw-server").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn default_file_is_created_and_activates_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("sub/config.toml");
        let config = Config::load(
            &cli(&["--config", path.to_str().unwrap()]),
            &Dirs::under(tmp.path(), tmp.path(), tmp.path()),
        )
        .unwrap();
        assert!(fs::read_to_string(&path)
            .unwrap()
            .starts_with("### DEFAULT SETTINGS ###"));
        let expected = Config {
            testing: config.testing,
            config_file: Some(path.clone()),
            ..Config::default()
        };
        assert_eq!(config, expected);
        for testing in [false, true] {
            assert_eq!(
                Config::from_toml(&default_config_text(testing)).unwrap(),
                Config::default()
            );
        }
    }

    #[test]
    fn file_values_and_unknown_keys() {
        let config = Config::from_toml(
            "address = \"0.0.0.0\"\nport = 1234\ncors = [\"http://a:1\"]\nunknown = 3\n\
             [auth]\napi_key = \"k\"\n[custom_static]\npg = \"/tmp\"\n",
        )
        .unwrap();
        assert_eq!(config.address.to_string(), "0.0.0.0");
        assert_eq!(config.effective_port(), 1234);
        assert_eq!(config.cors, ["http://a:1"]);
        assert_eq!(config.api_key(), Some("k"));
        assert_eq!(config.custom_static["pg"], Path::new("/tmp"));
        assert_eq!(
            Config::from_toml("[auth]\napi_key = \"\"")
                .unwrap()
                .api_key(),
            None
        );
    }

    #[test]
    fn bad_file_values_are_errors() {
        for text in [
            "address = \"example.com\"",
            "port = 70000",
            "port = \"x\"",
            "cors = 1",
            "[[[",
        ] {
            assert!(Config::from_toml(text).is_err(), "{text}");
        }
    }

    #[test]
    fn unknown_keys_are_named_and_localhost_is_loopback() {
        let (config, unknown) = Config::from_toml_reporting_unknown(
            "prot = 5700\naddress = \"LocalHost\"\nallowed_hosts = [\"aw.lan\"]\n\
             [auth]\napikey = \"k\"\n[limits]\njson = 5\n",
        )
        .unwrap();
        assert_eq!(unknown, ["prot", "auth.apikey"]);
        assert_eq!(config.address, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(config.allowed_hosts, ["aw.lan"]);
        assert_eq!(config.limits.json, 5);
        let (_, none) = Config::from_toml_reporting_unknown(&default_config_text(false)).unwrap();
        assert!(none.is_empty(), "{none:?}");
        let mut config = Config::default();
        config.apply_cli(&cli(&["--host", "localhost"])).unwrap();
        assert_eq!(config.address.to_string(), "127.0.0.1");
    }

    #[test]
    fn cli_overrides_file() {
        let mut config =
            Config::from_toml("port = 1\naddress = \"0.0.0.0\"\n[custom_static]\na = \"/x\"")
                .unwrap();
        config
            .apply_cli(&cli(&[
                "--port",
                "2",
                "--host",
                "127.0.0.1",
                "--custom-static",
                "a=/y,b=/z",
                "--dbpath",
                "/db",
                "--device-id",
                "dev",
                "--webpath",
                "/w",
                "--verbose",
            ]))
            .unwrap();
        assert_eq!(config.effective_port(), 2);
        assert_eq!(config.address.to_string(), "127.0.0.1");
        assert_eq!(config.custom_static["a"], Path::new("/y"));
        assert_eq!(config.custom_static["b"], Path::new("/z"));
        assert_eq!(config.dbpath.as_deref(), Some(Path::new("/db")));
        assert!(!config.legacy_import);
        assert_eq!(config.device_id.as_deref(), Some("dev"));
        assert_eq!(config.webpath.as_deref(), Some(Path::new("/w")));
        assert!(config.verbose);
    }

    #[test]
    fn bad_cli_values_are_errors() {
        for args in [
            &["--port", "70000"][..],
            &["--port", "x"],
            &["--host", "example.com"],
            &["--custom-static", "noequals"],
            &["--custom-static", "=/x"],
        ] {
            let err = Config::default().apply_cli(&cli(args)).unwrap_err();
            assert!(err.to_string().contains(args[0]), "{err}");
        }
    }

    #[test]
    fn paths_and_modes() {
        let dirs = Dirs::under(Path::new("/c"), Path::new("/d"), Path::new("/k"));
        let mut config = Config::default();
        assert_eq!(config.db_path(&dirs), dirs.data_dir.join("sqlite.db"));
        assert_eq!(
            config.legacy_import_path(&dirs),
            Some(dirs.legacy_db.clone())
        );
        config.testing = true;
        assert_eq!(config.effective_port(), DEFAULT_TESTING_PORT);
        assert_eq!(
            config.db_path(&dirs),
            dirs.data_dir.join("sqlite-testing.db")
        );
        config.apply_cli(&cli(&["--no-legacy-import"])).unwrap();
        assert_eq!(config.legacy_import_path(&dirs), None);
        assert_eq!(config_file_name(true), "config-testing.toml");
    }
}
