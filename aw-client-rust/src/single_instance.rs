//! [`SingleInstance`]: a per-client-name file lock so that two copies of one watcher
//! never run at the same time.
//!
//! The lock is an advisory exclusive lock (`flock` on Unix, `LockFileEx` on Windows)
//! on `<cache dir>/activitywatch/client_locks/<name>.lock`. The operating system
//! drops it when the process ends, even after a crash, so a stale file never blocks
//! a restart. The file itself is left in place: deleting it on release would let a
//! third process lock a fresh file while a second one still holds the old one.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;

use crate::{Error, Result};

/// Holds the lock of one client name until dropped.
#[derive(Debug)]
pub struct SingleInstance {
    // Closing the file releases the lock.
    _file: File,
    path: PathBuf,
}

impl SingleInstance {
    /// Takes the lock for `client_name` in the default directory,
    /// `dirs::cache_dir()/activitywatch/client_locks`.
    ///
    /// Fails with [`Error::AlreadyRunning`] while another holder exists.
    pub fn new(client_name: &str) -> Result<SingleInstance> {
        let cache_dir = dirs::cache_dir().ok_or(Error::NoCacheDir)?;
        let lock_dir = cache_dir.join("activitywatch").join("client_locks");
        SingleInstance::in_dir(&lock_dir, client_name)
    }

    /// Takes the lock for `client_name` in `lock_dir`, creating the directory if needed.
    pub fn in_dir(lock_dir: &Path, client_name: &str) -> Result<SingleInstance> {
        fs::create_dir_all(lock_dir).map_err(|source| Error::LockFile {
            path: lock_dir.to_path_buf(),
            source,
        })?;
        let path = lock_dir.join(format!("{}.lock", file_stem(client_name)));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| Error::LockFile {
                path: path.clone(),
                source,
            })?;
        match FileExt::try_lock_exclusive(&file) {
            Ok(true) => Ok(SingleInstance { _file: file, path }),
            Ok(false) => Err(Error::AlreadyRunning {
                client_name: client_name.to_string(),
                path,
            }),
            Err(source) => Err(Error::LockFile { path, source }),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A file name for `client_name`: characters other than ASCII letters, digits, `-`,
/// `_` and `.` become `_`, so a name can never reach outside the lock directory.
fn file_stem(client_name: &str) -> String {
    let stem: String = client_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // `.` and `..` would name directories.
    if stem.chars().all(|c| c == '.') {
        format!("_{stem}")
    } else {
        stem
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_fails_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = SingleInstance::in_dir(dir.path(), "aw-watcher-test").unwrap();
        assert_eq!(first.path(), dir.path().join("aw-watcher-test.lock"));

        let err = SingleInstance::in_dir(dir.path(), "aw-watcher-test").unwrap_err();
        assert!(matches!(err, Error::AlreadyRunning { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            format!(
                "another instance of aw-watcher-test is already running (lock file {})",
                first.path().display()
            )
        );

        // Another name is independent.
        let other = SingleInstance::in_dir(dir.path(), "aw-watcher-other").unwrap();
        drop(other);

        drop(first);
        let again = SingleInstance::in_dir(dir.path(), "aw-watcher-test").unwrap();
        assert!(again.path().exists());
    }

    #[test]
    fn lock_directory_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a").join("b");
        let lock = SingleInstance::in_dir(&nested, "x").unwrap();
        assert_eq!(lock.path(), nested.join("x.lock"));
    }

    #[test]
    fn an_unusable_directory_is_a_lock_file_error() {
        let dir = tempfile::tempdir().unwrap();
        let not_a_dir = dir.path().join("file");
        fs::write(&not_a_dir, "").unwrap();
        let err = SingleInstance::in_dir(&not_a_dir, "x").unwrap_err();
        assert!(matches!(err, Error::LockFile { .. }), "{err}");
    }

    #[test]
    fn names_cannot_escape_the_directory() {
        assert_eq!(file_stem("aw-watcher-window"), "aw-watcher-window");
        assert_eq!(file_stem("../../etc/passwd"), ".._.._etc_passwd");
        assert_eq!(file_stem(".."), "_..");
        assert_eq!(file_stem("a b\\c"), "a_b_c");
    }
}
