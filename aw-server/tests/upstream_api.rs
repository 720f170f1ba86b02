//! The upstream-compatible embedding API over real HTTP: a server built the way
//! upstream's own client tests build theirs (`ServerState`, `AWConfig { .. }`,
//! `build_rocket`), driven by upstream's blocking-client calls; the API key and
//! a failed datastore through that path; settings that must refuse to start.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use aw_client_rust::blocking::AwClient;
use aw_client_rust::Event;
use aw_server::config::{AWAuthConfig, AWConfig};
use aw_server::endpoints::{build_rocket, AssetResolver, ServerState};
use chrono::{DateTime, Utc};
use rocket::fairing::AdHoc;
use rocket::Shutdown;
use serde_json::Map;

/// A server launched from upstream's arguments. Dropping it stops it.
struct Embedded {
    port: u16,
    shutdown: Shutdown,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Embedded {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

fn state(datastore: aw_datastore::Datastore) -> ServerState {
    ServerState {
        datastore,
        asset_resolver: AssetResolver::new(None),
        device_id: "test_id".to_string(),
    }
}

/// Launches `build_rocket(state, config)` (with port 0) and waits for liftoff.
fn launch(state: ServerState, config: AWConfig) -> Embedded {
    let (sender, receiver) = mpsc::channel();
    let rocket = build_rocket(state, AWConfig { port: 0, ..config }).attach(AdHoc::on_liftoff(
        "test: report port",
        move |rocket| {
            Box::pin(async move {
                let _ = sender.send((rocket.config().port, rocket.shutdown()));
            })
        },
    ));
    let thread = thread::spawn(move || {
        if let Err(err) = rocket::execute(rocket.launch()) {
            panic!("server failed: {err}");
        }
    });
    let (port, shutdown) = receiver.recv_timeout(Duration::from_secs(60)).unwrap();
    Embedded {
        port,
        shutdown,
        thread: Some(thread),
    }
}

fn at(time: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(time).unwrap().into()
}

/// Upstream's `test_full`, call for call, against our server.
#[test]
fn upstream_client_story() {
    let config = AWConfig {
        auth: AWAuthConfig { api_key: None },
        ..Default::default()
    };
    let server = launch(state(aw_datastore::Datastore::new_in_memory(false)), config);
    let client = AwClient::new("127.0.0.1", server.port, "aw-client-rust-test").unwrap();

    let info = client.get_info().unwrap();
    assert!(info.testing);
    assert_eq!(info.device_id, "test_id");

    let bucketname = format!("aw-client-rust-test_{}", client.hostname);
    client
        .create_bucket_simple(&bucketname, "test-type")
        .unwrap();
    let bucket = client.get_bucket(&bucketname).unwrap();
    assert_eq!(bucket.id, bucketname);
    assert!(client.get_buckets().unwrap().contains_key(&bucketname));

    let mut event = Event {
        id: None,
        timestamp: at("2017-12-30T01:00:00+00:00"),
        duration: chrono::Duration::seconds(0),
        data: Map::new(),
    };
    client.insert_event(&bucketname, &event).unwrap();
    event.timestamp = at("2017-12-30T01:00:01+00:00");
    client.heartbeat(&bucketname, &event, 10.0).unwrap();
    let events = client.get_events(&bucketname, None, None, None).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].duration, chrono::Duration::seconds(1));

    let query = format!(
        "events = query_bucket(\"{}\");\nRETURN = events;",
        bucket.id
    );
    let periods = vec![(
        at("1996-12-19T00:00:00-08:00"),
        at("2020-12-19T00:00:00-08:00"),
    )];
    let result = client.query(&query, periods).unwrap();
    assert_eq!(result.len(), 1);
    assert_eq!(result[0].as_array().unwrap().len(), 1);

    client
        .delete_event(&bucketname, events[0].id.unwrap())
        .unwrap();
    assert_eq!(client.get_event_count(&bucketname).unwrap(), 0);
    client.delete_bucket(&bucketname).unwrap();
    assert_eq!(
        client.get_bucket(&bucketname).unwrap_err().status(),
        Some(404)
    );
}

#[test]
fn api_key_from_awconfig_is_required() {
    let config = AWConfig {
        auth: AWAuthConfig {
            api_key: Some("secret123".to_string()),
        },
        ..Default::default()
    };
    let server = launch(state(aw_datastore::Datastore::new_in_memory(false)), config);
    let client = AwClient::new("127.0.0.1", server.port, "aw-client-rust-auth-test").unwrap();
    assert!(client.get_info().is_ok(), "info stays open");
    assert_eq!(client.get_buckets().unwrap_err().status(), Some(401));
    let url = format!("http://127.0.0.1:{}/api/0/buckets/", server.port);
    let answer = reqwest::blocking::Client::new()
        .get(url)
        .bearer_auth("secret123")
        .send()
        .unwrap();
    assert_eq!(answer.status(), 200);
}

#[test]
fn a_datastore_that_failed_to_open_answers_500_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing/dir/db.sqlite");
    let datastore = aw_datastore::Datastore::new(path.to_str().unwrap().to_string(), false);
    let server = launch(state(datastore), AWConfig::default());
    let client = AwClient::new("127.0.0.1", server.port, "aw-failed-test").unwrap();
    assert_eq!(client.get_info().unwrap().device_id, "test_id");
    let err = client.get_buckets().unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert!(
        err.to_string()
            .contains("The datastore could not be opened"),
        "{err}"
    );
}

/// The reasons are unit-tested beside `build_rocket`; here: none of them serves.
#[test]
fn invalid_settings_refuse_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let bad_file = dir.path().join("config.toml");
    std::fs::write(
        &bad_file,
        "port = \"not a port\"\n[auth]\napi_key = \"k\"\n",
    )
    .unwrap();
    let from_bad_file = aw_server::config::create_config(false, Some(&bad_file));
    assert!(from_bad_file
        .load_error
        .as_deref()
        .unwrap()
        .starts_with("invalid config file"));
    let cases = [
        AWConfig {
            address: "example.org".to_string(),
            ..Default::default()
        },
        AWConfig {
            cors_regex: vec!["(".to_string()],
            ..Default::default()
        },
        from_bad_file,
    ];
    for config in cases {
        let datastore = aw_datastore::Datastore::new_in_memory(false);
        let rocket = build_rocket(state(datastore), config);
        let err = rocket::execute(rocket.ignite()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("fairing"), "{text}");
    }
}
