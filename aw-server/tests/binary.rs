//! The `aw-server` binary: start-up errors exit non-zero with a clear message, and
//! SIGTERM shuts down gracefully with every acknowledged write on disk, and the
//! first start's log says what a new user needs (config, web UI, keys, URL).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a failure must fail the calling test"
)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use aw_datastore::native::Datastore;
use common::{server_command as command, wait_for_exit};

#[test]
fn bad_settings_exit_with_a_message() {
    let home = tempfile::tempdir().unwrap();
    let bad_config = home.path().join("bad.toml");
    std::fs::write(&bad_config, "port = \"x\"\n").unwrap();
    let bad_cors_config = home.path().join("cors.toml");
    std::fs::write(&bad_cors_config, "cors_regex = [\"(\"]\n").unwrap();
    let in_the_way = home.path().join("hostname");
    std::fs::write(&in_the_way, "a file").unwrap();
    let db_behind_file = in_the_way.join("db.sqlite");
    let no_index = home.path().join("no-index");
    std::fs::create_dir_all(&no_index).unwrap();
    let missing = home.path().join("missing");
    let db_error = format!(
        "cannot create the database directory {}: ",
        in_the_way.display()
    );
    let cases: [(Vec<&str>, i32, &str); 8] = [
        (
            vec!["--dbpath", db_behind_file.to_str().unwrap()],
            1,
            &db_error,
        ),
        (
            vec!["--webpath", no_index.to_str().unwrap()],
            1,
            "no index.html in it",
        ),
        (
            vec!["--webpath", missing.to_str().unwrap()],
            1,
            "not a directory",
        ),
        (
            vec!["--port", "70000"],
            1,
            "invalid value '70000' for --port",
        ),
        (
            vec!["--host", "example.com"],
            1,
            "invalid value 'example.com' for --host: 'example.com' is not an IP address",
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
    // Every start above left a log file; rotation keeps a bounded number.
    let logs = home.path().join("cache/activitywatch/log/aw-server-rust");
    let count = std::fs::read_dir(&logs).unwrap().count();
    assert!(
        count <= aw_server::logging::KEEP_LOG_FILES,
        "{count} log files"
    );
}

/// Starts the binary with `args`, reads stderr up to the "listening" line and
/// returns the child, the URL and the lines read (stderr keeps being drained).
fn start(home: &Path, args: &[&str]) -> (Child, String, Vec<String>) {
    let mut child = command(home)
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut lines = Vec::new();
    let mut url = None;
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        lines.push(line.trim_end().to_string());
        if let Some(rest) = line.split("aw-server listening on ").nth(1) {
            url = Some(rest.trim().to_string());
            break;
        }
        line.clear();
    }
    let url = url.unwrap_or_else(|| panic!("no listening line in {lines:#?}"));
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (child, url, lines)
}

fn stop(child: &mut Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait_for_exit(child).unwrap();
    assert!(status.is_some_and(|status| status.success()), "{status:?}");
}

#[test]
fn first_start_explains_itself_and_adopts_the_python_server() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, "prot = 5700\nallowed_hosts = [\"aw.lan\"]\n").unwrap();
    // What the Python aw-server left (debug builds run in testing mode).
    let python_data = home.path().join("data/activitywatch/aw-server");
    let python_config = home.path().join("config/activitywatch/aw-server");
    std::fs::create_dir_all(&python_data).unwrap();
    std::fs::create_dir_all(&python_config).unwrap();
    std::fs::write(python_data.join("device_id"), "python-device-id").unwrap();
    std::fs::write(
        python_config.join("settings-testing.json"),
        r#"{"theme": "dark", "startOfDay": "05:00"}"#,
    )
    .unwrap();
    let args = [
        "-c",
        config.to_str().unwrap(),
        "--host",
        "localhost",
        "--port",
        "0",
    ];
    let (mut child, url, lines) = start(home.path(), &args);
    let log = lines.join("\n");
    let expected = [
        format!("aw-server {}", aw_server::version::LONG_VERSION),
        format!("Using config file {}", config.display()),
        format!(
            "Config file {}: unknown key 'prot' ignored",
            config.display()
        ),
        String::from("No web UI: "),
        String::from("No API key set"),
        String::from("Extra accepted Host names: [\"aw.lan\"]"),
        String::from("[INFO][aw_server::endpoints]: aw-server listening on http://127.0.0.1:"),
    ];
    for text in expected {
        assert!(log.contains(&text), "{text:?} missing from\n{log}");
    }
    assert!(!log.contains('\u{1b}'), "colours on a pipe:\n{log}");
    assert!(!log.contains("Rocket has launched"), "{log}");
    assert!(
        log.contains("[WARN]"),
        "the unknown key is a warning:\n{log}"
    );

    let client = reqwest::blocking::Client::new();
    let info: serde_json::Value = client
        .get(format!("{url}/api/0/info"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(info["device_id"], "python-device-id");
    let settings: serde_json::Value = client
        .get(format!("{url}/api/0/settings"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        settings,
        serde_json::json!({"theme": "dark", "startOfDay": "05:00"})
    );
    let missing = client.get(format!("{url}/js/missing.js")).send().unwrap();
    assert_eq!(missing.status(), 404);
    stop(&mut child);

    // The second start keeps what the user changed meanwhile.
    std::fs::write(
        python_config.join("settings-testing.json"),
        r#"{"theme": "x"}"#,
    )
    .unwrap();
    let (mut child, url, _) = start(home.path(), &args);
    let theme: serde_json::Value = client
        .get(format!("{url}/api/0/settings/theme"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(theme, "dark");
    stop(&mut child);
    let log_dir = home.path().join("cache/activitywatch/log/aw-server-rust");
    for entry in std::fs::read_dir(log_dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("ERROR"), "{text}");
    }
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
