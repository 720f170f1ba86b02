//! The `/query` programs the benchmarks send: aw-webui's `fullDesktopQuery` (docs/QUERY.md §9.1)
//! for the dataset's window, AFK and browser buckets, and a browser summary query. The
//! statements come from `aw_client_rust::queries`, which builds aw-webui's text.
//! [`cold_periods`] moves periods so that no two requests of a run (nor of two runs) are
//! the same, which keeps an exact-request result cache from answering a "cold" row.

use aw_client_rust::queries::{
    default_categories, full_desktop_query, DesktopQueryParams, QueryParams,
};
use chrono::{DateTime, TimeDelta, Utc};

use aw_models::time::format_datetime;

use super::target::Target;

/// What the Activity view asks for: AFK filtering, audible tabs as activity, the
/// dataset's browsers, aw-webui's default categories, no stopwatch.
fn desktop_params(target: &Target) -> DesktopQueryParams {
    DesktopQueryParams {
        bid_window: target.window.clone(),
        bid_afk: target.afk.clone(),
        bid_browsers: target.browsers.clone(),
        categories: Some(default_categories()),
        ..DesktopQueryParams::for_host("")
    }
}

/// aw-webui's `fullDesktopQuery`, as the Activity view sends it.
pub(crate) fn desktop_query(target: &Target) -> Vec<String> {
    full_desktop_query(&desktop_params(target))
}

/// A browser summary: aw-webui's canonical events, then browser events while not
/// AFK, top URLs and domains, and the total duration.
pub(crate) fn browser_query(target: &Target) -> Vec<String> {
    let params = DesktopQueryParams {
        categories: None,
        ..desktop_params(target)
    };
    let mut lines = QueryParams::Desktop(params).canonical_events();
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

/// How far each repetition of a sequential cold request moves its periods back.
const COLD_STEP: TimeDelta = TimeDelta::seconds(5);

/// A time range `[start, end]`.
pub(crate) type Period = (DateTime<Utc>, DateTime<Utc>);

/// Who sends a cold request; each series moves its periods by its own steps, so that no
/// request of one series equals one of another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Series {
    /// The sequential rows: 5 s per repetition.
    Sequential,
    /// The parallel clients: 1 ms per round, plus 250 µs.
    Parallel,
    /// The year queries under heartbeat load: 1 ms per query, plus 500 µs.
    UnderLoad,
}

/// `periods` with both ends moved back by the `n`-th step of `series` plus `salt` (a
/// per-run offset of 1–999 ms, never zero, so that no cold request equals the unshifted
/// one that the repeated rows send, nor one of an earlier run).
pub(crate) fn cold_periods(
    periods: &[Period],
    series: Series,
    n: usize,
    salt: TimeDelta,
) -> Vec<Period> {
    let steps = i32::try_from(n).unwrap_or(i32::MAX);
    let shift = salt
        + match series {
            Series::Sequential => COLD_STEP * steps,
            Series::Parallel => TimeDelta::milliseconds(1) * steps + TimeDelta::microseconds(250),
            Series::UnderLoad => TimeDelta::milliseconds(1) * steps + TimeDelta::microseconds(500),
        };
    periods
        .iter()
        .map(|(start, end)| (*start - shift, *end - shift))
        .collect()
}

/// The `/api/0/query/` body for `lines` over `periods`.
pub(crate) fn query_body(lines: &[String], periods: &[Period]) -> Vec<u8> {
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
        // docs/QUERY.md §9.1 has 38 statements; spot-check the ones built from parts.
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
        for browser in ["chrome", "firefox"] {
            let fetch =
                format!("events_{browser} = flood(query_bucket(\"aw-watcher-web-{browser}_h\"));");
            assert!(lines.contains(&fetch), "{browser}");
        }
        let browser = browser_query(&target(&["aw-watcher-web-firefox_h"]));
        assert!(browser.contains(
            &"browser_events = filter_period_intersect(browser_events, not_afk);".to_string()
        ));
        assert!(browser.last().unwrap().starts_with("RETURN = "));
    }

    #[test]
    fn cold_periods_differ_for_every_repetition_and_from_the_unshifted_one() {
        let t = target(&[]);
        let days: Vec<Period> = (0..7).map(|offset| t.day_back(offset)).collect();
        let salt = TimeDelta::milliseconds(137);
        let mut seen = vec![query_body(&[], &days)];
        let all = [Series::Sequential, Series::Parallel, Series::UnderLoad];
        for (series, repetition) in all.into_iter().flat_map(|s| (0..40).map(move |n| (s, n))) {
            let moved = cold_periods(&days, series, repetition, salt);
            for ((start, end), (old_start, old_end)) in moved.iter().zip(&days) {
                assert_eq!(*end - *start, *old_end - *old_start);
                assert!(*old_start - *start < TimeDelta::minutes(5));
            }
            let body = query_body(&[], &moved);
            assert!(!seen.contains(&body), "{series:?} {repetition}");
            seen.push(body);
        }
        let first = cold_periods(&[t.day_back(0)], Series::Sequential, 0, salt);
        assert_eq!(
            String::from_utf8(query_body(&[], &first)).unwrap(),
            r#"{"query":[],"timeperiods":["2026-08-22T01:59:59.863Z/2026-08-23T01:59:59.863Z"]}"#
        );
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
