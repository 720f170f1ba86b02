//! Runs `tests/python/test_aw_client.py` (the official Python `aw-client`) against a
//! test server, when `AW_PYTHON` names a Python that has `aw-client` installed.
//! Without it the test prints a SKIP line and passes.

use std::process::Command;

use aw_server::testkit::spawn_test_server;

#[test]
fn python_aw_client_end_to_end() {
    let Some(python) = std::env::var_os("AW_PYTHON") else {
        println!("SKIP python_aw_client_end_to_end: set AW_PYTHON to a python with `pip install aw-client`");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_test_server(&dir.path().join("server"));
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/test_aw_client.py"
    );
    let output = Command::new(&python)
        .arg(script)
        .env("AW_SERVER_URL", server.url())
        // aw-client writes its config and lock files under these.
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_DATA_HOME", home.join("data"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "python client failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("OK:"), "{stdout}");
}
