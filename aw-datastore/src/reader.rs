//! Reader threads: range reads and counts run on their own read-only connections, so
//! a year-long query never holds up heartbeats on the writer.
//!
//! What must stay true (read-your-writes): the worker commits everything it has
//! handled before it hands a read to this pool, so a reader's WAL snapshot holds every
//! write that was answered before the read was asked for. In-memory databases have no
//! pool (a private memory database cannot be shared); the worker reads itself.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, RecvTimeoutError, Sender};
use rusqlite::{Connection, OpenFlags};

use aw_models::SharedEvent;

use crate::decoded::DataCache;
use crate::error::Result;
use crate::events::{self, Range, RangeRead};
use crate::events_json;
use crate::protocol::{EventsForm, Reply};

/// Events per chunk of an event stream (exports).
pub const STREAM_CHUNK: usize = 2000;

/// Stored text an event stream's own data cache keeps (see `decoded.rs`).
const STREAM_TEXT_BYTES: usize = 4 << 20;

/// Number of reader connections; two cores here, and the writer needs one.
pub const READERS: usize = 2;

/// A read with everything resolved from the worker's caches, runnable on any connection.
#[derive(Debug)]
pub enum ReadJob {
    /// Events touching a range, newest first, clipped.
    Events {
        /// Which events.
        read: RangeRead,
        /// Shared events or their JSON.
        form: EventsForm,
    },
    /// Every event of a bucket from the epoch on, newest first, clipped as an export
    /// shows them, sent in chunks of [`STREAM_CHUNK`] from one statement (one snapshot).
    Stream {
        /// Bucket row id.
        row: i64,
        /// Where the chunks go; the stream stops early when the receiver is dropped.
        chunks: Sender<Result<Vec<SharedEvent>>>,
    },
    /// Number of events touching `range`.
    Count {
        /// Bucket row id.
        row: i64,
        /// Longest event of the bucket (ns).
        longest: i64,
        /// Inclusive range in ns.
        range: Range,
    },
}

impl ReadJob {
    /// Runs the read on a reader thread and answers on `reply`. An event list's rows
    /// are piped to the caller, who writes the JSON meanwhile (`events_json.rs`).
    fn serve(self, conn: &Connection, cache: &mut DataCache, reply: &Sender<Reply>) {
        match self {
            ReadJob::Events {
                read,
                form: EventsForm::Json,
            } => {
                let (chunks, receiver) = bounded(events_json::PIPE_DEPTH);
                if reply.send(Reply::JsonRows(receiver)).is_ok() {
                    events_json::pipe_rows(conn, read, &chunks);
                }
            }
            job => {
                let _ = reply.send(job.run(conn, cache).unwrap_or_else(Reply::Failed));
            }
        }
    }

    /// Runs the read on `conn`, decoding data through `cache` (kept per connection).
    pub fn run(self, conn: &Connection, cache: &mut DataCache) -> Result<Reply> {
        match self {
            ReadJob::Events {
                read,
                form: EventsForm::Shared,
            } => {
                let mut found = events::get_range_shared(conn, read, cache)?;
                events::clip(&mut found, read.range);
                Ok(Reply::SharedEvents(found))
            }
            ReadJob::Events {
                read,
                form: EventsForm::Json,
            } => Ok(Reply::Json(events_json::range_json(conn, read)?)),
            ReadJob::Stream { row, chunks } => {
                let range = Range {
                    start: 0,
                    end: i64::MAX,
                };
                // An export reads every text once: its own small cache shares the
                // repeats within it, and the reader's cache keeps the texts queries
                // read again (and the export's memory stays small).
                let mut own = DataCache::bounded(STREAM_TEXT_BYTES);
                let streamed = events::for_each_chunk(
                    conn,
                    row,
                    range,
                    STREAM_CHUNK,
                    &mut own,
                    |mut chunk| {
                        events::clip(&mut chunk, range);
                        chunks.send(Ok(chunk)).is_ok()
                    },
                );
                // An empty chunk marks the end, so a consumer can tell a complete
                // stream from one whose reader went away.
                let _ = chunks.send(streamed.map(|()| Vec::new()));
                Ok(Reply::Done)
            }
            ReadJob::Count {
                row,
                longest,
                range,
            } => Ok(Reply::Count(events::count(conn, row, range, longest)?)),
        }
    }
}

