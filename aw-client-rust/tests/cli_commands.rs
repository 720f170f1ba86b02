//! The `aw-client` binary against a real server: the table output of every
//! command byte for byte (golden), `--json`, CSV escaping, settings, bucket
//! deletion, API keys, help texts, and the error messages and exit codes.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "fixture helpers outside #[test] functions: a bad fixture must fail the test"
)]

mod common;

use serde_json::{json, Value};

use aw_client_rust::{Bucket, BucketMetadata, JsonMap};
use common::cli::{aw_client, command, run};
use common::{datetime, dead_port, event, query_fixture, Server};

/// A server holding the buckets of docs/QUERY.md §9.F with fixed attributes.
fn fixture_server() -> Server {
    let server = Server::start();
    let client = server.blocking_client();
    for (bucket_id, events) in query_fixture() {
        let bucket_type = bucket_id
            .split('_')
            .next()
            .unwrap()
            .replace("aw-watcher-", "");
        client
            .create_bucket(&bucket(bucket_id, &bucket_type))
            .unwrap();
        client.insert_events(bucket_id, events).unwrap();
    }
    server
}

fn bucket(id: &str, bucket_type: &str) -> Bucket {
    Bucket {
        id: id.to_string(),
        bucket_type: bucket_type.to_string(),
        client: String::from("fixture"),
        hostname: String::from("myhost"),
        created: Some(datetime("2026-08-22T09:00:00Z")),
        data: JsonMap::new(),
        metadata: BucketMetadata::default(),
        events: None,
        last_updated: None,
    }
}

