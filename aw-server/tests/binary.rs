//! The `aw-server` binary: start-up errors exit non-zero with a clear message, and
//! SIGTERM shuts down gracefully with every acknowledged write on disk.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use aw_datastore::Datastore;
use common::{server_command as command, wait_for_exit};

#[test]
fn bad_settings_exit_with_a_message() {
    let home = tempfile::tempdir().unwrap();
    let bad_config = home.path().join("bad.toml");
    std::fs::write(&bad_config, "port = \"x\"\n").unwrap();
    let bad_cors_config = home.path().join("cors.toml");
    std::fs::write(&bad_cors_config, "cors_regex = [\"(\"]\n").unwrap();
    let cases: [(Vec<&str>, i32, &str); 5] = [
        (
            vec!["--port", "70000"],
            1,
            "invalid value '70000' for --port",
        ),
        (
            vec!["--host", "localhost"],
            1,
            "invalid value 'localhost' for --host",
        ),
        (vec!["--custom-static", "nonsense"], 1, "--custom-static"),
        (
            vec!["-c", bad_config.to_str().unwrap()],
            1,
            "invalid config file",
        ),
        (vec!["--no-such-flag"], 2, "--no-such-flag"),
    ];
    for (args, code, message) in cases {
        let output = command(home.path()).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let output = command(home.path())
        .args(["-c", bad_cors_config.to_str().unwrap(), "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid CORS setting"));
}

#[test]
fn sigterm_shuts_down_gracefully_and_keeps_writes() {
    let home = tempfile::tempdir().unwrap();
    let db_path = home.path().join("db.sqlite");
    let mut child = command(home.path())
        .args(["--port", "0", "--dbpath", db_path.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut url = None;
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        if let Some(rest) = line.split("aw-server listening on ").nth(1) {
            url = Some(rest.trim().to_string());
            break;
        }
        line.clear();
    }
    let url = url.expect("the server logs its address");
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));

    let client = reqwest::blocking::Client::new();
    let res = client
        .post(format!("{url}/api/0/settings/written"))
        .json(&"before shutdown")
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    let info: serde_json::Value = client
        .get(format!("{url}/api/0/info"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let device_id = std::fs::read_to_string(
        home.path()
            .join("data/activitywatch/aw-server-rust/device_id"),
    )
    .unwrap();
    assert_eq!(info["device_id"], device_id.as_str());

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait_for_exit(&mut child).unwrap();
    assert!(status.is_some_and(|status| status.success()), "{status:?}");
    // A cleanly stopped database is one complete file: a user copying the file the
    // log names copies everything.
    for suffix in ["-wal", "-shm"] {
        let side = format!("{}{suffix}", db_path.display());
        assert!(!std::path::Path::new(&side).exists(), "{side} left behind");
    }

    let datastore = Datastore::open_file(&db_path).unwrap();
    assert_eq!(
        datastore.get_key_value("settings.written").unwrap(),
        "before shutdown"
    );
    assert!(
        home.path()
            .join("config/activitywatch/aw-server-rust")
            .read_dir()
            .unwrap()
            .count()
            == 1
    );
}
