//! Event rows: insert, range reads with clipping, count, get and delete by id.
//!
//! Times are stored as i64 nanoseconds. Every read goes through the composite index
//! `(bucketrow, starttime DESC, endtime)`, which also fixes the order of ties
//! (start descending, then end ascending, then id ascending). Range reads decode each
//! distinct stored data text once (through the connection's `DataCache`) and share it
//! between the events holding it (REST event lists are written by `events_json.rs`).

use std::collections::{HashMap, HashSet};

use aw_models::time::from_nanos;
use aw_models::{Event, SharedEvent};
use chrono::TimeDelta;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::buckets::parse_data;
use crate::decoded::DataCache;
use crate::error::{DatastoreError, Result};

/// A read range in nanoseconds, both ends inclusive.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    /// Events must end at or after this.
    pub start: i64,
    /// Events must start at or before this.
    pub end: i64,
}

/// A range read resolved from the worker's caches: bucket row, range, the bucket's
/// longest event (ns, to bound the index scan) and the most events wanted.
#[derive(Debug, Clone, Copy)]
pub struct RangeRead {
    /// Bucket row id.
    pub row: i64,
    /// Inclusive range in ns.
    pub range: Range,
    /// Longest event of the bucket (ns).
    pub longest: i64,
    /// At most this many.
    pub limit: Option<u64>,
}

impl RangeRead {
    /// [`RANGE_SQL`]'s parameters: bucket row, range, limit (-1: none), and the
    /// earliest start an event touching the range can have, given the longest event.
    pub(crate) fn params(&self) -> [i64; 5] {
        let limit = self
            .limit
            .map_or(-1, |limit| i64::try_from(limit).unwrap_or(-1));
        let earliest = self.range.start.saturating_sub(self.longest);
        [self.row, self.range.start, self.range.end, limit, earliest]
    }
}

/// The largest explicit event id accepted, in absolute value: 2^53 - 1, the largest
/// integer a JavaScript client (aw-webui) reads exactly. It also keeps the id
/// sequence from ever reaching i64::MAX, after which SQLite can assign no new id
/// and every later insert fails with "database or disk is full" (upstream: 500s
/// from then on).
pub const MAX_EXPLICIT_ID: i64 = (1 << 53) - 1;

/// Refuses an explicit event id beyond ±[`MAX_EXPLICIT_ID`] (also checked for
/// heartbeats, whose id is otherwise used only when they are inserted).
pub fn check_explicit_id(id: Option<i64>) -> Result<()> {
    match id {
        Some(id) if id.unsigned_abs() > MAX_EXPLICIT_ID.unsigned_abs() => {
            Err(DatastoreError::InvalidInput {
                reason: format!(
                    "event id {id} is out of range: explicit ids must lie within \
                     -{MAX_EXPLICIT_ID}..={MAX_EXPLICIT_ID} (2^53 - 1); leave the id out to get a new one"
                ),
            })
        }
        _ => Ok(()),
    }
}

/// Stores one event in the bucket `row` and returns its id.
///
/// An explicit id beyond ±[`MAX_EXPLICIT_ID`] is refused as invalid input.
///
/// An explicit id replaces the row with that id only when it belongs to this same
/// bucket; an id owned by another bucket is not taken over (upstream moved the
/// other bucket's event), the event gets a fresh id instead.
pub fn insert(conn: &Connection, row: i64, event: &Event) -> Result<i64> {
    check_explicit_id(event.id)?;
    let (start, end) = span(event)?;
    let data = serde_json::to_string(&event.data).unwrap_or_else(|_| "{}".to_string());
    insert_row(conn, row, event.id, (start, end), &data)
}

