//! Helpers for the folder-sync tests: a "device" (a real test server with its own
//! device id and a REST client), event builders, and readers that compare buckets.

use std::path::{Path, PathBuf};

use aw_client_rust::blocking::AwClient;
use aw_models::time::duration_nanos;
use aw_models::{Bucket, Event};
use aw_server::config::Config;
use aw_server::sync::{run_pass, Identity, Mode, PassReport, StopFlag, SyncOptions};
use aw_server::testkit::test_config;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use super::Harness;

/// Hostname used for the host folder of every test device.
pub const FOLDER_HOST: &str = "testhost";

/// One device: a server, its id, the hostname its buckets carry, and a client.
pub struct Device {
    pub client: AwClient,
    pub identity: Identity,
    pub bucket_host: String,
    pub harness: Harness,
}

impl Device {
    /// A server whose buckets are recorded on `bucket_host`.
    pub fn start(bucket_host: &str) -> Device {
        Device::start_with(bucket_host, test_config())
    }

    pub fn start_with(bucket_host: &str, mut config: Config) -> Device {
        let device_id = uuid::Uuid::new_v4().to_string();
        config.device_id = Some(device_id.clone());
        let harness = Harness::start_with(config);
        let client =
            AwClient::new("127.0.0.1", harness.server.addr.port(), "aw-sync-test").unwrap();
        Device {
            client,
            identity: Identity {
                device_id,
                hostname: FOLDER_HOST.to_string(),
            },
            bucket_host: bucket_host.to_string(),
            harness,
        }
    }

    /// `<id>_<bucket host>`, the id a watcher on this device would use.
    pub fn bucket_id(&self, name: &str) -> String {
        format!("{name}_{}", self.bucket_host)
    }

    /// Creates `<name>_<host>` and inserts `events`; returns the bucket id.
    pub fn record(&self, name: &str, events: Vec<Event>) -> String {
        let id = self.bucket_id(name);
        let bucket: Bucket = serde_json::from_value(serde_json::json!({
            "id": id, "type": "currentwindow", "client": "aw-watcher-test",
            "hostname": self.bucket_host, "data": {"note": name}
        }))
        .unwrap();
        self.client.create_bucket(&bucket).unwrap();
        if !events.is_empty() {
            self.client.insert_events(&id, events).unwrap();
        }
        id
    }

    /// One pass with `page_size` events per page.
    pub fn pass(&self, root: &Path, mode: Mode, page_size: usize) -> PassReport {
        let mut options = SyncOptions::new(root.to_path_buf());
        options.mode = mode;
        options.page_size = page_size;
        self.pass_with(&options)
    }

    pub fn pass_with(&self, options: &SyncOptions) -> PassReport {
        run_pass(&self.client, &self.identity, options, &StopFlag::new()).unwrap()
    }

    /// Every bucket id on the server, sorted.
    pub fn bucket_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.client.get_buckets().unwrap().into_keys().collect();
        ids.sort();
        ids
    }

    /// Every event of `bucket_id` as `(start, duration ns, data)`, oldest first.
    pub fn events(&self, bucket_id: &str) -> Vec<(DateTime<Utc>, i64, Value)> {
        let events = self
            .client
            .get_events(bucket_id, Some(DateTime::UNIX_EPOCH), None, None)
            .unwrap();
        comparable(events)
    }

    /// Like [`Device::events`], but empty while the bucket does not exist.
    pub fn events_if_any(&self, bucket_id: &str) -> Vec<(DateTime<Utc>, i64, Value)> {
        match self
            .client
            .get_events(bucket_id, Some(DateTime::UNIX_EPOCH), None, None)
        {
            Ok(events) => comparable(events),
            Err(_) => Vec::new(),
        }
    }

    /// This device's own file in the folder.
    pub fn own_file(&self, root: &Path) -> PathBuf {
        aw_server::sync::folder::own_db_path(
            root,
            &self.identity.hostname,
            &self.identity.device_id,
        )
    }
}

/// Events as `(start, duration ns, data)`, oldest first (ties by data text).
pub fn comparable(events: Vec<Event>) -> Vec<(DateTime<Utc>, i64, Value)> {
    let mut rows: Vec<(DateTime<Utc>, i64, Value)> = events
        .into_iter()
        .map(|event| {
            (
                event.timestamp,
                duration_nanos(&event.duration),
                Value::Object(event.data),
            )
        })
        .collect();
    rows.sort_by_key(|row| (row.0, row.1, row.2.to_string()));
    rows
}

/// `n` events from `start`, one every `step` seconds, each `duration` seconds long;
/// every `tie_every`-th event gets a twin at the same instant (0: no ties).
pub fn series(start: &str, n: usize, step: i64, duration: f64, tie_every: usize) -> Vec<Event> {
    let start: DateTime<Utc> = start.parse().unwrap();
    let mut events = Vec::new();
    for idx in 0..n {
        let at = start + TimeDelta::seconds(step * idx as i64);
        let mut data = aw_models::JsonMap::new();
        data.insert("app".into(), Value::from(format!("app{}", idx % 5)));
        data.insert("title".into(), Value::from(format!("title {idx}")));
        events.push(Event::new(
            at,
            aw_models::time::duration_from_secs(duration),
            data.clone(),
        ));
        if tie_every > 0 && idx % tie_every == 0 {
            data.insert("twin".into(), Value::from(true));
            events.push(Event::new(
                at,
                aw_models::time::duration_from_secs(duration / 2.0),
                data,
            ));
        }
    }
    events
}

/// Every file below `root`, relative, sorted.
pub fn files_below(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    files.sort();
    files
}
