//! Data safety: one owner per file, a clean close leaves one file, damaged files are
//! refused, backups (scheduled, rotated, on a full disk), restore and salvage.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aw_datastore::backup::{self, Retention};
use aw_datastore::native::Datastore;
use aw_datastore::{integrity, salvage, BackupSchedule, DatastoreConfig, DatastoreError, Storage};
use chrono::{TimeZone, Utc};
use common::{all_events, bucket, event};
use serde_json::json;

/// Set in the child process of [`a_foreign_write_lock_is_detected`].
const LOCK_CHILD_ENV: &str = "AW_DATASTORE_LOCK_CHILD_DB";

fn exists(path: &Path, suffix: &str) -> bool {
    PathBuf::from(format!("{}{suffix}", path.display())).exists()
}

/// A datastore at `path` holding one bucket "b" with `count` one-second events.
fn filled(path: &Path, count: usize) -> Datastore {
    let datastore = Datastore::open_file(path).unwrap();
    datastore.create_bucket(bucket("b")).unwrap();
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let mut batch = Vec::new();
    for idx in 0..count {
        let time = (start + chrono::Duration::seconds(idx as i64 * 2)).to_rfc3339();
        batch.push(event(
            &time,
            1.0,
            json!({"app": format!("app{}", idx % 50), "n": idx}),
        ));
        if batch.len() == 5000 {
            datastore
                .insert_events("b", std::mem::take(&mut batch))
                .unwrap();
        }
    }
    datastore.insert_events("b", batch).unwrap();
    datastore
}

#[test]
fn a_second_datastore_on_the_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.db");
    let first = Datastore::open_file(&path).unwrap();
    first.create_bucket(bucket("b")).unwrap();
    let err = Datastore::open_file(&path)
        .err()
        .expect("second open refused");
    assert!(
        matches!(err, DatastoreError::DatabaseInUse { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("one.db"), "{err}");
    drop(first);
    let again = Datastore::open_file(&path).unwrap();
    assert_eq!(again.get_buckets().unwrap().len(), 1);
}

/// The child side: holds SQLite's write lock (as upstream's server does) until killed.
fn hold_write_lock(path: &str) -> ! {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS t(x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
        .unwrap();
    println!("locked");
    std::thread::sleep(Duration::from_secs(120));
    std::process::exit(1)
}

#[test]
fn a_foreign_write_lock_is_detected() {
    if let Ok(path) = std::env::var(LOCK_CHILD_ENV) {
        hold_write_lock(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("foreign.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_foreign_write_lock_is_detected", "--nocapture"])
        .env(LOCK_CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while !lines.next().unwrap().unwrap().contains("locked") {}
    let err = Datastore::open_file(&path)
        .err()
        .expect("refused while locked");
    let text = err.to_string();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        matches!(err, DatastoreError::DatabaseInUse { .. }),
        "{err:?}"
    );
    assert!(text.contains("write lock"), "{text}");
    if cfg!(target_os = "linux") {
        assert!(text.contains(&format!("process {}", child.id())), "{text}");
    }
    // Once the other process is gone the file opens, with nothing of its transaction.
    Datastore::open_file(&path).unwrap();
}

#[test]
fn a_clean_close_leaves_one_complete_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clean.db");
    let datastore = filled(&path, 3000);
    // A range read goes through a reader connection, which must be closed too.
    assert_eq!(all_events(&datastore, "b").len(), 3000);
    assert!(exists(&path, "-wal"));
    drop(datastore);
    assert!(
        !exists(&path, "-wal"),
        "the -wal file is folded in at close"
    );
    assert!(!exists(&path, "-shm"));
    // The lone file holds everything: copy it elsewhere and read it there.
    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    assert_eq!(
        all_events(&Datastore::open_file(&copy).unwrap(), "b").len(),
        3000
    );
}

#[test]
fn a_large_write_does_not_leave_a_huge_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.db");
    let datastore = filled(&path, 1000);
    let big = "y".repeat(4000);
    // One request, one transaction: all of it passes through the -wal file.
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let events = (0..20_000)
        .map(|idx| {
            let time = (start + chrono::Duration::seconds(idx)).to_rfc3339();
            event(&time, 1.0, json!({"pad": big, "i": idx}))
        })
        .collect();
    datastore.insert_events("b", events).unwrap();
    let db_size = std::fs::metadata(&path).unwrap().len();
    let wal = std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
    assert!(
        db_size > aw_datastore::WAL_TRUNCATE_BYTES,
        "the test wrote {db_size} bytes"
    );
    assert!(
        wal <= 8 * 1024 * 1024,
        "-wal is {wal} bytes beside a {db_size}-byte database"
    );
}

#[test]
fn a_deleted_database_file_is_noticed_and_its_data_rescued() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gone.db");
    let datastore = filled(&path, 100);
    std::fs::remove_file(&path).unwrap();
    let deadline = Instant::now() + aw_datastore::FILE_WATCH_INTERVAL + Duration::from_secs(10);
    let err = loop {
        let result =
            datastore.insert_events("b", vec![event("2030-01-01T00:00:00Z", 1.0, json!({}))]);
        match result {
            Err(err) => break err,
            Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(500)),
            Ok(_) => panic!("writes were still accepted into the deleted file"),
        }
    };
    assert!(
        matches!(err, DatastoreError::FileReplaced { .. }),
        "{err:?}"
    );
    let status = datastore.status().unwrap();
    assert!(status.file_problem.unwrap().contains("deleted or replaced"));
    // Reads still work, and the rescued copy holds the data.
    assert!(all_events(&datastore, "b").len() >= 100);
    let rescued: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".rescued-"))
        .collect();
    assert_eq!(rescued.len(), 1, "{rescued:?}");
    drop(datastore);
    let copy = Datastore::open_file(&rescued[0]).unwrap();
    assert!(all_events(&copy, "b").len() >= 100);
}

