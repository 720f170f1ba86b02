//! Push: this device's buckets (never imports) into its own staging file,
//! `<root>/<host>/<device_id>/test.db`, which is closed at the end of the pass.
//!
//! What must stay true: nothing outside the own folder is created or written; a
//! staging bucket is created once (same id, type, client, created, data, plus
//! `$aw.sync.origin`) and never rewritten; one bucket's failure is a warning.

use std::collections::BTreeMap;
use std::fs;

use aw_datastore::native::Datastore;
use aw_models::time::{duration_nanos, to_nanos};
use aw_models::Bucket;

use crate::sync::copy::{copy_bucket, read_boundary};
use crate::sync::folder::own_db_path;
use crate::sync::naming::{is_imported, staging_bucket};
use crate::sync::pager::StorePager;
use crate::sync::store::Store;
use crate::sync::{Identity, PassReport, StopFlag, SyncError, SyncOptions};

/// The key-value key under which each pass records its end time in the own file.
pub const LAST_PASS_KEY: &str = "aw-sync.last_pass";

/// Pushes every selected local bucket into the own file.
pub fn push(
    local: &dyn Store,
    identity: &Identity,
    options: &SyncOptions,
    stop: &StopFlag,
    report: &mut PassReport,
) -> Result<(), SyncError> {
    let path = own_db_path(&options.sync_dir, &identity.hostname, &identity.device_id);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|source| SyncError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let buckets = local.buckets()?;
    if let Some(requested) = &options.buckets {
        for id in requested.iter().filter(|id| !buckets.contains_key(*id)) {
            log::error!("bucket {id} given in --buckets does not exist on the local server");
        }
    }
    let mut selected: Vec<&Bucket> = buckets
        .values()
        .filter(|bucket| !is_imported(&bucket.id) && options.wants_bucket(&bucket.id))
        .collect();
    // Oldest data first, as upstream (empty buckets first).
    selected.sort_by_key(|bucket| bucket.metadata.end);
    log::info!("pushing {} buckets into {}", selected.len(), path.display());
    let own = Datastore::open_file(&path)?;
    let result = push_buckets(local, &own, &selected, identity, options, stop, report);
    let stamp = serde_json::Value::String(chrono::Utc::now().to_rfc3339());
    let stamped = own.set_key_value(LAST_PASS_KEY, stamp);
    // Dropping the last handle commits and closes the file; the checkpoint then
    // leaves one complete file for the file-sync engine to copy.
    drop(own);
    result?;
    stamped?;
    aw_datastore::checkpoint_file(&path)?;
    Ok(())
}

fn push_buckets(
    local: &dyn Store,
    own: &Datastore,
    selected: &[&Bucket],
    identity: &Identity,
    options: &SyncOptions,
    stop: &StopFlag,
    report: &mut PassReport,
) -> Result<(), SyncError> {
    let staged: BTreeMap<String, Bucket> = own.get_buckets()?;
    for bucket in selected {
        if stop.is_set() {
            return Err(SyncError::Stopped);
        }
        if !staged.contains_key(&bucket.id) {
            Store::create_bucket(own, &staging_bucket(bucket, &identity.device_id))?;
        }
        match push_bucket(local, own, bucket, options, stop) {
            Ok(inserted) => {
                report.pushed += inserted;
                if inserted > 0 {
                    log::info!("pushed {inserted} events of {}", bucket.id);
                }
            }
            Err(SyncError::Stopped) => return Err(SyncError::Stopped),
            Err(err) => {
                log::warn!("skipping bucket {} in this push: {err}", bucket.id);
                report.skipped.push(bucket.id.clone());
            }
        }
    }
    Ok(())
}

fn push_bucket(
    local: &dyn Store,
    own: &Datastore,
    bucket: &Bucket,
    options: &SyncOptions,
    stop: &StopFlag,
) -> Result<u64, SyncError> {
    let boundary = read_boundary(own, &bucket.id)?;
    let from = boundary
        .start
        .map_or_else(|| options.first_start_nanos(), |start| to_nanos(&start));
    // Bucket metadata is only a hint upstream (never shrunk), so the newest event
    // gives the end of the data; the pager does not rely on it for correctness.
    let newest = local.get_events(&bucket.id, None, None, Some(1))?;
    let Some(newest) = newest.first() else {
        return Ok(0);
    };
    let data_end = newest
        .start_nanos()
        .saturating_add(duration_nanos(&newest.duration));
    let count = local.event_count(&bucket.id)?;
    let mut pager = StorePager::new(local, &bucket.id, from, data_end, count, options.page_size);
    let stats = copy_bucket(&mut pager, own, &bucket.id, boundary, stop, options.pause)?;
    Ok(stats.inserted)
}
