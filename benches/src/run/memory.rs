//! Memory rows and the sampler the other rows share: the full-export row (time and size of
//! `GET /api/0/export`, and with `--pid` the server's VmRSS sampled meanwhile and its VmHWM,
//! from Linux `/proc/<pid>/status`), and the idle row (VmRSS after every other row and a
//! pause without requests), which must stay the last row of a run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use super::Bench;
use crate::error::{BenchError, Result};
use crate::report::{Better, Metric, Row};

const GROUP: &str = "Full export (GET /api/0/export)";
const ROW_ID: &str = "export_full";
const IDLE_GROUP: &str = "Memory at rest";
const IDLE_ROW_ID: &str = "idle_rss";
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

/// Runs `work` while a thread samples the VmRSS of `pid` every few milliseconds; returns
/// its result and the highest sample (`None` without a pid or when nothing was readable).
pub(crate) fn with_peak_rss<T>(pid: Option<u32>, work: impl FnOnce() -> T) -> (T, Option<u64>) {
    let Some(pid) = pid else {
        return (work(), None);
    };
    let done = AtomicBool::new(false);
    thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut peak = None;
            while !done.load(Ordering::Relaxed) {
                if let Some(rss) = proc_status_bytes(pid, "VmRSS") {
                    peak = Some(peak.map_or(rss, |peak: u64| peak.max(rss)));
                }
                thread::sleep(SAMPLE_EVERY);
            }
            peak
        });
        let result = work();
        done.store(true, Ordering::Relaxed);
        (result, sampler.join().unwrap_or(None))
    })
}

/// The server's VmRSS now, or an error naming `--pid` when it cannot be read.
pub(crate) fn rss_now(pid: u32) -> Result<u64> {
    proc_status_bytes(pid, "VmRSS")
        .ok_or_else(|| BenchError::invalid(format!("cannot read /proc/{pid}/status (--pid)")))
}

/// A memory metric in MiB from bytes.
pub(crate) fn mib_metric(name: &str, bytes: u64) -> Metric {
    Metric::new(name, mib(bytes), "MiB", Better::Lower)
}

/// Exports everything once, sampling the server's RSS meanwhile when `--pid` is given.
pub(crate) fn export(bench: &mut Bench<'_>) -> Result<()> {
    if !bench.wants(ROW_ID) {
        return Ok(());
    }
    let pid = bench.pid;
    let rss_before = pid.map(rss_now).transpose()?;
    let server = bench.server;
    let (download, peak) = with_peak_rss(pid, || server.get_discarding("/api/0/export"));
    let (bytes, elapsed) = download?;
    let mut metrics = vec![
        Metric::new("time", elapsed.as_secs_f64(), "s", Better::Lower),
        Metric::new("size", mib(bytes), "MiB", Better::Neither),
    ];
    if let (Some(pid), Some(before)) = (pid, rss_before) {
        let peak = peak.unwrap_or(before).max(before);
        metrics.push(mib_metric("RSS before", before));
        metrics.push(mib_metric("peak RSS (sampled)", peak));
        metrics.push(mib_metric("RSS growth", peak - before));
        if let Some(hwm) = proc_status_bytes(pid, "VmHWM") {
            metrics.push(mib_metric("VmHWM", hwm));
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

/// The last row: the server's VmRSS after `settings.idle_pause` without requests, once
/// every other row is done (what a server keeps after a day of dashboards and imports).
pub(crate) fn idle(bench: &mut Bench<'_>) -> Result<()> {
    if !bench.wants(IDLE_ROW_ID) {
        return Ok(());
    }
    let Some(pid) = bench.pid else {
        eprintln!("  {IDLE_ROW_ID}: skipped, it needs --pid");
        return Ok(());
    };
    let pause = bench.settings.idle_pause;
    thread::sleep(pause);
    let mut metrics = vec![mib_metric("RSS", rss_now(pid)?)];
    if let Some(hwm) = proc_status_bytes(pid, "VmHWM") {
        metrics.push(mib_metric("VmHWM", hwm));
    }
    bench.push(Row {
        id: IDLE_ROW_ID.to_string(),
        group: IDLE_GROUP.to_string(),
        name: format!("idle RSS after {} s without requests", pause.as_secs_f64()),
        samples: 1,
        metrics,
        note: Some(format!("server pid {pid}, after every other row")),
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