#[test]
fn backups_are_verified_rotated_and_restored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sqlite.db");
    let backups = dir.path().join("backups");
    let datastore = filled(&path, 2000);
    // Backups are taken while the server writes.
    let mut taken = Vec::new();
    for day in 1..=10 {
        datastore
            .heartbeat(
                "b",
                event("2026-01-01T00:00:00Z", 0.0, json!({"hb": day})),
                5.0,
            )
            .unwrap();
        // A backup from outside the worker copies what is committed; heartbeats
        // are committed within half a second, or now.
        datastore.force_commit().unwrap();
        let when = Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0).unwrap();
        taken.push(backup::create(&path, &backups, when).unwrap());
    }
    let removed = backup::rotate(
        &backups,
        &path,
        Retention {
            keep_last: 3,
            keep_weekly: 3,
        },
    );
    let kept = backup::list(&backups, &path);
    let kept_days: Vec<u32> = kept
        .iter()
        .map(|b| chrono::Datelike::day(&b.time))
        .collect();
    // March 10, 9, 8 are the newest three; they are also the newest of their ISO
    // weeks (9–15 and 2–8), so the third week kept adds March 1 (Sunday, Feb 23–Mar 1).
    assert_eq!(kept_days, [10, 9, 8, 1]);
    assert_eq!(removed.len(), 6);
    // Nothing else is in the folder: no partial files.
    assert_eq!(std::fs::read_dir(&backups).unwrap().count(), 4);
    assert!(integrity::integrity_check(&kept[0].path)
        .unwrap()
        .is_empty());

    // A restore is refused while the database is open.
    let err = backup::restore(&kept[0].path, &path, Utc::now()).unwrap_err();
    assert!(
        matches!(err, DatastoreError::DatabaseInUse { .. }),
        "{err:?}"
    );
    datastore
        .insert_events(
            "b",
            vec![event("2027-01-01T00:00:00Z", 1.0, json!({"late": 1}))],
        )
        .unwrap();
    drop(datastore);
    let restored = backup::restore(&kept[0].path, &path, Utc::now()).unwrap();
    let aside = restored.replaced.expect("the old file is kept");
    let old = Datastore::open_file(&aside).unwrap();
    // 2000 events, one heartbeat event per day (their data differ), the late insert.
    assert_eq!(all_events(&old, "b").len(), 2011);
    drop(old);
    let datastore = Datastore::open_file(&path).unwrap();
    assert_eq!(
        all_events(&datastore, "b").len(),
        2010,
        "the late insert is not in the backup"
    );
}

#[test]
fn garbage_is_never_restored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sqlite.db");
    drop(filled(&path, 10));
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![7_u8; 8192]).unwrap();
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE x(y);")
        .unwrap();
    for bad in [&junk, &other, &dir.path().join("missing.db")] {
        assert!(
            backup::restore(bad, &path, Utc::now()).is_err(),
            "{}",
            bad.display()
        );
    }
    assert_eq!(
        all_events(&Datastore::open_file(&path).unwrap(), "b").len(),
        10
    );
}

