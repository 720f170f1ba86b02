//! `chunk_events_by_key`: merges consecutive runs with equal values of one key (§7.3).

use std::sync::Arc;

use aw_models::SharedEvent;

/// Keeps input order; events without `key` are dropped and do not break a run. Each
/// run of JSON-equal values becomes its first event with the run's summed duration.
/// An event sharing the run's data continues it without comparing values.
pub fn chunk_events_by_key(events: Vec<SharedEvent>, key: &str) -> Vec<SharedEvent> {
    let mut out: Vec<SharedEvent> = Vec::new();
    for event in events {
        let Some(value) = event.data.get(key) else {
            continue;
        };
        match out.last_mut() {
            Some(run)
                if Arc::ptr_eq(&run.data, &event.data) || run.data.get(key) == Some(value) =>
            {
                run.duration += event.duration
            }
            _ => out.push(event),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::{ev, spans};
    use serde_json::json;

    #[test]
    fn runs() {
        let events = vec![
            ev(0.0, 1.0, json!({"k": "a"})),
            ev(1.0, 1.0, json!({"other": 1})),
            ev(2.0, 2.0, json!({"k": "a"})),
            ev(4.0, 1.0, json!({"k": 1})),
            ev(5.0, 1.0, json!({"k": 1.0})),
            ev(6.0, 1.0, json!({"k": "a"})),
        ];
        assert_eq!(
            spans(&chunk_events_by_key(events, "k")),
            vec![(0.0, 3.0), (4.0, 5.0), (5.0, 6.0), (6.0, 7.0)]
        );
    }
}
