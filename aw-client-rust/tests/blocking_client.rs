//! Every method of [`blocking::AwClient`] against our real aw-server, including the
//! error paths (unknown bucket, server down).

mod common;

use std::time::Duration;

use serde_json::json;

use aw_client_rust::blocking::AwClient;
use aw_client_rust::{BucketsExport, Error};
use common::{datetime, dead_port, event, Server};

#[test]
fn every_method_works_without_an_async_runtime() {
    let server = Server::start();
    let client = server.blocking_client();
    assert!(client.wait_for_start().unwrap().testing);
    assert_eq!(
        client.get_info().unwrap().device_id,
        aw_server::testkit::TEST_DEVICE_ID
    );

    let bucket_id = format!("aw-watcher-test_{}", client.hostname);
    client
        .create_bucket_simple(&bucket_id, "currentwindow")
        .unwrap();
    client
        .create_bucket_simple(&bucket_id, "currentwindow")
        .unwrap();
    let mut bucket = client.get_bucket(&bucket_id).unwrap();
    assert_eq!(bucket.client, "aw-blocking-test");
    assert!(client.get_buckets().unwrap().contains_key(&bucket_id));
    // `create_bucket` with an explicit bucket, under another id.
    bucket.id = "second".to_string();
    client.create_bucket(&bucket).unwrap();

    let old = event("2026-02-01T08:00:00Z", 60.0, json!({"app": "vim"}));
    client.insert_events(&bucket_id, vec![old.clone()]).unwrap();
    let beat = |at: &str| event(at, 0.0, json!({"app": "firefox"}));
    let first = client
        .heartbeat(&bucket_id, &beat("2026-02-01T09:00:00Z"), 5.0)
        .unwrap();
    let merged = client
        .heartbeat(&bucket_id, &beat("2026-02-01T09:00:04Z"), 5.0)
        .unwrap();
    assert_eq!((merged.id, merged.duration.num_seconds()), (first.id, 4));
    client
        .insert_event(&bucket_id, &event("2026-02-01T10:00:00Z", 1.0, json!({})))
        .unwrap();
    assert_eq!(client.get_event_count(&bucket_id).unwrap(), 3);

    let range = client
        .get_events(
            &bucket_id,
            Some(datetime("2026-02-01T08:30:00Z")),
            None,
            Some(5),
        )
        .unwrap();
    assert_eq!(range.len(), 2, "the 08:00 event ends before 08:30");
    let stored_old = &client.get_events(&bucket_id, None, None, None).unwrap()[2];
    assert_eq!(stored_old, &old);
    let old_id = stored_old.id.unwrap();
    assert_eq!(client.get_event(&bucket_id, old_id).unwrap(), old);
    client.delete_event(&bucket_id, old_id).unwrap();
    assert_eq!(client.get_event_count(&bucket_id).unwrap(), 2);

    let export = client.export_bucket(&bucket_id).unwrap();
    assert_eq!(export.buckets.len(), 1);
    assert_eq!(client.export().unwrap().buckets.len(), 2);
    client.delete_bucket(&bucket_id).unwrap();
    client.import(&export).unwrap();
    assert_eq!(client.get_event_count(&bucket_id).unwrap(), 2);
    client.import(&BucketsExport::default()).unwrap();

    client
        .set_setting("startView", &json!("/activity"))
        .unwrap();
    assert_eq!(client.get_setting("startView").unwrap(), json!("/activity"));
    assert_eq!(client.get_settings().unwrap().len(), 1);
    client.delete_setting("startView").unwrap();
    assert!(client.get_settings().unwrap().is_empty());
}

#[test]
fn queries_through_the_blocking_client() {
    let server = Server::start();
    let client = server.blocking_client();
    client.create_bucket_simple("q", "test").unwrap();
    let events = vec![
        event("2026-02-01T09:00:00Z", 4.0, json!({})),
        event("2026-02-01T10:00:00Z", 1.0, json!({})),
    ];
    client.insert_events("q", events).unwrap();
    let day = || {
        vec![(
            datetime("2026-02-01T00:00:00Z"),
            datetime("2026-02-02T00:00:00Z"),
        )]
    };

    let code = "RETURN = sum_durations(query_bucket(\"q\"));";
    assert_eq!(client.query(code, day()).unwrap(), vec![json!(5.0)]);
    let lines = vec!["x = 2;".to_string(), "RETURN = x * 3;".to_string()];
    assert_eq!(client.query_lines(&lines, day()).unwrap(), vec![json!(6.0)]);
    assert!(client.query("RETURN = 1;", Vec::new()).unwrap().is_empty());

    let err = client.query("RETURN = nope;", day()).unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.message(), Some(r#"VariableNotDefined("nope")"#));
}

#[test]
fn errors_keep_status_and_message() {
    let server = Server::start();
    let client = server.blocking_client();
    let err = client.get_events("nope", None, None, None).unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(
        err.message(),
        Some("The requested bucket 'nope' does not exist")
    );
    let err = client.get_event_count("nope").unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[test]
fn server_down_is_a_connection_error() {
    let client = AwClient::new("127.0.0.1", dead_port(), "aw-blocking-test").unwrap();
    let err = client.get_buckets().unwrap_err();
    assert!(err.is_connection(), "{err}");
    assert!(err
        .to_string()
        .starts_with("cannot connect to the ActivityWatch server at http://127.0.0.1:"));
    let err = client
        .wait_for_start_timeout(Duration::from_millis(200))
        .unwrap_err();
    assert!(matches!(err, Error::StartTimeout { .. }), "{err}");
}
