//! `sum_durations`: total seconds, truncated to milliseconds.

use aw_models::SharedEvent;

use super::nanos;

/// Adds the durations exactly in nanoseconds, truncates toward zero to whole
/// milliseconds and returns seconds (upstream's arithmetic).
pub fn sum_durations<E: std::borrow::Borrow<SharedEvent>>(events: &[E]) -> f64 {
    let total: i128 = events
        .iter()
        .map(|event| i128::from(nanos(&event.borrow().duration)))
        .sum();
    let millis = total / 1_000_000;
    millis as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::ev;
    use serde_json::json;

    #[test]
    fn truncates_to_milliseconds() {
        let cases: [(&[f64], f64); 4] = [
            (&[], 0.0),
            (&[1.5, 0.000001, 0.0], 1.5),
            (&[0.0009, 0.0009], 0.001),
            (&[-1.0005], -1.0),
        ];
        for (durations, expected) in cases {
            let events: Vec<SharedEvent> =
                durations.iter().map(|d| ev(0.0, *d, json!({}))).collect();
            assert_eq!(sum_durations(&events), expected, "{durations:?}");
        }
    }
}
