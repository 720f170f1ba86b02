//! One-time import from the Python aw-server's database (`peewee-sqlite.v2.db`).
//!
//! Runs only when our file was new, inside the worker's first transaction. Buckets
//! keep their ids; events get new ids; rows that cannot be read are skipped with a
//! warning instead of aborting start-up.

use std::path::Path;

use aw_models::time::{duration_from_secs, parse_json_datetime};
use aw_models::{Bucket, BucketsExport, Event, JsonMap};
use rusqlite::{Connection, OpenFlags};

use crate::buckets::{parse_created, BucketCache, CachedBucket};
use crate::error::Result;
use crate::import::{self, plan_of};
use crate::privacy::PrivacyFilters;

/// Imports every bucket and event of the Python database at `path`, if it exists.
/// Returns the cache entries of the imported buckets.
pub fn import_legacy(
    conn: &Connection,
    cache: &BucketCache,
    path: &Path,
) -> Result<Vec<CachedBucket>> {
    if !path.exists() {
        log::info!(
            "no Python aw-server database at {}, skipping legacy import",
            path.display()
        );
        return Ok(Vec::new());
    }
    log::info!("importing the Python aw-server database {}", path.display());
    let legacy = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut export = BucketsExport::default();
    for (key, bucket) in read_buckets(&legacy)? {
        let mut bucket = bucket;
        bucket.events = Some(read_events(&legacy, key)?);
        export.buckets.insert(bucket.id.clone(), bucket);
    }
    // The privacy rules are the server's settings; a first start has none yet.
    let imported = import::import(conn, cache, plan_of(export)?, &PrivacyFilters::default())?;
    log::info!("legacy import done: {} buckets", imported.len());
    Ok(imported)
}

fn read_buckets(legacy: &Connection) -> Result<Vec<(i64, Bucket)>> {
    let mut stmt =
        legacy.prepare("SELECT key, id, type, client, hostname, created FROM bucketmodel")?;
    let rows = stmt.query_map([], |row| {
        let created: Option<String> = row.get(5)?;
        Ok((
            row.get::<_, i64>(0)?,
            Bucket {
                id: row.get(1)?,
                bucket_type: row.get(2)?,
                client: row.get(3)?,
                hostname: row.get(4)?,
                created: created.as_deref().and_then(parse_created),
                data: JsonMap::new(),
                metadata: Default::default(),
                events: None,
                last_updated: None,
            },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn read_events(legacy: &Connection, bucket_key: i64) -> Result<Vec<Event>> {
    let mut stmt = legacy.prepare(
        "SELECT timestamp, duration, datastr FROM eventmodel WHERE bucket_id = ?1 ORDER BY timestamp DESC",
    )?;
    let rows = stmt.query_map([bucket_key], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, f64>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (timestamp, duration, datastr) = row?;
        match legacy_event(&timestamp, duration, &datastr) {
            Some(event) => events.push(event),
            None => log::warn!("skipping unreadable legacy event at {timestamp:?}: {datastr:?}"),
        }
    }
    Ok(events)
}

fn legacy_event(timestamp: &str, duration: f64, datastr: &str) -> Option<Event> {
    let timestamp = parse_json_datetime(timestamp).ok()?;
    let data: JsonMap = serde_json::from_str(datastr).ok()?;
    let event = Event::new(timestamp, duration_from_secs(duration), data);
    event.end_nanos()?;
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a small Python aw-server database (one bucket, three events, one of
    /// them unreadable) and returns its path.
    fn python_database(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("peewee-sqlite.v2.db");
        let legacy = Connection::open(&path).unwrap();
        legacy
            .execute_batch(
                "CREATE TABLE bucketmodel (key INTEGER PRIMARY KEY, id TEXT, created DATETIME, name TEXT, type TEXT, client TEXT, hostname TEXT, datastr TEXT);
                 CREATE TABLE eventmodel (id INTEGER PRIMARY KEY, bucket_id INTEGER, timestamp DATETIME, duration DECIMAL, datastr TEXT);
                 INSERT INTO bucketmodel VALUES (1, 'aw-watcher-afk_box', '2020-01-01 00:00:00.000000', 'n', 'afkstatus', 'aw-watcher-afk', 'box', '{}');
                 INSERT INTO eventmodel VALUES (1, 1, '2020-01-01 10:00:00.500000+00:00', 5.5, '{\"status\": \"afk\"}');
                 INSERT INTO eventmodel VALUES (2, 1, '2020-01-01 11:00:00+00:00', 1, 'not json');
                 INSERT INTO eventmodel VALUES (3, 1, '2020-01-01 12:00:00+00:00', 2, '{\"status\": \"not-afk\"}');",
            )
            .unwrap();
        path
    }

    #[test]
    fn imported_once_when_the_file_is_new() {
        let dir = tempfile::tempdir().unwrap();
        let legacy = python_database(dir.path());
        let config = crate::DatastoreConfig {
            storage: crate::Storage::File(dir.path().join("sqlite.db")),
            legacy_import: Some(legacy),
            backup: None,
        };
        for _ in 0..2 {
            let datastore = crate::native::Datastore::open(config.clone()).unwrap();
            let events = datastore
                .get_events("aw-watcher-afk_box", crate::EventQuery::default())
                .unwrap();
            assert_eq!(events.len(), 2);
        }
    }

    #[test]
    fn python_database_is_imported() {
        let dir = tempfile::tempdir().unwrap();
        let path = python_database(dir.path());
        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let imported = import_legacy(&conn, &BucketCache::new(), &path).unwrap();
        assert_eq!(imported.len(), 1);
        let bucket = &imported[0].bucket;
        assert_eq!(bucket.id, "aw-watcher-afk_box");
        assert_eq!(
            bucket.metadata.start.unwrap().to_rfc3339(),
            "2020-01-01T10:00:00.500+00:00"
        );
        let count: i64 = conn
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 2);
    }
}
