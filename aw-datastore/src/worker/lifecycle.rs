//! The worker's life around the requests: shutting down cleanly (the `-wal` folded
//! back into the file), housekeeping between requests, the status report, and
//! refusing writes once the file is known to be gone or damaged.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use super::{Worker, READER_CLOSE_WAIT};
use crate::error::{DatastoreError, Result};
use crate::maintenance::{self, Maintenance};
use crate::metrics::DatastoreMetrics;
use crate::status::DatastoreStatus;

impl Worker {
    /// Commits, closes the readers, folds the `-wal` file back into the database and
    /// closes it, then releases the file: a cleanly stopped database is one file.
    pub(super) fn shut_down(mut self) -> Result<()> {
        self.abandon_jobs();
        let committed = self.commit();
        if let Some(readers) = self.readers.take() {
            readers.close(READER_CLOSE_WAIT);
        }
        if self.maintenance.is_some() {
            match maintenance::checkpoint_truncate(&self.state.conn, READER_CLOSE_WAIT) {
                Ok(true) => {}
                Ok(false) => log::warn!("the -wal file could not be folded in: still in use"),
                Err(err) => log::warn!("final checkpoint failed: {err}"),
            }
        }
        let Worker { state, owner, .. } = self;
        if let Err((_, err)) = state.conn.close() {
            log::warn!("closing the database failed: {err}");
        }
        drop(owner);
        log::info!("datastore worker stopped");
        committed
    }

    /// Between requests: file watch, backups, `-wal` size.
    pub(super) fn housekeeping(&mut self) {
        let Some(maintenance) = &self.maintenance else {
            return;
        };
        if Instant::now() < maintenance.deadline() {
            return;
        }
        // A backup copies what is committed: everything answered must be in it.
        if self.commit().is_ok() {
            if let Some(maintenance) = &mut self.maintenance {
                let conn = &self.state.conn;
                // A bug in housekeeping must not take the worker down with it.
                if catch_unwind(AssertUnwindSafe(|| maintenance.tick(conn))).is_err() {
                    log::error!("datastore housekeeping panicked; it is retried later");
                }
            }
        }
    }

    pub(super) fn status(&mut self) -> Result<DatastoreStatus> {
        let bucket_count = u64::try_from(self.state.buckets.len()).unwrap_or(u64::MAX);
        // The per-bucket counts the worker caches (counted once, then kept exact);
        // unknown rather than an error when damage keeps a bucket from being counted,
        // so the status still shows what is wrong.
        let event_count = self
            .bucket_counts()
            .ok()
            .map(|counts| counts.iter().map(|(_, count)| count).sum());
        let path = self.maintenance.as_ref().map(|m| m.path().to_path_buf());
        let size_bytes = self.file_size();
        let (integrity, backup, file_problem) = match &mut self.maintenance {
            // The integrity check's outcome is collected first: it may set the problem.
            Some(maintenance) => (
                Some(maintenance.integrity()),
                maintenance.backup_status(),
                maintenance.problem_text(),
            ),
            None => (None, crate::status::BackupStatus::default(), None),
        };
        Ok(DatastoreStatus {
            path,
            size_bytes,
            event_count,
            bucket_count,
            integrity,
            backup,
            file_problem,
        })
    }

    /// Size of the database file plus its `-wal` (0 in memory): two `stat` calls.
    fn file_size(&self) -> u64 {
        let Some(path) = self.maintenance.as_ref().map(Maintenance::path) else {
            return 0;
        };
        let wal = format!("{}-wal", path.display());
        [path.as_os_str().to_os_string(), wal.into()]
            .iter()
            .filter_map(|file| std::fs::metadata(file).ok())
            .map(|meta| meta.len())
            .sum()
    }

    /// The counters and per-bucket event counts. A bucket's count comes from the
    /// cache; one not cached yet (after an insert) is counted once, as `events/count`
    /// does, and cached. `queue_depth` is filled in by the handle.
    pub(super) fn metrics(&mut self) -> Result<DatastoreMetrics> {
        let bucket_events = self.bucket_counts()?;
        let mut counters = self.counters.clone();
        counters.heartbeats = self.state.heartbeats;
        Ok(DatastoreMetrics {
            queue_depth: 0,
            size_bytes: self.file_size(),
            counters,
            bucket_events,
        })
    }

    /// Every bucket's event count, by id: from the cache, or counted once (as
    /// `events/count` does) and cached.
    fn bucket_counts(&mut self) -> Result<Vec<(String, u64)>> {
        let mut ids: Vec<String> = self.state.buckets.keys().cloned().collect();
        ids.sort();
        ids.into_iter()
            .map(|id| self.state.full_count(&id).map(|count| (id, count)))
            .collect()
    }

    /// Why writes are refused right now (the file is gone from its path), if they are.
    pub(super) fn write_refusal(&self) -> Option<DatastoreError> {
        self.maintenance
            .as_ref()
            .and_then(Maintenance::write_refusal)
    }

    /// SQLite found a damaged page while serving a write: no more writes go there.
    pub(super) fn note_damage(&mut self, err: &DatastoreError) {
        if let (DatastoreError::Sqlite(sqlite), Some(maintenance)) = (err, &mut self.maintenance) {
            if crate::integrity::is_damage(sqlite) {
                maintenance.mark_damaged(&sqlite.to_string());
            }
        }
    }
}
