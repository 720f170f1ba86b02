//! The integrity check that runs right after the start, and what happens when it (or
//! a request) finds damage: the advice is logged and kept for the status, and writes
//! are refused from then on.

use std::path::Path;
use std::thread;
use std::time::Instant;

use crossbeam_channel::{bounded, Receiver};

use super::{poll, Maintenance, BACKUP_POLL};
use crate::error::{DatastoreError, Result};
use crate::integrity;
use crate::status::IntegrityReport;

impl Maintenance {
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

    pub(super) fn set_damaged(&mut self, detail: &str) {
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

    pub(super) fn collect_check(&mut self) {
        let Some((receiver, started)) = &self.check else {
            return;
        };
        let started = *started;
        let Some(outcome) = poll(receiver, "integrity check") else {
            self.next_poll = Instant::now() + BACKUP_POLL;
            return;
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
}

/// Runs `quick_check` of `path` on a thread and connection of its own.
pub(super) fn start_check(path: &Path) -> Option<(Receiver<Result<Vec<String>>>, Instant)> {
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
