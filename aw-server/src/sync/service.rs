//! Repeated passes: [`run_daemon`] (the `aw-sync daemon` loop) and [`SyncService`],
//! the server's background sync thread started from the `[sync]` config table.
//!
//! What must stay true: at most one pass per device runs at a time on this machine
//! (a lock file per device id, so the server's thread and a separate `aw-sync` take
//! turns); a stop request ends the loop between two pages or during the wait; a failed
//! pass is logged and retried at the next interval; dropping a [`SyncService`] stops
//! and joins its thread, so the server's datastore closes only after it.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use aw_client_rust::single_instance::SingleInstance;
use aw_datastore::native::Datastore;

use crate::sync::config::SyncConfig;
use crate::sync::folder::host_folder_name;
use crate::sync::store::Store;
use crate::sync::{run_pass, Identity, PassReport, StopFlag, SyncError, SyncOptions};

/// How often a waiting loop looks at its stop flag.
const STOP_POLL: Duration = Duration::from_millis(100);

/// Runs one pass while holding this device's sync lock.
pub fn locked_pass(
    local: &dyn Store,
    identity: &Identity,
    options: &SyncOptions,
    stop: &StopFlag,
) -> Result<PassReport, SyncError> {
    let name = format!("aw-sync-{}", host_folder_name(&identity.device_id));
    let _lock = SingleInstance::new(&name)?;
    run_pass(local, identity, options, stop)
}

/// Passes separated by `interval` until `stop` is set. Errors are logged, not fatal.
pub fn run_daemon(
    local: &dyn Store,
    identity: &Identity,
    options: &SyncOptions,
    interval: Duration,
    stop: &StopFlag,
) {
    while !stop.is_set() {
        match locked_pass(local, identity, options, stop) {
            Ok(_) | Err(SyncError::Stopped) => {}
            Err(err) => log::error!("sync pass failed: {err}"),
        }
        wait(interval, stop);
    }
    log::info!("sync stopped");
}

/// Sleeps for `duration` or until `stop` is set.
pub fn wait(duration: Duration, stop: &StopFlag) {
    let deadline = Instant::now() + duration;
    while !stop.is_set() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(STOP_POLL));
    }
}

/// The server's background sync thread; stops and joins when dropped.
pub struct SyncService {
    stop: StopFlag,
    thread: Option<JoinHandle<()>>,
}

impl SyncService {
    /// Starts the thread if `[sync] enabled = true`; `None` otherwise. Fails on
    /// invalid settings.
    pub fn start(
        config: &SyncConfig,
        datastore: Datastore,
        identity: Identity,
    ) -> Result<Option<SyncService>, SyncError> {
        if !config.enabled {
            return Ok(None);
        }
        let options = config.options()?;
        let interval = config.interval();
        let stop = StopFlag::new();
        let thread_stop = stop.clone();
        log::info!(
            "folder sync every {}s ({}) with {}",
            interval.as_secs(),
            options.mode,
            options.sync_dir.display()
        );
        let thread = std::thread::Builder::new()
            .name(String::from("aw-sync"))
            .spawn(move || run_daemon(&datastore, &identity, &options, interval, &thread_stop))
            .map_err(|source| SyncError::Io {
                path: std::path::PathBuf::from("aw-sync thread"),
                source,
            })?;
        Ok(Some(SyncService {
            stop,
            thread: Some(thread),
        }))
    }
}

impl Drop for SyncService {
    fn drop(&mut self) {
        self.stop.set();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                log::error!("the sync thread panicked");
            }
        }
    }
}
