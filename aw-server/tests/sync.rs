//! Folder sync between real servers (testkit) sharing one folder: push, pull, both;
//! idempotent repeated passes with ties and many pages; no round trip of a device's
//! own data; resuming after an interrupted pass; damaged, `unknown` and v4 peer files;
//! `--start-date` and `--buckets`.

mod common;

use std::path::Path;

use aw_datastore::native::Datastore;
use aw_models::Bucket;
use aw_server::sync::naming::ORIGIN_KEY;
use aw_server::sync::store::Store;
use aw_server::sync::{run_pass, Mode, StopFlag, SyncError, SyncOptions};
use chrono::NaiveDate;
use common::sync::{files_below, series, Device, FOLDER_HOST};

fn synced(device: &Device, bucket_id: &str) -> String {
    format!("{bucket_id}-synced-from-{}", device.bucket_host)
}

#[test]
fn two_servers_both_directions_idempotent_over_many_pages() {
    let root = tempfile::tempdir().unwrap();
    let a = Device::start("host-a");
    let b = Device::start("host-b");
    // 40 events with a tie every 4th: pages of 7 split tie groups and durations.
    let window_a = a.record(
        "aw-watcher-window",
        series("2024-01-01T08:00:00Z", 40, 10, 9.5, 4),
    );
    let afk_a = a.record(
        "aw-watcher-afk",
        series("2024-01-01T08:00:00Z", 3, 60, 60.0, 0),
    );
    let window_b = b.record(
        "aw-watcher-window",
        series("2024-01-01T09:00:00Z", 12, 5, 5.0, 3),
    );
    let empty_b = b.record("aw-watcher-input", Vec::new());

    for round in 0..3 {
        a.pass(root.path(), Mode::Both, 7);
        b.pass(root.path(), Mode::Both, 7);
        a.pass(root.path(), Mode::Both, 7);
        assert_eq!(
            b.events(&synced(&a, &window_a)),
            a.events(&window_a),
            "round {round}"
        );
        assert_eq!(b.events(&synced(&a, &afk_a)), a.events(&afk_a));
        assert_eq!(a.events(&synced(&b, &window_b)), b.events(&window_b));
        assert!(a.events(&synced(&b, &empty_b)).is_empty());
    }
    // Nothing ever comes back to where it was recorded, and imports are not re-imported.
    for (device, own) in [(&a, "host-a"), (&b, "host-b")] {
        for id in device.bucket_ids() {
            assert!(!id.ends_with(&format!("-synced-from-{own}")), "{id}");
            assert!(id.matches("-synced-from-").count() <= 1, "{id}");
        }
    }
    assert_eq!(b.events(&synced(&a, &window_a)).len(), 50);
    // Metadata as upstream names and copies it.
    let imported = b.client.get_bucket(&synced(&a, &window_a)).unwrap();
    assert_eq!(imported.hostname, "host-a");
    assert_eq!(imported.bucket_type, "currentwindow");
    assert_eq!(imported.data[ORIGIN_KEY], "host-a");
    assert_eq!(imported.data["note"], "aw-watcher-window");
    // Each device wrote only its own file.
    let mut expected = vec![
        format!("{FOLDER_HOST}/{}/test.db", a.identity.device_id),
        format!("{FOLDER_HOST}/{}/test.db", b.identity.device_id),
    ];
    expected.sort();
    assert_eq!(files_below(root.path()), expected);
}

#[test]
fn push_only_and_pull_only() {
    let root = tempfile::tempdir().unwrap();
    let a = Device::start("host-a");
    let b = Device::start("host-b");
    let window_a = a.record("w", series("2024-01-01T08:00:00Z", 5, 10, 10.0, 0));
    let window_b = b.record("w", series("2024-01-01T08:00:00Z", 5, 10, 10.0, 0));
    a.pass(root.path(), Mode::Push, 100);
    b.pass(root.path(), Mode::Pull, 100);
    assert_eq!(b.events(&synced(&a, &window_a)).len(), 5);
    // B only pulled: it wrote no file, so A finds nothing to pull.
    assert!(!b.own_file(root.path()).exists());
    a.pass(root.path(), Mode::Pull, 100);
    assert!(!a.bucket_ids().contains(&synced(&b, &window_b)));
}

