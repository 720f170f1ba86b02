//! [`Pager`]: a source bucket's events read oldest first, unclipped, in pages of
//! bounded size, from a peer file ([`PeerPager`]) or from a server whose API only
//! offers newest-first clipped range reads ([`StorePager`]).
//!
//! What must stay true: every event starting at or after the pager's start comes out
//! exactly once, in `(start, id)` order, with its stored start and duration; no page
//! holds more than the page size (except a single instant holding more events than
//! that, which comes out whole); memory stays O(page size).

use aw_datastore::{PeerBucket, PeerCursor, PeerFile};
use aw_models::time::{duration_nanos, from_nanos, to_nanos};
use aw_models::Event;

use crate::sync::store::Store;
use crate::sync::SyncError;

/// One hour in nanoseconds: how far past "now" the open-ended last window is cut
/// when it has to be split.
const HOUR_NANOS: i64 = 3_600_000_000_000;

/// Produces a bucket's events page by page.
pub trait Pager {
    /// The next page (oldest first), or `None` when every event has come out.
    fn next_page(&mut self) -> Result<Option<Vec<Event>>, SyncError>;
}

/// Pages of a peer file, by `(starttime, id)` keyset.
pub struct PeerPager<'a> {
    file: &'a PeerFile,
    bucket: &'a PeerBucket,
    cursor: PeerCursor,
    page_size: usize,
    done: bool,
}

impl<'a> PeerPager<'a> {
    /// Events of `bucket` starting at or after `start_nanos`.
    pub fn new(
        file: &'a PeerFile,
        bucket: &'a PeerBucket,
        start_nanos: i64,
        page_size: usize,
    ) -> PeerPager<'a> {
        PeerPager {
            file,
            bucket,
            cursor: PeerCursor::From(start_nanos),
            page_size: page_size.max(1),
            done: false,
        }
    }
}

impl Pager for PeerPager<'_> {
    fn next_page(&mut self) -> Result<Option<Vec<Event>>, SyncError> {
        if self.done {
            return Ok(None);
        }
        let page = self
            .file
            .events_page(self.bucket, self.cursor, self.page_size)?;
        if page.len() < self.page_size {
            self.done = true;
        }
        match page.last() {
            Some(last) => {
                self.cursor = PeerCursor::After(last.start_nanos(), last.id.unwrap_or(i64::MAX));
                Ok(Some(page))
            }
            None => Ok(None),
        }
    }
}

/// Pages of a server bucket, read as consecutive time windows `[a, b]` (each event
/// belongs to the window holding its start). A window that returns more than a
/// page is halved; a sparse one doubles the next. Events clipped by the window's
/// edges are read again by id to get their stored start and duration.
pub struct StorePager<'a> {
    store: &'a dyn Store,
    bucket_id: String,
    next_start: i64,
    width: i64,
    data_end: i64,
    page_size: usize,
    done: bool,
}

impl<'a> StorePager<'a> {
    /// Events of `bucket_id` starting at or after `start_nanos`. `data_end` (where
    /// the data ends, about) and `count` (how many events there are) only size the
    /// first window; events past `data_end` come out too.
    pub fn new(
        store: &'a dyn Store,
        bucket_id: &str,
        start_nanos: i64,
        data_end: i64,
        count: u64,
        page_size: usize,
    ) -> StorePager<'a> {
        let page_size = page_size.max(1);
        let next_start = start_nanos;
        let length = data_end.saturating_sub(next_start).max(1);
        let per_window = i64::try_from(page_size / 2 + 1).unwrap_or(i64::MAX);
        let total = i64::try_from(count.max(1)).unwrap_or(i64::MAX);
        let width = (length / total)
            .saturating_mul(per_window)
            .max(1_000_000_000);
        StorePager {
            store,
            bucket_id: bucket_id.to_string(),
            next_start,
            width,
            data_end,
            page_size,
            done: false,
        }
    }

    /// Reads the window starting at `start` that holds at most a page, shrinking it
    /// as needed; returns its end and its (clipped) events.
    fn read_window(&mut self, start: i64) -> Result<(i64, Vec<Event>), SyncError> {
        let limit = u64::try_from(self.page_size)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let mut end = if start.saturating_add(self.width) >= self.data_end {
            i64::MAX
        } else {
            start.saturating_add(self.width)
        };
        loop {
            // The open end is left out rather than sent as the year 2262.
            let end_arg = (end != i64::MAX).then(|| from_nanos(end));
            let events = self.store.get_events(
                &self.bucket_id,
                Some(from_nanos(start)),
                end_arg,
                Some(limit),
            )?;
            if events.len() <= self.page_size {
                return Ok((end, events));
            }
            if end == start {
                // More events touch this one instant than a page holds: read them whole.
                let events = self.store.get_events(
                    &self.bucket_id,
                    Some(from_nanos(start)),
                    end_arg,
                    None,
                )?;
                return Ok((end, events));
            }
            let top = if end == i64::MAX {
                let now = to_nanos(&chrono::Utc::now()).saturating_add(HOUR_NANOS);
                self.data_end.max(now).max(start.saturating_add(1))
            } else {
                end
            };
            let half = top.saturating_sub(start) / 2;
            self.width = half.max(1);
            end = start.saturating_add(half);
        }
    }

    /// The stored form of events the window `[start, end]` may have clipped; drops
    /// those that start before the window.
    fn unclip(&self, start: i64, end: i64, events: Vec<Event>) -> Result<Vec<Event>, SyncError> {
        let mut whole = Vec::with_capacity(events.len());
        for event in events {
            let event_start = event.start_nanos();
            let event_end = event_start.saturating_add(duration_nanos(&event.duration));
            let clipped = event_start == start || (end != i64::MAX && event_end == end);
            let event = match event.id {
                Some(id) if clipped => self.store.get_event(&self.bucket_id, id)?,
                _ => event,
            };
            if event.start_nanos() >= start {
                whole.push(event);
            }
        }
        whole.sort_by_key(|event| (event.start_nanos(), event.id));
        Ok(whole)
    }
}

impl Pager for StorePager<'_> {
    fn next_page(&mut self) -> Result<Option<Vec<Event>>, SyncError> {
        while !self.done {
            let start = self.next_start;
            let (end, events) = self.read_window(start)?;
            let sparse = events.len() < self.page_size / 4;
            let events = self.unclip(start, end, events)?;
            if end == i64::MAX {
                self.done = true;
            } else {
                self.next_start = end.saturating_add(1);
                if sparse {
                    self.width = self.width.saturating_mul(2);
                }
            }
            if !events.is_empty() {
                return Ok(Some(events));
            }
        }
        Ok(None)
    }
}
