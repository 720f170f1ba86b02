//! The private channel protocol between `Datastore` handles and the worker: the
//! commands, the replies, and how each command relates to the open transaction.

use std::collections::BTreeMap;

use aw_models::{Bucket, Event, EventBatch, ImportPlan, SharedEvent};
use crossbeam_channel::{Receiver, Sender};

use crate::changes::ChangeListener;
use crate::error::DatastoreError;
use crate::handle::EventQuery;
use crate::metrics::DatastoreMetrics;
use crate::retention::{RetentionPolicy, RetentionReport, RetentionRule};
use crate::status::DatastoreStatus;
use crate::sweep::PrivacyReport;

/// A request to the worker (private protocol; callers use `Datastore`).
#[derive(Debug)]
pub enum Command {
    GetBuckets,
    GetBucket(String),
    CreateBucket(Box<Bucket>),
    DeleteBucket(String),
    InsertEvents(String, EventBatch),
    /// Batches stored as they arrive, in one transaction of their own: `None` ends
    /// the stream (commit); a channel closed without it undoes every batch.
    InsertStream(String, Receiver<Option<EventBatch>>),
    /// An import's buckets imported as they arrive, in one transaction of their own,
    /// as [`Command::InsertStream`] stores its batches.
    ImportStream(Receiver<Option<ImportPlan>>),
    Heartbeat(String, Box<Event>, f64),
    GetEvents(String, EventQuery, EventsForm),
    GetEvent(String, i64),
    GetEventCount(String, EventQuery),
    StreamEvents(String, Sender<crate::Result<Vec<SharedEvent>>>),
    DeleteEvent(String, i64),
    Import(Box<ImportPlan>),
    GetKeyValue(String),
    GetKeyValues(String),
    SetKeyValue(String, serde_json::Value),
    DeleteKeyValue(String),
    ForceCommit,
    Status,
    /// The worker's counters and per-bucket event counts (`GET /api/0/metrics`).
    Metrics,
    SetMaxPageCount(u64),
    /// Apply the privacy rules to the stored events (true: dry run).
    ApplyPrivacy(bool),
    /// Run these retention rules as of this instant (true: dry run).
    RunRetention(Vec<RetentionRule>, chrono::DateTime<chrono::Utc>, bool),
    /// The rules the worker runs by itself, daily.
    SetRetention(Box<RetentionPolicy>),
    /// Tell this listener what every later write changes.
    Subscribe(Subscriber),
    Close,
}

/// A change listener in a command (`Command` is `Debug`; closures are not).
pub struct Subscriber(pub ChangeListener);

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Subscriber")
    }
}

/// What a range read returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventsForm {
    /// Events sharing the data they have in common (the query engine's read).
    Shared,
    /// The JSON array of the events, written on the reading thread (REST event lists).
    Json,
}

/// Rows of a range read as a reader sends them to the caller, who writes the JSON
/// (`events_json::write_piped`) while the reader steps through the next rows: each row's id, its
/// start and end clipped to the range, and where its stored text ends in `texts`.
#[derive(Debug, Default)]
pub struct RowChunk {
    pub(crate) rows: Vec<(i64, i64, i64, usize)>,
    pub(crate) texts: String,
    /// No chunk follows (a read that stops without one failed).
    pub(crate) last: bool,
}

/// The worker's answer.
#[derive(Debug)]
pub enum Reply {
    Buckets(BTreeMap<String, Bucket>),
    Bucket(Box<Bucket>),
    /// Events as stored, with their ids.
    Batch(EventBatch),
    /// A range read's answer: events sharing the data they have in common.
    SharedEvents(Vec<SharedEvent>),
    /// A range read's answer as the JSON array an event list answers with.
    Json(Vec<u8>),
    /// The same, as rows a reader thread pipes while the caller writes the JSON
    /// (`events_json::write_piped`).
    JsonRows(Receiver<crate::Result<RowChunk>>),
    /// An insert stream's answer: each batch as stored, in order.
    Batches(Vec<EventBatch>),
    Event(Box<Event>),
    Count(u64),
    Value(serde_json::Value),
    KeyValues(BTreeMap<String, serde_json::Value>),
    Status(Box<DatastoreStatus>),
    Metrics(Box<DatastoreMetrics>),
    Privacy(Box<PrivacyReport>),
    Retention(Box<RetentionReport>),
    Done,
    Failed(DatastoreError),
}

pub type Envelope = (Command, Sender<Reply>);

/// How a request relates to the open transaction.
pub enum Kind {
    Read,
    /// Answered after its commit.
    Durable,
    /// Answered at once, committed within the heartbeat window.
    Heartbeat,
    /// Commit now, then answer.
    Commit,
    /// The worker's own report; touches no transaction.
    Status,
    /// Work over the stored events in steps between requests (`sweep`).
    Sweep,
}

pub fn kind_of(command: &Command) -> Kind {
    match command {
        Command::GetBuckets
        | Command::GetBucket(_)
        | Command::GetEvents(..)
        | Command::GetEvent(..)
        | Command::GetEventCount(..)
        | Command::StreamEvents(..)
        | Command::GetKeyValue(_)
        | Command::GetKeyValues(_)
        | Command::SetMaxPageCount(_)
        | Command::Subscribe(_) => Kind::Read,
        Command::InsertEvents(_, events) if events.is_empty() => Kind::Read,
        Command::Heartbeat(..) => Kind::Heartbeat,
        Command::ForceCommit | Command::Close => Kind::Commit,
        Command::Status | Command::Metrics => Kind::Status,
        Command::ApplyPrivacy(_) | Command::RunRetention(..) | Command::SetRetention(_) => {
            Kind::Sweep
        }
        _ => Kind::Durable,
    }
}

/// How much a write counts toward [`crate::MAX_BATCH`].
pub fn weight_of(command: &Command) -> usize {
    match command {
        Command::InsertEvents(_, events) => events.events.len(),
        Command::Import(plan) => plan.event_count(),
        // Its size is not known ahead; it runs alone, as any bulk write.
        Command::InsertStream(..) | Command::ImportStream(_) => crate::MAX_BATCH,
        _ => 1,
    }
}
