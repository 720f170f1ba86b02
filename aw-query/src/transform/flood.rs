//! `flood`: fills small gaps between neighbours and merges neighbours with equal data (§7.1).

use std::sync::Arc;

use aw_models::SharedEvent;
use chrono::TimeDelta;

use super::{end, nanos, start};

/// Overlaps longer than this between events with different data are logged (once per call).
const OVERLAP_WARNING_NANOS: i64 = 100_000_000;

/// Sorts by start, then walks neighbours: same data and a gap below `pulsetime` (or an
/// overlap) merge into the first event; different data with `0 <= gap < pulsetime`
/// split the gap at its midpoint (rounded down to whole nanoseconds); overlapping
/// events with different data are left as they are. Output is ascending by start.
pub fn flood(mut events: Vec<SharedEvent>, pulsetime: TimeDelta) -> Vec<SharedEvent> {
    events.sort_by_key(|event| event.timestamp);
    let pulse = nanos(&pulsetime);
    let mut out = Vec::with_capacity(events.len());
    let mut iter = events.into_iter().peekable();
    let mut pending_half_gap: Option<i64> = None;
    let mut warned = false;
    while let Some(mut cur) = iter.next() {
        if let Some(half) = pending_half_gap.take() {
            let new_start = start(&cur) - half;
            let cur_end = end(&cur);
            super::set_span(&mut cur, new_start, cur_end);
        }
        while let Some(next) = iter.peek() {
            let gap = start(next) - end(&cur);
            if gap < pulse && same_data(&cur, next) {
                let merged_end = end(&cur).max(end(next));
                let cur_start = start(&cur);
                super::set_span(&mut cur, cur_start, merged_end);
                iter.next();
                continue;
            }
            if (0..pulse).contains(&gap) {
                let half = gap / 2;
                cur.duration += TimeDelta::nanoseconds(half);
                pending_half_gap = Some(half);
            } else if gap < -OVERLAP_WARNING_NANOS && !warned {
                log::warn!("flood: events with different data overlap by {} ns", -gap);
                warned = true;
            }
            break;
        }
        out.push(cur);
    }
    out
}

/// Equal data, shortcut by a shared allocation.
fn same_data(a: &SharedEvent, b: &SharedEvent) -> bool {
    Arc::ptr_eq(&a.data, &b.data) || a.data == b.data
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::{ev, spans};
    use serde_json::json;

    #[test]
    fn edge_cases() {
        let a = || json!({"a": 1});
        let b = || json!({"b": 1});
        type Case<'a> = (&'a str, Vec<SharedEvent>, Vec<(f64, f64)>);
        let cases: Vec<Case<'_>> = vec![
            ("empty", vec![], vec![]),
            (
                "same data, 2 s gap",
                vec![ev(0.0, 1.0, a()), ev(3.0, 1.0, a())],
                vec![(0.0, 4.0)],
            ),
            (
                "different data, 2 s gap split",
                vec![ev(0.0, 1.0, a()), ev(3.0, 1.0, b())],
                vec![(0.0, 2.0), (2.0, 4.0)],
            ),
            (
                "overlap same data",
                vec![ev(0.0, 10.0, a()), ev(5.0, 10.0, a())],
                vec![(0.0, 15.0)],
            ),
            (
                "contained duplicates vanish",
                vec![ev(1.0, 5.0, a()), ev(1.0, 1.0, a()), ev(1.0, 10.0, a())],
                vec![(1.0, 11.0)],
            ),
            (
                "gap of exactly pulsetime stays",
                vec![ev(0.0, 1.0, a()), ev(6.0, 1.0, a())],
                vec![(0.0, 1.0), (6.0, 7.0)],
            ),
            (
                "touching different data unchanged",
                vec![ev(0.0, 1.0, a()), ev(1.0, 1.0, b())],
                vec![(0.0, 1.0), (1.0, 2.0)],
            ),
            (
                "overlap different data untouched",
                vec![ev(0.0, 10.0, a()), ev(5.0, 10.0, b())],
                vec![(0.0, 10.0), (5.0, 15.0)],
            ),
            (
                "only neighbours compared",
                vec![ev(30.0, 10.0, a()), ev(31.0, 2.0, b()), ev(35.0, 1.0, a())],
                vec![(30.0, 40.0), (31.0, 34.0), (34.0, 36.0)],
            ),
            (
                "odd nanosecond gap leaves 1 ns",
                vec![ev(0.0, 1.0, a()), ev(5.000000001, 1.0, b())],
                vec![(0.0, 3.0), (3.000000001, 6.000000001)],
            ),
            (
                "zero durations",
                vec![ev(0.0, 0.0, a()), ev(1.0, 0.0, b())],
                vec![(0.0, 0.5), (0.5, 1.0)],
            ),
            (
                "unsorted input is sorted",
                vec![ev(10.0, 1.0, b()), ev(0.0, 1.0, a())],
                vec![(0.0, 1.0), (10.0, 11.0)],
            ),
        ];
        for (name, events, expected) in cases {
            let flooded = flood(events, TimeDelta::seconds(5));
            assert_eq!(spans(&flooded), expected, "{name}");
        }
    }

    #[test]
    fn merged_event_keeps_first_id_and_data() {
        let mut first = ev(0.0, 1.0, json!({"a": 1}));
        first.id = Some(7);
        let mut second = ev(2.0, 1.0, json!({"a": 1}));
        second.id = Some(8);
        let flooded = flood(vec![second, first], TimeDelta::seconds(5));
        assert_eq!(flooded.len(), 1);
        assert_eq!(flooded[0].id, Some(7));
    }
}
