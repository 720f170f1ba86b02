//! Buckets and info over HTTP (docs/API.md §3.1–§3.5, §8 golden pairs 1–5).

mod common;

use common::{status_and_text, Harness};
use serde_json::{json, Value};

#[test]
fn info_reports_identity() {
    let harness = Harness::start();
    let info: Value = harness.get("/api/0/info").json().unwrap();
    assert_eq!(info["device_id"], "test-device-id");
    assert_eq!(info["testing"], true);
    // Upstream's form; what aw-webui compares with ActivityWatch's latest release is
    // the part before `+`, the upstream release line we implement.
    assert_eq!(
        info["version"],
        format!("v0.14.0+ours.{} (rust)", env!("CARGO_PKG_VERSION"))
    );
    assert!(info["hostname"]
        .as_str()
        .is_some_and(|name| !name.is_empty()));
    let keys: Vec<&String> = info.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4);
}

#[test]
fn bucket_lifecycle_golden_pairs() {
    let harness = Harness::start();
    assert_eq!(
        status_and_text(harness.get("/api/0/buckets/")),
        (200, "{}".into())
    );
    assert_eq!(
        status_and_text(harness.get("/api/0/buckets/id")),
        (
            404,
            r#"{"message":"The requested bucket 'id' does not exist"}"#.into()
        )
    );
    let body = json!({"id": "other", "type": "type", "client": "client", "hostname": "hostname"});
    assert_eq!(
        status_and_text(harness.post_json("/api/0/buckets/id", &body)),
        (200, String::new())
    );
    // Existing bucket: 304, nothing on the wire.
    assert_eq!(
        status_and_text(harness.post_json("/api/0/buckets/id", &body)),
        (304, String::new())
    );

    let bucket: Value = harness.get("/api/0/buckets/id").json().unwrap();
    assert_eq!(bucket["id"], "id", "the path id wins");
    assert_eq!(bucket["type"], "type");
    assert_eq!(bucket["data"], json!({}));
    assert_eq!(bucket["metadata"], json!({"start": null, "end": null}));
    assert_eq!(bucket["events"], Value::Null);
    assert!(bucket["created"].as_str().unwrap().ends_with('Z'));
    let text = harness.get("/api/0/buckets/id").text().unwrap();
    assert!(
        text.starts_with(
            r#"{"id":"id","type":"type","client":"client","hostname":"hostname","created":""#
        ),
        "{text}"
    );

    let list: Value = harness.get("/api/0/buckets").json().unwrap();
    assert_eq!(list.as_object().unwrap().keys().collect::<Vec<_>>(), ["id"]);

    assert_eq!(
        status_and_text(harness.delete("/api/0/buckets/id?force=1")),
        (200, String::new())
    );
    assert_eq!(harness.delete("/api/0/buckets/id").status(), 404);
    assert_eq!(
        status_and_text(harness.get("/api/0/buckets/")),
        (200, "{}".into())
    );
}

#[test]
fn local_hostname_becomes_this_host_with_device_id() {
    let harness = Harness::start();
    let body = json!({"type": "web.tab.current", "client": "aw-watcher-web", "hostname": "!local", "data": {"device_id": "x", "k": 1}});
    assert_eq!(harness.post_json("/api/0/buckets/web", &body).status(), 200);
    let info: Value = harness.get("/api/0/info").json().unwrap();
    let bucket: Value = harness.get("/api/0/buckets/web").json().unwrap();
    assert_eq!(bucket["hostname"], info["hostname"]);
    assert_eq!(
        bucket["data"],
        json!({"device_id": "test-device-id", "k": 1})
    );
}

#[test]
fn create_with_events_created_and_last_updated() {
    let harness = Harness::start();
    let body = json!({
        "type": "t", "client": "c", "hostname": "h",
        "created": "2020-01-01T01:00:00+01:00", "last_updated": "2020-01-02T00:00:00Z",
        "events": [common::event("2020-01-01T00:00:00Z", 1.0, json!({})), {"bad": 1}],
    });
    assert_eq!(harness.post_json("/api/0/buckets/b", &body).status(), 200);
    let bucket: Value = harness.get("/api/0/buckets/b").json().unwrap();
    assert_eq!(bucket["created"], "2020-01-01T00:00:00Z");
    assert_eq!(bucket["last_updated"], "2020-01-02T00:00:00Z");
    let count: Value = harness.get("/api/0/buckets/b/events/count").json().unwrap();
    assert_eq!(count, 1);
}

