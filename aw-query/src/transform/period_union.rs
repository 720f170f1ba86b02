//! `period_union`: the union of all periods of two lists, as events with empty data (§7.6).

use std::sync::Arc;

use aw_models::{JsonMap, SharedEvent};

use super::{end, set_span, start};

/// Sorts both lists together (stable) and merges touching or overlapping periods.
/// Each output event is the first event of its run (id and timestamp kept) with
/// empty data (one map shared by all) and the run's end.
pub fn period_union(mut events: Vec<SharedEvent>, mut other: Vec<SharedEvent>) -> Vec<SharedEvent> {
    events.append(&mut other);
    events.sort_by_key(|event| event.timestamp);
    let mut out: Vec<SharedEvent> = Vec::new();
    for event in events {
        match out.last_mut() {
            Some(last) if end(last) >= start(&event) => {
                let (last_start, merged_end) = (start(last), end(last).max(end(&event)));
                set_span(last, last_start, merged_end);
            }
            _ => out.push(event),
        }
    }
    let empty = Arc::new(JsonMap::new());
    for event in &mut out {
        event.data = Arc::clone(&empty);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::{ev, spans};
    use serde_json::json;

    #[test]
    fn unions() {
        let e = |s: f64, d: f64| ev(s, d, json!({"x": 1}));
        type Case = (Vec<SharedEvent>, Vec<SharedEvent>, Vec<(f64, f64)>);
        let cases: Vec<Case> = vec![
            (vec![], vec![], vec![]),
            (vec![e(0.0, 1.0)], vec![e(1.0, 1.0)], vec![(0.0, 2.0)]),
            (
                vec![e(0.0, 1.0)],
                vec![e(2.0, 1.0)],
                vec![(0.0, 1.0), (2.0, 3.0)],
            ),
            (
                vec![e(0.0, 10.0), e(20.0, 1.0)],
                vec![e(2.0, 1.0), e(5.0, 10.0)],
                vec![(0.0, 15.0), (20.0, 21.0)],
            ),
            (vec![e(5.0, 0.0)], vec![e(0.0, 5.0)], vec![(0.0, 5.0)]),
            (
                vec![e(7.0, 0.0)],
                vec![e(0.0, 5.0)],
                vec![(0.0, 5.0), (7.0, 7.0)],
            ),
        ];
        for (a, b, expected) in cases {
            let union = period_union(a, b);
            assert!(union.iter().all(|event| event.data.is_empty()));
            assert_eq!(spans(&union), expected);
        }
    }
}
