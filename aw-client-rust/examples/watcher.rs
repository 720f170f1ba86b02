//! A minimal watcher: one bucket, a heartbeat a second, consecutive equal heartbeats
//! merged by the server into one growing event. Run it against a server with
//! `cargo run -p aw-client-rust --example watcher -- --port 5666 --count 10`.
//!
//! `tests/watcher_example.rs` compiles this file and runs [`run`] against a real server.

use std::thread;
use std::time::Duration;

use aw_client_rust::blocking::AwClient;
use aw_client_rust::{Event, JsonMap};
use chrono::{TimeDelta, Utc};

/// What the watcher reports, and how often.
pub struct Options {
    /// Server host (`127.0.0.1`).
    pub host: String,
    /// Server port (5600; 5666 for a `--testing` server).
    pub port: u16,
    /// Heartbeats to send before stopping; `None` runs until killed.
    pub count: Option<u64>,
    /// Time between heartbeats.
    pub interval: Duration,
}

/// Creates the watcher's bucket and sends heartbeats; returns the bucket id.
pub fn run(options: &Options) -> Result<String, aw_client_rust::Error> {
    // `new` sends the local server's API key, if it has one, for a loopback host.
    let client = AwClient::new(&options.host, options.port, "aw-watcher-example")?;
    client.wait_for_start()?;
    let bucket_id = format!("aw-watcher-example_{}", client.hostname);
    // Creating a bucket that exists is fine: the server answers 304.
    client.create_bucket_simple(&bucket_id, "example")?;
    let mut sent = 0;
    while options.count.is_none_or(|count| sent < count) {
        let mut data = JsonMap::new();
        data.insert("status".to_string(), "running".into());
        let event = Event::new(Utc::now(), TimeDelta::zero(), data);
        // A pulsetime longer than the interval merges this heartbeat into the last one.
        let pulsetime = options.interval.as_secs_f64() + 1.0;
        client.heartbeat(&bucket_id, &event, pulsetime)?;
        sent += 1;
        thread::sleep(options.interval);
    }
    Ok(bucket_id)
}

#[allow(dead_code, reason = "the test compiles this file but calls `run`")]
fn main() {
    let mut options = Options {
        host: "127.0.0.1".to_string(),
        port: 5600,
        count: None,
        interval: Duration::from_secs(1),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match (flag.as_str(), value.parse::<u64>()) {
            ("--host", _) => options.host = value,
            ("--port", Ok(port)) => options.port = u16::try_from(port).unwrap_or(5600),
            ("--count", Ok(count)) => options.count = Some(count),
            _ => {
                eprintln!("usage: watcher [--host H] [--port P] [--count N]");
                std::process::exit(2);
            }
        }
    }
    if let Err(err) = run(&options) {
        eprintln!("aw-watcher-example: {err}");
        std::process::exit(1);
    }
}
