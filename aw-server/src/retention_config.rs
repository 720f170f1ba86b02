//! The `[retention]` table of the config file: opt-in deletion of old events, by
//! bucket id prefix. Off by default (no rules); the generated config shows it
//! commented. The datastore runs the rules by itself once shortly after the start
//! and then daily; `POST /api/0/retention/apply[?dry_run=1]` runs them on request.

use std::time::Duration;

use aw_datastore::{RetentionPolicy, RetentionRule};
use serde::Deserialize;

/// Wait after the start before the first run (the integrity check runs first).
pub const FIRST_RUN_AFTER: Duration = Duration::from_secs(60);
/// Time between two runs.
pub const INTERVAL: Duration = Duration::from_secs(86_400);

/// The `[retention]` table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Only log what the daily run would delete.
    pub dry_run: bool,
    /// The rules (`[[retention.rules]]`); every rule whose prefix matches a bucket applies.
    pub rules: Vec<RetentionRuleConfig>,
}

/// One `[[retention.rules]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRuleConfig {
    /// Buckets whose id starts with this ("" for every bucket).
    pub bucket_prefix: String,
    /// Delete events that ended more than this many days ago.
    #[serde(default)]
    pub keep_days: Option<u32>,
    /// Delete events shorter than `min_duration_secs` that ended more than this many
    /// days ago.
    #[serde(default)]
    pub min_duration_after_days: Option<u32>,
    /// See `min_duration_after_days`.
    #[serde(default)]
    pub min_duration_secs: Option<f64>,
}

/// The commented `[retention]` section of a new config file.
pub const DEFAULT_TEXT: &str = "#\n\
#[retention]\n\
# Opt-in deletion of old events, checked once a minute after the start and then daily.\n\
# Every rule whose bucket_prefix matches a bucket id applies.\n\
# Only log what would be deleted:\n\
#dry_run = false\n\
#[[retention.rules]]\n\
#bucket_prefix = \"aw-watcher-window\"\n\
# Delete events that ended more than 365 days ago.\n\
#keep_days = 365\n\
# Delete events shorter than 1 second once they ended more than 30 days ago.\n\
#min_duration_after_days = 30\n\
#min_duration_secs = 1.0\n";

impl RetentionConfig {
    /// The checked rules; an error names the rule and what is wrong with it.
    pub fn rules(&self) -> Result<Vec<RetentionRule>, String> {
        self.rules
            .iter()
            .enumerate()
            .map(|(idx, rule)| {
                rule.check()
                    .map_err(|reason| format!("[[retention.rules]] number {}: {reason}", idx + 1))
            })
            .collect()
    }

    /// What the datastore runs by itself (no rules: nothing).
    pub fn policy(&self) -> Result<RetentionPolicy, String> {
        Ok(RetentionPolicy {
            rules: self.rules()?,
            dry_run: self.dry_run,
            first_run_after: FIRST_RUN_AFTER,
            interval: INTERVAL,
        })
    }
}

impl RetentionRuleConfig {
    fn check(&self) -> Result<RetentionRule, String> {
        let min_duration_secs = match (self.min_duration_after_days, self.min_duration_secs) {
            (None, None) if self.keep_days.is_none() => {
                return Err("give keep_days or min_duration_after_days".to_string())
            }
            (Some(_), None) => {
                return Err("min_duration_after_days needs min_duration_secs".to_string())
            }
            (None, Some(_)) => {
                return Err("min_duration_secs needs min_duration_after_days".to_string())
            }
            (_, Some(secs)) if !(secs.is_finite() && secs > 0.0) => {
                return Err(format!("min_duration_secs must be above 0, not {secs}"))
            }
            (_, secs) => secs.unwrap_or(0.0),
        };
        Ok(RetentionRule {
            bucket_prefix: self.bucket_prefix.clone(),
            keep_days: self.keep_days,
            min_duration_after_days: self.min_duration_after_days,
            min_duration_secs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commented_example_parses_and_bad_rules_are_named() {
        let example: String = DEFAULT_TEXT
            .lines()
            .filter(|line| !line.starts_with("# ") && *line != "#")
            .map(|line| line.trim_start_matches('#'))
            .collect::<Vec<_>>()
            .join("\n");
        #[derive(Deserialize)]
        struct File {
            retention: RetentionConfig,
        }
        let parsed: File = toml::from_str(&example).unwrap();
        let rules = parsed.retention.rules().unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].keep_days, Some(365));
        assert_eq!(rules[0].min_duration_secs, 1.0);
        for (text, expected) in [
            ("bucket_prefix = \"a\"", "give keep_days"),
            (
                "bucket_prefix = \"a\"\nmin_duration_after_days = 3",
                "needs min_duration_secs",
            ),
            (
                "bucket_prefix = \"a\"\nmin_duration_secs = 3.0",
                "needs min_duration_after_days",
            ),
            (
                "bucket_prefix = \"a\"\nmin_duration_after_days = 3\nmin_duration_secs = -1.0",
                "above 0",
            ),
        ] {
            let rule: RetentionRuleConfig = toml::from_str(text).unwrap();
            let config = RetentionConfig {
                dry_run: false,
                rules: vec![rule],
            };
            let err = config.rules().unwrap_err();
            assert!(err.contains("number 1") && err.contains(expected), "{err}");
        }
        assert!(
            toml::from_str::<RetentionRuleConfig>("bucket_prefix = \"a\"\nkeepdays = 1").is_err()
        );
    }
}
