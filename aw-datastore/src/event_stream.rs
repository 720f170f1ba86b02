//! [`EventStream`]: every event of a bucket, as an export shows them, in chunks from one
//! snapshot, so that a large export never sits in memory whole.
//!
//! What must stay true: a stream ends after its last chunk or with an error; one cut
//! off without its end marker yields an error, never a silent truncation.

use aw_models::SharedEvent;
use crossbeam_channel::{bounded, Receiver};

use crate::error::{Result, WorkerFailure};
use crate::handle::{worker_gone, Datastore};
use crate::protocol::Command;

impl Datastore {
    /// Every event of the bucket as an export shows them (from the epoch on, newest
    /// first, clipped), delivered in chunks from one consistent snapshot, so that a
    /// large export never sits in memory whole. Events share equal data within a
    /// chunk and often across chunks.
    pub fn stream_events(&self, bucket_id: &str) -> Result<EventStream> {
        let (chunks, receiver) = bounded(STREAM_BUFFER);
        self.request_unit(Command::StreamEvents(bucket_id.to_string(), chunks))?;
        Ok(EventStream {
            receiver,
            finished: false,
        })
    }
}

/// Chunks read ahead of the consumer of an [`EventStream`].
const STREAM_BUFFER: usize = 4;

/// The chunks of [`Datastore::stream_events`]; ends after the last chunk or an error.
pub struct EventStream {
    receiver: Receiver<Result<Vec<SharedEvent>>>,
    finished: bool,
}

impl Iterator for EventStream {
    type Item = Result<Vec<SharedEvent>>;

    /// The next non-empty chunk; `None` after the end marker. A stream cut off
    /// without its end marker yields one `WorkerGone` error, never a silent truncation.
    fn next(&mut self) -> Option<Result<Vec<SharedEvent>>> {
        if self.finished {
            return None;
        }
        let next = self.receiver.recv();
        match next {
            Ok(Ok(chunk)) if chunk.is_empty() => {
                self.finished = true;
                None
            }
            Ok(Err(err)) => {
                self.finished = true;
                Some(Err(err))
            }
            Ok(chunk) => Some(chunk),
            Err(_) => {
                self.finished = true;
                Some(Err(worker_gone(WorkerFailure::Receive)))
            }
        }
    }
}
