//! Bucket rows and the in-memory bucket cache.
//!
//! The cache maps a bucket id to its row id and its [`Bucket`] (with metadata), so
//! existence checks and bucket listings never touch SQL. It must always mirror the
//! committed-or-pending database state: after a rollback it is rebuilt with [`load`].

use std::collections::{BTreeMap, HashMap};

use aw_models::time::{format_datetime, from_nanos};
use aw_models::{Bucket, BucketMetadata, JsonMap};
use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{DatastoreError, Result};

/// A bucket as cached by the worker.
#[derive(Debug, Clone)]
pub struct CachedBucket {
    /// `buckets.id`, the foreign key of its events.
    pub row: i64,
    /// What clients see.
    pub bucket: Bucket,
    /// An upper bound of the bucket's longest event, in nanoseconds (never below 0).
    /// Range reads use it to bound the index scan from below: an event ending after
    /// `start` must begin after `start - longest`.
    pub longest: i64,
    /// How many events a count over the default range sees (those ending at or after
    /// the epoch), once counted. Writes it can follow exactly keep it; any other write
    /// to the bucket resets it to `None`, so it is never wrong, only sometimes unknown.
    pub count: Option<u64>,
}

/// Bucket id → cached bucket.
pub type BucketCache = HashMap<String, CachedBucket>;

/// Reads every bucket with the span of its events.
pub fn load(conn: &Connection) -> Result<BucketCache> {
    let mut stmt = conn.prepare_cached(
        "SELECT buckets.id, buckets.name, buckets.type, buckets.client, buckets.hostname,
                buckets.created, buckets.data, min(events.starttime), max(events.endtime),
                max(events.endtime - events.starttime)
         FROM buckets LEFT OUTER JOIN events ON buckets.id = events.bucketrow
         GROUP BY buckets.id",
    )?;
    let rows = stmt.query_map([], |row| {
        let bucket = bucket_from_row(row)?;
        let longest: Option<i64> = row.get(9)?;
        let cached = CachedBucket {
            row: row.get(0)?,
            bucket,
            longest: longest.unwrap_or(0).max(0),
            count: None,
        };
        Ok((cached.bucket.id.clone(), cached))
    })?;
    let mut cache = BucketCache::new();
    for row in rows {
        let (name, cached) = row?;
        cache.insert(name, cached);
    }
    Ok(cache)
}

/// Inserts the bucket row and returns its row id. `created` must be set.
pub fn insert(conn: &Connection, bucket: &Bucket) -> Result<i64> {
    let created = bucket.created.unwrap_or_else(Utc::now);
    let data = serde_json::to_string(&bucket.data).unwrap_or_else(|_| "{}".to_string());
    let res = conn
        .prepare_cached(
            "INSERT INTO buckets (name, type, client, hostname, created, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            bucket.id,
            bucket.bucket_type,
            bucket.client,
            bucket.hostname,
            format_created(&created),
            data
        ]);
    match res {
        Ok(_) => Ok(conn.last_insert_rowid()),
        Err(err) if err.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
            Err(DatastoreError::BucketAlreadyExists {
                bucket_id: bucket.id.clone(),
            })
        }
        Err(err) => Err(err.into()),
    }
}

/// Deletes the bucket row and all its events.
pub fn delete(conn: &Connection, row: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM events WHERE bucketrow = ?1")?
        .execute([row])?;
    conn.prepare_cached("DELETE FROM buckets WHERE id = ?1")?
        .execute([row])?;
    Ok(())
}

/// The span of the bucket's events, read from the database.
pub fn metadata(conn: &Connection, row: i64) -> Result<BucketMetadata> {
    let span = conn
        .prepare_cached("SELECT min(starttime), max(endtime) FROM events WHERE bucketrow = ?1")?
        .query_row([row], |row| {
            Ok((row.get::<_, Option<i64>>(0)?, row.get::<_, Option<i64>>(1)?))
        })
        .optional()?;
    let (start, end) = span.unwrap_or((None, None));
    Ok(BucketMetadata {
        start: start.map(from_nanos),
        end: end.map(from_nanos),
    })
}

/// Widens the cached bucket to cover an event spanning `[start, end]` (nanoseconds).
pub fn widen(cached: &mut CachedBucket, start: i64, end: i64) {
    cached.longest = cached.longest.max(end.saturating_sub(start));
    widen_metadata(&mut cached.bucket.metadata, start, end);
}

/// Widens the cached bucket to cover events spanning `[start, end]` together, none
/// of them longer than `longest`.
pub fn widen_all(cached: &mut CachedBucket, start: i64, end: i64, longest: i64) {
    cached.longest = cached.longest.max(longest);
    widen_metadata(&mut cached.bucket.metadata, start, end);
}

fn widen_metadata(metadata: &mut BucketMetadata, start: i64, end: i64) {
    let start = from_nanos(start);
    let end = from_nanos(end);
    if metadata.start.is_none_or(|current| start < current) {
        metadata.start = Some(start);
    }
    if metadata.end.is_none_or(|current| end > current) {
        metadata.end = Some(end);
    }
}

/// The listing clients get: every bucket without events, keyed by id.
pub fn listing(cache: &BucketCache) -> BTreeMap<String, Bucket> {
    cache
        .iter()
        .map(|(id, cached)| (id.clone(), cached.bucket.clone()))
        .collect()
}

/// `created` as upstream stores it: `YYYY-MM-DD HH:MM:SS[.fraction]+00:00`.
fn format_created(created: &DateTime<Utc>) -> String {
    format_datetime(created)
        .replacen('T', " ", 1)
        .replace('Z', "+00:00")
}

/// Reads `created` in any form old servers wrote (offset or not, space or `T`).
/// A bucket from a row whose columns 1–8 are `name, type, client, hostname, created,
/// data, min(starttime), max(endtime)` (column 0 is the row id), as the bucket
/// listings of this file and of `peer` select them.
pub(crate) fn bucket_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Bucket> {
    let name: String = row.get(1)?;
    let created: String = row.get(5)?;
    let data: String = row.get(6)?;
    let start: Option<i64> = row.get(7)?;
    let end: Option<i64> = row.get(8)?;
    Ok(Bucket {
        id: name.clone(),
        bucket_type: row.get(2)?,
        client: row.get(3)?,
        hostname: row.get(4)?,
        created: parse_created(&created),
        data: parse_data(&data, &name),
        metadata: BucketMetadata {
            start: start.map(from_nanos),
            end: end.map(from_nanos),
        },
        events: None,
        last_updated: None,
    })
}

pub fn parse_created(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(parsed) = text.parse::<DateTime<chrono::FixedOffset>>() {
        return Some(parsed.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc());
        }
    }
    log::warn!("unreadable bucket creation time {text:?}");
    None
}

/// Reads a stored JSON object; anything else becomes `{}` with a warning, never a panic.
pub fn parse_data(text: &str, context: &str) -> JsonMap {
    serde_json::from_str(text).unwrap_or_else(|err| {
        log::warn!("invalid stored data for {context}: {err}");
        JsonMap::new()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_round_trips_in_upstream_text_form() {
        let created =
            aw_models::time::parse_json_datetime("2026-11-24T07:25:06.084074634Z").unwrap();
        let text = format_created(&created);
        assert_eq!(text, "2026-11-24 07:25:06.084074634+00:00");
        assert_eq!(parse_created(&text), Some(created));
        assert!(parse_created("2020-01-01 10:00:00").is_some());
        assert!(parse_created("2020-01-01T10:00:00.5").is_some());
        assert_eq!(parse_created("garbage"), None);
    }
}
