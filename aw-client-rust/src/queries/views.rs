//! The complete queries of aw-webui's views (`fullDesktopQuery`, `categoryQuery`,
//! `activityQuery`, `appQuery`, …), built on the canonical events of [`super`].

use super::{
    android_canonical_events, desktop_canonical_events, escape_doublequote, statements,
    AndroidQueryParams, DesktopQueryParams, QueryParams, DEFAULT_LIMIT,
};

/// The Activity view's query (docs/QUERY.md §9.1): apps, titles, categories, browser
/// domains/URLs/titles and stopwatch entries, each merged and sorted by duration.
pub fn full_desktop_query(params: &DesktopQueryParams) -> Vec<String> {
    let mut query = desktop_canonical_events(params);
    query.extend(window_summary());
    query.push("browser_events = split_url_events(browser_events);".to_string());
    for (name, key) in [("urls", "url"), ("domains", "$domain"), ("titles", "title")] {
        query.push(format!(
            r#"browser_{name} = merge_events_by_keys(browser_events, ["{key}"]);"#
        ));
        query.push(format!(
            "browser_{name} = sort_by_duration(browser_{name});"
        ));
        query.push(format!(
            "browser_{name} = limit_events(browser_{name}, {DEFAULT_LIMIT});"
        ));
    }
    query.push("browser_duration = sum_durations(browser_events);".to_string());
    query.push(
        r#"stopwatch_events = merge_events_by_keys(stopwatch_events, ["label"]);"#.to_string(),
    );
    query.push("stopwatch_events = sort_by_duration(stopwatch_events);".to_string());
    query.push(format!(
        "stopwatch_events = limit_events(stopwatch_events, {DEFAULT_LIMIT});"
    ));
    query.push(FULL_DESKTOP_RETURN.to_string());
    query
}

/// The app, title and category summaries shared by the desktop and multi-device
/// queries; they read `events` and leave `app_events`, `title_events`, `cat_events`
/// and `duration`.
pub(crate) fn window_summary() -> Vec<String> {
    let mut query = statements(&[
        r#"title_events = sort_by_duration(merge_events_by_keys(events, ["app", "title"]));"#,
        r#"app_events   = sort_by_duration(merge_events_by_keys(title_events, ["app"]));"#,
        r#"cat_events   = sort_by_duration(merge_events_by_keys(events, ["$category"]));"#,
    ]);
    query.push(format!(
        "app_events  = limit_events(app_events, {DEFAULT_LIMIT});"
    ));
    query.push(format!(
        "title_events  = limit_events(title_events, {DEFAULT_LIMIT});"
    ));
    query.push("duration = sum_durations(events);".to_string());
    query
}

/// The category totals used by the Trends and Timeline views (docs/QUERY.md §9.2):
/// returns `{"cat_events": [...]}` with one merged event per category.
pub fn category_query(params: &QueryParams) -> Vec<String> {
    let mut query = params.canonical_events();
    query.extend(statements(&[
        r#"cat_events   = sort_by_duration(merge_events_by_keys(events, ["$category"]));"#,
        r#"RETURN = { "cat_events": cat_events };"#,
    ]));
    query
}

/// Active time per period over the given AFK buckets (docs/QUERY.md §9.3): returns the
/// not-afk events merged into one.
pub fn activity_query(afk_bucket_ids: &[String]) -> Vec<String> {
    let mut query = vec!["not_afk = [];".to_string()];
    for bucket_id in afk_bucket_ids {
        query.push(format!(
            r#"not_afk_curr = query_bucket("{}");"#,
            escape_doublequote(bucket_id)
        ));
        query.push(
            r#"not_afk_curr = filter_keyvals(not_afk_curr, "status", ["not-afk"]);"#.to_string(),
        );
        query.push("not_afk = union_no_overlap(not_afk, not_afk_curr);".to_string());
    }
    query.push(r#"not_afk = merge_events_by_keys(not_afk, ["status"]);"#.to_string());
    query.push("RETURN = not_afk;".to_string());
    query
}

/// Total app time of a phone bucket (aw-webui's `activityQueryAndroid`).
pub fn activity_query_android(bucket_id: &str) -> Vec<String> {
    vec![
        format!(
            r#"events = query_bucket("{}");"#,
            escape_doublequote(bucket_id)
        ),
        "RETURN = sum_durations(events);".to_string(),
    ]
}

/// The phone Activity view's query (aw-webui's `appQuery`).
pub fn app_query(params: &AndroidQueryParams) -> Vec<String> {
    let title_keys = if params.is_ios {
        r#"["app", "classname", "title"]"#
    } else {
        r#"["app", "classname"]"#
    };
    let mut query = android_canonical_events(params);
    query.push(format!(
        "title_events = sort_by_duration(merge_events_by_keys(events, {title_keys}));"
    ));
    query.extend(statements(&[
        r#"app_events   = sort_by_duration(merge_events_by_keys(title_events, ["app"]));"#,
        r#"cat_events   = sort_by_duration(merge_events_by_keys(events, ["$category"]));"#,
        "events = sort_by_timestamp(events);",
    ]));
    query.push(format!(
        "app_events  = limit_events(app_events, {DEFAULT_LIMIT});"
    ));
    query.push(format!(
        "title_events  = limit_events(title_events, {DEFAULT_LIMIT});"
    ));
    query.push("duration = sum_durations(events);".to_string());
    query.push(
        r#"RETURN  = {"app_events": app_events, "title_events": title_events, "cat_events": cat_events, "duration": duration, "active_events": app_events};"#
            .to_string(),
    );
    query
}

/// Files, languages and projects of editor watcher buckets (`editorActivityQuery`).
pub fn editor_activity_query(editor_bucket_ids: &[String]) -> Vec<String> {
    let mut query = vec!["events = [];".to_string()];
    for bucket_id in editor_bucket_ids {
        query.push(format!(
            r#"events = concat(events, flood(query_bucket("{}")));"#,
            escape_doublequote(bucket_id)
        ));
    }
    for (name, keys) in [
        ("files", r#"["file", "language"]"#),
        ("languages", r#"["language"]"#),
        ("projects", r#"["project"]"#),
    ] {
        query.push(format!(
            "{name} = sort_by_duration(merge_events_by_keys(events, {keys}));"
        ));
        query.push(format!("{name} = limit_events({name}, {DEFAULT_LIMIT});"));
    }
    query.push("duration = sum_durations(events);".to_string());
    query.push(
        r#"RETURN = {"files": files, "languages": languages, "projects": projects, "duration": duration};"#
            .to_string(),
    );
    query
}

/// The `RETURN` statement of [`full_desktop_query`], with aw-webui's indentation.
const FULL_DESKTOP_RETURN: &str = r#"RETURN = {
        "window": {
            "app_events": app_events,
            "title_events": title_events,
            "cat_events": cat_events,
            "active_events": not_afk,
            "duration": duration
        },
        "browser": {
            "domains": browser_domains,
            "urls": browser_urls,
            "titles": browser_titles,
            "duration": browser_duration
        },
        "stopwatch": {
            "stopwatch_events": stopwatch_events
        }
    };"#;
