//! [`PeerFile`]: read-only access to another device's sync database (an aw-datastore
//! file at schema v4 or v5 in a shared sync folder), for folder sync.
//!
//! What must stay true: nothing is ever written to, created next to, or locked in the
//! peer's folder. A file without a pending `-wal` is opened `immutable` (no `-shm`, no
//! locks; a file-sync engine replaces files by rename, so the open file stays whole);
//! a file whose `-wal` holds data is copied with that `-wal` into a private temporary
//! directory first, so the committed pages in it are read too. A damaged or foreign
//! file is an error from [`PeerFile::open`] or from a read, never a panic. Events are
//! read oldest first by `(starttime, id)` in pages, unclipped, so memory stays bounded.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use aw_models::{Bucket, Event};
use rusqlite::{params, Connection, OpenFlags, Row};

use crate::buckets::bucket_from_row;
use crate::error::{DatastoreError, Result};
use crate::events::read_event;

/// The schema versions a peer file may have: v4 (before the composite index) and v5.
pub const PEER_SCHEMA_VERSIONS: [i64; 2] = [4, 5];

/// A peer's bucket as stored, with the span and number of its events.
#[derive(Debug, Clone)]
pub struct PeerBucket {
    /// The bucket (metadata = span of its events; no events).
    pub bucket: Bucket,
    /// Number of events.
    pub event_count: u64,
    row: i64,
}

/// Where the next page starts: after the event `(start, id)`, or at `start` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerCursor {
    /// Events starting at or after this instant (ns).
    From(i64),
    /// Events after this `(starttime ns, id)` in `(starttime, id)` order.
    After(i64, i64),
}

/// An open, read-only peer database.
pub struct PeerFile {
    conn: Connection,
    version: i64,
    copy_dir: Option<PathBuf>,
}

impl PeerFile {
    /// Opens `path` read-only and checks that it is an aw-datastore file at v4 or v5.
    pub fn open(path: &Path) -> Result<PeerFile> {
        let wal = wal_path(path);
        let pending_wal = fs::metadata(&wal).is_ok_and(|meta| meta.len() > 0);
        let (conn, copy_dir) = if pending_wal {
            let dir = private_copy(path, &wal)?;
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            match Connection::open_with_flags(dir.join("peer.db"), flags) {
                Ok(conn) => (conn, Some(dir)),
                Err(err) => {
                    remove_copy(&dir);
                    return Err(err.into());
                }
            }
        } else {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let uri = format!("file:{}?immutable=1", uri_escape(path));
            (Connection::open_with_flags(uri, flags)?, None)
        };
        let mut peer = PeerFile {
            conn,
            version: 0,
            copy_dir,
        };
        peer.version = crate::schema::user_version(&peer.conn)?;
        if !PEER_SCHEMA_VERSIONS.contains(&peer.version) {
            return Err(DatastoreError::InvalidInput {
                reason: format!(
                    "{} has schema version {}; only versions 4 and 5 can be read",
                    path.display(),
                    peer.version
                ),
            });
        }
        Ok(peer)
    }

    /// `PRAGMA user_version` of the file (4 or 5).
    pub fn schema_version(&self) -> i64 {
        self.version
    }

    /// Every bucket, with the span and count of its events, ordered by id.
    pub fn buckets(&self) -> Result<Vec<PeerBucket>> {
        let mut stmt = self.conn.prepare(
            "SELECT buckets.id, buckets.name, buckets.type, buckets.client, buckets.hostname,
                    buckets.created, buckets.data, min(events.starttime), max(events.endtime),
                    count(events.id)
             FROM buckets LEFT OUTER JOIN events ON buckets.id = events.bucketrow
             GROUP BY buckets.id ORDER BY buckets.name",
        )?;
        let rows = stmt.query_map([], read_bucket)?;
        rows.map(|row| row.map_err(DatastoreError::from)).collect()
    }

    /// The value stored under `key` in the file's key-value table, if any.
    pub fn key_value(&self, key: &str) -> Result<Option<serde_json::Value>> {
        let mut stmt = self
            .conn
            .prepare("SELECT value FROM key_value WHERE key = ?1")?;
        let mut rows = stmt.query([key])?;
        match rows.next()? {
            Some(row) => {
                let text: Option<String> = row.get(0)?;
                Ok(text.and_then(|text| serde_json::from_str(&text).ok()))
            }
            None => Ok(None),
        }
    }

    /// Up to `limit` events of `bucket` from `cursor` on, oldest first by
    /// `(starttime, id)`, unclipped, with their ids in this file.
    pub fn events_page(
        &self,
        bucket: &PeerBucket,
        cursor: PeerCursor,
        limit: usize,
    ) -> Result<Vec<Event>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut events = Vec::new();
        let after = match cursor {
            PeerCursor::From(start) => start.saturating_sub(1),
            PeerCursor::After(start, id) => {
                // The rest of the tie group at `start` first, then later start times.
                let mut stmt = self.conn.prepare_cached(
                    "SELECT id, starttime, endtime, data FROM events
                     WHERE bucketrow = ?1 AND starttime = ?2 AND id > ?3
                     ORDER BY id LIMIT ?4",
                )?;
                let rows = stmt.query_map(params![bucket.row, start, id, limit], read_event)?;
                for row in rows {
                    events.push(row?);
                }
                start
            }
        };
        let remaining = limit.saturating_sub(i64::try_from(events.len()).unwrap_or(limit));
        if remaining > 0 && after < i64::MAX {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, starttime, endtime, data FROM events
                 WHERE bucketrow = ?1 AND starttime > ?2
                 ORDER BY starttime ASC, id ASC LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![bucket.row, after, remaining], read_event)?;
            for row in rows {
                events.push(row?);
            }
        }
        Ok(events)
    }
}

impl Drop for PeerFile {
    fn drop(&mut self) {
        if let Some(dir) = &self.copy_dir {
            remove_copy(dir);
        }
    }
}

/// `<path>-wal`.
fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push("-wal");
    PathBuf::from(name)
}

/// Copies the file and its `-wal` into a new private directory under the temp dir.
fn private_copy(path: &Path, wal: &Path) -> Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "aw-sync-peer-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let copied = fs::create_dir_all(&dir)
        .and_then(|()| fs::copy(path, dir.join("peer.db")))
        .and_then(|_| fs::copy(wal, dir.join("peer.db-wal")));
    match copied {
        Ok(_) => Ok(dir),
        Err(err) => {
            remove_copy(&dir);
            Err(DatastoreError::InvalidInput {
                reason: format!("cannot copy {} to read it: {err}", path.display()),
            })
        }
    }
}

fn remove_copy(dir: &Path) {
    if let Err(err) = fs::remove_dir_all(dir) {
        log::warn!("cannot remove the temporary copy {}: {err}", dir.display());
    }
}

/// A path as the file part of an SQLite URI: `%`, `?` and `#` are escaped.
fn uri_escape(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '%' => escaped.push_str("%25"),
            '?' => escaped.push_str("%3f"),
            '#' => escaped.push_str("%23"),
            _ => escaped.push(ch),
        }
    }
    escaped
}

fn read_bucket(row: &Row<'_>) -> rusqlite::Result<PeerBucket> {
    let count: i64 = row.get(9)?;
    Ok(PeerBucket {
        bucket: bucket_from_row(row)?,
        event_count: u64::try_from(count).unwrap_or(0),
        row: row.get(0)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escape_keeps_plain_paths() {
        assert_eq!(uri_escape(Path::new("/a/b c/test.db")), "/a/b c/test.db");
        assert_eq!(uri_escape(Path::new("/a?#%/x")), "/a%3f%23%25/x");
    }
}
