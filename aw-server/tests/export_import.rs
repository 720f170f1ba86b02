//! Export and import over HTTP (docs/API.md §3.12–§3.14, §4.4, §8 golden pairs).

mod common;

use common::{event, json_answer, status_and_text, Harness};
use reqwest::blocking::multipart::{Form, Part};
use serde_json::{json, Value};

fn export_doc(bucket_id: &str, events: Value) -> Value {
    json!({"buckets": {"ignored-key": {
        "id": bucket_id, "type": "t", "client": "c", "hostname": "h", "events": events,
    }}})
}

#[test]
fn export_headers_and_file_names() {
    let harness = Harness::start();
    let empty = harness.get("/api/0/export");
    assert_eq!(
        empty.headers()["content-disposition"],
        "attachment; filename=aw-buckets-export.json"
    );
    assert!(empty.headers().get("content-type").is_none());
    assert_eq!(empty.text().unwrap(), r#"{"buckets":{}}"#);

    harness.create_bucket("one");
    harness.insert(
        "one",
        json!([
            event("2020-01-01T00:00:00Z", 1.0, json!({"a": 1})),
            event("2020-01-01T00:01:00Z", 1.0, json!({}))
        ]),
    );
    let single = harness.get("/api/0/export");
    assert_eq!(
        single.headers()["content-disposition"],
        "attachment; filename=aw-bucket-export_one.json"
    );
    let doc: Value = single.json().unwrap();
    let events = doc["buckets"]["one"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0]["timestamp"], "2020-01-01T00:01:00Z",
        "newest first"
    );

    harness.create_bucket("two");
    let all = harness.get("/api/0/export");
    assert_eq!(
        all.headers()["content-disposition"],
        "attachment; filename=aw-buckets-export.json"
    );
    let per_bucket = harness.get("/api/0/buckets/two/export");
    assert_eq!(
        per_bucket.headers()["content-disposition"],
        "attachment; filename=aw-bucket-export_two.json"
    );
    assert!(per_bucket.headers().get("content-type").is_none());
    assert_eq!(
        per_bucket.json::<Value>().unwrap()["buckets"]["two"]["events"],
        json!([])
    );
    assert_eq!(harness.get("/api/0/buckets/nob/export").status(), 404);
}

/// A bucket id may hold control characters; they cannot go into a header, so the file
/// name gets `_` there (found by schemathesis: the connection used to close unanswered).
#[test]
fn export_file_name_of_an_id_with_control_characters() {
    let harness = Harness::start();
    let id = "a\u{6}b\nc\td\u{7f}é";
    let path = "a%06b%0Ac%09d%7F%C3%A9";
    harness.create_bucket(path);
    for url in [
        format!("/api/0/buckets/{path}/export"),
        "/api/0/export".to_string(),
    ] {
        let res = harness.get(&url);
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(
            res.headers()["content-disposition"].as_bytes(),
            "attachment; filename=aw-bucket-export_a_b_c_d_é.json".as_bytes(),
            "{url}"
        );
        let doc: Value = res.json().unwrap();
        assert_eq!(doc["buckets"][id]["id"], id, "{url}: the id itself is kept");
    }
}

#[test]
fn export_then_import_into_fresh_server_is_identical() {
    let source = Harness::start();
    source.create_bucket("a");
    source.create_bucket("b");
    source.insert(
        "a",
        json!([event(
            "2020-01-01T00:00:00.123456789Z",
            1.5,
            json!({"x": [1, 2], "y": null})
        )]),
    );
    source.insert(
        "b",
        json!([
            event("2021-01-01T00:00:00Z", 0.0, json!({})),
            event("2021-01-02T00:00:00Z", 60.0, json!({"k": "v"}))
        ]),
    );
    let exported = source.get("/api/0/export").text().unwrap();

    let target = Harness::start();
    assert_eq!(
        status_and_text(target.post_raw("/api/0/import", "application/json", exported.clone())),
        (200, String::new())
    );
    assert_eq!(target.get("/api/0/export").text().unwrap(), exported);
    // Importing the same file again is idempotent (merge with de-duplication).
    assert_eq!(
        target
            .post_raw("/api/0/import", "application/json", exported.clone())
            .status(),
        200
    );
    assert_eq!(target.get("/api/0/export").text().unwrap(), exported);
}

