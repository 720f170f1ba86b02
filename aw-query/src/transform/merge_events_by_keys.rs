//! `merge_events_by_keys`: one event per distinct tuple of key values (§7.2).

use std::collections::HashMap;

use aw_models::{JsonMap, SharedEvent};

use super::EventSource;
use crate::transform::memo::DataMemo;

/// Groups events by the values of `keys` and sums each group's durations.
///
/// An event missing any key is dropped (a JSON `null` counts as present). The group
/// key is each value's compact JSON joined with `.`, so `(1, 2.3)` and `(1.2, 3)`
/// collide, as upstream's do. Each group is the group's first event with `id = null`,
/// its timestamp and all of its data. Upstream emits the groups in hash-map order;
/// here they come **in first-seen order**, which is deterministic and consistent with
/// every ordering upstream can produce. `keys` empty gives `[]`.
/// The group of each distinct data is found once; borrowed events are copied only
/// when they start a group.
pub fn merge_events_by_keys<E: EventSource>(events: Vec<E>, keys: &[String]) -> Vec<SharedEvent> {
    if keys.is_empty() {
        return Vec::new();
    }
    let mut groups: HashMap<Vec<u8>, usize, foldhash::fast::RandomState> = HashMap::default();
    // Per distinct data: its group's index in `out`, `None` if a key is missing.
    let mut group_of: DataMemo<Option<usize>> = DataMemo::new();
    let mut out: Vec<SharedEvent> = Vec::new();
    for source in events {
        let event: &SharedEvent = source.borrow();
        let next_idx = out.len();
        let mut is_new = false;
        let group_idx = group_of.get(&event.data, |data| {
            let group_key = group_key(data, keys)?;
            Some(*groups.entry(group_key).or_insert_with(|| {
                is_new = true;
                next_idx
            }))
        });
        let Some(group_idx) = group_idx else {
            continue;
        };
        if is_new {
            let mut first = source.into_event();
            first.id = None;
            out.push(first);
        } else if let Some(group) = out.get_mut(group_idx) {
            group.duration += event.duration;
        }
    }
    out
}

/// The values of `keys` rendered as compact JSON and joined with `.`, or `None` if one
/// is missing.
fn group_key(data: &JsonMap, keys: &[String]) -> Option<Vec<u8>> {
    let mut rendered = Vec::new();
    for (idx, key) in keys.iter().enumerate() {
        if idx > 0 {
            rendered.push(b'.');
        }
        // Writing JSON into a Vec<u8> cannot fail.
        serde_json::to_writer(&mut rendered, data.get(key)?).ok()?;
    }
    Some(rendered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::ev;
    use serde_json::json;

    #[test]
    fn groups_in_first_seen_order() {
        let keys =
            |names: &[&str]| -> Vec<String> { names.iter().map(|s| s.to_string()).collect() };
        let events = || {
            vec![
                ev(10.0, 1.0, json!({"a": "x", "b": 1, "t": "newest"})),
                ev(5.0, 2.0, json!({"a": "y", "b": 1})),
                ev(0.0, 4.0, json!({"a": "x", "b": 1, "t": "oldest"})),
                ev(0.0, 8.0, json!({"b": 1})),
                ev(0.0, 16.0, json!({"a": null, "b": 1.0})),
                ev(0.0, 32.0, json!({"a": 1, "b": 2.3})),
                ev(0.0, 64.0, json!({"a": 1.2, "b": 3})),
            ]
        };
        type Case = (Vec<String>, Vec<(f64, serde_json::Value)>);
        let cases: Vec<Case> = vec![
            (keys(&[]), vec![]),
            (
                keys(&["a"]),
                vec![
                    (5.0, json!({"a": "x", "b": 1, "t": "newest"})),
                    (2.0, json!({"a": "y", "b": 1})),
                    (16.0, json!({"a": null, "b": 1.0})),
                    (32.0, json!({"a": 1, "b": 2.3})),
                    (64.0, json!({"a": 1.2, "b": 3})),
                ],
            ),
            (
                keys(&["a", "b"]),
                vec![
                    (5.0, json!({"a": "x", "b": 1, "t": "newest"})),
                    (2.0, json!({"a": "y", "b": 1})),
                    (16.0, json!({"a": null, "b": 1.0})),
                    (96.0, json!({"a": 1, "b": 2.3})),
                ],
            ),
        ];
        for (keys, expected) in cases {
            let merged = merge_events_by_keys(events(), &keys);
            let got: Vec<(f64, serde_json::Value)> = merged
                .iter()
                .map(|e| {
                    assert_eq!(e.id, None);
                    (
                        e.duration.num_milliseconds() as f64 / 1000.0,
                        json!(&*e.data),
                    )
                })
                .collect();
            assert_eq!(got, expected, "{keys:?}");
        }
    }
}
