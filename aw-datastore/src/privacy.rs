//! Privacy filters: the rules of the setting `privacy_filters` (API.md §6.12, which
//! upstream stores but never applies), parsed once and applied by the worker to every
//! event before it is stored (inserts, heartbeats, bucket creation with events,
//! imports) and, on request, to the events already stored.
//!
//! What must stay true: a rule that cannot work is refused whole when the setting is
//! written (the old rules stay); applying rules never panics; a redaction replaces the
//! whole string value that matched; `field: null` means every string value anywhere in
//! `data` (objects and arrays, at any depth); applying the same rules twice changes
//! nothing the second time.

use std::collections::HashMap;

use aw_models::{Event, JsonMap, PlannedEvent};
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use crate::buckets::parse_data;
use crate::error::{DatastoreError, Result};

/// Where the rules are stored (`settings.` + the settings key `privacy_filters`).
pub const SETTING_KEY: &str = "settings.privacy_filters";
/// What a `redact` rule writes when it gives no `replacement`.
pub const DEFAULT_REPLACEMENT: &str = "REDACTED";

/// The parsed, enabled rules, in the order they were written.
#[derive(Debug, Clone, Default)]
pub struct PrivacyFilters {
    rules: Vec<Rule>,
}

/// What the rules did to one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing matched (or redaction left the data as it was).
    Kept,
    /// At least one value was replaced.
    Redacted,
    /// A `drop` rule matched: the event must not be stored.
    Dropped,
}

#[derive(Debug, Clone)]
struct Rule {
    bucket_prefix: Option<String>,
    /// The dotted path split at the dots; `None` looks at every string value.
    field: Option<Vec<String>>,
    pattern: Regex,
    action: Action,
    replacement: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Action {
    Drop,
    Redact,
}

/// A rule as written. Unknown keys are ignored, as upstream's parser does, so a rule
/// document written for either server works on both.
#[derive(Deserialize)]
struct RawRule {
    enabled: bool,
    bucket_prefix: Option<String>,
    field: Option<String>,
    pattern: String,
    action: Action,
    replacement: Option<String>,
}

impl PrivacyFilters {
    /// Parses the setting's value; `null` (unset) means no rules. Any rule that cannot
    /// work (wrong type, unknown action, invalid regex, empty path segment) fails the
    /// whole value with a message naming the rule.
    pub fn parse(value: &Value) -> Result<PrivacyFilters> {
        let items = match value {
            Value::Null => return Ok(PrivacyFilters::default()),
            Value::Array(items) => items,
            _ => {
                return Err(invalid(
                    "privacy_filters must be a JSON array of rules".to_string(),
                ))
            }
        };
        let mut rules = Vec::new();
        for (idx, item) in items.iter().enumerate() {
            if let Some(rule) = parse_rule(item).map_err(|reason| {
                invalid(format!(
                    "invalid privacy filter privacy_filters[{idx}]: {reason}"
                ))
            })? {
                rules.push(rule);
            }
        }
        Ok(PrivacyFilters { rules })
    }

    /// Parses a stored value that may predate validation (written by another server
    /// or an older version): rules that cannot work are skipped with a warning.
    pub fn parse_stored(value: &Value) -> PrivacyFilters {
        let Value::Array(items) = value else {
            if !value.is_null() {
                log::warn!("stored privacy_filters is not an array; no filter is active");
            }
            return PrivacyFilters::default();
        };
        let rules = items
            .iter()
            .enumerate()
            .filter_map(|(idx, item)| match parse_rule(item) {
                Ok(rule) => rule,
                Err(reason) => {
                    log::warn!("stored privacy_filters[{idx}] is skipped: {reason}");
                    None
                }
            })
            .collect();
        PrivacyFilters { rules }
    }

    /// Whether no rule is enabled.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Applies every rule in order to `data` of an event of `bucket_id`: a `drop` stops
    /// at once, a `redact` rewrites and the later rules see the rewritten data.
    pub fn apply(&self, bucket_id: &str, data: &mut JsonMap) -> Verdict {
        let mut verdict = Verdict::Kept;
        for rule in &self.rules {
            if rule
                .bucket_prefix
                .as_ref()
                .is_some_and(|prefix| !bucket_id.starts_with(prefix.as_str()))
            {
                continue;
            }
            match rule.action {
                Action::Drop if rule.matches(data) => return Verdict::Dropped,
                Action::Drop => {}
                Action::Redact => {
                    if rule.redact(data) {
                        verdict = Verdict::Redacted;
                    }
                }
            }
        }
        verdict
    }