#[test]
fn import_merges_by_identity_golden_pair() {
    let harness = Harness::start();
    let steps = [
        event("2000-01-01T00:00:00Z", 1.0, json!({})),
        event("2000-01-02T00:00:00Z", 1.0, json!({})),
        event("2000-01-01T00:00:00Z", 1.0, json!({})),
        event("2000-01-01T00:00:30Z", 30.0, json!({})),
    ];
    for step in steps {
        let res = harness.post_json("/api/0/import", &export_doc("id1", json!([step])));
        assert_eq!(res.status(), 200);
    }
    assert_eq!(
        harness
            .get("/api/0/buckets/id1/events/count")
            .text()
            .unwrap(),
        "3"
    );
    assert_eq!(
        harness.get("/api/0/buckets/ignored-key").status(),
        404,
        "the map key is ignored"
    );
}

#[test]
fn multipart_import() {
    let harness = Harness::start();
    let doc = export_doc("mp", json!([event("2020-01-01T00:00:00Z", 1.0, json!({}))])).to_string();
    let form = Form::new().text("other", "ignored").part(
        "buckets.json",
        Part::text(doc).file_name("aw-buckets-export.json"),
    );
    let res = harness
        .client
        .post(harness.url("/api/0/import"))
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        harness
            .get("/api/0/buckets/mp/events/count")
            .text()
            .unwrap(),
        "1"
    );

    let body = "--a\r\nContent-Disposition: form-data; name=\"buckets\"\r\n\r\n{\"buckets\":{}}\r\n--a--\r\n";
    assert_eq!(
        harness
            .post_raw("/api/0/import", "multipart/form-data; boundary=a", body)
            .status(),
        200
    );
    let cases: [(&str, &str, u16); 4] = [
        (
            "multipart/form-data; boundary=a",
            "--a\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--a--\r\n",
            422,
        ),
        (
            "multipart/form-data; boundary=a",
            "--a\r\nContent-Disposition: form-data; name=\"buckets\"\r\n\r\n{}\r\n--a--\r\n",
            422,
        ),
        ("multipart/form-data; boundary=a", "garbage", 422),
        ("multipart/form-data", "--a--\r\n", 400),
    ];
    for (content_type, body, expected) in cases {
        assert_eq!(
            harness
                .post_raw("/api/0/import", content_type, body)
                .status(),
            expected,
            "{body}"
        );
    }
}

