//! Builders for the canonical queries aw-webui sends (docs/QUERY.md §9), producing the
//! same `query` array statement for statement.
//!
//! Every builder returns the statements, each ending in `;`, ready for
//! [`AwClient::query_lines`](crate::AwClient::query_lines) (or `join("\n")` them for
//! [`AwClient::query`](crate::AwClient::query)). Because each statement carries its
//! own `;`, no combination of parameters can glue two statements together, which is
//! the upstream aw-client-rust bug of docs/QUERY.md §9.4.
//!
//! The user's categories live in the `classes` setting; turn them into rules with
//! `categories_from_settings(&client.get_setting("classes")?)`, or use
//! [`default_categories`].
//!
//! ```
//! use aw_client_rust::queries::{default_categories, full_desktop_query, DesktopQueryParams};
//!
//! let mut params = DesktopQueryParams::for_host("myhost");
//! params.bid_browsers = vec!["aw-watcher-web-firefox_myhost".to_string()];
//! params.categories = Some(default_categories());
//! let query = full_desktop_query(&params);
//! assert_eq!(query[0], r#"events = flood(query_bucket("aw-watcher-window_myhost"));"#);
//! assert!(query.iter().all(|statement| statement.ends_with(';')));
//! ```

mod browsers;
mod categories;
mod multidevice;
mod views;

use serde_json::Value;

pub use browsers::{Browser, KNOWN_BROWSERS};
pub use categories::{categories_from_settings, default_categories, Category, CategoryRule};
pub use multidevice::{multidevice_query, MultiDeviceQueryParams};
pub use views::{
    activity_query, activity_query_android, app_query, category_query, editor_activity_query,
    full_desktop_query,
};

use browsers::browsers_with_buckets;
use categories::categories_to_query_text;

/// The per-group limit aw-webui puts on `limit_events` (`default_limit`).
pub const DEFAULT_LIMIT: u32 = 100;

/// Parameters of the desktop queries (aw-webui's `DesktopQueryParams`).
#[derive(Debug, Clone, PartialEq)]
pub struct DesktopQueryParams {
    /// Window watcher bucket; an id ending in `_` is looked up with `find_bucket`.
    pub bid_window: String,
    /// AFK watcher bucket; same `_` rule.
    pub bid_afk: String,
    /// Browser watcher buckets; each is joined with the window events of the known
    /// browser whose name it contains.
    pub bid_browsers: Vec<String>,
    /// Stopwatch bucket whose events take precedence over window events.
    pub bid_stopwatch: Option<String>,
    /// Drop window events from periods when the user was away.
    pub filter_afk: bool,
    /// Count audible browser tabs as activity.
    pub include_audible: bool,
    /// Apps or titles matching this regex count as activity even when AFK.
    pub always_active_pattern: Option<String>,
    /// Rules for `categorize`; `None` leaves events uncategorized. `Some(vec![])`
    /// still categorizes (everything becomes `Uncategorized`), as aw-webui does.
    pub categories: Option<Vec<Category>>,
    /// Keep only events of these categories; empty means no filter.
    pub filter_categories: Vec<Vec<String>>,
}

impl DesktopQueryParams {
    /// The standard buckets of `hostname` (`aw-watcher-window_<host>`,
    /// `aw-watcher-afk_<host>`), AFK filtering and audible tabs on, no browsers,
    /// no categories.
    pub fn for_host(hostname: &str) -> DesktopQueryParams {
        DesktopQueryParams {
            bid_window: format!("aw-watcher-window_{hostname}"),
            bid_afk: format!("aw-watcher-afk_{hostname}"),
            bid_browsers: Vec::new(),
            bid_stopwatch: None,
            filter_afk: true,
            include_audible: true,
            always_active_pattern: None,
            categories: None,
            filter_categories: Vec::new(),
        }
    }
}

/// Parameters of the Android (and iOS Screen Time) queries.
#[derive(Debug, Clone, PartialEq)]
pub struct AndroidQueryParams {
    /// The app-usage bucket; an id ending in `_` is looked up with `find_bucket`.
    pub bid_android: String,
    /// The bucket is an iOS Screen Time import, whose events also carry `title`.
    pub is_ios: bool,
    /// Stopwatch bucket whose events take precedence.
    pub bid_stopwatch: Option<String>,
    /// Rules for `categorize`, as in [`DesktopQueryParams::categories`].
    pub categories: Option<Vec<Category>>,
    /// Keep only events of these categories; empty means no filter.
    pub filter_categories: Vec<Vec<String>>,
}

/// Either kind of device.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryParams {
    /// A desktop with window and AFK watchers.
    Desktop(DesktopQueryParams),
    /// A phone.
    Android(AndroidQueryParams),
    /// Several desktops, merged with priority to the first host.
    MultiDevice(MultiDeviceQueryParams),
}

impl QueryParams {
    /// aw-webui's `canonicalEvents` (`canonicalMultideviceEvents` for several hosts):
    /// leaves the (filtered, categorized) events in `events`, and on desktops the
    /// active periods in `not_afk` and the browser events in `browser_events`.
    pub fn canonical_events(&self) -> Vec<String> {
        match self {
            QueryParams::Desktop(params) => desktop_canonical_events(params),
            QueryParams::Android(params) => android_canonical_events(params),
            QueryParams::MultiDevice(params) => multidevice::canonical_events(params),
        }
    }
}

