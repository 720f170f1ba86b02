//! `split_url_events`: adds `$protocol`, `$domain`, `$path` and `$params` from `data.url` (§7.8).

use std::sync::Arc;

use aw_models::{JsonMap, SharedEvent};
use serde_json::Value;
use url::Url;

use crate::transform::memo::DataMemo;

/// For each event whose `data.url` is a string that parses as an absolute WHATWG URL,
/// sets the four keys (overwriting); other events are unchanged. Data only this event
/// holds is changed in place; shared data is parsed once, and the events that shared
/// it share the new data.
pub fn split_url_events(events: Vec<SharedEvent>) -> Vec<SharedEvent> {
    split_counting(events).0
}

/// [`split_url_events`], also returning a bound of the bytes the query budget's
/// measure of the events grew by (each changed event counted as unshared).
pub(crate) fn split_counting(mut events: Vec<SharedEvent>) -> (Vec<SharedEvent>, usize) {
    let mut memo = DataMemo::new();
    let mut added = 0usize;
    for event in &mut events {
        if let Some(data) = Arc::get_mut(&mut event.data) {
            if let Some(parts) = url_parts(data) {
                added = added.saturating_add(set_parts(data, parts));
            }
            continue;
        }
        let output = memo.get_or_insert_with(&event.data, |input| {
            let parts = url_parts(input)?;
            let mut data = input.clone();
            let grew = set_parts(&mut data, parts);
            Some((Arc::new(data), grew))
        });
        if let Some((output, grew)) = output {
            event.data = Arc::clone(output);
            added = added.saturating_add(*grew);
        }
    }
    (events, added)
}

type UrlParts = [(&'static str, String); 4];

/// The four keys and their values, or `None` when `data.url` is not an absolute URL
/// or the keys already hold those values (the desktop query splits its events twice).
fn url_parts(data: &JsonMap) -> Option<UrlParts> {
    let url = data
        .get("url")
        .and_then(Value::as_str)
        .and_then(|text| Url::parse(text).ok())?;
    let domain = match url.host_str() {
        Some(host) => strip_www(host).to_string(),
        None => url.scheme().to_string(),
    };
    let parts = [
        ("$protocol", url.scheme().to_string()),
        ("$domain", domain),
        ("$path", url.path().to_string()),
        ("$params", url.query().unwrap_or("").to_string()),
    ];
    let unchanged = parts
        .iter()
        .all(|(key, value)| data.get(*key).and_then(Value::as_str) == Some(value.as_str()));
    (!unchanged).then_some(parts)
}

/// Sets the parts; returns a bound of the bytes the data grew by.
fn set_parts(data: &mut JsonMap, parts: UrlParts) -> usize {
    let mut grew = 0usize;
    for (key, value) in parts {
        let value = Value::String(value);
        grew = grew.saturating_add(crate::budget::entry_bytes(key, &value));
        data.insert(key.to_string(), value);
    }
    grew
}

/// The host without any number of leading `www.`.
fn strip_www(mut host: &str) -> &str {
    while let Some(rest) = host.strip_prefix("www.") {
        host = rest;
    }
    host
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::ev;
    use serde_json::json;

    #[test]
    fn shared_input_gives_shared_output_and_stays_unchanged() {
        let first = ev(0.0, 1.0, json!({"url": "https://www.a.org/p?q"}));
        let second = first.clone();
        let unparsed = ev(2.0, 1.0, json!({"url": "nope"}));
        let (input, unparsed_input) = (Arc::clone(&first.data), Arc::clone(&unparsed.data));
        let mut out = split_url_events(vec![first, second, unparsed]);
        assert_eq!(input.len(), 1);
        assert!(Arc::ptr_eq(&out[0].data, &out[1].data));
        assert!(Arc::ptr_eq(&out[2].data, &unparsed_input));
        out[0].data_mut().remove("$domain");
        assert_eq!(out[1].data["$domain"], "a.org");
        assert_eq!(out[0].data.len(), 4);
    }

    #[test]
    fn splits() {
        let cases = [
            (
                json!("https://www.github.com/a/b?x=1&y=2#frag"),
                Some(["https", "github.com", "/a/b", "x=1&y=2"]),
            ),
            (
                json!("http://WWW.Example.COM:8080"),
                Some(["http", "example.com", "/", ""]),
            ),
            (
                json!("chrome://newtab/"),
                Some(["chrome", "newtab", "/", ""]),
            ),
            (
                json!("http://[::1]:80/p"),
                Some(["http", "[::1]", "/p", ""]),
            ),
            (
                json!("http://www.www.x.org/"),
                Some(["http", "x.org", "/", ""]),
            ),
            (json!("about:blank"), Some(["about", "about", "blank", ""])),
            (json!("file:///tmp/a"), Some(["file", "file", "/tmp/a", ""])),
            (json!("not a url"), None),
            (json!(5), None),
        ];
        for (url, expected) in cases {
            let events = split_url_events(vec![ev(0.0, 1.0, json!({"url": url.clone()}))]);
            let data = &events[0].data;
            match expected {
                Some(parts) => {
                    let got = ["$protocol", "$domain", "$path", "$params"]
                        .map(|k| data[k].as_str().unwrap());
                    assert_eq!(got, parts, "{url}");
                }
                None => assert_eq!(data.len(), 1, "{url}"),
            }
        }
    }
}