/// The sending side of the reader pool; the threads stop when it is dropped.
pub struct ReaderPool {
    sender: Sender<(ReadJob, Sender<Reply>)>,
    /// Disconnects once every reader thread has ended (each holds a sender).
    stopped: Receiver<()>,
}

impl ReaderPool {
    /// Opens [`READERS`] read-only connections to `path`. The file must already exist
    /// with its schema (the writer opens it first).
    pub fn open(path: &Path) -> Result<ReaderPool> {
        let (sender, receiver) = unbounded::<(ReadJob, Sender<Reply>)>();
        let (alive, stopped) = unbounded::<()>();
        for idx in 0..READERS {
            let conn = open_reader(path)?;
            let receiver = receiver.clone();
            let alive = alive.clone();
            let spawned = thread::Builder::new()
                .name(format!("aw-datastore-reader-{idx}"))
                .spawn(move || {
                    serve(&conn, &receiver);
                    // The connection closes before the pool hears that this thread ended.
                    drop(conn);
                    drop(alive);
                });
            if let Err(err) = spawned {
                log::warn!("could not start a reader thread ({err}); reads stay on the writer");
            }
        }
        Ok(ReaderPool { sender, stopped })
    }

    /// Stops the readers and waits up to `wait` for their connections to close (a
    /// reader still streaming an export to a slow consumer may take longer).
    pub fn close(self, wait: Duration) {
        let ReaderPool { sender, stopped } = self;
        drop(sender);
        let deadline = Instant::now() + wait;
        loop {
            match stopped.recv_deadline(deadline) {
                Ok(()) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {
                    log::warn!("reader threads still busy at shutdown");
                    return;
                }
            }
        }
    }

    /// Hands a read to a reader thread; gives it back if none is running.
    pub fn submit(
        &self,
        job: ReadJob,
        reply: Sender<Reply>,
    ) -> std::result::Result<(), (ReadJob, Sender<Reply>)> {
        self.sender
            .send((job, reply))
            .map_err(|err| err.into_inner())
    }
}

/// How long a reader waits without work before it gives its memory back.
const IDLE_RELEASE: Duration = Duration::from_secs(3);

/// Runs jobs until the pool closes. After [`IDLE_RELEASE`] without one, what the
/// reads left behind is given back: the decoded data, SQLite's page cache and the
/// file's mapped pages (a year of reads left ~300 MB resident on an idle server).
fn serve(conn: &Connection, receiver: &Receiver<(ReadJob, Sender<Reply>)>) {
    let mut cache = DataCache::default();
    let mut holding = false;
    loop {
        match receiver.recv_timeout(IDLE_RELEASE) {
            Ok((job, reply)) => {
                job.serve(conn, &mut cache, &reply);
                holding = true;
            }
            Err(RecvTimeoutError::Timeout) if holding => {
                cache = DataCache::default();
                release_memory(conn);
                holding = false;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Frees the connection's page cache and unmaps the file (mapped again on the next read).
fn release_memory(conn: &Connection) {
    let released = conn
        .execute_batch("PRAGMA shrink_memory")
        .and_then(|()| conn.pragma_update(None, "mmap_size", 0_i64))
        .and_then(|()| conn.pragma_update(None, "mmap_size", READER_MMAP_BYTES));
    if let Err(err) = released {
        log::debug!("a reader could not release its memory: {err}");
    }
}

/// How much of the file a reader maps.
const READER_MMAP_BYTES: i64 = 1 << 30;

fn open_reader(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(16);
    // Map the file instead of copying pages through read(2): large reads (a month of
    // events) then cost no system call per page. 32 MiB of page cache per reader.
    conn.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
    conn.pragma_update(None, "cache_size", -32_768_i64)?;
    Ok(conn)
}
