//! Integrity checks: SQLite's `quick_check` / `integrity_check`, and what a damaged
//! file looks like to the rest of the crate.
//!
//! What must stay true: a file that fails its check at open is never written to
//! (the worker refuses to start on it), and every check runs on its own connection or
//! on the worker's before the first write.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::error::{DatastoreError, Result};

/// Problems found by `PRAGMA quick_check` (empty when the file is sound). A file that
/// is not a database at all is an error, not a list.
pub fn quick_check(conn: &Connection) -> Result<Vec<String>> {
    run_check(conn, "quick_check")
}

/// Problems found by the full `PRAGMA integrity_check` of the file at `path` (empty
/// when sound), on a connection of its own. Used by tests and the command line.
pub fn integrity_check(path: &Path) -> Result<Vec<String>> {
    run_check(&open_existing(path)?, "integrity_check")
}

/// [`quick_check`] of the file at `path` on a connection of its own.
pub fn quick_check_file(path: &Path) -> Result<Vec<String>> {
    run_check(&open_existing(path)?, "quick_check")
}

/// Read-write flags without CREATE: a read-only connection cannot open a WAL file
/// whose `-shm` does not exist yet. Nothing is written through it.
pub(crate) fn open_existing(path: &Path) -> Result<Connection> {
    Ok(Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?)
}

/// What a user reads about a damaged database: what is wrong, the newest verified
/// backup in `backups` (if any), and the exact commands to restore it or to salvage.
pub fn advice(db: &Path, detail: &str, backups: Option<&Path>) -> String {
    let newest = backups.and_then(|dir| crate::backup::list(dir, db).into_iter().next());
    let salvaged = format!("{}.salvaged", db.display());
    let db = db.display();
    let mut text = format!("the database {db} is damaged: {detail}\n");
    match (newest, backups) {
        (Some(newest), _) => text.push_str(&format!(
            "newest verified backup: {} (taken {}); stop the server and restore it with:\n    \
             aw-server --dbpath {db} restore {}\n",
            newest.path.display(),
            newest.time.to_rfc3339(),
            newest.path.display()
        )),
        (None, Some(dir)) => text.push_str(&format!("no backup was found in {}\n", dir.display())),
        (None, None) => {}
    }
    text.push_str(&format!(
        "or copy what is still readable into a new file, then restore that:\n    \
         aw-server salvage {db} -o {salvaged}\n    aw-server --dbpath {db} restore {salvaged}"
    ));
    text
}

fn run_check(conn: &Connection, pragma: &str) -> Result<Vec<String>> {
    let mut statement = conn.prepare(&format!("PRAGMA {pragma}(100)"))?;
    let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
    let mut problems = Vec::new();
    for row in rows {
        let line = row?;
        if line != "ok" {
            problems.push(line);
        }
    }
    Ok(problems)
}

/// Whether an SQLite error means the file itself is damaged or not a database.
pub fn is_damage(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// Turns an SQLite error met while opening `path` into [`DatastoreError::Damaged`]
/// when it is one.
pub fn classify_open_error(path: &Path, err: rusqlite::Error) -> DatastoreError {
    if is_damage(&err) {
        DatastoreError::Damaged {
            path: path.to_path_buf(),
            detail: err.to_string(),
        }
    } else {
        DatastoreError::from(err)
    }
}
