//! [`Datastore`]: the cheap, cloneable handle every caller uses.
//!
//! Each method sends one [`Command`] to the worker thread and blocks until the
//! reply arrives. A dead worker turns into [`DatastoreError::WorkerGone`], never a
//! panic. There is no lock anywhere: the channel is the only shared state.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use aw_models::{Bucket, BucketsExport, Event, EventBatch, ImportPlan, SharedEvent};
use chrono::{DateTime, Utc};
use crossbeam_channel::{bounded, Receiver, Sender};

use crate::changes::ChangeListener;
use crate::error::{DatastoreError, Result, WorkerFailure};
use crate::events;
use crate::events_json;
use crate::metrics::DatastoreMetrics;
use crate::open_config::{DatastoreConfig, Storage};
use crate::protocol::{Command, EventsForm, Reply, Subscriber};
use crate::retention::{RetentionPolicy, RetentionReport, RetentionRule};
use crate::status::DatastoreStatus;
use crate::sweep::PrivacyReport;
use crate::worker;

/// A handle to the datastore worker. Clone it freely; all clones talk to one worker.
/// When the last clone is dropped the worker commits everything and exits.
#[derive(Clone)]
pub struct Datastore {
    inner: Arc<Inner>,
}

struct Inner {
    sender: Sender<(Command, Sender<Reply>)>,
}

/// Reads limited to at most this many events are answered by the worker itself, in
/// well under a millisecond; callers may treat them like heartbeats (no thread pool).
pub const SMALL_READ_LIMIT: u64 = 1000;

/// Whether a read is small enough for the worker to answer itself.
pub fn is_small_read(query: EventQuery) -> bool {
    query.limit.is_some_and(|limit| limit <= SMALL_READ_LIMIT)
}

/// The range and size of an event read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Only events ending at or after this instant (default: the Unix epoch).
    pub start: Option<DateTime<Utc>>,
    /// Only events starting at or before this instant (default: the far future).
    pub end: Option<DateTime<Utc>>,
    /// At most this many events, newest first.
    pub limit: Option<u64>,
}

impl Datastore {
    /// Opens (creating and migrating if needed) the database and starts the worker.
    /// Fails if the file cannot be opened or migrated.
    pub fn open(config: DatastoreConfig) -> Result<Datastore> {
        let sender = worker::spawn(config)?;
        Ok(Datastore {
            inner: Arc::new(Inner { sender }),
        })
    }

    /// A handle whose every call fails with [`DatastoreError::OpenFailed`] carrying
    /// `err`'s text: what the upstream-compatible constructors hand out when the
    /// open fails, since their signature cannot return the error.
    pub(crate) fn failed(err: &DatastoreError) -> Datastore {
        Datastore {
            inner: Arc::new(Inner {
                sender: crate::failed::spawn(err.to_string()),
            }),
        }
    }

    /// Opens a database file, without legacy import.
    pub fn open_file(path: &Path) -> Result<Datastore> {
        Datastore::open(DatastoreConfig::file(path))
    }

    /// Opens a fresh in-memory database.
    pub fn open_in_memory() -> Result<Datastore> {
        Datastore::open(DatastoreConfig {
            storage: Storage::Memory,
            legacy_import: None,
            backup: None,
        })
    }

    /// Every bucket, keyed by id, with metadata (no events).
    pub fn get_buckets(&self) -> Result<BTreeMap<String, Bucket>> {
        match self.request(Command::GetBuckets)? {
            Reply::Buckets(buckets) => Ok(buckets),
            other => Err(unexpected(other)),
        }
    }

    /// One bucket with metadata (no events).
    pub fn get_bucket(&self, bucket_id: &str) -> Result<Bucket> {
        match self.request(Command::GetBucket(bucket_id.to_string()))? {
            Reply::Bucket(bucket) => Ok(*bucket),
            other => Err(unexpected(other)),
        }
    }

    /// Creates a bucket (and its embedded events). Answered after the commit.
    pub fn create_bucket(&self, bucket: Bucket) -> Result<()> {
        self.request_unit(Command::CreateBucket(Box::new(bucket)))
    }

    /// Deletes a bucket and all its events. Answered after the commit.
    pub fn delete_bucket(&self, bucket_id: &str) -> Result<()> {
        self.request_unit(Command::DeleteBucket(bucket_id.to_string()))
    }

    /// Inserts events in order and returns them with their ids. Answered after the commit.
    /// An event whose end does not fit is refused before the bucket is looked at.
    pub fn insert_events(&self, bucket_id: &str, events: Vec<Event>) -> Result<Vec<Event>> {
        let batch = EventBatch::from_events(&events).map_err(|_| events::end_out_of_range())?;
        Ok(self.insert_batch(bucket_id, batch)?.into_events())
    }

    /// [`Datastore::insert_events`] for events held compactly (a `POST …/events` body):
    /// returns the events the privacy rules kept, with their ids.
    pub fn insert_batch(&self, bucket_id: &str, events: EventBatch) -> Result<EventBatch> {
        match self.request(Command::InsertEvents(bucket_id.to_string(), events))? {
            Reply::Batch(stored) => Ok(stored),
            other => Err(unexpected(other)),
        }
    }

