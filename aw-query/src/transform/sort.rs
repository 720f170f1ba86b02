//! `sort_by_timestamp` and `sort_by_duration`: stable sorts.

use aw_models::SharedEvent;

/// Stable, ascending by start.
pub fn sort_by_timestamp(mut events: Vec<SharedEvent>) -> Vec<SharedEvent> {
    events.sort_by_key(|event| event.timestamp);
    events
}

/// Stable, descending by duration (equal durations keep their order).
pub fn sort_by_duration(mut events: Vec<SharedEvent>) -> Vec<SharedEvent> {
    events.sort_by_key(|event| std::cmp::Reverse(event.duration));
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::ev;
    use serde_json::json;

    #[test]
    fn sorts_are_stable() {
        let events = || {
            vec![
                ev(3.0, 1.0, json!({"n": 0})),
                ev(1.0, 2.0, json!({"n": 1})),
                ev(3.0, 2.0, json!({"n": 2})),
                ev(2.0, 1.0, json!({"n": 3})),
            ]
        };
        let order = |events: Vec<SharedEvent>| -> Vec<i64> {
            events
                .iter()
                .map(|e| e.data["n"].as_i64().unwrap())
                .collect()
        };
        assert_eq!(order(sort_by_timestamp(events())), vec![1, 3, 0, 2]);
        assert_eq!(order(sort_by_duration(events())), vec![1, 2, 0, 3]);
    }
}
