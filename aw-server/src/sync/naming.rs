//! Bucket naming and metadata for folder sync (SYNC.md §3.2, §4.2), so that upstream's
//! aw-sync and ours resolve a peer's bucket to the same local bucket.
//!
//! What must stay true: an import is named `<base>-synced-from-<origin>`, where `base`
//! is the source id up to its first `-synced-from-` and `origin` is the source's
//! `$aw.sync.origin` (when a string) or else its hostname; the imported bucket keeps
//! the remote `hostname` and records `$aw.sync.origin`.

use aw_models::{Bucket, BucketMetadata};

/// The infix of imported bucket ids.
pub const SYNCED_FROM: &str = "-synced-from-";
/// The bucket `data` key naming the device a bucket's events were recorded on.
pub const ORIGIN_KEY: &str = "$aw.sync.origin";
/// The hostname upstream watchers use when they know none; peers cannot name it.
pub const UNKNOWN_HOST: &str = "unknown";

/// Whether the bucket is an import from another device (never pushed).
pub fn is_imported(bucket_id: &str) -> bool {
    bucket_id.contains(SYNCED_FROM)
}

/// The source id up to the first `-synced-from-` (the whole id if there is none).
pub fn base_id(bucket_id: &str) -> &str {
    match bucket_id.find(SYNCED_FROM) {
        Some(at) => bucket_id.get(..at).unwrap_or(bucket_id),
        None => bucket_id,
    }
}

/// The device the bucket's events come from: `$aw.sync.origin` if it is a string,
/// else the hostname (a non-string origin is ignored with a warning; upstream panics).
pub fn origin(bucket: &Bucket) -> String {
    match bucket.data.get(ORIGIN_KEY) {
        Some(serde_json::Value::String(origin)) => origin.clone(),
        Some(other) => {
            log::warn!(
                "bucket {}: {ORIGIN_KEY} is {other}, not a string; using its hostname",
                bucket.id
            );
            bucket.hostname.clone()
        }
        None => bucket.hostname.clone(),
    }
}

/// `<base>-synced-from-<origin>`.
pub fn import_id(bucket: &Bucket) -> String {
    format!("{}{SYNCED_FROM}{}", base_id(&bucket.id), origin(bucket))
}

/// The copy of a local bucket written to this device's staging file: same id, type,
/// client and creation time; hostname `unknown` replaced by the device id; the
/// hostname recorded as origin.
pub fn staging_bucket(local: &Bucket, device_id: &str) -> Bucket {
    let hostname = if local.hostname == UNKNOWN_HOST {
        device_id.to_string()
    } else {
        local.hostname.clone()
    };
    let mut data = local.data.clone();
    data.insert(
        ORIGIN_KEY.to_string(),
        serde_json::Value::String(hostname.clone()),
    );
    Bucket {
        id: local.id.clone(),
        bucket_type: local.bucket_type.clone(),
        client: local.client.clone(),
        hostname,
        created: local.created,
        data,
        metadata: BucketMetadata::default(),
        events: None,
        last_updated: None,
    }
}

/// The local bucket a peer's bucket is imported into, named `dest_id`: the source's
/// type, client, remote hostname, creation time and data, with the origin set to the
/// source's hostname (as upstream does).
pub fn import_bucket(remote: &Bucket, dest_id: &str) -> Bucket {
    let mut data = remote.data.clone();
    data.insert(
        ORIGIN_KEY.to_string(),
        serde_json::Value::String(remote.hostname.clone()),
    );
    Bucket {
        id: dest_id.to_string(),
        bucket_type: remote.bucket_type.clone(),
        client: remote.client.clone(),
        hostname: remote.hostname.clone(),
        created: remote.created,
        data,
        metadata: BucketMetadata::default(),
        events: None,
        last_updated: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(id: &str, hostname: &str, data: serde_json::Value) -> Bucket {
        serde_json::from_value(serde_json::json!({
            "id": id, "type": "t", "client": "c", "hostname": hostname, "data": data
        }))
        .unwrap()
    }

    #[test]
    fn import_ids_match_upstream() {
        let cases = [
            (
                "aw-watcher-window_laptop",
                "laptop",
                serde_json::json!({}),
                "aw-watcher-window_laptop-synced-from-laptop",
            ),
            (
                "w-synced-from-a",
                "b",
                serde_json::json!({ORIGIN_KEY: "a"}),
                "w-synced-from-a",
            ),
            (
                "w-synced-from-a-synced-from-b",
                "x",
                serde_json::json!({}),
                "w-synced-from-x",
            ),
            (
                "w",
                "host",
                serde_json::json!({ORIGIN_KEY: 3}),
                "w-synced-from-host",
            ),
            (
                "w",
                "host",
                serde_json::json!({ORIGIN_KEY: "origin"}),
                "w-synced-from-origin",
            ),
        ];
        for (id, hostname, data, expected) in cases {
            assert_eq!(import_id(&bucket(id, hostname, data)), expected, "{id}");
        }
    }

    #[test]
    fn staging_and_import_metadata() {
        let local = bucket("w", UNKNOWN_HOST, serde_json::json!({"k": 1}));
        let staged = staging_bucket(&local, "dev");
        assert_eq!(staged.hostname, "dev");
        assert_eq!(staged.data[ORIGIN_KEY], "dev");
        assert_eq!(staged.data["k"], 1);
        let imported = import_bucket(
            &bucket("w", "laptop", serde_json::json!({})),
            "w-synced-from-laptop",
        );
        assert_eq!(imported.hostname, "laptop");
        assert_eq!(imported.data[ORIGIN_KEY], "laptop");
        assert!(is_imported(&imported.id));
        assert!(!is_imported("w"));
    }
}
