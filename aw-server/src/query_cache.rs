//! The query result cache: the JSON answer of one period of one query program, kept
//! until a write could change it. The dashboard sends the same programs over the same
//! periods on every view change and reload; those are answered from here.
//!
//! What must stay true: the cache never answers what a fresh run would not.
//! * An entry records every read its run made: the events of a bucket over a range
//!   (`query_bucket`) or the bucket list (`find_bucket`, `query_bucket_names`).
//! * The datastore tells the cache of every write before the write is answered
//!   ([`aw_datastore::Change`]); a change of a bucket's events over `[start, end]`
//!   drops the entries that read that bucket over an overlapping range, a created or
//!   deleted bucket drops every entry that read it or the bucket list, and a rollback
//!   drops everything.
//! * A run that overlaps a write may have read before or after it, so its result is
//!   stored only if no change since the run began touches its reads: changes are
//!   logged while any run is in flight, and a run older than the log is not stored.
//! * Memory is bounded by `max_bytes` (answer text plus bookkeeping); the least
//!   recently used entries go first. `max_bytes = 0` turns the cache off.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use aw_datastore::{Change, ChangeListener};

/// What one run read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// Events of `bucket` touching `[start, end]` (ns, inclusive).
    Events {
        /// The bucket id.
        bucket: String,
        /// Range start.
        start: i64,
        /// Range end.
        end: i64,
    },
    /// The list of buckets.
    Buckets,
}

/// A cached answer of one period.
#[derive(Debug, Clone)]
pub struct Cached {
    /// The period's result as JSON text.
    pub json: Arc<str>,
    /// The result's estimated size for the request budget (`DataType::approx_bytes`).
    pub approx_bytes: usize,
}

/// Program text and period (ns): what identifies an answer.
type Key = (Arc<str>, i64, i64);

/// A change kept while runs are in flight (module docs).
#[derive(Debug, Clone)]
enum Logged {
    Span {
        bucket: String,
        start: i64,
        end: i64,
    },
    Bucket(String),
    Everything,
}

impl From<&Change<'_>> for Logged {
    fn from(change: &Change<'_>) -> Logged {
        match *change {
            Change::Span {
                bucket_id,
                start,
                end,
            } => Logged::Span {
                bucket: bucket_id.to_string(),
                start,
                end,
            },
            Change::Bucket { bucket_id } => Logged::Bucket(bucket_id.to_string()),
            Change::Everything => Logged::Everything,
        }
    }
}

impl Logged {
    fn as_change(&self) -> Change<'_> {
        match self {
            Logged::Span { bucket, start, end } => Change::Span {
                bucket_id: bucket,
                start: *start,
                end: *end,
            },
            Logged::Bucket(bucket) => Change::Bucket { bucket_id: bucket },
            Logged::Everything => Change::Everything,
        }
    }
}

struct Entry {
    answer: Cached,
    reads: Vec<Read>,
    bytes: usize,
    last_used: u64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    bytes: usize,
    /// Counts changes; a run remembers it when it begins.
    generation: u64,
    /// Changes after generation `log_start`, while runs are in flight.
    log: VecDeque<(u64, Logged)>,
    log_start: u64,
    in_flight: usize,
    clock: u64,
}

/// Most changes logged for in-flight runs; older runs are not stored.
const LOG_CAPACITY: usize = 4096;
/// Bookkeeping counted per entry and per read besides the answer text.
const ENTRY_OVERHEAD: usize = 160;

/// The cache; shared by the query handler and the datastore's change listener.
pub struct QueryCache {
    max_bytes: usize,
    inner: Mutex<Inner>,
    counters: CacheCounters,
}

/// What the cache did so far (`GET /api/0/metrics`).
#[derive(Debug, Default)]
pub struct CacheCounters {
    /// Periods answered from the cache.
    pub hits: AtomicU64,
    /// Periods looked up and not found.
    pub misses: AtomicU64,
    /// Answers stored.
    pub stored: AtomicU64,
    /// Answers not stored because a write during their run touched their reads.
    pub refused: AtomicU64,
    /// Entries dropped because a write touched their reads.
    pub invalidated: AtomicU64,
    /// Entries dropped to stay within the size limit.
    pub evicted: AtomicU64,
}

fn bump(counter: &AtomicU64, by: usize) {
    counter.fetch_add(u64::try_from(by).unwrap_or(u64::MAX), Ordering::Relaxed);
}

/// A run in flight, from [`QueryCache::begin`]; hand it back to [`QueryCache::store`].
pub struct Ticket {
    generation: u64,
    cache: Arc<QueryCache>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut inner = self.cache.lock();
        inner.in_flight = inner.in_flight.saturating_sub(1);
        if inner.in_flight == 0 {
            inner.log.clear();
            inner.log_start = inner.generation;
        }
    }
}

impl QueryCache {
    /// A cache of at most `max_bytes`; 0 means no caching.
    pub fn new(max_bytes: usize) -> Arc<QueryCache> {
        Arc::new(QueryCache {
            max_bytes,
            inner: Mutex::new(Inner::default()),
            counters: CacheCounters::default(),
        })
    }

    /// Whether answers are kept at all.
    pub fn enabled(&self) -> bool {
        self.max_bytes > 0
    }

