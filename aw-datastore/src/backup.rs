//! Backups: verified copies of a live database, their rotation, and restore.
//!
//! What must stay true: a file with a backup's final name is always complete and has
//! passed `quick_check`; it is written under a temporary name, checked, synced and only
//! then renamed into place, so a crash or a full disk mid-way leaves no file that looks
//! good. The copy comes from SQLite's online backup API in one step on a connection of
//! its own: in WAL mode that is one read snapshot, so writers are never stopped. Old
//! backups are deleted only after a new one is verified, and only files with our
//! naming pattern are ever touched. A restore never deletes the file it replaces.

use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::error::{DatastoreError, Result};
use crate::integrity;
use crate::owner::OwnerLock;
use crate::status::BackupInfo;

/// How many backups rotation keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// The newest this many, whatever their age.
    pub keep_last: usize,
    /// Plus the newest of each of this many most recent ISO weeks.
    pub keep_weekly: usize,
}

impl Default for Retention {
    fn default() -> Retention {
        Retention {
            keep_last: 7,
            keep_weekly: 4,
        }
    }
}

const TIME_FORMAT: &str = "%Y%m%dT%H%M%SZ";
const MARKER: &str = "-backup-";

/// Writes a verified backup of the database at `db` into `dir` and returns it. Works
/// whether or not a server has the file open.
pub fn create(db: &Path, dir: &Path, now: DateTime<Utc>) -> Result<BackupInfo> {
    fs::create_dir_all(dir).map_err(|source| DatastoreError::Io {
        action: format!("create the backup folder {}", dir.display()),
        source,
    })?;
    let target = unused_name(dir, &stem_of(db), now);
    copy_verified(db, &target)?;
    let size = fs::metadata(&target).map_or(0, |meta| meta.len());
    Ok(BackupInfo {
        path: target,
        time: now,
        size,
        verified: true,
    })
}

/// Copies `db` to exactly `target` (which must not exist), verified, via a temporary
/// name beside it; nothing is left behind on failure.
pub fn copy_verified(db: &Path, target: &Path) -> Result<()> {
    if target.exists() {
        return Err(DatastoreError::InvalidInput {
            reason: format!("{} exists already; choose a new file", target.display()),
        });
    }
    let partial = sibling(target, ".partial");
    let result = write_copy(db, &partial).and_then(|()| {
        fs::rename(&partial, target).map_err(|source| DatastoreError::Io {
            action: format!("rename {} to {}", partial.display(), target.display()),
            source,
        })?;
        sync_dir(target);
        Ok(())
    });
    if result.is_err() {
        remove_with_journals(&partial);
    }
    result
}

fn write_copy(db: &Path, partial: &Path) -> Result<()> {
    remove_with_journals(partial);
    let source = integrity::open_existing(db)?;
    source.busy_timeout(Duration::from_secs(5))?;
    let mut dest = Connection::open(partial)?;
    {
        let backup = Backup::new(&source, &mut dest)?;
        let mut attempts = 0;
        loop {
            let step = backup.step(-1).map_err(|err| write_error(err, partial))?;
            match step {
                StepResult::Done => break,
                StepResult::More | StepResult::Busy | StepResult::Locked if attempts < 100 => {
                    attempts += 1;
                    thread::sleep(Duration::from_millis(50));
                }
                _ => {
                    return Err(DatastoreError::StorageUnavailable {
                        detail: "the database stayed busy during the backup".to_string(),
                    })
                }
            }
        }
    }
    // The copy carries the source's WAL flag; a backup is one self-contained file.
    let _: String =
        dest.pragma_update_and_check(None, "journal_mode", "DELETE", |row| row.get(0))?;
    let problems = integrity::quick_check(&dest)?;
    if !problems.is_empty() {
        return Err(DatastoreError::Damaged {
            path: db.to_path_buf(),
            detail: format!(
                "its backup copy failed quick_check: {}",
                problems.join("; ")
            ),
        });
    }
    drop(dest);
    fs::File::open(partial)
        .and_then(|file| file.sync_all())
        .map_err(|source| DatastoreError::Io {
            action: format!("sync {}", partial.display()),
            source,
        })
}

/// SQLite reports a full destination disk through the backup handle; say it plainly.
fn write_error(err: rusqlite::Error, partial: &Path) -> DatastoreError {
    let folder = partial.parent().unwrap_or(partial).display();
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => DatastoreError::StorageUnavailable {
            detail: format!("the disk holding {folder} is full"),
        },
        Some(code) => DatastoreError::StorageUnavailable {
            detail: format!("writing the backup into {folder} failed: {code:?}"),
        },
        None => DatastoreError::from(err),
    }
}

