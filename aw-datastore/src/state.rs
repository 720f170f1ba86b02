//! What each command does to the database and to the worker's caches.
//!
//! Every method runs inside the worker's open transaction and savepoint. Caches are
//! changed only after all SQL of the command succeeded, so a failed command leaves
//! them matching the (rolled back) database.

use std::collections::HashMap;

use aw_models::time::to_nanos;
use aw_models::{Bucket, Event, EventBatch, ImportPlan};
use crossbeam_channel::Receiver;
use rusqlite::Connection;

use crate::batch_stream::drain;
use crate::buckets::{self, BucketCache, CachedBucket};
use crate::changes::{Change, Listeners};
use crate::decoded::DataCache;
use crate::error::{DatastoreError, Result};
use crate::events::{self, Range, RangeRead};
use crate::handle::EventQuery;
use crate::metrics::HeartbeatCounts;
use crate::privacy::{self, PrivacyFilters};
use crate::protocol::{Command, EventsForm, Reply};
use crate::reader::ReadJob;
use crate::{import, insert_rows, key_value};

/// The connection and the caches the worker keeps in memory.
pub struct State {
    /// The only connection to the database.
    pub conn: Connection,
    /// Every bucket, by id.
    pub buckets: BucketCache,
    /// The last event of each bucket that received a heartbeat (docs/API.md §5.2).
    pub last_events: HashMap<String, Event>,
    /// The privacy rules in force (the stored setting `privacy_filters`).
    pub filters: PrivacyFilters,
    /// What happened to the heartbeats so far (`GET /api/0/metrics`).
    pub heartbeats: HeartbeatCounts,
    /// Who is told what each write changed (module `changes`).
    pub listeners: Listeners,
}

impl State {
    /// Rebuilds the caches from the database (after a rollback).
    pub fn reload(&mut self) -> Result<()> {
        self.listeners.notify(Change::Everything);
        self.last_events.clear();
        self.buckets = buckets::load(&self.conn)?;
        self.filters = load_filters(&self.conn)?;
        Ok(())
    }

    pub(crate) fn cached(&self, bucket_id: &str) -> Result<&CachedBucket> {
        self.buckets
            .get(bucket_id)
            .ok_or_else(|| DatastoreError::NoSuchBucket {
                bucket_id: bucket_id.to_string(),
            })
    }

    /// The bucket, with metadata.
    pub fn get_bucket(&self, bucket_id: &str) -> Result<Bucket> {
        Ok(self.cached(bucket_id)?.bucket.clone())
    }

    /// Creates a bucket with its embedded events.
    pub fn create_bucket(&mut self, mut bucket: Bucket) -> Result<()> {
        if self.buckets.contains_key(&bucket.id) {
            return Err(DatastoreError::BucketAlreadyExists {
                bucket_id: bucket.id,
            });
        }
        let incoming = bucket.events.take().unwrap_or_default();
        let incoming = self.filters.filter_events(&bucket.id, incoming);
        let cached = import::create_with_events(&self.conn, bucket, incoming)?;
        self.listeners.bucket(&cached.bucket.id);
        self.buckets.insert(cached.bucket.id.clone(), cached);
        Ok(())
    }

    /// Deletes a bucket and its events.
    pub fn delete_bucket(&mut self, bucket_id: &str) -> Result<()> {
        let row = self.cached(bucket_id)?.row;
        buckets::delete(&self.conn, row)?;
        self.listeners.bucket(bucket_id);
        self.buckets.remove(bucket_id);
        self.last_events.remove(bucket_id);
        Ok(())
    }

    /// Inserts each batch as it arrives until the stream ends; returns each as
    /// [`State::insert_events`] does. An unknown bucket is refused before any batch.
    pub fn insert_stream(
        &mut self,
        bucket_id: &str,
        parts: &Receiver<Option<EventBatch>>,
    ) -> Result<Vec<EventBatch>> {
        self.cached(bucket_id)?;
        let mut stored = Vec::new();
        drain(parts, |batch| {
            stored.push(self.insert_events(bucket_id, batch)?);
            Ok(())
        })?;
        Ok(stored)
    }

