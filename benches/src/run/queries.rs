//! The `/query` programs the benchmarks send: aw-webui's `fullDesktopQuery` (QUERY.md §9.1)
//! for the dataset's window, AFK and browser buckets, and a browser summary query.

use chrono::{DateTime, Utc};

use aw_models::time::format_datetime;

use super::target::Target;

/// aw-webui's default categories, as `classes_for_query` sends them (QUERY.md §9.1).
const DEFAULT_CATEGORIES: &str = r#"[[["Work"],{"type":"regex","regex":"Google Docs|libreoffice|ReText"}],[["Work","Programming"],{"type":"regex","regex":"GitHub|Stack Overflow|BitBucket|Gitlab|vim|Spyder|kate|Ghidra|Scite"}],[["Work","Programming","ActivityWatch"],{"type":"regex","regex":"ActivityWatch|aw-","ignore_case":true}],[["Work","Image"],{"type":"regex","regex":"GIMP|Inkscape"}],[["Work","Video"],{"type":"regex","regex":"Kdenlive"}],[["Work","Audio"],{"type":"regex","regex":"Audacity"}],[["Work","3D"],{"type":"regex","regex":"Blender"}],[["Media"],{"type":"none"}],[["Media","Games"],{"type":"regex","regex":"Minecraft|RimWorld"}],[["Media","Video"],{"type":"regex","regex":"YouTube|Plex|VLC"}],[["Media","Social Media"],{"type":"regex","regex":"reddit|Facebook|Twitter|Instagram|devRant","ignore_case":true}],[["Media","Music"],{"type":"regex","regex":"Spotify|Deezer","ignore_case":true}],[["Comms"],{"type":"none"}],[["Comms","IM"],{"type":"regex","regex":"Messenger|Telegram|Signal|WhatsApp|Rambox|Slack|Riot|Element|Discord|Nheko|NeoChat|Mattermost"}],[["Comms","Email"],{"type":"regex","regex":"Gmail|Thunderbird|mutt|alpine"}]]"#;

/// The tail of `fullDesktopQuery` after `categorize` (QUERY.md §9.1, verbatim).
const DESKTOP_SUMMARY: [&str; 21] = [
    r#"title_events = sort_by_duration(merge_events_by_keys(events, ["app", "title"]));"#,
    r#"app_events   = sort_by_duration(merge_events_by_keys(title_events, ["app"]));"#,
    r#"cat_events   = sort_by_duration(merge_events_by_keys(events, ["$category"]));"#,
    "app_events  = limit_events(app_events, 100);",
    "title_events  = limit_events(title_events, 100);",
    "duration = sum_durations(events);",
    "browser_events = split_url_events(browser_events);",
    r#"browser_urls = merge_events_by_keys(browser_events, ["url"]);"#,
    "browser_urls = sort_by_duration(browser_urls);",
    "browser_urls = limit_events(browser_urls, 100);",
    r#"browser_domains = merge_events_by_keys(browser_events, ["$domain"]);"#,
    "browser_domains = sort_by_duration(browser_domains);",
    "browser_domains = limit_events(browser_domains, 100);",
    r#"browser_titles = merge_events_by_keys(browser_events, ["title"]);"#,
    "browser_titles = sort_by_duration(browser_titles);",
    "browser_titles = limit_events(browser_titles, 100);",
    "browser_duration = sum_durations(browser_events);",
    r#"stopwatch_events = merge_events_by_keys(stopwatch_events, ["label"]);"#,
    "stopwatch_events = sort_by_duration(stopwatch_events);",
    "stopwatch_events = limit_events(stopwatch_events, 100);",
    "RETURN = {\n        \"window\": {\n            \"app_events\": app_events,\n            \"title_events\": title_events,\n            \"cat_events\": cat_events,\n            \"active_events\": not_afk,\n            \"duration\": duration\n        },\n        \"browser\": {\n            \"domains\": browser_domains,\n            \"urls\": browser_urls,\n            \"titles\": browser_titles,\n            \"duration\": browser_duration\n        },\n        \"stopwatch\": {\n            \"stopwatch_events\": stopwatch_events\n        }\n    };",
];

