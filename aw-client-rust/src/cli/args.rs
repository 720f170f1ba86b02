//! The command line of `aw-client`: global options and one subcommand per task,
//! each with a help text that ends in an example.
//!
//! What must stay true: the commands, arguments and defaults shared with the
//! Python aw-client CLI (`buckets`, `events`, `heartbeat`, `query`, `report`,
//! `canonical`; `--host 127.0.0.1`, `--port 5600`, `--testing` for 5666) keep
//! their names, so scripts written for one work with the other.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes: 0 success, 1 server or file error, 2 wrong usage, 3 no server,
4 API key missing or refused, 5 unknown bucket, 6 malformed input file,
7 import stopped part-way (run it again to resume).

Examples:
  aw-client export -o activitywatch-backup.json.gz
  aw-client import activitywatch-backup.json.gz
  aw-client report $(hostname) --start 2024-05-01 --stop 2024-05-02";

/// Command-line client for ActivityWatch servers: inspect buckets and events,
/// run queries and reports, export and import data, change settings.
#[derive(Debug, Parser)]
#[command(name = "aw-client", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// Address of the server.
    #[arg(long, global = true, default_value = "127.0.0.1")]
    pub host: String,
    /// Port of the server [default: 5600, or 5666 with --testing].
    #[arg(long, global = true)]
    pub port: Option<u16>,
    /// Talk to a testing server (port 5666 unless --port is given).
    #[arg(long, global = true)]
    pub testing: bool,
    /// Print each request and other details on stderr.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// API key of a server with `[auth] api_key` set. For 127.0.0.1/localhost the
    /// key is read from the local aw-server-rust config.toml when not given.
    #[arg(long, global = true, env = "AW_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List all buckets.
    #[command(after_help = "Example:\n  aw-client buckets --json")]
    Buckets(BucketsArgs),
    /// Show events of bucket BUCKET_ID, newest first.
    #[command(
        after_help = "Examples:\n  aw-client events aw-watcher-window_myhost --limit 20\n  \
                            aw-client events aw-watcher-afk_myhost --start 2024-05-01 --format csv > afk.csv\n\n\
                            CSV has the columns id, timestamp, duration (seconds) and one column per data key;\n\
                            text that starts with = + - or @ gets a leading ' so spreadsheets do not run it."
    )]
    Events(EventsArgs),
    /// Send a heartbeat to bucket BUCKET_ID with JSON DATA.
    #[command(
        after_help = "Example:\n  aw-client heartbeat aw-watcher-manual_myhost '{\"label\": \"reading\"}' --pulsetime 120"
    )]
    Heartbeat(HeartbeatArgs),
    /// Run the query in file PATH on the server.
    #[command(
        after_help = "Example:\n  aw-client query my-query.txt --start 2024-05-01 --stop 2024-05-02 --json"
    )]
    Query(QueryArgs),
    /// Generate an activity report (top categories and titles) for HOSTNAME.
    #[command(
        after_help = "Example:\n  aw-client report myhost --start 2024-05-01 --stop 2024-05-02 --limit 5"
    )]
    Report(ReportArgs),
    /// Show the canonical events of HOSTNAME (AFK-filtered, categorized).
    #[command(after_help = "Example:\n  aw-client canonical myhost --start 2024-05-01")]
    Canonical(CanonicalArgs),
    /// Export buckets with all their events to a file (or stdout).
    #[command(after_help = "Examples:\n  aw-client export -o backup.json.gz\n  \
                            aw-client export --bucket aw-watcher-window_myhost --bucket aw-watcher-afk_myhost -o desktop.json\n\n\
                            The file is written as it arrives (never held in memory) and only gets its\n\
                            name once complete; a name ending in .gz is gzip-compressed.")]
    Export(ExportArgs),
    /// Import export files (of aw-server-rust, this server or the Python aw-server).
    #[command(
        after_help = "Examples:\n  aw-client import backup.json.gz\n  aw-client import --dry-run old-laptop.json\n\n\
                            Each file is checked completely before anything is sent. Events are sent in\n\
                            pieces of --batch-size; events the server already has are skipped, so running\n\
                            the same import again adds nothing and resumes one that stopped part-way.\n\
                            Events merged into a bucket that already had events get new ids."
    )]
    Import(ImportArgs),
    /// Delete bucket ID with all its events (asks first unless --yes).
    #[command(after_help = "Example:\n  aw-client delete-bucket aw-watcher-test_myhost --yes")]
    DeleteBucket(DeleteBucketArgs),
    /// Read, change or delete server settings (those of the web UI).
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Apply the server's privacy_filters to the events it already stores (this
    /// project's server only); prints what was (or would be) dropped and redacted.
    #[command(after_help = "Example:\n  aw-client privacy-apply --dry-run")]
    PrivacyApply(SweepArgs),
    /// Run the server's [retention] rules now (this project's server only); prints
    /// what was (or would be) deleted per bucket.
    #[command(after_help = "Example:\n  aw-client retention-apply --dry-run")]
    RetentionApply(SweepArgs),
}