#[test]
fn three_servers_and_a_peer_that_re_exports() {
    let root = tempfile::tempdir().unwrap();
    let devices = [
        Device::start("host-a"),
        Device::start("host-b"),
        Device::start("host-c"),
    ];
    let ids: Vec<String> = devices
        .iter()
        .map(|device| device.record("w", series("2024-02-01T10:00:00Z", 9, 30, 20.0, 2)))
        .collect();
    for _ in 0..2 {
        for device in &devices {
            device.pass(root.path(), Mode::Both, 4);
        }
    }
    for (idx, device) in devices.iter().enumerate() {
        let expected: Vec<String> = devices
            .iter()
            .enumerate()
            .filter(|(other, _)| *other != idx)
            .map(|(other, peer)| synced(peer, &ids[other]))
            .collect();
        for id in &expected {
            assert_eq!(
                device.events(id).len(),
                14,
                "{id} on {}",
                device.bucket_host
            );
        }
        assert_eq!(device.bucket_ids().len(), 3);
    }

    // An upstream peer D that re-exports A's data (rust#647) and has its own.
    let d_file = root.path().join("hostd").join("device-d").join("test.db");
    std::fs::create_dir_all(d_file.parent().unwrap()).unwrap();
    let d = Datastore::open_file(&d_file).unwrap();
    let reexport: Bucket = serde_json::from_value(serde_json::json!({
        "id": format!("{}-synced-from-host-a", ids[0]), "type": "currentwindow",
        "client": "aw-watcher-test", "hostname": "host-a", "data": {ORIGIN_KEY: "host-a"}
    }))
    .unwrap();
    d.create_bucket(reexport.clone()).unwrap();
    d.insert_events(&reexport.id, series("2030-01-01T00:00:00Z", 3, 1, 1.0, 0))
        .unwrap();
    drop(d);
    for device in &devices {
        device.pass(root.path(), Mode::Pull, 4);
    }
    // A never gets its own data back; B and C ignore the re-export because A's own
    // file is in the folder (so the 2030 events appear nowhere).
    assert!(!devices[0]
        .bucket_ids()
        .iter()
        .any(|id| id.ends_with("-synced-from-host-a")));
    for device in &devices[1..] {
        assert_eq!(device.events(&synced(&devices[0], &ids[0])).len(), 14);
    }
    // Without A's file, a new device takes the re-export.
    std::fs::remove_dir_all(devices[0].own_file(root.path()).parent().unwrap()).unwrap();
    let e = Device::start("host-e");
    e.pass(root.path(), Mode::Pull, 4);
    assert_eq!(e.events(&synced(&devices[0], &ids[0])).len(), 3);
}

#[test]
fn growing_last_event_is_extended_not_duplicated() {
    let root = tempfile::tempdir().unwrap();
    let a = Device::start("host-a");
    let b = Device::start("host-b");
    let id = a.record("w", series("2024-01-01T08:00:00Z", 3, 10, 10.0, 0));
    a.pass(root.path(), Mode::Push, 2);
    b.pass(root.path(), Mode::Pull, 2);
    // The watcher keeps the last event going (heartbeat merge), then starts a new one.
    let mut last = series("2024-01-01T08:00:20Z", 1, 0, 25.0, 0).remove(0);
    last.data
        .insert("title".into(), serde_json::json!("title 2"));
    last.data.insert("app".into(), serde_json::json!("app2"));
    a.client.heartbeat(&id, &last, 0.0).unwrap();
    a.record("w", series("2024-01-01T09:00:00Z", 1, 0, 1.0, 0));
    for _ in 0..2 {
        a.pass(root.path(), Mode::Push, 2);
        b.pass(root.path(), Mode::Pull, 2);
    }
    let copied = b.events(&synced(&a, &id));
    assert_eq!(copied, a.events(&id));
    assert_eq!(copied.len(), 4);
    assert_eq!(copied[2].1, 25_000_000_000);
}

/// A store that fails every insert after the first `allowed`, like a process killed
/// in the middle of a pass.
struct Failing<'a> {
    inner: &'a dyn Store,
    allowed: std::cell::Cell<usize>,
}