    /// Merges a heartbeat into the bucket's last event or inserts it (docs/API.md §5).
    /// Answered before the commit, which follows within a second.
    pub fn heartbeat(&self, bucket_id: &str, heartbeat: Event, pulsetime: f64) -> Result<Event> {
        match self.request(Command::Heartbeat(
            bucket_id.to_string(),
            Box::new(heartbeat),
            pulsetime,
        ))? {
            Reply::Event(event) => Ok(*event),
            other => Err(unexpected(other)),
        }
    }

    /// Events touching `[start, end]`, newest first, clipped to the range.
    pub fn get_events(&self, bucket_id: &str, query: EventQuery) -> Result<Vec<Event>> {
        let shared = self.get_events_shared(bucket_id, query)?;
        Ok(shared.into_iter().map(SharedEvent::into_event).collect())
    }

    /// [`Datastore::get_events`] with each distinct stored data decoded once and
    /// shared by the events holding it (the query engine's read).
    pub fn get_events_shared(
        &self,
        bucket_id: &str,
        query: EventQuery,
    ) -> Result<Vec<SharedEvent>> {
        self.start_events_shared(bucket_id, query).wait()
    }

    /// [`Datastore::get_events_shared`], asked for now and answered by
    /// [`PendingRead::wait`]: one thread can start several reads in the order it will
    /// need them (the query engine's reads ahead), without a thread per read.
    pub fn start_events_shared(&self, bucket_id: &str, query: EventQuery) -> PendingRead {
        let (reply_sender, reply_receiver) = bounded(1);
        let command = Command::GetEvents(bucket_id.to_string(), query, EventsForm::Shared);
        PendingRead {
            reply: self.submit(command, reply_sender).map(|()| reply_receiver),
        }
    }

    /// [`Datastore::get_events`] as the JSON array an event list answers with, written
    /// straight from the rows (on this thread while a reader thread steps through
    /// them): a stored data text already in canonical form is copied as it is, any
    /// other is decoded and encoded once.
    pub fn get_events_json(&self, bucket_id: &str, query: EventQuery) -> Result<Vec<u8>> {
        let command = Command::GetEvents(bucket_id.to_string(), query, EventsForm::Json);
        match self.request(command)? {
            Reply::Json(json) => Ok(json),
            Reply::JsonRows(rows) => events_json::write_piped(&rows, query.limit),
            other => Err(unexpected(other)),
        }
    }

    /// One event as stored (not clipped).
    pub fn get_event(&self, bucket_id: &str, event_id: i64) -> Result<Event> {
        match self.request(Command::GetEvent(bucket_id.to_string(), event_id))? {
            Reply::Event(event) => Ok(*event),
            other => Err(unexpected(other)),
        }
    }

    /// Number of events touching `[start, end]` (limit is ignored).
    pub fn get_event_count(&self, bucket_id: &str, query: EventQuery) -> Result<u64> {
        match self.request(Command::GetEventCount(bucket_id.to_string(), query))? {
            Reply::Count(count) => Ok(count),
            other => Err(unexpected(other)),
        }
    }

    /// Deletes the event if it belongs to the bucket (nothing happens otherwise).
    /// Answered after the commit.
    pub fn delete_event(&self, bucket_id: &str, event_id: i64) -> Result<()> {
        self.request_unit(Command::DeleteEvent(bucket_id.to_string(), event_id))
    }

    /// Imports buckets: new ones are created, existing ones get the events they lack.
    /// All or nothing; answered after the commit.
    pub fn import(&self, export: BucketsExport) -> Result<()> {
        self.import_plan(crate::import::plan_of(export)?)
    }

    /// Imports a document read as an [`ImportPlan`] (the server streams uploads into
    /// one), all or nothing, as [`Datastore::import`].
    pub fn import_plan(&self, plan: ImportPlan) -> Result<()> {
        self.request_unit(Command::Import(Box::new(plan)))
    }

    /// Has `listener` told what every later write changes, on the worker thread,
    /// before the write is answered (module `changes`; the server's query cache).
    pub fn subscribe(&self, listener: ChangeListener) -> Result<()> {
        self.request_unit(Command::Subscribe(Subscriber(listener)))
    }

    /// The value stored under `key`.
    pub fn get_key_value(&self, key: &str) -> Result<serde_json::Value> {
        match self.request(Command::GetKeyValue(key.to_string()))? {
            Reply::Value(value) => Ok(value),
            other => Err(unexpected(other)),
        }
    }

    /// Every key starting with `prefix`, with its value.
    pub fn get_key_values(&self, prefix: &str) -> Result<BTreeMap<String, serde_json::Value>> {
        match self.request(Command::GetKeyValues(prefix.to_string()))? {
            Reply::KeyValues(values) => Ok(values),
            other => Err(unexpected(other)),
        }
    }

    /// Stores `value` under `key`, replacing any previous one. Answered after the commit.
    pub fn set_key_value(&self, key: &str, value: serde_json::Value) -> Result<()> {
        self.request_unit(Command::SetKeyValue(key.to_string(), value))
    }

