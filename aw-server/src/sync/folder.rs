//! The sync folder: where it is, where this device's own file goes, and which peer
//! files it holds (SYNC.md §1, §6, §9).
//!
//! What must stay true: this device writes only `<root>/<host>/<device_id>/test.db`
//! (the host layout that Android, legacy `sync` and later upstream read); peers are
//! found in both layouts (`<root>/*/*/*.db` and `<root>/*/*.db`), one file per device
//! id (the largest), this device's id compared as a whole path component; discovery
//! only reads directories and never fails a pass (unreadable entries are skipped).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use crate::sync::SyncError;

/// The name of the staging file every implementation writes.
pub const STAGING_FILE: &str = "test.db";
/// The environment variable that sets the sync root.
pub const SYNC_DIR_ENV: &str = "AW_SYNC_DIR";

/// A database file found in the sync folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderDb {
    /// Path of the file.
    pub path: PathBuf,
    /// The folder it sits in, which names the device.
    pub device_id: String,
    /// The host folder above it (host layout), `None` in the flat layout.
    pub host: Option<String>,
    /// Size in bytes.
    pub size: u64,
}

/// The sync root: `--sync-dir` (must be absolute), else `AW_SYNC_DIR`, else
/// `<home>/ActivityWatchSync`.
pub fn resolve_sync_dir(
    flag: Option<&Path>,
    env: Option<OsString>,
    home: Option<PathBuf>,
) -> Result<PathBuf, SyncError> {
    if let Some(flag) = flag {
        if !flag.is_absolute() {
            return Err(SyncError::Config {
                reason: format!("Sync dir must be absolute: {}", flag.display()),
            });
        }
        return Ok(flag.to_path_buf());
    }
    if let Some(env) = env.filter(|value| !value.is_empty()) {
        return Ok(PathBuf::from(env));
    }
    match home {
        Some(home) => Ok(home.join("ActivityWatchSync")),
        None => Err(SyncError::Config {
            reason: format!("no home directory; set {SYNC_DIR_ENV} or --sync-dir"),
        }),
    }
}

