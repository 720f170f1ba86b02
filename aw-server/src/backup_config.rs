//! The `[backup]` table of the config file: automatic online backups of the database,
//! on by default, daily, keeping the newest 7 plus one per week for 4 weeks.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aw_datastore::backup::Retention;
use aw_datastore::BackupSchedule;
use serde::Deserialize;

use crate::error::StartupError;

/// The `[backup]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    /// Whether the server takes backups while it runs.
    pub enabled: bool,
    /// Time between two backups: a number with `s`, `m`, `h` or `d` (`"1d"`, `"6h"`).
    pub interval: String,
    /// How many of the newest backups to keep.
    pub keep: usize,
    /// Besides those, the newest backup of each of this many recent weeks.
    pub keep_weekly: usize,
    /// Where backups go; default `backups/` beside the database file.
    pub dir: Option<PathBuf>,
}

impl Default for BackupConfig {
    fn default() -> BackupConfig {
        BackupConfig {
            enabled: true,
            interval: "1d".to_string(),
            keep: 7,
            keep_weekly: 4,
            dir: None,
        }
    }
}

/// The commented `[backup]` section of a new config file.
pub const DEFAULT_TEXT: &str = "#\n\
#[backup]\n\
# Verified online backups of the database, taken while the server runs. Each one is\n\
# written under a temporary name, checked with SQLite's quick_check, then renamed.\n\
#enabled = true\n\
# Time between two backups: s, m, h or d (\"6h\", \"1d\").\n\
#interval = \"1d\"\n\
# Keep the newest 7, plus the newest of each of the last 4 weeks.\n\
#keep = 7\n\
#keep_weekly = 4\n\
# Folder; default: backups/ beside the database file.\n\
#dir = \"/path/to/backups\"\n";

impl BackupConfig {
    /// The folder backups of `db` go to.
    pub fn dir_for(&self, db: &Path) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| {
            db.parent()
                .map_or_else(|| PathBuf::from("backups"), |dir| dir.join("backups"))
        })
    }

    /// The schedule the datastore runs, or `None` when backups are off; a bad
    /// interval is a start-up error naming the key.
    pub fn schedule(&self, db: &Path) -> Result<Option<BackupSchedule>, StartupError> {
        if !self.enabled {
            return Ok(None);
        }
        let interval =
            parse_interval(&self.interval).map_err(|reason| StartupError::InvalidFlag {
                flag: "[backup] interval".to_string(),
                value: self.interval.clone(),
                reason,
            })?;
        Ok(Some(BackupSchedule {
            dir: self.dir_for(db),
            interval,
            retention: Retention {
                keep_last: self.keep.max(1),
                keep_weekly: self.keep_weekly,
            },
        }))
    }
}

/// `"90s"`, `"30m"`, `"6h"`, `"1d"` (a bare number is seconds); at least one second.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("backup interval '{text}' must be a number with s, m, h or d"))?;
    let unit_secs = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => {
            return Err(format!(
                "backup interval '{text}': unknown unit '{other}' (use s, m, h or d)"
            ))
        }
    };
    match number.checked_mul(unit_secs) {
        Some(secs) if secs >= 1 => Ok(Duration::from_secs(secs)),
        _ => Err(format!("backup interval '{text}' is out of range")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        for (text, secs) in [
            ("1d", 86_400),
            ("6h", 21_600),
            ("30m", 1800),
            ("2", 2),
            ("5s", 5),
        ] {
            assert_eq!(
                parse_interval(text).unwrap(),
                Duration::from_secs(secs),
                "{text}"
            );
        }
        for text in ["", "d", "1w", "0s", "-1h", "99999999999999999999d"] {
            assert!(parse_interval(text).is_err(), "{text}");
        }
    }

    #[test]
    fn default_dir_is_beside_the_database() {
        let config = BackupConfig::default();
        let schedule = config
            .schedule(Path::new("/data/sqlite.db"))
            .unwrap()
            .unwrap();
        assert_eq!(schedule.dir, Path::new("/data/backups"));
        assert_eq!(schedule.interval, Duration::from_secs(86_400));
        let off = BackupConfig {
            enabled: false,
            ..BackupConfig::default()
        };
        assert_eq!(off.schedule(Path::new("/db")).unwrap(), None);
    }
}
