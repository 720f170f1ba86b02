//! The OpenAPI document (`GET /api/0/openapi.json`) against the real route table:
//! every mounted `/api/0` route (method, path, path and query parameters, body
//! media types) is documented and nothing else is; every `$ref` resolves; every
//! error response is the `{"message": …}` schema; the server serves the document.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use aw_datastore::native::Datastore;
use aw_datastore::{DatastoreConfig, Storage};
use aw_server::endpoints::build_server;
use aw_server::endpoints::openapi::OPENAPI_JSON;
use aw_server::testkit::test_config;
use common::Harness;
use serde_json::Value;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// What one operation takes: path parameters, query parameters, body media types.
#[derive(Debug, Default, PartialEq, Eq)]
struct Shape {
    path_params: BTreeSet<String>,
    query_params: BTreeSet<String>,
    body_types: BTreeSet<String>,
}

fn document() -> Value {
    serde_json::from_str(OPENAPI_JSON).expect("openapi.json is valid JSON")
}

/// Rocket's `/a/<x>/<y..>` as OpenAPI's `/a/{x}/{y}`, with the parameter names.
fn openapi_path(rocket_path: &str) -> (String, BTreeSet<String>) {
    let mut params = BTreeSet::new();
    let segments: Vec<String> = rocket_path
        .split('/')
        .map(|segment| match segment.strip_prefix('<') {
            Some(rest) => {
                let name = rest.trim_end_matches('>').trim_end_matches("..");
                params.insert(name.to_string());
                format!("{{{name}}}")
            }
            None => segment.to_string(),
        })
        .collect();
    (segments.join("/"), params)
}

/// Every `/api/0` operation the built server mounts.
fn mounted_operations() -> BTreeMap<(String, String), Shape> {
    let dir = tempfile::tempdir().unwrap();
    let datastore = Datastore::open(DatastoreConfig {
        storage: Storage::File(dir.path().join("routes.db")),
        legacy_import: None,
        backup: None,
    })
    .unwrap();
    let rocket = build_server(&test_config(), datastore).unwrap();
    let mut found: BTreeMap<(String, String), Shape> = BTreeMap::new();
    for route in rocket.routes() {
        let path = route.uri.path().to_string();
        if !path.starts_with("/api/0/") {
            continue;
        }
        let (path, path_params) = openapi_path(&path);
        let shape = found
            .entry((route.method.as_str().to_ascii_lowercase(), path))
            .or_default();
        shape.path_params = path_params;
        if let Some(query) = route.uri.query() {
            for param in query.split('&') {
                let name = param.trim_start_matches('<').trim_end_matches('>');
                shape.query_params.insert(name.to_string());
            }
        }
        if let Some(format) = &route.format {
            shape.body_types.insert(format.to_string());
        }
    }
    found
}

/// Every operation of the document, with its parameters and body media types.
fn documented_operations(doc: &Value) -> BTreeMap<(String, String), Shape> {
    let mut found = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let shared = item["parameters"].as_array().cloned().unwrap_or_default();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let mut shape = Shape::default();
            let own = op["parameters"].as_array().cloned().unwrap_or_default();
            for param in shared.iter().chain(own.iter()) {
                let param = resolve(doc, param);
                let name = param["name"].as_str().unwrap().to_string();
                match param["in"].as_str().unwrap() {
                    "path" => shape.path_params.insert(name),
                    "query" => shape.query_params.insert(name),
                    other => panic!("{method} {path}: unexpected parameter location {other}"),
                };
            }
            if let Some(content) = op["requestBody"]["content"].as_object() {
                shape.body_types = content.keys().cloned().collect();
            }
            found.insert((method.to_string(), path.clone()), shape);
        }
    }
    found
}

/// Follows a local `$ref`, if `value` is one.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(reference) => {
            lookup(doc, reference).unwrap_or_else(|| panic!("$ref {reference} does not resolve"))
        }
        None => value,
    }
}

fn lookup<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item) {
                    ("$ref", Value::String(reference)) => refs.push(reference.clone()),
                    _ => collect_refs(item, refs),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, refs)),
        _ => {}
    }
}

#[test]
fn every_mounted_route_is_documented_and_nothing_else() {
    let mounted = mounted_operations();
    let documented = documented_operations(&document());
    assert!(mounted.len() >= 20, "only {} routes found", mounted.len());
    let missing: Vec<_> = mounted
        .keys()
        .filter(|k| !documented.contains_key(*k))
        .collect();
    let extra: Vec<_> = documented
        .keys()
        .filter(|k| !mounted.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "routes missing from openapi.json: {missing:?}"
    );
    assert!(extra.is_empty(), "documented but not mounted: {extra:?}");
    for (key, shape) in &mounted {
        assert_eq!(
            &documented[key], shape,
            "{key:?}: parameters or body types differ"
        );
    }
}

#[test]
fn document_is_openapi_3_and_every_ref_resolves() {
    let doc = document();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 50, "only {} $refs", refs.len());
    let broken: Vec<_> = refs.iter().filter(|r| lookup(&doc, r).is_none()).collect();
    assert!(broken.is_empty(), "unresolved $refs: {broken:?}");
    let mut ids = BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                let id = op["operationId"].as_str().unwrap();
                assert!(ids.insert(id.to_string()), "operationId {id} twice");
            }
        }
    }
}

#[test]
fn every_error_response_is_the_message_schema() {
    let doc = document();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            for (status, response) in op["responses"].as_object().unwrap() {
                if !(status.starts_with('4') || status.starts_with('5')) {
                    continue;
                }
                let response = resolve(&doc, response);
                let schema = &response["content"]["application/json"]["schema"];
                assert_eq!(
                    schema["$ref"], "#/components/schemas/Message",
                    "{method} {path} {status}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} error responses");
    let message = &doc["components"]["schemas"]["Message"];
    assert_eq!(message["required"], serde_json::json!(["message"]));
    assert_eq!(message["properties"]["message"]["type"], "string");
}

#[test]
fn server_serves_the_document() {
    let harness = Harness::start();
    let res = harness.get("/api/0/openapi.json");
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert_eq!(content_type, "application/json");
    let served: Value = res.json().unwrap();
    assert_eq!(served, document());
    assert!(served["paths"]["/api/0/buckets/{bucket_id}/heartbeat"]["post"].is_object());
}
