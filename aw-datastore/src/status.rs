//! What the worker reports about the file it serves: [`DatastoreStatus`] (database
//! size, the integrity check at start, the last backup), shared by the handle, the
//! worker and the backup code.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A verified backup file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupInfo {
    /// Where it is.
    pub path: PathBuf,
    /// When it was taken.
    pub time: DateTime<Utc>,
    /// Its size in bytes.
    pub size: u64,
    /// Whether it passed `quick_check` (always true for files with a backup's name).
    pub verified: bool,
}

/// The result of the integrity check run when the file was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrityReport {
    /// `"ok"`, or the problems found, joined.
    pub result: String,
    /// When it ran.
    pub checked_at: DateTime<Utc>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
}

/// A failed backup attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupFailure {
    /// When it was attempted.
    pub time: DateTime<Utc>,
    /// What went wrong.
    pub error: String,
}

/// The state of the automatic backups.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BackupStatus {
    /// Whether automatic backups are on.
    pub enabled: bool,
    /// The folder they go to.
    pub dir: Option<PathBuf>,
    /// Seconds between two backups.
    pub interval_secs: Option<u64>,
    /// The newest verified backup in the folder.
    pub last: Option<BackupInfo>,
    /// The last attempt that failed, if it came after the last success.
    pub last_failure: Option<BackupFailure>,
    /// Whether a backup is being written right now.
    pub running: bool,
}

/// Everything `GET /api/0/status` shows about the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatastoreStatus {
    /// The database file (none for memory).
    pub path: Option<PathBuf>,
    /// Size of the file plus its `-wal`, in bytes.
    pub size_bytes: u64,
    /// Events in all buckets (`None` when damage keeps them from being counted).
    pub event_count: Option<u64>,
    /// Number of buckets.
    pub bucket_count: u64,
    /// The check at open (none for memory).
    pub integrity: Option<IntegrityReport>,
    /// Automatic backups.
    pub backup: BackupStatus,
    /// Set when the file was deleted or replaced under the server: writes are refused.
    pub file_problem: Option<String>,
}
