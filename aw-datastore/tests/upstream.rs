//! The upstream-compatible `aw_datastore::Datastore`: each of upstream's methods,
//! called as upstream's callers call it, against a file and an in-memory
//! database; and a datastore whose open failed answering every call with that error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

mod common;

use std::collections::HashMap;

use aw_datastore::{Datastore, DatastoreError};
use aw_models::time::parse_json_datetime;
use aw_models::{Bucket, Event};
use common::{bucket, event};
use serde_json::json;

/// The same story against each way of opening a datastore.
fn both_kinds(story: impl Fn(&Datastore, &str)) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("upstream.db");
    let file = Datastore::new(path.to_str().unwrap().to_string(), false);
    story(&file, "file");
    story(&Datastore::new_in_memory(false), "memory");
}

#[test]
fn buckets_and_events_with_upstream_signatures() {
    both_kinds(|datastore, kind| {
        let b: Bucket = bucket("b");
        datastore.create_bucket(&b).unwrap();
        assert!(
            matches!(
                datastore.create_bucket(&b),
                Err(DatastoreError::BucketAlreadyExists { .. })
            ),
            "{kind}"
        );
        let buckets: HashMap<String, Bucket> = datastore.get_buckets().unwrap();
        assert_eq!(buckets.keys().collect::<Vec<_>>(), ["b"], "{kind}");
        assert_eq!(
            datastore.get_bucket("b").unwrap().bucket_type,
            "currentwindow"
        );

        let events = vec![
            event("2024-01-01T00:00:00Z", 10.0, json!({"n": 1})),
            event("2024-01-01T00:01:00Z", 10.0, json!({"n": 2})),
        ];
        let inserted: Vec<Event> = datastore.insert_events("b", &events).unwrap();
        assert!(inserted.iter().all(|e| e.id.is_some()), "{kind}");
        let merged = datastore
            .heartbeat(
                "b",
                event("2024-01-01T00:01:15Z", 0.0, json!({"n": 2})),
                30.0,
            )
            .unwrap();
        assert_eq!(merged.duration.num_seconds(), 15, "{kind}");

        let all = datastore.get_events("b", None, None, None).unwrap();
        assert_eq!(all.len(), 2, "{kind}");
        let newest = datastore.get_events("b", None, None, Some(1)).unwrap();
        assert_eq!(newest.len(), 1, "{kind}");
        assert_eq!(newest[0].data["n"], 2, "{kind}");
        let start = parse_json_datetime("2024-01-01T00:00:05Z").unwrap();
        let end = parse_json_datetime("2024-01-01T00:00:30Z").unwrap();
        let clipped = datastore
            .get_events("b", Some(start), Some(end), None)
            .unwrap();
        assert_eq!(clipped.len(), 1, "{kind}");
        assert_eq!(
            clipped[0].duration.num_seconds(),
            5,
            "{kind}: clipped to the range"
        );
        let count: i64 = datastore.get_event_count("b", Some(start), None).unwrap();
        assert_eq!(count, 2, "{kind}");
        assert_eq!(datastore.get_event_count("b", None, Some(end)).unwrap(), 1);

        let first_id = inserted[0].id.unwrap();
        assert_eq!(datastore.get_event("b", first_id).unwrap().data["n"], 1);
        datastore
            .delete_events_by_id("b", vec![first_id, 999_999])
            .unwrap();
        assert_eq!(datastore.get_event_count("b", None, None).unwrap(), 1);
        datastore.force_commit().unwrap();

        for missing in [
            datastore.delete_events_by_id("nob", vec![]),
            datastore.delete_events_by_id("nob", vec![1]),
            datastore.get_events("nob", None, None, None).map(drop),
        ] {
            assert!(
                matches!(missing, Err(DatastoreError::NoSuchBucket { .. })),
                "{kind}: {missing:?}"
            );
        }
        datastore.delete_bucket("b").unwrap();
        assert!(datastore.get_buckets().unwrap().is_empty(), "{kind}");
        datastore.close();
    });
}

#[test]
fn key_values_are_json_text_and_like_patterns() {
    both_kinds(|datastore, kind| {
        datastore
            .set_key_value("settings.theme", "\"dark\"")
            .unwrap();
        datastore
            .set_key_value("settings.views", "[{\"id\": 1}]")
            .unwrap();
        datastore.set_key_value("other", "3").unwrap();
        assert_eq!(
            datastore.get_key_value("settings.theme").unwrap(),
            "\"dark\""
        );
        assert_eq!(
            datastore.get_key_value("settings.views").unwrap(),
            "[{\"id\":1}]",
            "{kind}: stored as JSON, given back compact"
        );
        let settings = datastore.get_key_values("settings.%").unwrap();
        let mut keys: Vec<&String> = settings.keys().collect();
        keys.sort();
        assert_eq!(keys, ["settings.theme", "settings.views"], "{kind}");
        assert_eq!(datastore.get_key_values("SETTINGS._heme").unwrap().len(), 1);
        assert_eq!(datastore.get_key_values("%").unwrap().len(), 3);

        let refused = datastore.set_key_value("k", "not json").unwrap_err();
        assert!(
            matches!(refused, DatastoreError::InvalidInput { .. }),
            "{kind}"
        );
        assert!(
            refused.to_string().contains("'k' is not JSON text"),
            "{refused}"
        );

        datastore.delete_key_value("other").unwrap();
        assert!(matches!(
            datastore.get_key_value("other"),
            Err(DatastoreError::NoSuchKey { .. })
        ));
    });
}

#[test]
fn a_datastore_that_failed_to_open_answers_every_call_with_the_error() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("no/such/dir/x.db");
    let datastore = Datastore::new(path.to_str().unwrap().to_string(), false);
    let clone = datastore.clone();
    let results: Vec<Result<(), DatastoreError>> = vec![
        datastore.create_bucket(&bucket("b")),
        datastore.get_buckets().map(drop),
        datastore.get_events("b", None, None, None).map(drop),
        datastore
            .heartbeat("b", event("2024-01-01T00:00:00Z", 0.0, json!({})), 1.0)
            .map(drop),
        datastore.get_key_value("k").map(drop),
        datastore.force_commit(),
        clone.get_event_count("b", None, None).map(drop),
        clone.native().stream_events("b").map(drop),
    ];
    for result in results {
        let err = result.unwrap_err();
        assert!(matches!(err, DatastoreError::OpenFailed { .. }), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("The datastore could not be opened: "),
            "{err}"
        );
    }
    datastore.close();
    drop(datastore);
    // The last handle's drop stops the stand-in worker without hanging.
    drop(clone);
}
