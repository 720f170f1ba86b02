//! The worker thread: the only owner of the SQLite connection, and the commit policy.
//!
//! Requests arrive over a crossbeam channel. Writes run inside one open transaction
//! (each in its own savepoint, so one failing request never undoes another) and are
//! committed in groups:
//!
//! * durable writes (bucket create/delete, event insert/delete, import, settings) are
//!   answered only after the commit that contains them; the worker commits as soon as
//!   the queue is empty, or after [`DURABLE_BATCH_WINDOW`] or [`MAX_BATCH`] events
//!   under sustained load, so one fsync serves every request that queued meanwhile;
//! * heartbeats are answered at once and committed within [`HEARTBEAT_COMMIT_WINDOW`],
//!   also when the server goes idle (the channel wait has a deadline);
//! * a failed commit (disk full, I/O error) rolls back, answers the waiting requests
//!   with `StorageUnavailable`, rebuilds the caches from disk and keeps serving;
//! * a bulk write (at least [`MAX_BATCH`] events: an import, a large insert) runs in a
//!   transaction of its own, after committing what is open, and without a savepoint:
//!   a savepoint makes SQLite copy every page the write touches once more into a
//!   sub-journal (tens of MB for an import), and alone in its transaction a failed
//!   bulk write is undone by rolling the transaction back, which undoes nothing else.
//!   Its commit skips SQLite's automatic checkpoint; the worker runs it once the
//!   write is answered.
//!
//! Why crossbeam directly and not `mpsc_requests`: the worker needs a receive with a
//! deadline (idle commits) and a look at the queue (group commit), and a reply to a
//! requester that went away must not panic the worker; `mpsc_requests` 0.3 offers
//! none of the three.

mod bulk;
mod jobs;
mod lifecycle;
mod poll;
mod reads;

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, RecvTimeoutError, Sender};

use crate::error::{DatastoreError, Result, WorkerFailure};
use crate::maintenance::Maintenance;
use crate::metrics::WorkerCounters;
use crate::open::{open, open_readers, Opened};
use crate::open_config::{DatastoreConfig, Storage};
use crate::owner::OwnerLock;
use crate::protocol::{kind_of, weight_of, Command, Envelope, Kind, Reply};
use crate::reader::ReaderPool;
use crate::state::State;
use jobs::{Job, RetentionSchedule};

/// Longest time a heartbeat stays uncommitted.
pub const HEARTBEAT_COMMIT_WINDOW: Duration = Duration::from_millis(500);
/// Longest time a durable write waits for more requests to share its commit.
pub const DURABLE_BATCH_WINDOW: Duration = Duration::from_millis(20);
/// Events (or heartbeats) after which a batch is committed regardless of time.
pub const MAX_BATCH: usize = 5000;
/// SQLite's default automatic checkpoint threshold, in pages.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 1000;
/// Longest wait at shutdown for reader threads to finish and let go of the `-wal`.
const READER_CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Opens the database on a new thread and returns the sender to it once it is ready.
pub fn spawn(config: DatastoreConfig) -> Result<Sender<Envelope>> {
    let (sender, receiver) = unbounded::<Envelope>();
    let (ready_sender, ready_receiver) = bounded::<Result<()>>(1);
    thread::Builder::new()
        .name("aw-datastore".to_string())
        .spawn(move || match open(&config) {
            Ok(mut opened) => {
                let readers = open_readers(&config);
                let maintenance = match &config.storage {
                    Storage::File(path) => Some(Maintenance::new(
                        path,
                        config.backup.clone(),
                        opened.integrity.take(),
                    )),
                    Storage::Memory => None,
                };
                let _ = ready_sender.send(Ok(()));
                Worker::new(opened, readers, maintenance).run(&receiver);
            }
            Err(err) => {
                let _ = ready_sender.send(Err(err));
            }
        })
        .map_err(|err| DatastoreError::InvalidInput {
            reason: format!("cannot start the datastore thread: {err}"),
        })?;
    match ready_receiver.recv() {
        Ok(Ok(())) => Ok(sender),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(DatastoreError::WorkerGone {
            detail: WorkerFailure::Receive,
        }),
    }
}