/// Stores one row: `data` is the event's canonical JSON text, `id` already checked
/// against [`MAX_EXPLICIT_ID`].
///
/// Only single-row `INSERT` and `UPDATE` statements: SQLite runs them without a
/// statement journal. `INSERT OR REPLACE` needs one (it may delete a row before it
/// fails), and inside the worker's savepoint that journal copied every touched page
/// again for every event: gigabytes written for a 60 MB import.
pub fn insert_row(
    conn: &Connection,
    row: i64,
    id: Option<i64>,
    (start, end): (i64, i64),
    data: &str,
) -> Result<i64> {
    if let Some(id) = id {
        match owner(conn, id)? {
            Some(owner) if owner == row => {
                conn.prepare_cached(
                    "UPDATE events SET starttime = ?2, endtime = ?3, data = ?4 WHERE id = ?1",
                )?
                .execute(params![id, start, end, data])?;
                return Ok(id);
            }
            None => {
                conn.prepare_cached(
                    "INSERT INTO events (id, bucketrow, starttime, endtime, data)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![id, row, start, end, data])?;
                return Ok(id);
            }
            // Owned by another bucket: the event gets a fresh id below.
            Some(_) => {}
        }
    }
    conn.prepare_cached(
        "INSERT INTO events (bucketrow, starttime, endtime, data) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![row, start, end, data])?;
    Ok(conn.last_insert_rowid())
}

/// Rewrites an existing event of bucket `row` (heartbeat merge). Returns false if
/// the row is gone.
pub fn replace(conn: &Connection, row: i64, event_id: i64, event: &Event) -> Result<bool> {
    let (start, end) = span(event)?;
    let data = serde_json::to_string(&event.data).unwrap_or_else(|_| "{}".to_string());
    let changed = conn
        .prepare_cached(
            "UPDATE events SET starttime = ?3, endtime = ?4, data = ?5
             WHERE bucketrow = ?1 AND id = ?2",
        )?
        .execute(params![row, event_id, start, end, data])?;
    Ok(changed == 1)
}

/// The events of `read`, newest first, unclipped.
pub fn get_range(conn: &Connection, read: RangeRead) -> Result<Vec<Event>> {
    let shared = get_range_shared(conn, read, &mut DataCache::default())?;
    Ok(shared.into_iter().map(SharedEvent::into_event).collect())
}

/// [`get_range`] with each distinct stored data text decoded once (or taken from
/// `cache`, which keeps them across reads) and shared by every event holding it.
pub fn get_range_shared(
    conn: &Connection,
    read: RangeRead,
    cache: &mut DataCache,
) -> Result<Vec<SharedEvent>> {
    if read.range.start > read.range.end {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare_cached(RANGE_SQL)?;
    let rows = stmt.query_map(read.params(), |row| read_shared(row, cache))?;
    rows.map(|row| row.map_err(DatastoreError::from)).collect()
}

/// The range read of both forms: events of a bucket touching a range, newest first,
/// ties by end then id, through the composite index.
pub(crate) const RANGE_SQL: &str = "SELECT id, starttime, endtime, data FROM events
     WHERE bucketrow = ?1 AND starttime >= ?5 AND starttime <= ?3 AND endtime >= ?2
     ORDER BY starttime DESC, endtime ASC, id ASC
     LIMIT ?4";

/// Start, end and data (in its canonical text) of every event of bucket `row`
/// touching `range`: what makes an imported event one that is already stored.
pub fn identities(
    conn: &Connection,
    row: i64,
    range: Range,
    longest: i64,
) -> Result<HashSet<(i64, i64, Box<str>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT starttime, endtime, data FROM events
         WHERE bucketrow = ?1 AND starttime >= ?4 AND starttime <= ?3 AND endtime >= ?2",
    )?;
    let earliest = range.start.saturating_sub(longest);
    let mut rows = stmt.query(params![row, range.start, range.end, earliest])?;
    // Files written by other programs may hold other forms of the same data.
    let mut canonical: HashMap<String, Box<str>> = HashMap::new();
    let mut found = HashSet::new();
    while let Some(r) = rows.next()? {
        let text = r.get_ref(2)?.as_str().unwrap_or("{}");
        let data = match canonical.get(text) {
            Some(known) => known.clone(),
            None => {
                let data = parse_data(text, "event");
                let form: Box<str> = serde_json::to_string(&data).unwrap_or_default().into();
                canonical.insert(text.to_string(), form.clone());
                form
            }
        };
        found.insert((r.get(0)?, r.get(1)?, data));
    }
    Ok(found)
}

/// Reads the events of bucket `row` touching `range`, newest first, with one
/// statement, handing them to `consume` in chunks of `chunk_size`; stops early when
/// `consume` returns false. Chunks share the decoded data that `cache` holds (bounded).
pub fn for_each_chunk(
    conn: &Connection,
    row: i64,
    range: Range,
    chunk_size: usize,
    cache: &mut DataCache,
    mut consume: impl FnMut(Vec<SharedEvent>) -> bool,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, starttime, endtime, data FROM events
         WHERE bucketrow = ?1 AND endtime >= ?2 AND starttime <= ?3
         ORDER BY starttime DESC, endtime ASC, id ASC",
    )?;
    let mut rows = stmt.query(params![row, range.start, range.end])?;
    loop {
        let mut chunk = Vec::with_capacity(chunk_size);
        while chunk.len() < chunk_size {
            match rows.next()? {
                Some(row) => chunk.push(read_shared(row, cache)?),
                None => break,
            }
        }
        let complete = chunk.len() == chunk_size;
        if chunk.is_empty() || !consume(chunk) || !complete {
            return Ok(());
        }
    }
}

/// Cuts each event to `range`, recomputing its duration.
pub fn clip(events: &mut [SharedEvent], range: Range) {
    let (start, end) = (from_nanos(range.start), from_nanos(range.end));
    for event in events {
        let event_end = event.calculate_endtime();
        if event.timestamp < start {
            event.timestamp = start;
        }
        let clipped_end = event_end.min(end);
        event.duration = clipped_end - event.timestamp;
    }
}

/// The newest event of bucket `row` (the heartbeat fallback when nothing is cached).
pub fn newest(conn: &Connection, row: i64) -> Result<Option<Event>> {
    let everything = Range {
        start: 0,
        end: i64::MAX,
    };
    let read = RangeRead {
        row,
        range: everything,
        longest: i64::MAX,
        limit: Some(1),
    };
    let mut events = get_range(conn, read)?;
    Ok(events.pop())
}

/// One event of bucket `row` by id, as stored.
pub fn get_one(conn: &Connection, row: i64, event_id: i64) -> Result<Option<Event>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, starttime, endtime, data FROM events WHERE bucketrow = ?1 AND id = ?2",
        )?
        .query_row(params![row, event_id], read_event)
        .optional()?)
}

