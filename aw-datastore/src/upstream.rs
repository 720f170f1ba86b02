//! The upstream-compatible [`Datastore`]: aw-server-rust's public datastore API
//! (constructors, method names and argument shapes as upstream has them), as a thin
//! layer over the native handle, for programs written against upstream's crate.
//!
//! What must stay true: every method is one call (or a short loop of calls) of the
//! native [`crate::native::Datastore`], so behaviour is ours: durable answers, the
//! worker's commit policy, no panics. The constructors cannot return an error (their
//! upstream signature returns `Self`): when the open fails, the failure is logged
//! once and the datastore answers every call with [`DatastoreError::OpenFailed`].

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use aw_models::{Bucket, Event};
use chrono::{DateTime, Utc};

use crate::error::{DatastoreError, Result};
use crate::handle::{self, EventQuery};
use crate::open_config::{DatastoreConfig, Storage};

/// aw-server-rust's `aw_datastore::Datastore`: a cloneable handle to the worker,
/// with upstream's method signatures. [`Datastore::native`] gives the native handle.
#[derive(Clone)]
pub struct Datastore {
    native: handle::Datastore,
}

impl fmt::Debug for Datastore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Datastore()")
    }
}

impl From<handle::Datastore> for Datastore {
    fn from(native: handle::Datastore) -> Datastore {
        Datastore { native }
    }
}

impl Datastore {
    /// Opens (creating and migrating) the SQLite file at `dbpath`. With
    /// `legacy_import`, a new file first receives the Python aw-server's database
    /// (`<data dir>/activitywatch/aw-server/peewee-sqlite.v2.db`) if there is one.
    pub fn new(dbpath: String, legacy_import: bool) -> Datastore {
        Datastore::open_or_failed(Storage::File(PathBuf::from(dbpath)), legacy_import)
    }

    /// Opens a private in-memory database (with `legacy_import`, as [`Datastore::new`]).
    pub fn new_in_memory(legacy_import: bool) -> Datastore {
        Datastore::open_or_failed(Storage::Memory, legacy_import)
    }

    /// The native handle, with the full native API.
    pub fn native(&self) -> &handle::Datastore {
        &self.native
    }

    /// The native handle, consuming this one.
    pub fn into_native(self) -> handle::Datastore {
        self.native
    }

    /// Creates a bucket (and its embedded events); answered after the commit.
    pub fn create_bucket(&self, bucket: &Bucket) -> Result<()> {
        self.native.create_bucket(bucket.clone())
    }

    /// Deletes a bucket and its events; answered after the commit.
    pub fn delete_bucket(&self, bucket_id: &str) -> Result<()> {
        self.native.delete_bucket(bucket_id)
    }

    /// One bucket with metadata (no events).
    pub fn get_bucket(&self, bucket_id: &str) -> Result<Bucket> {
        self.native.get_bucket(bucket_id)
    }

    /// Every bucket, keyed by id.
    pub fn get_buckets(&self) -> Result<HashMap<String, Bucket>> {
        Ok(self.native.get_buckets()?.into_iter().collect())
    }

    /// Inserts events in order and returns them with their ids.
    pub fn insert_events(&self, bucket_id: &str, events: &[Event]) -> Result<Vec<Event>> {
        self.native.insert_events(bucket_id, events.to_vec())
    }

    /// Merges a heartbeat into the bucket's last event or inserts it.
    pub fn heartbeat(&self, bucket_id: &str, heartbeat: Event, pulsetime: f64) -> Result<Event> {
        self.native.heartbeat(bucket_id, heartbeat, pulsetime)
    }

    /// One event as stored.
    pub fn get_event(&self, bucket_id: &str, event_id: i64) -> Result<Event> {
        self.native.get_event(bucket_id, event_id)
    }

    /// Events touching `[starttime, endtime]`, newest first, clipped to the range,
    /// at most `limit`; `None` means unbounded.
    pub fn get_events(
        &self,
        bucket_id: &str,
        starttime_opt: Option<DateTime<Utc>>,
        endtime_opt: Option<DateTime<Utc>>,
        limit_opt: Option<u64>,
    ) -> Result<Vec<Event>> {
        let query = EventQuery {
            start: starttime_opt,
            end: endtime_opt,
            limit: limit_opt,
        };
        self.native.get_events(bucket_id, query)
    }

    /// Number of events touching `[starttime, endtime]`.
    pub fn get_event_count(
        &self,
        bucket_id: &str,
        starttime_opt: Option<DateTime<Utc>>,
        endtime_opt: Option<DateTime<Utc>>,
    ) -> Result<i64> {
        let query = EventQuery {
            start: starttime_opt,
            end: endtime_opt,
            limit: None,
        };
        let count = self.native.get_event_count(bucket_id, query)?;
        Ok(i64::try_from(count).unwrap_or(i64::MAX))
    }