struct Worker {
    state: State,
    /// Ownership of the file; released only after the connections are closed.
    owner: Option<OwnerLock>,
    /// WAL size, file watch and backups (file databases only).
    maintenance: Option<Maintenance>,
    /// Where range reads go, if the database can be shared.
    readers: Option<ReaderPool>,
    /// When the open transaction began, if one is open.
    tx_started: Option<Instant>,
    /// Replies to send after the next successful commit, and when the first was queued.
    held: Vec<(Sender<Reply>, Reply)>,
    held_since: Option<Instant>,
    /// Events written in the open transaction.
    pending: usize,
    /// Sweeps waiting for their next step, oldest first.
    jobs: VecDeque<Job>,
    /// The retention rules the worker runs by itself, if any.
    retention: Option<RetentionSchedule>,
    /// Commits, their latency and size (`GET /api/0/metrics`).
    counters: WorkerCounters,
    /// The open transaction holds a bulk write whose checkpoint waits until it is answered.
    checkpoint_deferred: bool,
}

impl Worker {
    fn new(
        opened: Opened,
        readers: Option<ReaderPool>,
        maintenance: Option<Maintenance>,
    ) -> Worker {
        Worker {
            state: opened.state,
            owner: opened.owner,
            maintenance,
            readers,
            tx_started: None,
            held: Vec::new(),
            held_since: None,
            pending: 0,
            jobs: VecDeque::new(),
            retention: None,
            counters: WorkerCounters::default(),
            checkpoint_deferred: false,
        }
    }

