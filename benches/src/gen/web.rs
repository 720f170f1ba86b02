//! Web pages for the browser buckets (and the browser window titles): sites, URLs and
//! page titles with realistic repetition, plus the per-browser tab state.

use std::sync::Arc;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::vocab::{word, Browser, Pool, PEOPLE, PROJECTS, TOPICS};

/// One web page as aw-watcher-web reports it.
#[derive(Debug, PartialEq)]
pub struct Page {
    /// Full URL.
    pub url: String,
    /// Page title.
    pub title: String,
    /// Pages that play sound (videos, music, calls).
    pub audible: bool,
}

/// One browser's history: its page pool and its slowly changing tab count.
pub(crate) struct BrowserState {
    browser: Browser,
    pages: Pool<Arc<Page>>,
    tab_count: u32,
}

/// What one web-bucket event carries besides its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TabState {
    pub(crate) tab_count: u32,
    pub(crate) incognito: bool,
}

const ORGS: [&str; 6] = [
    "ActivityWatch",
    "rust-lang",
    "tokio-rs",
    "serde-rs",
    "rwf2",
    "acme-corp",
];
const LANGS: [&str; 8] = [
    "rust",
    "python",
    "typescript",
    "sql",
    "bash",
    "go",
    "css",
    "git",
];
const THINGS: [&str; 12] = [
    "iterator",
    "lifetime",
    "async runtime",
    "sqlite index",
    "json parser",
    "regex",
    "docker volume",
    "merge conflict",
    "flexbox",
    "http keep-alive",
    "borrow checker",
    "unit test",
];
const VERBS: [&str; 8] = [
    "fix",
    "speed up",
    "debug",
    "configure",
    "install",
    "remove",
    "profile",
    "understand",
];
const CRATES: [&str; 10] = [
    "serde", "tokio", "rocket", "rusqlite", "chrono", "clap", "reqwest", "rand", "regex", "axum",
];
const SUBREDDITS: [&str; 7] = [
    "rust",
    "programming",
    "linux",
    "selfhosted",
    "Cooking",
    "AskReddit",
    "dataisbeautiful",
];
const WIKI: [&str; 10] = [
    "Rust_(programming_language)",
    "SQLite",
    "B-tree",
    "Write-ahead_logging",
    "Zipf's_law",
    "Unix_time",
    "ISO_8601",
    "HTTP_persistent_connection",
    "Pomodoro_Technique",
    "Time_tracking_software",
];
const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

impl BrowserState {
    pub(crate) fn new(browser: Browser) -> BrowserState {
        BrowserState {
            browser,
            pages: Pool::new(0.12),
            tab_count: 8,
        }
    }

    /// The next page shown in this browser.
    pub(crate) fn next_page(&mut self, rng: &mut ChaCha8Rng) -> Arc<Page> {
        let browser = self.browser;
        self.pages
            .draw(rng, |rng| Arc::new(make_page(rng, browser)))
    }

    /// The tab state for the next web event: the tab count drifts by a tab or two.
    pub(crate) fn next_tabs(&mut self, rng: &mut ChaCha8Rng) -> TabState {
        let step: i64 = rng.random_range(-1..=1);
        self.tab_count = (i64::from(self.tab_count) + step).clamp(1, 60) as u32;
        TabState {
            tab_count: self.tab_count,
            incognito: rng.random_bool(0.004),
        }
    }

    /// The window title the window watcher sees for a page in this browser.
    pub(crate) fn window_title(&self, page: &Page) -> String {
        match self.browser {
            Browser::Chrome => format!("{} - Google Chrome", page.title),
            Browser::Firefox => format!("{} — Mozilla Firefox", page.title),
        }
    }
}

/// The `app` value of the browser's windows (Linux WM_CLASS, as aw-watcher-window reports).
pub(crate) fn app_name(browser: Browser) -> &'static str {
    match browser {
        Browser::Chrome => "Google-chrome",
        Browser::Firefox => "firefox",
    }
}

fn random_id(rng: &mut ChaCha8Rng, len: usize) -> String {
    (0..len)
        .map(|_| {
            let idx = rng.random_range(0..ID_CHARS.len());
            ID_CHARS.get(idx).map_or('x', |byte| char::from(*byte))
        })
        .collect()
}

fn page(url: String, title: String, audible: bool) -> Page {
    Page {
        url,
        title,
        audible,
    }
}

/// A new page; `kind` (0–99) picks the site with fixed shares.
fn make_page(rng: &mut ChaCha8Rng, browser: Browser) -> Page {
    let topic = word(rng, &TOPICS);
    let thing = word(rng, &THINGS);
    let kind = rng.random_range(0..100);
    match kind {
        0..=24 => github_page(rng),
        25..=58 => developer_page(rng, kind, thing),
        59..=64 | 70..=78 | 93..=94 => leisure_page(rng, kind, thing, topic),
        _ => office_page(rng, kind, topic, browser),
    }
}

