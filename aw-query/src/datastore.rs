//! [`QueryDatastore`]: what queries read, and [`MemoryDatastore`], an in-memory implementation.
//!
//! Events come back as [`SharedEvent`]s: events with equal data may share one
//! allocation (the query transforms then work once per distinct data), but nothing
//! may depend on whether they do.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aw_models::{Bucket, Event, JsonMap, SharedEvent};
use chrono::{DateTime, Utc};

/// A datastore failure as `query_bucket` reports it. The `Debug` form is part of the
/// error text (`BucketQueryError("Failed to query bucket: NoSuchBucket(\"nob\")")`),
/// so variants are named as upstream's datastore errors are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatastoreQueryError {
    /// The bucket does not exist.
    NoSuchBucket(String),
    /// Anything else that went wrong in the datastore.
    InternalError(String),
}

/// The read side of a datastore, as the query functions need it.
pub trait QueryDatastore: Send + Sync {
    /// The events of `bucket_id` touching `[start, end]` (`end >= start` and
    /// `start <= end`, both inclusive), clipped to it, newest first (ties: ascending
    /// end, then ascending id), every one with its id (docs/API.md §3.6).
    fn get_events(
        &self,
        bucket_id: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<SharedEvent>, DatastoreQueryError>;

    /// Every bucket (for `find_bucket` and `query_bucket_names`); events may be left out.
    fn get_buckets(&self) -> Result<Vec<Bucket>, DatastoreQueryError>;
}

/// An in-memory datastore for tests and benchmarks. Ids are handed out from one
/// counter shared by all buckets, starting at 1, in insertion order.
///
/// [`MemoryDatastore::insert_events`] stores equal data once (as the server's interned
/// reads return it); [`MemoryDatastore::insert_shared_events`] keeps the sharing the
/// caller chose, e.g. one allocation per event.
#[derive(Debug, Default, Clone)]
pub struct MemoryDatastore {
    buckets: BTreeMap<String, StoredBucket>,
    next_id: i64,
    /// The stored data by its JSON text, one entry per distinct map.
    interned: HashMap<String, Arc<JsonMap>>,
}

#[derive(Debug, Clone)]
struct StoredBucket {
    bucket: Bucket,
    /// Sorted as `get_events` returns them: start descending, end ascending, id ascending.
    events: Vec<SharedEvent>,
}

impl MemoryDatastore {
    /// An empty datastore.
    pub fn new() -> MemoryDatastore {
        MemoryDatastore {
            buckets: BTreeMap::new(),
            next_id: 1,
            interned: HashMap::new(),
        }
    }

    /// Adds (or replaces) a bucket, keyed by `bucket.id`; embedded events are ignored.
    pub fn create_bucket(&mut self, mut bucket: Bucket) {
        bucket.events = None;
        let stored = StoredBucket {
            bucket,
            events: Vec::new(),
        };
        self.buckets.insert(stored.bucket.id.clone(), stored);
    }

    /// Stores `events` in order, giving each event without an id the next one. Events
    /// with equal data (here and in earlier inserts) share one stored copy.
    pub fn insert_events(
        &mut self,
        bucket_id: &str,
        events: Vec<Event>,
    ) -> Result<(), DatastoreQueryError> {
        if !self.buckets.contains_key(bucket_id) {
            return Err(DatastoreQueryError::NoSuchBucket(bucket_id.to_string()));
        }
        let shared = events
            .into_iter()
            .map(|event| SharedEvent {
                id: event.id,
                timestamp: event.timestamp,
                duration: event.duration,
                data: self.intern(event.data),
            })
            .collect();
        self.insert_shared_events(bucket_id, shared)
    }

    /// Stores `events` in order as they are (sharing data only where they already
    /// do), giving each event without an id the next one.
    pub fn insert_shared_events(
        &mut self,
        bucket_id: &str,
        events: Vec<SharedEvent>,
    ) -> Result<(), DatastoreQueryError> {
        let stored = self
            .buckets
            .get_mut(bucket_id)
            .ok_or_else(|| DatastoreQueryError::NoSuchBucket(bucket_id.to_string()))?;
        for mut event in events {
            let id = event.id.unwrap_or(self.next_id);
            self.next_id = self.next_id.max(id + 1);
            event.id = Some(id);
            stored.events.push(event);
        }
        stored.events.sort_by(|a, b| {
            b.timestamp
                .cmp(&a.timestamp)
                .then_with(|| a.calculate_endtime().cmp(&b.calculate_endtime()))
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(())
    }

    /// The stored copy of `data`, added if it is new. A map whose text another,
    /// unequal map already took (should that happen) gets its own copy.
    fn intern(&mut self, data: JsonMap) -> Arc<JsonMap> {
        let text = match serde_json::to_string(&data) {
            Ok(text) => text,
            Err(_) => return Arc::new(data),
        };
        match self.interned.get(&text) {
            Some(shared) if **shared == data => Arc::clone(shared),
            Some(_) => Arc::new(data),
            None => {
                let shared = Arc::new(data);
                self.interned.insert(text, Arc::clone(&shared));
                shared
            }
        }
    }
}

impl QueryDatastore for MemoryDatastore {
    fn get_events(
        &self,
        bucket_id: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<SharedEvent>, DatastoreQueryError> {
        let stored = self
            .buckets
            .get(bucket_id)
            .ok_or_else(|| DatastoreQueryError::NoSuchBucket(bucket_id.to_string()))?;
        if start > end {
            return Ok(Vec::new());
        }
        let events = stored
            .events
            .iter()
            .filter(|event| event.timestamp <= end && event.calculate_endtime() >= start)
            .map(|event| {
                let clipped_start = event.timestamp.max(start);
                let clipped_end = event.calculate_endtime().min(end);
                SharedEvent {
                    id: event.id,
                    timestamp: clipped_start,
                    duration: clipped_end - clipped_start,
                    data: Arc::clone(&event.data),
                }
            })
            .collect();
        Ok(events)
    }

    fn get_buckets(&self) -> Result<Vec<Bucket>, DatastoreQueryError> {
        Ok(self
            .buckets
            .values()
            .map(|stored| stored.bucket.clone())
            .collect())
    }
}
