//! [`Change`]: what a write changed, told to listeners (the server's query result
//! cache) by the worker before the write is answered.
//!
//! What must stay true: every write that can change what a read of events or of the
//! bucket list returns notifies a change covering it, before its reply is sent and so
//! before any later read is answered. Over-reporting is allowed (a listener only loses
//! cached work); under-reporting would serve stale answers.

use std::sync::Arc;

/// One change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change<'a> {
    /// Events of `bucket_id` within `[start, end]` (ns since the epoch, both ends
    /// inclusive) were added, rewritten or removed.
    Span {
        /// The bucket.
        bucket_id: &'a str,
        /// Earliest instant touched.
        start: i64,
        /// Latest instant touched.
        end: i64,
    },
    /// The bucket was created or deleted, or events anywhere in it changed.
    Bucket {
        /// The bucket.
        bucket_id: &'a str,
    },
    /// Anything may have changed (a batch was rolled back).
    Everything,
}

/// A listener; called on the worker thread, so it must be quick and must not call
/// the datastore.
pub type ChangeListener = Arc<dyn Fn(&Change<'_>) + Send + Sync>;

/// The registered listeners.
#[derive(Default, Clone)]
pub struct Listeners(Vec<ChangeListener>);

impl Listeners {
    /// Adds a listener.
    pub fn add(&mut self, listener: ChangeListener) {
        self.0.push(listener);
    }

    /// Tells every listener.
    pub fn notify(&self, change: Change<'_>) {
        for listener in &self.0 {
            listener(&change);
        }
    }

    /// Events of `bucket_id` spanning `[start, end]` changed.
    pub fn span(&self, bucket_id: &str, start: i64, end: i64) {
        self.notify(Change::Span {
            bucket_id,
            start: start.min(end),
            end: end.max(start),
        });
    }

    /// Something in the bucket, or the bucket itself, changed.
    pub fn bucket(&self, bucket_id: &str) {
        self.notify(Change::Bucket { bucket_id });
    }
}

impl std::fmt::Debug for Listeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Listeners({})", self.0.len())
    }
}
