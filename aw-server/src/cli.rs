//! The command line of the `aw-server` binary (flag names as upstream, docs/API.md §7.1).

use std::path::PathBuf;

use clap::Parser;

/// `aw-server [OPTIONS]`. Every flag overrides the config file (docs/API.md §7.4).
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "aw-server",
    version = crate::version::LONG_VERSION,
    about = "ActivityWatch-compatible REST server"
)]
pub struct Cli {
    /// Run in testing mode: port 5666, `config-testing.toml`, `sqlite-testing.db`.
    #[arg(long)]
    pub testing: bool,
    /// Log at debug level.
    #[arg(long)]
    pub verbose: bool,
    /// Address to listen on (an IP address, e.g. 127.0.0.1 or 0.0.0.0, or localhost).
    #[arg(long)]
    pub host: Option<String>,
    /// Port to listen on.
    #[arg(long)]
    pub port: Option<String>,
    /// Path of the SQLite database file (disables the legacy import).
    #[arg(long)]
    pub dbpath: Option<PathBuf>,
    /// Config file to use instead of the default one (created if missing).
    #[arg(short = 'c', long)]
    pub config: Option<PathBuf>,
    /// Directory holding an aw-webui build (index.html, js/, css/, …).
    #[arg(long)]
    pub webpath: Option<PathBuf>,
    /// Extra static directories served under `/pages/<name>`: `name1=/path1,name2=/path2`.
    #[arg(long)]
    pub custom_static: Option<String>,
    /// Device id to report instead of the one stored in the data directory.
    #[arg(long)]
    pub device_id: Option<String>,
    /// Never import the database of the Python aw-server.
    #[arg(long)]
    pub no_legacy_import: bool,
}
