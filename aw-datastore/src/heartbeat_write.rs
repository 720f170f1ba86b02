//! [`State::heartbeat`]: one heartbeat applied to the stored events (the merge rule
//! itself is the pure function in `heartbeat.rs`), with the caches and the change
//! notice it implies.

use aw_models::Event;

use crate::buckets;
use crate::error::Result;
use crate::events;
use crate::heartbeat;
use crate::privacy::Verdict;
use crate::state::State;

impl State {
    /// Merges or inserts a heartbeat (docs/API.md §5).
    pub fn heartbeat(
        &mut self,
        bucket_id: &str,
        mut heartbeat: Event,
        pulsetime: f64,
    ) -> Result<Event> {
        let row = self.cached(bucket_id)?.row;
        events::span(&heartbeat)?;
        // Filtered before the merge, so a redacted heartbeat merges with the redacted
        // event stored before it; a dropped one leaves the last event (and the merge
        // of the next heartbeat) untouched and is answered with that event.
        if self.filters.apply(bucket_id, &mut heartbeat.data) == Verdict::Dropped {
            self.heartbeats.dropped += 1;
            return Ok(self
                .last_events
                .get(bucket_id)
                .cloned()
                .unwrap_or(heartbeat));
        }
        let last = match self.last_events.remove(bucket_id) {
            Some(last) => Some(last),
            None => events::newest(&self.conn, row)?,
        };
        let last_end = last.as_ref().and_then(Event::end_nanos);
        let last_start = last.as_ref().map(Event::start_nanos);
        let merged = last.and_then(|last| {
            let id = last.id?;
            heartbeat::merge(&last, &heartbeat, pulsetime).map(|merged| (id, merged))
        });
        let heartbeat_replaced_by_id = heartbeat.id.is_some();
        // How the default-range count changes, when that is known exactly.
        let (stored, counted, was_merged) = match merged {
            Some((id, merged)) if events::replace(&self.conn, row, id, &merged)? => {
                // A merge only moves the end later: counted before, counted after.
                let unchanged = last_end.is_some_and(|end| end >= 0);
                (merged, unchanged.then_some(0), true)
            }
            _ => {
                let replaces_by_id = heartbeat.id.is_some();
                let mut inserted = heartbeat;
                inserted.id = Some(events::insert(&self.conn, row, &inserted)?);
                let added = u64::from(inserted.end_nanos().is_some_and(|end| end >= 0));
                (inserted, (!replaces_by_id).then_some(added), false)
            }
        };
        let (start, end) = events::span(&stored)?;
        match (was_merged, heartbeat_replaced_by_id) {
            (true, _) => self.listeners.span(
                bucket_id,
                start.min(last_start.unwrap_or(start)),
                end.max(last_end.unwrap_or(end)),
            ),
            (false, false) => self.listeners.span(bucket_id, start, end),
            (false, true) => self.listeners.bucket(bucket_id),
        }
        if was_merged {
            self.heartbeats.merged += 1;
        } else {
            self.heartbeats.inserted += 1;
        }
        if let Some(cached) = self.buckets.get_mut(bucket_id) {
            buckets::widen(cached, start, end);
            cached.count = cached
                .count
                .zip(counted)
                .map(|(count, added)| count + added);
        }
        self.last_events
            .insert(bucket_id.to_string(), stored.clone());
        Ok(stored)
    }
}
