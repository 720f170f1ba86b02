//! The command line of the `aw-server` binary (flag names as upstream, docs/API.md §7.1).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// `aw-server [OPTIONS]`. Every flag overrides the config file (docs/API.md §7.4).
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "aw-server",
    version = crate::version::LONG_VERSION,
    about = "ActivityWatch-compatible REST server"
)]
pub struct Cli {
    /// Run in testing mode: port 5666, `config-testing.toml`, `sqlite-testing.db`.
    #[arg(long, global = true)]
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
    #[arg(long, global = true)]
    pub dbpath: Option<PathBuf>,
    /// Config file to use instead of the default one (created if missing).
    #[arg(short = 'c', long, global = true)]
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
    /// A maintenance command instead of running the server.
    #[command(subcommand)]
    pub command: Option<MaintenanceCommand>,
}

/// Commands on the database file; without one, the server runs.
#[derive(Debug, Clone, Subcommand)]
pub enum MaintenanceCommand {
    /// Write a verified backup of the database to FILE; works while a server runs.
    ///
    /// Example: `aw-server backup -o ~/aw-backup.db`
    Backup {
        /// The new backup file (must not exist).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Replace the database with a backup after checking it. The replaced file is
    /// moved aside (`<db>.replaced-<time>`), never deleted. Stop the server first.
    ///
    /// Example: `aw-server restore ~/.local/share/activitywatch/aw-server-rust/backups/sqlite-backup-20261201T120000Z.db`
    Restore {
        /// The backup to restore.
        backup: PathBuf,
    },
    /// Copy every readable bucket, event and setting of a damaged database into a new
    /// file, skipping what cannot be read, and report the counts.
    ///
    /// Example: `aw-server salvage sqlite.db -o sqlite-salvaged.db`
    Salvage {
        /// The damaged database (only read).
        damaged: PathBuf,
        /// The new database file (must not exist).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Run SQLite's full integrity check on the database and print the result.
    ///
    /// Example: `aw-server check --dbpath sqlite.db`
    Check,
}
