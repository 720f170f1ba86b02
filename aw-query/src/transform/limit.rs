//! `limit_events`: the first n events.

use aw_models::SharedEvent;

use super::EventSource;

/// Keeps the first `count` events in their current order.
pub fn limit_events<E: EventSource>(events: Vec<E>, count: usize) -> Vec<SharedEvent> {
    events.into_iter().take(count).map(E::into_event).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::{ev, spans};
    use serde_json::json;

    #[test]
    fn truncates() {
        let events = || vec![ev(2.0, 1.0, json!({})), ev(1.0, 1.0, json!({}))];
        let cases = [
            (0, vec![]),
            (1, vec![(2.0, 3.0)]),
            (usize::MAX, vec![(2.0, 3.0), (1.0, 2.0)]),
        ];
        for (count, expected) in cases {
            assert_eq!(spans(&limit_events(events(), count)), expected);
        }
    }
}