/// Stack Overflow, YouTube tutorials, searches, docs.rs.
fn developer_page(rng: &mut ChaCha8Rng, kind: u32, thing: &str) -> Page {
    match kind {
        25..=32 => {
            let n = rng.random_range(1_000_000..80_000_000);
            let verb = word(rng, &VERBS);
            let question = format!("How to {verb} {thing} in {}", word(rng, &LANGS));
            let slug = question.to_lowercase().replace(' ', "-");
            let url = format!("https://stackoverflow.com/questions/{n}/{slug}");
            page(url, format!("{question}? - Stack Overflow"), false)
        }
        33..=42 => {
            let url = format!("https://www.youtube.com/watch?v={}", random_id(rng, 11));
            page(
                url,
                format!("{thing} explained in 10 minutes - YouTube"),
                true,
            )
        }
        43..=52 => {
            let query = format!("{} {thing} {}", word(rng, &LANGS), word(rng, &VERBS));
            let url = format!(
                "https://www.google.com/search?q={}",
                query.replace(' ', "+")
            );
            page(url, format!("{query} - Google Search"), false)
        }
        _ => {
            let krate = word(rng, &CRATES);
            let url = format!("https://docs.rs/{krate}/latest/{krate}/");
            page(url, format!("{krate} - Rust"), false)
        }
    }
}

/// Reddit, Hacker News, Wikipedia, music.
fn leisure_page(rng: &mut ChaCha8Rng, kind: u32, thing: &str, topic: &str) -> Page {
    match kind {
        59..=64 => {
            let sub = word(rng, &SUBREDDITS);
            let id = random_id(rng, 6).to_lowercase();
            let url = format!("https://www.reddit.com/r/{sub}/comments/{id}/");
            page(url, format!("{thing} {topic} : r/{sub}"), false)
        }
        70..=73 => {
            let n = rng.random_range(30_000_000..42_000_000);
            let url = format!("https://news.ycombinator.com/item?id={n}");
            page(
                url,
                format!("Show HN: a faster {thing} | Hacker News"),
                false,
            )
        }
        74..=78 => {
            let article = word(rng, &WIKI);
            let url = format!("https://en.wikipedia.org/wiki/{article}");
            page(
                url,
                format!("{} - Wikipedia", article.replace('_', " ")),
                false,
            )
        }
        _ => {
            let url = format!("https://open.spotify.com/playlist/{}", random_id(rng, 22));
            page(url, format!("Spotify – {thing} focus"), true)
        }
    }
}

/// Mail, tickets, documents, calls, the ActivityWatch UI, new tabs.
fn office_page(rng: &mut ChaCha8Rng, kind: u32, topic: &str, browser: Browser) -> Page {
    match kind {
        65..=69 => {
            let unread = rng.random_range(0..40);
            let url = "https://mail.google.com/mail/u/0/#inbox".to_string();
            page(
                url,
                format!("Inbox ({unread}) - user@example.com - Gmail"),
                false,
            )
        }
        79..=86 => {
            let n = rng.random_range(1..4000);
            let url = format!("https://acme.atlassian.net/browse/OPS-{n}");
            page(url, format!("[OPS-{n}] {topic} - Jira"), false)
        }
        87..=90 => {
            let url = format!(
                "https://docs.google.com/document/d/{}/edit",
                random_id(rng, 44)
            );
            page(url, format!("{topic} - Google Docs"), false)
        }
        91..=92 => {
            let url = format!(
                "https://meet.google.com/{}",
                random_id(rng, 10).to_lowercase()
            );
            page(url, format!("Meet - {topic}"), true)
        }
        95..=96 => {
            let url = "http://localhost:5600/#/activity/benchhost/view/".to_string();
            page(url, "ActivityWatch".to_string(), false)
        }
        _ => match browser {
            Browser::Chrome => page("chrome://newtab/".into(), "New Tab".into(), false),
            Browser::Firefox => page("about:newtab".into(), "New Tab".into(), false),
        },
    }
}

fn github_page(rng: &mut ChaCha8Rng) -> Page {
    let org = word(rng, &ORGS);
    let repo = word(rng, &PROJECTS);
    let n = rng.random_range(1..5000);
    let topic = word(rng, &TOPICS);
    let thing = word(rng, &THINGS);
    match rng.random_range(0..3) {
        0 => page(
            format!("https://github.com/{org}/{repo}/issues/{n}"),
            format!("{thing} breaks {topic} · Issue #{n} · {org}/{repo}"),
            false,
        ),
        1 => page(
            format!("https://github.com/{org}/{repo}/pull/{n}"),
            format!(
                "Improve {thing} by {} · Pull Request #{n} · {org}/{repo} · GitHub",
                word(rng, &PEOPLE)
            ),
            false,
        ),
        _ => page(
            format!("https://github.com/{org}/{repo}"),
            format!("GitHub - {org}/{repo}: {thing} tools"),
            false,
        ),
    }
}
