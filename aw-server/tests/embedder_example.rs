//! Runs `examples/upstream_embedder.rs` (compiled into this test) in temporary
//! per-user directories, then checks what it left behind: the files upstream's
//! functions create, and heartbeats that survived the shutdown.
//!
//! The only test in this binary, because it points `XDG_*_HOME` (process-wide) at a
//! temporary directory before anything reads them.
#![cfg(target_os = "linux")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

#[expect(dead_code, reason = "the example's main is not called here")]
#[path = "../examples/upstream_embedder.rs"]
mod example;

use std::fs;
use std::path::Path;

#[test]
fn upstream_style_embedder_runs_against_our_server() {
    let home = tempfile::tempdir().unwrap();
    for (var, sub) in [
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
    ] {
        std::env::set_var(var, home.path().join(sub));
    }

    let bucket_id = example::start().unwrap();
    assert!(bucket_id.starts_with(example::BUCKET_PREFIX), "{bucket_id}");

    let server_dir = |base: &str| home.path().join(base).join("activitywatch/aw-server-rust");
    let config_file = server_dir("config").join("config-testing.toml");
    assert!(fs::read_to_string(&config_file)
        .unwrap()
        .starts_with("### DEFAULT SETTINGS ###"));
    let device_id = fs::read_to_string(server_dir("data").join("device_id")).unwrap();
    assert_eq!(aw_server::device_id::get_device_id(), device_id);
    assert_eq!(device_id.len(), 36, "{device_id}");

    let db_path = aw_server::dirs::db_path(true).unwrap();
    assert_eq!(db_path, server_dir("data").join("sqlite-testing.db"));
    assert_eq!(
        aw_server::dirs::db_path(false).unwrap(),
        server_dir("data").join("sqlite.db")
    );
    let log_dir = aw_server::dirs::get_log_dir("aw-server-rust").unwrap();
    assert_eq!(
        log_dir,
        home.path().join("cache/activitywatch/log/aw-server-rust")
    );
    assert!(log_files(&log_dir)
        .iter()
        .any(|name| name.starts_with("aw-server-rust-testing_")));
    assert_eq!(
        aw_server::dirs::get_config_dir().unwrap(),
        server_dir("config")
    );
    assert!(aw_server::dirs::get_cache_dir().unwrap().is_dir());

    // The server has stopped: its acknowledged heartbeats are in the file.
    let datastore = aw_datastore::Datastore::new(db_path.to_str().unwrap().to_string(), false);
    let events = datastore.get_events(&bucket_id, None, None, None).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].duration.num_seconds(), 4);

    // A second run (logging is set up once per process) finds the bucket left
    // behind, replaces it, and passes again.
    drop(datastore);
    assert_eq!(example::run().unwrap(), bucket_id);
}

fn log_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
        .collect()
}