/// A hostname as a folder name: lowercase, with anything but `a-z 0-9 . _ -`
/// replaced by `_` (what Android produces); never empty.
pub fn host_folder_name(hostname: &str) -> String {
    let name: String = hostname
        .trim()
        .chars()
        .map(|ch| {
            let ch = ch.to_ascii_lowercase();
            if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-') {
                ch
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.chars().all(|ch| ch == '.') {
        String::from("unknown-host")
    } else {
        name
    }
}

/// `<root>/<host folder>/<device_id>/test.db`.
pub fn own_db_path(root: &Path, hostname: &str, device_id: &str) -> PathBuf {
    root.join(host_folder_name(hostname))
        .join(device_id)
        .join(STAGING_FILE)
}

/// Every `.db` file of both layouts, grouped as one per device id (the largest file
/// wins), ordered by device id. Includes this device's own file.
pub fn discover(root: &Path) -> Vec<FolderDb> {
    let mut found = Vec::new();
    for first in subdirs(root) {
        let first_name = file_name(&first);
        // Flat layout: <root>/<device_id>/*.db
        for db in db_files(&first) {
            found.push(FolderDb {
                size: file_size(&db),
                path: db,
                device_id: first_name.clone(),
                host: None,
            });
        }
        // Host layout: <root>/<host>/<device_id>/*.db
        for second in subdirs(&first) {
            let device_id = file_name(&second);
            for db in db_files(&second) {
                found.push(FolderDb {
                    size: file_size(&db),
                    path: db,
                    device_id: device_id.clone(),
                    host: Some(first_name.clone()),
                });
            }
        }
    }
    let mut per_device: BTreeMap<String, FolderDb> = BTreeMap::new();
    for db in found {
        match per_device.get(&db.device_id) {
            Some(kept) if kept.size >= db.size => {
                log::warn!(
                    "device {} has several files; using {} and ignoring {}",
                    db.device_id,
                    kept.path.display(),
                    db.path.display()
                );
            }
            Some(kept) => {
                log::warn!(
                    "device {} has several files; using {} and ignoring {}",
                    db.device_id,
                    db.path.display(),
                    kept.path.display()
                );
                per_device.insert(db.device_id.clone(), db);
            }
            None => {
                per_device.insert(db.device_id.clone(), db);
            }
        }
    }
    per_device.into_values().collect()
}

/// [`discover`] without this device's files.
pub fn discover_peers(root: &Path, own_device_id: &str) -> Vec<FolderDb> {
    discover(root)
        .into_iter()
        .filter(|db| db.device_id != own_device_id)
        .collect()
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let read = match fs::read_dir(dir) {
        Ok(read) => read,
        Err(err) => {
            if err.kind() != std::io::ErrorKind::NotFound {
                log::warn!("cannot read {}: {err}", dir.display());
            }
            return Vec::new();
        }
    };
    let mut paths: Vec<PathBuf> = read
        .filter_map(|entry| match entry {
            Ok(entry) => Some(entry.path()),
            Err(err) => {
                log::warn!("cannot read an entry of {}: {err}", dir.display());
                None
            }
        })
        .collect();
    paths.sort();
    paths
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    entries(dir)
        .into_iter()
        .filter(|path| path.is_dir() && !file_name(path).starts_with('.'))
        .collect()
}

fn db_files(dir: &Path) -> Vec<PathBuf> {
    entries(dir)
        .into_iter()
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "db"))
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn file_size(path: &Path) -> u64 {
    fs::metadata(path).map(|meta| meta.len()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_dir_resolution_order() {
        let home = Some(PathBuf::from("/home/u"));
        let env = Some(OsString::from("rel/dir"));
        assert_eq!(
            resolve_sync_dir(Some(Path::new("/abs")), env.clone(), home.clone()).unwrap(),
            Path::new("/abs")
        );
        assert!(resolve_sync_dir(Some(Path::new("rel")), None, home.clone()).is_err());
        assert_eq!(
            resolve_sync_dir(None, env, home.clone()).unwrap(),
            Path::new("rel/dir")
        );
        assert_eq!(
            resolve_sync_dir(None, None, home).unwrap(),
            Path::new("/home/u/ActivityWatchSync")
        );
        assert!(resolve_sync_dir(None, None, None).is_err());
    }

    #[test]
    fn host_folder_names_are_safe() {
        for (hostname, expected) in [
            ("Laptop", "laptop"),
            ("My PC", "my_pc"),
            ("a/b\\c", "a_b_c"),
            ("", "unknown-host"),
            ("..", "unknown-host"),
            ("poco_f8-ultra.lan", "poco_f8-ultra.lan"),
        ] {
            assert_eq!(host_folder_name(hostname), expected, "{hostname}");
        }
    }

    #[test]
    fn both_layouts_one_file_per_device() {
        let root = tempfile::tempdir().unwrap();
        let write = |rel: &str, len: usize| {
            let path = root.path().join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, vec![0u8; len]).unwrap();
        };
        write("host1/dev1/test.db", 10);
        write("dev2/test.db", 10);
        write("host2/dev2/test.db", 20);
        write("host3/dev3/test.db-wal", 5);
        write("host3/dev3/notes.txt", 5);
        write("own/me/test.db", 5);
        let found = discover_peers(root.path(), "me");
        let summary: Vec<(String, Option<String>, u64)> = found
            .iter()
            .map(|db| (db.device_id.clone(), db.host.clone(), db.size))
            .collect();
        assert_eq!(
            summary,
            [
                ("dev1".to_string(), Some("host1".to_string()), 10),
                ("dev2".to_string(), Some("host2".to_string()), 20),
            ]
        );
        assert_eq!(discover(root.path()).len(), 3);
    }
}
