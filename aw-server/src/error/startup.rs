//! [`StartupError`]: everything that can stop the server from starting. `main`
//! prints it as one line and exits with status 1; each variant names the file, flag
//! or setting concerned and what was being attempted.

use std::path::PathBuf;

use aw_datastore::DatastoreError;

/// Why the server could not start. `main` prints it and exits with status 1.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The platform has no such per-user directory (no home directory).
    #[error("cannot determine the {what} directory (is HOME set?)")]
    NoDirectory {
        /// Which directory.
        what: String,
    },
    /// The config file does not parse or has a bad value.
    #[error("invalid config file {}: {reason}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A command-line flag has a bad value.
    #[error("invalid value '{value}' for {flag}: {reason}")]
    InvalidFlag {
        /// The flag, e.g. `--port`.
        flag: String,
        /// The value given.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A CORS origin or regex from the config does not parse.
    #[error("invalid CORS setting '{value}': {reason}")]
    InvalidCors {
        /// The entry.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// An `allowed_hosts` entry from the config is not a bare host name.
    #[error("invalid allowed_hosts entry '{value}': {reason}")]
    InvalidHostSetting {
        /// The entry.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being attempted, e.g. `create the database directory`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The logger could not be set up.
    #[error("cannot set up logging: {detail}")]
    Logging {
        /// What failed.
        detail: String,
    },
    /// The database could not be opened.
    #[error("cannot open the database: {0}")]
    Datastore(#[from] DatastoreError),
    /// The database file could not be opened.
    #[error("cannot open the database {}: {source}", path.display())]
    OpenDatabase {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: DatastoreError,
    },
    /// The database failed its integrity check; it was not written to.
    #[error("{message}")]
    Damaged {
        /// What is wrong, the newest backup and the commands to restore or salvage.
        message: String,
    },
    /// A maintenance command (`backup`, `restore`, `salvage`, `check`) failed.
    #[error("{command}: {source}")]
    Maintenance {
        /// The command.
        command: &'static str,
        /// Why.
        source: DatastoreError,
    },
    /// `--webpath` names no usable web UI.
    #[error("--webpath {}: {reason}", path.display())]
    WebUi {
        /// The directory given.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The HTTP server could not be configured or started (e.g. the port is in use).
    #[error("cannot start the HTTP server: {detail}")]
    Launch {
        /// What failed.
        detail: String,
    },
}