    /// Deletes the listed events of the bucket, one durable delete each; ids that
    /// are not in the bucket are skipped. Stops at the first failure.
    pub fn delete_events_by_id(&self, bucket_id: &str, event_ids: Vec<i64>) -> Result<()> {
        if event_ids.is_empty() {
            // The native delete of an id checks the bucket; an empty list must too.
            self.native.get_bucket(bucket_id)?;
        }
        for event_id in event_ids {
            self.native.delete_event(bucket_id, event_id)?;
        }
        Ok(())
    }

    /// Commits everything pending now.
    pub fn force_commit(&self) -> Result<()> {
        self.native.force_commit()
    }

    /// Every key matching the SQL `LIKE` `pattern` (`%` any run, `_` one character,
    /// ASCII case-insensitive), with its value as JSON text.
    pub fn get_key_values(&self, pattern: &str) -> Result<HashMap<String, String>> {
        let mut found = HashMap::new();
        for (key, value) in self.native.get_key_values("")? {
            if sql_like(pattern, &key) {
                found.insert(key, value.to_string());
            }
        }
        Ok(found)
    }

    /// The value under `key` as JSON text.
    pub fn get_key_value(&self, key: &str) -> Result<String> {
        Ok(self.native.get_key_value(key)?.to_string())
    }

    /// Stores `data`, which must be JSON text, under `key`; answered after the commit.
    pub fn set_key_value(&self, key: &str, data: &str) -> Result<()> {
        let value = serde_json::from_str(data).map_err(|err| DatastoreError::InvalidInput {
            reason: format!("the value for key '{key}' is not JSON text: {err}"),
        })?;
        self.native.set_key_value(key, value)
    }

    /// Removes `key`; answered after the commit.
    pub fn delete_key_value(&self, key: &str) -> Result<()> {
        self.native.delete_key_value(key)
    }

    /// Commits everything pending. The worker itself stops once the last handle
    /// (clone) is dropped, so other clones keep working.
    pub fn close(&self) {
        log::info!("Committing the datastore on close");
        if let Err(err) = self.native.force_commit() {
            log::warn!("Error closing the datastore: {err}");
        }
    }

    fn open_or_failed(storage: Storage, legacy_import: bool) -> Datastore {
        let legacy_import = if legacy_import {
            legacy_db_path()
        } else {
            None
        };
        // Upstream's signature has no backup settings; backups stay a binary option.
        let config = DatastoreConfig {
            storage,
            legacy_import,
            backup: None,
        };
        let description = match &config.storage {
            Storage::File(path) => path.display().to_string(),
            Storage::Memory => String::from("(in memory)"),
        };
        let native = match handle::Datastore::open(config) {
            Ok(native) => native,
            Err(err) => {
                log::error!(
                    "Cannot open the datastore {description}: {err}; every request will fail"
                );
                handle::Datastore::failed(&err)
            }
        };
        Datastore { native }
    }
}

/// Where the Python aw-server keeps its database, as upstream looks for it.
fn legacy_db_path() -> Option<PathBuf> {
    let Some(data_dir) = dirs::data_dir() else {
        log::warn!("No user data directory: skipping the legacy import");
        return None;
    };
    Some(
        data_dir
            .join("activitywatch")
            .join("aw-server")
            .join("peewee-sqlite.v2.db"),
    )
}

/// SQLite's default `LIKE`: `%` matches any run of characters, `_` exactly one, and
/// ASCII letters match regardless of case (other characters exactly).
fn sql_like(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Classic two-pointer wildcard match with backtracking to the last `%`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('%') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '_' || text.get(t).is_some_and(|&x| x.eq_ignore_ascii_case(&c)) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '%'))
}

#[cfg(test)]
mod tests {
    use super::sql_like;

    #[test]
    fn like_matches_as_sqlite() {
        let cases = [
            ("settings.%", "settings.theme", true),
            ("settings.%", "Settings.theme", true),
            ("settings.%", "settings.", true),
            ("settings.%", "setting", false),
            ("%", "", true),
            ("", "", true),
            ("", "a", false),
            ("a_c", "abc", true),
            ("a_c", "ac", false),
            ("%b%", "abc", true),
            ("%x%", "abc", false),
            ("a%c%e", "abcde", true),
            ("a%c%e", "abcdf", false),
            ("ü", "Ü", false),
            ("%%", "anything", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(sql_like(pattern, text), expected, "{pattern:?} {text:?}");
        }
    }
}
