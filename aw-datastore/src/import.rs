//! Importing an export document: new buckets are created, existing ones receive the
//! events they do not already hold (docs/API.md §3.14).
//!
//! Runs inside one savepoint held by the worker, so an import lands whole or not at
//! all. It reads the bucket cache but does not change it; it returns the new cache
//! entries, which the worker applies only once the import succeeded.

use std::collections::HashSet;

use aw_models::{Bucket, BucketMetadata, BucketsExport, Event};
use chrono::Utc;
use rusqlite::Connection;

use crate::buckets::{self, BucketCache, CachedBucket};
use crate::error::Result;
use crate::events::{self, Range};

/// Imports every bucket; returns the cache entries of the buckets it touched.
pub fn import(
    conn: &Connection,
    cache: &BucketCache,
    export: BucketsExport,
) -> Result<Vec<CachedBucket>> {
    let mut touched: Vec<CachedBucket> = Vec::new();
    for (_key, mut bucket) in export.buckets {
        let incoming = bucket.events.take().unwrap_or_default();
        let known = touched
            .iter()
            .position(|cached| cached.bucket.id == bucket.id)
            .map(|idx| touched.swap_remove(idx))
            .or_else(|| cache.get(&bucket.id).cloned());
        let cached = match known {
            Some(mut existing) => {
                merge_events(conn, &mut existing, incoming)?;
                existing
            }
            None => create_with_events(conn, bucket, incoming)?,
        };
        touched.push(cached);
    }
    Ok(touched)
}

/// Creates a bucket and stores its events as given.
pub fn create_with_events(
    conn: &Connection,
    mut bucket: Bucket,
    incoming: Vec<Event>,
) -> Result<CachedBucket> {
    bucket.created.get_or_insert_with(Utc::now);
    bucket.metadata = BucketMetadata::default();
    let row = buckets::insert(conn, &bucket)?;
    let mut cached = CachedBucket {
        row,
        bucket,
        longest: 0,
        count: None,
    };
    insert_all(conn, &mut cached, incoming)?;
    Ok(cached)
}

/// Inserts the incoming events that are not already stored (same start, duration
/// and data). Duplicates within `incoming` itself are kept, as upstream does.
fn merge_events(conn: &Connection, cached: &mut CachedBucket, incoming: Vec<Event>) -> Result<()> {
    let mut spans = incoming
        .iter()
        .filter_map(|event| Some((event.start_nanos(), event.end_nanos()?)));
    let Some(first) = spans.next() else {
        return Ok(());
    };
    let (start, end) = spans.fold(first, |(lo, hi), (start, end)| (lo.min(start), hi.max(end)));
    let stored: HashSet<(i64, i64, String)> =
        events::get_range(conn, cached.row, Range { start, end }, cached.longest, None)?
            .iter()
            .filter_map(identity)
            .collect();
    let fresh = incoming
        .into_iter()
        .filter(|event| identity(event).is_none_or(|key| !stored.contains(&key)))
        .collect();
    insert_all(conn, cached, fresh)
}

fn insert_all(conn: &Connection, cached: &mut CachedBucket, incoming: Vec<Event>) -> Result<()> {
    cached.count = None;
    for event in incoming {
        let (start, end) = events::span(&event)?;
        events::insert(conn, cached.row, &event)?;
        buckets::widen(cached, start, end);
    }
    Ok(())
}

/// What makes two events the same for de-duplication: start, end and data (with
/// sorted keys, which serde_json's map guarantees).
fn identity(event: &Event) -> Option<(i64, i64, String)> {
    let data = serde_json::to_string(&event.data).ok()?;
    Some((event.start_nanos(), event.end_nanos()?, data))
}
