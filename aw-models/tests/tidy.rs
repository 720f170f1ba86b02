//! Tidy checks over the whole workspace (STYLE.md rules 2, 10 and 13): every Rust file
//! opens with a `//!` line, non-test code stays under 400 lines a file, and no file
//! carries panic-expecting or skipped tests, debug or placeholder macros, or trailing
//! whitespace.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::fs;
use std::path::{Path, PathBuf};

const CRATES: [&str; 6] = [
    "aw-models",
    "aw-datastore",
    "aw-query",
    "aw-server",
    "aw-client-rust",
    "benches",
];
const MAX_NON_TEST_LINES: usize = 400;
/// Files allowed past the limit, each with the reason.
const SIZE_ALLOW_LIST: [(&str, &str); 0] = [];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir()
            && !matches!(name.as_str(), "target" | "node_modules" | "fuzz")
            && !name.starts_with('.')
        {
            rust_files(&path, found);
        } else if name.ends_with(".rs") {
            found.push(path);
        }
    }
}

fn all_files() -> Vec<(String, String)> {
    let root = workspace_root();
    let mut paths = Vec::new();
    for krate in CRATES {
        rust_files(&root.join(krate), &mut paths);
    }
    assert!(paths.len() > 20, "found only {} files", paths.len());
    paths
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (relative, fs::read_to_string(&path).unwrap())
        })
        .collect()
}

/// Lines of a file before its `#[cfg(test)]` module (integration tests count as test code).
fn non_test_lines(relative: &str, text: &str) -> usize {
    if relative.contains("/tests/") || relative.contains("/benches/") {
        return 0;
    }
    text.lines()
        .take_while(|line| line.trim() != "#[cfg(test)]")
        .count()
}

#[test]
fn workspace_is_tidy() {
    let mut problems = Vec::new();
    let forbidden = [
        concat!("#[should", "_panic"),
        concat!("#[ig", "nore"),
        concat!("db", "g!("),
        concat!("to", "do!("),
    ];
    for (relative, text) in all_files() {
        if !text.starts_with("//!") {
            problems.push(format!("{relative}: does not start with a `//!` line"));
        }
        let lines = non_test_lines(&relative, &text);
        let allowed = SIZE_ALLOW_LIST.iter().any(|(path, _)| *path == relative);
        if lines > MAX_NON_TEST_LINES && !allowed {
            problems.push(format!(
                "{relative}: {lines} lines of non-test code (max {MAX_NON_TEST_LINES})"
            ));
        }
        for (idx, line) in text.lines().enumerate() {
            if line.ends_with(' ') || line.ends_with('\t') {
                problems.push(format!("{relative}:{}: trailing whitespace", idx + 1));
            }
            for pattern in forbidden {
                if line.contains(pattern) {
                    problems.push(format!("{relative}:{}: contains {pattern}", idx + 1));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "tidy problems:\n{}",
        problems.join("\n")
    );
}