#[test]
fn bad_bodies_and_content_types() {
    let harness = Harness::start();
    let cases: [(&str, &str, u16); 9] = [
        ("application/json", r#"{"type":"t","client":"c"}"#, 422),
        (
            "application/json",
            r#"{"type":"t","client":"c","hostname":1}"#,
            422,
        ),
        (
            "application/json",
            r#"{"type":"t","client":"c","hostname":"h","data":null}"#,
            422,
        ),
        (
            "application/json",
            r#"{"type":"t","client":"c","hostname":"h","created":"yesterday"}"#,
            422,
        ),
        ("application/json", r#"{"type":"t","#, 400),
        ("application/json", "", 400),
        (
            "text/plain",
            r#"{"type":"t","client":"c","hostname":"h"}"#,
            404,
        ),
        (
            "application/vnd.api+json",
            r#"{"type":"t","client":"c","hostname":"h"}"#,
            404,
        ),
        (
            "Application/JSON; charset=utf-8",
            r#"{"type":"t","client":"c","hostname":"h"}"#,
            200,
        ),
    ];
    for (content_type, body, expected) in cases {
        let res = harness.post_raw("/api/0/buckets/x", content_type, body);
        assert_eq!(res.status(), expected, "{content_type} {body}");
    }
    // A nested syntax error in the events array is a quick 400, not upstream's hang.
    let truncated = r#"{"type":"t","client":"c","hostname":"h","events":[{"timestamp":"2020-01-01T00:00:00Z" "data":{}}]}"#;
    let started = std::time::Instant::now();
    assert_eq!(
        harness
            .post_raw("/api/0/buckets/y", "application/json", truncated)
            .status(),
        400
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(harness.get("/api/0/buckets/y").status(), 404);
}

#[test]
fn paths_slashes_methods_and_head() {
    let harness = Harness::start();
    harness.create_bucket("has space");
    harness.create_bucket("sl%2Fash");
    let list: Value = harness.get("//api//0/buckets").json().unwrap();
    let mut ids: Vec<&String> = list.as_object().unwrap().keys().collect();
    ids.sort();
    assert_eq!(ids, ["has space", "sl/ash"]);
    assert_eq!(harness.get("/api/0/buckets/has%20space/").status(), 200);
    assert_eq!(harness.get("/API/0/info").status(), 404);
    assert_eq!(
        harness
            .request(reqwest::Method::PUT, "/api/0/buckets/x")
            .send()
            .unwrap()
            .status(),
        404
    );
    let head = harness
        .request(reqwest::Method::HEAD, "/api/0/buckets/")
        .send()
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        harness
            .get("/api/0/buckets/")
            .text()
            .unwrap()
            .len()
            .to_string()
    );
    assert_eq!(head.text().unwrap(), "");
    let options = harness
        .request(reqwest::Method::OPTIONS, "/no/such/path")
        .send()
        .unwrap();
    assert_eq!(status_and_text(options), (200, String::new()));
}

#[test]
fn keep_alive_serves_several_requests_per_connection() {
    use std::io::{BufRead, BufReader, Read, Write};
    let harness = Harness::start();
    let port = harness.server.addr.port();
    let stream = std::net::TcpStream::connect(harness.server.addr).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    for _ in 0..3 {
        write!(
            writer,
            "GET /api/0/buckets/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        )
        .unwrap();
        let mut status_line = String::new();
        reader.read_line(&mut status_line).unwrap();
        assert!(status_line.starts_with("HTTP/1.1 200"), "{status_line}");
        let mut content_length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            if header == "\r\n" {
                break;
            }
            if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                content_length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body).unwrap();
        assert_eq!(body, b"{}");
    }
}

#[test]
fn testkit_servers_get_their_own_ephemeral_ports() {
    let first = Harness::start();
    let second = Harness::start();
    assert_ne!(first.server.addr.port(), 0);
    assert_ne!(first.server.addr, second.server.addr);
    first.create_bucket("only-in-first");
    assert_eq!(second.get("/api/0/buckets/").text().unwrap(), "{}");
    assert_eq!(
        first.server.url(),
        format!("http://127.0.0.1:{}", first.server.addr.port())
    );
    // Dropping a server closes its database: a new server on the same directory sees the data.
    let dir = first.dir;
    drop(first.server);
    let reopened = aw_server::testkit::spawn_test_server(dir.path());
    let list = reqwest::blocking::get(format!("{}/api/0/buckets/", reopened.url()))
        .unwrap()
        .text()
        .unwrap();
    assert!(list.contains("only-in-first"), "{list}");
}