impl Store for Failing<'_> {
    fn name(&self) -> String {
        self.inner.name()
    }
    fn buckets(&self) -> Result<std::collections::BTreeMap<String, Bucket>, SyncError> {
        self.inner.buckets()
    }
    fn create_bucket(&self, bucket: &Bucket) -> Result<(), SyncError> {
        self.inner.create_bucket(bucket)
    }
    fn get_events(
        &self,
        bucket_id: &str,
        start: Option<chrono::DateTime<chrono::Utc>>,
        end: Option<chrono::DateTime<chrono::Utc>>,
        limit: Option<u64>,
    ) -> Result<Vec<aw_models::Event>, SyncError> {
        self.inner.get_events(bucket_id, start, end, limit)
    }
    fn get_event(&self, bucket_id: &str, event_id: i64) -> Result<aw_models::Event, SyncError> {
        self.inner.get_event(bucket_id, event_id)
    }
    fn event_count(&self, bucket_id: &str) -> Result<u64, SyncError> {
        self.inner.event_count(bucket_id)
    }
    fn insert_events(
        &self,
        bucket_id: &str,
        events: Vec<aw_models::Event>,
    ) -> Result<(), SyncError> {
        if self.allowed.get() == 0 {
            return Err(SyncError::Stopped);
        }
        self.allowed.set(self.allowed.get() - 1);
        self.inner.insert_events(bucket_id, events)
    }
}

#[test]
fn interrupted_pull_resumes_without_gap() {
    let root = tempfile::tempdir().unwrap();
    let a = Device::start("host-a");
    let b = Device::start("host-b");
    let id = a.record("w", series("2024-01-01T08:00:00Z", 60, 7, 6.0, 5));
    a.pass(root.path(), Mode::Push, 1000);
    let failing = Failing {
        inner: &b.client,
        allowed: std::cell::Cell::new(3),
    };
    let mut options = SyncOptions::new(root.path().to_path_buf());
    options.mode = Mode::Pull;
    options.page_size = 8;
    let err = run_pass(&failing, &b.identity, &options, &StopFlag::new());
    assert!(matches!(err, Err(SyncError::Stopped)), "{err:?}");
    let partial = b.events(&synced(&a, &id));
    assert_eq!(partial.len(), 24);
    assert_eq!(partial[..], a.events(&id)[..24]);
    b.pass(root.path(), Mode::Pull, 8);
    b.pass(root.path(), Mode::Pull, 8);
    assert_eq!(b.events(&synced(&a, &id)), a.events(&id));
}

#[test]
fn stop_flag_ends_a_pass_between_pages() {
    let root = tempfile::tempdir().unwrap();
    let a = Device::start("host-a");
    a.record("w", series("2024-01-01T08:00:00Z", 30, 10, 1.0, 0));
    let stop = StopFlag::new();
    stop.set();
    let mut options = SyncOptions::new(root.path().to_path_buf());
    options.page_size = 5;
    let res = run_pass(&a.client, &a.identity, &options, &stop);
    assert!(matches!(res, Err(SyncError::Stopped)));
}

