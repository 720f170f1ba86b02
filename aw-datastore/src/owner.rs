//! One server per database file: the [`OwnerLock`] a worker holds for as long as it
//! has the file open, and the identification of whoever holds it instead.
//!
//! What must stay true: a second datastore (ours, in this process or another) on the
//! same file fails to open with [`DatastoreError::DatabaseInUse`], and so does one
//! started while a foreign process (upstream's server, a `sqlite3` shell) holds
//! SQLite's write lock. The lock is an advisory `flock` on the database file itself on
//! Unix (independent of SQLite's own `fcntl` locks, so it never interferes with them,
//! and no extra file appears beside the database, which matters in a synced folder),
//! and a `<file>.lock` sidecar elsewhere, where byte-range locks on the file would be
//! mandatory. The lock file descriptor is closed only after every SQLite connection of
//! the worker is closed: closing any descriptor of a file drops the process's `fcntl`
//! locks on it.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;

use crate::error::{DatastoreError, Result};

/// Held by the worker while the file is open; dropping it releases the file.
#[derive(Debug)]
pub struct OwnerLock {
    _file: File,
}

impl OwnerLock {
    /// Takes the file for this process, or says who has it.
    pub fn acquire(db_path: &Path) -> Result<OwnerLock> {
        let lock_path = lock_path(db_path);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|err| DatastoreError::Io {
                action: format!("open {} to lock it", lock_path.display()),
                source: err,
            })?;
        match file.try_lock_exclusive() {
            Ok(true) => Ok(OwnerLock { _file: file }),
            Ok(false) => Err(in_use(db_path, describe_holders(db_path))),
            Err(err) => Err(DatastoreError::Io {
                action: format!("lock {}", lock_path.display()),
                source: err,
            }),
        }
    }
}

/// The error for a file that another process (or another datastore of this one) owns.
pub fn in_use(db_path: &Path, holder: Option<String>) -> DatastoreError {
    DatastoreError::DatabaseInUse {
        path: db_path.to_path_buf(),
        holder: holder.unwrap_or_else(|| "another process".to_string()),
    }
}

#[cfg(unix)]
fn lock_path(db_path: &Path) -> PathBuf {
    db_path.to_path_buf()
}

#[cfg(not(unix))]
fn lock_path(db_path: &Path) -> PathBuf {
    let mut name = db_path.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

/// Who holds locks on the database (or its `-shm` file, where WAL writers lock), as
/// "process 1234 (aw-server --port 5600)"; `None` where the system does not tell.
pub fn describe_holders(db_path: &Path) -> Option<String> {
    let mut shm = db_path.as_os_str().to_os_string();
    shm.push("-shm");
    let mut pids = lock_holders(db_path);
    pids.extend(lock_holders(Path::new(&shm)));
    pids.sort_unstable();
    pids.dedup();
    let own = std::process::id();
    let described: Vec<String> = pids
        .into_iter()
        .map(|pid| {
            if pid == own {
                "this process (another datastore handle)".to_string()
            } else {
                describe_process(pid)
            }
        })
        .collect();
    (!described.is_empty()).then(|| described.join(", "))
}

/// Process ids holding any lock on `path`, read from `/proc/locks` (Linux only).
#[cfg(target_os = "linux")]
fn lock_holders(path: &Path) -> Vec<u32> {
    use std::os::unix::fs::MetadataExt;
    let (Ok(meta), Ok(locks)) = (
        std::fs::metadata(path),
        std::fs::read_to_string("/proc/locks"),
    ) else {
        return Vec::new();
    };
    // Lines read `1: POSIX  ADVISORY  WRITE 4242 08:01:1234567 0 EOF`; the device is
    // printed as hex major:minor.
    let dev = meta.dev();
    let (major, minor) = (libc_major(dev), libc_minor(dev));
    let wanted = format!("{major:02x}:{minor:02x}:{}", meta.ino());
    locks
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let inode_at = fields
                .iter()
                .position(|field| field.matches(':').count() == 2)?;
            let inode = fields.get(inode_at)?;
            let pid = fields.get(inode_at.checked_sub(1)?)?;
            (*inode == wanted).then(|| pid.parse().ok()).flatten()
        })
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn lock_holders(_path: &Path) -> Vec<u32> {
    Vec::new()
}

/// glibc's `major()` of a `dev_t`.
#[cfg(target_os = "linux")]
fn libc_major(dev: u64) -> u64 {
    ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0x0000_0fff)
}

/// glibc's `minor()` of a `dev_t`.
#[cfg(target_os = "linux")]
fn libc_minor(dev: u64) -> u64 {
    ((dev >> 12) & 0xffff_ff00) | (dev & 0x0000_00ff)
}

/// "process 1234 (aw-server --testing --port 5667)", from `/proc/<pid>/cmdline`.
fn describe_process(pid: u32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let words: Vec<String> = cmdline
        .split(|byte| *byte == 0)
        .filter(|word| !word.is_empty())
        .map(|word| String::from_utf8_lossy(word).into_owned())
        .collect();
    let Some((program, args)) = words.split_first() else {
        return format!("process {pid}");
    };
    let name = Path::new(program).file_name().map_or_else(
        || program.clone(),
        |name| name.to_string_lossy().into_owned(),
    );
    let mut shown = vec![name];
    shown.extend(args.iter().take(8).cloned());
    format!("process {pid} ({})", shown.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_in_the_same_process_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let first = OwnerLock::acquire(&path).unwrap();
        let err = OwnerLock::acquire(&path).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("db.sqlite"), "{text}");
        if cfg!(target_os = "linux") {
            assert!(text.contains("this process"), "{text}");
        }
        drop(first);
        OwnerLock::acquire(&path).unwrap();
    }
}
