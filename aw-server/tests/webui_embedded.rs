//! The web UI compiled into the binary: run with the server built as
//! `AW_WEBUI_DIR=$PWD/aw-server/tests/fixtures/webui cargo test -p aw-server --test
//! webui_embedded` (.ci/run does). Built without it, the test prints SKIP.
//! Checks: the embedded files are served at the same routes with the same content
//! types as `--webpath` files; a `--webpath` file wins; what is not embedded is 404.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]

mod common;

use std::path::Path;

use aw_server::endpoints::webui_embedded::embedded_file_count;
use aw_server::testkit::test_config;
use common::Harness;

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/webui")
            .join(path),
    )
    .unwrap()
}

#[test]
fn embedded_files_are_served_and_webpath_wins() {
    if embedded_file_count() == 0 {
        println!("SKIP embedded_files_are_served_and_webpath_wins: build with AW_WEBUI_DIR=<absolute path of aw-server/tests/fixtures/webui>");
        return;
    }
    assert_eq!(embedded_file_count(), 6);
    let harness = Harness::start();
    let cases = [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/js/app.js", "js/app.js", "text/javascript"),
        ("/js/sub/chunk.js", "js/sub/chunk.js", "text/javascript"),
        ("/css/app.css", "css/app.css", "text/css; charset=utf-8"),
        ("/manifest.json", "manifest.json", "application/json"),
        (
            "/static/data.bin",
            "static/data.bin",
            "application/octet-stream",
        ),
    ];
    for (url, file, content_type) in cases {
        let res = harness.get(url);
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(res.headers()["content-type"], content_type, "{url}");
        assert_eq!(
            res.bytes().unwrap().as_ref(),
            fixture(file).as_slice(),
            "{url}"
        );
    }
    for url in [
        "/secret.txt",
        "/static/.hidden",
        "/favicon.ico",
        "/js/missing.js",
    ] {
        assert_ne!(harness.get(url).status(), 200, "{url}");
    }

    let webpath = tempfile::tempdir().unwrap();
    std::fs::write(webpath.path().join("index.html"), "<html>from disk</html>").unwrap();
    let config = aw_server::config::Config {
        webpath: Some(webpath.path().to_path_buf()),
        ..test_config()
    };
    let harness = Harness::start_with(config);
    assert_eq!(harness.get("/").text().unwrap(), "<html>from disk</html>");
    let js = harness.get("/js/app.js");
    assert_eq!(
        js.status(),
        200,
        "a file missing from --webpath comes from the binary"
    );
    assert_eq!(
        js.bytes().unwrap().as_ref(),
        fixture("js/app.js").as_slice()
    );
}
