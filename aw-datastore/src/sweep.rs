//! Sweeps: work over the events already stored that the worker does in short steps
//! between requests — applying the privacy rules retroactively
//! (`POST /api/0/privacy/apply`) and, in `retention`, deleting old events.
//!
//! What must stay true: one step does a bounded amount of work ([`STEP_BUDGET`] of
//! time, pages of [`PAGE`] rows), so a heartbeat queued behind it waits a few
//! milliseconds at most; after every step the caches are true again (the last event
//! of a touched bucket is forgotten, its count reset, its start and end recomputed
//! when a deleted event was at an edge); a dry run writes nothing.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use aw_models::time::to_nanos;
use serde::Serialize;

use crate::buckets;
use crate::error::Result;
use crate::events;
use crate::privacy::{PrivacyFilters, Verdict};
use crate::state::State;

/// Longest time one step of a sweep keeps the worker.
pub const STEP_BUDGET: Duration = Duration::from_millis(2);
/// Rows read (or deleted) per statement of a sweep.
pub const PAGE: usize = 200;

/// What applying the privacy rules did (or, in a dry run, would do), per bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrivacyReport {
    /// True when nothing was changed.
    pub dry_run: bool,
    /// Every bucket, with its counts.
    pub buckets: BTreeMap<String, PrivacyCounts>,
}

/// Events of one bucket that the rules drop or redact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PrivacyCounts {
    /// Events deleted (or that would be).
    pub dropped: u64,
    /// Events whose data was rewritten (or would be).
    pub redacted: u64,
}

/// A privacy sweep in progress: a walk over every event in id order.
pub struct PrivacySweep {
    filters: PrivacyFilters,
    /// The last event id looked at.
    cursor: i64,
    report: PrivacyReport,
}

impl PrivacySweep {
    /// A sweep applying `filters` (a snapshot of the rules when it was asked for).
    pub fn new(filters: PrivacyFilters, dry_run: bool) -> PrivacySweep {
        PrivacySweep {
            filters,
            cursor: 0,
            report: PrivacyReport {
                dry_run,
                buckets: BTreeMap::new(),
            },
        }
    }

    /// Whether the sweep writes.
    pub fn dry_run(&self) -> bool {
        self.report.dry_run
    }

    /// Starts over (after the batch holding earlier steps was rolled back).
    pub fn restart(&mut self) {
        self.cursor = 0;
        self.report.buckets.clear();
    }

    /// One bounded step; `Some(report)` once every event was looked at.
    pub fn step(&mut self, state: &mut State) -> Result<Option<PrivacyReport>> {
        let started = Instant::now();
        let names: HashMap<i64, String> = state
            .buckets
            .values()
            .map(|cached| (cached.row, cached.bucket.id.clone()))
            .collect();
        for name in names.values() {
            self.report.buckets.entry(name.clone()).or_default();
        }
        let mut changes = Changes::default();
        let finished = loop {
            let page = events::page_after(&state.conn, self.cursor, PAGE)?;
            let complete = page.len() == PAGE;
            for (row, mut event) in page {
                let Some(event_id) = event.id else { continue };
                self.cursor = event_id;
                let Some(name) = names.get(&row) else {
                    continue;
                };
                let verdict = self.filters.apply(name, &mut event.data);
                let counts = self.report.buckets.entry(name.clone()).or_default();
                match verdict {
                    Verdict::Kept => continue,
                    Verdict::Dropped => counts.dropped += 1,
                    Verdict::Redacted => counts.redacted += 1,
                }
                if self.report.dry_run {
                    continue;
                }
                if verdict == Verdict::Dropped {
                    events::delete(&state.conn, row, event_id)?;
                    let (start, end) = (event.start_nanos(), event.end_nanos());
                    changes.deleted(state, name, start, end.unwrap_or(i64::MAX));
                } else {
                    events::set_data(&state.conn, event_id, &event.data)?;
                    changes.touched(name);
                }
            }
            if !complete {
                break true;
            }
            if started.elapsed() >= STEP_BUDGET {
                break false;
            }
        };
        changes.apply(state)?;
        Ok(finished.then(|| self.report.clone()))
    }
}

/// What a step changed, per bucket id: whether a deleted event lay at an edge of
/// the bucket's span (then the span is read again).
#[derive(Default)]
pub struct Changes {
    buckets: HashMap<String, bool>,
}

impl Changes {
    /// Some event of the bucket was rewritten.
    pub fn touched(&mut self, bucket_id: &str) {
        self.buckets.entry(bucket_id.to_string()).or_insert(false);
    }

    /// An event of the bucket spanning `[start, end]` (ns) was deleted.
    pub fn deleted(&mut self, state: &State, bucket_id: &str, start: i64, end: i64) {
        let at_edge = state.buckets.get(bucket_id).is_some_and(|cached| {
            let metadata = &cached.bucket.metadata;
            metadata.start.is_none_or(|t| to_nanos(&t) >= start)
                || metadata.end.is_none_or(|t| to_nanos(&t) <= end)
        });
        let edge = self.buckets.entry(bucket_id.to_string()).or_insert(false);
        *edge |= at_edge;
    }

    /// Events of the bucket were deleted, edges unknown: its span is read again.
    pub fn deleted_some(&mut self, bucket_id: &str) {
        self.buckets.insert(bucket_id.to_string(), true);
    }

    /// Makes the caches true again for every bucket touched.
    pub fn apply(self, state: &mut State) -> Result<()> {
        for (bucket_id, edge) in self.buckets {
            state.listeners.bucket(&bucket_id);
            state.last_events.remove(&bucket_id);
            let Some(cached) = state.buckets.get_mut(&bucket_id) else {
                continue;
            };
            cached.count = None;
            if edge {
                cached.bucket.metadata = buckets::metadata(&state.conn, cached.row)?;
            }
        }
        Ok(())
    }
}
