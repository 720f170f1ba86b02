//! Data safety as a user meets it: one server per database file, a damaged database
//! refused with advice, the `backup`/`restore`/`salvage`/`check` commands, and
//! `GET /api/0/status` with automatic backups on a running server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use aw_datastore::native::Datastore;
use aw_server::config::BackupConfig;
use aw_server::testkit::test_config;
use common::{event, server_command, spawn_server_process, wait_for_exit, Harness};
use serde_json::{json, Value};

fn run(home: &Path, args: &[&str]) -> (i32, String, String) {
    let output = server_command(home).args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_second_server_on_the_same_file_exits_with_who_holds_it() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("one.db");
    let db_arg = db.to_str().unwrap();
    let mut first =
        spawn_server_process(home.path(), &["--port", "0", "--dbpath", db_arg]).unwrap();
    let second = spawn_server_process(home.path(), &["--port", "0", "--dbpath", db_arg]);
    let printed = second.err().expect("the second server must not start");
    assert!(
        printed.contains("one.db") && printed.contains("already in use"),
        "{printed}"
    );
    if cfg!(target_os = "linux") {
        assert!(
            printed.contains(&format!("process {}", first.child.id())),
            "{printed}"
        );
    }
    // The first one is unaffected.
    let info = reqwest::blocking::get(format!("{}/api/0/info", first.url)).unwrap();
    assert_eq!(info.status(), 200);
    first.child.kill().unwrap();
    first.child.wait().unwrap();
}

/// Overwrites the table page that holds event 10000 with garbage: damage that
/// opening the file does not read (it reads the buckets and the index ends).
fn damage(db: &Path) {
    use std::io::{Seek, SeekFrom, Write};
    let bytes = std::fs::read(db).unwrap();
    let needle = br#"{"n":10000}"#;
    let at = bytes
        .windows(needle.len())
        .position(|window| window == needle)
        .expect("event 10000 is in the file");
    let page = at as u64 / 4096;
    let mut file = std::fs::OpenOptions::new().write(true).open(db).unwrap();
    file.seek(SeekFrom::Start(page * 4096)).unwrap();
    file.write_all(&[0xa5; 4096]).unwrap();
}

fn fill(db: &Path, events: usize) {
    let datastore = Datastore::open_file(db).unwrap();
    datastore
        .create_bucket(
            serde_json::from_value(json!({"id": "b", "type": "t", "client": "c", "hostname": "h"}))
                .unwrap(),
        )
        .unwrap();
    let events = (0..events)
        .map(|idx| {
            let time =
                chrono::DateTime::from_timestamp(1_700_000_000 + idx as i64 * 10, 0).unwrap();
            serde_json::from_value(event(&time.to_rfc3339(), 5.0, json!({"n": idx}))).unwrap()
        })
        .collect();
    datastore.insert_events("b", events).unwrap();
}