/// `privacy-apply`, `retention-apply`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Only count what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `buckets`.
#[derive(Debug, Args)]
pub struct BucketsArgs {
    /// Print the server's JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub zone: Zone,
}

/// Start and end of a time range, with the zone for times without an offset.
#[derive(Debug, Args)]
pub struct Zone {
    /// Time zone for dates and times without an offset, and for the times shown:
    /// `local`, `utc` or an offset such as `+02:00`.
    #[arg(long, default_value = "local")]
    pub timezone: String,
}

/// How `events` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns.
    Table,
    /// The server's JSON.
    Json,
    /// Comma-separated values with one column per data key.
    Csv,
}

/// `events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The bucket to read.
    pub bucket_id: String,
    /// Only events after this time (e.g. 2024-05-01, 2024-05-01T09:00:00, RFC 3339).
    #[arg(long)]
    pub start: Option<String>,
    /// Only events before this time.
    #[arg(long)]
    pub end: Option<String>,
    /// At most this many events (the newest).
    #[arg(long)]
    pub limit: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Same as --format json.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub zone: Zone,
}

/// `heartbeat`.
#[derive(Debug, Args)]
pub struct HeartbeatArgs {
    /// The bucket to send to.
    pub bucket_id: String,
    /// The event's data, a JSON object.
    pub data: String,
    /// Merge with the last event if it is at most this many seconds old and equal.
    #[arg(long, default_value_t = 60.0)]
    pub pulsetime: f64,
    /// Print the stored event as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The time options shared by `query`, `report` and `canonical`. Defaults as in the
/// Python CLI: from a day ago to a year ahead.
#[derive(Debug, Args)]
pub struct Period {
    /// Start of the period [default: 24 hours ago].
    #[arg(long)]
    pub start: Option<String>,
    /// End of the period [default: a year from now].
    #[arg(long)]
    pub stop: Option<String>,
    /// Accepted for compatibility with the Python CLI; queries are not cached.
    #[arg(long)]
    pub cache: bool,
    #[command(flatten)]
    pub zone: Zone,
}

/// `query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// File with the query program.
    pub path: PathBuf,
    /// Accepted for compatibility with the Python CLI (a cache name); unused.
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub period: Period,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Host whose aw-watcher-window_HOSTNAME and aw-watcher-afk_HOSTNAME buckets are used.
    pub hostname: String,
    #[command(flatten)]
    pub period: Period,
    /// Rows per table.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Print the query result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `canonical`.
#[derive(Debug, Args)]
pub struct CanonicalArgs {
    /// Host whose window and AFK buckets are used.
    pub hostname: String,
    #[command(flatten)]
    pub period: Period,
    /// Print all events as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Export only this bucket (repeat for several); default: all buckets.
    #[arg(long = "bucket", value_name = "ID")]
    pub buckets: Vec<String>,
    /// Write to FILE instead of stdout (`.gz` compresses).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Export files (`.gz` or gzip content is decompressed).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Report what would happen without changing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Skip events that are not valid events instead of refusing the file.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Events per request.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub batch_size: u32,
    /// Print the per-bucket results as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `delete-bucket`.
#[derive(Debug, Args)]
pub struct DeleteBucketArgs {
    /// The bucket to delete.
    pub id: String,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
}

/// `settings`.
#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Print one setting, or all of them without KEY.
    #[command(after_help = "Example:\n  aw-client settings get theme")]
    Get {
        /// The setting's key.
        key: Option<String>,
    },
    /// Set KEY to VALUE: JSON if VALUE parses as JSON, otherwise the text itself.
    #[command(after_help = "Examples:\n  aw-client settings set theme dark\n  \
                            aw-client settings set startOfDay '\"04:00\"'\n  aw-client settings set devmode true")]
    Set {
        /// The setting's key.
        key: String,
        /// The new value.
        value: String,
    },
    /// Delete KEY.
    #[command(after_help = "Example:\n  aw-client settings delete theme")]
    Delete {
        /// The setting's key.
        key: String,
    },
}
