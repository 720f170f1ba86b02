//! [`KNOWN_BROWSERS`]: the browsers aw-webui knows, with the window app names that
//! tell when each one was the active window.

/// One browser whose aw-watcher-web bucket can be joined with window events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Browser {
    /// Short name; a browser bucket belongs to it when the bucket id contains it.
    pub name: &'static str,
    /// Exact window `app` values (Flatpak ids and similar).
    pub app_names: &'static [&'static str],
    /// Case-insensitive pattern for the other `app` spellings (`Firefox.exe`, …).
    pub app_regex: &'static str,
}

/// aw-webui's table (`browser_appnames` and `browser_appname_regex` in
/// `src/queries.ts`), in its order, which is also the order of the generated query.
pub const KNOWN_BROWSERS: &[Browser] = &[
    Browser {
        name: "chrome",
        app_names: &[
            "com.google.Chrome",
            "com.google.ChromeDev",
            "org.chromium.Chromium",
            "company.thebrowser.dia",
        ],
        app_regex: r"(?i)^(google[-_ ]?chrome|chrome|chromium|arc(\.exe)?$|dia(\.exe)?$)",
    },
    Browser {
        name: "firefox",
        app_names: &[
            "org.mozilla.firefox",
            "io.gitlab.librewolf-community",
            "net.waterfox.waterfox",
        ],
        app_regex: "(?i)(firefox|librewolf|waterfox|nightly)",
    },
    Browser {
        name: "opera",
        app_names: &["com.opera.Opera"],
        app_regex: "(?i)(opera)",
    },
    Browser {
        name: "brave",
        app_names: &["com.brave.Browser"],
        app_regex: "(?i)(brave)",
    },
    Browser {
        name: "edge",
        app_names: &["com.microsoft.Edge", "com.microsoft.EdgeDev"],
        app_regex: "(?i)^(microsoft[-_ ]?edge|msedge)",
    },
    Browser {
        name: "arc",
        app_names: &[],
        app_regex: r"(?i)^arc(\.exe)?$",
    },
    Browser {
        name: "vivaldi",
        app_names: &["com.vivaldi.Vivaldi"],
        app_regex: "(?i)(vivaldi)",
    },
    Browser {
        name: "orion",
        app_names: &["Orion"],
        app_regex: "(?i)(orion)",
    },
    Browser {
        name: "yandex",
        app_names: &["ru.yandex.Browser"],
        app_regex: "(?i)(yandex)",
    },
    Browser {
        name: "zen",
        app_names: &["app.zen_browser.zen"],
        app_regex: "(?i)(zen)",
    },
    Browser {
        name: "floorp",
        app_names: &["one.ablaze.floorp"],
        app_regex: "(?i)(floorp)",
    },
    Browser {
        name: "helium",
        app_names: &["net.imput.helium"],
        app_regex: "(?i)(helium)",
    },
];

/// For each known browser in table order, the first of `bucket_ids` containing its
/// name; browsers without a bucket are left out (aw-webui's `browsersWithBuckets`).
pub(crate) fn browsers_with_buckets(bucket_ids: &[String]) -> Vec<(&'static Browser, &str)> {
    KNOWN_BROWSERS
        .iter()
        .filter_map(|browser| {
            let bucket_id = bucket_ids.iter().find(|id| id.contains(browser.name))?;
            Some((browser, bucket_id.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_matched_by_name_in_table_order() {
        let buckets = vec![
            "aw-watcher-web-firefox_host".to_string(),
            "aw-watcher-web-chrome_host".to_string(),
            "aw-watcher-web-firefox_other".to_string(),
            "aw-watcher-window_host".to_string(),
        ];
        let found: Vec<(&str, &str)> = browsers_with_buckets(&buckets)
            .into_iter()
            .map(|(browser, bucket_id)| (browser.name, bucket_id))
            .collect();
        assert_eq!(
            found,
            vec![
                ("chrome", "aw-watcher-web-chrome_host"),
                ("firefox", "aw-watcher-web-firefox_host"),
            ]
        );
        assert!(browsers_with_buckets(&[]).is_empty());
    }
}