#[test]
fn scheduled_backups_run_on_a_live_datastore() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sqlite.db");
    let backups = dir.path().join("backups");
    let datastore = Datastore::open(DatastoreConfig {
        storage: Storage::File(path.clone()),
        legacy_import: None,
        backup: Some(BackupSchedule {
            dir: backups.clone(),
            interval: Duration::from_secs(1),
            retention: Retention {
                keep_last: 2,
                keep_weekly: 0,
            },
        }),
    })
    .unwrap();
    datastore.create_bucket(bucket("b")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 4 && Instant::now() < deadline {
        datastore
            .heartbeat(
                "b",
                event("2026-01-01T00:00:00Z", 0.0, json!({"n": seen.len()})),
                0.0,
            )
            .unwrap();
        if let Some(last) = datastore.status().unwrap().backup.last {
            assert!(last.verified);
            seen.insert(last.path.clone());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(seen.len() >= 4, "only {} backups in 30 s", seen.len());
    let files = backup::list(&backups, &path);
    assert!(
        files.len() <= 3,
        "rotation keeps 2 (+1 in flight): {files:?}"
    );
    let status = datastore.status().unwrap();
    assert_eq!(status.integrity.unwrap().result, "ok");
    assert!(status.backup.enabled && status.backup.last_failure.is_none());
    assert_eq!(status.bucket_count, 1);
}

#[test]
fn a_full_disk_during_a_backup_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sqlite.db");
    let datastore = filled(&path, 20_000);
    let small = dir.path().join("small");
    std::fs::create_dir_all(&small).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&small)
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        println!("SKIP: cannot mount a small tmpfs here (needs root)");
        return;
    }
    let result = backup::create(&path, &small, Utc::now());
    let leftovers = std::fs::read_dir(&small).unwrap().count();
    let _ = Command::new("umount").arg(&small).status();
    let err = result.expect_err("the backup cannot fit");
    assert!(
        err.to_string().contains("full") || err.to_string().contains("space"),
        "{err}"
    );
    assert_eq!(leftovers, 0, "the partial backup is removed");
    datastore
        .insert_events("b", vec![event("2030-01-01T00:00:00Z", 1.0, json!({}))])
        .unwrap();
    assert_eq!(all_events(&datastore, "b").len(), 20_001);
}

/// Overwrites pages `pages` (4096 bytes each) with a fixed garbage pattern.
fn overwrite_pages(path: &Path, pages: std::ops::Range<u64>) {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    let mut state = 0x2545_f491_u32;
    for page in pages {
        let bytes: Vec<u8> = (0..4096)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (state >> 16) as u8
            })
            .collect();
        file.seek(SeekFrom::Start(page * 4096)).unwrap();
        file.write_all(&bytes).unwrap();
    }
}

/// Kinds of damage, and whether some events must survive each.
enum Damage {
    MiddlePages,
    Truncated,
    GarbageHeader,
}

/// A damaged file is refused at open (always for an unreadable header; for other
/// damage when opening reads it, e.g. a truncated file), or takes no more writes once
/// the check that runs right after the start finds the damage.
fn assert_refused(path: &Path, must_fail_at_open: bool) {
    let datastore = match Datastore::open_file(path) {
        Err(err) => {
            assert!(matches!(err, DatastoreError::Damaged { .. }), "{err:?}");
            return;
        }
        Ok(datastore) => datastore,
    };
    assert!(
        !must_fail_at_open,
        "an unreadable header must be refused at open"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let integrity = loop {
        let integrity = datastore.status().unwrap().integrity.unwrap();
        if integrity.result != "running" || Instant::now() > deadline {
            break integrity;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        integrity.result.contains("quick_check found"),
        "{integrity:?}"
    );
    let err = datastore.set_key_value("settings.x", json!(1)).unwrap_err();
    assert!(matches!(err, DatastoreError::Damaged { .. }), "{err:?}");
    let problem = datastore.status().unwrap().file_problem.unwrap();
    assert!(problem.contains("aw-server salvage"), "{problem}");
}

#[test]
fn damaged_files_are_refused_and_salvaged() {
    const EVENTS: usize = 20_000;
    for damage in [
        Damage::MiddlePages,
        Damage::Truncated,
        Damage::GarbageHeader,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sqlite.db");
        let datastore = filled(&path, EVENTS);
        datastore
            .set_key_value("settings.theme", json!("dark"))
            .unwrap();
        drop(datastore);
        let pages = std::fs::metadata(&path).unwrap().len() / 4096;
        match damage {
            Damage::MiddlePages => overwrite_pages(&path, pages / 2..pages / 2 + 3),
            Damage::Truncated => {
                let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
                file.set_len(pages * 4096 * 6 / 10 + 1000).unwrap();
            }
            Damage::GarbageHeader => {
                let mut bytes = std::fs::read(&path).unwrap();
                bytes[..100].copy_from_slice(&[0x5a; 100]);
                std::fs::write(&path, bytes).unwrap();
            }
        }
        let before = std::fs::read(&path).unwrap();
        assert_refused(&path, matches!(damage, Damage::GarbageHeader));
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "the damaged file is not written to"
        );

        let output = dir.path().join("salvaged.db");
        let report = salvage::salvage(&path, &output).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), before, "salvage only reads");
        let salvaged = Datastore::open_file(&output).unwrap();
        let events = all_events(&salvaged, "b");
        assert_eq!(events.len() as u64, report.events);
        // Whatever was read is exactly what was written.
        for event in &events {
            let n = event.data["n"].as_u64().unwrap();
            assert_eq!(event.data["app"], json!(format!("app{}", n % 50)));
        }
        match damage {
            Damage::GarbageHeader => {
                assert!(report.header_rebuilt);
                assert_eq!(report.events as usize, EVENTS);
                assert_eq!(
                    salvaged.get_key_value("settings.theme").unwrap(),
                    json!("dark")
                );
            }
            Damage::MiddlePages | Damage::Truncated => {
                assert!(
                    report.events > 0 && (report.events as usize) < EVENTS,
                    "{report:?}"
                );
                assert!(report.events_skipped > 0, "{report:?}");
            }
        }
    }
}
