//! Running the real `aw-client` binary in tests: a bounded wait, a clean
//! environment (UTC, no API key, an empty config directory) and the peak resident
//! memory of the process, sampled from `/proc/<pid>/status`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
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

/// A TCP proxy to a real server that "goes away" once it has forwarded
/// `request_budget` bytes from clients or `response_budget` bytes back: it cuts
/// every connection and stops listening, so later connections are refused.
/// Lives at most two minutes.
pub struct CuttingProxy {
    pub port: u16,
}

impl CuttingProxy {
    pub fn start(upstream: u16, request_budget: u64, response_budget: u64) -> CuttingProxy {
        use std::net::{Shutdown, TcpListener, TcpStream};
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        use std::sync::Arc;

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let sent = Arc::new(AtomicU64::new(0));
        let received = Arc::new(AtomicU64::new(0));
        let dead = Arc::new(AtomicBool::new(false));
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            let mut open: Vec<(TcpStream, TcpStream)> = Vec::new();
            while Instant::now() < deadline && !dead.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                let server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                open.push((client.try_clone().unwrap(), server.try_clone().unwrap()));
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let up = (Arc::clone(&sent), request_budget, Arc::clone(&dead));
                let down = (Arc::clone(&received), response_budget, Arc::clone(&dead));
                std::thread::spawn(move || pump(client, server, up));
                std::thread::spawn(move || pump(s2, c2, down));
            }
            // Gone: cut whatever is still open; dropping the listener refuses new ones.
            for (client, server) in open {
                let _ = client.shutdown(Shutdown::Both);
                let _ = server.shutdown(Shutdown::Both);
            }
        });
        CuttingProxy { port }
    }
}

type Budget = (
    std::sync::Arc<std::sync::atomic::AtomicU64>,
    u64,
    std::sync::Arc<std::sync::atomic::AtomicBool>,
);

/// Copies `from` to `to` until either closes or the budget runs out.
fn pump(mut from: std::net::TcpStream, mut to: std::net::TcpStream, budget: Budget) {
    use std::io::Read;
    use std::sync::atomic::Ordering;
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let (count, limit, dead) = &budget;
        let before = count.fetch_add(n as u64, Ordering::SeqCst);
        if before.saturating_add(n as u64) > *limit {
            // Forward what fits, then go away.
            let fits = usize::try_from(limit.saturating_sub(before))
                .unwrap_or(n)
                .min(n);
            let _ = to.write_all(&buf[..fits]);
            dead.store(true, Ordering::SeqCst);
            break;
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
    let _ = from.shutdown(std::net::Shutdown::Both);
}