    /// Inserts events and returns the ones the privacy rules kept, with their ids.
    pub fn insert_events(&mut self, bucket_id: &str, incoming: EventBatch) -> Result<EventBatch> {
        if incoming.is_empty() {
            // Upstream answers `[]` without looking at the bucket; clients rely on it.
            return Ok(incoming);
        }
        let row = self.cached(bucket_id)?.row;
        let EventBatch { events, mut data } = incoming;
        // Dropped events are left out of the answer, as upstream's filter would do.
        let kept = self.filters.filter_planned(bucket_id, &mut data, events);
        let mut stored = EventBatch {
            events: Vec::with_capacity(kept.len()),
            data,
        };
        if kept.is_empty() {
            return Ok(stored);
        }
        // Events with an id may replace stored ones: then the count is not known.
        let replaces_by_id = kept.iter().any(|event| event.id().is_some());
        let EventBatch { events, data } = &mut stored;
        insert_rows::insert_planned(
            &self.conn,
            row,
            &kept,
            |event| event.data_in(data),
            |event| events.push(event),
        )?;
        self.last_events.remove(bucket_id);
        let spans = stored.events.iter().map(|event| (event.start, event.end));
        // An explicit id may have rewritten an event anywhere in the bucket.
        match spans.clone().reduce(|(a, b), (c, d)| (a.min(c), b.max(d))) {
            Some((start, end)) if !replaces_by_id => self.listeners.span(bucket_id, start, end),
            _ => self.listeners.bucket(bucket_id),
        }
        if let Some(cached) = self.buckets.get_mut(bucket_id) {
            // New rows only: the default-range count grows by those ending at or
            // after the epoch, so a scrape of `GET /api/0/metrics` need not recount.
            let added = spans.clone().filter(|(_, end)| *end >= 0).count();
            cached.count = cached
                .count
                .filter(|_| !replaces_by_id)
                .map(|count| count + u64::try_from(added).unwrap_or(u64::MAX));
            let (lo, hi, longest) = spans.fold(
                (i64::MAX, i64::MIN, 0),
                |(lo, hi, longest), (start, end)| {
                    (
                        lo.min(start),
                        hi.max(end),
                        longest.max(end.saturating_sub(start)),
                    )
                },
            );
            buckets::widen_all(cached, lo, hi, longest);
        }
        Ok(stored)
    }

    /// The row id of a bucket.
    pub fn get_bucket_row(&self, bucket_id: &str) -> Result<i64> {
        Ok(self.cached(bucket_id)?.row)
    }

    /// The read `GetEvents` resolves to.
    pub fn events_job(
        &self,
        bucket_id: &str,
        query: EventQuery,
        form: EventsForm,
    ) -> Result<ReadJob> {
        let cached = self.cached(bucket_id)?;
        let read = RangeRead {
            row: cached.row,
            range: range_of(query),
            longest: cached.longest,
            limit: query.limit,
        };
        Ok(ReadJob::Events { read, form })
    }

    /// The number of events a default-range count sees, from the cache, or counted on
    /// this connection (which sees the open batch, as the cache does) and cached.
    pub fn full_count(&mut self, bucket_id: &str) -> Result<u64> {
        let cached = self.cached(bucket_id)?;
        if let Some(count) = cached.count {
            return Ok(count);
        }
        let everything = Range {
            start: 0,
            end: i64::MAX,
        };
        let count = events::count(&self.conn, cached.row, everything, cached.longest)?;
        if let Some(cached) = self.buckets.get_mut(bucket_id) {
            cached.count = Some(count);
        }
        Ok(count)
    }

    /// The read `GetEventCount` resolves to.
    pub fn count_job(&self, bucket_id: &str, query: EventQuery) -> Result<ReadJob> {
        let cached = self.cached(bucket_id)?;
        Ok(ReadJob::Count {
            row: cached.row,
            longest: cached.longest,
            range: range_of(query),
        })
    }

    /// One event as stored.
    pub fn get_event(&self, bucket_id: &str, event_id: i64) -> Result<Event> {
        let row = self.cached(bucket_id)?.row;
        events::get_one(&self.conn, row, event_id)?.ok_or_else(|| DatastoreError::NoSuchEvent {
            bucket_id: bucket_id.to_string(),
            event_id,
        })
    }

    /// Deletes one event of the bucket (if it is there) and keeps the caches true.
    pub fn delete_event(&mut self, bucket_id: &str, event_id: i64) -> Result<()> {
        let row = self.cached(bucket_id)?.row;
        let Some(deleted) = events::delete(&self.conn, row, event_id)? else {
            return Ok(());
        };
        if self
            .last_events
            .get(bucket_id)
            .is_some_and(|last| last.id == Some(event_id))
        {
            self.last_events.remove(bucket_id);
        }
        let (start, end) = events::span(&deleted)?;
        self.listeners.span(bucket_id, start, end);
        if end >= 0 {
            if let Some(cached) = self.buckets.get_mut(bucket_id) {
                cached.count = cached.count.and_then(|count| count.checked_sub(1));
            }
        }
        let metadata = &self.cached(bucket_id)?.bucket.metadata;
        let was_edge = metadata.start.map(|t| to_nanos(&t)) == Some(start)
            || metadata.end.map(|t| to_nanos(&t)) == Some(end);
        if was_edge {
            let shrunk = buckets::metadata(&self.conn, row)?;
            if let Some(cached) = self.buckets.get_mut(bucket_id) {
                cached.bucket.metadata = shrunk;
            }
        }
        Ok(())
    }

    /// Imports an export document, all or nothing.
    pub fn import(&mut self, plan: ImportPlan) -> Result<()> {
        let touched = import::import(&self.conn, &self.buckets, plan, &self.filters)?;
        for cached in &touched {
            self.listeners.bucket(&cached.bucket.id);
        }
        self.apply_imported(touched);
        Ok(())
    }

