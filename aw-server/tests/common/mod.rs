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

/// Status, content type and parsed JSON body of a response (fails on a non-JSON body).
pub fn json_answer(res: Response) -> (u16, String, Value) {
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = res.text().unwrap();
    let body = serde_json::from_str(&text)
        .map_err(|err| format!("not JSON ({err}): {text}"))
        .unwrap();
    (status, content_type, body)
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

/// The `aw-server` binary with its home, config, data and cache folders under `home`.
pub fn server_command(home: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_aw-server"));
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("LOG_LEVEL");
    command
}

/// Waits up to 20 s for the process to exit; kills it and answers `None` if it is
/// still running then.
pub fn wait_for_exit(
    child: &mut std::process::Child,
) -> std::io::Result<Option<std::process::ExitStatus>> {
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(20) {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill()?;
    Ok(None)
}

/// A server process and the URL it logged; killed when dropped, so a failing test
/// leaves no server behind.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub url: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Starts the binary with `args` (add `--port 0`) and waits for its "listening" log
/// line; its stderr is drained afterwards. `Err` with everything it printed if it
/// exited instead.
pub fn spawn_server_process(
    home: &std::path::Path,
    args: &[&str],
) -> Result<ServerProcess, String> {
    use std::io::BufRead;
    let mut child = server_command(home)
        .args(args)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap_or(0) > 0 {
        if let Some(rest) = line.split("aw-server listening on ").nth(1) {
            let url = rest.trim().to_string();
            std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
            return Ok(ServerProcess { child, url });
        }
        seen.push_str(&line);
        line.clear();
    }
    let _ = child.wait();
    Err(seen)
}

/// The number in environment variable `name` (a test's size or seed), or `default`.
pub fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}
