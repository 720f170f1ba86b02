//! [`BatchStream`]: a long event list stored while the caller is still reading it.
//! A `POST …/events` of half a million events is read in batches of [`STREAM_BATCH`];
//! the worker stores each batch as it comes, so reading and storing overlap instead
//! of following each other.
//!
//! What must stay true: the list is stored in one transaction of its own, all or
//! nothing: [`BatchStream::finish`] commits it, and a stream dropped without it (the
//! caller found an invalid element) is undone. An unknown bucket is refused as the
//! batches are sent, before any is stored.

use aw_models::EventBatch;
use crossbeam_channel::{bounded, Receiver, Sender};

use crate::error::Result;
use crate::handle::{await_reply, unexpected, Datastore};
use crate::protocol::{Command, Reply};

/// Events per batch of a stream: small enough that storing starts early, large
/// enough that the hand-over costs nothing next to the work.
pub const STREAM_BATCH: usize = 8192;

/// Batches read ahead of the worker.
const BATCHES_AHEAD: usize = 2;

/// An open insert stream into one bucket.
#[derive(Debug)]
pub struct BatchStream {
    batches: Sender<Option<EventBatch>>,
    reply: Receiver<Reply>,
}

impl Datastore {
    /// Opens a stream of batches into `bucket_id`. The worker runs it alone and waits
    /// for its batches, so send them as fast as they are read (a body already in
    /// memory, not a slow upload).
    pub fn insert_stream(&self, bucket_id: &str) -> Result<BatchStream> {
        let (batches, receiver) = bounded(BATCHES_AHEAD);
        let (reply_sender, reply) = bounded(1);
        self.submit(
            Command::InsertStream(bucket_id.to_string(), receiver),
            reply_sender,
        )?;
        Ok(BatchStream { batches, reply })
    }
}

impl BatchStream {
    /// Hands `batch` to the worker; false when it stopped taking batches (an
    /// unknown bucket, a failed write), which [`BatchStream::finish`] then reports.
    pub fn send(&self, batch: EventBatch) -> bool {
        self.batches.send(Some(batch)).is_ok()
    }

    /// Ends the stream and waits for its commit: each batch as stored (the events the
    /// privacy rules kept, with their ids), in order.
    pub fn finish(self) -> Result<Vec<EventBatch>> {
        // A worker that already stopped answers with its reason below.
        let _ = self.batches.send(None);
        match await_reply(&self.reply)? {
            Reply::Batches(stored) => Ok(stored),
            other => Err(unexpected(other)),
        }
    }
}