/// The verified backups of `db`'s file name in `dir`, newest first.
pub fn list(dir: &Path, db: &Path) -> Vec<BackupInfo> {
    let prefix = format!("{}{MARKER}", stem_of(db));
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<BackupInfo> = entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let name = entry.file_name().into_string().ok()?;
            let stamp = name.strip_prefix(&prefix)?.strip_suffix(".db")?;
            let stamp = stamp.split_once('.').map_or(stamp, |(stamp, _)| stamp);
            let time = NaiveDateTime::parse_from_str(stamp, TIME_FORMAT)
                .ok()?
                .and_utc();
            Some(BackupInfo {
                path: entry.path(),
                time,
                size: entry.metadata().ok()?.len(),
                verified: true,
            })
        })
        .collect();
    found.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.path.cmp(&a.path)));
    found
}

/// Deletes the backups `retention` does not keep; returns what was removed.
pub fn rotate(dir: &Path, db: &Path, retention: Retention) -> Vec<PathBuf> {
    let all = list(dir, db);
    let mut keep = vec![false; all.len()];
    for flag in keep.iter_mut().take(retention.keep_last.max(1)) {
        *flag = true;
    }
    let mut weeks = Vec::new();
    for (idx, info) in all.iter().enumerate() {
        let week = chrono::Datelike::iso_week(&info.time);
        if !weeks.contains(&week) {
            weeks.push(week);
            if weeks.len() <= retention.keep_weekly {
                if let Some(flag) = keep.get_mut(idx) {
                    *flag = true;
                }
            }
        }
    }
    let mut removed = Vec::new();
    for (info, kept) in all.into_iter().zip(keep) {
        if kept {
            continue;
        }
        match fs::remove_file(&info.path) {
            Ok(()) => removed.push(info.path),
            Err(err) => log::warn!("could not remove old backup {}: {err}", info.path.display()),
        }
    }
    removed
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// Where the replaced database was moved (never deleted), if there was one.
    pub replaced: Option<PathBuf>,
}

/// Replaces the database at `db` with `backup` after checking the backup; the current
/// file (with its `-wal`) is kept aside. Refused while a server has `db` open.
pub fn restore(backup: &Path, db: &Path, now: DateTime<Utc>) -> Result<Restored> {
    check_backup(backup)?;
    // Nothing to lock (and nothing to move aside) when there is no file yet.
    let _owner = db.exists().then(|| OwnerLock::acquire(db)).transpose()?;
    let replaced = if db.exists() {
        let aside = PathBuf::from(format!(
            "{}.replaced-{}",
            db.display(),
            now.format(TIME_FORMAT)
        ));
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", db.display()));
            if from.exists() {
                let to = PathBuf::from(format!("{}{suffix}", aside.display()));
                fs::rename(&from, &to).map_err(|source| DatastoreError::Io {
                    action: format!("move {} aside to {}", from.display(), to.display()),
                    source,
                })?;
            }
        }
        Some(aside)
    } else {
        None
    };
    copy_verified(backup, db)?;
    Ok(Restored { replaced })
}

/// A backup must be a sound database with our tables before it replaces anything.
fn check_backup(backup: &Path) -> Result<()> {
    let damaged = |detail: String| DatastoreError::Damaged {
        path: backup.to_path_buf(),
        detail,
    };
    if !backup.is_file() {
        return Err(DatastoreError::InvalidInput {
            reason: format!("{} is not a file", backup.display()),
        });
    }
    let conn = Connection::open_with_flags(
        backup,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let problems = integrity::quick_check(&conn).map_err(|err| damaged(err.to_string()))?;
    if !problems.is_empty() {
        return Err(damaged(problems.join("; ")));
    }
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('buckets', 'events')",
            [],
            |row| row.get(0),
        )
        .map_err(|err| damaged(err.to_string()))?;
    if tables != 2 {
        return Err(damaged(
            "it is not an ActivityWatch database (no buckets and events tables)".to_string(),
        ));
    }
    Ok(())
}

/// `sqlite` for `.../sqlite.db`.
fn stem_of(db: &Path) -> String {
    db.file_stem().map_or_else(
        || "database".to_string(),
        |stem| stem.to_string_lossy().into_owned(),
    )
}

fn unused_name(dir: &Path, stem: &str, now: DateTime<Utc>) -> PathBuf {
    let base = format!("{stem}{MARKER}{}", now.format(TIME_FORMAT));
    let first = dir.join(format!("{base}.db"));
    if !first.exists() {
        return first;
    }
    (1..)
        .map(|n| dir.join(format!("{base}.{n}.db")))
        .find(|path| !path.exists())
        .unwrap_or(first)
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}{suffix}"))
}

fn remove_with_journals(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Makes a rename durable (the directory entry), where the platform allows it.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        if let Err(err) = fs::File::open(parent).and_then(|dir| dir.sync_all()) {
            log::warn!("could not sync {}: {err}", parent.display());
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
