//! The wire form of events read from the datastore, where many share one data map:
//! each distinct map is encoded once and its JSON text copied into every event that
//! holds it, instead of being encoded again per event.
//!
//! What must stay true: the bytes are exactly what `serde_json` writes for the same
//! events as [`aw_models::Event`]s. A stored text in canonical form (compact, keys
//! sorted: what this server stores) comes out as it is; any other form (written by
//! another program) comes out re-encoded, because what is copied is always the
//! encoding of the decoded map, made once per map.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;

use aw_models::wire::write_event_json;
use aw_models::{JsonMap, SharedEvent};
use serde_json::value::{to_raw_value, RawValue};

/// The JSON text of each data map met so far, by the map's address. Each entry keeps
/// its map alive, so no other map can take that address while the entry exists.
#[derive(Default)]
pub struct DataEncodings {
    by_address: HashMap<usize, (Arc<JsonMap>, Box<RawValue>)>,
}

impl DataEncodings {
    /// The JSON text of `data`, encoded on first sight.
    pub fn encoded(&mut self, data: &Arc<JsonMap>) -> serde_json::Result<&RawValue> {
        match self.by_address.entry(Arc::as_ptr(data).addr()) {
            Entry::Occupied(entry) => Ok(&entry.into_mut().1),
            Entry::Vacant(entry) => {
                let text = to_raw_value(data.as_ref())?;
                Ok(&entry.insert((Arc::clone(data), text)).1)
            }
        }
    }

    /// Forgets every encoding once more than `limit` are held (bounds a stream's memory).
    pub fn bound(&mut self, limit: usize) {
        if self.by_address.len() > limit {
            self.by_address.clear();
        }
    }
}

/// One event with its data already encoded.
pub struct WireEvent<'a> {
    event: &'a SharedEvent,
    data: &'a RawValue,
}

impl<'a> WireEvent<'a> {
    /// `event`, its data taken from `encodings`.
    pub fn new(
        event: &'a SharedEvent,
        encodings: &'a mut DataEncodings,
    ) -> serde_json::Result<WireEvent<'a>> {
        Ok(WireEvent {
            event,
            data: encodings.encoded(&event.data)?,
        })
    }
}

impl WireEvent<'_> {
    /// Appends the event's JSON, exactly what `Event`'s derived `Serialize` writes.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let event = self.event;
        write_event_json(
            out,
            event.id,
            &event.timestamp,
            &event.duration,
            self.data.get(),
        );
    }
}

#[cfg(test)]
mod tests {
    use aw_models::Event;

    use super::*;

    /// The JSON array of `events`, as `serde_json::to_vec` of the same `Event`s.
    fn events_json(events: &[SharedEvent]) -> serde_json::Result<Vec<u8>> {
        // Room for a typical window event, so the buffer rarely grows (and copies).
        let mut out = Vec::with_capacity(2 + events.len().saturating_mul(160));
        let mut encodings = DataEncodings::default();
        out.push(b'[');
        for (idx, event) in events.iter().enumerate() {
            if idx > 0 {
                out.push(b',');
            }
            WireEvent::new(event, &mut encodings)?.write_json(&mut out);
        }
        out.push(b']');
        Ok(out)
    }

    fn events(texts: &[&str]) -> Vec<Event> {
        texts
            .iter()
            .map(|text| serde_json::from_str(text).unwrap())
            .collect()
    }

    #[test]
    fn bytes_equal_plain_events() {
        let plain = events(&[
            r#"{"id":1,"timestamp":"2024-01-01T00:00:00.5Z","duration":-1.25,"data":{"b":1,"a":[1.0e2,{"z":null,"y":"\u0001é\"\\"}]}}"#,
            r#"{"timestamp":"1969-12-31T23:59:59.123456789Z","duration":0,"data":{}}"#,
            r#"{"id":-7,"timestamp":"2262-04-11T00:00:00Z","duration":1e-9,"data":{"n":-0.0,"big":18446744073709551615,"f":1.7976931348623157e308}}"#,
        ]);
        let mut shared: Vec<SharedEvent> = plain.iter().cloned().map(SharedEvent::from).collect();
        // The same map in two events, and an equal map in a separate allocation.
        shared.push(shared[0].clone());
        shared.push(SharedEvent::from(plain[0].clone()));
        let mut expected = plain.clone();
        expected.push(plain[0].clone());
        expected.push(plain[0].clone());
        assert_eq!(
            String::from_utf8(events_json(&shared).unwrap()).unwrap(),
            serde_json::to_string(&expected).unwrap()
        );
        assert_eq!(events_json(&[]).unwrap(), b"[]");
    }

    #[test]
    fn bounded_encodings_start_afresh() {
        let mut encodings = DataEncodings::default();
        let first = SharedEvent::from(
            events(&[r#"{"timestamp":"2024-01-01T00:00:00Z","data":{"a":1}}"#])[0].clone(),
        );
        assert_eq!(encodings.encoded(&first.data).unwrap().get(), r#"{"a":1}"#);
        encodings.bound(0);
        assert!(encodings.by_address.is_empty());
        let mut changed = first.clone();
        changed.data_mut().insert("b".into(), 2.into());
        assert_eq!(
            encodings.encoded(&changed.data).unwrap().get(),
            r#"{"a":1,"b":2}"#
        );
        assert_eq!(encodings.encoded(&first.data).unwrap().get(), r#"{"a":1}"#);
    }
}
