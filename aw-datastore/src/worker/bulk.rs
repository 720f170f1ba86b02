//! Bulk writes (at least [`MAX_BATCH`] events: an import, a large insert): each runs
//! in a transaction of its own, without a savepoint, and its checkpoint waits until it
//! is answered.
//!
//! What must stay true: a bulk write starts only after everything open is committed,
//! so rolling its transaction back undoes nothing else; the automatic checkpoint that
//! [`Worker::defer_checkpoint`] turns off is always turned back on, after the commit
//! or the rollback.

use super::{Worker, WAL_AUTOCHECKPOINT_PAGES};
use crate::error::Result;
use crate::protocol::{Command, Reply};

#[cfg(doc)]
use super::MAX_BATCH;

impl Worker {
    /// Runs a bulk write in a transaction holding nothing else: what is open is
    /// committed first, and a failure rolls back this write alone.
    pub(super) fn execute_alone(&mut self, command: Command) -> Result<Reply> {
        self.commit()?;
        self.begin()?;
        // SQLite's automatic checkpoint runs inside COMMIT, before the write could be
        // answered: copying an import's 100 MB back into the file made it wait for it.
        self.defer_checkpoint();
        let executed = self.state.execute(command);
        if let Err(err) = &executed {
            // SQLite may have rolled back by itself (disk full, I/O error); either way
            // only this write is undone.
            if !self.state.conn.is_autocommit() {
                if let Err(rollback_err) = self.state.conn.execute_batch("ROLLBACK") {
                    log::error!("rolling back a failed bulk write failed: {rollback_err}");
                    self.fail_batch(err.to_string());
                }
            }
            self.tx_started = None;
            self.run_deferred_checkpoint();
            // An insert stream may have counted and widened its bucket for the batches
            // before the failing one: the caches are read again from what is stored.
            if let Err(reload_err) = self.state.reload() {
                log::error!("reloading the bucket cache failed: {reload_err}");
            }
        }
        executed
    }

    /// Turns SQLite's automatic checkpoint off until the open transaction is committed.
    fn defer_checkpoint(&mut self) {
        match self.state.conn.pragma_update(None, "wal_autocheckpoint", 0) {
            Ok(()) => self.checkpoint_deferred = true,
            Err(err) => log::warn!("could not defer the checkpoint: {err}"),
        }
    }

    /// After a commit whose checkpoint was deferred (its requests are answered): the
    /// checkpoint SQLite would have run, and the automatic one back on.
    pub(super) fn run_deferred_checkpoint(&mut self) {
        if !std::mem::take(&mut self.checkpoint_deferred) {
            return;
        }
        // PASSIVE never waits for readers: frames one still needs are copied later.
        // Then the pages the bulk write filled the cache with are given back.
        let checkpointed = self
            .state
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .and_then(|()| self.state.conn.execute_batch("PRAGMA shrink_memory"));
        if let Err(err) = checkpointed {
            log::warn!("checkpoint after a bulk write failed: {err}");
        }
        if let Err(err) =
            self.state
                .conn
                .pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
        {
            log::warn!("could not turn the automatic checkpoint back on: {err}");
        }
    }
}
