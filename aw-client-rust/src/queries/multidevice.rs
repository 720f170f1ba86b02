//! [`multidevice_query`]: several desktops in one result (aw-webui's
//! `canonicalMultideviceEvents` and `multideviceQuery`).

use super::views::window_summary;
use super::{desktop_canonical_events, Category, DesktopQueryParams};

/// Parameters shared by every host of a multi-device query. Each host uses its
/// standard buckets (`aw-watcher-window_<host>`, `aw-watcher-afk_<host>`) and no
/// browser buckets, as in aw-webui.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiDeviceQueryParams {
    /// The host names; on overlaps the earlier host wins.
    pub hosts: Vec<String>,
    /// Stopwatch bucket, applied per host as aw-webui does.
    pub bid_stopwatch: Option<String>,
    /// Drop window events from periods when the user was away.
    pub filter_afk: bool,
    /// Count audible browser tabs as activity (there are no browser buckets here).
    pub include_audible: bool,
    /// Apps or titles matching this regex count as activity even when AFK.
    pub always_active_pattern: Option<String>,
    /// Rules for `categorize`, as in [`DesktopQueryParams::categories`].
    pub categories: Option<Vec<Category>>,
    /// Keep only events of these categories; empty means no filter.
    pub filter_categories: Vec<Vec<String>>,
}

/// The Activity view across hosts: `window` summaries of the merged events.
pub fn multidevice_query(params: &MultiDeviceQueryParams) -> Vec<String> {
    let mut query = canonical_events(params);
    query.extend(window_summary());
    query.push(MULTIDEVICE_RETURN.to_string());
    query
}

/// Each host's canonical events saved as `events_<host>` / `not_afk_<host>`, then
/// joined with `union_no_overlap` in host order.
pub(crate) fn canonical_events(params: &MultiDeviceQueryParams) -> Vec<String> {
    let mut query = Vec::new();
    for host in &params.hosts {
        query.extend(desktop_canonical_events(&host_params(params, host)));
        let suffix = safe_hostname(host);
        query.push(format!("events_{suffix} = events;"));
        query.push(format!("not_afk_{suffix} = not_afk;"));
    }
    query.push("events = [];".to_string());
    query.push("not_afk = [];".to_string());
    for host in &params.hosts {
        let suffix = safe_hostname(host);
        query.push(format!(
            "events = union_no_overlap(events, events_{suffix});"
        ));
        query.push(format!(
            "not_afk = union_no_overlap(not_afk, not_afk_{suffix});"
        ));
    }
    query
}

/// The `RETURN` statement of [`multidevice_query`], with aw-webui's indentation.
const MULTIDEVICE_RETURN: &str = r#"RETURN = {
        "window": {
            "app_events": app_events,
            "title_events": title_events,
            "cat_events": cat_events,
            "active_events": not_afk,
            "duration": duration
        }
    };"#;

fn host_params(params: &MultiDeviceQueryParams, host: &str) -> DesktopQueryParams {
    DesktopQueryParams {
        bid_window: format!("aw-watcher-window_{host}"),
        bid_afk: format!("aw-watcher-afk_{host}"),
        bid_browsers: Vec::new(),
        bid_stopwatch: params.bid_stopwatch.clone(),
        filter_afk: params.filter_afk,
        include_audible: params.include_audible,
        always_active_pattern: params.always_active_pattern.clone(),
        categories: params.categories.clone(),
        filter_categories: params.filter_categories.clone(),
    }
}

/// The host name reduced to `[a-zA-Z0-9_]`, usable in a variable name.
fn safe_hostname(host: &str) -> String {
    host.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_queried_then_merged_in_order() {
        let params = MultiDeviceQueryParams {
            hosts: vec!["laptop".to_string(), "desk-top.local".to_string()],
            bid_stopwatch: None,
            filter_afk: true,
            include_audible: false,
            always_active_pattern: None,
            categories: None,
            filter_categories: Vec::new(),
        };
        let per_host = |host: &str, suffix: &str| {
            vec![
                format!(r#"events = flood(query_bucket("aw-watcher-window_{host}"));"#),
                format!(r#"not_afk = flood(query_bucket("aw-watcher-afk_{host}"));"#),
                r#"not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);"#.to_string(),
                "browser_events = [];".to_string(),
                "events = filter_period_intersect(events, not_afk);".to_string(),
                "stopwatch_events = [];".to_string(),
                format!("events_{suffix} = events;"),
                format!("not_afk_{suffix} = not_afk;"),
            ]
        };
        let mut expected = per_host("laptop", "laptop");
        expected.extend(per_host("desk-top.local", "desktoplocal"));
        expected.extend([
            "events = [];".to_string(),
            "not_afk = [];".to_string(),
            "events = union_no_overlap(events, events_laptop);".to_string(),
            "not_afk = union_no_overlap(not_afk, not_afk_laptop);".to_string(),
            "events = union_no_overlap(events, events_desktoplocal);".to_string(),
            "not_afk = union_no_overlap(not_afk, not_afk_desktoplocal);".to_string(),
        ]);
        assert_eq!(canonical_events(&params), expected);

        let query = multidevice_query(&params);
        assert_eq!(query[..expected.len()], expected[..]);
        assert_eq!(query.len(), expected.len() + 7);
        assert!(query[query.len() - 1].starts_with("RETURN = {\n        \"window\": {"));
    }
}
