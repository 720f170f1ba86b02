//! The SQLite schema (v5) and the migrations from every older version.
//!
//! A new file walks through every step from version 0, so its columns are the same
//! as upstream's (`buckets.data_deprecated` included) and files stay interchangeable.
//! Each step runs in its own exclusive transaction and bumps `user_version`, so an
//! interrupted migration resumes where it stopped. Files newer than v5 are left alone.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::Result;

/// The version this code writes.
pub const SCHEMA_VERSION: i64 = 5;

/// Brings the file to [`SCHEMA_VERSION`]. Returns the version found before migrating
/// (0 for a new file).
pub fn migrate(conn: &mut Connection) -> Result<i64> {
    let found = user_version(conn)?;
    let steps: [(i64, &str); 5] = [
        (1, V1_TABLES),
        (2, "ALTER TABLE buckets ADD COLUMN data TEXT DEFAULT '{}';"),
        (3, V3_DATA_NOT_NULL),
        (4, V4_KEY_VALUE),
        (5, V5_COMPOSITE_INDEX),
    ];
    for (version, sql) in steps {
        if found < version {
            log::info!("migrating database to schema v{version}");
            let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", version)?;
            tx.commit()?;
        }
    }
    Ok(found)
}

/// `PRAGMA user_version`.
pub fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

const V1_TABLES: &str = "
CREATE TABLE IF NOT EXISTS buckets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE NOT NULL,
    type TEXT NOT NULL,
    client TEXT NOT NULL,
    hostname TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bucket_id_index ON buckets(id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bucketrow INTEGER NOT NULL,
    starttime INTEGER NOT NULL,
    endtime INTEGER NOT NULL,
    data TEXT NOT NULL,
    FOREIGN KEY (bucketrow) REFERENCES buckets(id)
);
CREATE INDEX IF NOT EXISTS events_bucketrow_index ON events(bucketrow);
CREATE INDEX IF NOT EXISTS events_starttime_index ON events(starttime);
CREATE INDEX IF NOT EXISTS events_endtime_index ON events(endtime);
";

/// v2 allowed NULL in `buckets.data`; v3 keeps that column aside and adds a strict one.
const V3_DATA_NOT_NULL: &str = "
ALTER TABLE buckets RENAME COLUMN data TO data_deprecated;
ALTER TABLE buckets ADD COLUMN data TEXT NOT NULL DEFAULT '{}';
";

const V4_KEY_VALUE: &str = "
CREATE TABLE IF NOT EXISTS key_value (
    key TEXT PRIMARY KEY,
    value TEXT,
    last_modified NUMBER NOT NULL
);
";

/// The old indexes go first so the new one reuses their pages and the file does not grow.
const V5_COMPOSITE_INDEX: &str = "
DROP INDEX IF EXISTS events_bucketrow_index;
DROP INDEX IF EXISTS events_starttime_index;
DROP INDEX IF EXISTS events_endtime_index;
CREATE INDEX IF NOT EXISTS events_bucketrow_starttime_endtime_index
    ON events(bucketrow, starttime DESC, endtime);
";

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a database at exactly `version` the way an old server left it.
    pub(crate) fn database_at_version(conn: &Connection, version: i64) {
        let steps = [
            V1_TABLES,
            "ALTER TABLE buckets ADD COLUMN data TEXT DEFAULT '{}';",
            V3_DATA_NOT_NULL,
            V4_KEY_VALUE,
        ];
        for (idx, sql) in steps.iter().enumerate().take(version as usize) {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", idx as i64 + 1)
                .unwrap();
        }
    }

    fn index_names(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name")
            .unwrap();
        stmt.query_map([], |row| row.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }

    fn bucket_columns(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM pragma_table_info('buckets')")
            .unwrap();
        stmt.query_map([], |row| row.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }

    #[test]
    fn every_old_version_migrates_to_v5() {
        for version in 0..=5 {
            let mut conn = Connection::open_in_memory().unwrap();
            database_at_version(&conn, version.min(4));
            if version == 5 {
                migrate(&mut conn).unwrap();
            }
            let found = migrate(&mut conn).unwrap();
            assert_eq!(found, version, "found version");
            assert_eq!(user_version(&conn).unwrap(), 5);
            assert_eq!(
                index_names(&conn),
                ["events_bucketrow_starttime_endtime_index"]
            );
            assert_eq!(
                bucket_columns(&conn),
                [
                    "id",
                    "name",
                    "type",
                    "client",
                    "hostname",
                    "created",
                    "data_deprecated",
                    "data"
                ]
            );
        }
    }

    /// Real old files with data, opened through the public handle: the data is read
    /// back, every version lands at v5, and the v4→v5 step does not grow the file.
    #[test]
    fn old_files_with_data_open_through_the_handle() {
        for version in 1..=4 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("old.db");
            let conn = Connection::open(&path).unwrap();
            database_at_version(&conn, version);
            conn.execute(
                "INSERT INTO buckets (id, name, type, client, hostname, created) VALUES (1, 'b', 't', 'c', 'h', '2020-01-01T00:00:00+00:00')",
                [],
            )
            .unwrap();
            let tx = conn.unchecked_transaction().unwrap();
            for idx in 0..20_000_i64 {
                let start = 1_577_836_800_000_000_000 + idx * 60_000_000_000;
                tx.execute(
                    "INSERT INTO events (bucketrow, starttime, endtime, data) VALUES (1, ?1, ?2, '{\"n\":1}')",
                    [start, start + 30_000_000_000],
                )
                .unwrap();
            }
            tx.commit().unwrap();
            drop(conn);
            let size_before = std::fs::metadata(&path).unwrap().len();
            let datastore = crate::native::Datastore::open_file(&path).unwrap();
            let count = datastore
                .get_event_count("b", crate::EventQuery::default())
                .unwrap();
            assert_eq!(count, 20_000, "v{version}");
            let bucket = datastore.get_bucket("b").unwrap();
            assert_eq!(
                bucket.metadata.start.unwrap().to_rfc3339(),
                "2020-01-01T00:00:00+00:00"
            );
            drop(datastore);
            let conn = Connection::open(&path).unwrap();
            assert_eq!(user_version(&conn).unwrap(), 5);
            assert_eq!(
                index_names(&conn),
                ["events_bucketrow_starttime_endtime_index"]
            );
            if version == 4 {
                let size_after = std::fs::metadata(&path).unwrap().len();
                assert!(size_after <= size_before, "{size_before} -> {size_after}");
            }
        }
    }

    #[test]
    fn newer_files_are_left_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 9).unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), 9);
        assert_eq!(user_version(&conn).unwrap(), 9);
    }
}
