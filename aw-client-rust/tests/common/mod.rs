//! Helpers shared by the integration tests: a real aw-server per test (from
//! `aw_server::testkit`) and event builders.
#![allow(
    dead_code,
    reason = "each test crate uses a different subset of the helpers"
)]
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test helpers outside #[test] functions: a bad fixture must fail the test"
)]

pub mod cli;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tempfile::TempDir;

use aw_client_rust::{AwClient, Event, JsonMap};
use aw_server::testkit::{spawn_test_server, TestServer};

/// A running server and the directory holding its database. Field order matters:
/// the server stops before its directory is removed.
pub struct Server {
    pub server: TestServer,
    _dir: TempDir,
}

impl Server {
    pub fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let server = spawn_test_server(dir.path());
        Server { server, _dir: dir }
    }

    pub fn port(&self) -> u16 {
        self.server.addr.port()
    }

    /// An async client named `aw-client-test`.
    pub fn client(&self) -> AwClient {
        AwClient::new("127.0.0.1", self.port(), "aw-client-test").unwrap()
    }

    /// A blocking client named `aw-blocking-test`.
    pub fn blocking_client(&self) -> aw_client_rust::blocking::AwClient {
        aw_client_rust::blocking::AwClient::new("127.0.0.1", self.port(), "aw-blocking-test")
            .unwrap()
    }
}

/// Creates the buckets of docs/QUERY.md §9.F and inserts their events, in order.
pub async fn load_query_fixture(client: &AwClient) {
    for (bucket_id, events) in query_fixture() {
        client
            .create_bucket_simple(bucket_id, "test")
            .await
            .unwrap();
        client.insert_events(bucket_id, events).await.unwrap();
    }
}

/// A port on which nothing listens: the port of a server that was started and stopped.
pub fn dead_port() -> u16 {
    let server = Server::start();
    let port = server.port();
    drop(server);
    port
}

pub fn datetime(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// An unstored event from an RFC 3339 start, a duration in seconds and a JSON object.
pub fn event(timestamp: &str, seconds: f64, data: Value) -> Event {
    let data: JsonMap = serde_json::from_value(data).unwrap();
    Event::new(
        datetime(timestamp),
        aw_models::time::duration_from_secs(seconds),
        data,
    )
}

/// A docs/QUERY.md §9 example: the request's `query` and periods, and the response.
pub struct Golden {
    pub query: Vec<String>,
    pub periods: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    pub response: Value,
}

/// Reads `tests/data/query_<name>.json` (`"9_1"`, `"9_2"`, `"9_3"`).
pub fn golden(name: &str) -> Golden {
    let path = format!(
        "{}/tests/data/query_{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let golden: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let periods = golden["request"]["timeperiods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|period| {
            let (start, end) = period.as_str().unwrap().split_once('/').unwrap();
            (datetime(start), datetime(end))
        })
        .collect();
    Golden {
        query: serde_json::from_value(golden["request"]["query"].clone()).unwrap(),
        periods,
        response: golden["response"].clone(),
    }
}

/// The buckets of docs/QUERY.md §9.F, in creation order, each with its events.
pub fn query_fixture() -> Vec<(&'static str, Vec<Event>)> {
    use serde_json::json;
    let web = |url: &str, title: &str, audible: bool| json!({"url": url, "title": title, "audible": audible, "incognito": false, "tabCount": 3});
    vec![
        (
            "aw-watcher-window_myhost",
            vec![
                event(
                    "2026-08-22T10:00:00Z",
                    60.0,
                    json!({"app": "Firefox", "title": "GitHub - ActivityWatch"}),
                ),
                event(
                    "2026-08-22T10:01:02Z",
                    30.0,
                    json!({"app": "Terminal", "title": "vim main.rs"}),
                ),
                event(
                    "2026-08-22T10:01:32Z",
                    20.0,
                    json!({"app": "Slack", "title": "general"}),
                ),
                event(
                    "2026-08-22T10:05:00Z",
                    100.0,
                    json!({"app": "Firefox", "title": "YouTube"}),
                ),
                event(
                    "2026-08-23T09:00:00Z",
                    50.0,
                    json!({"app": "Terminal", "title": "vim main.rs"}),
                ),
            ],
        ),
        (
            "aw-watcher-afk_myhost",
            vec![
                event("2026-08-22T10:00:00Z", 200.0, json!({"status": "not-afk"})),
                event("2026-08-22T10:03:20Z", 1000.0, json!({"status": "afk"})),
                event("2026-08-23T09:00:00Z", 40.0, json!({"status": "not-afk"})),
            ],
        ),
        (
            "aw-watcher-web-firefox_myhost",
            vec![
                event(
                    "2026-08-22T10:00:00Z",
                    55.0,
                    web(
                        "https://github.com/ActivityWatch",
                        "GitHub - ActivityWatch",
                        false,
                    ),
                ),
                event(
                    "2026-08-22T10:05:00Z",
                    100.0,
                    web("https://www.youtube.com/watch?v=x", "YouTube", true),
                ),
            ],
        ),
    ]
}

/// A minimal HTTP/1.1 server that answers every request with `status` and `body`
/// (as JSON) and counts the TCP connections it accepts, to see whether clients
/// reuse kept-alive connections.
pub struct CountingServer {
    pub port: u16,
    pub connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl CountingServer {
    pub fn start(status: &'static str, body: &'static str) -> CountingServer {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&connections);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                counter.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || answer_requests(stream, status, body));
            }
        });
        CountingServer { port, connections }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Answers bodiless requests on one connection until the client closes it.
fn answer_requests(stream: std::net::TcpStream, status: &str, body: &str) {
    use std::io::{BufRead, BufReader, Write};

    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        // Read the request head up to the empty line.
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => {}
            }
        }
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}
