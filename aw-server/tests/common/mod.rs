//! Shared harness for the HTTP tests: a real server on an ephemeral port (via
//! `aw_server::testkit`), a blocking reqwest client, and a raw-socket helper for
//! requests reqwest will not send (no Host header, odd methods).
#![allow(dead_code, reason = "each test binary uses a different subset")]
#![allow(
    clippy::unwrap_used,
    reason = "test harness: a failed request must fail the calling test"
)]

pub mod sync;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use aw_server::config::Config;
use aw_server::testkit::{spawn_test_server_with, test_config, TestServer};
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::Value;
use tempfile::TempDir;

/// A running server and a client for it. Field order: the server stops before the
/// temp dir is removed.
pub struct Harness {
    pub server: TestServer,
    pub client: Client,
    pub dir: TempDir,
}

impl Harness {
    pub fn start() -> Harness {
        Harness::start_with(test_config())
    }

    pub fn start_with(config: Config) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let server = spawn_test_server_with(dir.path(), config);
        Harness {
            server,
            client: Client::new(),
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    pub fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().unwrap()
    }

    pub fn delete(&self, path: &str) -> Response {
        self.client.delete(self.url(path)).send().unwrap()
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).json(body).send().unwrap()
    }

    /// POST with an explicit content type and raw body.
    pub fn post_raw(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        self.client
            .post(self.url(path))
            .header("Content-Type", content_type)
            .body(body.into())
            .send()
            .unwrap()
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// Creates bucket `id` (type "type", client "client", hostname "hostname").
    pub fn create_bucket(&self, id: &str) {
        let res = self.post_json(
            &format!("/api/0/buckets/{id}"),
            &serde_json::json!({"type": "type", "client": "client", "hostname": "hostname"}),
        );
        assert_eq!(res.status(), 200, "creating {id}");
    }

    /// Inserts events (JSON values) into `bucket` and returns the answer.
    pub fn insert(&self, bucket: &str, events: Value) -> Value {
        let res = self.post_json(&format!("/api/0/buckets/{bucket}/events"), &events);
        assert_eq!(res.status(), 200);
        res.json().unwrap()
    }

    pub fn raw(&self, request: &str) -> RawResponse {
        raw_request(self.server.addr, request)
    }
}

/// An event as JSON: `timestamp`, `duration` seconds, `data`.
pub fn event(timestamp: &str, duration: f64, data: Value) -> Value {
    serde_json::json!({"timestamp": timestamp, "duration": duration, "data": data})
}

/// Status and body text of a response, for table-driven assertions.
pub fn status_and_text(res: Response) -> (u16, String) {
    let status = res.status().as_u16();
    (status, res.text().unwrap())
}

pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// Sends `request` verbatim (use `Connection: close`) and reads the whole answer.
pub fn raw_request(addr: SocketAddr, request: &str) -> RawResponse {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    // A server that answers before reading the whole body may reset the connection
    // after its answer; what arrived before the reset is the answer.
    if let Err(err) = stream.read_to_end(&mut bytes) {
        assert!(!bytes.is_empty(), "no answer: {err}");
    }
    let answer = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    RawResponse {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}