    fn run(mut self, receiver: &Receiver<Envelope>) {
        loop {
            let next = poll::next_envelope(receiver, self.next_deadline());
            match next {
                Ok((Command::Close, reply)) => {
                    let result = self.shut_down();
                    let _ = reply.send(result.map_or_else(Reply::Failed, |()| Reply::Done));
                    return;
                }
                Ok((command, reply)) => self.handle_guarded(command, reply),
                // With a sweep running the deadline is near; commits follow `commit_due`.
                Err(RecvTimeoutError::Timeout) if !self.jobs.is_empty() => {}
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.commit();
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = self.shut_down();
                    return;
                }
            }
            // One sweep step per request served: a sweep moves on under load, and a
            // request waits behind at most one step.
            self.step_jobs(receiver.is_empty());
            if self.commit_due(receiver) {
                let _ = self.commit();
            }
            if receiver.is_empty() {
                self.housekeeping();
                self.schedule_retention();
            }
        }
    }

    /// When the worker must wake up to commit even if no request arrives.
    fn next_deadline(&self) -> Option<Instant> {
        let heartbeat_deadline = self.tx_started.map(|t| t + HEARTBEAT_COMMIT_WINDOW);
        let durable_deadline = self.held_since.map(|t| t + DURABLE_BATCH_WINDOW);
        let housekeeping = self.maintenance.as_ref().map(Maintenance::deadline);
        let sweep = self.jobs_deadline();
        [heartbeat_deadline, durable_deadline, housekeeping, sweep]
            .into_iter()
            .flatten()
            .min()
    }

    fn commit_due(&self, receiver: &Receiver<Envelope>) -> bool {
        let durable_due = self
            .held_since
            .is_some_and(|since| receiver.is_empty() || since.elapsed() >= DURABLE_BATCH_WINDOW);
        let heartbeat_due = self
            .tx_started
            .is_some_and(|t| t.elapsed() >= HEARTBEAT_COMMIT_WINDOW);
        durable_due || heartbeat_due || self.pending >= MAX_BATCH
    }

    /// Handles one request; a panic inside (a bug) is contained: the transaction is
    /// rolled back, the caches rebuilt, and the worker keeps serving.
    fn handle_guarded(&mut self, command: Command, reply: Sender<Reply>) {
        let outcome = catch_unwind(AssertUnwindSafe(|| self.handle(command, reply)));
        if outcome.is_err() {
            log::error!("datastore request panicked; rolling back the open batch");
            self.fail_batch("internal error while handling a request".to_string());
        }
    }

    fn handle(&mut self, command: Command, reply: Sender<Reply>) {
        if let Command::StreamEvents(bucket_id, chunks) = command {
            self.start_stream(&bucket_id, chunks, reply);
            return;
        }
        match kind_of(&command) {
            Kind::Read => match self.read_job(&command) {
                Some(Ok(job)) if self.readers.is_some() => self.dispatch_read(job, reply),
                _ => {
                    let _ = reply.send(self.state.execute(command).unwrap_or_else(Reply::Failed));
                }
            },
            Kind::Commit => {
                let result = self.commit();
                let _ = reply.send(result.map_or_else(Reply::Failed, |()| Reply::Done));
            }
            Kind::Sweep => self.start_sweep(command, reply),
            Kind::Status if matches!(command, Command::Metrics) => {
                let answer = self
                    .metrics()
                    .map_or_else(Reply::Failed, |metrics| Reply::Metrics(Box::new(metrics)));
                let _ = reply.send(answer);
            }
            Kind::Status => {
                let answer = self
                    .status()
                    .map_or_else(Reply::Failed, |status| Reply::Status(Box::new(status)));
                let _ = reply.send(answer);
            }
            _ if self.write_refusal().is_some() => {
                if let Some(err) = self.write_refusal() {
                    let _ = reply.send(Reply::Failed(err));
                }
            }
            kind => {
                let weight = weight_of(&command);
                let executed = if weight >= MAX_BATCH {
                    self.execute_alone(command)
                } else {
                    self.execute_in_savepoint(command)
                };
                match executed {
                    Ok(answer) if matches!(kind, Kind::Durable) => {
                        self.held_since.get_or_insert_with(Instant::now);
                        self.held.push((reply, answer));
                        self.pending += weight;
                    }
                    Ok(answer) => {
                        self.pending += weight;
                        let _ = reply.send(answer);
                    }
                    Err(err) => {
                        self.note_damage(&err);
                        let _ = reply.send(Reply::Failed(err));
                    }
                }
            }
        }
    }

    fn execute_in_savepoint(&mut self, command: Command) -> Result<Reply> {
        self.in_savepoint(|state| state.execute(command))
    }

    /// Runs `work` inside the open transaction, in a savepoint of its own.
    fn in_savepoint<T>(&mut self, work: impl FnOnce(&mut State) -> Result<T>) -> Result<T> {
        self.begin()?;
        self.state.conn.execute_batch("SAVEPOINT request")?;
        match work(&mut self.state) {
            Ok(answer) => {
                self.state.conn.execute_batch("RELEASE request")?;
                Ok(answer)
            }
            Err(err) => {
                // SQLite may have rolled back the whole transaction by itself (disk
                // full, I/O error); then the batch is gone and must be reported.
                let undone = if self.state.conn.is_autocommit() {
                    Err(err.to_string())
                } else {
                    self.state
                        .conn
                        .execute_batch("ROLLBACK TO request; RELEASE request")
                        .map_err(|rollback_err| rollback_err.to_string())
                };
                if let Err(detail) = undone {
                    log::error!("the open batch was lost after a failed request: {detail}");
                    self.fail_batch(detail);
                }
                Err(err)
            }
        }
    }

    fn begin(&mut self) -> Result<()> {
        if self.tx_started.is_none() {
            self.state.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.tx_started = Some(Instant::now());
        }
        Ok(())
    }

    /// Commits the open transaction and releases the held replies. On failure the
    /// batch is rolled back and every held request is told so.
    fn commit(&mut self) -> Result<()> {
        if self.tx_started.is_none() {
            return Ok(());
        }
        let started = Instant::now();
        match self.state.conn.execute_batch("COMMIT") {
            Ok(()) => {
                self.counters.commits += 1;
                self.counters
                    .commit_seconds
                    .observe(started.elapsed().as_secs_f64());
                // Exact below 2^53 events, far beyond any batch.
                #[allow(clippy::cast_precision_loss)]
                self.counters.batch_events.observe(self.pending as f64);
                self.tx_started = None;
                self.held_since = None;
                self.pending = 0;
                for (reply, answer) in self.held.drain(..) {
                    let _ = reply.send(answer);
                }
                self.run_deferred_checkpoint();
                if let Some(maintenance) = &mut self.maintenance {
                    maintenance.after_commit(&self.state.conn);
                }
                Ok(())
            }
            Err(err) => {
                self.counters.commit_failures += 1;
                let err = DatastoreError::from(err);
                log::error!("commit failed, batch rolled back: {err}");
                self.fail_batch(err.to_string());
                Err(err)
            }
        }
    }

    /// Rolls back the open transaction, answers held requests with an error and
    /// rebuilds the caches from what is on disk.
    fn fail_batch(&mut self, detail: String) {
        if self.tx_started.take().is_some() && !self.state.conn.is_autocommit() {
            if let Err(err) = self.state.conn.execute_batch("ROLLBACK") {
                log::error!("rollback failed: {err}");
            }
        }
        self.held_since = None;
        self.pending = 0;
        self.run_deferred_checkpoint();
        for (reply, _) in self.held.drain(..) {
            let _ = reply.send(Reply::Failed(DatastoreError::StorageUnavailable {
                detail: detail.clone(),
            }));
        }
        if let Err(err) = self.state.reload() {
            log::error!("reloading the bucket cache failed: {err}");
        }
        self.restart_jobs();
    }
}
