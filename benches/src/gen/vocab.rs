//! Word lists, the desktop applications and their window titles, and [`Pool`]: the
//! "reuse recent things, sometimes something new" model that gives titles their long tail.

use std::sync::Arc;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Which browser an on-period uses; decides the window app name and the web bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Browser {
    Chrome,
    Firefox,
}

/// The kind of titles an application produces.
#[derive(Debug, Clone, Copy)]
enum TitleKind {
    Editor,
    Terminal,
    Chat,
    Mail,
    Music,
    Office,
    Files,
    Notes,
    Meeting,
    Game,
    Image,
}

/// What the focused window is: a browser (titles come from its pages) or another app.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AppKind {
    Browser,
    Other(usize),
}

/// One desktop application: the `app` value the window watcher reports (Linux WM_CLASS),
/// its share of focus changes, the kind of titles it has and how often a title is new.
struct App {
    name: &'static str,
    weight: f64,
    kind: TitleKind,
    new_title_rate: f64,
}

const APPS: [App; 14] = [
    app("Code", 19.0, TitleKind::Editor, 0.04),
    app("Alacritty", 14.0, TitleKind::Terminal, 0.12),
    app("Slack", 9.0, TitleKind::Chat, 0.02),
    app("thunderbird", 4.0, TitleKind::Mail, 0.25),
    app("Spotify", 2.0, TitleKind::Music, 0.35),
    app("libreoffice-writer", 2.5, TitleKind::Office, 0.05),
    app("org.gnome.Nautilus", 2.0, TitleKind::Files, 0.08),
    app("obsidian", 3.0, TitleKind::Notes, 0.06),
    app("zoom", 1.5, TitleKind::Meeting, 0.03),
    app("discord", 2.0, TitleKind::Chat, 0.02),
    app("jetbrains-idea", 3.0, TitleKind::Editor, 0.04),
    app("Signal", 1.5, TitleKind::Chat, 0.01),
    app("Minecraft", 0.5, TitleKind::Game, 0.01),
    app("Gimp-2.10", 0.7, TitleKind::Image, 0.15),
];

/// Share of focus changes that land on the browser (the rest go to [`APPS`]).
const BROWSER_WEIGHT: f64 = 36.0;
/// Probability that the next window event keeps the current application.
const STAY_IN_APP: f64 = 0.35;

const fn app(name: &'static str, weight: f64, kind: TitleKind, new_title_rate: f64) -> App {
    App {
        name,
        weight,
        kind,
        new_title_rate,
    }
}

pub(crate) const PROJECTS: [&str; 15] = [
    "aw-server-rust",
    "aw-webui",
    "billing-service",
    "infra",
    "dotfiles",
    "thesis",
    "website",
    "ml-pipeline",
    "mobile-app",
    "data-warehouse",
    "auth-gateway",
    "design-system",
    "blog",
    "scripts",
    "kernel-patches",
];
const MODULES: [&str; 20] = [
    "main", "lib", "mod", "config", "server", "client", "utils", "models", "routes", "handlers",
    "schema", "tests", "index", "app", "api", "db", "worker", "parser", "lexer", "README",
];
const EXTENSIONS: [&str; 12] = [
    "rs", "py", "ts", "tsx", "md", "toml", "json", "yaml", "go", "sql", "sh", "vue",
];
pub(crate) const PEOPLE: [&str; 20] = [
    "Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory",
    "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Yusuf",
];
const CHANNELS: [&str; 15] = [
    "general",
    "random",
    "dev",
    "ops",
    "incidents",
    "design",
    "standup",
    "releases",
    "hiring",
    "support",
    "frontend",
    "backend",
    "data",
    "security",
    "watercooler",
];
pub(crate) const TOPICS: [&str; 18] = [
    "deploy",
    "release",
    "invoice",
    "meeting notes",
    "budget",
    "roadmap",
    "bug report",
    "code review",
    "on-call",
    "offsite",
    "quarterly review",
    "migration",
    "outage",
    "feature request",
    "onboarding",
    "performance",
    "contract",
    "newsletter",
];
const COMMANDS: [&str; 10] = [
    "cargo test",
    "cargo build --release",
    "git log",
    "htop",
    "make",
    "docker compose up",
    "npm run dev",
    "pytest",
    "kubectl get pods",
    "journalctl -f",
];
const ARTISTS: [&str; 12] = [
    "Daft Punk",
    "Radiohead",
    "Bonobo",
    "Nils Frahm",
    "Massive Attack",
    "Boards of Canada",
    "Tycho",
    "Aphex Twin",
    "Portishead",
    "Khruangbin",
    "Caribou",
    "Floating Points",
];
const SONG_WORDS: [&str; 16] = [
    "Midnight", "Echoes", "Glass", "River", "Signal", "Orbit", "Paper", "Static", "Summer",
    "Lights", "Shadow", "Motion", "Harbor", "Velvet", "Drift", "Ember",
];

/// One uniformly chosen word of a list (the lists are never empty).
pub(crate) fn word<'a>(rng: &mut ChaCha8Rng, words: &[&'a str]) -> &'a str {
    let idx = rng.random_range(0..words.len().max(1));
    words.get(idx).copied().unwrap_or("")
}

