//! `categorize` and `tag`: rule matching over event data (§7.9).

use std::sync::Arc;

use aw_models::{JsonMap, SharedEvent};
use serde_json::Value;

use crate::budget::entry_bytes;
use crate::rules::{Rule, RuleMatcher};
use crate::transform::memo::DataMemo;

/// Sets `$category` to the name of the deepest matching rule; on equal depth the later
/// rule wins (so any matching depth-1 rule replaces the default `["Uncategorized"]`),
/// and an empty name never wins. The rules run once per distinct data: events that
/// shared their input data share the output data.
pub fn categorize(events: Vec<SharedEvent>, rules: &[(Vec<String>, Rule)]) -> Vec<SharedEvent> {
    categorize_counting(events, rules).0
}

/// [`categorize`], also returning a bound of the bytes the query budget's measure of
/// the events grew by (each event counted as unshared).
pub(crate) fn categorize_counting(
    events: Vec<SharedEvent>,
    rules: &[(Vec<String>, Rule)],
) -> (Vec<SharedEvent>, usize) {
    let uncategorized = vec!["Uncategorized".to_string()];
    let matcher = RuleMatcher::new(rules.iter().map(|(_, rule)| rule));
    with_key(events, "$category", |data| {
        let matches = matcher.matches(data);
        let mut category = &uncategorized;
        for (idx, (name, _)) in rules.iter().enumerate() {
            if name.len() >= category.len() && matches.rule(idx) {
                category = name;
            }
        }
        Value::Array(category.iter().cloned().map(Value::String).collect())
    })
}

/// Sets `$tags` to the names of all matching rules, sorted and de-duplicated (always
/// set), once per distinct data as [`categorize`] does.
pub fn tag(events: Vec<SharedEvent>, rules: &[(String, Rule)]) -> Vec<SharedEvent> {
    tag_counting(events, rules).0
}

/// [`tag`], also returning a bound of the bytes added, as [`categorize_counting`] does.
pub(crate) fn tag_counting(
    events: Vec<SharedEvent>,
    rules: &[(String, Rule)],
) -> (Vec<SharedEvent>, usize) {
    let matcher = RuleMatcher::new(rules.iter().map(|(_, rule)| rule));
    with_key(events, "$tags", |data| {
        let matches = matcher.matches(data);
        let mut tags: Vec<&String> = rules
            .iter()
            .enumerate()
            .filter(|&(idx, _)| matches.rule(idx))
            .map(|(_, (name, _))| name)
            .collect();
        tags.sort();
        tags.dedup();
        Value::Array(tags.into_iter().cloned().map(Value::String).collect())
    })
}

/// Sets `key` to `value(data)` in every event: in place where only this event holds
/// the data, else computing one new map per distinct shared input. Also returns the
/// bound of the bytes added (each event's new entry, as if unshared).
fn with_key(
    mut events: Vec<SharedEvent>,
    key: &str,
    value: impl Fn(&JsonMap) -> Value,
) -> (Vec<SharedEvent>, usize) {
    let mut memo = DataMemo::new();
    let mut added = 0usize;
    for event in &mut events {
        if let Some(data) = Arc::get_mut(&mut event.data) {
            let computed = value(data);
            added = added.saturating_add(entry_bytes(key, &computed));
            data.insert(key.to_string(), computed);
            continue;
        }
        let (output, grew) = memo.get_or_insert_with(&event.data, |input| {
            let computed = value(input);
            let grew = entry_bytes(key, &computed);
            let mut data = input.clone();
            data.insert(key.to_string(), computed);
            (Arc::new(data), grew)
        });
        event.data = Arc::clone(output);
        added = added.saturating_add(*grew);
    }
    (events, added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regex_cache;
    use crate::transform::test_util::ev;
    use serde_json::json;

    fn regex(pattern: &str, keys: Option<&[&str]>) -> Rule {
        Rule::Regex {
            regex: regex_cache::compile(pattern).unwrap(),
            select_keys: keys.map(|keys| keys.iter().map(|k| k.to_string()).collect()),
        }
    }

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn categorize_picks_deepest_then_latest() {
        let rules = vec![
            (names(&["Work"]), regex("vim", None)),
            (names(&["Work", "Code"]), regex("vim", Some(&["title"]))),
            (names(&["Other"]), regex("vim", None)),
            (names(&["Media"]), Rule::None),
            (names(&[]), regex(".", None)),
            (names(&["Num"]), regex("1", None)),
        ];
        let cases = [
            (json!({"title": "vim"}), json!(["Work", "Code"])),
            (json!({"app": "vim"}), json!(["Other"])),
            (json!({"app": "emacs"}), json!(["Uncategorized"])),
            (
                json!({"n": 1, "nested": {"t": "vim"}}),
                json!(["Uncategorized"]),
            ),
        ];
        for (data, expected) in cases {
            let events = categorize(vec![ev(0.0, 1.0, data.clone())], &rules);
            assert_eq!(events[0].data["$category"], expected, "{data}");
        }
    }

    #[test]
    fn shared_input_gives_shared_output_and_stays_unchanged() {
        let rules = vec![(names(&["Work"]), regex("vim", None))];
        let first = ev(0.0, 1.0, json!({"app": "vim"}));
        let mut second = first.clone();
        second.timestamp += chrono::TimeDelta::seconds(5);
        let equal_copy = ev(9.0, 1.0, json!({"app": "vim"}));
        let input = Arc::clone(&first.data);
        let mut out = categorize(vec![first, second, equal_copy], &rules);
        assert_eq!(*input, *ev(0.0, 1.0, json!({"app": "vim"})).data);
        assert!(Arc::ptr_eq(&out[0].data, &out[1].data));
        assert!(!Arc::ptr_eq(&out[0].data, &out[2].data));
        assert_eq!(out[0].data, out[2].data);
        out[1].data_mut().insert("x".into(), json!(1));
        assert_eq!(
            json!(&*out[0].data),
            json!({"app": "vim", "$category": ["Work"]})
        );
        assert_eq!(out[1].data.len(), 3);
    }

    #[test]
    fn tags_are_sorted_and_unique() {
        let rules = vec![
            ("b".to_string(), regex("x", None)),
            ("a".to_string(), regex("x", None)),
            ("b".to_string(), regex("x", None)),
            ("c".to_string(), regex("y", None)),
        ];
        let events = tag(
            vec![ev(0.0, 1.0, json!({"t": "x"})), ev(0.0, 1.0, json!({}))],
            &rules,
        );
        assert_eq!(events[0].data["$tags"], json!(["a", "b"]));
        assert_eq!(events[1].data["$tags"], json!([]));
    }
}
