//! Salvage: copy every readable bucket, event and setting of a damaged database into a
//! fresh one, skipping what cannot be read.
//!
//! What must stay true: the damaged file is never written to (the work happens on a
//! private copy of it and its `-wal`), and the output appears under its name only when
//! it is complete and passed `quick_check`. Rows are read by rowid windows; a window
//! that fails is split in halves down to single rows, so a damaged page costs only the
//! rows on it. A file whose 100-byte header is garbage gets a rebuilt header on the
//! private copy (the rest of page 1, the schema, is usually intact).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use crate::error::{DatastoreError, Result};
use crate::integrity;
use crate::schema;

/// What a salvage copied and what it had to leave behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SalvageReport {
    /// Buckets copied.
    pub buckets: u64,
    /// Buckets created for events whose bucket row could not be read.
    pub placeholder_buckets: u64,
    /// Events copied.
    pub events: u64,
    /// Events known to exist that could not be read (from the file's own count where
    /// it is readable, else the unreadable row slots).
    pub events_skipped: u64,
    /// Settings copied.
    pub settings: u64,
    /// Rows of buckets or settings that could not be read.
    pub other_rows_skipped: u64,
    /// Whether the file header had to be rebuilt.
    pub header_rebuilt: bool,
}

/// Rows per window when reading by rowid.
const WINDOW: i64 = 512;

/// Copies what is readable of `damaged` into the new file `output`.
pub fn salvage(damaged: &Path, output: &Path) -> Result<SalvageReport> {
    if output.exists() {
        return Err(DatastoreError::InvalidInput {
            reason: format!("{} exists already; choose a new file", output.display()),
        });
    }
    if !damaged.is_file() {
        return Err(DatastoreError::InvalidInput {
            reason: format!("{} is not a file", damaged.display()),
        });
    }
    let work = tempdir_beside(output)?;
    let result = salvage_in(damaged, output, &work);
    let _ = fs::remove_dir_all(&work);
    result
}

fn salvage_in(damaged: &Path, output: &Path, work: &Path) -> Result<SalvageReport> {
    let io = |action: String| move |source| DatastoreError::Io { action, source };
    let copy = work.join("source.db");
    fs::copy(damaged, &copy).map_err(io(format!("copy {}", damaged.display())))?;
    let wal = PathBuf::from(format!("{}-wal", damaged.display()));
    if wal.is_file() {
        fs::copy(&wal, work.join("source.db-wal"))
            .map_err(io(format!("copy {}", wal.display())))?;
    }
    let mut report = SalvageReport::default();
    let source = match open_source(&copy) {
        Ok(conn) => conn,
        Err(first) => {
            let _ = fs::remove_file(work.join("source.db-wal"));
            report.header_rebuilt = true;
            rebuild_header(&copy).map_err(|_| first)?
        }
    };
    let partial = work.join("output.db");
    let mut dest = Connection::open(&partial)?;
    schema::migrate(&mut dest)?;
    let tx = dest.transaction()?;
    copy_buckets(&source, &tx, &mut report)?;
    copy_events(&source, &tx, &mut report)?;
    copy_settings(&source, &tx, &mut report)?;
    tx.commit()?;
    let problems = integrity::quick_check(&dest)?;
    drop(dest);
    if !problems.is_empty() {
        return Err(DatastoreError::Damaged {
            path: output.to_path_buf(),
            detail: format!(
                "the salvaged copy failed quick_check: {}",
                problems.join("; ")
            ),
        });
    }
    fs::rename(&partial, output).map_err(io(format!("write {}", output.display())))?;
    Ok(report)
}

fn tempdir_beside(output: &Path) -> Result<PathBuf> {
    let parent = output
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = parent.join(format!(".aw-salvage-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|source| DatastoreError::Io {
        action: format!("create a work folder in {}", parent.display()),
        source,
    })?;
    Ok(dir)
}

/// Opens the private copy and proves the schema can be read.
fn open_source(copy: &Path) -> Result<Connection> {
    let conn = Connection::open(copy)?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
        row.get::<_, i64>(0)
    })?;
    Ok(conn)
}

