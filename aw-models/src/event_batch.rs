//! [`EventBatch`]: a list of events held compactly, as an import plan holds them:
//! each event as four numbers, each distinct `data` object once as its canonical
//! text. A `POST …/events` body of half a million events is read into one without
//! building a map per event, stored from it, and answered from it.
//!
//! What must stay true: [`EventBatch::from_json`] accepts exactly the arrays every
//! element of which reads as an [`Event`] (else it answers `None` and the caller
//! parses `Vec<Event>` for serde's exact reason), and [`EventBatch::to_json`] writes
//! what serialising the same `Event`s writes.

use chrono::TimeDelta;
use serde_json::value::RawValue;

use crate::import_plan::{plan_event, Texts};
use crate::time::from_nanos;
use crate::wire::write_event_json;
use crate::{Event, JsonMap, ModelError, PlannedEvent};

/// Events with their data as distinct canonical texts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventBatch {
    /// The events in order; [`PlannedEvent::data`] indexes [`EventBatch::data`].
    pub events: Vec<PlannedEvent>,
    /// Distinct canonical data texts.
    pub data: Vec<Box<str>>,
}

impl EventBatch {
    /// Reads a JSON array of events; `None` if the text is not one, or if any element
    /// is not a valid event.
    pub fn from_json(text: &str) -> Option<EventBatch> {
        let elements: Vec<&RawValue> = serde_json::from_str(text).ok()?;
        let mut texts = Texts::default();
        let events = elements
            .into_iter()
            .map(|element| plan_event(element, &mut texts))
            .collect::<Option<Vec<_>>>()?;
        Some(EventBatch {
            events,
            data: texts.into_vec(),
        })
    }

    /// The batch of built events; an event whose end does not fit is refused.
    pub fn from_events(events: &[Event]) -> Result<EventBatch, ModelError> {
        let mut texts = Texts::default();
        let events = events
            .iter()
            .map(|event| PlannedEvent::of(event, &mut texts))
            .collect::<Result<_, _>>()?;
        Ok(EventBatch {
            events,
            data: texts.into_vec(),
        })
    }

    /// Whether the batch holds no event.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The canonical text of `event`'s data.
    pub fn data_of(&self, event: &PlannedEvent) -> &str {
        event.data_in(&self.data)
    }

    /// The JSON array of the events, as serialising them as [`Event`]s writes it.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.events.len().saturating_mul(160) + 2);
        out.push(b'[');
        for (idx, event) in self.events.iter().enumerate() {
            if idx > 0 {
                out.push(b',');
            }
            write_event_json(
                &mut out,
                event.id(),
                &from_nanos(event.start),
                &TimeDelta::nanoseconds(event.end.saturating_sub(event.start)),
                self.data_of(event),
            );
        }
        out.push(b']');
        out
    }

    /// The events, each with its own decoded data.
    pub fn into_events(self) -> Vec<Event> {
        let decoded: Vec<JsonMap> = self
            .data
            .iter()
            .map(|text| serde_json::from_str(text).unwrap_or_default())
            .collect();
        self.events
            .iter()
            .map(|planned| {
                let data = usize::try_from(planned.data)
                    .ok()
                    .and_then(|idx| decoded.get(idx))
                    .cloned()
                    .unwrap_or_default();
                let mut event = Event::new(
                    from_nanos(planned.start),
                    TimeDelta::nanoseconds(planned.end.saturating_sub(planned.start)),
                    data,
                );
                event.id = planned.id();
                event
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bodies whose elements are all valid events, and bodies that are not.
    const BODIES: [(&str, bool); 10] = [
        ("[]", true),
        (
            r#"[{"id":-9223372036854775808,"timestamp":"2020-01-01T00:00:00Z","data":{}}]"#,
            true,
        ),
        (
            r#"[{"id":3,"timestamp":"2020-01-01T01:00:00+01:00","duration":1.5,"data":{"b":1,"a":[2.0,{"z":null}]}},
               {"timestamp":"2020-01-01T00:00:01.123456789Z","data":{"a":[2.0,{"z":null}],"b":1}},
               {"timestamp":"1969-12-31T23:59:59Z","duration":-2,"data":{"é":"\u00e9\n","x":1e300}, "extra":1}]"#,
            true,
        ),
        (r#"[{"timestamp":"2020-01-01T00:00:00Z"}]"#, false),
        (r#"[{"timestamp":"2020-01-01T00:00:00Z","data":[]}]"#, false),
        (
            r#"[{"timestamp":"2262-04-11T00:00:00Z","duration":1e9,"data":{}}]"#,
            false,
        ),
        (r#"[{"timestamp":"yesterday","data":{}}]"#, false),
        (r#"{"timestamp":"2020-01-01T00:00:00Z","data":{}}"#, false),
        (
            r#"[{"timestamp":"2020-01-01T00:00:00Z","data":{}}] x"#,
            false,
        ),
        (
            r#"[{"id":1.5,"timestamp":"2020-01-01T00:00:00Z","data":{}}]"#,
            false,
        ),
    ];

    #[test]
    fn accepts_exactly_what_the_event_model_accepts_and_writes_the_same() {
        for (body, valid) in BODIES {
            let batch = EventBatch::from_json(body);
            let events = serde_json::from_str::<Vec<Event>>(body);
            assert_eq!(batch.is_some(), valid, "{body}");
            assert_eq!(events.is_ok(), valid, "{body}");
            if let (Some(batch), Ok(events)) = (batch, events) {
                let expected = serde_json::to_string(&events).unwrap();
                assert_eq!(String::from_utf8(batch.to_json()).unwrap(), expected);
                assert_eq!(EventBatch::from_events(&events).unwrap(), batch);
                let back = serde_json::to_string(&batch.into_events()).unwrap();
                assert_eq!(back, expected);
            }
        }
    }

    #[test]
    fn equal_data_is_held_once() {
        let batch = EventBatch::from_json(
            r#"[{"timestamp":"2020-01-01T00:00:00Z","data":{"b":1,"a":2}},
                {"timestamp":"2020-01-01T00:00:01Z","data":{"a": 2, "b": 1}}]"#,
        )
        .unwrap();
        assert_eq!(batch.data, vec![Box::<str>::from(r#"{"a":2,"b":1}"#)]);
        assert_eq!(batch.events.len(), 2);
    }
}
