//! `heartbeat`: merging a heartbeat into the last event (§7.11). Not reachable from
//! queries; the datastore's heartbeat endpoint uses it.

use aw_models::time::duration_from_secs;
use aw_models::Event;
use chrono::TimeDelta;

use super::{end, nanos, start};

/// The merge of `hb` into `last`, or `None` when they do not merge: different data,
/// `hb` starting before `last`, or `hb` starting later than `pulsetime` seconds
/// (rounded to nanoseconds) after `last` ends. The merged event has no id, `last`'s
/// start and data, and ends at the later of the two ends.
pub fn heartbeat(last: &Event, hb: &Event, pulsetime: f64) -> Option<Event> {
    if hb.data != last.data || last.timestamp > hb.timestamp {
        return None;
    }
    let pulse = nanos(&duration_from_secs(pulsetime));
    if start(hb) > end(last).saturating_add(pulse) {
        return None;
    }
    let merged_end = end(last).max(end(hb));
    let duration = merged_end - start(last);
    if duration < 0 {
        return None;
    }
    Some(Event::new(
        last.timestamp,
        TimeDelta::nanoseconds(duration),
        last.data.clone(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::{ev, spans};
    use serde_json::json;

    #[test]
    fn merges_within_pulsetime() {
        let a = || json!({"a": 1});
        type Case<'a> = (&'a str, Event, Event, f64, Option<(f64, f64)>);
        let cases: Vec<Case<'_>> = vec![
            (
                "gap below pulsetime",
                ev(0.0, 1.0, a()),
                ev(2.0, 1.0, a()),
                2.0,
                Some((0.0, 3.0)),
            ),
            (
                "gap above pulsetime",
                ev(0.0, 1.0, a()),
                ev(2.0, 1.0, a()),
                0.0,
                None,
            ),
            (
                "gap equal to pulsetime",
                ev(0.0, 0.0, a()),
                ev(120.0, 0.0, a()),
                120.0,
                Some((0.0, 120.0)),
            ),
            (
                "pulsetime too short",
                ev(0.0, 0.0, a()),
                ev(120.0, 0.0, a()),
                60.0,
                None,
            ),
            (
                "different data",
                ev(0.0, 1.0, a()),
                ev(1.0, 1.0, json!({"a": 1.0})),
                5.0,
                None,
            ),
            (
                "heartbeat before last",
                ev(5.0, 1.0, a()),
                ev(4.0, 3.0, a()),
                5.0,
                None,
            ),
            (
                "inside last",
                ev(0.0, 10.0, a()),
                ev(2.0, 1.0, a()),
                0.0,
                Some((0.0, 10.0)),
            ),
            (
                "negative result",
                ev(0.0, -5.0, a()),
                ev(0.0, -6.0, a()),
                0.0,
                None,
            ),
        ];
        for (name, last, hb, pulsetime, expected) in cases {
            let merged = heartbeat(&last, &hb, pulsetime);
            assert_eq!(
                merged.as_ref().map(|e| spans(std::slice::from_ref(e))[0]),
                expected,
                "{name}"
            );
            if let Some(merged) = merged {
                assert_eq!(merged.id, None);
            }
        }
    }
}
