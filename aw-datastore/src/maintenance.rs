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
use rusqlite::backup::Backup;
use rusqlite::Connection;

use crate::backup::{self, Retention};
use crate::error::{DatastoreError, Result};
use crate::integrity;
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

    /// The integrity check's result so far.
    pub fn integrity(&mut self) -> IntegrityReport {
        self.collect_check();
        self.integrity.clone()
    }

    /// A request met damage: refuse writes from now on (once).
    pub fn mark_damaged(&mut self, detail: &str) {
        if matches!(self.problem, Some(DatastoreError::Damaged { .. })) {
            return;
        }
        self.set_damaged(detail);
    }

    fn set_damaged(&mut self, detail: &str) {
        let backups = self
            .schedule
            .as_ref()
            .map(|schedule| schedule.dir.as_path());
        let advice = integrity::advice(&self.path, detail, backups);
        log::error!("{advice}");
        log::error!("writes are refused until the database is restored or salvaged");
        self.advice = Some(advice);
        self.problem = Some(DatastoreError::Damaged {
            path: self.path.clone(),
            detail: format!("{detail}; writes are refused (see the log or GET /api/0/status)"),
        });
    }

    fn collect_check(&mut self) {
        let Some((receiver, started)) = &self.check else {
            return;
        };
        let started = *started;
        let outcome = match receiver.try_recv() {
            Err(TryRecvError::Empty) => {
                self.next_poll = Instant::now() + BACKUP_POLL;
                return;
            }
            Ok(outcome) => outcome,
            Err(TryRecvError::Disconnected) => Err(DatastoreError::StorageUnavailable {
                detail: "the integrity check stopped without an answer".to_string(),
            }),
        };
        self.check = None;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let result = match outcome {
            Ok(problems) if problems.is_empty() => {
                log::info!(
                    "integrity check of {} passed in {duration_ms} ms",
                    self.path.display()
                );
                "ok".to_string()
            }
            Ok(problems) => {
                let found = format!("quick_check found: {}", problems.join("; "));
                self.set_damaged(&found);
                found
            }
            Err(DatastoreError::Sqlite(err)) if integrity::is_damage(&err) => {
                let found = format!("quick_check failed: {err}");
                self.set_damaged(&found);
                found
            }
            Err(err) => {
                log::warn!("the integrity check could not run: {err}");
                format!("not run: {err}")
            }
        };
        self.integrity = IntegrityReport {
            result,
            checked_at: self.integrity.checked_at,
            duration_ms,
        };
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
        let outcome = match receiver.try_recv() {
            Err(TryRecvError::Empty) => {
                self.next_poll = Instant::now() + BACKUP_POLL;
                return;
            }
            Ok(outcome) => outcome,
            Err(TryRecvError::Disconnected) => Err(DatastoreError::StorageUnavailable {
                detail: "the backup thread stopped without an answer".to_string(),
            }),
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

    /// Compares the open file with what the path names now; on a mismatch writes the
    /// open data out and refuses writes from then on.
    fn watch_file(&mut self, conn: &Connection) {
        if self.problem.is_some() {
            return;
        }
        let (Some(open), now) = (self.identity, FileIdentity::of(&self.path)) else {
            return;
        };
        if now == Some(open) {
            return;
        }
        log::error!(
            "the database file {} was deleted or replaced while the server ran; \
             saving the open data and refusing writes",
            self.path.display()
        );
        let rescued = match self.rescue(conn) {
            Ok(path) => {
                log::error!("the open data was saved to {}", path.display());
                path.display().to_string()
            }
            Err(err) => {
                log::error!("saving the open data failed: {err}");
                format!("nowhere: {err}")
            }
        };
        self.problem = Some(DatastoreError::FileReplaced {
            path: self.path.clone(),
            rescued,
        });
    }

    /// Writes the still-open database out beside the path (or into the backup folder,
    /// or the temporary folder, whichever can be written).
    fn rescue(&self, conn: &Connection) -> Result<PathBuf> {
        let name = format!(
            "{}.rescued-{}.db",
            self.path
                .file_name()
                .map_or_else(|| "database".into(), |name| name.to_string_lossy()),
            Utc::now().format("%Y%m%dT%H%M%SZ")
        );
        let mut folders: Vec<PathBuf> = self
            .path
            .parent()
            .map(Path::to_path_buf)
            .into_iter()
            .collect();
        folders.extend(self.schedule.as_ref().map(|schedule| schedule.dir.clone()));
        folders.push(std::env::temp_dir());
        let mut last_error = None;
        for folder in folders {
            let target = folder.join(&name);
            match write_out(conn, &target) {
                Ok(()) => return Ok(target),
                Err(err) => last_error = Some(err),
            }
        }
        Err(last_error.unwrap_or_else(|| DatastoreError::InvalidInput {
            reason: "no folder to write to".to_string(),
        }))
    }
}

/// Runs `quick_check` of `path` on a thread and connection of its own.
fn start_check(path: &Path) -> Option<(Receiver<Result<Vec<String>>>, Instant)> {
    let (sender, receiver) = bounded(1);
    let path = path.to_path_buf();
    let spawned = thread::Builder::new()
        .name("aw-datastore-check".to_string())
        .spawn(move || {
            let _ = sender.send(integrity::quick_check_file(&path));
        });
    match spawned {
        Ok(_) => Some((receiver, Instant::now())),
        Err(err) => {
            log::warn!("cannot start the integrity check: {err}");
            None
        }
    }
}

fn write_out(conn: &Connection, target: &Path) -> Result<()> {
    let mut dest = Connection::open(target)?;
    let result = Backup::new(conn, &mut dest).and_then(|backup| backup.step(-1));
    if let Err(err) = result {
        drop(dest);
        let _ = std::fs::remove_file(target);
        return Err(err.into());
    }
    Ok(())
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

/// Device and inode of a file, to notice it being replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity {
    dev: u64,
    ino: u64,
}

impl FileIdentity {
    #[cfg(unix)]
    fn of(path: &Path) -> Option<FileIdentity> {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|meta| FileIdentity {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    /// Elsewhere an open database file cannot be deleted or replaced.
    #[cfg(not(unix))]
    fn of(_path: &Path) -> Option<FileIdentity> {
        None
    }
}
