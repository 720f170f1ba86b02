//! [`WriteStream`]: a bulk write stored while the caller is still reading it. A long
//! `POST …/events` body goes in batches of [`STREAM_BATCH`] events ([`BatchStream`]),
//! an import document bucket by bucket ([`ImportStream`]); the worker stores each part
//! as it comes, so reading and storing overlap instead of following each other.
//!
//! What must stay true: a stream is stored in one transaction of its own, all or
//! nothing: `finish` commits it, and a stream dropped without it (the caller found an
//! invalid part) is undone. For events, an unknown bucket is refused as the batches
//! are sent, before any is stored.

use aw_models::{EventBatch, ImportPlan};
use crossbeam_channel::{bounded, Receiver, Sender};

use crate::error::{DatastoreError, Result};
use crate::handle::{await_reply, unexpected, Datastore};
use crate::protocol::{Command, Reply};

/// Events per batch of a stream: small enough that storing starts early, large
/// enough that the hand-over costs nothing next to the work.
pub const STREAM_BATCH: usize = 8192;

/// Parts read ahead of the worker.
const PARTS_AHEAD: usize = 2;

/// An open write stream of parts `T`; `None` on the channel ends it.
#[derive(Debug)]
pub struct WriteStream<T> {
    parts: Sender<Option<T>>,
    reply: Receiver<Reply>,
}

/// Event batches into one bucket.
pub type BatchStream = WriteStream<EventBatch>;

/// The buckets of one import, each a plan of its own.
pub type ImportStream = WriteStream<ImportPlan>;

impl Datastore {
    /// Opens a stream of batches into `bucket_id`. The worker runs it alone and waits
    /// for its parts, so send them as fast as they are read (a body already in
    /// memory, not a slow upload).
    pub fn insert_stream(&self, bucket_id: &str) -> Result<BatchStream> {
        self.write_stream(|parts| Command::InsertStream(bucket_id.to_string(), parts))
    }

    /// Opens an import read bucket by bucket: the parts, imported one after the other
    /// in one transaction, are the import of the whole document.
    pub fn import_stream(&self) -> Result<ImportStream> {
        self.write_stream(Command::ImportStream)
    }

    fn write_stream<T>(
        &self,
        command: impl FnOnce(Receiver<Option<T>>) -> Command,
    ) -> Result<WriteStream<T>> {
        let (parts, receiver) = bounded(PARTS_AHEAD);
        let (reply_sender, reply) = bounded(1);
        self.submit(command(receiver), reply_sender)?;
        Ok(WriteStream { parts, reply })
    }
}

impl<T> WriteStream<T> {
    /// Hands `part` to the worker; false when it stopped taking parts (an unknown
    /// bucket, a failed write), which `finish` then reports.
    pub fn send(&self, part: T) -> bool {
        self.parts.send(Some(part)).is_ok()
    }

    /// Ends the stream and waits for its commit.
    fn end(self) -> Result<Reply> {
        // A worker that already stopped answers with its reason.
        let _ = self.parts.send(None);
        await_reply(&self.reply)
    }
}

impl BatchStream {
    /// Ends the stream and waits for its commit: each batch as stored (the events the
    /// privacy rules kept, with their ids), in order.
    pub fn finish(self) -> Result<Vec<EventBatch>> {
        match self.end()? {
            Reply::Batches(stored) => Ok(stored),
            other => Err(unexpected(other)),
        }
    }
}

impl ImportStream {
    /// Ends the import and waits for its commit.
    pub fn finish(self) -> Result<()> {
        match self.end()? {
            Reply::Done => Ok(()),
            other => Err(unexpected(other)),
        }
    }
}

/// Hands each part of a write stream to `each` until the stream ends. A stream whose
/// sender went away without ending it is an error: what it stored is undone.
pub(crate) fn drain<T>(
    parts: &Receiver<Option<T>>,
    mut each: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    loop {
        match parts.recv() {
            Ok(Some(part)) => each(part)?,
            Ok(None) => return Ok(()),
            Err(_) => {
                return Err(DatastoreError::InvalidInput {
                    reason: String::from("the write ended before it was complete"),
                })
            }
        }
    }
}
