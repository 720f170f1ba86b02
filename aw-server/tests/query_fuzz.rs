//! A bounded fuzz run of `POST /api/0/query/` bodies against the real server: random
//! programs from the query grammar (every built-in, nested calls, operators,
//! literals, variables) plus byte-level mutations of them. Every answer must be one
//! the API documents — 200 with a JSON list, a 4xx with `{"message"}`, upstream's 500
//! for a query error (with our `detail`), 503 for the time budget — never another 5xx,
//! and the server must still answer afterwards. About 3% of the programs start with
//! a list doubled 40 times, which the query budget must refuse.
//!
//! `AW_QUERY_FUZZ_CASES` sets the number of programs (default 1500), `AW_QUERY_FUZZ_SEED`
//! the seed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

mod common;

use common::{event, status_and_text, Harness};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

/// Built-ins with the number of arguments they usually take (a random count is
/// tried too, so arity errors are exercised).
const FUNCTIONS: [(&str, usize); 22] = [
    ("query_bucket", 1),
    ("query_bucket_names", 0),
    ("find_bucket", 1),
    ("flood", 1),
    ("sort_by_duration", 1),
    ("sort_by_timestamp", 1),
    ("sum_durations", 1),
    ("limit_events", 2),
    ("contains", 2),
    ("split_url_events", 1),
    ("concat", 2),
    ("categorize", 2),
    ("tag", 2),
    ("period_union", 2),
    ("merge_events_by_keys", 2),
    ("chunk_events_by_key", 2),
    ("filter_keyvals", 3),
    ("filter_keyvals_regex", 3),
    ("filter_period_intersect", 2),
    ("exclude_keyvals", 3),
    ("union_no_overlap", 2),
    ("print", 1),
];

struct Gen {
    rng: ChaCha8Rng,
    vars: Vec<String>,
}

