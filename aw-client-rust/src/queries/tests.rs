//! The builders checked against the request bodies of docs/QUERY.md §9 (copied into
//! `tests/data/query_9_*.json`) and against the §9.4 missing-`;` bug.

use super::*;

fn golden_query(file: &str) -> Vec<String> {
    let text = match file {
        "9_1" => include_str!("../../tests/data/query_9_1.json"),
        "9_2" => include_str!("../../tests/data/query_9_2.json"),
        _ => include_str!("../../tests/data/query_9_3.json"),
    };
    let golden: Value = serde_json::from_str(text).unwrap();
    serde_json::from_value(golden["request"]["query"].clone()).unwrap()
}

/// aw-webui's `querystr_to_array`: split at `;` outside strings, trim, re-append `;`.
fn split_like_aw_webui(code: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let (mut in_string, mut in_escape) = (false, false);
    for c in code.chars() {
        if in_escape {
            in_escape = false;
        } else if c == '\\' && in_string {
            in_escape = true;
        } else if c == '"' {
            in_string = !in_string;
        } else if c == ';' && !in_string {
            if !current.trim().is_empty() {
                statements.push(format!("{};", current.trim()));
            }
            current.clear();
            continue;
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        statements.push(format!("{};", current.trim()));
    }
    statements
}

fn myhost_params() -> DesktopQueryParams {
    DesktopQueryParams::for_host("myhost")
}

#[test]
fn full_desktop_query_matches_query_md_9_1() {
    let mut params = myhost_params();
    params.bid_browsers = vec!["aw-watcher-web-firefox_myhost".to_string()];
    params.categories = Some(default_categories());
    assert_eq!(full_desktop_query(&params), golden_query("9_1"));
}

#[test]
fn category_query_matches_query_md_9_2() {
    let mut params = myhost_params();
    params.include_audible = false;
    params.categories = Some(default_categories().into_iter().take(3).collect());
    let query = category_query(&QueryParams::Desktop(params));
    assert_eq!(query, golden_query("9_2"));
}

#[test]
fn activity_query_matches_query_md_9_3() {
    let query = activity_query(&["aw-watcher-afk_myhost".to_string()]);
    assert_eq!(query, golden_query("9_3"));
}

#[test]
fn no_categories_still_separates_statements() {
    // docs/QUERY.md §9.4: upstream glued `title_events = …` onto the previous statement.
    let mut params = myhost_params();
    params.filter_categories = vec![vec!["Work".to_string()]];
    let query = full_desktop_query(&params);
    assert!(!query.iter().any(|s| s.starts_with("events = categorize(")));
    let filter = query
        .iter()
        .position(|s| s == r#"events = filter_keyvals(events, "$category", [["Work"]]);"#)
        .unwrap();
    assert!(query[filter + 1].starts_with("title_events = sort_by_duration("));
    assert_eq!(split_like_aw_webui(&query.join("\n")), query);
}

#[test]
fn every_builder_splits_back_into_its_own_statements() {
    let mut desktop = myhost_params();
    desktop.bid_browsers = vec![
        "aw-watcher-web-chrome_myhost".to_string(),
        "aw-watcher-web-firefox_myhost".to_string(),
    ];
    desktop.bid_stopwatch = Some("aw-stopwatch".to_string());
    desktop.always_active_pattern = Some("zoom;meet|\"x\"".to_string());
    desktop.categories = Some(vec![Category::regex(&["A;B"], r#"a;"b"\w"#)]);
    let android = AndroidQueryParams {
        bid_android: "aw-watcher-android-test".to_string(),
        is_ios: true,
        bid_stopwatch: None,
        categories: Some(default_categories()),
        filter_categories: vec![vec!["Work".to_string(), "Programming".to_string()]],
    };
    let queries = [
        full_desktop_query(&desktop),
        category_query(&QueryParams::Desktop(desktop.clone())),
        category_query(&QueryParams::Android(android.clone())),
        app_query(&android),
        activity_query(&["a\"fk".to_string(), "afk2".to_string()]),
        activity_query_android("aw-watcher-android-test"),
        editor_activity_query(&["aw-watcher-vim_h".to_string()]),
        multidevice_query(&MultiDeviceQueryParams {
            hosts: vec!["a".to_string(), "b\"c".to_string()],
            bid_stopwatch: Some("sw".to_string()),
            filter_afk: false,
            include_audible: true,
            always_active_pattern: Some("x;y".to_string()),
            categories: Some(default_categories()),
            filter_categories: vec![vec!["Work".to_string()]],
        }),
    ];
    for query in queries {
        assert_eq!(split_like_aw_webui(&query.join("\n")), query);
    }
}

#[test]
fn optional_desktop_steps() {
    let mut params = DesktopQueryParams::for_host("");
    params.filter_afk = false;
    params.include_audible = false;
    params.bid_stopwatch = Some("aw-stopwatch".to_string());
    params.always_active_pattern = Some("Zoom".to_string());
    params.categories = Some(Vec::new());
    let query = QueryParams::Desktop(params).canonical_events();
    assert_eq!(
        query,
        [
            r#"events = flood(query_bucket(find_bucket("aw-watcher-window_")));"#,
            r#"not_afk = flood(query_bucket(find_bucket("aw-watcher-afk_")));"#,
            r#"not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);"#,
            r#"not_treat_as_afk = filter_keyvals_regex(events, "app", "Zoom");"#,
            "not_afk = period_union(not_afk, not_treat_as_afk);",
            r#"not_treat_as_afk = filter_keyvals_regex(events, "title", "Zoom");"#,
            "not_afk = period_union(not_afk, not_treat_as_afk);",
            "browser_events = [];",
            r#"stopwatch_events = query_bucket("aw-stopwatch");"#,
            "events = union_no_overlap(stopwatch_events, events);",
            "events = categorize(events, []);",
        ]
    );
}

#[test]
fn android_queries() {
    let params = AndroidQueryParams {
        bid_android: "aw-watcher-android-test".to_string(),
        is_ios: false,
        bid_stopwatch: None,
        categories: None,
        filter_categories: Vec::new(),
    };
    let query = app_query(&params);
    assert_eq!(
        query[..4],
        [
            r#"events = flood(query_bucket("aw-watcher-android-test"));"#,
            r#"events = merge_events_by_keys(events, ["app"]);"#,
            "stopwatch_events = [];",
            r#"title_events = sort_by_duration(merge_events_by_keys(events, ["app", "classname"]));"#,
        ]
    );
    assert_eq!(
        activity_query_android("a\"b"),
        [
            r#"events = query_bucket("a\"b");"#,
            "RETURN = sum_durations(events);"
        ]
    );
}

#[test]
fn browser_regexes_are_json_strings() {
    let mut params = myhost_params();
    params.bid_browsers = vec!["aw-watcher-web-chrome_myhost".to_string()];
    let query = QueryParams::Desktop(params).canonical_events();
    assert!(query.contains(
        &r#"window_chrome_re = filter_keyvals_regex(events, "app", "(?i)^(google[-_ ]?chrome|chrome|chromium|arc(\\.exe)?$|dia(\\.exe)?$)");"#
            .to_string()
    ));
}