/// Writes a standard header over the first 100 bytes of `copy`, trying each page
/// size, until the schema reads.
fn rebuild_header(copy: &Path) -> Result<Connection> {
    let original = fs::read(copy).map_err(|source| DatastoreError::Io {
        action: format!("read {}", copy.display()),
        source,
    })?;
    let mut last = None;
    for page_size in [4096_u32, 1024, 2048, 8192, 16384, 32768, 65536] {
        let mut bytes = original.clone();
        let Some(head) = bytes.get_mut(..100) else {
            break;
        };
        head.copy_from_slice(&standard_header(page_size));
        fs::write(copy, &bytes).map_err(|source| DatastoreError::Io {
            action: format!("write {}", copy.display()),
            source,
        })?;
        match open_source(copy) {
            Ok(conn) => return Ok(conn),
            Err(err) => last = Some(err),
        }
    }
    Err(last.unwrap_or_else(|| DatastoreError::Damaged {
        path: copy.to_path_buf(),
        detail: "the file is too short to be a database".to_string(),
    }))
}

/// The 100-byte header of a rollback-journal database with `page_size`, no freelist
/// and a size taken from the file length (SQLite ignores a zero in-header size).
fn standard_header(page_size: u32) -> [u8; 100] {
    let mut head = [0_u8; 100];
    let put = |head: &mut [u8; 100], at: usize, bytes: &[u8]| {
        if let Some(slot) = head.get_mut(at..at + bytes.len()) {
            slot.copy_from_slice(bytes);
        }
    };
    put(&mut head, 0, b"SQLite format 3\0");
    let encoded = if page_size == 65536 {
        1
    } else {
        page_size as u16
    };
    put(&mut head, 16, &encoded.to_be_bytes());
    // Write and read versions 1 (rollback journal), no reserved bytes, the fixed
    // payload fractions 64/32/32.
    put(&mut head, 18, &[1, 1, 0, 64, 32, 32]);
    put(&mut head, 40, &1_u32.to_be_bytes()); // schema cookie
    put(&mut head, 44, &4_u32.to_be_bytes()); // schema format
    put(&mut head, 56, &1_u32.to_be_bytes()); // UTF-8
    put(&mut head, 96, &3_045_000_u32.to_be_bytes());
    head
}

fn copy_buckets(source: &Connection, dest: &Connection, report: &mut SalvageReport) -> Result<()> {
    let data = if has_column(source, "buckets", "data") {
        "data"
    } else {
        "'{}'"
    };
    let select = format!(
        "SELECT id, name, type, client, hostname, created, {data} FROM buckets \
         WHERE id BETWEEN ?1 AND ?2 ORDER BY id"
    );
    let insert = "INSERT OR IGNORE INTO buckets (id, name, type, client, hostname, created, data) \
                  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    let outcome = copy_table(source, dest, "buckets", &select, insert, 7)?;
    report.buckets = outcome.copied;
    report.other_rows_skipped += outcome.failed_slots;
    Ok(())
}

fn copy_events(source: &Connection, dest: &Connection, report: &mut SalvageReport) -> Result<()> {
    let select = "SELECT id, bucketrow, starttime, endtime, data FROM events \
                  WHERE id BETWEEN ?1 AND ?2 ORDER BY id";
    let insert = "INSERT INTO events (id, bucketrow, starttime, endtime, data) \
                  VALUES (?1, ?2, ?3, ?4, ?5)";
    let outcome = copy_table(source, dest, "events", select, insert, 5)?;
    report.events = outcome.copied;
    let expected: Option<u64> = source
        .query_row("SELECT count(*) FROM events", [], |row| row.get(0))
        .ok();
    report.events_skipped = match expected {
        Some(expected) if expected >= outcome.copied => expected - outcome.copied,
        _ => outcome.failed_slots,
    };
    report.placeholder_buckets = add_placeholder_buckets(dest)?;
    Ok(())
}