    /// Removes `key` (nothing happens if it is absent). Answered after the commit.
    pub fn delete_key_value(&self, key: &str) -> Result<()> {
        self.request_unit(Command::DeleteKeyValue(key.to_string()))
    }

    /// Commits everything pending now.
    pub fn force_commit(&self) -> Result<()> {
        self.request_unit(Command::ForceCommit)
    }

    /// The file's size, the integrity check at open and the state of the backups.
    pub fn status(&self) -> Result<DatastoreStatus> {
        match self.request(Command::Status)? {
            Reply::Status(status) => Ok(*status),
            other => Err(unexpected(other)),
        }
    }

    /// The worker's counters (commits, heartbeats), each bucket's event count, the
    /// file size, and how many requests were queued when this one was sent.
    pub fn metrics(&self) -> Result<DatastoreMetrics> {
        // Sent after reading the depth: the metrics request itself is not counted.
        let queue_depth = u64::try_from(self.inner.sender.len()).unwrap_or(u64::MAX);
        match self.request(Command::Metrics)? {
            Reply::Metrics(mut metrics) => {
                metrics.queue_depth = queue_depth;
                Ok(*metrics)
            }
            other => Err(unexpected(other)),
        }
    }

    /// Limits the database file to `pages` pages (SQLite `max_page_count`), so that
    /// tests and operators can simulate a full disk. Returns the limit in effect.
    pub fn set_max_page_count(&self, pages: u64) -> Result<u64> {
        match self.request(Command::SetMaxPageCount(pages))? {
            Reply::Count(count) => Ok(count),
            other => Err(unexpected(other)),
        }
    }

    /// Applies the privacy rules in force to every stored event (dropping or
    /// redacting), in short steps between other requests; with `dry_run`, only counts.
    /// Answered when done (and, unless a dry run, committed).
    pub fn apply_privacy_filters(&self, dry_run: bool) -> Result<PrivacyReport> {
        match self.request(Command::ApplyPrivacy(dry_run))? {
            Reply::Privacy(report) => Ok(*report),
            other => Err(unexpected(other)),
        }
    }

    /// Deletes what `rules` say is too old as of `now`, in small steps when the worker
    /// is idle (never while the integrity check runs); with `dry_run`, only counts.
    pub fn apply_retention(
        &self,
        rules: Vec<RetentionRule>,
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<RetentionReport> {
        match self.request(Command::RunRetention(rules, now, dry_run))? {
            Reply::Retention(report) => Ok(*report),
            other => Err(unexpected(other)),
        }
    }

    /// Gives the worker the retention rules it runs by itself (after
    /// `first_run_after`, then every `interval`); no rules turns that off.
    pub fn schedule_retention(&self, policy: RetentionPolicy) -> Result<()> {
        self.request_unit(Command::SetRetention(Box::new(policy)))
    }

    pub(crate) fn request_unit(&self, command: Command) -> Result<()> {
        match self.request(command)? {
            Reply::Done => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    fn request(&self, command: Command) -> Result<Reply> {
        let (reply_sender, reply_receiver) = bounded(1);
        self.submit(command, reply_sender)?;
        await_reply(&reply_receiver)
    }

    /// Sends `command`; its answer comes on `reply`.
    pub(crate) fn submit(&self, command: Command, reply: Sender<Reply>) -> Result<()> {
        self.inner
            .sender
            .send((command, reply))
            .map_err(|_| worker_gone(WorkerFailure::Send))
    }
}

/// A read started by [`Datastore::start_events_shared`].
#[must_use = "a read is only useful once waited for"]
pub struct PendingRead {
    reply: Result<Receiver<Reply>>,
}

impl PendingRead {
    /// The events read, once the reader has them.
    pub fn wait(self) -> Result<Vec<SharedEvent>> {
        match await_reply(&self.reply?)? {
            Reply::SharedEvents(events) => Ok(events),
            other => Err(unexpected(other)),
        }
    }
}

/// The answer to a submitted command; a failure as an error.
pub(crate) fn await_reply(reply_receiver: &Receiver<Reply>) -> Result<Reply> {
    match reply_receiver.recv() {
        Ok(Reply::Failed(err)) => Err(err),
        Ok(reply) => Ok(reply),
        Err(_) => Err(worker_gone(WorkerFailure::Receive)),
    }
}

impl Drop for Inner {
    /// The last handle is going away: ask the worker to commit and stop, and wait
    /// for it so that nothing acknowledged is lost when the process exits next.
    fn drop(&mut self) {
        let (reply_sender, reply_receiver) = bounded(1);
        if self.sender.send((Command::Close, reply_sender)).is_ok() {
            let _ = reply_receiver.recv();
        }
    }
}

pub(crate) fn worker_gone(detail: WorkerFailure) -> DatastoreError {
    DatastoreError::WorkerGone { detail }
}

pub(crate) fn unexpected(reply: Reply) -> DatastoreError {
    log::error!("datastore worker answered with the wrong reply kind: {reply:?}");
    worker_gone(WorkerFailure::Receive)
}