/// How many events of bucket `row` touch `range`.
pub fn count(conn: &Connection, row: i64, range: Range, longest: i64) -> Result<u64> {
    if range.start > range.end {
        return Ok(0);
    }
    let count: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM events
             WHERE bucketrow = ?1 AND starttime >= ?4 AND starttime <= ?3 AND endtime >= ?2",
        )?
        .query_row(
            params![
                row,
                range.start,
                range.end,
                range.start.saturating_sub(longest)
            ],
            |row| row.get(0),
        )?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Deletes event `event_id` if it belongs to bucket `row`; returns what was deleted.
pub fn delete(conn: &Connection, row: i64, event_id: i64) -> Result<Option<Event>> {
    let existing = get_one(conn, row, event_id)?;
    if existing.is_some() {
        conn.prepare_cached("DELETE FROM events WHERE bucketrow = ?1 AND id = ?2")?
            .execute(params![row, event_id])?;
    }
    Ok(existing)
}

/// Up to `limit` events of any bucket with ids above `after`, in id order, each with
/// its bucket row (the walk of a sweep over everything stored).
pub fn page_after(conn: &Connection, after: i64, limit: usize) -> Result<Vec<(i64, Event)>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(
        "SELECT id, starttime, endtime, data, bucketrow FROM events
         WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit], |row| {
        Ok((row.get::<_, i64>(4)?, read_event(row)?))
    })?;
    rows.map(|row| row.map_err(DatastoreError::from)).collect()
}

/// Rewrites the data of event `event_id`.
pub fn set_data(conn: &Connection, event_id: i64, data: &aw_models::JsonMap) -> Result<()> {
    let data = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_string());
    conn.prepare_cached("UPDATE events SET data = ?2 WHERE id = ?1")?
        .execute(params![event_id, data])?;
    Ok(())
}

/// The bucket row owning event `event_id`, if any.
fn owner(conn: &Connection, event_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT bucketrow FROM events WHERE id = ?1")?
        .query_row([event_id], |row| row.get(0))
        .optional()?)
}

/// Start and end in nanoseconds, refusing events whose end does not fit.
pub fn span(event: &Event) -> Result<(i64, i64)> {
    let start = event.start_nanos();
    let end = event.end_nanos().ok_or_else(end_out_of_range)?;
    Ok((start, end))
}

/// The error for an event that ends past what i64 nanoseconds hold.
pub fn end_out_of_range() -> DatastoreError {
    DatastoreError::InvalidInput {
        reason: "event end time is out of range (must be before 2262-04-11)".to_string(),
    }
}

/// A shared event from a row `id, starttime, endtime, data`, its data from `cache`.
fn read_shared(row: &Row<'_>, cache: &mut DataCache) -> rusqlite::Result<SharedEvent> {
    let id: i64 = row.get(0)?;
    let start: i64 = row.get(1)?;
    let end: i64 = row.get(2)?;
    let data = cache.column_data(row, 3)?;
    Ok(SharedEvent {
        id: Some(id),
        timestamp: from_nanos(start),
        duration: TimeDelta::nanoseconds(end.saturating_sub(start)),
        data,
    })
}

/// An event from a row `id, starttime, endtime, data`.
pub(crate) fn read_event(row: &Row<'_>) -> rusqlite::Result<Event> {
    let id: i64 = row.get(0)?;
    let start: i64 = row.get(1)?;
    let end: i64 = row.get(2)?;
    let data: String = row.get(3)?;
    let duration = TimeDelta::nanoseconds(end.saturating_sub(start));
    let mut event = Event::new(from_nanos(start), duration, parse_data(&data, "event"));
    event.id = Some(id);
    Ok(event)
}
