//! [`copy_bucket`]: appends a source bucket's new events to a destination bucket,
//! the step both push and pull are made of.
//!
//! What must stay true: the resume point is the destination's newest start time
//! (no state is stored anywhere); source events at that instant are matched against
//! the destination's events there (same data and duration: already copied; same data
//! and longer: the copy is extended in place; a tie not yet there: inserted), so a
//! pass repeated any number of times adds nothing; pages are written oldest first,
//! each in one all-or-nothing insert, so an interrupted pass leaves no gap and the
//! next one resumes where it stopped.

use std::time::Duration;

use aw_models::time::duration_nanos;
use aw_models::Event;
use chrono::{DateTime, Utc};

use crate::sync::pager::Pager;
use crate::sync::store::Store;
use crate::sync::{StopFlag, SyncError};

/// At most this many destination events touching the resume instant are compared.
const BOUNDARY_LIMIT: u64 = 10_000;
/// Durations closer than this are equal (REST carries them as float seconds).
const DURATION_TOLERANCE_NANOS: i64 = 1_000;

/// The destination's newest start time and its events starting exactly then.
#[derive(Debug, Default)]
pub struct Boundary {
    /// Newest start time; `None` for an empty bucket.
    pub start: Option<DateTime<Utc>>,
    /// Events starting at `start`, as stored, with their destination ids.
    pub events: Vec<Event>,
}

/// What one bucket's copy did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CopyStats {
    /// Events inserted.
    pub inserted: u64,
    /// Copies extended because the source event grew.
    pub extended: u64,
}

/// Reads the destination's [`Boundary`].
pub fn read_boundary(dest: &dyn Store, bucket_id: &str) -> Result<Boundary, SyncError> {
    let newest = dest.get_events(bucket_id, None, None, Some(1))?;
    let Some(first) = newest.into_iter().next() else {
        return Ok(Boundary::default());
    };
    let start = first.timestamp;
    let touching = dest.get_events(bucket_id, Some(start), None, Some(BOUNDARY_LIMIT))?;
    if touching.len() <= 1 {
        return Ok(Boundary {
            start: Some(start),
            events: vec![first],
        });
    }
    // Newest start first: the events starting at `start` come before the older ones
    // that only overlap it (and come back clipped to it).
    let mut events = Vec::new();
    for event in touching {
        let stored = match event.id {
            Some(id) => dest.get_event(bucket_id, id)?,
            None => event,
        };
        if stored.timestamp != start {
            break;
        }
        events.push(stored);
    }
    Ok(Boundary {
        start: Some(start),
        events,
    })
}

/// Copies every page of `source` into `dest_id` of `dest`, skipping what the
/// destination already holds at `boundary`. Checks `stop` between pages and
/// sleeps `pause` after each written page (so in-server sync yields to heartbeats).
pub fn copy_bucket(
    source: &mut dyn Pager,
    dest: &dyn Store,
    dest_id: &str,
    boundary: Boundary,
    stop: &StopFlag,
    pause: Duration,
) -> Result<CopyStats, SyncError> {
    let mut stats = CopyStats::default();
    let mut at_boundary = boundary.events;
    while let Some(page) = source.next_page()? {
        let mut batch = Vec::with_capacity(page.len());
        let mut ties: Vec<Event> = Vec::new();
        for mut event in page {
            if Some(event.timestamp) == boundary.start {
                ties.push(event);
                continue;
            }
            event.id = None;
            batch.push(event);
        }
        if !ties.is_empty() {
            let (new, extended) = match_boundary(&mut at_boundary, ties);
            stats.extended += u64::try_from(extended.len()).unwrap_or(0);
            let mut head = extended;
            head.extend(new.into_iter().map(|mut event| {
                event.id = None;
                event
            }));
            head.append(&mut batch);
            batch = head;
        }
        if !batch.is_empty() {
            let replaced = batch.iter().filter(|event| event.id.is_some()).count();
            stats.inserted += u64::try_from(batch.len() - replaced).unwrap_or(0);
            dest.insert_events(dest_id, batch)?;
            if !pause.is_zero() {
                std::thread::sleep(pause);
            }
        }
        if stop.is_set() {
            return Err(SyncError::Stopped);
        }
    }
    Ok(stats)
}

/// Splits the source events starting at the boundary instant into new ones and
/// extensions (source events carrying the id of the shorter copy they replace);
/// exact copies and shorter source versions are dropped. Matched destination
/// events are removed from `at_boundary`.
fn match_boundary(at_boundary: &mut Vec<Event>, ties: Vec<Event>) -> (Vec<Event>, Vec<Event>) {
    let same_length = |a: &Event, b: &Event| {
        (duration_nanos(&a.duration) - duration_nanos(&b.duration)).abs()
            <= DURATION_TOLERANCE_NANOS
    };
    let mut unmatched = Vec::new();
    for event in ties {
        match at_boundary
            .iter()
            .position(|copy| copy.data == event.data && same_length(copy, &event))
        {
            Some(idx) => {
                at_boundary.swap_remove(idx);
            }
            None => unmatched.push(event),
        }
    }
    let mut new = Vec::new();
    let mut extended = Vec::new();
    for mut event in unmatched {
        match at_boundary.iter().position(|copy| copy.data == event.data) {
            Some(idx) => {
                let copy = at_boundary.swap_remove(idx);
                if copy.duration < event.duration {
                    event.id = copy.id;
                    extended.push(event);
                }
            }
            None => new.push(event),
        }
    }
    (new, extended)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn event(id: i64, secs: i64, app: &str) -> Event {
        let mut data = aw_models::JsonMap::new();
        data.insert("app".into(), serde_json::json!(app));
        let mut event = Event::new(DateTime::UNIX_EPOCH, TimeDelta::seconds(secs), data);
        event.id = Some(id);
        event
    }

    #[test]
    fn boundary_matching() {
        let mut at_boundary = vec![event(1, 5, "a"), event(2, 5, "a"), event(3, 2, "b")];
        let ties = vec![
            event(10, 5, "a"),
            event(11, 5, "a"),
            event(12, 5, "a"),
            event(13, 4, "b"),
            event(14, 1, "c"),
        ];
        let (new, extended) = match_boundary(&mut at_boundary, ties);
        let new: Vec<_> = new.iter().map(|event| event.id).collect();
        assert_eq!(new, [Some(12), Some(14)]);
        assert_eq!(extended.len(), 1);
        assert_eq!(extended[0].id, Some(3));
        assert_eq!(extended[0].duration, TimeDelta::seconds(4));
        assert!(at_boundary.is_empty());
    }

    #[test]
    fn shorter_source_is_not_duplicated() {
        let mut at_boundary = vec![event(1, 9, "a")];
        let (new, extended) = match_boundary(&mut at_boundary, vec![event(5, 3, "a")]);
        assert!(new.is_empty() && extended.is_empty());
    }
}
