//! [`SyncConfig`]: the optional `[sync]` table of the server's config file, which
//! runs folder sync inside the server on a background thread.
//!
//! What must stay true: sync is off unless `enabled = true`; every value is checked
//! at start-up (a bad one is a start-up error naming the key, never a panic).

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::sync::folder::{resolve_sync_dir, SYNC_DIR_ENV};
use crate::sync::{parse_bucket_list, Mode, SyncError, SyncOptions};

/// Events per page inside the server: small inserts keep the datastore worker free
/// for heartbeats between them.
pub const IN_SERVER_PAGE_SIZE: usize = 1000;
/// Pause after each page inside the server.
pub const IN_SERVER_PAUSE: Duration = Duration::from_millis(20);

/// The `[sync]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Run sync passes inside the server (default false).
    pub enabled: bool,
    /// The sync folder; default `AW_SYNC_DIR`, else `~/ActivityWatchSync`. Absolute.
    pub sync_dir: Option<PathBuf>,
    /// Seconds between the end of one pass and the start of the next (default 300).
    pub interval: u64,
    /// `push`, `pull` or `both` (default).
    pub mode: Mode,
    /// Only these bucket ids; empty means all.
    pub buckets: Vec<String>,
}

impl Default for SyncConfig {
    fn default() -> SyncConfig {
        SyncConfig {
            enabled: false,
            sync_dir: None,
            interval: 300,
            mode: Mode::Both,
            buckets: Vec::new(),
        }
    }
}

impl SyncConfig {
    /// The pass settings, or why the table is invalid.
    pub fn options(&self) -> Result<SyncOptions, SyncError> {
        if self.interval == 0 {
            return Err(SyncError::Config {
                reason: "[sync] interval must be at least 1 second".to_string(),
            });
        }
        let sync_dir = resolve_sync_dir(
            self.sync_dir.as_deref(),
            std::env::var_os(SYNC_DIR_ENV),
            dirs::home_dir(),
        )?;
        let mut options = SyncOptions::new(sync_dir);
        options.mode = self.mode;
        options.buckets = parse_bucket_list(&self.buckets.join(","));
        options.page_size = IN_SERVER_PAGE_SIZE;
        options.pause = IN_SERVER_PAUSE;
        Ok(options)
    }

    /// The interval as a duration.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval)
    }
}

/// The commented `[sync]` block of a new config file.
pub const DEFAULT_SYNC_CONFIG_TEXT: &str = "#\n\
     #[sync]\n\
     # Folder sync with other devices through a folder that Syncthing, Dropbox... shares.\n\
     #enabled = false\n\
     # Sync folder (absolute); default $AW_SYNC_DIR, else ~/ActivityWatchSync.\n\
     #sync_dir = \"/home/me/ActivityWatchSync\"\n\
     # Seconds between passes.\n\
     #interval = 300\n\
     # push, pull or both.\n\
     #mode = \"both\"\n\
     # Only these bucket ids (empty: all).\n\
     #buckets = []\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_values() {
        let config: SyncConfig = toml::from_str(
            "enabled = true\nsync_dir = \"/s\"\ninterval = 60\nmode = \"pull\"\nbuckets = [\"a\"]",
        )
        .unwrap();
        assert!(config.enabled);
        let options = config.options().unwrap();
        assert_eq!(options.sync_dir, PathBuf::from("/s"));
        assert_eq!(options.mode, Mode::Pull);
        assert_eq!(options.buckets, Some(vec!["a".to_string()]));
        assert_eq!(config.interval(), Duration::from_secs(60));
        for bad in [
            "mode = \"up\"",
            "interval = -1",
            "enabled = 1",
            "colour = 1",
        ] {
            assert!(toml::from_str::<SyncConfig>(bad).is_err(), "{bad}");
        }
        let relative: SyncConfig = toml::from_str("sync_dir = \"rel\"").unwrap();
        assert!(relative.options().is_err());
        let zero: SyncConfig = toml::from_str("interval = 0").unwrap();
        assert!(zero.options().is_err());
    }
}
