//! Noticing a database file deleted or replaced under the running server, and writing
//! the still-open data out before anything else.

use std::path::{Path, PathBuf};

use chrono::Utc;
use rusqlite::backup::Backup;
use rusqlite::Connection;

use super::Maintenance;
use crate::error::{DatastoreError, Result};

impl Maintenance {
    /// Compares the open file with what the path names now; on a mismatch writes the
    /// open data out and refuses writes from then on.
    pub(super) fn watch_file(&mut self, conn: &Connection) {
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

/// Device and inode of a file, to notice it being replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileIdentity {
    dev: u64,
    ino: u64,
}

impl FileIdentity {
    #[cfg(unix)]
    pub(super) fn of(path: &Path) -> Option<FileIdentity> {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|meta| FileIdentity {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    /// Elsewhere an open database file cannot be deleted or replaced.
    #[cfg(not(unix))]
    pub(super) fn of(_path: &Path) -> Option<FileIdentity> {
        None
    }
}
