//! Durability and failure handling: a real `kill -9`, a full disk, hostile inputs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use aw_datastore::native::Datastore;
use aw_datastore::{DatastoreError, EventQuery};
use common::{all_events, bucket, datastore_with_bucket, event};
use serde_json::json;

/// Set in the child process started by [`kill_9_loses_nothing_acknowledged`].
const CHILD_DB_ENV: &str = "AW_DATASTORE_CRASH_CHILD_DB";

/// The child side: writes, reports each acknowledgement on stdout, never exits by itself.
fn run_crash_child(path: &str) -> ! {
    let datastore = Datastore::open_file(std::path::Path::new(path)).unwrap();
    datastore.create_bucket(bucket("b")).unwrap();
    for idx in 0..5 {
        let time = format!("2020-01-01T00:00:{:02}Z", idx * 10);
        datastore
            .heartbeat("b", event(&time, 0.0, json!({"hb": idx})), 1.0)
            .unwrap();
    }
    println!("heartbeats acknowledged");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    for idx in 0..20 {
        let time = format!("2020-01-02T00:00:{idx:02}Z");
        datastore
            .insert_events("b", vec![event(&time, 1.0, json!({"insert": idx}))])
            .unwrap();
    }
    datastore
        .set_key_value("settings.crash", json!("kept"))
        .unwrap();
    println!("inserts acknowledged");
    std::thread::sleep(Duration::from_secs(120));
    std::process::exit(1)
}

/// Heartbeats acknowledged more than the commit window before a SIGKILL, and every
/// acknowledged insert and setting, survive. (Upstream lost all of them.)
#[test]
fn kill_9_loses_nothing_acknowledged() {
    if let Ok(path) = std::env::var(CHILD_DB_ENV) {
        run_crash_child(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill_9_loses_nothing_acknowledged",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB_ENV, &path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut wait_for = |expected: &str| loop {
        let line = lines.next().expect("child exited early").unwrap();
        if line.contains(expected) {
            break;
        }
    };
    wait_for("heartbeats acknowledged");
    // The server goes idle: the promise is that heartbeats are committed within 1 s.
    std::thread::sleep(Duration::from_millis(1500));
    let reader = rusqlite::Connection::open(&path).unwrap();
    let committed: i64 = reader
        .query_row("SELECT count(*) FROM events", [], |row| row.get(0))
        .unwrap();
    assert_eq!(
        committed, 5,
        "idle heartbeats are committed without further requests"
    );
    drop(reader);
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    wait_for("inserts acknowledged");
    child.kill().unwrap();
    child.wait().unwrap();

    let datastore = Datastore::open_file(&path).unwrap();
    let events = all_events(&datastore, "b");
    let heartbeats = events.iter().filter(|e| e.data.contains_key("hb")).count();
    let inserts = events
        .iter()
        .filter(|e| e.data.contains_key("insert"))
        .count();
    assert_eq!((heartbeats, inserts), (5, 20));
    assert_eq!(
        datastore.get_key_value("settings.crash").unwrap(),
        json!("kept")
    );
}

/// A full database file: the write fails with `StorageUnavailable`, earlier data is
/// intact, the worker keeps serving, and writes work again once there is room.
#[test]
fn full_disk_is_reported_and_recovered_without_restart() {
    let dir = tempfile::tempdir().unwrap();
    let datastore = Datastore::open_file(&dir.path().join("full.db")).unwrap();
    datastore.create_bucket(bucket("b")).unwrap();
    datastore
        .insert_events(
            "b",
            vec![event("2020-01-01T00:00:00Z", 1.0, json!({"before": true}))],
        )
        .unwrap();
    let current_pages = datastore.set_max_page_count(1).unwrap();
    datastore.set_max_page_count(current_pages + 2).unwrap();
    let big = "x".repeat(20_000);
    let mut failure = None;
    for idx in 0..50 {
        let time = format!("2020-01-02T00:00:{idx:02}Z");
        if let Err(err) = datastore.insert_events("b", vec![event(&time, 1.0, json!({"big": big}))])
        {
            failure = Some(err);
            break;
        }
    }
    let failure = failure.expect("the page limit was never reached");
    assert!(
        matches!(failure, DatastoreError::StorageUnavailable { .. }),
        "{failure:?}"
    );
    assert!(failure.to_string().contains("retry"), "{failure}");
    let heartbeat_err = datastore.heartbeat(
        "b",
        event("2021-01-01T00:00:00Z", 0.0, json!({"big": big})),
        1.0,
    );
    assert!(matches!(
        heartbeat_err,
        Err(DatastoreError::StorageUnavailable { .. })
    ));
    assert!(all_events(&datastore, "b")
        .iter()
        .any(|e| e.data.contains_key("before")));

    datastore.set_max_page_count(1_000_000).unwrap();
    datastore
        .insert_events(
            "b",
            vec![event("2022-01-01T00:00:00Z", 1.0, json!({"big": big}))],
        )
        .unwrap();
    datastore.force_commit().unwrap();
    let after = datastore
        .get_events("b", common::range(Some("2022-01-01T00:00:00Z"), None, None))
        .unwrap();
    assert_eq!(after.len(), 1);
}

/// Every hostile input upstream crashed on is answered with an error or stored
/// correctly, and the worker serves normal requests afterwards.
#[test]
fn worker_survives_every_bad_request() {
    let datastore = datastore_with_bucket();
    let far_past = common::range(Some("1677-09-21T00:12:44Z"), None, None);
    let mut long_event = event("2262-04-11T23:47:16Z", 0.0, json!({}));
    long_event.duration = chrono::TimeDelta::seconds(3600);
    let outcomes = [
        datastore.get_events("b", far_past).map(|_| ()),
        datastore.get_event_count("b", far_past).map(|_| ()),
        datastore
            .insert_events("b", vec![long_event.clone()])
            .map(|_| ()),
        datastore.heartbeat("b", long_event, 1.0).map(|_| ()),
        datastore
            .heartbeat("b", event("2020-01-01T00:00:00Z", 0.0, json!({})), f64::NAN)
            .map(|_| ()),
        datastore
            .heartbeat(
                "b",
                event("2020-01-01T00:00:01Z", 0.0, json!({})),
                f64::INFINITY,
            )
            .map(|_| ()),
        datastore
            .heartbeat("b", event("2020-01-01T00:00:02Z", 0.0, json!({})), -1e300)
            .map(|_| ()),
        datastore
            .insert_events(
                "b",
                vec![event("1969-12-31T23:59:59.999999999Z", -5.5, json!({}))],
            )
            .map(|_| ()),
        datastore.get_event("b", i64::MIN).map(|_| ()),
        datastore.delete_event("b", i64::MAX),
        datastore.create_bucket(bucket("")),
        datastore.get_key_value("").map(|_| ()),
    ];
    let failures: Vec<_> = outcomes
        .iter()
        .filter_map(|outcome| outcome.as_ref().err())
        .collect();
    for err in &failures {
        assert!(!matches!(err, DatastoreError::WorkerGone { .. }), "{err:?}");
    }
    datastore
        .insert_events(
            "b",
            vec![event("2020-02-02T00:00:00Z", 1.0, json!({"ok": 1}))],
        )
        .unwrap();
    assert!(
        datastore
            .get_event_count("b", EventQuery::default())
            .unwrap()
            >= 1
    );
    assert!(datastore.get_buckets().unwrap().contains_key("b"));
}
