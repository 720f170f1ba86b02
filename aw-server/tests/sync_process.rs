//! Folder sync as users run it: the `aw-sync` binary (arguments, exit codes, `list`,
//! SIGTERM, a SIGKILL in the middle of a pass followed by a full one) and the
//! server's own `[sync]` background thread.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed step must fail the calling test"
)]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use aw_datastore::PeerFile;
use aw_server::sync::config::SyncConfig;
use aw_server::sync::Mode;
use aw_server::testkit::test_config;
use common::sync::{comparable, series, Device};

fn aw_sync(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aw-sync"));
    command
        .args(args)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("AW_SYNC_DIR")
        .stdin(Stdio::null());
    command
}

fn run(home: &Path, args: &[&str]) -> Output {
    aw_sync(home, args).output().unwrap()
}

/// Every event of the own file's bucket `bucket_id`, comparable.
fn file_events(
    path: &Path,
    bucket_id: &str,
) -> Vec<(chrono::DateTime<chrono::Utc>, i64, serde_json::Value)> {
    let file = PeerFile::open(path).unwrap();
    let bucket = file
        .buckets()
        .unwrap()
        .into_iter()
        .find(|bucket| bucket.bucket.id == bucket_id)
        .unwrap();
    let events = file
        .events_page(&bucket, aw_datastore::PeerCursor::From(0), 1_000_000)
        .unwrap();
    comparable(events)
}

/// The own file the binary writes: its host folder is the OS hostname.
fn binary_own_file(device: &Device, root: &Path) -> std::path::PathBuf {
    let hostname = gethostname::gethostname().to_string_lossy().into_owned();
    aw_server::sync::folder::own_db_path(root, &hostname, &device.identity.device_id)
}

#[test]
fn bad_arguments_exit_with_one_line() {
    let home = tempfile::tempdir().unwrap();
    let a = Device::start("host-a");
    let port = a.harness.server.addr.port().to_string();
    for (args, expected) in [
        (
            vec!["--port", &port, "--sync-dir", "relative/dir", "sync"],
            "Sync dir must be absolute",
        ),
        (
            vec![
                "--port",
                &port,
                "--sync-dir",
                "/tmp/x",
                "sync",
                "--mode",
                "sideways",
            ],
            "sideways",
        ),
        (
            vec![
                "--port",
                &port,
                "--sync-dir",
                "/tmp/x",
                "sync",
                "--start-date",
                "2024-13-01",
            ],
            "2024-13-01",
        ),
        (
            vec![
                "--port",
                &port,
                "--sync-dir",
                "/tmp/x",
                "sync",
                "--sync-db",
                "/elsewhere/test.db",
            ],
            "--sync-db",
        ),
        (
            vec!["--port", "1", "--sync-dir", "/tmp/x", "sync"],
            "cannot connect",
        ),
    ] {
        let output = run(home.path(), &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn sync_and_list_through_the_binary() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("Sync");
    let a = Device::start("host-a");
    let b = Device::start("host-b");
    let id = a.record("w", series("2024-01-01T08:00:00Z", 20, 10, 10.0, 3));
    for (device, mode) in [(&a, "push"), (&b, "both")] {
        let port = device.harness.server.addr.port().to_string();
        let output = run(
            home.path(),
            &[
                "--port",
                &port,
                "--sync-dir",
                root.to_str().unwrap(),
                "sync",
                "--mode",
                mode,
            ],
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(b.events(&format!("{id}-synced-from-host-a")), a.events(&id));
    // AW_SYNC_DIR works as well as --sync-dir.
    let port = a.harness.server.addr.port().to_string();
    let output = aw_sync(home.path(), &["--port", &port, "list"])
        .env("AW_SYNC_DIR", &root)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(
        listing.contains(&format!("device {} [this device]", a.identity.device_id)),
        "{listing}"
    );
    assert!(listing.contains(&b.identity.device_id), "{listing}");
    assert!(
        listing.contains(&format!("{id} (host host-a): 27 events")),
        "{listing}"
    );
    assert!(
        listing.contains("newest 2024-01-01T08:03:20+00:00"),
        "{listing}"
    );
}

#[test]
fn killed_pass_then_full_pass_leaves_no_gap() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("Sync");
    let a = Device::start("host-a");
    let id = a.record("w", series("2024-01-01T00:00:00Z", 3000, 5, 4.0, 7));
    let port = a.harness.server.addr.port().to_string();
    let args = [
        "--port",
        &port,
        "--sync-dir",
        root.to_str().unwrap(),
        "sync",
        "--mode",
        "push",
        "--page-size",
        "7",
    ];
    let mut child = aw_sync(home.path(), &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some pages are in the file.
    let own = binary_own_file(&a, &root);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline
        && std::fs::metadata(own.with_file_name("test.db-wal"))
            .map_or(true, |meta| meta.len() < 200_000)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = file_events(&own, &id);
    let all = a.events(&id);
    assert!(
        !partial.is_empty() && partial.len() < all.len(),
        "{} of {}",
        partial.len(),
        all.len()
    );
    assert_eq!(partial[..], all[..partial.len()]);
    let output = run(home.path(), &args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(file_events(&own, &id), all);
}

#[test]
fn sigterm_stops_the_daemon() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("Sync");
    let a = Device::start("host-a");
    a.record("w", series("2024-01-01T00:00:00Z", 5, 5, 4.0, 0));
    let port = a.harness.server.addr.port().to_string();
    let mut child = aw_sync(
        home.path(),
        &[
            "--port",
            &port,
            "--sync-dir",
            root.to_str().unwrap(),
            "daemon",
            "--interval",
            "1",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let own = binary_own_file(&a, &root);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !own.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(own.exists());
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(Instant::now() < deadline, "daemon did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn server_syncs_by_itself_when_configured() {
    let root = tempfile::tempdir().unwrap();
    let a = Device::start("host-a");
    let mut config = test_config();
    config.sync = SyncConfig {
        enabled: true,
        sync_dir: Some(root.path().to_path_buf()),
        interval: 1,
        mode: Mode::Both,
        buckets: Vec::new(),
    };
    let b = Device::start_with("host-b", config);
    let id_a = a.record("w", series("2024-01-01T08:00:00Z", 30, 10, 10.0, 4));
    let id_b = b.record("w", series("2024-01-01T08:00:00Z", 12, 10, 10.0, 0));
    a.pass(root.path(), Mode::Push, 5000);
    let imported = format!("{id_a}-synced-from-host-a");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && b.events_if_any(&imported).len() < 37 {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(b.events(&imported), a.events(&id_a));
    // B's own file appears too (its thread pushes), and A can pull it.
    while Instant::now() < deadline && !b.own_file(root.path()).exists() {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    a.pass(root.path(), Mode::Pull, 5000);
    assert_eq!(
        a.events(&format!("{id_b}-synced-from-host-b")),
        b.events(&id_b)
    );
}