    /// Puts imported buckets into the caches.
    pub fn apply_imported(&mut self, touched: Vec<CachedBucket>) {
        for cached in touched {
            self.last_events.remove(&cached.bucket.id);
            self.buckets.insert(cached.bucket.id.clone(), cached);
        }
    }

    /// Runs one command against the connection and caches.
    pub fn execute(&mut self, command: Command) -> Result<Reply> {
        let state = self;
        Ok(match command {
            Command::GetBuckets => Reply::Buckets(buckets::listing(&state.buckets)),
            Command::GetBucket(id) => Reply::Bucket(Box::new(state.get_bucket(&id)?)),
            Command::CreateBucket(bucket) => {
                state.create_bucket(*bucket)?;
                Reply::Done
            }
            Command::DeleteBucket(id) => {
                state.delete_bucket(&id)?;
                Reply::Done
            }
            Command::InsertEvents(id, events) => Reply::Batch(state.insert_events(&id, events)?),
            Command::InsertStream(id, parts) => Reply::Batches(state.insert_stream(&id, &parts)?),
            Command::ImportStream(parts) => {
                drain(&parts, |plan| state.import(plan))?;
                Reply::Done
            }
            Command::Heartbeat(id, event, pulsetime) => {
                Reply::Event(Box::new(state.heartbeat(&id, *event, pulsetime)?))
            }
            Command::GetEvents(id, query, form) => {
                let job = state.events_job(&id, query, form)?;
                job.run(&state.conn, &mut DataCache::default())?
            }
            Command::GetEvent(id, event_id) => {
                Reply::Event(Box::new(state.get_event(&id, event_id)?))
            }
            Command::GetEventCount(id, query) if is_default_range(query) => {
                Reply::Count(state.full_count(&id)?)
            }
            Command::GetEventCount(id, query) => state
                .count_job(&id, query)?
                .run(&state.conn, &mut DataCache::default())?,
            Command::DeleteEvent(id, event_id) => {
                state.delete_event(&id, event_id)?;
                Reply::Done
            }
            Command::Import(plan) => {
                state.import(*plan)?;
                Reply::Done
            }
            Command::GetKeyValue(key) => Reply::Value(key_value::get(&state.conn, &key)?),
            Command::GetKeyValues(prefix) => {
                Reply::KeyValues(key_value::get_prefixed(&state.conn, &prefix)?)
            }
            Command::SetKeyValue(key, value) if key == privacy::SETTING_KEY => {
                // Parsed before anything is written: a bad rule leaves the old ones.
                let filters = PrivacyFilters::parse(&value)?;
                key_value::set(&state.conn, &key, &value)?;
                state.filters = filters;
                Reply::Done
            }
            Command::SetKeyValue(key, value) => {
                key_value::set(&state.conn, &key, &value)?;
                Reply::Done
            }
            Command::DeleteKeyValue(key) => {
                key_value::delete(&state.conn, &key)?;
                if key == privacy::SETTING_KEY {
                    state.filters = PrivacyFilters::default();
                }
                Reply::Done
            }
            Command::SetMaxPageCount(pages) => {
                let pages = i64::try_from(pages).unwrap_or(i64::MAX);
                let limit: i64 =
                    state
                        .conn
                        .pragma_update_and_check(None, "max_page_count", pages, |row| row.get(0))?;
                Reply::Count(u64::try_from(limit).unwrap_or(0))
            }
            Command::Subscribe(subscriber) => {
                state.listeners.add(subscriber.0);
                Reply::Done
            }
            // Status is answered by the worker itself (it owns the housekeeping state);
            // sweeps are run by the worker in steps.
            Command::ForceCommit
            | Command::Close
            | Command::Status
            | Command::Metrics
            | Command::ApplyPrivacy(_)
            | Command::RunRetention(..)
            | Command::SetRetention(_) => Reply::Done,
            // Streams are started by `start_stream` before dispatch; never reached.
            Command::StreamEvents(..) => Reply::Done,
        })
    }
}

/// The privacy rules stored in the settings (none if unset).
pub fn load_filters(conn: &Connection) -> Result<PrivacyFilters> {
    match key_value::get(conn, privacy::SETTING_KEY) {
        Ok(value) => Ok(PrivacyFilters::parse_stored(&value)),
        Err(DatastoreError::NoSuchKey { .. }) => Ok(PrivacyFilters::default()),
        Err(err) => Err(err),
    }
}

/// A query with neither end given: the count the bucket cache can answer.
pub fn is_default_range(query: EventQuery) -> bool {
    query.start.is_none() && query.end.is_none()
}

/// Missing ends default to the epoch and the far future, as upstream's do.
fn range_of(query: EventQuery) -> Range {
    Range {
        start: query.start.map_or(0, |start| to_nanos(&start)),
        end: query.end.map_or(i64::MAX, |end| to_nanos(&end)),
    }
}
