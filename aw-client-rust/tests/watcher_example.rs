//! Runs the watcher of `examples/watcher.rs` (compiled into this test) against a real
//! server: its heartbeats must have merged into one event of the expected length.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code"
)]

#[path = "../examples/watcher.rs"]
mod example;

use std::time::Duration;

use aw_client_rust::blocking::AwClient;

#[test]
fn the_example_watcher_merges_its_heartbeats() {
    let dir = tempfile::tempdir().unwrap();
    let server = aw_server::testkit::spawn_test_server(dir.path());
    let options = example::Options {
        host: "127.0.0.1".to_string(),
        port: server.addr.port(),
        count: Some(4),
        interval: Duration::from_millis(200),
    };
    let bucket_id = example::run(&options).unwrap();
    assert!(bucket_id.starts_with("aw-watcher-example_"), "{bucket_id}");
    let client = AwClient::new("127.0.0.1", server.addr.port(), "test").unwrap();
    let events = client.get_events(&bucket_id, None, None, None).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let seconds = events[0].duration.as_seconds_f64();
    assert!(
        (0.5..2.0).contains(&seconds),
        "three 200 ms gaps: {seconds}"
    );
    assert_eq!(events[0].data["status"], "running");
}
