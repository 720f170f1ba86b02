//! The heartbeat merge rule of docs/API.md §5.1, as a pure function.

use aw_models::time::{duration_from_secs, duration_nanos};
use aw_models::Event;
use chrono::TimeDelta;

/// Merges heartbeat `heartbeat` into `last` if their data is equal and the heartbeat
/// starts within `pulsetime` seconds after `last` ends (inclusive); `None` otherwise.
///
/// The merged event keeps `last`'s id, start and data and ends at the later of the
/// two ends. NaN pulsetime counts as 0, infinities saturate, a negative one narrows
/// the window. Arithmetic is done in i128 nanoseconds so no input can overflow.
pub fn merge(last: &Event, heartbeat: &Event, pulsetime: f64) -> Option<Event> {
    if last.data != heartbeat.data || last.timestamp > heartbeat.timestamp {
        return None;
    }
    let pulse_ns = i128::from(duration_nanos(&duration_from_secs(pulsetime)));
    let last_start = i128::from(last.start_nanos());
    let last_end = last_start + i128::from(duration_nanos(&last.duration));
    let heartbeat_start = i128::from(heartbeat.start_nanos());
    if heartbeat_start > last_end + pulse_ns {
        return None;
    }
    let heartbeat_end = heartbeat_start + i128::from(duration_nanos(&heartbeat.duration));
    let merged_ns = last_end.max(heartbeat_end) - last_start;
    if merged_ns < 0 {
        return None;
    }
    let merged_ns = i64::try_from(merged_ns).ok()?;
    let mut merged = last.clone();
    merged.duration = TimeDelta::nanoseconds(merged_ns);
    merged.end_nanos()?;
    Some(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aw_models::time::parse_json_datetime;
    use serde_json::json;

    fn event(id: Option<i64>, time: &str, secs: f64, data: serde_json::Value) -> Event {
        let mut event = Event::new(
            parse_json_datetime(&format!("2024-01-01T{time}Z")).unwrap(),
            duration_from_secs(secs),
            data.as_object().unwrap().clone(),
        );
        event.id = id;
        event
    }

    /// (last start, last duration, heartbeat start, heartbeat duration, pulsetime,
    /// data of heartbeat, expected merged duration or None). Rows of docs/API.md §5.1.
    /// Last start, last seconds, heartbeat start, heartbeat seconds, pulsetime,
    /// heartbeat data, expected merged seconds.
    type Case = (
        &'static str,
        f64,
        &'static str,
        f64,
        f64,
        serde_json::Value,
        Option<f64>,
    );

    #[test]
    fn merge_matrix() {
        let same = json!({"a": 1});
        let cases: [Case; 11] = [
            (
                "10:00:00",
                0.0,
                "10:00:05",
                0.0,
                10.0,
                same.clone(),
                Some(5.0),
            ),
            (
                "10:00:00",
                5.0,
                "10:00:15",
                0.0,
                10.0,
                same.clone(),
                Some(15.0),
            ),
            (
                "10:00:00",
                15.0,
                "10:00:25.000000001",
                0.0,
                10.0,
                same.clone(),
                None,
            ),
            (
                "10:00:00",
                0.0,
                "10:00:01",
                0.0,
                10.0,
                json!({"a": 1.0}),
                None,
            ),
            ("10:00:26", 0.0, "09:00:00", 0.0, 10.0, same.clone(), None),
            (
                "10:00:27",
                0.0,
                "10:10:27",
                0.0,
                1e3,
                same.clone(),
                Some(600.0),
            ),
            (
                "10:00:27",
                600.0,
                "11:10:27",
                0.0,
                f64::INFINITY,
                same.clone(),
                Some(4200.0),
            ),
            (
                "10:00:00",
                30.0,
                "10:00:10",
                1.0,
                10.0,
                same.clone(),
                Some(30.0),
            ),
            (
                "10:00:00",
                10.0,
                "10:00:10",
                0.0,
                f64::NAN,
                same.clone(),
                Some(10.0),
            ),
            ("10:00:00", 10.0, "10:00:09", 0.0, -2.0, same.clone(), None),
            (
                "10:00:00",
                0.0,
                "10:00:00",
                0.0,
                0.0,
                same.clone(),
                Some(0.0),
            ),
        ];
        for (idx, (last_at, last_secs, hb_at, hb_secs, pulsetime, data, expected)) in
            cases.into_iter().enumerate()
        {
            let last = event(Some(4), last_at, last_secs, same.clone());
            let heartbeat = event(None, hb_at, hb_secs, data);
            let merged = merge(&last, &heartbeat, pulsetime);
            assert_eq!(
                merged
                    .as_ref()
                    .map(|e| aw_models::time::duration_to_secs(&e.duration)),
                expected,
                "case {idx}"
            );
            if let Some(merged) = merged {
                assert_eq!(merged.id, Some(4));
                assert_eq!(merged.timestamp, last.timestamp);
            }
        }
    }
}
