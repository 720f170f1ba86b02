//! Pull: every other device's file in the sync folder, opened read-only, into
//! `<base>-synced-from-<origin>` buckets of the local server.
//!
//! What must stay true: a bucket whose origin is this device is never imported, even
//! when a peer re-exported it (rust#647); a re-export (`-synced-from-` id) is used only
//! when the origin's own file is not in the folder; one destination bucket is fed by
//! one device per pass; a bucket with hostname `unknown`, a damaged file or a failing
//! bucket is skipped with a warning.

use std::collections::{BTreeSet, HashMap};

use aw_datastore::{PeerBucket, PeerFile};
use aw_models::time::to_nanos;

use crate::sync::copy::{copy_bucket, read_boundary};
use crate::sync::folder::{discover_peers, FolderDb};
use crate::sync::naming::{import_bucket, import_id, is_imported, origin, UNKNOWN_HOST};
use crate::sync::pager::PeerPager;
use crate::sync::store::Store;
use crate::sync::{Identity, PassReport, StopFlag, SyncError, SyncOptions};

struct OpenPeer {
    db: FolderDb,
    file: PeerFile,
    buckets: Vec<PeerBucket>,
}

/// Pulls every selected peer bucket into the local server.
pub fn pull(
    local: &dyn Store,
    identity: &Identity,
    options: &SyncOptions,
    stop: &StopFlag,
    report: &mut PassReport,
) -> Result<(), SyncError> {
    let local_buckets = local.buckets()?;
    let mut own_origins: BTreeSet<String> = local_buckets
        .values()
        .filter(|bucket| !is_imported(&bucket.id))
        .map(|bucket| bucket.hostname.clone())
        .collect();
    own_origins.insert(identity.device_id.clone());
    let peers = open_peers(identity, options, report);
    let native_origins: BTreeSet<String> = peers
        .iter()
        .flat_map(|peer| &peer.buckets)
        .filter(|bucket| !is_imported(&bucket.bucket.id))
        .map(|bucket| origin(&bucket.bucket))
        .collect();
    let mut local_ids: BTreeSet<String> = local_buckets.into_keys().collect();
    let mut fed_by: HashMap<String, String> = HashMap::new();
    for peer in &peers {
        for bucket in &peer.buckets {
            if stop.is_set() {
                return Err(SyncError::Stopped);
            }
            let source = &bucket.bucket;
            if !options.wants_bucket(&source.id) {
                continue;
            }
            let source_origin = origin(source);
            if source.hostname == UNKNOWN_HOST || source_origin == UNKNOWN_HOST {
                log::warn!(
                    "skipping bucket {} of {}: its hostname is 'unknown'",
                    source.id,
                    peer.db.path.display()
                );
                report.skipped.push(source.id.clone());
                continue;
            }
            if own_origins.contains(&source_origin) {
                log::debug!("not pulling {}: recorded on this device", source.id);
                continue;
            }
            if is_imported(&source.id) && native_origins.contains(&source_origin) {
                log::debug!(
                    "not pulling re-export {}: its origin's file is here",
                    source.id
                );
                continue;
            }
            let dest_id = import_id(source);
            match fed_by.get(&dest_id) {
                Some(device) if *device != peer.db.device_id => {
                    log::warn!(
                        "skipping {} of device {}: {dest_id} is already fed by device {device}",
                        source.id,
                        peer.db.device_id
                    );
                    report.skipped.push(source.id.clone());
                    continue;
                }
                _ => {
                    fed_by.insert(dest_id.clone(), peer.db.device_id.clone());
                }
            }
            if !local_ids.contains(&dest_id) {
                if let Err(err) = local.create_bucket(&import_bucket(source, &dest_id)) {
                    log::warn!("skipping {}: cannot create {dest_id}: {err}", source.id);
                    report.skipped.push(source.id.clone());
                    continue;
                }
                local_ids.insert(dest_id.clone());
            }
            match pull_bucket(local, peer, bucket, &dest_id, options, stop) {
                Ok(inserted) => {
                    report.pulled += inserted;
                    if inserted > 0 {
                        log::info!("pulled {inserted} events of {} into {dest_id}", source.id);
                    }
                }
                Err(SyncError::Stopped) => return Err(SyncError::Stopped),
                Err(err) => {
                    log::warn!("skipping bucket {} in this pull: {err}", source.id);
                    report.skipped.push(source.id.clone());
                }
            }
        }
    }
    Ok(())
}

fn open_peers(
    identity: &Identity,
    options: &SyncOptions,
    report: &mut PassReport,
) -> Vec<OpenPeer> {
    let mut peers = Vec::new();
    for db in discover_peers(&options.sync_dir, &identity.device_id) {
        if let Some(hosts) = &options.hosts {
            if !db.host.as_ref().is_some_and(|host| hosts.contains(host)) {
                continue;
            }
        }
        if options
            .sync_db
            .as_ref()
            .is_some_and(|only| *only != db.path)
        {
            continue;
        }
        let opened = PeerFile::open(&db.path).and_then(|file| {
            let buckets = file.buckets()?;
            Ok((file, buckets))
        });
        match opened {
            Ok((file, buckets)) => peers.push(OpenPeer { db, file, buckets }),
            Err(err) => {
                log::warn!("skipping {}: {err}", db.path.display());
                report.skipped.push(db.path.display().to_string());
            }
        }
    }
    peers
}

fn pull_bucket(
    local: &dyn Store,
    peer: &OpenPeer,
    bucket: &PeerBucket,
    dest_id: &str,
    options: &SyncOptions,
    stop: &StopFlag,
) -> Result<u64, SyncError> {
    if bucket.event_count == 0 {
        return Ok(0);
    }
    let boundary = read_boundary(local, dest_id)?;
    let from = boundary
        .start
        .map_or_else(|| options.first_start_nanos(), |start| to_nanos(&start));
    let mut pager = PeerPager::new(&peer.file, bucket, from, options.page_size);
    let stats = copy_bucket(&mut pager, local, dest_id, boundary, stop, options.pause)?;
    Ok(stats.inserted)
}
