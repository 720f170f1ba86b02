//! The worker's housekeeping between requests: keeping the `-wal` file small, noticing
//! a database file deleted or replaced under the server, and running the automatic
//! backups on a thread of their own.
//!
//! What must stay true: none of this holds up a request for more than a stat(2) or a
//! short checkpoint attempt; a backup runs on its own connection and thread (one read
//! snapshot, so writes go on); a file that is gone from its path is written out once
//! from the still-open connection before anything else, and from then on writes are
//! refused.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use chrono::Utc;
use crossbeam_channel::{bounded, Receiver, TryRecvError};
use rusqlite::Connection;

mod checks;
mod watch;

use checks::start_check;
use watch::FileIdentity;

use crate::backup::{self, Retention};
use crate::error::{DatastoreError, Result};
use crate::open::IntegrityAtOpen;
use crate::status::{BackupFailure, BackupInfo, BackupStatus, IntegrityReport};

/// How often the path of the open file is compared with the file itself.
pub const FILE_WATCH_INTERVAL: Duration = Duration::from_secs(20);
/// A `-wal` file larger than this after a commit is checkpointed and truncated.
pub const WAL_TRUNCATE_BYTES: u64 = 64 * 1024 * 1024;
/// How often a running backup is looked at.
const BACKUP_POLL: Duration = Duration::from_millis(200);
/// Least time between two attempts to truncate the `-wal` file.
const WAL_RETRY: Duration = Duration::from_secs(5);

/// Automatic backups: where, how often, how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSchedule {
    /// The folder backups go to.
    pub dir: PathBuf,
    /// Time between two backups.
    pub interval: Duration,
    /// What rotation keeps.
    pub retention: Retention,
}

/// The housekeeping state of a worker serving a file.
pub struct Maintenance {
    path: PathBuf,
    identity: Option<FileIdentity>,
    next_watch: Instant,
    last_wal_try: Option<Instant>,
    problem: Option<DatastoreError>,
    schedule: Option<BackupSchedule>,
    next_backup: Option<Instant>,
    running: Option<Receiver<Result<BackupInfo>>>,
    /// When to look for the running backup's outcome next.
    next_poll: Instant,
    last_backup: Option<BackupInfo>,
    last_failure: Option<BackupFailure>,
    integrity: IntegrityReport,
    /// What to do about damage, once found (shown in the status).
    advice: Option<String>,
    /// The deferred integrity check, while it runs, and when it started.
    check: Option<(Receiver<Result<Vec<String>>>, Instant)>,
}

impl Maintenance {
    /// Starts watching `path`; the first backup is due one interval after the newest
    /// one already in the folder (at once if that is past).
    pub fn new(
        path: &Path,
        schedule: Option<BackupSchedule>,
        integrity: Option<IntegrityAtOpen>,
    ) -> Maintenance {
        let (integrity, check) = match integrity {
            Some(IntegrityAtOpen::Checked(report)) => (report, None),
            _ => (
                IntegrityReport {
                    result: "running".to_string(),
                    checked_at: Utc::now(),
                    duration_ms: 0,
                },
                start_check(path),
            ),
        };
        let last_backup = schedule
            .as_ref()
            .and_then(|schedule| backup::list(&schedule.dir, path).into_iter().next());
        let next_backup = schedule.as_ref().map(|schedule| {
            let age = last_backup
                .as_ref()
                .and_then(|last| (Utc::now() - last.time).to_std().ok());
            let wait = match age {
                Some(age) => schedule.interval.saturating_sub(age),
                None => Duration::ZERO,
            };
            // Never before the first requests had a chance to be served.
            Instant::now() + wait.max(Duration::from_millis(500))
        });
        Maintenance {
            path: path.to_path_buf(),
            identity: FileIdentity::of(path),
            next_watch: Instant::now() + FILE_WATCH_INTERVAL,
            last_wal_try: None,
            problem: None,
            schedule,
            next_backup,
            running: None,
            next_poll: Instant::now(),
            last_backup,
            last_failure: None,
            integrity,
            advice: None,
            check,
        }
    }

    /// When the worker must wake up for housekeeping.
    pub fn deadline(&self) -> Instant {
        if self.check.is_some() {
            return self.next_watch.min(self.next_poll);
        }
        match (self.next_backup, self.running.is_some()) {
            (_, true) => self.next_watch.min(self.next_poll),
            (Some(backup), false) => backup.min(self.next_watch),
            (None, false) => self.next_watch,
        }
    }

    /// The database file being served.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why writes are refused, if they are.
    pub fn write_refusal(&self) -> Option<DatastoreError> {
        self.problem.as_ref().map(|problem| match problem {
            DatastoreError::FileReplaced { path, rescued } => DatastoreError::FileReplaced {
                path: path.clone(),
                rescued: rescued.clone(),
            },
            DatastoreError::Damaged { path, detail } => DatastoreError::Damaged {
                path: path.clone(),
                detail: detail.clone(),
            },
            other => DatastoreError::StorageUnavailable {
                detail: other.to_string(),
            },
        })
    }

