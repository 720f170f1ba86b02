//! [`checkpoint_file`]: folds a closed database's `-wal` back into the main file, so
//! that a file-sync engine copying the folder gets one complete file.
//!
//! What must stay true: it never creates a missing file, and it reports (rather than
//! hides) a checkpoint that another connection keeps blocked. Folder sync calls it on
//! its own staging file after dropping the [`crate::Datastore`] that wrote it; once
//! the datastore checkpoints on close by itself this is a cheap no-op.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{DatastoreError, Result};

/// Attempts before a checkpoint still blocked by readers is reported.
const ATTEMPTS: u32 = 20;
/// Pause between attempts.
const PAUSE: Duration = Duration::from_millis(100);

/// Runs `PRAGMA wal_checkpoint(TRUNCATE)` on `path` and closes it; when this was the
/// last connection SQLite also removes the `-wal` and `-shm` files.
pub fn checkpoint_file(path: &Path) -> Result<()> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(PAUSE)?;
    for _ in 0..ATTEMPTS {
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?;
        if busy == 0 {
            return Ok(());
        }
        std::thread::sleep(PAUSE);
    }
    Err(DatastoreError::StorageUnavailable {
        detail: format!(
            "the checkpoint of {} stayed blocked by another connection",
            path.display()
        ),
    })
}
