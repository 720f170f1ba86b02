//! Settings over HTTP (docs/API.md §3.16, §8 golden pairs).

mod common;

use common::{status_and_text, Harness};
use serde_json::{json, Value};

#[test]
fn settings_golden_pairs() {
    let harness = Harness::start();
    assert_eq!(
        status_and_text(harness.get("/api/0/settings")),
        (200, "{}".into())
    );
    assert_eq!(
        status_and_text(harness.get("/api/0/settings/non_existent_key")),
        (200, "null".into())
    );
    let res = harness.post_json("/api/0/settings/test_key", &json!("test_value"));
    assert_eq!(res.status(), 201);
    assert_eq!(res.text().unwrap(), "");
    assert_eq!(
        harness
            .post_json("/api/0/settings/test_key_2", &json!("test_value"))
            .status(),
        201
    );
    let all: Value = harness.get("/api/0/settings/").json().unwrap();
    assert_eq!(
        all,
        json!({"test_key": "test_value", "test_key_2": "test_value"})
    );
    assert_eq!(
        status_and_text(harness.get("/api/0/settings/test_key")),
        (200, r#""test_value""#.into())
    );
    assert_eq!(
        status_and_text(harness.delete("/api/0/settings/test_key")),
        (200, String::new())
    );
    assert_eq!(harness.delete("/api/0/settings/test_key").status(), 200);
    assert_eq!(
        harness.get("/api/0/settings/test_key").text().unwrap(),
        "null"
    );
}

#[test]
fn values_of_any_type_and_odd_keys() {
    let harness = Harness::start();
    let cases = [
        ("theme", r#""dark""#),
        ("n", "12"),
        ("has space", r#"{"a":[1,2.5,null],"b":true}"#),
        ("sl%2Fash.dot", "[]"),
        ("null", "null"),
    ];
    for (key, value) in cases {
        let res = harness.post_raw(&format!("/api/0/settings/{key}"), "application/json", value);
        assert_eq!(res.status(), 201, "{key}");
        assert_eq!(
            harness
                .get(&format!("/api/0/settings/{key}"))
                .text()
                .unwrap(),
            value,
            "{key}"
        );
    }
    let all: Value = harness.get("/api/0/settings").json().unwrap();
    assert_eq!(all["sl/ash.dot"], json!([]));
    assert_eq!(all["has space"]["b"], true);
}

#[test]
fn too_long_keys_and_bad_bodies() {
    let harness = Harness::start();
    let too_long = [("a".repeat(128)), "%C3%A9".repeat(64)];
    for key in too_long {
        let path = format!("/api/0/settings/{key}");
        let expected = (400, r#"{"message":"Too long key"}"#.to_string());
        assert_eq!(
            status_and_text(harness.post_json(&path, &json!(1))),
            expected
        );
        assert_eq!(status_and_text(harness.get(&path)), expected);
        assert_eq!(status_and_text(harness.delete(&path)), expected);
    }
    assert_eq!(
        harness
            .post_json(&format!("/api/0/settings/{}", "a".repeat(127)), &json!(1))
            .status(),
        201
    );
    assert_eq!(
        harness
            .post_raw("/api/0/settings/k", "application/json", "")
            .status(),
        400
    );
    assert_eq!(
        harness
            .post_raw("/api/0/settings/k", "application/json", "{")
            .status(),
        400
    );
    assert_eq!(
        harness
            .post_raw("/api/0/settings/k", "text/plain", "1")
            .status(),
        404
    );
}
