//! `filter_period_intersect`: the parts of events inside filter periods (§7.5).

use aw_models::SharedEvent;

use super::{end, nanos, set_span, start};

/// One forward sweep over both lists sorted by start. Each piece keeps the event's id
/// and data; a piece is copied from its event only when more of the event remains,
/// the last piece is the event itself. Zero-duration events are never output, a
/// zero-length filter inside an event gives a zero-length piece, and once the sweep
/// has passed a filter no later event is compared with it (upstream's behaviour).
pub fn filter_period_intersect(
    events: Vec<SharedEvent>,
    filter: Vec<SharedEvent>,
) -> Vec<SharedEvent> {
    intersect_counting(events, filter, |_| {})
}

/// [`filter_period_intersect`], calling `copied` with each piece that is a copy (all
/// other pieces are their input events moved): the query budget bounds the result's
/// size by its input's plus the copies'.
pub(crate) fn intersect_counting(
    mut events: Vec<SharedEvent>,
    mut filter: Vec<SharedEvent>,
    mut copied: impl FnMut(&SharedEvent),
) -> Vec<SharedEvent> {
    events.sort_by_key(|event| event.timestamp);
    filter.sort_by_key(|event| event.timestamp);
    let periods: Vec<(i64, i64)> = filter.iter().map(|f| (start(f), end(f))).collect();
    // Usually about as many pieces as events: reserved once rather than grown by copying.
    let mut out = Vec::with_capacity(events.len());
    let mut periods = periods.into_iter();
    let mut events = events.into_iter();
    let (Some(mut event), Some(mut period)) = (events.next(), periods.next()) else {
        return out;
    };
    loop {
        let (event_start, event_end) = (start(&event), end(&event));
        let (period_start, period_end) = period;
        if nanos(&event.duration) == 0 || event_end <= period_start {
            match events.next() {
                Some(next) => event = next,
                None => return out,
            }
            continue;
        }
        if event_start >= period_end {
            match periods.next() {
                Some(next) => period = next,
                None => return out,
            }
            continue;
        }
        let piece_start = event_start.max(period_start);
        let piece_end = event_end.min(period_end);
        if piece_end == event_end {
            // Nothing of the event is left after this piece: move it.
            set_span(&mut event, piece_start, piece_end);
            out.push(event);
            match events.next() {
                Some(next) => event = next,
                None => return out,
            }
            continue;
        }
        let mut piece = event.clone();
        set_span(&mut piece, piece_start, piece_end);
        copied(&piece);
        out.push(piece);
        set_span(&mut event, piece_end, event_end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::{ev, spans};
    use serde_json::json;

    #[test]
    fn sweeps() {
        let e = |s: f64, d: f64| ev(s, d, json!({}));
        type Case<'a> = (&'a str, Vec<SharedEvent>, Vec<SharedEvent>, Vec<(f64, f64)>);
        let cases: Vec<Case<'_>> = vec![
            ("empty events", vec![], vec![e(0.0, 1.0)], vec![]),
            ("empty filter", vec![e(0.0, 1.0)], vec![], vec![]),
            (
                "upstream unit test",
                vec![
                    e(1.0, 1.0),
                    e(2.0, 1.0),
                    e(3.0, 1.0),
                    e(4.0, 1.0),
                    e(5.0, 1.0),
                ],
                vec![e(2.5, 2.0)],
                vec![(2.5, 3.0), (3.0, 4.0), (4.0, 4.5)],
            ),
            (
                "later event inside a long one is dropped",
                vec![e(0.0, 100.0), e(1.0, 2.0)],
                vec![e(0.0, 2.0), e(50.0, 10.0)],
                vec![(0.0, 2.0), (50.0, 60.0)],
            ),
            (
                "zero-duration event",
                vec![e(1.0, 0.0)],
                vec![e(0.0, 2.0)],
                vec![],
            ),
            (
                "zero-length filter",
                vec![e(0.0, 2.0)],
                vec![e(1.0, 0.0)],
                vec![(1.0, 1.0)],
            ),
            (
                "touching is not inside",
                vec![e(0.0, 1.0)],
                vec![e(1.0, 1.0)],
                vec![],
            ),
            (
                "overlapping filters do not double count",
                vec![e(0.0, 10.0)],
                vec![e(1.0, 4.0), e(2.0, 5.0)],
                vec![(1.0, 5.0), (5.0, 7.0)],
            ),
        ];
        for (name, events, filter, expected) in cases {
            assert_eq!(
                spans(&filter_period_intersect(events, filter)),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn pieces_share_id() {
        let mut event = ev(0.0, 10.0, json!({"a": 1}));
        event.id = Some(3);
        let filter = vec![ev(1.0, 1.0, json!({})), ev(5.0, 1.0, json!({}))];
        let pieces = filter_period_intersect(vec![event], filter);
        assert_eq!(
            pieces.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![Some(3), Some(3)]
        );
        assert!(pieces.iter().all(|p| p.data["a"] == 1));
    }
}
