//! The generator of the embedded web UI table, used by `aw-server/build.rs` and
//! tested directly by `tests/webui_generator.rs`: from an aw-webui build folder it
//! writes a Rust expression `&[(relative path, bytes)]` with one `include_bytes!`
//! per file, sorted by path so the server can binary-search it.
//!
//! What must stay true: only files the web UI routes can serve are taken (the six
//! top-level files and the `css/`, `fonts/`, `js/`, `static/` trees), never a
//! dot-file (Rocket refuses such segments) or a file whose resolved path is outside
//! the folder (the run-time lookup refuses those too).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Top-level files the web UI routes serve.
pub const TOP_FILES: [&str; 6] = [
    "index.html",
    "favicon.ico",
    "dark.css",
    "logo.png",
    "manifest.json",
    "service-worker.js",
];
/// Folders whose whole tree the web UI routes serve.
pub const TREES: [&str; 4] = ["css", "fonts", "js", "static"];

/// The servable files below `root`: `(path relative to root with '/', absolute path)`,
/// sorted by relative path.
pub fn collect(root: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    let root = fs::canonicalize(root)?;
    let mut found = Vec::new();
    for name in TOP_FILES {
        push_if_file(&root, &root.join(name), name.to_string(), &mut found);
    }
    for tree in TREES {
        walk(&root, &root.join(tree), tree, &mut found)?;
    }
    found.sort();
    Ok(found)
}

fn walk(
    root: &Path,
    dir: &Path,
    relative: &str,
    found: &mut Vec<(String, PathBuf)>,
) -> io::Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let child = format!("{relative}/{name}");
        if path.is_dir() {
            if inside(root, &path) {
                walk(root, &path, &child, found)?;
            }
        } else {
            push_if_file(root, &path, child, found);
        }
    }
    Ok(())
}

fn push_if_file(root: &Path, path: &Path, relative: String, found: &mut Vec<(String, PathBuf)>) {
    if path.is_file() && inside(root, path) {
        if let Ok(real) = fs::canonicalize(path) {
            found.push((relative, real));
        }
    }
}

fn inside(root: &Path, path: &Path) -> bool {
    fs::canonicalize(path).is_ok_and(|real| real.starts_with(root))
}

/// The Rust source of the table for the files of `root` (see [`collect`]).
pub fn generate(root: &Path) -> io::Result<String> {
    let mut source = String::from("&[\n");
    for (relative, absolute) in collect(root)? {
        let absolute = absolute.to_str().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("path is not UTF-8: {}", absolute.display()),
            )
        })?;
        source.push_str(&format!(
            "    ({relative:?}, include_bytes!({absolute:?}) as &[u8]),\n"
        ));
    }
    source.push(']');
    Ok(source)
}