pub(crate) fn desktop_canonical_events(params: &DesktopQueryParams) -> Vec<String> {
    let mut query = vec![format!(
        "events = flood({});",
        query_bucket(&params.bid_window)
    )];
    query.push(format!(
        "not_afk = flood({});",
        query_bucket(&params.bid_afk)
    ));
    query.push(r#"not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);"#.to_string());
    if let Some(pattern) = params
        .always_active_pattern
        .as_deref()
        .filter(|p| !p.is_empty())
    {
        let pattern = escape_doublequote(pattern);
        for key in ["app", "title"] {
            query.push(format!(
                r#"not_treat_as_afk = filter_keyvals_regex(events, "{key}", "{pattern}");"#
            ));
            query.push("not_afk = period_union(not_afk, not_treat_as_afk);".to_string());
        }
    }
    query.extend(browser_events(&params.bid_browsers));
    if params.include_audible {
        query.push(
            r#"audible_events = filter_keyvals(browser_events, "audible", [true]);"#.to_string(),
        );
        query.push("not_afk = period_union(not_afk, audible_events);".to_string());
    }
    if params.filter_afk {
        query.push("events = filter_period_intersect(events, not_afk);".to_string());
    }
    query.extend(stopwatch_and_categories(
        params.bid_stopwatch.as_deref(),
        params.categories.as_deref(),
        &params.filter_categories,
    ));
    query
}

pub(crate) fn android_canonical_events(params: &AndroidQueryParams) -> Vec<String> {
    let merge_keys = if params.is_ios {
        r#"["app", "title"]"#
    } else {
        r#"["app"]"#
    };
    let mut query = vec![
        format!("events = flood({});", query_bucket(&params.bid_android)),
        format!("events = merge_events_by_keys(events, {merge_keys});"),
    ];
    query.extend(stopwatch_and_categories(
        params.bid_stopwatch.as_deref(),
        params.categories.as_deref(),
        &params.filter_categories,
    ));
    query
}

/// The stopwatch, `categorize` and category-filter steps shared by both devices.
fn stopwatch_and_categories(
    bid_stopwatch: Option<&str>,
    categories: Option<&[Category]>,
    filter_categories: &[Vec<String>],
) -> Vec<String> {
    let mut query = Vec::new();
    match bid_stopwatch.filter(|id| !id.is_empty()) {
        Some(bucket_id) => {
            query.push(format!(
                r#"stopwatch_events = query_bucket("{}");"#,
                escape_doublequote(bucket_id)
            ));
            query.push("events = union_no_overlap(stopwatch_events, events);".to_string());
        }
        None => query.push("stopwatch_events = [];".to_string()),
    }
    if let Some(categories) = categories {
        query.push(format!(
            "events = categorize(events, {});",
            categories_to_query_text(categories)
        ));
    }
    if !filter_categories.is_empty() {
        let filter = Value::from(filter_categories.to_vec());
        query.push(format!(
            r#"events = filter_keyvals(events, "$category", {filter});"#
        ));
    }
    query
}

/// `browser_events = [];` and, per browser with a bucket, its active-window events.
fn browser_events(bid_browsers: &[String]) -> Vec<String> {
    let mut query = vec!["browser_events = [];".to_string()];
    for (browser, bucket_id) in browsers_with_buckets(bid_browsers) {
        let name = browser.name;
        let app_names = Value::from(browser.app_names.to_vec());
        let app_regex = Value::from(browser.app_regex);
        query.push(format!(
            r#"events_{name} = flood(query_bucket("{}"));"#,
            escape_doublequote(bucket_id)
        ));
        query.push(format!(
            r#"window_{name} = filter_keyvals(events, "app", {app_names});"#
        ));
        query.push(format!(
            r#"window_{name}_re = filter_keyvals_regex(events, "app", {app_regex});"#
        ));
        query.push(format!(
            "window_{name} = sort_by_timestamp(concat(window_{name}, window_{name}_re));"
        ));
        query.push(format!(
            "events_{name} = filter_period_intersect(events_{name}, window_{name});"
        ));
        query.push(format!("events_{name} = split_url_events(events_{name});"));
        query.push(format!(
            "browser_events = concat(browser_events, events_{name});"
        ));
        query.push("browser_events = sort_by_timestamp(browser_events);".to_string());
    }
    query
}

/// `query_bucket("<id>")`, or `query_bucket(find_bucket("<id>"))` for an id ending in
/// `_` (a bucket prefix whose host name is unknown).
fn query_bucket(bucket_id: &str) -> String {
    let bucket_id_text = escape_doublequote(bucket_id);
    if bucket_id.ends_with('_') {
        format!(r#"query_bucket(find_bucket("{bucket_id_text}"))"#)
    } else {
        format!(r#"query_bucket("{bucket_id_text}")"#)
    }
}

/// Makes `text` safe inside a query string literal, where `\"` is the only escape.
pub(crate) fn escape_doublequote(text: &str) -> String {
    text.replace('"', "\\\"")
}

pub(crate) fn statements(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|line| line.to_string()).collect()
}

#[cfg(test)]
mod tests;
