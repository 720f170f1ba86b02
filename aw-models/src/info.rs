//! [`Info`]: the answer of `GET /api/0/info`.

use serde::{Deserialize, Serialize};

/// Server identity; key order as upstream: hostname, version, testing, device_id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Info {
    /// The machine's host name.
    pub hostname: String,
    /// `v<version> (rust)`; clients check the ` (rust)` suffix.
    pub version: String,
    /// Whether the server runs in testing mode.
    pub testing: bool,
    /// Stable per-installation id.
    pub device_id: String,
}