    /// The events that may be stored, redacted, in their order.
    pub fn filter_events(&self, bucket_id: &str, events: Vec<Event>) -> Vec<Event> {
        if self.is_empty() {
            return events;
        }
        events
            .into_iter()
            .filter_map(|mut event| match self.apply(bucket_id, &mut event.data) {
                Verdict::Dropped => None,
                Verdict::Kept | Verdict::Redacted => Some(event),
            })
            .collect()
    }

    /// The planned events the rules keep, pointing at their data as the rules leave
    /// it (a redacted text is added to `texts`). The rules depend only on the bucket
    /// and the data, so they run once per distinct text.
    pub fn filter_planned(
        &self,
        bucket_id: &str,
        texts: &mut Vec<Box<str>>,
        events: Vec<PlannedEvent>,
    ) -> Vec<PlannedEvent> {
        if self.is_empty() {
            return events;
        }
        let mut outcome: HashMap<u32, Option<u32>> = HashMap::new();
        events
            .into_iter()
            .filter_map(|mut event| {
                let kept = *outcome.entry(event.data).or_insert_with(|| {
                    let mut data = parse_data(event.data_in(texts), "event");
                    match self.apply(bucket_id, &mut data) {
                        Verdict::Dropped => None,
                        Verdict::Kept => Some(event.data),
                        Verdict::Redacted => {
                            let text = serde_json::to_string(&data).unwrap_or_default();
                            texts.push(text.into());
                            u32::try_from(texts.len() - 1).ok()
                        }
                    }
                });
                event.data = kept?;
                Some(event)
            })
            .collect()
    }
}

impl Rule {
    fn matches(&self, data: &JsonMap) -> bool {
        match &self.field {
            Some(path) => lookup(data, path)
                .and_then(Value::as_str)
                .is_some_and(|text| self.pattern.is_match(text)),
            None => data.values().any(|value| self.matches_any(value)),
        }
    }

    fn matches_any(&self, value: &Value) -> bool {
        match value {
            Value::String(text) => self.pattern.is_match(text),
            Value::Array(items) => items.iter().any(|item| self.matches_any(item)),
            Value::Object(map) => map.values().any(|item| self.matches_any(item)),
            _ => false,
        }
    }

    /// Replaces the matching string value(s); true if anything changed.
    fn redact(&self, data: &mut JsonMap) -> bool {
        match &self.field {
            Some(path) => match lookup_mut(data, path) {
                Some(value) => self.redact_string(value),
                None => false,
            },
            None => data
                .values_mut()
                .fold(false, |changed, value| self.redact_all(value) | changed),
        }
    }

    fn redact_all(&self, value: &mut Value) -> bool {
        match value {
            Value::String(_) => self.redact_string(value),
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |changed, item| self.redact_all(item) | changed),
            Value::Object(map) => map
                .values_mut()
                .fold(false, |changed, item| self.redact_all(item) | changed),
            _ => false,
        }
    }

    fn redact_string(&self, value: &mut Value) -> bool {
        let Value::String(text) = value else {
            return false;
        };
        if !self.pattern.is_match(text) || *text == self.replacement {
            return false;
        }
        text.clone_from(&self.replacement);
        true
    }
}

/// One rule; `Ok(None)` for a valid rule that is disabled.
fn parse_rule(item: &Value) -> std::result::Result<Option<Rule>, String> {
    let raw = RawRule::deserialize(item).map_err(|err| err.to_string())?;
    let pattern = Regex::new(&raw.pattern)
        .map_err(|err| format!("invalid regex {:?}: {err}", raw.pattern))?;
    let field = match raw.field {
        None => None,
        Some(path) => {
            let parts: Vec<String> = path.split('.').map(str::to_string).collect();
            if parts.iter().any(String::is_empty) {
                return Err(format!(
                    "field {path:?} is not a dotted path (empty segment); use null for every field"
                ));
            }
            Some(parts)
        }
    };
    if !raw.enabled {
        return Ok(None);
    }
    Ok(Some(Rule {
        bucket_prefix: raw.bucket_prefix,
        field,
        pattern,
        action: raw.action,
        replacement: raw
            .replacement
            .unwrap_or_else(|| DEFAULT_REPLACEMENT.to_string()),
    }))
}

