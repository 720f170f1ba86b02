//! The [`QueryDatastore`]s a query runs against, innermost first: [`QuerySource`] (the
//! native datastore), [`Prefetched`] (the program's literal buckets asked for at once,
//! in program order, and read by the reader threads while it starts) and [`Recorder`]
//! (notes what the program read, for the result cache).
//!
//! What must stay true: a query reads through these exactly what it would read from
//! the datastore directly; a prefetched read is the one the program asks for (same
//! bucket and range), taken once, and started after the request's cache ticket.

use std::collections::HashMap;
use std::sync::Mutex;

use aw_datastore::native::{Datastore, PendingRead};
use aw_datastore::{DatastoreError, EventQuery};
use aw_models::time::to_nanos;
use aw_models::{Bucket, SharedEvent, TimeInterval};
use aw_query::{DatastoreQueryError, QueryDatastore};
use chrono::{DateTime, Utc};

use crate::query_cache::Read;

/// At most this many buckets are read ahead per period.
const MAX_PREFETCH: usize = 8;

type Events = Result<Vec<SharedEvent>, DatastoreQueryError>;

/// The datastore as the query engine reads it.
pub(crate) struct QuerySource(pub(crate) Datastore);

impl QuerySource {
    fn convert(err: DatastoreError) -> DatastoreQueryError {
        match err {
            DatastoreError::NoSuchBucket { bucket_id } => {
                DatastoreQueryError::NoSuchBucket(bucket_id)
            }
            other => DatastoreQueryError::InternalError(other.to_string()),
        }
    }
}

impl QueryDatastore for QuerySource {
    fn get_events(
        &self,
        bucket_id: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<SharedEvent>, DatastoreQueryError> {
        // Each distinct stored data is decoded once per read and shared by its events.
        self.0
            .get_events_shared(bucket_id, range(start, end))
            .map_err(QuerySource::convert)
    }

    fn get_buckets(&self) -> Result<Vec<Bucket>, DatastoreQueryError> {
        let buckets = self.0.get_buckets().map_err(QuerySource::convert)?;
        Ok(buckets.into_values().collect())
    }
}

/// A source that notes every read, for the cache's invalidation.
pub(crate) struct Recorder<'a> {
    inner: &'a dyn QueryDatastore,
    reads: Mutex<Vec<Read>>,
}

impl<'a> Recorder<'a> {
    pub(crate) fn new(inner: &'a dyn QueryDatastore) -> Recorder<'a> {
        Recorder {
            inner,
            reads: Mutex::new(Vec::new()),
        }
    }

    fn note(&self, read: Read) {
        if let Ok(mut reads) = self.reads.lock() {
            reads.push(read);
        }
    }

    pub(crate) fn into_reads(self) -> Vec<Read> {
        self.reads.into_inner().unwrap_or_default()
    }
}

impl QueryDatastore for Recorder<'_> {
    fn get_events(
        &self,
        bucket_id: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<SharedEvent>, DatastoreQueryError> {
        self.note(Read::Events {
            bucket: bucket_id.to_string(),
            start: to_nanos(&start),
            end: to_nanos(&end),
        });
        self.inner.get_events(bucket_id, start, end)
    }

    fn get_buckets(&self) -> Result<Vec<Bucket>, DatastoreQueryError> {
        self.note(Read::Buckets);
        self.inner.get_buckets()
    }
}

/// Reads started ahead for one period.
pub(crate) struct Prefetched<'a> {
    inner: &'a QuerySource,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pending: Mutex<HashMap<String, PendingRead>>,
}

impl<'a> Prefetched<'a> {
    /// Asks the datastore for `buckets` over `period`, in that order (the order the
    /// program reads them in), so the readers work while the program starts.
    pub(crate) fn start(
        inner: &'a QuerySource,
        buckets: &[String],
        period: &TimeInterval,
    ) -> Prefetched<'a> {
        let (start, end) = (*period.start(), *period.end());
        let mut pending = HashMap::new();
        // One bucket is read by the program itself as soon as it asks.
        if buckets.len() > 1 {
            for bucket in buckets.iter().take(MAX_PREFETCH) {
                let read = inner.0.start_events_shared(bucket, range(start, end));
                pending.insert(bucket.clone(), read);
            }
        }
        Prefetched {
            inner,
            start,
            end,
            pending: Mutex::new(pending),
        }
    }

    fn take(&self, bucket_id: &str) -> Option<PendingRead> {
        self.pending.lock().ok()?.remove(bucket_id)
    }
}

impl QueryDatastore for Prefetched<'_> {
    fn get_events(&self, bucket_id: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Events {
        if (start, end) == (self.start, self.end) {
            if let Some(read) = self.take(bucket_id) {
                return read.wait().map_err(QuerySource::convert);
            }
        }
        self.inner.get_events(bucket_id, start, end)
    }

    fn get_buckets(&self) -> Result<Vec<Bucket>, DatastoreQueryError> {
        self.inner.get_buckets()
    }
}

/// The query of a range read over `[start, end]`.
fn range(start: DateTime<Utc>, end: DateTime<Utc>) -> EventQuery {
    EventQuery {
        start: Some(start),
        end: Some(end),
        limit: None,
    }
}
