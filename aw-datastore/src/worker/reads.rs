//! The worker's reads: which reads go to a reader thread and which it answers itself
//! (small reads and the full-bucket count, which see the open batch), and export
//! streams. What must stay true: before a read leaves the worker, everything
//! answered is committed, so the reader's snapshot contains it.

use crossbeam_channel::{bounded, Sender};

use super::Worker;
use crate::decoded::DataCache;
use crate::error::Result;
use crate::handle::is_small_read;
use crate::protocol::{Command, Reply};
use crate::reader::ReadJob;
use crate::state::is_default_range;

impl Worker {
    /// The reader-pool form of a range read or count, if the command is one.
    pub(super) fn read_job(&self, command: &Command) -> Option<Result<ReadJob>> {
        match command {
            // A read bounded by a small limit is one short index probe: the worker
            // answers it itself rather than paying a hand-off to a reader thread.
            Command::GetEvents(_, query, _) if is_small_read(*query) => None,
            Command::GetEvents(id, query, form) => Some(self.state.events_job(id, *query, *form)),
            // The full count is answered from the bucket cache, on the worker.
            Command::GetEventCount(id, query) if !is_default_range(*query) => {
                Some(self.state.count_job(id, *query))
            }
            _ => None,
        }
    }

    /// Starts streaming a bucket's events to `chunks`: on a reader thread when there is
    /// one, else here, after answering (the consumer reads while the worker sends).
    pub(super) fn start_stream(
        &mut self,
        bucket_id: &str,
        chunks: Sender<Result<Vec<aw_models::SharedEvent>>>,
        reply: Sender<Reply>,
    ) {
        let row = match self.state.get_bucket_row(bucket_id) {
            Ok(row) => row,
            Err(err) => {
                let _ = reply.send(Reply::Failed(err));
                return;
            }
        };
        if let Err(err) = self.commit() {
            let _ = reply.send(Reply::Failed(err));
            return;
        }
        let _ = reply.send(Reply::Done);
        let job = ReadJob::Stream { row, chunks };
        match &self.readers {
            // The job's own reply is not needed: the chunks are the answer.
            Some(_) => self.dispatch_read(job, bounded(1).0),
            None => {
                let _ = job.run(&self.state.conn, &mut DataCache::default());
            }
        }
    }

    /// Commits what is pending (so the reader sees every answered write), then hands
    /// the read to the pool; runs it here if the pool is gone.
    pub(super) fn dispatch_read(&mut self, job: ReadJob, reply: Sender<Reply>) {
        if let Err(err) = self.commit() {
            let _ = reply.send(Reply::Failed(err));
            return;
        }
        let returned = match &self.readers {
            Some(readers) => readers.submit(job, reply),
            None => Err((job, reply)),
        };
        if let Err((job, reply)) = returned {
            self.readers = None;
            let answer = job.run(&self.state.conn, &mut DataCache::default());
            let _ = reply.send(answer.unwrap_or_else(Reply::Failed));
        }
    }
}
