//! [`write_event_json`]: one event's JSON written straight into a buffer from its
//! parts, with its data already in JSON text. Event lists read from the datastore are
//! written this way, without building an [`Event`](crate::Event) per row.
//!
//! What must stay true: the bytes are exactly what `serde_json` writes for the same
//! [`Event`](crate::Event) (field order, `null` id, timestamp and duration forms), given
//! that `data_json` is the encoding of its data.

use chrono::{DateTime, TimeDelta, Utc};

use crate::time::{duration_to_secs, write_datetime};

/// Appends `{"id":…,"timestamp":"…","duration":…,"data":<data_json>}` to `out`.
pub fn write_event_json(
    out: &mut Vec<u8>,
    id: Option<i64>,
    timestamp: &DateTime<Utc>,
    duration: &TimeDelta,
    data_json: &str,
) {
    // serde_json writes numbers as it writes them everywhere else; writing into a
    // Vec cannot fail, and a non-finite float is written as `null`, not refused.
    out.extend_from_slice(b"{\"id\":");
    let _ = serde_json::to_writer(&mut *out, &id);
    out.extend_from_slice(b",\"timestamp\":\"");
    // Digits, '-', ':', 'T', '.' and 'Z' (a '+' for years past 9999): no escapes.
    write_datetime(out, timestamp);
    out.extend_from_slice(b"\",\"duration\":");
    let _ = serde_json::to_writer(&mut *out, &duration_to_secs(duration));
    out.extend_from_slice(b",\"data\":");
    out.extend_from_slice(data_json.as_bytes());
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Event;

    #[test]
    fn bytes_equal_serde_events() {
        let texts = [
            r#"{"id":1,"timestamp":"2024-01-01T00:00:00.5Z","duration":-1.25,"data":{"b":1,"a":[1.0e2,{"z":null,"y":"\u0001é\"\\"}]}}"#,
            r#"{"timestamp":"1969-12-31T23:59:59.123456789Z","duration":0,"data":{}}"#,
            r#"{"id":-7,"timestamp":"2262-04-11T00:00:00Z","duration":1e-9,"data":{"n":-0.0}}"#,
        ];
        for text in texts {
            let event: Event = serde_json::from_str(text).unwrap();
            let data = serde_json::to_string(&event.data).unwrap();
            let mut out = Vec::new();
            write_event_json(&mut out, event.id, &event.timestamp, &event.duration, &data);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&event).unwrap()
            );
        }
    }
}
