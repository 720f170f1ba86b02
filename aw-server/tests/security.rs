//! CORS, the Host-header check, the API key and the `_method` override
//! (docs/API.md §1.1, §3.17, §7.6–§7.8, §9, §8 golden pairs).

mod common;

use aw_server::testkit::test_config;
use common::{status_and_text, Harness};
use reqwest::Method;
use serde_json::json;

const INVALID_HOST: &str = r#"{"message":"Host header is invalid"}"#;
const API_KEY_MESSAGE: &str =
    r#"{"message":"Missing or invalid API key. Set 'Authorization: Bearer <key>' header."}"#;

fn with_api_key(key: &str) -> Harness {
    let mut config = test_config();
    config.auth.api_key = Some(key.to_string());
    Harness::start_with(config)
}

#[test]
fn cors_simple_requests() {
    let harness = Harness::start();
    harness.create_bucket("keep");
    let own = format!("http://localhost:{}", harness.server.addr.port());
    let cases: [(&str, Option<&str>); 5] = [
        (&own, Some(own.as_str())),
        (
            "moz-extension://1234-abcd",
            Some("moz-extension://1234-abcd"),
        ),
        (
            "chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi",
            Some("chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi"),
        ),
        ("http://localhost:27180", Some("http://localhost:27180")),
        ("http://evil.com", None),
    ];
    for (origin, allowed) in cases {
        let res = harness
            .request(Method::GET, "/api/0/buckets/")
            .header("Origin", origin)
            .send()
            .unwrap();
        let header = res
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(header.as_deref(), allowed, "{origin}");
        assert_eq!(
            res.status(),
            if allowed.is_some() { 200 } else { 403 },
            "{origin}"
        );
    }
    // A refused origin never reaches the handler.
    let res = harness
        .request(Method::DELETE, "/api/0/buckets/keep")
        .header("Origin", "http://evil.com")
        .send()
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(harness.get("/api/0/buckets/keep").status(), 200);
    // Allowed origins also get the header on error answers.
    let res = harness
        .request(Method::GET, "/api/0/buckets/nob")
        .header("Origin", own.as_str())
        .send()
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["access-control-allow-origin"], own.as_str());
}

#[test]
fn cors_preflight() {
    let harness = Harness::start();
    let preflight = |origin: &str, method: Option<&str>| {
        let mut req = harness
            .request(Method::OPTIONS, "/api/0/buckets/x")
            .header("Origin", origin);
        if let Some(method) = method {
            req = req.header("Access-Control-Request-Method", method);
        }
        req.header("Access-Control-Request-Headers", "Content-Type, X-Custom")
            .send()
            .unwrap()
    };
    let ok = preflight("moz-extension://abc", Some("POST"));
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "moz-extension://abc"
    );
    let mut methods: Vec<&str> = ok.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .split(", ")
        .collect();
    methods.sort();
    assert_eq!(methods, ["DELETE", "GET", "POST"]);
    assert_eq!(
        ok.headers()["access-control-allow-headers"],
        "Content-Type, X-Custom"
    );
    assert_eq!(ok.text().unwrap(), "");
    assert_eq!(preflight("moz-extension://abc", None).status(), 400);
    assert_eq!(preflight("moz-extension://abc", Some("PUT")).status(), 403);
    assert_eq!(preflight("http://evil.com", Some("GET")).status(), 403);
    assert_eq!(preflight("null", Some("GET")).status(), 403);
}

#[test]
fn cors_config_is_anchored() {
    let mut config = test_config();
    config.cors = vec!["https://exact.example".into()];
    config.cors_regex = vec![r"https://.*\.trusted\.org".into()];
    let harness = Harness::start_with(config);
    let cases = [
        ("https://exact.example", 200),
        ("https://a.trusted.org", 200),
        ("https://a.trusted.org.evil.com", 403),
        ("xmoz-extension://abc", 403),
    ];
    for (origin, status) in cases {
        let res = harness
            .request(Method::GET, "/api/0/info")
            .header("Origin", origin)
            .send()
            .unwrap();
        assert_eq!(res.status(), status, "{origin}");
    }
}

