//! Retention (opt-in): deleting events older than a bucket's rules allow, as a sweep
//! the worker runs in small steps when it has nothing else to do, daily and once
//! shortly after the rules are given, or on request with an explicit "now".
//!
//! What must stay true: an event is deleted only when it *ended* strictly before the
//! cutoff (`now - keep_days`; an event ending exactly at the cutoff stays); several
//! rules matching one bucket delete the union of what each would; a bucket no rule
//! matches is never touched; a dry run counts the same events and deletes none; the
//! bucket's span is read again after deletions.

use std::collections::BTreeMap;
use std::time::Duration;

use aw_models::time::{duration_from_secs, duration_nanos, to_nanos};
use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::types::Value as SqlValue;
use serde::Serialize;

use crate::error::Result;
use crate::state::State;
use crate::sweep::{Changes, PAGE};

/// One retention rule, for the buckets whose id starts with `bucket_prefix`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionRule {
    /// Buckets whose id starts with this (empty: every bucket).
    pub bucket_prefix: String,
    /// Delete events that ended more than this many days ago.
    pub keep_days: Option<u32>,
    /// Delete events shorter than `min_duration_secs` once they ended more than this
    /// many days ago.
    pub min_duration_after_days: Option<u32>,
    /// The shortest event kept by `min_duration_after_days`, in seconds.
    pub min_duration_secs: f64,
}

/// The retention rules and how the worker runs them by itself.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionPolicy {
    /// The rules; none means retention is off.
    pub rules: Vec<RetentionRule>,
    /// Only count and log what would go.
    pub dry_run: bool,
    /// Wait before the first run.
    pub first_run_after: Duration,
    /// Time between two runs.
    pub interval: Duration,
}

/// What a retention run removed (or, in a dry run, would remove), per bucket that
/// a rule matched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    /// True when nothing was deleted.
    pub dry_run: bool,
    /// The buckets a rule matched, with what went.
    pub buckets: BTreeMap<String, RetentionCounts>,
}

/// Events removed from one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RetentionCounts {
    /// Events deleted (or that would be).
    pub removed: u64,
}

/// What goes in one bucket: events ending before `cutoff` (ns), and for each pair
/// events ending before `.0` that last less than `.1` (ns).
#[derive(Debug, Clone)]
struct Criteria {
    bucket_id: String,
    cutoff: Option<i64>,
    short: Vec<(i64, i64)>,
}

/// A retention run in progress: one bucket at a time.
pub struct RetentionSweep {
    all: Vec<Criteria>,
    pending: Vec<Criteria>,
    report: RetentionReport,
}

impl RetentionSweep {
    /// A run of `rules` as of `now`.
    pub fn new(
        state: &State,
        rules: &[RetentionRule],
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> RetentionSweep {
        let before = |days: u32| to_nanos(&(now - TimeDelta::days(i64::from(days))));
        let mut pending: Vec<Criteria> = Vec::new();
        for bucket_id in state.buckets.keys() {
            let mut criteria = Criteria {
                bucket_id: bucket_id.clone(),
                cutoff: None,
                short: Vec::new(),
            };
            for rule in rules
                .iter()
                .filter(|r| bucket_id.starts_with(&r.bucket_prefix))
            {
                if let Some(days) = rule.keep_days {
                    criteria.cutoff = criteria.cutoff.max(Some(before(days)));
                }
                if let Some(days) = rule.min_duration_after_days {
                    let shortest = duration_nanos(&duration_from_secs(rule.min_duration_secs));
                    criteria.short.push((before(days), shortest));
                }
            }
            if criteria.cutoff.is_some() || !criteria.short.is_empty() {
                pending.push(criteria);
            }
        }
        pending.sort_by(|a, b| b.bucket_id.cmp(&a.bucket_id));
        let buckets = pending
            .iter()
            .map(|c| (c.bucket_id.clone(), RetentionCounts::default()))
            .collect();
        RetentionSweep {
            all: pending.clone(),
            pending,
            report: RetentionReport { dry_run, buckets },
        }
    }

    /// Whether the run deletes.
    pub fn dry_run(&self) -> bool {
        self.report.dry_run
    }

    /// Starts over (the deletions so far were rolled back).
    pub fn restart(&mut self) {
        self.pending.clone_from(&self.all);
        for counts in self.report.buckets.values_mut() {
            counts.removed = 0;
        }
    }

    /// One bounded step (one page of deletions, or one count in a dry run);
    /// `Some(report)` when every bucket is done.
    pub fn step(&mut self, state: &mut State) -> Result<Option<RetentionReport>> {
        let Some(criteria) = self.pending.last().cloned() else {
            return Ok(Some(self.report.clone()));
        };
        let Some(row) = state.buckets.get(&criteria.bucket_id).map(|c| c.row) else {
            self.pending.pop();
            return Ok(None);
        };
        let (condition, mut params) = criteria.condition();
        params.insert(0, SqlValue::Integer(row));
        let done = if self.dry_run() {
            let sql = format!("SELECT count(*) FROM events WHERE bucketrow = ?1 AND ({condition})");
            let count: i64 = state
                .conn
                .prepare_cached(&sql)?
                .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?;
            self.add(&criteria.bucket_id, u64::try_from(count).unwrap_or(0));
            true
        } else {
            let sql = format!(
                "DELETE FROM events WHERE id IN (SELECT id FROM events
                 WHERE bucketrow = ?1 AND ({condition}) LIMIT {PAGE})"
            );
            let deleted = state
                .conn
                .prepare_cached(&sql)?
                .execute(rusqlite::params_from_iter(params.iter()))?;
            if deleted > 0 {
                self.add(&criteria.bucket_id, u64::try_from(deleted).unwrap_or(0));
                let mut changes = Changes::default();
                changes.deleted_some(&criteria.bucket_id);
                changes.apply(state)?;
            }
            deleted < PAGE
        };
        if done {
            self.pending.pop();
        }
        Ok(self.pending.is_empty().then(|| self.report.clone()))
    }

    fn add(&mut self, bucket_id: &str, removed: u64) {
        self.report
            .buckets
            .entry(bucket_id.to_string())
            .or_default()
            .removed += removed;
    }
}

impl Criteria {
    /// The SQL condition (parameters from `?2`) selecting the events that go. Every
    /// term bounds `starttime` too, so the bucket's index is scanned from its start.
    fn condition(&self) -> (String, Vec<SqlValue>) {
        let mut terms = Vec::new();
        let mut params = Vec::new();
        if let Some(cutoff) = self.cutoff {
            params.push(SqlValue::Integer(cutoff));
            let n = params.len() + 1;
            terms.push(format!("(starttime < ?{n} AND endtime < ?{n})"));
        }
        for (cutoff, shortest) in &self.short {
            params.push(SqlValue::Integer(*cutoff));
            params.push(SqlValue::Integer(*shortest));
            let (c, s) = (params.len(), params.len() + 1);
            terms.push(format!(
                "(starttime < ?{c} AND endtime < ?{c} AND endtime - starttime < ?{s})"
            ));
        }
        (terms.join(" OR "), params)
    }
}
