//! `flood`: fills small gaps between neighbours and merges neighbours with equal data (§7.1).
//!
//! Neighbours' data are compared by a fingerprint first, computed once per distinct
//! allocation: comparing two maps walks both, and nearly every pair of neighbours
//! differs (equal ones were merged when recorded). Equal fingerprints are confirmed
//! by comparing the maps, so a collision costs one comparison and nothing else.

use std::sync::Arc;

use aw_models::{JsonMap, SharedEvent};
use chrono::TimeDelta;
use serde_json::Value;

use super::{end, nanos, start};
use crate::transform::memo::MeasureMemo;

/// Overlaps longer than this between events with different data are logged (once per call).
const OVERLAP_WARNING_NANOS: i64 = 100_000_000;

/// Sorts by start, then walks neighbours: same data and a gap below `pulsetime` (or an
/// overlap) merge into the first event; different data with `0 <= gap < pulsetime`
/// split the gap at its midpoint (rounded down to whole nanoseconds); overlapping
/// events with different data are left as they are. Output is ascending by start.
pub fn flood(mut events: Vec<SharedEvent>, pulsetime: TimeDelta) -> Vec<SharedEvent> {
    events.sort_by_key(|event| event.timestamp);
    let pulse = nanos(&pulsetime);
    let prints = fingerprints(&events);
    let mut out = Vec::with_capacity(events.len());
    let mut iter = events.into_iter().zip(prints).peekable();
    let mut pending_half_gap: Option<i64> = None;
    let mut warned = false;
    while let Some((mut cur, cur_print)) = iter.next() {
        if let Some(half) = pending_half_gap.take() {
            let new_start = start(&cur) - half;
            let cur_end = end(&cur);
            super::set_span(&mut cur, new_start, cur_end);
        }
        while let Some((next, next_print)) = iter.peek() {
            let gap = start(next) - end(&cur);
            if gap < pulse && cur_print == *next_print && same_data(&cur, next) {
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

/// Each event's data fingerprint (equal data have equal fingerprints), computed once
/// per distinct allocation.
fn fingerprints(events: &[SharedEvent]) -> Vec<u64> {
    let mut memo = MeasureMemo::new();
    events
        .iter()
        .map(|event| {
            memo.get_or_insert_with(&event.data, |data| {
                let mut print = Fingerprint(0);
                print.map(data);
                print.0
            })
        })
        .collect()
}

/// A cheap digest of data in which equal data always agree: sizes, kinds, and the
/// ends of strings (whole strings would cost more to read than comparing maps does).
/// It only ever spares comparing data that differ, never decides that data are equal,
/// so a collision (even one made on purpose) costs the comparison made anyway.
struct Fingerprint(u64);

impl Fingerprint {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn map(&mut self, map: &JsonMap) {
        self.add(map.len() as u64);
        for (key, value) in map {
            self.text(key);
            self.value(value);
        }
    }

    fn value(&mut self, value: &Value) {
        match value {
            Value::Null => self.add(1),
            Value::Bool(flag) => self.add(2 + u64::from(*flag)),
            // Equal numbers can differ in representation (0.0 and -0.0).
            Value::Number(_) => self.add(4),
            Value::String(text) => self.text(text),
            Value::Array(items) => {
                self.add(5);
                self.add(items.len() as u64);
                items.iter().for_each(|item| self.value(item));
            }
            Value::Object(map) => {
                self.add(6);
                self.map(map);
            }
        }
    }

    /// The length and 8 bytes from each end (all of a shorter text).
    fn text(&mut self, text: &str) {
        let bytes = text.as_bytes();
        self.add(bytes.len() as u64);
        match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
            (Some(first), Some(last)) => {
                self.add(u64::from_le_bytes(*first));
                self.add(u64::from_le_bytes(*last));
            }
            _ => self.add(
                bytes
                    .iter()
                    .fold(0, |word, byte| word << 8 | u64::from(*byte)),
            ),
        }
    }
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
    fn equal_data_in_separate_allocations_merge() {
        let long = "x".repeat(40);
        let pairs = [
            (json!({"n": 0.0}), json!({"n": -0.0})),
            (
                json!({"t": long, "a": [1, {"b": null}]}),
                json!({"t": "x".repeat(40), "a": [1, {"b": null}]}),
            ),
        ];
        for (first, second) in pairs {
            let events = vec![ev(0.0, 1.0, first.clone()), ev(2.0, 1.0, second)];
            assert_eq!(
                spans(&flood(events, TimeDelta::seconds(5))),
                vec![(0.0, 3.0)],
                "{first}"
            );
        }
        // Same ends and length, different middle: not merged.
        let events = vec![
            ev(0.0, 1.0, json!({"t": "aaaaaaaa-1-bbbbbbbb"})),
            ev(2.0, 1.0, json!({"t": "aaaaaaaa-2-bbbbbbbb"})),
        ];
        assert_eq!(flood(events, TimeDelta::seconds(5)).len(), 2);
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
