//! `AwClient::new` for a loopback host sends the API key found in the local server's
//! config file, so watchers keep working when the user turns authentication on;
//! `new_with_api_key(.., None)` sends none and is refused by a server that needs one.
//!
//! The only test in this binary: it points `XDG_CONFIG_HOME` (process-wide) at a
//! temporary directory before anything reads it.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, reason = "test code")]

use aw_client_rust::blocking::AwClient;

#[test]
fn new_picks_up_the_local_servers_key() {
    let data = tempfile::tempdir().unwrap();
    let mut config = aw_server::testkit::test_config();
    config.auth.api_key = Some("s3cret".to_string());
    let server = aw_server::testkit::spawn_test_server_with(data.path(), config);
    let port = server.addr.port();

    let home = tempfile::tempdir().unwrap();
    let server_config = home.path().join("activitywatch/aw-server-rust");
    std::fs::create_dir_all(&server_config).unwrap();
    std::fs::write(
        server_config.join("config.toml"),
        format!("port = {port}\n[auth]\napi_key = \"s3cret\"\n"),
    )
    .unwrap();
    std::env::set_var("XDG_CONFIG_HOME", home.path());

    let picked_up = AwClient::new("127.0.0.1", port, "test").unwrap();
    assert!(picked_up.get_buckets().unwrap().is_empty());

    let without = AwClient::new_with_api_key("127.0.0.1", port, "test", None).unwrap();
    let refused = without.get_buckets().unwrap_err();
    assert_eq!(refused.status(), Some(401), "{refused}");

    let given = AwClient::new_with_api_key("127.0.0.1", port, "test", Some("s3cret".into()));
    assert!(given.unwrap().get_buckets().is_ok());
    // A remote host never gets the local key.
    assert_eq!(
        aw_client_rust::local_server_api_key("example.com", port),
        None
    );
    assert_eq!(
        aw_client_rust::local_server_api_key("localhost", port).as_deref(),
        Some("s3cret")
    );
}
