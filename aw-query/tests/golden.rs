//! Golden tests: every example of docs/QUERY.md as data in `tests/golden/*.json`, one
//! `#[test]` per file, all run through `common::check`.

mod common;

#[test]
fn http_and_lexing() {
    common::check_file("lexing.json");
}

#[test]
fn grammar() {
    common::check_file("grammar.json");
}

#[test]
fn semantics_and_values() {
    common::check_file("semantics.json");
}

#[test]
fn functions() {
    common::check_file("functions.json");
}

#[test]
fn transforms() {
    common::check_file("transforms.json");
}

#[test]
fn rules() {
    common::check_file("rules.json");
}

#[test]
fn webui_golden_queries() {
    common::check_file("webui.json");
}
