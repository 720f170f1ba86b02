//! The datastore: one worker thread owns the SQLite connection; callers hold a cheap
//! [`Datastore`] handle and talk to it over a channel.
//!
//! What lives here: the schema and its migrations (`schema`), SQL grouped by table
//! (`buckets`, `events`, `key_value`), the heartbeat merge rule (`heartbeat`),
//! imports (`import`, `legacy_import`), privacy filters (`privacy`), work over stored
//! events in short steps (`sweep`, `retention`), the worker and its commit policy (`worker`),
//! opening a file safely (`open`, `owner`, `integrity`), housekeeping between
//! requests (`maintenance`), backups and restore (`backup`), recovery of a damaged
//! file (`salvage`), the handle (`handle`), and read-only access to other devices'
//! sync files (`peer`). What must stay true: only this crate imports
//! `rusqlite`; there is no mutex; nothing on a request path panics; a request is
//! answered "ok" only once its write is committed (heartbeats: within 500 ms after).
//!
//! The native API is [`native::Datastore`] (what our server uses):
//!
//! ```
//! use aw_datastore::native::Datastore;
//! use aw_datastore::EventQuery;
//! use aw_models::Bucket;
//!
//! let datastore = Datastore::open_in_memory().unwrap();
//! let bucket: Bucket = serde_json::from_str(
//!     r#"{"id":"b","type":"t","client":"c","hostname":"h"}"#,
//! ).unwrap();
//! datastore.create_bucket(bucket).unwrap();
//! assert!(datastore.get_events("b", EventQuery::default()).unwrap().is_empty());
//! ```
//!
//! **Upstream-compatible API.** [`Datastore`] at the crate root is aw-server-rust's
//! `aw_datastore::Datastore`: `Datastore::new(dbpath, legacy_import)`,
//! `new_in_memory(legacy_import)` and upstream's method signatures
//! (`create_bucket(&Bucket)`, `get_events(id, start, end, limit)`, key-values as
//! JSON text, …), a thin layer over the native handle so that programs written
//! against upstream compile unchanged. Its errors are this crate's
//! [`DatastoreError`] (upstream's `NoSuchBucket`, `BucketAlreadyExists` and
//! `NoSuchKey` keep their names, with named fields). ARCHITECTURE.md has the table.
//!
//! ```
//! let datastore = aw_datastore::Datastore::new_in_memory(false);
//! let bucket: aw_models::Bucket = serde_json::from_str(
//!     r#"{"id":"b","type":"t","client":"c","hostname":"h"}"#,
//! ).unwrap();
//! datastore.create_bucket(&bucket).unwrap();
//! assert!(datastore.get_events("b", None, None, None).unwrap().is_empty());
//! ```

pub mod backup;
mod batch_stream;
mod buckets;
mod changes;
mod checkpoint;
mod decoded;
mod error;
mod event_stream;
mod events;
mod events_json;
mod failed;
mod handle;
pub mod heartbeat;
mod heartbeat_write;
mod import;
mod insert_rows;
pub mod integrity;
mod key_value;
mod legacy_import;
mod maintenance;
mod metrics;
mod open;
mod open_config;
mod owner;
mod peer;
pub mod privacy;
mod protocol;
mod reader;
mod retention;
pub mod salvage;
mod schema;
mod state;
mod status;
mod sweep;
mod upstream;
mod worker;

pub use batch_stream::{BatchStream, ImportStream, WriteStream, STREAM_BATCH};
pub use changes::{Change, ChangeListener};
pub use checkpoint::checkpoint_file;
pub use error::{DatastoreError, Result, WorkerFailure};
pub use event_stream::EventStream;
pub use events::{check_explicit_id, MAX_EXPLICIT_ID};
pub use handle::{is_small_read, EventQuery, SMALL_READ_LIMIT};
pub use maintenance::{BackupSchedule, FILE_WATCH_INTERVAL, WAL_TRUNCATE_BYTES};
pub use metrics::{
    DatastoreMetrics, HeartbeatCounts, Histogram, WorkerCounters, BATCH_EVENTS_BOUNDS,
    COMMIT_SECONDS_BOUNDS,
};
pub use open_config::{DatastoreConfig, Storage};
pub use peer::{PeerBucket, PeerCursor, PeerFile, PEER_SCHEMA_VERSIONS};
pub use retention::{RetentionCounts, RetentionPolicy, RetentionReport, RetentionRule};
pub use schema::SCHEMA_VERSION;
pub use status::{BackupFailure, BackupInfo, BackupStatus, DatastoreStatus, IntegrityReport};
pub use sweep::{PrivacyCounts, PrivacyReport};
pub use upstream::Datastore;
pub use worker::{DURABLE_BATCH_WINDOW, HEARTBEAT_COMMIT_WINDOW, MAX_BATCH};

/// The native API: the handle our server and tools use, with typed queries
/// ([`EventQuery`]), owned arguments and streams.
pub mod native {
    pub use crate::handle::{Datastore, PendingRead};
}