/// A browser as aw-webui recognises its windows: exact app ids plus a regex.
struct BrowserMatch {
    name: String,
    app_ids: &'static [&'static str],
    app_regex: String,
}

/// aw-webui's matching for the browsers it knows; others match their name, ignoring case.
fn browser_match(bucket_id: &str, idx: usize) -> BrowserMatch {
    let lower = bucket_id.to_lowercase();
    if lower.contains("firefox") {
        return BrowserMatch {
            name: "firefox".into(),
            app_ids: &[
                "org.mozilla.firefox",
                "io.gitlab.librewolf-community",
                "net.waterfox.waterfox",
            ],
            app_regex: "(?i)(firefox|librewolf|waterfox|nightly)".into(),
        };
    }
    if lower.contains("chrom") {
        return BrowserMatch {
            name: "chrome".into(),
            app_ids: &["com.google.Chrome", "org.chromium.Chromium"],
            app_regex: "(?i)(chrome|chromium)".into(),
        };
    }
    let known = [
        "edge", "brave", "opera", "vivaldi", "orion", "yandex", "arc",
    ];
    let name = known
        .iter()
        .find(|name| lower.contains(*name))
        .map_or("browser", |n| n);
    BrowserMatch {
        name: format!("{name}{idx}"),
        app_ids: &[],
        app_regex: format!("(?i)({name})"),
    }
}

