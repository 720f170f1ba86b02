//! The ActivityWatch data models and their exact JSON wire format.
//!
//! Everything a client sends or receives is defined here: [`Event`], [`Bucket`],
//! [`BucketsExport`], [`Info`], [`Query`], [`TimeInterval`] and [`KeyValue`].
//! The crate does no IO. What must stay true: the serde forms match
//! `shared/reference/API.md` §4 byte for byte (field order, `null` rather than
//! omitted optionals, sorted free-form keys, float durations, RFC 3339 UTC
//! timestamps with 0/3/6/9 fraction digits).
//!
//! ```
//! use aw_models::Event;
//!
//! let event: Event = serde_json::from_str(
//!     r#"{"timestamp":"2018-01-01T01:01:01+01:00","duration":1.5,"data":{"b":1,"a":2}}"#,
//! )
//! .unwrap();
//! assert_eq!(
//!     serde_json::to_string(&event).unwrap(),
//!     r#"{"id":null,"timestamp":"2018-01-01T00:01:01Z","duration":1.5,"data":{"a":2,"b":1}}"#
//! );
//! ```
#![warn(missing_docs)]

mod bucket;
mod canonical;
mod event;
mod event_batch;
mod export;
mod import_plan;
mod import_stream;
mod info;
mod key_value;
mod query;
mod rfc3339;
mod shared_event;
pub mod time;
mod timeinterval;
pub mod wire;

pub use bucket::{Bucket, BucketMetadata};
pub use canonical::is_canonical_data;
pub use event::{Event, MAX_DATA_DEPTH};
pub use event_batch::EventBatch;
pub use export::BucketsExport;
pub use import_plan::{ImportPlan, PlannedBucket, PlannedEvent};
pub use info::Info;
pub use key_value::KeyValue;
pub use query::Query;
pub use shared_event::SharedEvent;
pub use timeinterval::TimeInterval;

/// A JSON object, as used for event and bucket `data`. Keys iterate in sorted order.
pub type JsonMap = serde_json::Map<String, serde_json::Value>;

/// Errors raised while turning text into models.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// A time interval string was not `<start>/<end>`, e.g. `2020-01-01T00:00:00Z`.
    #[error("time interval must be two date-times separated by one '/': {interval}")]
    IntervalShape {
        /// The text that was given.
        interval: String,
    },
    /// A date-time did not parse, e.g. `2018-01-01` (no time) or `2018-01-01T00:00:00+0100`.
    #[error("{reason}")]
    InvalidDateTime {
        /// chrono's description of the problem (`premature end of input`, …).
        reason: String,
    },
    /// A date-time outside what the datastore can store (about 1677-09-21 to 2262-04-11).
    #[error("input is out of range")]
    OutOfRange,
    /// Event `data` nested deeper than [`event::MAX_DATA_DEPTH`].
    #[error(
        "event data nests {depth} levels deep; at most {} are accepted",
        event::MAX_DATA_DEPTH
    )]
    DataTooDeep {
        /// How deep the refused data nests (the `data` object itself is level 1).
        depth: usize,
    },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, ModelError>;
