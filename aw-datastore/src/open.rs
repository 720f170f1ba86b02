//! Opening a database for the worker: ownership, the write-lock probe, the integrity
//! check, pragmas, migrations, caches and the legacy import, in that order.
//!
//! What must stay true: nothing is written to the file (not even the WAL switch or a
//! migration) before this process owns it and it passed `quick_check`.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use rusqlite::{Connection, ErrorCode};

use crate::error::{DatastoreError, Result};
use crate::integrity::{self, classify_open_error};
use crate::metrics::HeartbeatCounts;
use crate::open_config::{DatastoreConfig, Storage};
use crate::owner::{self, OwnerLock};
use crate::reader::ReaderPool;
use crate::state::State;
use crate::status::IntegrityReport;
use crate::{buckets, legacy_import, schema};

/// The writer's page cache, in KiB (a negative `cache_size`).
const WRITER_CACHE_KIB: i64 = -16_384;

/// Longest wait for a foreign write lock to go away before giving up at open.
const FOREIGN_LOCK_WAIT: Duration = Duration::from_secs(2);
/// `-wal` size SQLite truncates to whenever it resets the log.
const JOURNAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// What [`open`] hands to the worker.
pub struct Opened {
    /// Connection and caches.
    pub state: State,
    /// Held for as long as the file is open (none for memory).
    pub owner: Option<OwnerLock>,
    /// The check at open (none for memory).
    pub integrity: Option<IntegrityAtOpen>,
}

/// How the integrity of a file was (or will be) checked.
pub enum IntegrityAtOpen {
    /// Checked before anything else, because the file needed a migration (a write).
    Checked(IntegrityReport),
    /// A current file: checked on a thread of its own right after start, so a large
    /// file does not delay the first heartbeat (a cold `quick_check` of 90 MB took
    /// 2.4 s here); writes are refused from the moment it fails.
    Deferred,
}

/// Opens, checks, configures and migrates the database, loads the caches and runs
/// the legacy import on a new file.
pub fn open(config: &DatastoreConfig) -> Result<Opened> {
    let (mut conn, owner, integrity) = match &config.storage {
        Storage::File(path) => {
            let owner = OwnerLock::acquire(path)?;
            let conn = Connection::open(path).map_err(|err| classify_open_error(path, err))?;
            probe_write_lock(&conn, path)?;
            let integrity = if is_current(&conn, path)? {
                IntegrityAtOpen::Deferred
            } else {
                IntegrityAtOpen::Checked(check(&conn, path)?)
            };
            (conn, Some(owner), Some(integrity))
        }
        Storage::Memory => (Connection::open_in_memory()?, None, None),
    };
    let damaged = |err| match &config.storage {
        Storage::File(path) => classify_open_error(path, err),
        Storage::Memory => DatastoreError::from(err),
    };
    let journal: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(damaged)?;
    if matches!(config.storage, Storage::File(_)) && !journal.eq_ignore_ascii_case("wal") {
        log::warn!("journal_mode is {journal}, not WAL");
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)?;
    // Room for a bulk write's working set of pages: with SQLite's 2 MB default an
    // import spilled dirty pages to the WAL mid-transaction (5% of its time). Pages
    // are only taken as they are touched, so everyday writes stay small.
    conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(64);
    let found_version = schema::migrate(&mut conn).map_err(|err| damage_of(config, err))?;
    let buckets = buckets::load(&conn).map_err(|err| damage_of(config, err))?;
    let filters = crate::state::load_filters(&conn).map_err(|err| damage_of(config, err))?;
    let mut state = State {
        conn,
        buckets,
        last_events: HashMap::new(),
        filters,
        heartbeats: HeartbeatCounts::default(),
        listeners: Default::default(),
    };
    if let (0, Some(path)) = (found_version, &config.legacy_import) {
        let tx = state.conn.unchecked_transaction()?;
        let imported = legacy_import::import_legacy(&tx, &state.buckets, path)?;
        tx.commit()?;
        state.apply_imported(imported);
    }
    Ok(Opened {
        state,
        owner,
        integrity,
    })
}

/// Reader connections for a file database; none for memory (or if they fail to open).
pub fn open_readers(config: &DatastoreConfig) -> Option<ReaderPool> {
    let Storage::File(path) = &config.storage else {
        return None;
    };
    ReaderPool::open(path)
        .map_err(|err| log::warn!("reader connections unavailable, the writer reads: {err}"))
        .ok()
}

/// Whether the file is at the current schema (so opening it writes nothing). Reading
/// the schema table also proves page 1 is sound.
fn is_current(conn: &Connection, path: &Path) -> Result<bool> {
    let version = schema::user_version(conn).map_err(|err| damage_in(path, err))?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
        row.get::<_, i64>(0)
    })
    .map_err(|err| classify_open_error(path, err))?;
    Ok(version == schema::SCHEMA_VERSION)
}

/// An SQLite error that means damage becomes [`DatastoreError::Damaged`].
fn damage_in(path: &Path, err: DatastoreError) -> DatastoreError {
    match err {
        DatastoreError::Sqlite(err) => classify_open_error(path, err),
        other => other,
    }
}

fn damage_of(config: &DatastoreConfig, err: DatastoreError) -> DatastoreError {
    match &config.storage {
        Storage::File(path) => damage_in(path, err),
        Storage::Memory => err,
    }
}

/// A foreign process holding SQLite's write lock (upstream's server keeps a write
/// transaction open almost all the time) would make every write of ours wait and fail.
fn probe_write_lock(conn: &Connection, path: &Path) -> Result<()> {
    conn.busy_timeout(FOREIGN_LOCK_WAIT)?;
    match conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;") {
        Ok(()) => Ok(()),
        Err(err)
            if matches!(
                err.sqlite_error_code(),
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
            ) =>
        {
            let holder = owner::describe_holders(path)
                .map(|who| format!("{who}, which holds its write lock"))
                .or_else(|| Some("another process holding its write lock".to_string()));
            Err(owner::in_use(path, holder))
        }
        Err(err) => Err(classify_open_error(path, err)),
    }
}

/// `quick_check` before the first write; a damaged file is refused.
fn check(conn: &Connection, path: &Path) -> Result<IntegrityReport> {
    let started = Instant::now();
    let problems = integrity::quick_check(conn).map_err(|err| damage_in(path, err))?;
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if !problems.is_empty() {
        return Err(DatastoreError::Damaged {
            path: path.to_path_buf(),
            detail: format!("quick_check found: {}", problems.join("; ")),
        });
    }
    log::info!(
        "integrity check of {} passed in {duration_ms} ms",
        path.display()
    );
    Ok(IntegrityReport {
        result: "ok".to_string(),
        checked_at: Utc::now(),
        duration_ms,
    })
}
