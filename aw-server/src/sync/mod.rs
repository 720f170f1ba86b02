//! Folder sync, interoperable with upstream's `aw-sync` (SYNC.md): a pass pushes this
//! device's buckets into its own file in a shared folder and pulls every other
//! device's file into `-synced-from-` buckets; a file-sync engine (Syncthing…) moves
//! the folder. Used by the `aw-sync` binary (over REST) and by the server's optional
//! `[sync]` background thread (on its datastore directly).
//!
//! What must stay true: only this device's own folder is ever written; imports are
//! never pushed and nothing recorded here is ever pulled back; passes are idempotent
//! and resumable (see `copy`); one bad peer file or bucket is skipped with a warning,
//! it never aborts the pass.

pub mod config;
pub mod copy;
pub mod folder;
pub mod list;
pub mod naming;
pub mod pager;
pub mod pull;
pub mod push;
pub mod service;
pub mod store;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::sync::store::Store;

/// Events per page when the binary syncs (upstream's batch size).
pub const DEFAULT_PAGE_SIZE: usize = 5000;

/// Everything that can go wrong in a sync pass.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Bad settings or command-line values.
    #[error("{reason}")]
    Config {
        /// What is wrong, for the user.
        reason: String,
    },
    /// The local server could not be reached or refused a request.
    #[error("{0}")]
    Client(#[from] aw_client_rust::Error),
    /// A database (own staging file, peer file, or the server's datastore) failed.
    #[error("{0}")]
    Datastore(#[from] aw_datastore::DatastoreError),
    /// A file or directory of the sync folder could not be used.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A stop was requested (SIGINT, SIGTERM, server shutdown) between two steps.
    #[error("stopped on request")]
    Stopped,
}

/// Which directions a pass runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Only this device's buckets into its own file.
    Push,
    /// Only other devices' files into this server.
    Pull,
    /// Pull, then push.
    #[default]
    Both,
}

impl Mode {
    /// Whether the pass pulls.
    pub fn pulls(self) -> bool {
        matches!(self, Mode::Pull | Mode::Both)
    }

    /// Whether the pass pushes.
    pub fn pushes(self) -> bool {
        matches!(self, Mode::Push | Mode::Both)
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(text: &str) -> Result<Mode, String> {
        match text {
            "push" => Ok(Mode::Push),
            "pull" => Ok(Mode::Pull),
            "both" => Ok(Mode::Both),
            other => Err(format!(
                "unknown mode '{other}' (expected push, pull or both)"
            )),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Push => "push",
            Mode::Pull => "pull",
            Mode::Both => "both",
        })
    }
}

/// A shared stop request, checked between pages and buckets.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// A flag that is not set.
    pub fn new() -> StopFlag {
        StopFlag::default()
    }

    /// Requests a stop.
    pub fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was requested.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The flag itself, for signal handlers.
    pub fn as_atomic(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }
}

/// The settings of one pass.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The sync root.
    pub sync_dir: PathBuf,
    /// Directions.
    pub mode: Mode,
    /// Only these bucket ids (source ids); `None` means all.
    pub buckets: Option<Vec<String>>,
    /// Where a bucket's first sync starts (midnight UTC); later passes resume.
    pub start_date: Option<NaiveDate>,
    /// Pull only from peers in these host folders (`sync --host`).
    pub hosts: Option<Vec<String>>,
    /// Pull only from this file (`--sync-db`).
    pub sync_db: Option<PathBuf>,
    /// Events per page (each page is one insert).
    pub page_size: usize,
    /// Pause after each written page.
    pub pause: Duration,
}

impl SyncOptions {
    /// Defaults for the sync root `sync_dir`: both directions, every bucket.
    pub fn new(sync_dir: PathBuf) -> SyncOptions {
        SyncOptions {
            sync_dir,
            mode: Mode::Both,
            buckets: None,
            start_date: None,
            hosts: None,
            sync_db: None,
            page_size: DEFAULT_PAGE_SIZE,
            pause: Duration::ZERO,
        }
    }

    /// Whether `bucket_id` passes `--buckets`.
    pub fn wants_bucket(&self, bucket_id: &str) -> bool {
        self.buckets
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|id| id == bucket_id || id == "*"))
    }

    /// Nanoseconds where a bucket's first sync starts.
    pub fn first_start_nanos(&self) -> i64 {
        self.start_date
            .and_then(|date| date.and_hms_opt(0, 0, 0))
            .map_or(0, |midnight| aw_models::time::to_nanos(&midnight.and_utc()))
    }
}

/// Splits `a, b,,c` into `["a", "b", "c"]`; an empty list or `*` means all (`None`).
pub fn parse_bucket_list(text: &str) -> Option<Vec<String>> {
    let ids: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect();
    (!ids.is_empty() && !ids.iter().any(|id| id == "*")).then_some(ids)
}

/// Who this device is.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The local server's device id.
    pub device_id: String,
    /// The hostname naming this device's host folder.
    pub hostname: String,
}

/// What a pass did, per direction.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    /// Events written into the own file.
    pub pushed: u64,
    /// Events written into this server.
    pub pulled: u64,
    /// Buckets or files skipped with a warning.
    pub skipped: Vec<String>,
}

/// One pass: pull (if the mode says so), then push.
pub fn run_pass(
    local: &dyn Store,
    identity: &Identity,
    options: &SyncOptions,
    stop: &StopFlag,
) -> Result<PassReport, SyncError> {
    let mut report = PassReport::default();
    if options.mode.pulls() {
        pull::pull(local, identity, options, stop, &mut report)?;
    }
    if options.mode.pushes() {
        push::push(local, identity, options, stop, &mut report)?;
    }
    log::info!(
        "sync pass done: {} events pushed, {} pulled, {} skipped",
        report.pushed,
        report.pulled,
        report.skipped.len()
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_lists_and_modes() {
        assert_eq!(
            parse_bucket_list(" a, b,,c "),
            Some(vec!["a".to_string(), "b".to_string(), "c".to_string()])
        );
        assert_eq!(parse_bucket_list(""), None);
        assert_eq!(parse_bucket_list("a,*"), None);
        assert_eq!("pull".parse::<Mode>(), Ok(Mode::Pull));
        assert!("sideways".parse::<Mode>().is_err());
        assert!(Mode::Both.pulls() && Mode::Both.pushes());
        assert!(!Mode::Push.pulls() && !Mode::Pull.pushes());
    }
}
