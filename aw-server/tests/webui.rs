//! Web UI and custom static files over HTTP (docs/API.md §3.18, §3.19).

mod common;

use std::fs;
use std::path::Path;

use aw_server::testkit::test_config;
use common::Harness;

/// A miniature aw-webui build.
fn write_fixture(root: &Path) -> std::io::Result<()> {
    let files = [
        ("index.html", "<html>index</html>"),
        ("favicon.ico", "ico"),
        ("dark.css", "body{}"),
        ("logo.png", "png"),
        ("manifest.json", "{\"name\":\"aw\"}"),
        ("service-worker.js", "self.unregister"),
        ("js/app.js", "console.log(1)"),
        ("js/sub/chunk.js", "chunk"),
        ("css/app.css", ".a{}"),
        ("fonts/f.woff2", "woff"),
        ("static/logo.svg", "<svg/>"),
        ("static/.hidden", "secret"),
        ("static/data.bin", "bin"),
        ("secret.txt", "not served"),
    ];
    for (path, content) in files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, content)?;
    }
    Ok(())
}

#[test]
fn serves_webui_files_with_content_types() {
    let ui = tempfile::tempdir().unwrap();
    write_fixture(ui.path()).unwrap();
    let mut config = test_config();
    config.webpath = Some(ui.path().to_path_buf());
    let harness = Harness::start_with(config);
    let cases = [
        ("/", "text/html; charset=utf-8", "<html>index</html>"),
        ("/favicon.ico", "image/x-icon", "ico"),
        ("/dark.css", "text/css; charset=utf-8", "body{}"),
        ("/logo.png", "image/png", "png"),
        ("/manifest.json", "application/json", "{\"name\":\"aw\"}"),
        ("/service-worker.js", "text/javascript", "self.unregister"),
        ("/js/app.js", "text/javascript", "console.log(1)"),
        ("/js/sub/chunk.js", "text/javascript", "chunk"),
        ("/css/app.css", "text/css; charset=utf-8", ".a{}"),
        ("/fonts/f.woff2", "font/woff2", "woff"),
        ("/static/logo.svg", "image/svg+xml", "<svg/>"),
        ("/static/data.bin", "application/octet-stream", "bin"),
    ];
    for (path, content_type, body) in cases {
        let res = harness.get(path);
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-type"], content_type, "{path}");
        assert_eq!(res.text().unwrap(), body, "{path}");
    }
    let statuses = [
        ("/index.html", 404),
        ("/secret.txt", 404),
        ("/unknown/route", 404),
        ("/js/missing.js", 404),
        ("/js/sub", 404),
        ("/static/../secret.txt", 404),
        ("/static/%2E%2E/secret.txt", 404),
        ("/static/.hidden", 422),
    ];
    for (path, status) in statuses {
        assert_eq!(harness.get(path).status(), status, "{path}");
    }
}

#[test]
fn without_a_webui_the_root_explains_how_to_get_one() {
    if aw_server::endpoints::webui_embedded::embedded_file_count() > 0 {
        println!(
            "SKIP without_a_webui_the_root_explains_how_to_get_one: this build embeds a web UI"
        );
        return;
    }
    let empty = tempfile::tempdir().unwrap();
    let mut config = test_config();
    config.webpath = Some(empty.path().join("missing"));
    let harness = Harness::start_with(config);
    let res = harness.get("/");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let page = res.text().unwrap();
    assert!(page.contains("--webpath"), "{page}");
    // It names the folder it would serve, so the user knows where to copy a build.
    let folder = format!("<code>{}</code>", empty.path().join("missing").display());
    assert!(page.contains(&folder), "{page}");
    assert_eq!(harness.get("/js/app.js").status(), 404);
    // The same without any web path configured (the testkit default).
    assert!(Harness::start()
        .get("/")
        .text()
        .unwrap()
        .contains("no web UI is installed"));
}

#[test]
fn custom_static_pages() {
    let pages = tempfile::tempdir().unwrap();
    fs::write(pages.path().join("index.html"), "page index").unwrap();
    fs::write(pages.path().join("notes.txt"), "notes").unwrap();
    fs::write(pages.path().join(".env"), "hidden").unwrap();
    fs::create_dir(pages.path().join("empty")).unwrap();
    let mut config = test_config();
    config
        .custom_static
        .insert("pg".into(), pages.path().to_path_buf());
    config
        .custom_static
        .insert("gone".into(), pages.path().join("does-not-exist"));
    config
        .custom_static
        .insert("<bad>".into(), pages.path().to_path_buf());
    let harness = Harness::start_with(config);
    let cases = [
        ("/pages/pg/notes.txt", 200, "notes"),
        ("/pages/pg/", 200, "page index"),
        ("/pages/pg", 200, "page index"),
        ("/pages/pg/.env", 404, "No such file: /pages/pg/.env"),
        ("/pages/pg/empty/", 404, "No such file: /pages/pg/empty/"),
        ("/pages/gone/x", 404, "No route for GET /pages/gone/x"),
    ];
    for (path, status, body) in cases {
        let res = harness.get(path);
        assert_eq!(res.status(), status, "{path}");
        let text = res.text().unwrap();
        if status == 200 {
            assert_eq!(text, body, "{path}");
        } else {
            let error: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(error["message"], body, "{path}");
        }
    }
    let txt = harness.get("/pages/pg/notes.txt");
    assert_eq!(txt.headers()["content-type"], "text/plain; charset=utf-8");
}

/// Symlinks that resolve outside the served directory are not followed (a link to the
/// data directory exposed the database); links that stay inside still work.
#[cfg(unix)]
#[test]
fn symlinks_out_of_the_directory_are_not_followed() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("sqlite.db"), "the database").unwrap();
    let ui = tempfile::tempdir().unwrap();
    write_fixture(ui.path()).unwrap();
    symlink(outside.path(), ui.path().join("static/data")).unwrap();
    symlink(outside.path().join("sqlite.db"), ui.path().join("js/db.js")).unwrap();
    symlink(ui.path().join("js/app.js"), ui.path().join("js/inside.js")).unwrap();
    let pages = tempfile::tempdir().unwrap();
    fs::write(pages.path().join("index.html"), "page index").unwrap();
    symlink(outside.path(), pages.path().join("data")).unwrap();
    symlink(
        outside.path().join("sqlite.db"),
        pages.path().join("db.txt"),
    )
    .unwrap();
    symlink(
        pages.path().join("index.html"),
        pages.path().join("alias.html"),
    )
    .unwrap();
    let mut config = test_config();
    config.webpath = Some(ui.path().to_path_buf());
    config
        .custom_static
        .insert("pg".into(), pages.path().to_path_buf());
    let harness = Harness::start_with(config);
    let cases = [
        ("/static/data/sqlite.db", 404, None),
        ("/js/db.js", 404, None),
        ("/js/inside.js", 200, Some("console.log(1)")),
        ("/pages/pg/data/sqlite.db", 404, None),
        ("/pages/pg/data/", 404, None),
        ("/pages/pg/db.txt", 404, None),
        ("/pages/pg/alias.html", 200, Some("page index")),
    ];
    for (path, status, body) in cases {
        let res = harness.get(path);
        assert_eq!(res.status(), status, "{path}");
        let text = res.text().unwrap();
        assert!(!text.contains("the database"), "{path}: {text}");
        if let Some(body) = body {
            assert_eq!(text, body, "{path}");
        } else {
            let error: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert!(error["message"].is_string(), "{path}: {text}");
        }
    }
}
