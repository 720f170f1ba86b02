//! The full-export row: time and size of `GET /api/0/export`, and with `--pid` the server
//! process's memory (Linux `/proc/<pid>/status`: VmRSS sampled during the export, VmHWM).

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use super::Bench;
use crate::error::{BenchError, Result};
use crate::report::{Better, Metric, Row};

const GROUP: &str = "Full export (GET /api/0/export)";
const ROW_ID: &str = "export_full";
const SAMPLE_EVERY: Duration = Duration::from_millis(5);
const MIB: f64 = 1024.0 * 1024.0;

/// A field of `/proc/<pid>/status` in bytes (`VmRSS`, `VmHWM`); `None` when unreadable.
pub(crate) fn proc_status_bytes(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_status_field(&status, field)
}

fn parse_status_field(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|line| {
        line.strip_prefix(field)
            .is_some_and(|rest| rest.starts_with(':'))
    })?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / MIB
}

/// Exports everything once, sampling the server's RSS meanwhile when `--pid` is given.
pub(crate) fn export(bench: &mut Bench<'_>) -> Result<()> {
    if !bench.wants(ROW_ID) {
        return Ok(());
    }
    let pid = bench.pid;
    let rss_before = pid.and_then(|pid| proc_status_bytes(pid, "VmRSS"));
    if let (Some(pid), None) = (pid, rss_before) {
        return Err(BenchError::invalid(format!(
            "cannot read /proc/{pid}/status (--pid)"
        )));
    }
    let done = AtomicBool::new(false);
    let (download, peak) = thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                if let Some(rss) = pid.and_then(|pid| proc_status_bytes(pid, "VmRSS")) {
                    peak = peak.max(rss);
                }
                thread::sleep(SAMPLE_EVERY);
            }
            peak
        });
        let download = bench.server.get_discarding("/api/0/export");
        done.store(true, Ordering::Relaxed);
        (download, sampler.join().unwrap_or(0))
    });
    let (bytes, elapsed) = download?;
    let mut metrics = vec![
        Metric::new("time", elapsed.as_secs_f64(), "s", Better::Lower),
        Metric::new("size", mib(bytes), "MiB", Better::Neither),
    ];
    if let (Some(pid), Some(before)) = (pid, rss_before) {
        let peak = peak.max(before);
        metrics.push(Metric::new("RSS before", mib(before), "MiB", Better::Lower));
        metrics.push(Metric::new(
            "peak RSS (sampled)",
            mib(peak),
            "MiB",
            Better::Lower,
        ));
        let growth = mib(peak - before);
        metrics.push(Metric::new("RSS growth", growth, "MiB", Better::Lower));
        if let Some(hwm) = proc_status_bytes(pid, "VmHWM") {
            metrics.push(Metric::new("VmHWM", mib(hwm), "MiB", Better::Lower));
        }
    }
    bench.push(Row {
        id: ROW_ID.to_string(),
        group: GROUP.to_string(),
        name: "full export".to_string(),
        samples: 1,
        metrics,
        note: Some(match pid {
            Some(pid) => format!("server pid {pid}; VmHWM is the process lifetime peak"),
            None => "no --pid: memory not measured".to_string(),
        }),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_read_in_bytes() {
        let status = "Name:\taw-server\nVmHWM:\t  204800 kB\nVmRSS:\t   10240 kB\nVmRSSX:\t1 kB\n";
        assert_eq!(parse_status_field(status, "VmRSS"), Some(10_485_760));
        assert_eq!(parse_status_field(status, "VmHWM"), Some(209_715_200));
        assert_eq!(parse_status_field(status, "VmSwap"), None);
    }

    #[test]
    fn our_own_process_has_a_resident_set() {
        let rss = proc_status_bytes(std::process::id(), "VmRSS").unwrap();
        assert!(rss > 0);
    }
}
