//! `union_no_overlap`: merges two lists, trimming events of the second where the first
//! covers them (§7.7, including upstream's imperfections).

use aw_models::SharedEvent;

use super::{end, start};

/// Walks both lists (each assumed sorted and free of self-overlap; neither is sorted
/// here). Where they overlap the first list wins: the second list's event is cut into
/// new events (id null) around it. As upstream, once a first-list event has swallowed
/// a second-list event, later second-list events overlapping it are not trimmed.
pub fn union_no_overlap(events1: Vec<SharedEvent>, events2: Vec<SharedEvent>) -> Vec<SharedEvent> {
    let mut out = Vec::with_capacity(events1.len() + events2.len());
    let mut first = events1.into_iter().peekable();
    // Reversed, so the current second-list event is `last()` and pieces can be pushed.
    let mut second: Vec<SharedEvent> = events2.into_iter().rev().collect();
    while let (Some(a), Some(b)) = (first.peek(), second.last()) {
        let (a_start, a_end, b_start, b_end) = (start(a), end(a), start(b), end(b));
        let intersects = a_start.max(b_start) < a_end.min(b_end);
        if !intersects {
            let taken = if a_start <= b_start {
                first.next()
            } else {
                second.pop()
            };
            out.extend(taken);
            continue;
        }
        if a_start <= b_start {
            out.extend(first.next());
            if let Some(b) = second.pop() {
                if a_end < b_end {
                    second.push(piece(b, a_end, b_end));
                }
            }
        } else if let Some(b) = second.pop() {
            out.push(piece_copy(&b, b_start, a_start));
            second.push(piece(b, a_start, b_end));
        }
    }
    out.extend(first);
    out.extend(second.into_iter().rev());
    out
}

/// A new event (id null) covering `[from, to]` with `event`'s data.
fn piece(mut event: SharedEvent, from: i64, to: i64) -> SharedEvent {
    event.id = None;
    super::set_span(&mut event, from, to);
    event
}

/// [`piece`] of a borrowed event, sharing its data.
fn piece_copy(event: &SharedEvent, from: i64, to: i64) -> SharedEvent {
    piece(event.clone(), from, to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::{ev, spans};
    use serde_json::json;

    #[test]
    fn first_list_wins() {
        let e = |s: f64, d: f64| {
            let mut event = ev(s, d, json!({}));
            event.id = Some(s as i64);
            event
        };
        type Case = (
            Vec<SharedEvent>,
            Vec<SharedEvent>,
            Vec<(f64, f64, Option<i64>)>,
        );
        let cases: Vec<Case> = vec![
            (vec![], vec![e(1.0, 1.0)], vec![(1.0, 2.0, Some(1))]),
            (
                vec![e(0.0, 60.0)],
                vec![e(10.0, 10.0), e(40.0, 10.0)],
                vec![(0.0, 60.0, Some(0)), (40.0, 50.0, Some(40))],
            ),
            (
                vec![e(10.0, 10.0), e(40.0, 10.0)],
                vec![e(0.0, 60.0)],
                vec![
                    (0.0, 10.0, None),
                    (10.0, 20.0, Some(10)),
                    (20.0, 40.0, None),
                    (40.0, 50.0, Some(40)),
                    (50.0, 60.0, None),
                ],
            ),
            (
                vec![e(0.0, 1.0), e(5.0, 1.0)],
                vec![e(1.0, 1.0), e(3.0, 0.0)],
                vec![
                    (0.0, 1.0, Some(0)),
                    (1.0, 2.0, Some(1)),
                    (3.0, 3.0, Some(3)),
                    (5.0, 6.0, Some(5)),
                ],
            ),
        ];
        for (a, b, expected) in cases {
            let union = union_no_overlap(a, b);
            let got: Vec<(f64, f64, Option<i64>)> = spans(&union)
                .into_iter()
                .zip(&union)
                .map(|((s, e), event)| (s, e, event.id))
                .collect();
            assert_eq!(got, expected);
        }
    }
}
