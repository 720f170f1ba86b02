//! [`Store`]: the few server operations folder sync needs, implemented for the local
//! server over REST (the `aw-sync` binary), for a [`Datastore`] handle (the server's
//! own database when sync runs inside the server, and the device's own staging file).
//!
//! What must stay true: reads have the REST semantics of API.md §3.6 (events touching
//! `[start, end]`, newest first, clipped), `get_event` is unclipped, and
//! `insert_events` is all-or-nothing for one call (one request, one commit).

use std::collections::BTreeMap;

use aw_datastore::native::Datastore;
use aw_datastore::{DatastoreError, EventQuery};
use aw_models::{Bucket, Event};
use chrono::{DateTime, Utc};

use crate::sync::SyncError;

/// A server or database that sync reads from and writes to.
pub trait Store {
    /// A short name for log messages ("local server", a file path).
    fn name(&self) -> String;
    /// Every bucket with metadata, keyed by id.
    fn buckets(&self) -> Result<BTreeMap<String, Bucket>, SyncError>;
    /// Creates a bucket (an existing one is left as it is).
    fn create_bucket(&self, bucket: &Bucket) -> Result<(), SyncError>;
    /// Events touching `[start, end]`, newest first, clipped to the range.
    fn get_events(
        &self,
        bucket_id: &str,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
        limit: Option<u64>,
    ) -> Result<Vec<Event>, SyncError>;
    /// One event as stored.
    fn get_event(&self, bucket_id: &str, event_id: i64) -> Result<Event, SyncError>;
    /// Number of events in the bucket.
    fn event_count(&self, bucket_id: &str) -> Result<u64, SyncError>;
    /// Inserts events in order; an event with an id replaces that event.
    fn insert_events(&self, bucket_id: &str, events: Vec<Event>) -> Result<(), SyncError>;
}

impl Store for Datastore {
    fn name(&self) -> String {
        String::from("datastore")
    }

    fn buckets(&self) -> Result<BTreeMap<String, Bucket>, SyncError> {
        Ok(self.get_buckets()?)
    }

    fn create_bucket(&self, bucket: &Bucket) -> Result<(), SyncError> {
        match Datastore::create_bucket(self, bucket.clone()) {
            Ok(()) | Err(DatastoreError::BucketAlreadyExists { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    fn get_events(
        &self,
        bucket_id: &str,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
        limit: Option<u64>,
    ) -> Result<Vec<Event>, SyncError> {
        let query = EventQuery { start, end, limit };
        Ok(Datastore::get_events(self, bucket_id, query)?)
    }

    fn get_event(&self, bucket_id: &str, event_id: i64) -> Result<Event, SyncError> {
        Ok(Datastore::get_event(self, bucket_id, event_id)?)
    }

    fn event_count(&self, bucket_id: &str) -> Result<u64, SyncError> {
        Ok(self.get_event_count(bucket_id, EventQuery::default())?)
    }

    fn insert_events(&self, bucket_id: &str, events: Vec<Event>) -> Result<(), SyncError> {
        Datastore::insert_events(self, bucket_id, events)?;
        Ok(())
    }
}

impl Store for aw_client_rust::blocking::AwClient {
    fn name(&self) -> String {
        format!("server {}", self.baseurl)
    }

    fn buckets(&self) -> Result<BTreeMap<String, Bucket>, SyncError> {
        Ok(self.get_buckets()?.into_iter().collect())
    }

    fn create_bucket(&self, bucket: &Bucket) -> Result<(), SyncError> {
        Ok(aw_client_rust::blocking::AwClient::create_bucket(
            self, bucket,
        )?)
    }

    fn get_events(
        &self,
        bucket_id: &str,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
        limit: Option<u64>,
    ) -> Result<Vec<Event>, SyncError> {
        Ok(aw_client_rust::blocking::AwClient::get_events(
            self, bucket_id, start, end, limit,
        )?)
    }

    fn get_event(&self, bucket_id: &str, event_id: i64) -> Result<Event, SyncError> {
        Ok(aw_client_rust::blocking::AwClient::get_event(
            self, bucket_id, event_id,
        )?)
    }

    fn event_count(&self, bucket_id: &str) -> Result<u64, SyncError> {
        let count = self.get_event_count(bucket_id)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    fn insert_events(&self, bucket_id: &str, events: Vec<Event>) -> Result<(), SyncError> {
        Ok(aw_client_rust::blocking::AwClient::insert_events(
            self, bucket_id, events,
        )?)
    }
}