impl Gen {
    fn expr(&mut self, depth: u32) -> String {
        let leaf = depth == 0 || self.rng.random_bool(0.3);
        if leaf {
            return match self.rng.random_range(0..7) {
                0 => format!("{}", self.rng.random_range(-3..1000)),
                1 => format!("{:.2}", self.rng.random_range(-1e3..1e3)),
                2 => ["\"w\"", "\"app\"", "\"title\"", "\"\"", "\"a.b\"", "\"(\""]
                    [self.rng.random_range(0..6)]
                .to_string(),
                3 if !self.vars.is_empty() => {
                    self.vars[self.rng.random_range(0..self.vars.len())].clone()
                }
                4 => "TIMEINTERVAL".to_string(),
                5 => ["true", "false", "none", "null"][self.rng.random_range(0..4)].to_string(),
                _ => "query_bucket(\"w\")".to_string(),
            };
        }
        match self.rng.random_range(0..6) {
            0..=2 => {
                let (name, arity) = FUNCTIONS[self.rng.random_range(0..FUNCTIONS.len())];
                let count = if self.rng.random_bool(0.85) {
                    arity
                } else {
                    self.rng.random_range(0..4)
                };
                let args: Vec<String> = (0..count).map(|_| self.expr(depth - 1)).collect();
                format!("{name}({})", args.join(", "))
            }
            3 => {
                let op = ["+", "-", "*", "/", "==", "<", "and"][self.rng.random_range(0..7)];
                format!("{} {op} {}", self.expr(depth - 1), self.expr(depth - 1))
            }
            4 => {
                let items: Vec<String> = (0..self.rng.random_range(0..4))
                    .map(|_| self.expr(depth - 1))
                    .collect();
                format!("[{}]", items.join(", "))
            }
            _ => {
                let items: Vec<String> = (0..self.rng.random_range(0..3))
                    .map(|idx| format!("\"k{idx}\": {}", self.expr(depth - 1)))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
        }
    }

    fn program(&mut self) -> String {
        self.vars.clear();
        let mut lines = Vec::new();
        if self.rng.random_bool(0.03) {
            // A memory bomb: doubled 40 times; the query budget must refuse it.
            lines.push("b = [1, 2, 3];".to_string());
            lines.extend((0..40).map(|_| "b = b + b;".to_string()));
        }
        for idx in 0..self.rng.random_range(0..4) {
            let expr = self.expr(3);
            let name = format!("v{idx}");
            lines.push(format!("{name} = {expr};"));
            self.vars.push(name);
        }
        lines.push(format!("RETURN = {};", self.expr(3)));
        lines.join("\n")
    }

    /// Deletes, duplicates or replaces a few bytes (kept valid UTF-8).
    fn mutate(&mut self, program: &str) -> String {
        let mut chars: Vec<char> = program.chars().collect();
        for _ in 0..self.rng.random_range(1..4) {
            if chars.is_empty() {
                break;
            }
            let at = self.rng.random_range(0..chars.len());
            match self.rng.random_range(0..3) {
                0 => {
                    chars.remove(at);
                }
                1 => chars.insert(at, chars[at]),
                _ => {
                    chars[at] = ['(', ')', ';', '"', '[', '{', ',', '=', 'é', '\n']
                        [self.rng.random_range(0..10)]
                }
            }
        }
        chars.into_iter().collect()
    }
}

/// Whether `(status, body)` is an answer the API documents for a query.
fn documented(status: u16, body: &str) -> bool {
    let json: Option<Value> = serde_json::from_str(body).ok();
    match status {
        200 => json.is_some_and(|value| value.is_array()),
        400..=499 => json.is_some_and(|value| value["message"].is_string()),
        // Upstream's status for every query error, with upstream's message.
        500 => json.is_some_and(|value| {
            value["message"].is_string() && value["detail"]["kind"].is_string()
        }),
        503 => json.is_some_and(|value| {
            value["message"]
                .as_str()
                .is_some_and(|m| m.contains("Timeout"))
        }),
        _ => false,
    }
}

#[test]
fn random_and_mutated_programs_get_documented_answers() {
    let cases: usize = common::env_number("AW_QUERY_FUZZ_CASES", 1500);
    let seed: u64 = common::env_number("AW_QUERY_FUZZ_SEED", 0x0f22_u64);
    // A small value budget, so that the bombs are refused after a few MB, quickly.
    let mut config = aw_server::testkit::test_config();
    config.query.max_value_mb = 8;
    let harness = Harness::start_with(config);
    harness.create_bucket("w");
    harness.insert(
        "w",
        json!([
            event(
                "2020-01-01T10:00:00Z",
                60.0,
                json!({"app": "Code", "title": "a.rs", "url": "https://x.org/a"})
            ),
            event(
                "2020-01-01T10:01:00Z",
                30.0,
                json!({"app": "Firefox", "title": "(", "url": "nonsense"})
            ),
        ]),
    );
    let mut generator = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        vars: Vec::new(),
    };
    let mut by_status = std::collections::BTreeMap::new();
    for case in 0..cases {
        let program = generator.program();
        let program = if case % 3 == 2 {
            generator.mutate(&program)
        } else {
            program
        };
        let body = json!({"timeperiods": ["2020-01-01T00:00:00Z/2020-01-02T00:00:00Z"], "query": [program]});
        let (status, text) = status_and_text(harness.post_json("/api/0/query/", &body));
        assert!(
            documented(status, &text),
            "case {case}: {status} {text}\nprogram:\n{program}"
        );
        *by_status.entry(status).or_insert(0) += 1;
    }
    println!("query fuzz: {cases} programs (seed {seed}), answers by status: {by_status:?}");
    assert_eq!(
        harness.get("/api/0/info").status(),
        200,
        "the server still answers"
    );
    assert!(
        by_status.get(&200).is_some_and(|n| *n > cases / 20),
        "too few programs ran: {by_status:?}"
    );
}
