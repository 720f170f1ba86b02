//! [`Progress`]: a one-line progress display (bytes and events) on stderr, redrawn
//! at most ten times a second, only when stderr is a terminal.
//!
//! What must stay true: when stderr is not a terminal nothing at all is written,
//! so logs and scripts see only the command's own messages.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// A progress line for one transfer.
#[derive(Debug)]
pub struct Progress {
    enabled: bool,
    label: String,
    total_bytes: Option<u64>,
    total_events: Option<u64>,
    last_draw: Option<Instant>,
}

impl Progress {
    /// A progress line starting with `label`, shown if stderr is a terminal.
    pub fn new(label: &str) -> Progress {
        Progress {
            enabled: std::io::stderr().is_terminal(),
            label: label.to_string(),
            total_bytes: None,
            total_events: None,
            last_draw: None,
        }
    }

    /// Sets the totals, when they are known in advance (imports).
    pub fn with_totals(mut self, bytes: Option<u64>, events: Option<u64>) -> Progress {
        self.total_bytes = bytes;
        self.total_events = events;
        self
    }

    /// Shows `bytes` and `events` done, unless the line was drawn very recently.
    pub fn update(&mut self, bytes: u64, events: u64) {
        if !self.enabled || self.last_draw.is_some_and(|at| at.elapsed() < REDRAW_EVERY) {
            return;
        }
        self.last_draw = Some(Instant::now());
        let line = self.line(bytes, events);
        let mut stderr = std::io::stderr().lock();
        // A progress line that cannot be drawn is no reason to fail the transfer.
        let _ = write!(stderr, "\r\x1b[2K{line}");
        let _ = stderr.flush();
    }

    /// Clears the line.
    pub fn finish(&mut self) {
        if self.enabled && self.last_draw.is_some() {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
        self.last_draw = None;
    }

    fn line(&self, bytes: u64, events: u64) -> String {
        let bytes_part = match self.total_bytes {
            Some(total) if total > 0 => format!(
                "{} of {} ({}%)",
                format_bytes(bytes),
                format_bytes(total),
                bytes.saturating_mul(100) / total
            ),
            _ => format_bytes(bytes),
        };
        let events_part = match self.total_events {
            Some(total) => format!("{} of {} events", format_count(events), format_count(total)),
            None => format!("{} events", format_count(events)),
        };
        format!("{}: {bytes_part}, {events_part}", self.label)
    }
}

/// `512 B`, `12.3 kB`, `4.0 MB`, `1.2 GB` (powers of 1000).
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS.get(unit).unwrap_or(&"TB"))
}

/// `1234567` as `1,234,567`.
pub fn format_count(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::new();
    for (idx, digit) in digits.chars().enumerate() {
        if idx > 0 && (digits.len() - idx).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_readable() {
        assert_eq!(format_bytes(999), "999 B");
        assert_eq!(format_bytes(12_345), "12.3 kB");
        assert_eq!(format_bytes(4_000_000), "4.0 MB");
        assert_eq!(format_bytes(1_234_000_000), "1.2 GB");
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(1000), "1,000");
        assert_eq!(format_count(1_234_567), "1,234,567");
    }

    #[test]
    fn lines_show_totals_when_known() {
        let progress = Progress::new("importing a.json").with_totals(Some(2000), Some(10));
        assert_eq!(
            progress.line(1000, 5),
            "importing a.json: 1.0 kB of 2.0 kB (50%), 5 of 10 events"
        );
        let progress = Progress::new("exporting");
        assert_eq!(progress.line(10, 1234), "exporting: 10 B, 1,234 events");
    }
}
