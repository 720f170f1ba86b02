//! Every method of the async [`AwClient`] against our real aw-server, including the
//! error paths (unknown bucket, server down).

mod common;

use std::time::{Duration, Instant};

use serde_json::json;

use aw_client_rust::{AwClient, Bucket, BucketsExport, Error};
use common::{datetime, dead_port, event, Server};

const MISSING: &str = "The requested bucket 'no such/bucket' does not exist";

#[tokio::test]
async fn buckets_events_and_heartbeats() {
    let server = Server::start();
    let client = server.client();
    let info = client.wait_for_start().await.unwrap();
    assert!(info.testing);
    assert!(info.version.ends_with(" (rust)"), "{}", info.version);
    assert_eq!(client.get_info().await.unwrap(), info);
    assert!(client.get_buckets().await.unwrap().is_empty());

    client.create_bucket_simple("b 1", "test").await.unwrap();
    // The second create answers 304, which is success.
    client.create_bucket_simple("b 1", "other").await.unwrap();
    let bucket = client.get_bucket("b 1").await.unwrap();
    assert_eq!(
        (
            bucket.id.as_str(),
            bucket.bucket_type.as_str(),
            bucket.client.as_str()
        ),
        ("b 1", "test", "aw-client-test")
    );
    assert_eq!(bucket.hostname, client.hostname);
    assert_eq!(client.get_buckets().await.unwrap().len(), 1);

    let first = event("2026-01-01T10:00:00Z", 10.0, json!({"n": 1}));
    let second = event("2026-01-01T11:00:00Z", 10.0, json!({"n": 2}));
    client
        .insert_events("b 1", vec![first.clone(), second.clone()])
        .await
        .unwrap();
    let third = event("2026-01-01T12:00:00Z", 10.0, json!({"n": 3}));
    client.insert_event("b 1", &third).await.unwrap();

    let all = client.get_events("b 1", None, None, None).await.unwrap();
    assert_eq!(
        all,
        [third.clone(), second.clone(), first.clone()],
        "newest first"
    );
    let third_id = all[0].id.unwrap();
    assert_eq!(client.get_event_count("b 1").await.unwrap(), 3);
    assert_eq!(client.get_event("b 1", third_id).await.unwrap(), third);
    let newest = client.get_events("b 1", None, None, Some(1)).await.unwrap();
    assert_eq!(newest, vec![third.clone()]);
    // A window ending 5 s into the second event returns it clipped.
    let clipped = client
        .get_events(
            "b 1",
            Some(datetime("2026-01-01T11:30:00+01:00")),
            Some(datetime("2026-01-01T11:00:05Z")),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        clipped,
        vec![event("2026-01-01T11:00:00Z", 5.0, json!({"n": 2}))]
    );

    client.delete_event("b 1", third_id).await.unwrap();
    assert_eq!(client.get_event_count("b 1").await.unwrap(), 2);

    client.delete_bucket("b 1").await.unwrap();
    assert_eq!(
        client.get_bucket("b 1").await.unwrap_err().status(),
        Some(404)
    );
}

#[tokio::test]
async fn heartbeats_merge_within_pulsetime() {
    let server = Server::start();
    let client = server.client();
    client.create_bucket_simple("hb", "test").await.unwrap();
    let beat = |at: &str| event(at, 0.0, json!({"status": "running"}));
    let first = client
        .heartbeat("hb", &beat("2026-01-01T10:00:00Z"), 2.0)
        .await
        .unwrap();
    let merged = client
        .heartbeat("hb", &beat("2026-01-01T10:00:01Z"), 2.0)
        .await
        .unwrap();
    assert_eq!(merged.id, first.id);
    assert_eq!(merged.duration.num_seconds(), 1);
    // Further than the pulsetime away: a new event.
    let separate = client
        .heartbeat("hb", &beat("2026-01-01T10:00:10Z"), 2.0)
        .await
        .unwrap();
    assert_ne!(separate.id, first.id);
    assert_eq!(client.get_event_count("hb").await.unwrap(), 2);
}