#[test]
fn table_outputs_are_golden() {
    let server = fixture_server();
    let period = ["--start", "2026-08-22", "--stop", "2026-08-24"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["buckets"],
            "\
ID                             TYPE         CLIENT   HOSTNAME  CREATED
aw-watcher-afk_myhost          afk          fixture  myhost    2026-08-22 09:00:00
aw-watcher-web-firefox_myhost  web-firefox  fixture  myhost    2026-08-22 09:00:00
aw-watcher-window_myhost       window       fixture  myhost    2026-08-22 09:00:00
",
        ),
        (
            vec![
                "events",
                "aw-watcher-window_myhost",
                "--limit",
                "3",
                "--timezone",
                "+02:00",
            ],
            "\
ID  TIMESTAMP            DURATION  DATA
5   2026-08-23 11:00:00  0:00:50   {\"app\":\"Terminal\",\"title\":\"vim main.rs\"}
4   2026-08-22 12:05:00  0:01:40   {\"app\":\"Firefox\",\"title\":\"YouTube\"}
3   2026-08-22 12:01:32  0:00:20   {\"app\":\"Slack\",\"title\":\"general\"}
",
        ),
        (
            [vec!["report", "myhost", "--limit", "2"], period.to_vec()].concat(),
            "\
Activity of myhost from 2026-08-22 00:00:00 to 2026-08-24 00:00:00

Top 2 categories (of 3)
DURATION  CATEGORY
0:01:11   Work > Programming
0:01:01   Work > Programming > ActivityWatch

Top 2 titles (of 3)
DURATION  APP       TITLE
0:01:11   Terminal  vim main.rs
0:01:01   Firefox   GitHub - ActivityWatch

Total active time: 0:02:32
",
        ),
        (
            [vec!["canonical", "myhost"], period.to_vec()].concat(),
            "\
Showing the last 4 of 4 events:
TIMESTAMP            DURATION  CATEGORY                            APP       TITLE
2026-08-23 09:00:00  0:00:40   Work > Programming                  Terminal  vim main.rs
2026-08-22 10:01:32  0:00:20   Comms > IM                          Slack     general
2026-08-22 10:01:01  0:00:31   Work > Programming                  Terminal  vim main.rs
2026-08-22 10:00:00  0:01:01   Work > Programming > ActivityWatch  Firefox   GitHub - ActivityWatch
Total duration: 0:02:32
",
        ),
        (
            [vec!["query", "QUERY_FILE"], period.to_vec()].concat(),
            "\
Showing 3 of 3 events:
DURATION  DATA
0:16:40   {\"status\":\"afk\"}
0:03:20   {\"status\":\"not-afk\"}
0:00:40   {\"status\":\"not-afk\"}
Total duration: 0:20:40
",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let query_file = dir.path().join("q.txt");
    std::fs::write(
        &query_file,
        "events = query_bucket(\"aw-watcher-afk_myhost\");\nRETURN = sort_by_duration(events);",
    )
    .unwrap();
    let query_path = query_file.display().to_string();
    for (args, expected) in cases {
        let args: Vec<&str> = args
            .iter()
            .map(|arg| {
                if *arg == "QUERY_FILE" {
                    query_path.as_str()
                } else {
                    arg
                }
            })
            .collect();
        let run = aw_client(server.port(), &args);
        assert_eq!(run.ok(), expected, "{args:?}");
        assert_eq!(run.stderr, "", "{args:?}");
    }
}

#[test]
fn json_outputs_are_the_servers_values() {
    let server = fixture_server();
    let buckets: Value =
        serde_json::from_str(aw_client(server.port(), &["buckets", "--json"]).ok()).unwrap();
    assert_eq!(buckets["aw-watcher-afk_myhost"]["type"], "afk");
    let events: Value = serde_json::from_str(
        aw_client(
            server.port(),
            &["events", "aw-watcher-afk_myhost", "--json"],
        )
        .ok(),
    )
    .unwrap();
    assert_eq!(
        events,
        json!([
            {"id": 8, "timestamp": "2026-08-23T09:00:00Z", "duration": 40.0, "data": {"status": "not-afk"}},
            {"id": 7, "timestamp": "2026-08-22T10:03:20Z", "duration": 1000.0, "data": {"status": "afk"}},
            {"id": 6, "timestamp": "2026-08-22T10:00:00Z", "duration": 200.0, "data": {"status": "not-afk"}},
        ])
    );
    let period = [
        "--start",
        "2026-08-22T00:00:00Z",
        "--stop",
        "2026-08-24T00:00:00Z",
        "--json",
    ];
    let report: Value = serde_json::from_str(
        aw_client(
            server.port(),
            &[&["report", "myhost"], &period[..]].concat(),
        )
        .ok(),
    )
    .unwrap();
    assert_eq!(report[0]["window"]["duration"], json!(152.0));
}

#[test]
fn csv_escapes_quotes_commas_newlines_and_formulas() {
    let server = Server::start();
    let client = server.blocking_client();
    client.create_bucket(&bucket("csv", "test")).unwrap();
    let events = vec![
        event(
            "2024-01-01T00:00:00Z",
            1.5,
            json!({"title": "a, \"quoted\"\ntitle", "app": "=HYPERLINK(\"x\")"}),
        ),
        event(
            "2024-01-01T00:00:02Z",
            2.0,
            json!({"app": "vim", "n": 3, "id": "data id", "tags": ["a", "b"]}),
        ),
    ];
    client.insert_events("csv", events).unwrap();
    let run = aw_client(server.port(), &["events", "csv", "--format", "csv"]);
    assert_eq!(
        run.ok(),
        "id,timestamp,duration,app,data.id,n,tags,title\r\n\
         2,2024-01-01T00:00:02Z,2,vim,data id,3,\"[\"\"a\"\",\"\"b\"\"]\",\r\n\
         1,2024-01-01T00:00:00Z,1.5,\"'=HYPERLINK(\"\"x\"\")\",,,,\"a, \"\"quoted\"\"\ntitle\"\r\n"
    );
}

#[test]
fn heartbeat_settings_and_delete_bucket() {
    let server = Server::start();
    let port = server.port();
    let client = server.blocking_client();
    client.create_bucket(&bucket("hb", "test")).unwrap();
    let stored: Value = serde_json::from_str(
        aw_client(port, &["heartbeat", "hb", r#"{"label": "x"}"#, "--json"]).ok(),
    )
    .unwrap();
    assert_eq!(stored["data"], json!({"label": "x"}));
    aw_client(
        port,
        &["heartbeat", "hb", r#"{"label": "x"}"#, "--pulsetime", "60"],
    )
    .ok();
    assert_eq!(
        client.get_event_count("hb").unwrap(),
        1,
        "the second heartbeat merged"
    );
    let bad = aw_client(port, &["heartbeat", "hb", "[1]"]);
    assert!(bad.fails(2).contains("DATA must be a JSON object"));

    aw_client(port, &["settings", "set", "theme", "dark"]).ok();
    aw_client(port, &["settings", "set", "count", "5"]).ok();
    assert_eq!(
        aw_client(port, &["settings", "get", "theme"]).ok(),
        "\"dark\"\n"
    );
    let all: Value = serde_json::from_str(aw_client(port, &["settings", "get"]).ok()).unwrap();
    assert_eq!(all, json!({"count": 5, "theme": "dark"}));
    aw_client(port, &["settings", "delete", "theme"]).ok();
    assert_eq!(client.get_setting("theme").unwrap(), Value::Null);

    let refused = aw_client(port, &["delete-bucket", "hb"]);
    assert!(refused.fails(2).contains("pass --yes"));
    assert_eq!(
        aw_client(port, &["delete-bucket", "hb", "--yes"]).ok(),
        "Deleted bucket 'hb' (1 events).\n"
    );
    assert!(client.get_buckets().unwrap().is_empty());
}

#[test]
fn errors_are_one_line_with_an_exit_code() {
    let server = Server::start();
    let port = server.port();
    let cases: Vec<(u16, Vec<&str>, i32, &str)> = vec![
        (
            port,
            vec!["events", "nope"],
            5,
            "aw-client: error: no bucket 'nope' on the server (list them with `aw-client buckets`)",
        ),
        (
            port,
            vec!["delete-bucket", "nope", "--yes"],
            5,
            "aw-client: error: no bucket 'nope'",
        ),
        (
            port,
            vec!["events", "nope", "--start", "yesterday"],
            2,
            "aw-client: error: cannot read the time 'yesterday'",
        ),
        (
            port,
            vec!["query", "/nonexistent/q.txt"],
            1,
            "aw-client: error: /nonexistent/q.txt: No such file",
        ),
        (
            port,
            vec!["buckets", "--timezone", "Mars/Olympus"],
            2,
            "aw-client: error: unknown time zone 'Mars/Olympus'",
        ),
    ];
    for (port, args, code, start) in cases {
        let run = aw_client(port, &args);
        let line = run.fails(code);
        assert!(line.starts_with(start), "{args:?}: {line}");
    }
    // No server: the message names the address and suggests the testing port.
    let dead = dead_port();
    let home = tempfile::tempdir().unwrap();
    let mut no_server = command(home.path(), &["--host", "127.0.0.1", "buckets"]);
    no_server.arg("--port").arg(dead.to_string());
    let line = run(no_server, None).fails(3).to_string();
    assert_eq!(
        line,
        format!(
            "aw-client: error: no ActivityWatch server at 127.0.0.1:{dead}: is aw-server running?"
        )
    );
    // A usage error from the parser itself.
    let run = aw_client(port, &["events"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("BUCKET_ID"), "{}", run.stderr);
}

#[test]
fn api_keys_from_the_flag_the_environment_and_the_local_config() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = aw_server::testkit::test_config();
    config.auth.api_key = Some(String::from("secret123"));
    let server = aw_server::testkit::spawn_test_server_with(dir.path(), config);
    let port = server.addr.port().to_string();
    let home = tempfile::tempdir().unwrap();
    let base = ["--port", port.as_str(), "buckets"];

    let line = run(command(home.path(), &base), None).fails(4).to_string();
    assert!(
        line.contains("requires an API key: pass --api-key or set AW_API_KEY"),
        "{line}"
    );
    let wrong = [&base[..], &["--api-key", "wrong"]].concat();
    assert!(run(command(home.path(), &wrong), None)
        .fails(4)
        .contains("refused the API key"));
    let right = [&base[..], &["--api-key", "secret123"]].concat();
    run(command(home.path(), &right), None).ok();
    let mut from_env = command(home.path(), &base);
    from_env.env("AW_API_KEY", "secret123");
    run(from_env, None).ok();

    // The key of the local server's config.toml, for a loopback host and its port.
    let server_dir = home.path().join("activitywatch/aw-server-rust");
    std::fs::create_dir_all(&server_dir).unwrap();
    std::fs::write(
        server_dir.join("config.toml"),
        format!("port = {port}\n[auth]\napi_key = \"secret123\"\n"),
    )
    .unwrap();
    run(command(home.path(), &base), None).ok();
    let other_port = [&["--host", "localhost"][..], &base[..]].concat();
    run(command(home.path(), &other_port), None).ok();
}

#[test]
fn privacy_apply_redacts_what_is_already_stored() {
    let server = Server::start();
    let port = server.port();
    let client = server.blocking_client();
    client
        .create_bucket(&bucket("aw-watcher-window_h", "currentwindow"))
        .unwrap();
    client
        .insert_events(
            "aw-watcher-window_h",
            vec![
                event(
                    "2024-05-01T10:00:00Z",
                    5.0,
                    json!({"title": "My Bank - Login"}),
                ),
                event("2024-05-01T10:01:00Z", 5.0, json!({"title": "Editor"})),
            ],
        )
        .unwrap();
    let rules = r#"[{"enabled": true, "bucket_prefix": "aw-watcher-window", "field": "title",
        "pattern": "Bank", "action": "redact", "replacement": "[private]"}]"#;
    aw_client(port, &["settings", "set", "privacy_filters", rules]).ok();
    let dry: Value =
        serde_json::from_str(aw_client(port, &["privacy-apply", "--dry-run"]).ok()).unwrap();
    assert_eq!(
        dry["buckets"]["aw-watcher-window_h"]["redacted"], 1,
        "{dry}"
    );
    let titles = |client: &aw_client_rust::blocking::AwClient| -> Vec<Value> {
        let events = client
            .get_events("aw-watcher-window_h", None, None, None)
            .unwrap();
        events.iter().map(|e| e.data["title"].clone()).collect()
    };
    assert!(
        titles(&client).contains(&json!("My Bank - Login")),
        "a dry run writes nothing"
    );
    let done: Value = serde_json::from_str(aw_client(port, &["privacy-apply"]).ok()).unwrap();
    assert_eq!(
        done["buckets"]["aw-watcher-window_h"]["redacted"], 1,
        "{done}"
    );
    assert_eq!(titles(&client), [json!("Editor"), json!("[private]")]);
    // Retention with no rules configured deletes nothing.
    let retention: Value =
        serde_json::from_str(aw_client(port, &["retention-apply", "--dry-run"]).ok()).unwrap();
    assert!(retention.is_object(), "{retention}");
}

#[test]
fn every_command_has_help_with_an_example() {
    let home = tempfile::tempdir().unwrap();
    let commands = [
        "buckets",
        "events",
        "heartbeat",
        "query",
        "report",
        "canonical",
        "export",
        "import",
        "delete-bucket",
        "settings get",
        "settings set",
        "settings delete",
        "privacy-apply",
        "retention-apply",
    ];
    for name in commands {
        let mut args: Vec<&str> = name.split(' ').collect();
        args.push("--help");
        let help = run(command(home.path(), &args), None);
        let text = help.ok();
        assert!(text.contains("Example"), "{name}: {text}");
        assert!(
            text.contains(&format!("aw-client {}", name.split(' ').next().unwrap())),
            "{name}"
        );
    }
    let top = run(command(home.path(), &["--help"]), None);
    for word in [
        "--host",
        "--port",
        "--testing",
        "--api-key",
        "Exit codes",
        "export -o",
    ] {
        assert!(top.ok().contains(word), "{word}");
    }
}