#[test]
fn bad_peer_files_are_skipped_with_a_warning() {
    let root = tempfile::tempdir().unwrap();
    let a = Device::start("host-a");
    let b = Device::start("host-b");
    let id = a.record("w", series("2024-01-01T08:00:00Z", 4, 10, 10.0, 0));
    a.pass(root.path(), Mode::Push, 100);
    let write = |rel: &str, bytes: &[u8]| {
        let path = root.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    // A damaged file, an empty one, and a truncated copy of a real one.
    write(
        "broken/dev-broken/test.db",
        b"this is not a database at all, not even close....",
    );
    write("dev-empty/test.db", b"");
    let real = std::fs::read(a.own_file(root.path())).unwrap();
    write("cut/dev-cut/test.db", &real[..real.len() / 3]);
    // A peer whose bucket has hostname `unknown` (upstream's pull panics on it).
    let unknown = root.path().join("u/dev-unknown/test.db");
    std::fs::create_dir_all(unknown.parent().unwrap()).unwrap();
    let store = Datastore::open_file(&unknown).unwrap();
    for (bucket_id, hostname) in [("w_unknown", "unknown"), ("w_fine", "host-u")] {
        let bucket: Bucket = serde_json::from_value(serde_json::json!({
            "id": bucket_id, "type": "t", "client": "c", "hostname": hostname
        }))
        .unwrap();
        store.create_bucket(bucket).unwrap();
        store
            .insert_events(bucket_id, series("2024-01-01T08:00:00Z", 2, 10, 1.0, 0))
            .unwrap();
    }
    drop(store);
    let before = files_below(root.path());
    let report = b.pass(root.path(), Mode::Pull, 100);
    assert_eq!(b.events(&synced(&a, &id)).len(), 4);
    assert_eq!(b.events("w_fine-synced-from-host-u").len(), 2);
    assert!(!b.bucket_ids().iter().any(|id| id.contains("unknown")));
    assert!(report.skipped.iter().any(|skipped| skipped == "w_unknown"));
    assert!(report
        .skipped
        .iter()
        .any(|skipped| skipped.contains("dev-broken")));
    // Reading peers created nothing next to them (no -wal, no -shm).
    assert_eq!(files_below(root.path()), before);
}

#[test]
fn schema_v4_peer_file_is_read() {
    let root = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/peer-v4.db");
    let dest = root.path().join("oldhost/dev-v4/test.db");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(&fixture, &dest).unwrap();
    let original = std::fs::read(&dest).unwrap();
    let b = Device::start("host-b");
    b.pass(root.path(), Mode::Pull, 2);
    b.pass(root.path(), Mode::Pull, 2);
    let events = b.events("aw-watcher-window_oldhost-synced-from-oldhost");
    assert_eq!(events.len(), 5);
    assert_eq!(events[0].2["app"], "Code");
    assert_eq!(events[4].1, 4_000_000_000);
    // The peer's file is left byte for byte as it was (upstream would migrate it).
    assert_eq!(std::fs::read(&dest).unwrap(), original);
}

#[test]
fn start_date_and_bucket_selection() {
    let root = tempfile::tempdir().unwrap();
    let a = Device::start("host-a");
    let b = Device::start("host-b");
    let w = a.record("w", series("2024-01-15T08:00:00Z", 4, 86_400 * 15, 60.0, 0));
    let other = a.record("other", series("2024-01-15T08:00:00Z", 2, 10, 1.0, 0));
    let mut push = SyncOptions::new(root.path().to_path_buf());
    push.mode = Mode::Push;
    push.buckets = Some(vec![w.clone(), "missing-bucket".to_string()]);
    a.pass_with(&push);
    let mut pull = SyncOptions::new(root.path().to_path_buf());
    pull.mode = Mode::Pull;
    pull.start_date = Some(NaiveDate::from_ymd_opt(2024, 2, 1).unwrap());
    b.pass_with(&pull);
    // Only `w` was pushed, and only its events from February on were pulled.
    assert!(!b.bucket_ids().contains(&synced(&a, &other)));
    let pulled = b.events(&synced(&a, &w));
    let all = a.events(&w);
    assert_eq!(pulled[..], all[2..]);
    // Later passes resume from the newest event, so the date no longer matters.
    b.pass(root.path(), Mode::Pull, 10);
    assert_eq!(b.events(&synced(&a, &w)), pulled);
}

#[test]
fn flat_layout_peers_are_read_too() {
    let root = tempfile::tempdir().unwrap();
    let a = Device::start("host-a");
    let b = Device::start("host-b");
    let id = a.record("w", series("2024-01-01T08:00:00Z", 3, 10, 1.0, 0));
    a.pass(root.path(), Mode::Push, 10);
    // Move A's file to upstream's daemon layout, <root>/<device_id>/test.db.
    let flat = root.path().join(&a.identity.device_id).join("test.db");
    std::fs::create_dir_all(flat.parent().unwrap()).unwrap();
    std::fs::rename(a.own_file(root.path()), &flat).unwrap();
    b.pass(root.path(), Mode::Pull, 10);
    assert_eq!(b.events(&synced(&a, &id)), a.events(&id));
}