/// A growing collection of things (titles, pages) that are mostly reused.
///
/// Each draw creates a new item with probability `new_rate`; otherwise it reuses an old
/// one, either a long-time favourite (the first items, Zipf-like) or, more often, one of
/// the recently created ones. This gives the heavy head and long tail of real titles.
pub(crate) struct Pool<T> {
    items: Vec<T>,
    new_rate: f64,
}

impl<T: Clone> Pool<T> {
    pub(crate) fn new(new_rate: f64) -> Pool<T> {
        Pool {
            items: Vec::new(),
            new_rate,
        }
    }

    pub(crate) fn draw(
        &mut self,
        rng: &mut ChaCha8Rng,
        make: impl FnOnce(&mut ChaCha8Rng) -> T,
    ) -> T {
        let len = self.items.len();
        if len == 0 || rng.random_bool(self.new_rate) {
            let item = make(rng);
            self.items.push(item.clone());
            return item;
        }
        let offset = if rng.random_bool(0.4) {
            let head = len.min(12) as f64;
            (head * rng.random::<f64>().powi(2)) as usize
        } else {
            len - 1 - ((len as f64) * rng.random::<f64>().powi(3)) as usize
        };
        match self.items.get(offset.min(len - 1)) {
            Some(item) => item.clone(),
            None => make(rng),
        }
    }
}

/// The window watcher's side: which app is focused and its title pools.
pub(crate) struct Desktop {
    current: AppKind,
    title_pools: Vec<Pool<Arc<str>>>,
    app_names: Vec<Arc<str>>,
}

impl Desktop {
    pub(crate) fn new() -> Desktop {
        Desktop {
            current: AppKind::Browser,
            title_pools: APPS
                .iter()
                .map(|app| Pool::new(app.new_title_rate))
                .collect(),
            app_names: APPS.iter().map(|app| Arc::from(app.name)).collect(),
        }
    }

    /// The application focused next: often the same one, otherwise drawn by weight.
    pub(crate) fn next_app(&mut self, rng: &mut ChaCha8Rng) -> AppKind {
        if rng.random_bool(STAY_IN_APP) {
            return self.current;
        }
        let total: f64 = BROWSER_WEIGHT + APPS.iter().map(|app| app.weight).sum::<f64>();
        let mut ticket = rng.random::<f64>() * total - BROWSER_WEIGHT;
        self.current = AppKind::Browser;
        if ticket >= 0.0 {
            for (idx, app) in APPS.iter().enumerate() {
                self.current = AppKind::Other(idx);
                ticket -= app.weight;
                if ticket < 0.0 {
                    break;
                }
            }
        }
        self.current
    }

    /// The `app` and `title` of a non-browser window.
    pub(crate) fn window(&mut self, rng: &mut ChaCha8Rng, app_idx: usize) -> (Arc<str>, Arc<str>) {
        let name = self
            .app_names
            .get(app_idx)
            .cloned()
            .unwrap_or_else(|| Arc::from("unknown"));
        let kind = APPS.get(app_idx).map_or(TitleKind::Files, |app| app.kind);
        let title = match self.title_pools.get_mut(app_idx) {
            Some(pool) => pool.draw(rng, |rng| Arc::from(make_title(rng, kind))),
            None => Arc::from(""),
        };
        (name, title)
    }
}

fn make_title(rng: &mut ChaCha8Rng, kind: TitleKind) -> String {
    let project = word(rng, &PROJECTS);
    match kind {
        TitleKind::Editor => format!(
            "{}.{} - {project} - Visual Studio Code",
            word(rng, &MODULES),
            word(rng, &EXTENSIONS)
        ),
        TitleKind::Terminal => match rng.random_range(0..3) {
            0 => format!("user@workstation: ~/src/{project}"),
            1 => format!("vim {}.{}", word(rng, &MODULES), word(rng, &EXTENSIONS)),
            _ => format!("{} — {project}", word(rng, &COMMANDS)),
        },
        TitleKind::Chat => match rng.random_range(0..4) {
            0 => format!("{} (DM) | Acme - Slack", word(rng, &PEOPLE)),
            _ => format!("#{} | Acme - Slack", word(rng, &CHANNELS)),
        },
        TitleKind::Mail => format!(
            "Re: {} {} - Inbox - Mozilla Thunderbird",
            word(rng, &TOPICS),
            rng.random_range(1..500)
        ),
        TitleKind::Music => format!(
            "{} - {} {}",
            word(rng, &ARTISTS),
            word(rng, &SONG_WORDS),
            word(rng, &SONG_WORDS)
        ),
        TitleKind::Office => format!(
            "{} {}.odt - LibreOffice Writer",
            word(rng, &TOPICS),
            rng.random_range(2019..2027)
        ),
        TitleKind::Files => format!("{project} — {}", word(rng, &MODULES)),
        TitleKind::Notes => format!("{} - vault - Obsidian v1.5.12", word(rng, &TOPICS)),
        TitleKind::Meeting => format!("Zoom Meeting - {} sync", word(rng, &TOPICS)),
        TitleKind::Game => "Minecraft 1.20.4 - Singleplayer".to_string(),
        TitleKind::Image => format!(
            "[screenshot-{}] (imported)-1.0 (RGB color 8-bit gamma integer) – GIMP",
            rng.random_range(1..100_000)
        ),
    }
}
