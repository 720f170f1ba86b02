//! The worker's sweeps (see `sweep`): queued, stepped between requests, answered
//! when finished — after the commit holding their last writes, like any durable write.
//!
//! What must stay true: a step runs in its own savepoint, so a failing step undoes
//! only itself; a batch rolled back under a sweep makes it start over (its counts
//! would otherwise describe writes that are gone); writes are never swept into a file
//! whose writes are refused.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use crossbeam_channel::Sender;

use super::Worker;
use crate::error::{DatastoreError, Result};
use crate::protocol::Reply;
use crate::sweep::PrivacySweep;

/// A queued sweep and who waits for its answer.
pub(super) struct Job {
    sweep: PrivacySweep,
    reply: Sender<Reply>,
}

impl Worker {
    /// Queues a privacy sweep with the rules in force now.
    pub(super) fn queue_privacy(&mut self, dry_run: bool, reply: Sender<Reply>) {
        if !dry_run {
            if let Some(err) = self.write_refusal() {
                let _ = reply.send(Reply::Failed(err));
                return;
            }
        }
        let sweep = PrivacySweep::new(self.state.filters.clone(), dry_run);
        self.jobs.push_back(Job { sweep, reply });
    }

    /// Runs one step of the oldest queued sweep, if there is one.
    pub(super) fn step_jobs(&mut self) {
        let Some(mut job) = self.jobs.pop_front() else {
            return;
        };
        if !job.sweep.dry_run() {
            if let Some(err) = self.write_refusal() {
                let _ = job.reply.send(Reply::Failed(err));
                return;
            }
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| self.step(&mut job.sweep)));
        match outcome {
            Ok(Ok(None)) => self.jobs.push_front(job),
            Ok(Ok(Some(report))) => {
                let answer = Reply::Privacy(Box::new(report));
                if job.sweep.dry_run() {
                    let _ = job.reply.send(answer);
                } else {
                    self.held_since.get_or_insert_with(Instant::now);
                    self.held.push((job.reply, answer));
                }
            }
            Ok(Err(err)) => {
                self.note_damage(&err);
                let _ = job.reply.send(Reply::Failed(err));
            }
            Err(_) => {
                log::error!("a sweep step panicked; it is abandoned and the batch rolled back");
                let _ = job
                    .reply
                    .send(Reply::Failed(DatastoreError::StorageUnavailable {
                        detail: "internal error while sweeping".to_string(),
                    }));
                self.fail_batch("internal error while sweeping".to_string());
            }
        }
    }

    fn step(&mut self, sweep: &mut PrivacySweep) -> Result<Option<crate::PrivacyReport>> {
        if sweep.dry_run() {
            return sweep.step(&mut self.state);
        }
        let (report, pending) = self.in_savepoint(|state| {
            let before = state.conn.total_changes();
            let report = sweep.step(state)?;
            Ok((report, state.conn.total_changes().saturating_sub(before)))
        })?;
        self.pending += usize::try_from(pending).unwrap_or(usize::MAX);
        Ok(report)
    }

    /// After a rolled-back batch: sweeps that wrote into it start over.
    pub(super) fn restart_jobs(&mut self) {
        for job in &mut self.jobs {
            if !job.sweep.dry_run() {
                job.sweep.restart();
            }
        }
    }

    /// At shutdown: nobody waits forever for a sweep that will not finish.
    pub(super) fn abandon_jobs(&mut self) {
        for job in self.jobs.drain(..) {
            let _ = job
                .reply
                .send(Reply::Failed(DatastoreError::StorageUnavailable {
                    detail: "the server is stopping; the sweep was not finished".to_string(),
                }));
        }
    }
}
