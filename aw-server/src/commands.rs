//! The maintenance commands of the `aw-server` binary (`backup`, `restore`,
//! `salvage`, `check`) and the advice printed when the database is damaged at start.
//!
//! What must stay true: each command prints one short report on stdout and fails with
//! a one-line error; none of them writes to a database a server has open (`restore`
//! takes the file's ownership lock first; `backup`, `salvage` and `check` only read).

use std::path::Path;

use aw_datastore::{backup, integrity, salvage, DatastoreError};
use chrono::Utc;

use crate::cli::MaintenanceCommand;
use crate::config::BackupConfig;
use crate::error::StartupError;

/// Runs `command` on the database at `db`.
pub fn run(command: &MaintenanceCommand, db: &Path) -> Result<(), StartupError> {
    match command {
        MaintenanceCommand::Backup { output } => {
            require_file(db, "backup")?;
            backup::copy_verified(db, output).map_err(failed("backup"))?;
            let size = std::fs::metadata(output).map_or(0, |meta| meta.len());
            println!(
                "backup of {} written to {} ({size} bytes, quick_check ok)",
                db.display(),
                output.display()
            );
        }
        MaintenanceCommand::Restore { backup: file } => {
            let restored = backup::restore(file, db, Utc::now()).map_err(failed("restore"))?;
            println!("restored {} from {}", db.display(), file.display());
            if let Some(aside) = restored.replaced {
                println!("the replaced database was kept as {}", aside.display());
            }
        }
        MaintenanceCommand::Salvage { damaged, output } => {
            let report = salvage::salvage(damaged, output).map_err(failed("salvage"))?;
            println!("salvaged {} into {}", damaged.display(), output.display());
            if report.header_rebuilt {
                println!("  the file header was unreadable and was rebuilt (on a copy)");
            }
            println!(
                "  buckets: {} read ({} recreated for orphaned events)",
                report.buckets, report.placeholder_buckets
            );
            println!(
                "  events: {} read, {} skipped",
                report.events, report.events_skipped
            );
            println!(
                "  settings: {} read; other unreadable rows: {}",
                report.settings, report.other_rows_skipped
            );
            println!(
                "to use it: stop the server, then `aw-server restore {}`",
                output.display()
            );
        }
        MaintenanceCommand::Check => {
            require_file(db, "check")?;
            let problems = integrity::integrity_check(db).map_err(failed("check"))?;
            if !problems.is_empty() {
                return Err(StartupError::Maintenance {
                    command: "check",
                    source: DatastoreError::Damaged {
                        path: db.to_path_buf(),
                        detail: problems.join("; "),
                    },
                });
            }
            println!("{}: integrity_check ok", db.display());
        }
    }
    Ok(())
}

/// The message for a database that failed its check at start: what is wrong, the
/// newest verified backup, and the exact commands to restore it or to salvage.
pub fn damaged_advice(db: &Path, detail: &str, backups: &BackupConfig) -> String {
    integrity::advice(db, detail, Some(&backups.dir_for(db)))
}

fn require_file(db: &Path, command: &'static str) -> Result<(), StartupError> {
    if db.is_file() {
        return Ok(());
    }
    Err(StartupError::Maintenance {
        command,
        source: DatastoreError::InvalidInput {
            reason: format!("there is no database at {}", db.display()),
        },
    })
}

fn failed(command: &'static str) -> impl Fn(DatastoreError) -> StartupError {
    move |source| StartupError::Maintenance { command, source }
}
