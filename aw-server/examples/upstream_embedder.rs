//! An app embedding the server in-process, written only against upstream
//! aw-server-rust's public names, the way aw-tauri starts its server: config,
//! directories, device id, `Datastore::new`, `ServerState`, `build_rocket`. Then
//! upstream's blocking client creates a bucket, sends heartbeats and reads them back.
//!
//! Only the dependency lines would differ in a program built against upstream
//! (plus `config.port = 0` here, and the liftoff fairing that reports the port
//! Rocket picked, both plain Rocket API). It uses the real per-user directories
//! (`XDG_*_HOME` on Linux) in testing mode: `config-testing.toml`,
//! `sqlite-testing.db`. `tests/embedder_example.rs` runs it in temporary ones.
//!
//! Run: `cargo run -p aw-server --example upstream_embedder`.

use std::error::Error;
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use aw_client_rust::blocking::AwClient;
use aw_client_rust::Event;
use aw_server::endpoints::{build_rocket, AssetResolver, ServerState};
use chrono::{DateTime, Utc};
use rocket::fairing::AdHoc;
use serde_json::Map;

/// The bucket the example writes, and how many heartbeats it sends.
pub const BUCKET_PREFIX: &str = "aw-embedder-example_";
const HEARTBEATS: i64 = 5;

fn main() -> ExitCode {
    match start() {
        Ok(bucket_id) => {
            println!("upstream_embedder: ok, {HEARTBEATS} heartbeats merged in {bucket_id}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("upstream_embedder: {err}");
            ExitCode::FAILURE
        }
    }
}

const TESTING: bool = true;

/// Sets up logging (once per process), then [`run`].
pub fn start() -> Result<String, Box<dyn Error>> {
    aw_server::logging::setup_logger("aw-server-rust", TESTING, false)?;
    run()
}

/// Starts the server, exercises it, stops it; returns the bucket id written.
pub fn run() -> Result<String, Box<dyn Error>> {
    let testing = TESTING;
    let mut aw_config = aw_server::config::create_config(testing, None);
    aw_config.port = 0;
    let db_path = aw_server::dirs::db_path(testing)
        .map_err(|()| "no data directory")?
        .to_str()
        .ok_or("the database path is not UTF-8")?
        .to_string();
    let device_id = aw_server::device_id::get_device_id();
    let server_state = ServerState {
        datastore: aw_datastore::Datastore::new(db_path, false),
        asset_resolver: AssetResolver::new(None),
        device_id: device_id.clone(),
    };

    let (sender, receiver) = mpsc::channel();
    let rocket = build_rocket(server_state, aw_config).attach(AdHoc::on_liftoff(
        "report the bound port",
        move |rocket| {
            Box::pin(async move {
                let _ = sender.send((rocket.config().port, rocket.shutdown()));
            })
        },
    ));
    // Rocket's error panics when dropped unread, so it is turned into text at once.
    let server = thread::spawn(move || {
        rocket::execute(rocket.launch())
            .map(drop)
            .map_err(|err| err.to_string())
    });
    let Ok((port, shutdown)) = receiver.recv_timeout(Duration::from_secs(60)) else {
        let reason = match server.join() {
            Ok(Err(err)) => err,
            _ => String::from("no liftoff within 60 s"),
        };
        return Err(format!("the server did not start: {reason}").into());
    };

    let result = exercise(port, &device_id);
    shutdown.notify();
    match server.join() {
        Ok(Ok(())) => result,
        Ok(Err(err)) => Err(format!("server error: {err}").into()),
        Err(_) => Err("the server thread panicked".into()),
    }
}

/// What a watcher does: a bucket, heartbeats that merge, and reading them back.
fn exercise(port: u16, device_id: &str) -> Result<String, Box<dyn Error>> {
    let client = AwClient::new("127.0.0.1", port, "aw-embedder-example")?;
    let info = client.get_info()?;
    check(
        info.device_id == device_id,
        "info reports another device id",
    )?;
    check(info.testing, "info does not report testing mode")?;

    let bucket_id = format!("{BUCKET_PREFIX}{}", client.hostname);
    if client.get_bucket(&bucket_id).is_ok() {
        client.delete_bucket(&bucket_id)?;
    }
    client.create_bucket_simple(&bucket_id, "currentwindow")?;
    check(client.get_bucket(&bucket_id)?.id == bucket_id, "bucket id")?;
    check(
        client.get_buckets()?.contains_key(&bucket_id),
        "bucket list",
    )?;

    let start: DateTime<Utc> = DateTime::parse_from_rfc3339("2024-05-01T10:00:00+00:00")?.into();
    let mut data = Map::new();
    data.insert("app".to_string(), "editor".into());
    for second in 0..HEARTBEATS {
        let event = Event {
            id: None,
            timestamp: start + chrono::Duration::seconds(second),
            duration: chrono::Duration::seconds(0),
            data: data.clone(),
        };
        client.heartbeat(&bucket_id, &event, 10.0)?;
    }

    let events = client.get_events(&bucket_id, None, None, None)?;
    check(
        events.len() == 1,
        "the heartbeats did not merge into one event",
    )?;
    let merged = events.first().ok_or("no event")?;
    check(merged.timestamp == start, "merged event start")?;
    check(
        merged.duration == chrono::Duration::seconds(HEARTBEATS - 1),
        "merged event duration",
    )?;
    check(merged.data == data, "merged event data")?;
    check(client.get_event_count(&bucket_id)? == 1, "event count")?;
    Ok(bucket_id)
}

fn check(condition: bool, what: &str) -> Result<(), Box<dyn Error>> {
    if condition {
        Ok(())
    } else {
        Err(format!("unexpected answer: {what}").into())
    }
}