/// `GET /api/0/status` once the integrity check after the start has finished.
fn wait_for_check(url: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status: Value = reqwest::blocking::get(format!("{url}/api/0/status"))
            .unwrap()
            .json()
            .unwrap();
        if status["integrity"]["result"] != "running" || Instant::now() > deadline {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn backup_damage_refusal_salvage_and_restore_from_the_command_line() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let db = dir.join("sqlite.db");
    let db_arg = db.to_str().unwrap();
    fill(&db, 20_000);

    // A backup while the server runs, into the folder the server would use.
    let mut server = spawn_server_process(dir, &["--port", "0", "--dbpath", db_arg]).unwrap();
    std::fs::create_dir_all(dir.join("backups")).unwrap();
    let backup = dir.join("backups/sqlite-backup-20260101T000000Z.db");
    let (code, out, err) = run(
        dir,
        &["--dbpath", db_arg, "backup", "-o", backup.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("quick_check ok"), "{out}");
    // Restore is refused while the server runs.
    let (code, _, err) = run(
        dir,
        &["--dbpath", db_arg, "restore", backup.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert!(err.contains("already in use"), "{err}");
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    damage(&db);
    let (code, _, err) = run(dir, &["--dbpath", db_arg, "check"]);
    assert_eq!(code, 1, "{err}");
    // Damage inside the events: the server starts (reads, and so exports, keep
    // working), its check right after the start finds the damage, and from then on
    // every write is refused with the advice in the status.
    let mut server = spawn_server_process(dir, &["--port", "0", "--dbpath", db_arg]).unwrap();
    let status = wait_for_check(&server.url);
    assert!(
        status["integrity"]["result"]
            .as_str()
            .unwrap()
            .contains("quick_check"),
        "{status}"
    );
    let problem = status["file_problem"].as_str().unwrap();
    for needle in [
        "is damaged",
        "sqlite-backup-20260101T000000Z.db",
        "restore",
        "salvage",
    ] {
        assert!(problem.contains(needle), "{needle}: {problem}");
    }
    let client = reqwest::blocking::Client::new();
    let write = client
        .post(format!("{}/api/0/settings/x", server.url))
        .json(&1)
        .send()
        .unwrap();
    assert_eq!(write.status(), 503);
    let body: Value = write.json().unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("damaged"),
        "{body}"
    );
    let buckets = client
        .get(format!("{}/api/0/buckets/", server.url))
        .send()
        .unwrap();
    assert_eq!(buckets.status(), 200);
    // Retention never deletes from a file whose integrity is in doubt.
    let retention = client
        .post(format!("{}/api/0/retention/apply", server.url))
        .send()
        .unwrap();
    assert_eq!(retention.status(), 503);
    let body: Value = retention.json().unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("damaged"),
        "{body}"
    );
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    // An unreadable header: the server does not start, and says what to do.
    let garbled = dir.join("garbled.db");
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[..100].copy_from_slice(&[0x33; 100]);
    std::fs::write(&garbled, bytes).unwrap();
    let (code, _, err) = run(dir, &["--port", "0", "--dbpath", garbled.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    for needle in ["garbled.db is damaged", "aw-server salvage", "restore"] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");

    let salvaged = dir.join("salvaged.db");
    let (code, out, err) = run(dir, &["salvage", db_arg, "-o", salvaged.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("events:") && out.contains("skipped"), "{out}");
    let (code, _, err) = run(dir, &["--dbpath", salvaged.to_str().unwrap(), "check"]);
    assert_eq!(code, 0, "{err}");

    let (code, out, err) = run(
        dir,
        &["--dbpath", db_arg, "restore", backup.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kept as"), "{out}");
    let kept: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".replaced-"))
        .collect();
    // The database, and its -wal and -shm beside it (the server was killed).
    assert_eq!(kept.len(), 3, "the damaged file is kept aside: {kept:?}");
    let mut server = spawn_server_process(dir, &["--port", "0", "--dbpath", db_arg]).unwrap();
    let count: Value =
        reqwest::blocking::get(format!("{}/api/0/buckets/b/events/count", server.url))
            .unwrap()
            .json()
            .unwrap();
    assert_eq!(count, json!(20_000));
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    // Mistakes give one line and a non-zero exit.
    let (code, _, err) = run(dir, &["salvage", "/nonexistent.db", "-o", "/tmp/x.db"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("is not a file") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn status_reports_integrity_size_and_backups() {
    let mut config = test_config();
    config.backup = BackupConfig {
        enabled: true,
        interval: "1s".to_string(),
        keep: 2,
        keep_weekly: 0,
        dir: None,
    };
    let harness = Harness::start_with(config);
    harness.create_bucket("b");
    harness.insert("b", json!([event("2026-01-01T00:00:00Z", 1.0, json!({}))]));
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        let status: Value = harness.get("/api/0/status").json().unwrap();
        if !status["backup"]["last"].is_null() || Instant::now() > deadline {
            break status;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status["integrity"]["result"], "ok", "{status}");
    assert_eq!(status["event_count"], 1, "{status}");
    assert_eq!(status["bucket_count"], 1, "{status}");
    assert!(status["size_bytes"].as_u64().unwrap() > 0, "{status}");
    assert_eq!(status["backup"]["enabled"], true);
    let last = &status["backup"]["last"];
    assert_eq!(last["verified"], true, "{status}");
    let file = Path::new(last["path"].as_str().unwrap());
    assert!(
        file.starts_with(harness.dir.path().join("backups")),
        "{status}"
    );
    assert_eq!(
        std::fs::metadata(file).unwrap().len(),
        last["size"].as_u64().unwrap()
    );
    assert!(status["file_problem"].is_null());
    // /api/0/info keeps upstream's exact shape.
    let info: Value = harness.get("/api/0/info").json().unwrap();
    let mut keys: Vec<_> = info.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["device_id", "hostname", "testing", "version"]);
}

#[test]
fn sigterm_during_a_backup_still_shuts_down_cleanly() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("sqlite.db");
    fill(&db, 50_000);
    let config = home.path().join("config.toml");
    std::fs::write(&config, "[backup]\ninterval = \"1s\"\n").unwrap();
    let mut server = spawn_server_process(
        home.path(),
        &[
            "--port",
            "0",
            "--dbpath",
            db.to_str().unwrap(),
            "-c",
            config.to_str().unwrap(),
        ],
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait_for_exit(&mut server.child).unwrap();
    assert!(status.is_some_and(|status| status.success()), "{status:?}");
    assert!(!Path::new(&format!("{}-wal", db.display())).exists());
    assert!(aw_datastore::integrity::integrity_check(&db)
        .unwrap()
        .is_empty());
}
