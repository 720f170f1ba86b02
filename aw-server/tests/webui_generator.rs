//! The embedded web UI generator (`build/webui_assets.rs`, run by build.rs), called
//! directly on the fixture folder `tests/fixtures/webui` and on a temp folder with
//! a symlink leading out: which files are taken, their order, the generated source.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]

#[path = "../build/webui_assets.rs"]
mod webui_assets;

use std::path::Path;

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/webui")
}

#[test]
fn collects_only_servable_files_sorted() {
    let found = webui_assets::collect(&fixture()).unwrap();
    let relative: Vec<&str> = found.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(
        relative,
        [
            "css/app.css",
            "index.html",
            "js/app.js",
            "js/sub/chunk.js",
            "manifest.json",
            "static/data.bin"
        ],
        "no dot-files, no top-level files the routes do not serve"
    );
    let root = std::fs::canonicalize(fixture()).unwrap();
    for (path, absolute) in &found {
        assert_eq!(absolute, &root.join(path));
    }
}

#[test]
fn generated_source_includes_each_file_by_absolute_path() {
    let source = webui_assets::generate(&fixture()).unwrap();
    let root = std::fs::canonicalize(fixture()).unwrap();
    let index = root.join("index.html");
    let line = format!(
        "    (\"index.html\", include_bytes!({:?}) as &[u8]),",
        index.to_str().unwrap()
    );
    assert!(
        source.starts_with("&[\n") && source.ends_with(']'),
        "{source}"
    );
    assert!(source.lines().any(|l| l == line), "{source}");
    assert_eq!(source.matches("include_bytes!").count(), 6);
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_folder_are_left_out() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.js"), "secret").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "x").unwrap();
    std::fs::create_dir(dir.path().join("js")).unwrap();
    std::fs::write(dir.path().join("js/inside.js"), "in").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.js"),
        dir.path().join("js/out.js"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("static")).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("js/inside.js"),
        dir.path().join("js/alias.js"),
    )
    .unwrap();
    let found = webui_assets::collect(dir.path()).unwrap();
    let relative: Vec<&str> = found.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(relative, ["index.html", "js/alias.js", "js/inside.js"]);
    assert_eq!(webui_assets::generate(outside.path()).unwrap(), "&[\n]");
}