fn lookup<'a>(data: &'a JsonMap, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    rest.iter()
        .try_fold(data.get(first)?, |value, part| value.as_object()?.get(part))
}

fn lookup_mut<'a>(data: &'a mut JsonMap, path: &[String]) -> Option<&'a mut Value> {
    let (first, rest) = path.split_first()?;
    rest.iter().try_fold(data.get_mut(first)?, |value, part| {
        value.as_object_mut()?.get_mut(part)
    })
}

fn invalid(reason: String) -> DatastoreError {
    DatastoreError::InvalidInput { reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filters(rules: Value) -> PrivacyFilters {
        PrivacyFilters::parse(&rules).unwrap()
    }

    fn run(rules: &PrivacyFilters, bucket: &str, data: Value) -> (Verdict, Value) {
        let mut data = data.as_object().unwrap().clone();
        let verdict = rules.apply(bucket, &mut data);
        (verdict, Value::Object(data))
    }

    fn rule(prefix: Value, field: Value, pattern: &str, action: &str, replacement: Value) -> Value {
        json!({"enabled": true, "bucket_prefix": prefix, "field": field, "pattern": pattern,
               "action": action, "replacement": replacement})
    }

    #[test]
    fn every_field_and_action() {
        let null = Value::Null;
        // (rules, bucket, data, expected verdict, expected data)
        let cases = [
            // Drop by a top-level field, unanchored, case-insensitive by flag.
            (
                rule(
                    null.clone(),
                    json!("title"),
                    "(?i)incognito",
                    "drop",
                    null.clone(),
                ),
                "w",
                json!({"title": "New Incognito tab"}),
                Verdict::Dropped,
                json!({"title": "New Incognito tab"}),
            ),
            // Redact with the default replacement; other fields untouched.
            (
                rule(null.clone(), json!("title"), "bank", "redact", null.clone()),
                "w",
                json!({"title": "my bank", "app": "bank-app"}),
                Verdict::Redacted,
                json!({"title": "REDACTED", "app": "bank-app"}),
            ),
            // Redact with a replacement, nested path.
            (
                rule(
                    null.clone(),
                    json!("tab.url"),
                    "^https://bank",
                    "redact",
                    json!("x"),
                ),
                "w",
                json!({"tab": {"url": "https://bank.example/a", "n": 1}}),
                Verdict::Redacted,
                json!({"tab": {"url": "x", "n": 1}}),
            ),
            // The prefix does not match: nothing happens.
            (
                rule(
                    json!("aw-watcher-web"),
                    json!("title"),
                    ".",
                    "drop",
                    null.clone(),
                ),
                "aw-watcher-window_host",
                json!({"title": "t"}),
                Verdict::Kept,
                json!({"title": "t"}),
            ),
            // The prefix matches.
            (
                rule(
                    json!("aw-watcher-web"),
                    json!("title"),
                    ".",
                    "drop",
                    null.clone(),
                ),
                "aw-watcher-web-firefox",
                json!({"title": "t"}),
                Verdict::Dropped,
                json!({"title": "t"}),
            ),
            // A missing or non-string field never matches.
            (
                rule(null.clone(), json!("n"), ".*", "drop", null.clone()),
                "w",
                json!({"n": 5, "m": "x"}),
                Verdict::Kept,
                json!({"n": 5, "m": "x"}),
            ),
            // field null: every string value, at any depth, arrays included.
            (
                rule(null.clone(), null.clone(), "secret", "redact", json!("*")),
                "w",
                json!({"a": "a secret", "b": ["secret", 1, "no"], "c": {"d": "secret!"}, "e": true}),
                Verdict::Redacted,
                json!({"a": "*", "b": ["*", 1, "no"], "c": {"d": "*"}, "e": true}),
            ),
            (
                rule(null.clone(), null.clone(), "secret", "drop", null.clone()),
                "w",
                json!({"x": {"y": ["secret"]}}),
                Verdict::Dropped,
                json!({"x": {"y": ["secret"]}}),
            ),
            // Unicode: case folding and non-ASCII text.
            (
                rule(
                    null.clone(),
                    json!("title"),
                    "(?i)приватный",
                    "redact",
                    json!("скрыто 🔒"),
                ),
                "w",
                json!({"title": "Приватный просмотр"}),
                Verdict::Redacted,
                json!({"title": "скрыто 🔒"}),
            ),
            // A value already equal to the replacement counts as unchanged.
            (
                rule(null.clone(), json!("title"), ".*", "redact", null.clone()),
                "w",
                json!({"title": "REDACTED"}),
                Verdict::Kept,
                json!({"title": "REDACTED"}),
            ),
            // A disabled rule does nothing.
            (
                json!({"enabled": false, "pattern": ".", "action": "drop"}),
                "w",
                json!({"title": "t"}),
                Verdict::Kept,
                json!({"title": "t"}),
            ),
        ];
        for (idx, (rules, bucket, data, verdict, expected)) in cases.into_iter().enumerate() {
            let rules = filters(json!([rules]));
            assert_eq!(run(&rules, bucket, data), (verdict, expected), "case {idx}");
        }
    }

    #[test]
    fn rules_apply_in_order_and_see_earlier_redactions() {
        let rules = filters(json!([
            rule(
                Value::Null,
                json!("title"),
                "bank",
                "redact",
                json!("hidden")
            ),
            rule(Value::Null, json!("title"), "^hidden$", "drop", Value::Null),
        ]));
        let (verdict, _) = run(&rules, "w", json!({"title": "bank"}));
        assert_eq!(verdict, Verdict::Dropped);
        let rules = filters(json!([
            rule(Value::Null, json!("title"), "a", "drop", Value::Null),
            rule(Value::Null, json!("title"), "b", "redact", Value::Null),
        ]));
        assert_eq!(run(&rules, "w", json!({"title": "b"})).0, Verdict::Redacted);
        assert_eq!(run(&rules, "w", json!({"title": "ab"})).0, Verdict::Dropped);
    }

    #[test]
    fn rules_that_cannot_work_are_refused_with_their_index() {
        let good = rule(Value::Null, json!("t"), "x", "drop", Value::Null);
        let cases = [
            (json!({"a": 1}), "must be a JSON array"),
            (
                json!([good, {"enabled": true, "pattern": "[a", "action": "drop"}]),
                "privacy_filters[1]: invalid regex \"[a\"",
            ),
            (
                json!([{"enabled": true, "pattern": "a", "action": "delete"}]),
                "privacy_filters[0]: unknown variant `delete`",
            ),
            (
                json!([{"enabled": "yes", "pattern": "a", "action": "drop"}]),
                "privacy_filters[0]: invalid type: string \"yes\", expected a boolean",
            ),
            (
                json!([{"enabled": true, "action": "drop"}]),
                "missing field `pattern`",
            ),
            (
                json!([{"enabled": true, "pattern": "a", "action": "drop", "field": "a..b"}]),
                "empty segment",
            ),
            (
                json!([{"enabled": true, "pattern": "a", "action": "drop", "field": 3}]),
                "invalid type: integer `3`",
            ),
            (
                json!([{"enabled": false, "pattern": "(", "action": "drop"}]),
                "invalid regex",
            ),
            (json!(["rule"]), "privacy_filters[0]"),
        ];
        for (value, expected) in cases {
            let err = PrivacyFilters::parse(&value).unwrap_err().to_string();
            assert!(err.contains(expected), "{err:?} lacks {expected:?}");
        }
        assert!(PrivacyFilters::parse(&Value::Null).unwrap().is_empty());
        assert!(PrivacyFilters::parse(&json!([])).unwrap().is_empty());
        // Unknown keys are ignored, as upstream's parser does.
        let extra = json!([{"enabled": true, "pattern": "a", "action": "drop", "name": "n"}]);
        assert!(!PrivacyFilters::parse(&extra).unwrap().is_empty());
        // A stored value keeps the rules that work.
        let stored = PrivacyFilters::parse_stored(&json!([
            {"enabled": true, "pattern": "(", "action": "drop"},
            {"enabled": true, "pattern": "a", "action": "drop"},
        ]));
        assert_eq!(run(&stored, "w", json!({"t": "a"})).0, Verdict::Dropped);
    }
}