#[test]
fn allowed_hosts_admit_a_reverse_proxy_name_only() {
    let mut config = test_config();
    config.allowed_hosts = vec![String::from("aw.example.com")];
    let harness = Harness::start_with(config);
    let cases = [
        ("aw.example.com", 200),
        ("AW.example.com:443", 200),
        ("localhost:5600", 200),
        ("example.com", 400),
        ("aw.example.com.evil.com", 400),
    ];
    for (host, status) in cases {
        let raw = harness.raw(&format!(
            "GET /api/0/info HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(raw.status, status, "{host}");
        if status == 200 {
            assert!(raw.body.contains("\"device_id\""), "{host}: {}", raw.body);
        } else {
            assert_eq!(raw.body, INVALID_HOST, "{host}");
        }
    }
}

#[test]
fn host_header_check() {
    let harness = Harness::start();
    let port = harness.server.addr.port();
    let cases: [(&str, u16); 10] = [
        ("evil.com", 400),
        ("LOCALHOST:5600", 400),
        ("localhost.evil.com", 400),
        // Userinfo forms: Rocket would parse these as `localhost`; upstream refuses them.
        ("evil.com@localhost", 400),
        ("a:b@localhost", 400),
        ("evil.com@localhost:5600", 400),
        ("@127.0.0.1", 400),
        ("localhost", 200),
        ("127.0.0.1:9999", 200),
        ("[::1]:5600", 200),
    ];
    for (host, status) in cases {
        let raw = harness.raw(&format!(
            "GET /api/0/info HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(raw.status, status, "{host}");
        if status == 400 {
            assert_eq!(raw.body, INVALID_HOST, "{host}");
        }
    }
    let head =
        harness.raw("HEAD /api/0/info HTTP/1.1\r\nHost: evil.com\r\nConnection: close\r\n\r\n");
    assert_eq!((head.status, head.body.as_str()), (400, ""));
    assert!(
        head.head
            .contains(&format!("content-length: {}", INVALID_HOST.len())),
        "{}",
        head.head
    );
    let no_host = harness.raw("GET /api/0/info HTTP/1.0\r\n\r\n");
    assert_eq!((no_host.status, no_host.body.as_str()), (400, INVALID_HOST));
    // A bad Host wins over a CORS refusal; OPTIONS and static files are checked too.
    for request in [
        format!("GET /api/0/info HTTP/1.1\r\nHost: evil.com:{port}\r\nOrigin: http://evil.com\r\nConnection: close\r\n\r\n"),
        "OPTIONS /api/0/info HTTP/1.1\r\nHost: evil.com\r\nConnection: close\r\n\r\n".to_string(),
        "GET / HTTP/1.1\r\nHost: evil.com\r\nConnection: close\r\n\r\n".to_string(),
    ] {
        let raw = harness.raw(&request);
        assert_eq!((raw.status, raw.body.as_str()), (400, INVALID_HOST), "{request}");
    }
}

#[test]
fn host_check_is_off_for_non_loopback_addresses() {
    let mut config = test_config();
    config.address = "0.0.0.0".parse().unwrap();
    let harness = Harness::start_with(config);
    let port = harness.server.addr.port();
    let raw = common::raw_request(
        ([127, 0, 0, 1], port).into(),
        "GET /api/0/info HTTP/1.0\r\n\r\n",
    );
    assert_eq!(raw.status, 200);
}

#[test]
fn api_key_golden_pairs() {
    let harness = with_api_key("secret123");
    let get = |path: &str, auth: Option<&str>| {
        let mut req = harness.request(Method::GET, path);
        if let Some(auth) = auth {
            req = req.header("Authorization", auth);
        }
        status_and_text(req.send().unwrap())
    };
    let refused = (401, API_KEY_MESSAGE.to_string());
    for auth in [
        None,
        Some("Bearer wrongkey"),
        Some("Basic secret123"),
        Some("bearer secret123"),
    ] {
        assert_eq!(get("/api/0/buckets/", auth), refused, "{auth:?}");
    }
    for path in ["//api/0/buckets/", "/api//0/buckets/", "/api/%30/buckets/"] {
        assert_eq!(get(path, None), refused, "{path}");
    }
    assert_eq!(
        get("/api/0/buckets/", Some("Bearer secret123")),
        (200, "{}".into())
    );
    assert_eq!(get("/api/0/info", None).0, 200);
    assert_eq!(get("/", None).0, 200);
    let preflight = harness
        .request(Method::OPTIONS, "/api/0/buckets/")
        .send()
        .unwrap();
    assert_eq!(preflight.status(), 200);
}

#[test]
fn api_key_percent_encoding_bypass_is_closed() {
    let harness = with_api_key("secret123");
    let port = harness.server.addr.port();
    for path in ["/%61pi/0/buckets/", "/%61%70%69/0/buckets/"] {
        let raw = harness.raw(&format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(
            (raw.status, raw.body.as_str()),
            (401, API_KEY_MESSAGE),
            "{path}"
        );
    }
    let body = json!({"type": "t", "client": "c", "hostname": "h"}).to_string();
    let create = harness.raw(&format!(
        "POST /%61pi/0/buckets/x HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    assert_eq!(create.status, 401);
    let created = harness
        .client
        .get(harness.url("/api/0/buckets/x"))
        .bearer_auth("secret123")
        .send()
        .unwrap();
    assert_eq!(created.status(), 404, "the bucket was not created");
    let list = harness
        .client
        .get(harness.url("/api/0/buckets/"))
        .bearer_auth("secret123")
        .send()
        .unwrap();
    assert_eq!(list.text().unwrap(), "{}");
}

#[test]
fn empty_api_key_disables_auth() {
    let harness = with_api_key("");
    assert_eq!(harness.get("/api/0/buckets/").status(), 200);
}

#[test]
fn method_override_is_not_honoured() {
    let harness = Harness::start();
    harness.create_bucket("x");
    let res = harness.post_raw(
        "/api/0/buckets/x",
        "application/x-www-form-urlencoded",
        "_method=delete",
    );
    assert_eq!(res.status(), 404);
    assert_eq!(harness.get("/api/0/buckets/x").status(), 200);
}

#[test]
fn security_headers_are_present() {
    let harness = Harness::start();
    let res = harness.get("/api/0/info");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["x-frame-options"], "SAMEORIGIN");
    assert_eq!(res.headers()["server"], "Rocket");
}
