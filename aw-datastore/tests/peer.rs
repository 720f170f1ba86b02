//! [`PeerFile`]: another device's sync file read without touching it: while its writer
//! still has data in the `-wal`, after a clean close, at an unsupported schema version,
//! and when it is not a database at all; pages by `(starttime, id)` with ties.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test helpers: a failed step must fail the calling test"
)]

mod common;

use std::path::Path;

use aw_datastore::native::Datastore;
use aw_datastore::{checkpoint_file, PeerCursor, PeerFile};
use common::{bucket, event};

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn all_pages(file: &PeerFile, page: usize) -> Vec<(i64, i64)> {
    let bucket = file.buckets().unwrap().remove(0);
    let mut cursor = PeerCursor::From(0);
    let mut seen = Vec::new();
    loop {
        let events = file.events_page(&bucket, cursor, page).unwrap();
        assert!(events.len() <= page);
        let Some(last) = events.last() else { break };
        cursor = PeerCursor::After(last.start_nanos(), last.id.unwrap());
        seen.extend(
            events
                .iter()
                .map(|event| (event.start_nanos(), event.id.unwrap())),
        );
    }
    seen
}

#[test]
fn reads_open_and_closed_files_without_writing_next_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.db");
    let writer = Datastore::open_file(&path).unwrap();
    writer.create_bucket(bucket("b")).unwrap();
    let mut events = Vec::new();
    for idx in 0..10 {
        // Three events at each instant: ties must page by id.
        let time = format!("2024-01-01T00:00:0{}Z", idx / 3);
        events.push(event(
            &time,
            1.0 + f64::from(idx),
            serde_json::json!({"i": idx}),
        ));
    }
    writer.insert_events("b", events).unwrap();
    // The writer is still open: the events live in its -wal.
    let before = listing(dir.path());
    assert!(before.contains(&"test.db-wal".to_string()), "{before:?}");
    let open_peer = PeerFile::open(&path).unwrap();
    assert_eq!(open_peer.schema_version(), 5);
    let buckets = open_peer.buckets().unwrap();
    assert_eq!(buckets[0].event_count, 10);
    let expected = all_pages(&open_peer, 1000);
    assert_eq!(expected.len(), 10);
    for page in [1, 2, 3, 4, 9] {
        assert_eq!(all_pages(&open_peer, page), expected, "page {page}");
    }
    drop(open_peer);
    assert_eq!(listing(dir.path()), before);
    drop(writer);
    checkpoint_file(&path).unwrap();
    assert_eq!(listing(dir.path()), ["test.db"]);
    let closed = PeerFile::open(&path).unwrap();
    assert_eq!(all_pages(&closed, 4), expected);
    let stored = closed
        .events_page(&closed.buckets().unwrap()[0], PeerCursor::From(0), 100)
        .unwrap();
    assert_eq!(stored[9].duration, chrono::TimeDelta::seconds(10));
    drop(closed);
    assert_eq!(listing(dir.path()), ["test.db"]);
}

#[test]
fn foreign_and_unsupported_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.db");
    std::fs::write(
        &garbage,
        b"not an sqlite file, just some bytes that are long enough",
    )
    .unwrap();
    assert!(PeerFile::open(&garbage).is_err());
    let missing = dir.path().join("missing.db");
    assert!(PeerFile::open(&missing).is_err());
    assert!(!missing.exists());
    let newer = dir.path().join("newer.db");
    drop(Datastore::open_file(&newer).unwrap());
    checkpoint_file(&newer).unwrap();
    let conn = rusqlite::Connection::open(&newer).unwrap();
    conn.pragma_update(None, "user_version", 9).unwrap();
    drop(conn);
    let err = PeerFile::open(&newer).err().unwrap();
    assert!(err.to_string().contains("schema version 9"), "{err}");
}
