//! [`DatastoreConfig`]: where a datastore's file is and what it does besides serving
//! requests (a first-start import of the Python server's data, scheduled backups).

use std::path::{Path, PathBuf};

use crate::maintenance::BackupSchedule;

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// A SQLite file (created if missing), in WAL mode.
    File(PathBuf),
    /// A private in-memory database, gone when the last handle drops.
    Memory,
}

/// Options for opening a datastore.
#[derive(Debug, Clone)]
pub struct DatastoreConfig {
    /// File or memory.
    pub storage: Storage,
    /// Path of a Python aw-server database to import from when the file is new.
    pub legacy_import: Option<PathBuf>,
    /// Automatic backups of a file database, if wanted.
    pub backup: Option<BackupSchedule>,
}

impl DatastoreConfig {
    /// A file database with no legacy import and no automatic backups.
    pub fn file(path: &Path) -> DatastoreConfig {
        DatastoreConfig {
            storage: Storage::File(path.to_path_buf()),
            legacy_import: None,
            backup: None,
        }
    }
}