#[test]
fn bad_imports_change_nothing() {
    let harness = Harness::start();
    let cases: [(&str, u16); 5] = [
        ("{}", 422),
        (r#"{"buckets":{"a":{"type":"t","client":"c"}}}"#, 422),
        (
            r#"{"buckets":{"a":{"id":"a","type":"t","client":"c","hostname":"h","events":[{"timestamp":"2000-01-01T00:00:00Z" "data":{}}]}}}"#,
            400,
        ),
        (
            r#"{"buckets":{"a":{"id":"a","type":"t","client":"c","hostname":"h","events":[{"timestamp":"2000-01-01T00:00:00Z","data":{}}"#,
            400,
        ),
        ("", 400),
    ];
    for (body, expected) in cases {
        let started = std::time::Instant::now();
        assert_eq!(
            harness
                .post_raw("/api/0/import", "application/json", body)
                .status(),
            expected,
            "{body}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
    assert_eq!(
        harness
            .post_raw("/api/0/import", "text/plain", "{\"buckets\":{}}")
            .status(),
        404
    );
    // Invalid events inside are dropped one by one; the rest lands.
    let doc = export_doc(
        "partial",
        json!([{"bad": 1}, null, event("2000-01-01T00:00:00Z", 1.0, json!({}))]),
    );
    assert_eq!(harness.post_json("/api/0/import", &doc).status(), 200);
    assert_eq!(
        harness
            .get("/api/0/buckets/partial/events/count")
            .text()
            .unwrap(),
        "1"
    );
    assert_eq!(harness.get("/api/0/buckets/a").status(), 404);
}

#[test]
fn body_limits_give_413() {
    let mut config = aw_server::testkit::test_config();
    config.limits.json = 1024;
    config.limits.import = 4096;
    let harness = Harness::start_with(config);
    harness.create_bucket("b");
    let big_data = json!({"title": "x".repeat(2000)});
    let events = json!([event("2020-01-01T00:00:00Z", 1.0, big_data.clone())]);
    assert_eq!(
        harness
            .post_json("/api/0/buckets/b/events", &events)
            .status(),
        413
    );
    assert_eq!(
        harness.post_json("/api/0/settings/k", &big_data).status(),
        413
    );
    // The import limit is separate: 2 kB imports fine, 8 kB does not.
    let doc = export_doc("imp", events.clone()).to_string();
    assert!(doc.len() > 1024 && doc.len() < 4096);
    assert_eq!(
        harness
            .post_raw("/api/0/import", "application/json", doc.clone())
            .status(),
        200
    );
    let huge = export_doc(
        "huge",
        json!([event(
            "2020-01-01T00:00:00Z",
            1.0,
            json!({"t": "y".repeat(8000)})
        )]),
    )
    .to_string();
    assert_eq!(
        harness
            .post_raw("/api/0/import", "application/json", huge.clone())
            .status(),
        413
    );
    // Raw socket: the server may answer 413 before reading the whole body, which
    // reqwest reports as a send error rather than a response.
    let body = format!(
        "--a\r\nContent-Disposition: form-data; name=\"buckets\"\r\n\r\n{huge}\r\n--a--\r\n"
    );
    let port = harness.server.addr.port();
    let raw = harness.raw(&format!(
        "POST /api/0/import HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: multipart/form-data; boundary=a\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    assert_eq!(raw.status, 413);
    assert_eq!(harness.get("/api/0/buckets/huge").status(), 404);
}

#[test]
fn large_exports_stream_every_event() {
    let harness = Harness::start();
    let tricky_data = json!({"events": null, "last_updated": "x"});
    let body = json!({"type": "t", "client": "c", "hostname": "h", "data": tricky_data});
    assert_eq!(harness.post_json("/api/0/buckets/big", &body).status(), 200);
    harness.create_bucket("small");
    let padding = "p".repeat(100);
    for batch in 0..6 {
        let events: Vec<Value> = (0..500)
            .map(|i| {
                let second = batch * 500 + i;
                let ts = format!(
                    "2020-01-01T{:02}:{:02}:{:02}Z",
                    second / 3600,
                    second / 60 % 60,
                    second % 60
                );
                event(&ts, 1.0, json!({"i": second, "pad": padding}))
            })
            .collect();
        harness.insert("big", Value::Array(events));
    }
    harness.insert(
        "small",
        json!([event("2020-01-01T00:00:00Z", 1.0, json!({}))]),
    );
    let res = harness.get("/api/0/export");
    assert_eq!(res.status(), 200);
    let text = res.text().unwrap();
    assert!(text.len() > 300_000, "{}", text.len());
    let doc: Value = serde_json::from_str(&text).unwrap();
    let exported = doc["buckets"]["big"]["events"].as_array().unwrap();
    assert_eq!(exported.len(), 3000);
    let listed: Value = harness.get("/api/0/buckets/big/events").json().unwrap();
    assert_eq!(exported, listed.as_array().unwrap());
    assert_eq!(doc["buckets"]["big"]["data"], tricky_data);
    assert_eq!(doc["buckets"]["big"]["last_updated"], Value::Null);
    assert_eq!(
        doc["buckets"]["small"]["events"].as_array().unwrap().len(),
        1
    );
    let keys: Vec<&String> = doc["buckets"]["big"].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 9);
}

/// Insert, export and import share one nesting limit for event data: the deepest data
/// an insert accepts survives the export → import round trip (it used to be refused
/// on import with 400), and one level more is refused by all three.
#[test]
fn deepest_accepted_data_round_trips() {
    let nested = |lists: usize| -> Value {
        let text = format!("{}1{}", "[".repeat(lists), "]".repeat(lists));
        serde_json::from_str(&text).unwrap()
    };
    let deepest = aw_models::MAX_DATA_DEPTH - 1;
    let source = Harness::start();
    source.create_bucket("deep");
    source.insert(
        "deep",
        json!([event(
            "2020-01-01T00:00:00Z",
            1.0,
            json!({"k": nested(deepest)})
        )]),
    );
    let too_deep = json!([event(
        "2020-01-01T00:00:00Z",
        1.0,
        json!({"k": nested(deepest + 1)})
    )]);
    assert_eq!(
        source
            .post_json("/api/0/buckets/deep/events", &too_deep)
            .status(),
        422
    );
    let exported = source.get("/api/0/export").text().unwrap();
    let target = Harness::start();
    assert_eq!(
        status_and_text(target.post_raw("/api/0/import", "application/json", exported.clone())),
        (200, String::new())
    );
    assert_eq!(target.get("/api/0/export").text().unwrap(), exported);
    let events: Value = target.get("/api/0/buckets/deep/events").json().unwrap();
    assert_eq!(events[0]["data"]["k"], nested(deepest));
    // An import carrying one level more drops that event, as any invalid event is.
    let doc = export_doc("deeper", too_deep);
    assert_eq!(target.post_json("/api/0/import", &doc).status(), 200);
    let events: Value = target.get("/api/0/buckets/deeper/events").json().unwrap();
    assert_eq!(events, json!([]));
}

/// The body is parsed while it arrives, in chunks: a document many chunks long lands
/// whole, with equal data in any key order stored once in its canonical form, and the
/// limit is exact (a document of exactly `limit` bytes passes, one byte more does not).
#[test]
fn imports_are_parsed_as_they_arrive_and_the_limit_is_exact() {
    let mut config = aw_server::testkit::test_config();
    config.limits.import = 8 * 1024 * 1024;
    // Parsed as it arrives: only the first 64 kB are read before the parser starts.
    config.limits.import_in_memory = 64 * 1024;
    let harness = Harness::start_with(config);
    let events: Vec<Value> = (0..40_000)
        .map(|i| {
            let data = if i % 2 == 0 {
                r#"{"title":"t","app":"a"}"#.to_string()
            } else {
                format!(r#"{{ "app" : "a", "title": "t", "n": {} }}"#, i % 7)
            };
            let ts = format!(
                "2020-01-01T{:02}:{:02}:{:02}Z",
                i / 3600,
                i / 60 % 60,
                i % 60
            );
            format!(r#"{{"timestamp":"{ts}","duration":1,"data":{data}}}"#)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|text| serde_json::from_str(&text).unwrap())
        .collect();
    let doc = export_doc("streamed", Value::Array(events)).to_string();
    assert!(doc.len() > 2 * 1024 * 1024, "{}", doc.len());
    let res = harness.post_raw("/api/0/import", "application/json", doc);
    assert_eq!(res.status(), 200);
    let listed: Value = harness
        .get("/api/0/buckets/streamed/events")
        .json()
        .unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 40_000);
    assert_eq!(
        listed[0]["data"],
        json!({"app": "a", "n": 39_999 % 7, "title": "t"})
    );
    assert_eq!(listed[1]["data"], json!({"app": "a", "title": "t"}));

    for in_memory in [0, 1000, 4096, 8192] {
        exact_limit(in_memory);
    }
}

/// A 4096-byte limit, with bodies up to `in_memory` bytes parsed from memory.
fn exact_limit(in_memory: u64) {
    let mut config = aw_server::testkit::test_config();
    config.limits.import = 4096;
    config.limits.import_in_memory = in_memory;
    let harness = Harness::start_with(config);
    let doc = export_doc(
        "exact",
        json!([event("2020-01-01T00:00:00Z", 1.0, json!({}))]),
    )
    .to_string();
    let exact = format!("{doc:<4096}");
    assert_eq!(exact.len(), 4096);
    let res = harness.post_raw("/api/0/import", "application/json", exact.clone());
    assert_eq!(res.status(), 200);
    let over = format!("{} ", exact.replace("exact", "over1"));
    let (status, text) =
        status_and_text(harness.post_raw("/api/0/import", "application/json", over));
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("\"message\""), "{text}");
    assert_eq!(harness.get("/api/0/buckets/over1").status(), 404);
}

/// An import is stored bucket by bucket while it is read, still all or nothing: when a
/// later bucket fails (an id past 2^53), the earlier ones are not there either; a
/// repeated bucket key (read whole instead) keeps the later bucket, as before.
#[test]
fn imports_read_bucket_by_bucket_stay_all_or_nothing() {
    let harness = Harness::start();
    let bucket = |id: &str, events: Value| json!({"id": id, "type": "t", "client": "c", "hostname": "h", "events": events});
    let fine = json!([event("2000-01-01T00:00:00Z", 1.0, json!({"a": 1}))]);
    let too_big = json!([{"id": 1_i64 << 60, "timestamp": "2000-01-01T00:00:00Z", "data": {}}]);
    let failing = json!({"buckets": {"a": bucket("a", fine.clone()), "b": bucket("b", too_big)}});
    let (status, _, answer) = json_answer(harness.post_json("/api/0/import", &failing));
    assert_eq!(status, 400, "{answer}");
    for id in ["a", "b"] {
        assert_eq!(
            harness.get(&format!("/api/0/buckets/{id}")).status(),
            404,
            "{id}"
        );
    }
    let repeated = r#"{"buckets":{"k":{"id":"first","type":"t","client":"c","hostname":"h"},
        "k":{"id":"second","type":"t","client":"c","hostname":"h"}}}"#;
    assert_eq!(
        harness
            .post_raw("/api/0/import", "application/json", repeated)
            .status(),
        200
    );
    assert_eq!(harness.get("/api/0/buckets/first").status(), 404);
    assert_eq!(harness.get("/api/0/buckets/second").status(), 200);
    let doc = json!({"buckets": {"b": bucket("b", fine.clone()), "a": bucket("a", fine)}});
    assert_eq!(harness.post_json("/api/0/import", &doc).status(), 200);
    for id in ["a", "b"] {
        let count = harness.get(&format!("/api/0/buckets/{id}/events/count"));
        assert_eq!(count.text().unwrap(), "1", "{id}");
    }
}
