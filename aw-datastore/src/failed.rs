//! The stand-in worker of a datastore that failed to open: it answers every command
//! with [`DatastoreError::OpenFailed`] and stops when the last handle goes.
//!
//! It exists for the upstream-compatible `Datastore::new`, whose signature returns a
//! datastore and no error: the failure is logged once there, and every later call
//! returns it instead of panicking or hanging. What must stay true: it holds no
//! database and never answers anything but the failure (and `Close`).

use std::thread;

use crossbeam_channel::{unbounded, Receiver, Sender};

use crate::error::DatastoreError;
use crate::protocol::{Command, Envelope, Reply};

/// Starts the stand-in worker and returns its channel. If no thread can be started,
/// the channel is returned disconnected, so calls fail with `WorkerGone` instead.
pub(crate) fn spawn(detail: String) -> Sender<Envelope> {
    let (sender, receiver) = unbounded::<Envelope>();
    let started = thread::Builder::new()
        .name("aw-datastore-failed".to_string())
        .spawn(move || answer_all(&receiver, &detail));
    if let Err(err) = started {
        log::error!("cannot start the datastore's stand-in thread: {err}");
    }
    sender
}

fn answer_all(receiver: &Receiver<Envelope>, detail: &str) {
    for (command, reply) in receiver {
        if matches!(command, Command::Close) {
            let _ = reply.send(Reply::Done);
            return;
        }
        let _ = reply.send(Reply::Failed(DatastoreError::OpenFailed {
            detail: detail.to_string(),
        }));
    }
}