fn copy_settings(source: &Connection, dest: &Connection, report: &mut SalvageReport) -> Result<()> {
    if !has_column(source, "key_value", "key") {
        return Ok(());
    }
    let select = "SELECT rowid, key, value, last_modified FROM key_value \
                  WHERE rowid BETWEEN ?1 AND ?2 ORDER BY rowid";
    let insert = "INSERT OR REPLACE INTO key_value (rowid, key, value, last_modified) \
                  VALUES (?1, ?2, ?3, ?4)";
    let outcome = copy_table(source, dest, "key_value", select, insert, 4)?;
    report.settings = outcome.copied;
    report.other_rows_skipped += outcome.failed_slots;
    Ok(())
}

/// Events whose bucket row could not be read keep their data in a bucket of their own.
fn add_placeholder_buckets(dest: &Connection) -> Result<u64> {
    let mut statement = dest.prepare(
        "SELECT DISTINCT bucketrow FROM events WHERE bucketrow NOT IN (SELECT id FROM buckets)",
    )?;
    let rows: Vec<i64> = statement
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for row in &rows {
        dest.execute(
            "INSERT INTO buckets (id, name, type, client, hostname, created, data) \
             VALUES (?1, ?2, 'unknown', 'aw-server salvage', 'unknown', ?3, '{}')",
            rusqlite::params![
                row,
                format!("salvaged-bucket-{row}"),
                chrono::Utc::now().to_rfc3339()
            ],
        )?;
    }
    Ok(rows.len() as u64)
}

fn has_column(conn: &Connection, table: &str, column: &str) -> bool {
    let Ok(mut statement) = conn.prepare(&format!("PRAGMA table_info({table})")) else {
        return false;
    };
    let Ok(names) = statement.query_map([], |row| row.get::<_, String>(1)) else {
        return false;
    };
    let names: HashSet<String> = names.filter_map(std::result::Result::ok).collect();
    names.contains(column)
}

struct Copied {
    copied: u64,
    failed_slots: u64,
}

/// Copies every readable row of `table`, window by window over its rowids.
fn copy_table(
    source: &Connection,
    dest: &Connection,
    table: &str,
    select: &str,
    insert: &str,
    columns: usize,
) -> Result<Copied> {
    let mut outcome = Copied {
        copied: 0,
        failed_slots: 0,
    };
    let Some(max) = highest_rowid(source, table) else {
        return Ok(outcome);
    };
    let mut insert = dest.prepare(insert)?;
    let mut pending = vec![(1_i64.min(max), max)];
    while let Some((low, high)) = pending.pop() {
        let window_high = high.min(low.saturating_add(WINDOW - 1));
        if window_high < high {
            pending.push((window_high + 1, high));
        }
        match read_window(source, select, columns, low, window_high) {
            Ok(rows) => {
                for row in rows {
                    insert.execute(params_from_iter(row))?;
                    outcome.copied += 1;
                }
            }
            Err(_) if low == window_high => outcome.failed_slots += 1,
            Err(_) => {
                let middle = low + (window_high - low) / 2;
                pending.push((middle + 1, window_high));
                pending.push((low, middle));
            }
        }
    }
    Ok(outcome)
}

/// The largest rowid, from the table itself or, when that page is damaged, an upper
/// bound from the file size (no page holds more than a few hundred rows).
fn highest_rowid(source: &Connection, table: &str) -> Option<i64> {
    let direct = source.query_row(&format!("SELECT max(rowid) FROM {table}"), [], |row| {
        row.get::<_, Option<i64>>(0)
    });
    match direct {
        Ok(max) => max,
        Err(_) => {
            let pages: i64 = source
                .query_row("PRAGMA page_count", [], |row| row.get(0))
                .ok()?;
            Some(pages.saturating_mul(256).max(WINDOW))
        }
    }
}

fn read_window(
    source: &Connection,
    select: &str,
    columns: usize,
    low: i64,
    high: i64,
) -> rusqlite::Result<Vec<Vec<Value>>> {
    let mut statement = source.prepare_cached(select)?;
    let rows = statement.query_map([low, high], |row| {
        (0..columns).map(|idx| row.get::<_, Value>(idx)).collect()
    })?;
    rows.collect()
}