    /// Whether the start-up integrity check is still running or found a problem (or
    /// the file is gone from its path).
    pub fn integrity_in_doubt(&self) -> bool {
        self.check.is_some() || self.problem.is_some()
    }

    /// A description of the file problem, for the status.
    pub fn problem_text(&self) -> Option<String> {
        self.advice
            .clone()
            .or_else(|| self.problem.as_ref().map(ToString::to_string))
    }

    /// Runs what is due. `commit` must be called by the caller first (a backup copies
    /// what is committed).
    pub fn tick(&mut self, conn: &Connection) {
        self.collect_check();
        self.collect_backup();
        if Instant::now() >= self.next_watch {
            self.next_watch = Instant::now() + FILE_WATCH_INTERVAL;
            self.watch_file(conn);
        }
        let due = self.next_backup.is_some_and(|at| Instant::now() >= at);
        // A backup of a file whose check has not passed could carry the damage along.
        if due && self.running.is_none() && self.problem.is_none() && self.check.is_none() {
            self.start_backup();
        }
    }

    /// Truncates a large `-wal` file (after a big import) once readers let go of it.
    pub fn after_commit(&mut self, conn: &Connection) {
        if self
            .last_wal_try
            .is_some_and(|last| last.elapsed() < WAL_RETRY)
        {
            return;
        }
        let wal = PathBuf::from(format!("{}-wal", self.path.display()));
        let size = std::fs::metadata(&wal).map_or(0, |meta| meta.len());
        if size <= WAL_TRUNCATE_BYTES {
            return;
        }
        self.last_wal_try = Some(Instant::now());
        match checkpoint_truncate(conn, Duration::from_millis(200)) {
            Ok(true) => log::info!("checkpointed and truncated a {size}-byte -wal file"),
            Ok(false) => log::debug!("-wal checkpoint postponed: readers are busy"),
            Err(err) => log::warn!("-wal checkpoint failed: {err}"),
        }
    }

    /// The backup part of the status.
    pub fn backup_status(&mut self) -> BackupStatus {
        self.collect_backup();
        BackupStatus {
            enabled: self.schedule.is_some(),
            dir: self.schedule.as_ref().map(|schedule| schedule.dir.clone()),
            interval_secs: self
                .schedule
                .as_ref()
                .map(|schedule| schedule.interval.as_secs()),
            last: self.last_backup.clone(),
            last_failure: self.last_failure.clone(),
            running: self.running.is_some(),
        }
    }

    fn start_backup(&mut self) {
        let Some(schedule) = self.schedule.clone() else {
            return;
        };
        self.next_backup = Some(Instant::now() + schedule.interval);
        let (sender, receiver) = bounded(1);
        let db = self.path.clone();
        let spawned = thread::Builder::new()
            .name("aw-datastore-backup".to_string())
            .spawn(move || {
                let result = backup::create(&db, &schedule.dir, Utc::now());
                if result.is_ok() {
                    for removed in backup::rotate(&schedule.dir, &db, schedule.retention) {
                        log::info!("removed old backup {}", removed.display());
                    }
                }
                let _ = sender.send(result);
            });
        match spawned {
            Ok(_) => {
                self.running = Some(receiver);
                self.next_poll = Instant::now() + BACKUP_POLL;
            }
            Err(err) => self.record_failure(format!("cannot start the backup thread: {err}")),
        }
    }

    fn collect_backup(&mut self) {
        let Some(receiver) = &self.running else {
            return;
        };
        let Some(outcome) = poll(receiver, "backup") else {
            self.next_poll = Instant::now() + BACKUP_POLL;
            return;
        };
        self.running = None;
        match outcome {
            Ok(info) => {
                log::info!(
                    "backup written and verified: {} ({} bytes)",
                    info.path.display(),
                    info.size
                );
                self.last_backup = Some(info);
                self.last_failure = None;
            }
            Err(err) => self.record_failure(err.to_string()),
        }
    }

    fn record_failure(&mut self, error: String) {
        log::error!("automatic backup failed: {error}");
        self.last_failure = Some(BackupFailure {
            time: Utc::now(),
            error,
        });
    }
}

/// The outcome a helper thread sent, if it has; a thread that ended without one is
/// reported as such.
fn poll<T>(receiver: &Receiver<Result<T>>, what: &str) -> Option<Result<T>> {
    match receiver.try_recv() {
        Err(TryRecvError::Empty) => None,
        Ok(outcome) => Some(outcome),
        Err(TryRecvError::Disconnected) => Some(Err(DatastoreError::StorageUnavailable {
            detail: format!("the {what} thread stopped without an answer"),
        })),
    }
}

/// `PRAGMA wal_checkpoint(TRUNCATE)`, waiting at most `wait` for readers; true when
/// the whole log was copied back and truncated.
pub fn checkpoint_truncate(conn: &Connection, wait: Duration) -> Result<bool> {
    conn.busy_timeout(wait)?;
    let outcome = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
        row.get::<_, i64>(0)
    });
    conn.busy_timeout(Duration::from_secs(5))?;
    // The first column is 1 when the checkpoint could not run to the end.
    Ok(outcome? == 0)
}
