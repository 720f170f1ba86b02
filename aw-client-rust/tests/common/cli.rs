//! Running the real `aw-client` binary in tests: a bounded wait, a clean
//! environment (UTC, no API key, an empty config directory) and the peak resident
//! memory of the process, sampled from `/proc/<pid>/status`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failure must fail the test"
)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one run may take before the test fails (debug builds are slow).
const RUN_LIMIT: Duration = Duration::from_secs(300);

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Peak resident set size in KiB (VmHWM), from the last sample before exit.
    pub peak_kib: u64,
    pub elapsed: Duration,
}

impl Run {
    /// Asserts success and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "stderr: {}\nstdout: {}",
            self.stderr, self.stdout
        );
        &self.stdout
    }

    /// Asserts failure with `code` and returns stderr's single line.
    pub fn fails(&self, code: i32) -> &str {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert!(!self.stderr.contains("RUST_BACKTRACE"), "{}", self.stderr);
        assert_eq!(self.stderr.lines().count(), 1, "one line: {}", self.stderr);
        self.stderr.trim_end()
    }
}

/// A command for the binary with a clean environment; `config_home` stands in for
/// `$XDG_CONFIG_HOME` (where the local server's key would be looked up).
pub fn command(config_home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aw-client"));
    command
        .args(args)
        .env("TZ", "UTC")
        .env("XDG_CONFIG_HOME", config_home)
        .env_remove("AW_API_KEY")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `aw-client --port <port> <args…>`.
pub fn aw_client(port: u16, args: &[&str]) -> Run {
    let home = tempfile::tempdir().unwrap();
    let port = port.to_string();
    let mut all = vec!["--port", port.as_str()];
    all.extend_from_slice(args);
    run(command(home.path(), &all), None)
}

/// Runs `command`, feeding `stdin` if given, within [`RUN_LIMIT`].
pub fn run(mut command: Command, stdin: Option<&[u8]>) -> Run {
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }
    let started = Instant::now();
    let mut child = command.spawn().unwrap();
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input).unwrap();
    }
    let pid = child.id();
    // Drain the pipes on threads so a chatty child never blocks on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || read_all(&mut out));
    let err = std::thread::spawn(move || read_all(&mut err));
    let mut peak_kib = 0;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            child.kill().unwrap();
            panic!("aw-client did not finish within {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        peak_kib,
        elapsed: started.elapsed(),
    }
}

fn read_all(pipe: &mut impl std::io::Read) -> String {
    let mut text = Vec::new();
    pipe.read_to_end(&mut text).unwrap();
    String::from_utf8_lossy(&text).into_owned()
}

/// `VmHWM` of a running process, in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
