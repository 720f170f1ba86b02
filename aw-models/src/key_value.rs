//! [`KeyValue`]: one stored setting.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::time;

/// A key with an arbitrary JSON value and the time it was last written.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeyValue {
    /// The key, without any storage prefix.
    pub key: String,
    /// Any JSON value.
    pub value: serde_json::Value,
    /// When it was last written, if known.
    #[serde(default, with = "time::option_datetime")]
    pub timestamp: Option<DateTime<Utc>>,
}
