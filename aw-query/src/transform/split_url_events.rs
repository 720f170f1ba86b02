//! `split_url_events`: adds `$protocol`, `$domain`, `$path` and `$params` from `data.url` (§7.8).

use aw_models::Event;
use serde_json::Value;
use url::Url;

/// For each event whose `data.url` is a string that parses as an absolute WHATWG URL,
/// sets the four keys (overwriting); other events are unchanged.
pub fn split_url_events(mut events: Vec<Event>) -> Vec<Event> {
    for event in &mut events {
        let Some(url) = event
            .data
            .get("url")
            .and_then(Value::as_str)
            .and_then(|text| Url::parse(text).ok())
        else {
            continue;
        };
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
        for (key, value) in parts {
            event.data.insert(key.to_string(), Value::String(value));
        }
    }
    events
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
