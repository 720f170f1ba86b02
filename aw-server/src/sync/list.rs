//! `aw-sync list`: what the sync folder holds, per device: host folder, device id,
//! buckets with event counts, newest event, and when the device last synced.
//!
//! What must stay true: every file is opened read-only (the own one too); a file that
//! cannot be read is listed with its error instead of stopping the listing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use aw_datastore::PeerFile;
use chrono::{DateTime, Utc};

use crate::sync::folder::discover;
use crate::sync::push::LAST_PASS_KEY;

/// One device's file.
#[derive(Debug, Clone)]
pub struct DeviceSummary {
    /// The file.
    pub path: PathBuf,
    /// Host folder (host layout) or `None` (flat layout).
    pub host: Option<String>,
    /// Device id (the folder name).
    pub device_id: String,
    /// Whether it is this device's own file.
    pub own: bool,
    /// Buckets: id, hostname, event count, newest event end.
    pub buckets: Vec<(String, String, u64, Option<DateTime<Utc>>)>,
    /// The newest event end over all buckets.
    pub newest: Option<DateTime<Utc>>,
    /// The end of the device's last pass (recorded by our aw-sync), else the file's
    /// modification time.
    pub last_pass: Option<DateTime<Utc>>,
    /// Why the file could not be read.
    pub error: Option<String>,
}

/// Summarises every file in the folder.
pub fn list(root: &Path, own_device_id: &str) -> Vec<DeviceSummary> {
    discover(root)
        .into_iter()
        .map(|db| {
            let modified = std::fs::metadata(&db.path)
                .and_then(|meta| meta.modified())
                .ok()
                .map(DateTime::<Utc>::from);
            let mut summary = DeviceSummary {
                own: db.device_id == own_device_id,
                path: db.path,
                host: db.host,
                device_id: db.device_id,
                buckets: Vec::new(),
                newest: None,
                last_pass: modified,
                error: None,
            };
            if let Err(err) = fill(&mut summary) {
                summary.error = Some(err.to_string());
            }
            summary
        })
        .collect()
}

fn fill(summary: &mut DeviceSummary) -> aw_datastore::Result<()> {
    let file = PeerFile::open(&summary.path)?;
    for bucket in file.buckets()? {
        let end = bucket.bucket.metadata.end;
        summary.newest = summary.newest.max(end);
        summary.buckets.push((
            bucket.bucket.id,
            bucket.bucket.hostname,
            bucket.event_count,
            end,
        ));
    }
    if let Some(serde_json::Value::String(text)) = file.key_value(LAST_PASS_KEY)? {
        if let Ok(stamp) = DateTime::parse_from_rfc3339(&text) {
            summary.last_pass = Some(stamp.with_timezone(&Utc));
        }
    }
    Ok(())
}

/// The listing as text, one block per device.
pub fn render(summaries: &[DeviceSummary]) -> String {
    let mut out = String::new();
    if summaries.is_empty() {
        out.push_str("no device files in the sync folder\n");
    }
    let time = |at: Option<DateTime<Utc>>| at.map_or_else(|| "-".to_string(), |at| at.to_rfc3339());
    for device in summaries {
        let _ = writeln!(
            out,
            "device {}{} (host folder {}): {}",
            device.device_id,
            if device.own { " [this device]" } else { "" },
            device.host.as_deref().unwrap_or("-, flat layout"),
            device.path.display()
        );
        if let Some(error) = &device.error {
            let _ = writeln!(out, "  unreadable: {error}");
            continue;
        }
        let _ = writeln!(out, "  newest event: {}", time(device.newest));
        let _ = writeln!(out, "  last pass:    {}", time(device.last_pass));
        for (id, hostname, count, end) in &device.buckets {
            let _ = writeln!(
                out,
                "  {id} (host {hostname}): {count} events, newest {}",
                time(*end)
            );
        }
    }
    out
}
