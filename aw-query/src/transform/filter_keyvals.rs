//! `filter_keyvals`, `exclude_keyvals` and `filter_keyvals_regex` (§7.4).

use aw_models::{JsonMap, SharedEvent};
use fancy_regex::Regex;
use serde_json::Value;

use super::EventSource;
use crate::transform::memo::DataMemo;

/// Keeps events whose `data[key]` exists and JSON-equals one of `values` (order kept).
pub fn filter_keyvals<E: EventSource>(
    events: Vec<E>,
    key: &str,
    values: &[Value],
) -> Vec<SharedEvent> {
    keep(events, |data| has_value(data, key, values))
}

/// Keeps events where `key` is missing or its value is not in `values`.
pub fn exclude_keyvals<E: EventSource>(
    events: Vec<E>,
    key: &str,
    values: &[Value],
) -> Vec<SharedEvent> {
    keep(events, |data| !has_value(data, key, values))
}

fn has_value(data: &JsonMap, key: &str, values: &[Value]) -> bool {
    data.get(key).is_some_and(|value| values.contains(value))
}

/// The events whose data satisfies `pred`, in order; `pred` runs once per distinct
/// data, and only kept borrowed events are copied (sharing their data).
fn keep<E: EventSource>(events: Vec<E>, pred: impl Fn(&JsonMap) -> bool) -> Vec<SharedEvent> {
    let mut memo = DataMemo::new();
    events
        .into_iter()
        .filter(|event| memo.get(&event.borrow().data, &pred))
        .map(E::into_event)
        .collect()
}

/// Keeps events whose `data[key]` is a string with a match anywhere in it; a match
/// error (backtrack limit) drops the event, with a warning once per distinct data.
pub fn filter_keyvals_regex<E: EventSource>(
    events: Vec<E>,
    key: &str,
    regex: &Regex,
) -> Vec<SharedEvent> {
    keep(events, |data| {
        let Some(text) = data.get(key).and_then(Value::as_str) else {
            return false;
        };
        regex.is_match(text).unwrap_or_else(|err| {
            log::warn!("filter_keyvals_regex: matching {key} failed: {err}");
            false
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::ev;
    use serde_json::json;

    fn events() -> Vec<SharedEvent> {
        [
            json!({"k": "a"}),
            json!({"k": 1}),
            json!({"k": 1.0}),
            json!({}),
            json!({"k": null}),
            json!({"k": [1.0]}),
        ]
        .into_iter()
        .enumerate()
        .map(|(idx, data)| ev(idx as f64, 1.0, data))
        .collect()
    }

    #[test]
    fn borrowed_input_gives_the_same_result() {
        let values = [json!("a"), json!(1.0)];
        let owned = filter_keyvals(events(), "k", &values);
        let source = events();
        let borrowed = filter_keyvals(source.iter().collect(), "k", &values);
        assert_eq!(owned, borrowed);
        assert_eq!(source.len(), 6);
    }

    fn starts(events: &[SharedEvent]) -> Vec<i64> {
        events.iter().map(|e| e.timestamp.timestamp()).collect()
    }

    #[test]
    fn keyvals() {
        let cases = [
            (vec![json!("a")], vec![0], vec![1, 2, 3, 4, 5]),
            (vec![json!(1.0)], vec![2], vec![0, 1, 3, 4, 5]),
            (
                vec![json!(null), json!([1.0])],
                vec![4, 5],
                vec![0, 1, 2, 3],
            ),
            (vec![], vec![], vec![0, 1, 2, 3, 4, 5]),
        ];
        for (values, kept, excluded) in cases {
            assert_eq!(
                starts(&filter_keyvals(events(), "k", &values)),
                kept,
                "{values:?}"
            );
            assert_eq!(
                starts(&exclude_keyvals(events(), "k", &values)),
                excluded,
                "{values:?}"
            );
        }
    }

    #[test]
    fn regex_matches_strings_only() {
        let regex = Regex::new("^a$|1").unwrap();
        assert_eq!(
            starts(&filter_keyvals_regex(events(), "k", &regex)),
            vec![0]
        );
    }
}
