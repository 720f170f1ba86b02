//! [`EventBatch`]: a list of events held compactly, as an import plan holds them:
//! each event as four numbers, each distinct `data` object once as its canonical
//! text. A `POST …/events` body of half a million events is read into one without
//! building a map per event, stored from it, and answered from it.
//!
//! What must stay true: [`EventBatch::from_json`] accepts exactly the arrays every
//! element of which reads as an [`Event`] (else it answers `None` and the caller
//! parses `Vec<Event>` for serde's exact reason), and [`EventBatch::to_json`] writes
//! what serialising the same `Event`s writes.

use std::fmt;

use chrono::TimeDelta;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
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
        EventBatch::from_elements(&elements)
    }

    /// Reads a JSON array of events in batches of up to `size` events, handing each
    /// to `each` as soon as it is read, so that storing can start before the end is
    /// read. `None` if the text is not such an array (some batches may have been handed
    /// over by then); otherwise the number of events.
    pub fn read_batches(text: &str, size: usize, each: impl FnMut(EventBatch)) -> Option<usize> {
        let mut de = serde_json::Deserializer::from_str(text);
        let reader = BatchReader {
            size: size.max(1),
            each,
        };
        let count = de.deserialize_seq(reader).ok()?;
        de.end().ok()?;
        Some(count)
    }

    /// Reads array elements as events; `None` if any is not a valid event.
    fn from_elements(elements: &[&RawValue]) -> Option<EventBatch> {
        let mut texts = Texts::default();
        let events = elements
            .iter()
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
        EventBatch::list_json(std::slice::from_ref(self))
    }

    /// The JSON array of the events of `batches`, one after the other.
    pub fn list_json(batches: &[EventBatch]) -> Vec<u8> {
        let count: usize = batches.iter().map(|batch| batch.events.len()).sum();
        let mut out = Vec::with_capacity(count.saturating_mul(160) + 2);
        out.push(b'[');
        for batch in batches {
            for event in &batch.events {
                if out.len() > 1 {
                    out.push(b',');
                }
                write_event_json(
                    &mut out,
                    event.id(),
                    &from_nanos(event.start),
                    &TimeDelta::nanoseconds(event.end.saturating_sub(event.start)),
                    batch.data_of(event),
                );
            }
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

/// The array visitor of [`EventBatch::read_batches`].
struct BatchReader<F> {
    size: usize,
    each: F,
}

impl<'de, F: FnMut(EventBatch)> Visitor<'de> for BatchReader<F> {
    type Value = usize;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a list of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<usize, A::Error> {
        let mut elements: Vec<&'de RawValue> = Vec::with_capacity(self.size);
        let mut count = 0;
        loop {
            let element = seq.next_element()?;
            if let Some(element) = element {
                elements.push(element);
                count += 1;
            }
            if elements.len() == self.size || (element.is_none() && !elements.is_empty()) {
                let batch = EventBatch::from_elements(&elements)
                    .ok_or_else(|| de::Error::custom("not a valid event"))?;
                (self.each)(batch);
                elements.clear();
            }
            if element.is_none() {
                return Ok(count);
            }
        }
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

    /// Read in batches of any size, a body is accepted or refused as a whole read
    /// accepts or refuses it, and the batches, one after the other, write the same list.
    #[test]
    fn batches_read_as_the_whole_list() {
        for (body, valid) in BODIES {
            for size in [1, 2, 1000] {
                let mut batches = Vec::new();
                let read = EventBatch::read_batches(body, size, |batch| batches.push(batch));
                assert_eq!(read.is_some(), valid, "{body} by {size}");
                let Some(whole) = EventBatch::from_json(body) else {
                    continue;
                };
                assert_eq!(read, Some(whole.events.len()));
                assert!(batches.iter().all(|batch| batch.events.len() <= size));
                assert_eq!(EventBatch::list_json(&batches), whole.to_json(), "{body}");
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
