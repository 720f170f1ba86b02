//! A client library for ActivityWatch-compatible servers, for writing watchers.
//!
//! [`AwClient`] is async (reqwest, kept-alive connections); [`blocking::AwClient`]
//! has the same methods for plain threads. Every failure is one [`Error`], which
//! keeps the HTTP status and the server's message. [`single_instance`] stops a
//! watcher from running twice, and [`queries`] builds the queries aw-webui sends.
//!
//! **Upstream-compatible:** both clients have upstream aw-client-rust's method names
//! and argument shapes (`new(host, port, name)`, `create_bucket_simple`,
//! `heartbeat(bucket, &event, pulsetime)`, `get_events(bucket, start, end, limit)`,
//! `query(code, periods)`, …), so watchers written against upstream compile; the
//! differences (errors, `heartbeat`'s returned event) are in docs/DIFFERENCES.md.
//!
//! A minimal watcher: one bucket, a heartbeat every second. The pulsetime is longer
//! than the interval, so consecutive equal heartbeats merge into one growing event.
//!
//! ```no_run
//! use std::thread;
//! use std::time::Duration;
//!
//! use aw_client_rust::blocking::AwClient;
//! use aw_client_rust::single_instance::SingleInstance;
//! use aw_client_rust::{Event, JsonMap};
//! use chrono::{TimeDelta, Utc};
//!
//! fn main() -> Result<(), aw_client_rust::Error> {
//!     let client = AwClient::new("127.0.0.1", 5600, "aw-watcher-example")?;
//!     let _lock = SingleInstance::new(&client.name)?;
//!     client.wait_for_start()?;
//!
//!     let bucket_id = format!("aw-watcher-example_{}", client.hostname);
//!     client.create_bucket_simple(&bucket_id, "example")?;
//!     loop {
//!         let mut data = JsonMap::new();
//!         data.insert("status".to_string(), "running".into());
//!         let event = Event::new(Utc::now(), TimeDelta::zero(), data);
//!         client.heartbeat(&bucket_id, &event, 2.0)?;
//!         thread::sleep(Duration::from_secs(1));
//!     }
//! }
//! ```
#![warn(missing_docs)]

mod auth;
pub mod blocking;
mod client;
mod error;
mod http;
pub mod queries;
pub mod single_instance;
mod stream;

pub use auth::local_server_api_key;
pub use aw_models::{Bucket, BucketMetadata, BucketsExport, Event, Info, JsonMap};
pub use client::{AwClient, DEFAULT_START_TIMEOUT};
pub use error::{Error, Result};
pub use stream::{ExportReader, ExportStream};
