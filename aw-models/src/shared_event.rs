//! [`SharedEvent`]: an event whose `data` is shared, for reads that return many events
//! with the same data (a window watcher's year holds ~300k events but ~1.5k distinct
//! `data` values).
//!
//! What must stay true: a `SharedEvent` serialises exactly as the [`Event`] it stands
//! for, and equality means the same as [`Event`]'s (id ignored). Sharing is only an
//! optimisation: two events with equal data need not share one allocation, and code
//! may rely on pointer equality (`Arc::ptr_eq`) only as a shortcut, never for meaning.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Serialize, Serializer};

use crate::time::to_nanos;
use crate::{Event, JsonMap};

/// One interval of activity with reference-counted data.
#[derive(Debug, Clone)]
pub struct SharedEvent {
    /// Row id in the datastore; `None` before insertion.
    pub id: Option<i64>,
    /// Start of the interval.
    pub timestamp: DateTime<Utc>,
    /// Length of the interval; may be negative.
    pub duration: TimeDelta,
    /// Free-form data, shared with other events holding the same data.
    pub data: Arc<JsonMap>,
}

impl SharedEvent {
    /// `timestamp + duration` (the start when that overflows).
    pub fn calculate_endtime(&self) -> DateTime<Utc> {
        crate::event::endtime(&self.timestamp, &self.duration)
    }

    /// Start in nanoseconds since the epoch.
    pub fn start_nanos(&self) -> i64 {
        to_nanos(&self.timestamp)
    }

    /// End in nanoseconds since the epoch, or `None` when it does not fit in i64.
    pub fn end_nanos(&self) -> Option<i64> {
        crate::event::end_nanos(&self.timestamp, &self.duration)
    }

    /// Mutable access to the data, copying it first if another event shares it.
    pub fn data_mut(&mut self) -> &mut JsonMap {
        Arc::make_mut(&mut self.data)
    }

    /// The plain event (copies the data only if it is shared).
    pub fn into_event(self) -> Event {
        Event {
            id: self.id,
            timestamp: self.timestamp,
            duration: self.duration,
            data: Arc::try_unwrap(self.data).unwrap_or_else(|shared| (*shared).clone()),
        }
    }
}

impl From<Event> for SharedEvent {
    fn from(event: Event) -> SharedEvent {
        SharedEvent {
            id: event.id,
            timestamp: event.timestamp,
            duration: event.duration,
            data: Arc::new(event.data),
        }
    }
}

impl From<SharedEvent> for Event {
    fn from(event: SharedEvent) -> Event {
        event.into_event()
    }
}

impl PartialEq for SharedEvent {
    fn eq(&self, other: &SharedEvent) -> bool {
        self.timestamp == other.timestamp
            && self.duration == other.duration
            && (Arc::ptr_eq(&self.data, &other.data) || self.data == other.data)
    }
}

/// The wire form of [`Event`]: `id`, `timestamp`, `duration`, `data`, in that order.
impl Serialize for SharedEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            id: Option<i64>,
            #[serde(with = "crate::time::datetime")]
            timestamp: DateTime<Utc>,
            #[serde(with = "crate::time::duration_secs")]
            duration: TimeDelta,
            data: &'a JsonMap,
        }
        Wire {
            id: self.id,
            timestamp: self.timestamp,
            duration: self.duration,
            data: &self.data,
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_the_event_it_stands_for() {
        let event: Event = serde_json::from_str(
            r#"{"id":3,"timestamp":"2024-05-01T10:00:00.250Z","duration":1.75,"data":{"title":"GitHub","app":"Firefox"}}"#,
        )
        .unwrap();
        let shared = SharedEvent::from(event.clone());
        assert_eq!(
            serde_json::to_string(&shared).unwrap(),
            serde_json::to_string(&event).unwrap()
        );
        assert_eq!(shared.clone().into_event(), event);
    }

    #[test]
    fn writing_through_one_copy_leaves_the_other_alone() {
        let event: Event = serde_json::from_str(
            r#"{"timestamp":"2024-05-01T10:00:00Z","duration":1,"data":{"a":1}}"#,
        )
        .unwrap();
        let first = SharedEvent::from(event);
        let mut second = first.clone();
        second.data_mut().insert("b".into(), 2.into());
        assert_eq!(first.data.len(), 1);
        assert_eq!(second.data.len(), 2);
        assert_ne!(first, second);
    }
}
