//! What the worker counts about its own work, for `GET /api/0/metrics`:
//! [`WorkerCounters`] (commits, their latency and size, heartbeats merged or
//! inserted) kept by the worker thread itself, and [`DatastoreMetrics`], the snapshot
//! a handle receives.
//!
//! What must stay true: the counters are plain integers owned by the worker thread
//! (no atomics, no lock); a snapshot is a copy. Counting never touches SQL, and a
//! snapshot reads no table except to count a bucket whose count is not cached yet
//! (`State::full_count`, the path of `events/count`), which then stays cached.

use serde::Serialize;

/// Upper bounds (seconds) of the commit latency histogram.
pub const COMMIT_SECONDS_BOUNDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// Upper bounds (events) of the batch size histogram.
pub const BATCH_EVENTS_BOUNDS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0,
];

/// A histogram with fixed upper bounds: `counts[i]` counts observations in
/// `(bounds[i-1], bounds[i]]` (not cumulative); the last entry counts those above
/// every bound.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    /// The upper bounds, ascending.
    pub bounds: &'static [f64],
    /// One count per bound, plus one for the values above the last bound.
    pub counts: Vec<u64>,
    /// The sum of the observed values.
    pub sum: f64,
    /// Number of observations.
    pub count: u64,
}

impl Histogram {
    /// An empty histogram over `bounds`.
    pub fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
            count: 0,
        }
    }

    /// Records one value.
    pub fn observe(&mut self, value: f64) {
        let slot = self
            .bounds
            .iter()
            .position(|bound| value <= *bound)
            .unwrap_or(self.bounds.len());
        if let Some(count) = self.counts.get_mut(slot) {
            *count += 1;
        }
        self.sum += value;
        self.count += 1;
    }
}

/// What happened to the heartbeats the worker received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HeartbeatCounts {
    /// Merged into the bucket's last event (an UPDATE).
    pub merged: u64,
    /// Stored as a new event (an INSERT).
    pub inserted: u64,
    /// Dropped by a privacy rule, never stored.
    pub dropped: u64,
}

/// The worker's own counters since the datastore was opened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkerCounters {
    /// Successful commits.
    pub commits: u64,
    /// Commits that failed (the batch was rolled back).
    pub commit_failures: u64,
    /// How long each successful `COMMIT` took, in seconds.
    pub commit_seconds: Histogram,
    /// Events (heartbeats, inserted or imported events) each successful commit held.
    pub batch_events: Histogram,
    /// Heartbeats by outcome.
    pub heartbeats: HeartbeatCounts,
}

impl Default for WorkerCounters {
    fn default() -> WorkerCounters {
        WorkerCounters {
            commits: 0,
            commit_failures: 0,
            commit_seconds: Histogram::new(COMMIT_SECONDS_BOUNDS),
            batch_events: Histogram::new(BATCH_EVENTS_BOUNDS),
            heartbeats: HeartbeatCounts::default(),
        }
    }
}

/// A snapshot of the datastore's figures (`Datastore::metrics`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatastoreMetrics {
    /// Requests waiting in the worker's channel when the snapshot was asked for.
    pub queue_depth: u64,
    /// Size of the database file plus its `-wal`, in bytes (0 in memory).
    pub size_bytes: u64,
    /// The worker's counters.
    pub counters: WorkerCounters,
    /// Events of each bucket (the default-range count of `events/count`), by id.
    pub bucket_events: Vec<(String, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_their_bucket() {
        let mut histogram = Histogram::new(&[1.0, 10.0]);
        for value in [0.5, 1.0, 2.0, 10.0, 11.0, 1e9] {
            histogram.observe(value);
        }
        assert_eq!(histogram.counts, vec![2, 2, 2]);
        assert_eq!(histogram.count, 6);
        assert!((histogram.sum - (0.5 + 1.0 + 2.0 + 10.0 + 11.0 + 1e9)).abs() < 1e-3);
    }
}
