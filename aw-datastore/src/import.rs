//! Importing an export document: new buckets are created, existing ones receive the
//! events they do not already hold (docs/API.md §3.14).
//!
//! Runs inside one savepoint held by the worker, so an import lands whole or not at
//! all. It reads the bucket cache but does not change it; it returns the new cache
//! entries, which the worker applies only once the import succeeded.

use aw_models::{
    Bucket, BucketMetadata, BucketsExport, Event, ImportPlan, PlannedBucket, PlannedEvent,
};
use chrono::Utc;
use rusqlite::Connection;

use crate::buckets::{self, BucketCache, CachedBucket};
use crate::error::Result;
use crate::events::{self, Range};
use crate::insert_rows;
use crate::privacy::PrivacyFilters;

/// Imports every bucket of `plan`, each event's data passed through `filters`
/// (per distinct data, since the rules depend only on the bucket and the data);
/// returns the cache entries of the buckets it touched.
pub fn import(
    conn: &Connection,
    cache: &BucketCache,
    mut plan: ImportPlan,
    filters: &PrivacyFilters,
) -> Result<Vec<CachedBucket>> {
    let mut touched: Vec<CachedBucket> = Vec::new();
    for PlannedBucket { mut bucket, events } in std::mem::take(&mut plan.buckets) {
        bucket.events = None;
        let events = filters.filter_planned(&bucket.id, &mut plan.data, events);
        let known = touched
            .iter()
            .position(|cached| cached.bucket.id == bucket.id)
            .map(|idx| touched.swap_remove(idx))
            .or_else(|| cache.get(&bucket.id).cloned());
        let cached = match known {
            Some(mut existing) => {
                let fresh = not_stored(conn, &existing, &plan, events)?;
                insert_planned(conn, &mut existing, &plan, &fresh)?;
                existing
            }
            None => {
                let mut created = create_empty(conn, bucket)?;
                insert_planned(conn, &mut created, &plan, &events)?;
                created
            }
        };
        touched.push(cached);
    }
    Ok(touched)
}

/// The plan of a built export; an event whose end does not fit is invalid input.
pub fn plan_of(export: BucketsExport) -> Result<ImportPlan> {
    ImportPlan::try_from(export).map_err(|_| events::end_out_of_range())
}

/// Creates a bucket and stores its events as given.
pub fn create_with_events(
    conn: &Connection,
    mut bucket: Bucket,
    incoming: Vec<Event>,
) -> Result<CachedBucket> {
    bucket.events = None;
    let mut cached = create_empty(conn, bucket)?;
    insert_all(conn, &mut cached, incoming)?;
    Ok(cached)
}

/// Creates the bucket row, filling in `created`.
fn create_empty(conn: &Connection, mut bucket: Bucket) -> Result<CachedBucket> {
    bucket.created.get_or_insert_with(Utc::now);
    bucket.metadata = BucketMetadata::default();
    let row = buckets::insert(conn, &bucket)?;
    Ok(CachedBucket {
        row,
        bucket,
        longest: 0,
        count: None,
    })
}

/// The planned events that are not already stored (same start, end and data).
/// Duplicates within the plan itself are kept, as upstream does.
fn not_stored(
    conn: &Connection,
    cached: &CachedBucket,
    plan: &ImportPlan,
    events: Vec<PlannedEvent>,
) -> Result<Vec<PlannedEvent>> {
    let Some(start) = events.iter().map(|event| event.start).min() else {
        return Ok(events);
    };
    let end = events.iter().map(|event| event.end).max().unwrap_or(start);
    let stored = events::identities(conn, cached.row, Range { start, end }, cached.longest)?;
    Ok(events
        .into_iter()
        .filter(|event| !stored.contains(&(event.start, event.end, plan.data_of(event).into())))
        .collect())
}

/// Stores planned events and widens the cached bucket once for all of them.
fn insert_planned(
    conn: &Connection,
    cached: &mut CachedBucket,
    plan: &ImportPlan,
    events: &[PlannedEvent],
) -> Result<()> {
    cached.count = None;
    let Some(first) = events.first() else {
        return Ok(());
    };
    let (mut lo, mut hi, mut longest) = (first.start, first.end, 0);
    insert_rows::insert_planned(
        conn,
        cached.row,
        events,
        |event| plan.data_of(event),
        |event| {
            lo = lo.min(event.start);
            hi = hi.max(event.end);
            longest = longest.max(event.end.saturating_sub(event.start));
        },
    )?;
    buckets::widen_all(cached, lo, hi, longest);
    Ok(())
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