/// A string literal of the query language (JSON escaping is compatible).
fn literal(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

/// The per-browser statements of aw-webui's `canonicalEvents` (QUERY.md §9.0 step 4).
fn browser_lines(target: &Target, window_var: &str, lines: &mut Vec<String>) {
    for (idx, bucket_id) in target.browsers.iter().enumerate() {
        let browser = browser_match(bucket_id, idx);
        let b = &browser.name;
        let ids = serde_json::to_string(browser.app_ids).unwrap_or_else(|_| "[]".to_string());
        lines.push(format!(
            "events_{b} = flood(query_bucket({}));",
            literal(bucket_id)
        ));
        lines.push(format!(
            "window_{b} = filter_keyvals({window_var}, \"app\", {ids});"
        ));
        lines.push(format!(
            "window_{b}_re = filter_keyvals_regex({window_var}, \"app\", {});",
            literal(&browser.app_regex)
        ));
        lines.push(format!(
            "window_{b} = sort_by_timestamp(concat(window_{b}, window_{b}_re));"
        ));
        lines.push(format!(
            "events_{b} = filter_period_intersect(events_{b}, window_{b});"
        ));
        lines.push(format!("events_{b} = split_url_events(events_{b});"));
        lines.push(format!(
            "browser_events = concat(browser_events, events_{b});"
        ));
        lines.push("browser_events = sort_by_timestamp(browser_events);".to_string());
    }
}

/// aw-webui's `fullDesktopQuery` with AFK filtering, audible-as-active, no stopwatch and
/// the default categories, as the Activity view sends it.
pub(crate) fn desktop_query(target: &Target) -> Vec<String> {
    let mut lines = vec![
        format!("events = flood(query_bucket({}));", literal(&target.window)),
        format!("not_afk = flood(query_bucket({}));", literal(&target.afk)),
        r#"not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);"#.to_string(),
        "browser_events = [];".to_string(),
    ];
    browser_lines(target, "events", &mut lines);
    lines.extend([
        r#"audible_events = filter_keyvals(browser_events, "audible", [true]);"#.to_string(),
        "not_afk = period_union(not_afk, audible_events);".to_string(),
        "events = filter_period_intersect(events, not_afk);".to_string(),
        "stopwatch_events = [];".to_string(),
        format!("events = categorize(events, {DEFAULT_CATEGORIES});"),
    ]);
    lines.extend(DESKTOP_SUMMARY.map(String::from));
    lines
}

/// aw-webui's browser summary (`browserSummaryQuery` shape): browser events inside
/// browser windows while not AFK, top URLs and domains, total duration.
pub(crate) fn browser_query(target: &Target) -> Vec<String> {
    let mut lines = vec![
        format!("not_afk = flood(query_bucket({}));", literal(&target.afk)),
        r#"not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);"#.to_string(),
        format!("window = flood(query_bucket({}));", literal(&target.window)),
        "browser_events = [];".to_string(),
    ];
    browser_lines(target, "window", &mut lines);
    lines.extend(
        [
            "browser_events = filter_period_intersect(browser_events, not_afk);",
            r#"urls = merge_events_by_keys(browser_events, ["url"]);"#,
            "urls = limit_events(sort_by_duration(urls), 100);",
            r#"domains = merge_events_by_keys(browser_events, ["$domain"]);"#,
            "domains = limit_events(sort_by_duration(domains), 100);",
            "duration = sum_durations(browser_events);",
            r#"RETURN = {"domains": domains, "urls": urls, "duration": duration};"#,
        ]
        .map(String::from),
    );
    lines
}

/// The `/api/0/query/` body for `lines` over `periods`.
pub(crate) fn query_body(lines: &[String], periods: &[(DateTime<Utc>, DateTime<Utc>)]) -> Vec<u8> {
    let timeperiods: Vec<String> = periods
        .iter()
        .map(|(start, end)| format!("{}/{}", format_datetime(start), format_datetime(end)))
        .collect();
    let body = serde_json::json!({"query": lines, "timeperiods": timeperiods});
    serde_json::to_vec(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn target(browsers: &[&str]) -> Target {
        let last = aw_models::time::parse_json_datetime("2026-08-23T02:00:00Z").unwrap();
        Target {
            window: "aw-watcher-window_myhost".into(),
            afk: "aw-watcher-afk_myhost".into(),
            browsers: browsers.iter().map(|b| b.to_string()).collect(),
            last,
            first: last,
            counts: BTreeMap::new(),
        }
    }

    #[test]
    fn desktop_query_matches_the_aw_webui_example_for_one_firefox_bucket() {
        let lines = desktop_query(&target(&["aw-watcher-web-firefox_myhost"]));
        // QUERY.md §9.1 has 38 statements; spot-check the ones built from parts.
        assert_eq!(lines.len(), 38);
        assert_eq!(
            lines[0],
            r#"events = flood(query_bucket("aw-watcher-window_myhost"));"#
        );
        assert_eq!(
            lines[5],
            r#"window_firefox = filter_keyvals(events, "app", ["org.mozilla.firefox","io.gitlab.librewolf-community","net.waterfox.waterfox"]);"#
        );
        assert_eq!(
            lines[6],
            r#"window_firefox_re = filter_keyvals_regex(events, "app", "(?i)(firefox|librewolf|waterfox|nightly)");"#
        );
        assert!(lines[16].starts_with(r#"events = categorize(events, [[["Work"],{"type":"regex""#));
        assert!(lines.iter().all(|line| line.ends_with(';')));
    }

    #[test]
    fn desktop_query_is_the_aw_webui_request_of_query_md_9_1() {
        let expected: Vec<String> =
            serde_json::from_str(include_str!("testdata/desktop_query_9_1.json")).unwrap();
        assert_eq!(
            desktop_query(&target(&["aw-watcher-web-firefox_myhost"])),
            expected
        );
    }

    #[test]
    fn every_browser_gets_its_own_variables() {
        let lines = desktop_query(&target(&[
            "aw-watcher-web-chrome_h",
            "aw-watcher-web-firefox_h",
        ]));
        assert!(lines.contains(
            &r#"events_chrome = flood(query_bucket("aw-watcher-web-chrome_h"));"#.to_string()
        ));
        assert!(
            lines.contains(&"browser_events = concat(browser_events, events_firefox);".to_string())
        );
        let browser = browser_query(&target(&["aw-watcher-web-edge_h"]));
        assert!(browser.contains(
            &r#"window_edge0_re = filter_keyvals_regex(window, "app", "(?i)(edge)");"#.to_string()
        ));
    }

    #[test]
    fn query_body_uses_utc_periods() {
        let t = target(&[]);
        let body = query_body(&["RETURN = 1;".to_string()], &[t.day_back(0)]);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"query":["RETURN = 1;"],"timeperiods":["2026-08-22T02:00:00Z/2026-08-23T02:00:00Z"]}"#
        );
    }
}
