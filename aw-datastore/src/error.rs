//! [`DatastoreError`]: every way a datastore operation can fail.

use std::fmt;
use std::path::PathBuf;

/// Result alias for datastore operations.
pub type Result<T> = std::result::Result<T, DatastoreError>;

/// What went wrong, named by situation. The server maps each variant to one HTTP
/// status in `aw-server/src/error.rs`.
#[derive(Debug, thiserror::Error)]
pub enum DatastoreError {
    /// The bucket does not exist, e.g. `get_events("nob", ..)`.
    #[error("The requested bucket '{bucket_id}' does not exist")]
    NoSuchBucket {
        /// The id that was asked for.
        bucket_id: String,
    },
    /// `create_bucket` of an id that exists.
    #[error("Bucket '{bucket_id}' already exists")]
    BucketAlreadyExists {
        /// The id that exists.
        bucket_id: String,
    },
    /// No event with that id in that bucket.
    #[error("The requested event {event_id} does not exist in bucket '{bucket_id}'")]
    NoSuchEvent {
        /// The bucket that was searched.
        bucket_id: String,
        /// The id that was asked for.
        event_id: i64,
    },
    /// No value stored under that key.
    #[error("The requested key(s) '{key}' do not exist")]
    NoSuchKey {
        /// The key that was asked for.
        key: String,
    },
    /// Input the datastore refuses to store, e.g. an end time past the year 2262.
    #[error("{reason}")]
    InvalidInput {
        /// Why, in words a user can act on.
        reason: String,
    },
    /// The database file cannot grow (disk full, quota) or a commit failed for a
    /// reason that may pass; nothing was written and the request can be retried.
    #[error(
        "The database could not store the change ({detail}); nothing was written, retry later"
    )]
    StorageUnavailable {
        /// SQLite's description.
        detail: String,
    },
    /// Another server (ours or a foreign one) owns the database file: opening it
    /// twice would let the two diverge or block each other's writes.
    #[error(
        "the database {path} is already in use by {holder}; stop it first, or give this \
         server another file with --dbpath"
    )]
    DatabaseInUse {
        /// The database file.
        path: PathBuf,
        /// Who holds it, as far as the system tells ("process 1234 (aw-server …)").
        holder: String,
    },
    /// The database file failed its integrity check (or is not a database at all). It
    /// is never written to; the text says how to restore or salvage it.
    #[error("the database {path} is damaged: {detail}")]
    Damaged {
        /// The database file.
        path: PathBuf,
        /// What the check found, and what the user can do about it.
        detail: String,
    },
    /// The database file was deleted or replaced under the running server; writes are
    /// refused so they do not vanish into an unlinked file.
    #[error(
        "the database file {path} was deleted or replaced while the server ran; writes \
         are refused (the open data was saved to {rescued}); restart the server"
    )]
    FileReplaced {
        /// The path the server opened.
        path: PathBuf,
        /// Where the still-open data was written out, or why it could not be.
        rescued: String,
    },
    /// A file operation outside SQLite failed (lock file, backup folder, rename).
    #[error("cannot {action}: {source}")]
    Io {
        /// What was being attempted, with the path.
        action: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The worker thread is gone or answered nonsense.
    #[error("Datastore worker unavailable: {detail}")]
    WorkerGone {
        /// What was observed.
        detail: WorkerFailure,
    },
    /// The database could not be opened, so nothing can be answered: what every call
    /// of a datastore made by the upstream-compatible `Datastore::new` returns after
    /// its open failed (that constructor cannot return an error).
    #[error("The datastore could not be opened: {detail}")]
    OpenFailed {
        /// Why the open failed (the original error's text).
        detail: String,
    },
    /// Any other SQLite failure.
    #[error("Database error: {0}")]
    Sqlite(#[source] rusqlite::Error),
}

/// How the channel to the worker failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerFailure {
    /// The request could not be sent: the worker has exited.
    Send,
    /// The worker dropped the request without answering (it died while handling it).
    Receive,
}

impl fmt::Display for WorkerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerFailure::Send => f.write_str("the datastore worker has stopped"),
            WorkerFailure::Receive => {
                f.write_str("the datastore worker died while handling the request")
            }
        }
    }
}

impl From<rusqlite::Error> for DatastoreError {
    fn from(err: rusqlite::Error) -> DatastoreError {
        if is_storage_full(&err) {
            return DatastoreError::StorageUnavailable {
                detail: err.to_string(),
            };
        }
        DatastoreError::Sqlite(err)
    }
}

/// Errors that mean "the disk (or the configured page limit) is full" or "the file is
/// busy": the caller may retry once the condition passes.
fn is_storage_full(err: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode;
    matches!(
        err.sqlite_error_code(),
        Some(
            ErrorCode::DiskFull
                | ErrorCode::SystemIoFailure
                | ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
        )
    )
}