    /// The listener to subscribe to the datastore.
    pub fn listener(self: &Arc<QueryCache>) -> ChangeListener {
        let cache = Arc::downgrade(self);
        Arc::new(move |change: &Change<'_>| {
            if let Some(cache) = cache.upgrade() {
                cache.changed(change);
            }
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached answer for `code` over `(start, end)`, if any.
    pub fn get(&self, code: &Arc<str>, start: i64, end: i64) -> Option<Cached> {
        if !self.enabled() {
            return None;
        }
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        let Some(entry) = inner.entries.get_mut(&(code.clone(), start, end)) else {
            bump(&self.counters.misses, 1);
            return None;
        };
        entry.last_used = now;
        bump(&self.counters.hits, 1);
        Some(entry.answer.clone())
    }

    /// Marks the start of a run whose result may be stored.
    pub fn begin(self: &Arc<QueryCache>) -> Ticket {
        let mut inner = self.lock();
        if inner.in_flight == 0 {
            inner.log.clear();
            inner.log_start = inner.generation;
        }
        inner.in_flight += 1;
        Ticket {
            generation: inner.generation,
            cache: Arc::clone(self),
        }
    }

    /// Stores a run's answer unless a change since `ticket` touched its reads.
    pub fn store(
        &self,
        ticket: &Ticket,
        code: &Arc<str>,
        period: (i64, i64),
        answer: Cached,
        reads: Vec<Read>,
    ) {
        if !self.enabled() {
            return;
        }
        let bytes = answer.json.len() + code.len() + ENTRY_OVERHEAD * (1 + reads.len());
        if bytes > self.max_bytes / 4 {
            return;
        }
        let mut inner = self.lock();
        if ticket.generation < inner.log_start {
            bump(&self.counters.refused, 1);
            return;
        }
        let stale = inner
            .log
            .iter()
            .filter(|(generation, _)| *generation > ticket.generation)
            .any(|(_, change)| {
                let change = change.as_change();
                reads.iter().any(|read| touches(&change, read))
            });
        if stale {
            bump(&self.counters.refused, 1);
            return;
        }
        bump(&self.counters.stored, 1);
        inner.clock += 1;
        let entry = Entry {
            answer,
            reads,
            bytes,
            last_used: inner.clock,
        };
        if let Some(old) = inner
            .entries
            .insert((code.clone(), period.0, period.1), entry)
        {
            inner.bytes = inner.bytes.saturating_sub(old.bytes);
        }
        inner.bytes += bytes;
        bump(&self.counters.evicted, evict(&mut inner, self.max_bytes));
    }

    /// Drops what `change` may have made stale (the datastore's listener).
    fn changed(&self, change: &Change<'_>) {
        let mut inner = self.lock();
        inner.generation += 1;
        let (mut freed, before) = (0, inner.entries.len());
        inner.entries.retain(|_, entry| {
            let keep = !entry.reads.iter().any(|read| touches(change, read));
            if !keep {
                freed += entry.bytes;
            }
            keep
        });
        inner.bytes = inner.bytes.saturating_sub(freed);
        bump(&self.counters.invalidated, before - inner.entries.len());
        // Only runs in flight need the change later; a heartbeat with none allocates nothing.
        if inner.in_flight > 0 {
            if inner.log.len() == LOG_CAPACITY {
                // Runs begun before the oldest kept change can no longer be checked.
                inner.log.pop_front();
                inner.log_start = inner.log.front().map_or(inner.generation, |(g, _)| g - 1);
            }
            let generation = inner.generation;
            inner.log.push_back((generation, Logged::from(change)));
        }
    }

    /// Entries and bytes held.
    pub fn size(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }

    /// The counters.
    pub fn counters(&self) -> &CacheCounters {
        &self.counters
    }

    /// The size limit in bytes (0: off).
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }
}

/// Whether `change` can change what `read` returned.
fn touches(change: &Change<'_>, read: &Read) -> bool {
    match (*change, read) {
        (Change::Everything, _) | (Change::Bucket { .. }, Read::Buckets) => true,
        (Change::Span { .. }, Read::Buckets) => false,
        (Change::Bucket { bucket_id }, Read::Events { bucket, .. }) => bucket_id == bucket,
        (
            Change::Span {
                bucket_id,
                start,
                end,
            },
            Read::Events {
                bucket,
                start: read_start,
                end: read_end,
            },
        ) => bucket_id == bucket && end >= *read_start && start <= *read_end,
    }
}

/// Drops least recently used entries until at most `max_bytes` are held; returns
/// how many.
fn evict(inner: &mut Inner, max_bytes: usize) -> usize {
    if inner.bytes <= max_bytes {
        return 0;
    }
    let before = inner.entries.len();
    let mut by_age: Vec<(u64, Key)> = inner
        .entries
        .iter()
        .map(|(key, entry)| (entry.last_used, key.clone()))
        .collect();
    by_age.sort_unstable_by_key(|(last_used, _)| *last_used);
    // Down to 3/4, so a full cache does not sort on every store.
    for (_, key) in by_age {
        if inner.bytes <= max_bytes / 4 * 3 {
            break;
        }
        if let Some(entry) = inner.entries.remove(&key) {
            inner.bytes = inner.bytes.saturating_sub(entry.bytes);
        }
    }
    before - inner.entries.len()
}