#[tokio::test]
async fn unknown_bucket_is_a_404_with_the_server_message() {
    let server = Server::start();
    let client = server.client();
    let bucket = "no such/bucket";
    let beat = event("2026-01-01T10:00:00Z", 0.0, json!({}));
    let results = [
        client.get_bucket(bucket).await.map(drop),
        client.delete_bucket(bucket).await,
        client.get_events(bucket, None, None, None).await.map(drop),
        client.get_event_count(bucket).await.map(drop),
        client.insert_event(bucket, &beat).await.map(drop),
        client.heartbeat(bucket, &beat, 1.0).await.map(drop),
        client.delete_event(bucket, 1).await,
        client.export_bucket(bucket).await.map(drop),
    ];
    for result in results {
        let err = result.unwrap_err();
        assert_eq!(err.status(), Some(404), "{err}");
        assert_eq!(err.message(), Some(MISSING));
        assert!(matches!(err, Error::Status { .. }));
        assert!(err.to_string().ends_with(MISSING), "{err}");
    }
}

#[tokio::test]
async fn export_import_round_trip() {
    let server = Server::start();
    let client = server.client();
    client.create_bucket_simple("src", "test").await.unwrap();
    let events = vec![
        event("2026-01-01T10:00:00Z", 1.0, json!({"k": "a"})),
        event("2026-01-01T10:00:05Z", 2.0, json!({"k": "b"})),
    ];
    client.insert_events("src", events.clone()).await.unwrap();

    let exported = client.export_bucket("src").await.unwrap();
    assert_eq!(exported.buckets["src"].events.as_ref().unwrap().len(), 2);
    assert_eq!(client.export().await.unwrap(), exported);

    let mut copy: Bucket = exported.buckets["src"].clone();
    copy.id = "dst".to_string();
    for event in copy.events.iter_mut().flatten() {
        event.id = None;
    }
    let import = BucketsExport {
        buckets: [("dst".to_string(), copy)].into_iter().collect(),
    };
    client.import(&import).await.unwrap();
    // A second import merges without duplicating.
    client.import(&import).await.unwrap();
    let mut imported = client.get_events("dst", None, None, None).await.unwrap();
    imported.reverse();
    assert_eq!(imported, events);
    assert_eq!(client.get_bucket("dst").await.unwrap().bucket_type, "test");
}

#[tokio::test]
async fn settings_are_stored_and_deleted() {
    let server = Server::start();
    let client = server.client();
    assert_eq!(client.get_setting("theme").await.unwrap(), json!(null));
    let value = json!({"dark": true, "list": [1, "two"]});
    client.set_setting("theme", &value).await.unwrap();
    client.set_setting("with space", &json!("x")).await.unwrap();
    assert_eq!(client.get_setting("theme").await.unwrap(), value);
    let all = client.get_settings().await.unwrap();
    assert_eq!(all.get("theme"), Some(&value));
    assert_eq!(all.get("with space"), Some(&json!("x")));
    client.delete_setting("theme").await.unwrap();
    assert_eq!(client.get_setting("theme").await.unwrap(), json!(null));

    let err = client
        .set_setting(&"k".repeat(128), &json!(1))
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.message()),
        (Some(400), Some("Too long key"))
    );
}

#[tokio::test]
async fn server_down_is_a_connection_error() {
    let client = AwClient::new("127.0.0.1", dead_port(), "aw-client-test").unwrap();
    let err = client.get_info().await.unwrap_err();
    assert!(err.is_connection(), "{err}");
    assert_eq!(err.status(), None);

    let started = Instant::now();
    let err = client
        .wait_for_start_timeout(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    match err {
        Error::StartTimeout { last_error, .. } => {
            assert!(last_error.unwrap().is_connection());
        }
        other => panic!("expected StartTimeout, got {other}"),
    }
}
