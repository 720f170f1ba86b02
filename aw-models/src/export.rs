//! [`BucketsExport`]: the export/import document shared with the Python server.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Bucket;

/// `{"buckets": {<id>: Bucket with events}}`. On import the map key is ignored and
/// each bucket's own `id` is used (docs/API.md §3.14).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BucketsExport {
    /// Buckets keyed by id (sorted, so exports are deterministic).
    pub buckets: BTreeMap<String, Bucket>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_key_is_required() {
        assert!(serde_json::from_str::<BucketsExport>("{}").is_err());
        let empty: BucketsExport = serde_json::from_str(r#"{"buckets":{}}"#).unwrap();
        assert_eq!(serde_json::to_string(&empty).unwrap(), r#"{"buckets":{}}"#);
    }
}
