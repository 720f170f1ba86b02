//! [`execute`]: the async runtime the server runs on. It is Rocket's own (its worker
//! and blocking-thread counts from Rocket's configuration), except that a blocking
//! thread left idle ends after [`BLOCKING_KEEP_ALIVE`] instead of tokio's 10 s.
//!
//! Why: a year-long query builds hundreds of MB on a blocking thread, and the
//! allocator gives a thread's freed memory back to the system when the thread
//! ends; an idle thread kept alive keeps it resident. Back-to-back requests still
//! find a warm thread.

use std::future::Future;
use std::time::Duration;

use rocket::tokio::runtime::Builder;

/// How long an idle blocking thread waits for more work before it ends.
pub const BLOCKING_KEEP_ALIVE: Duration = Duration::from_secs(2);

/// How long shutdown waits for tasks still running (Rocket's forced shutdown).
const SHUTDOWN_WAIT: Duration = Duration::from_millis(500);

/// Runs `future` (a Rocket launch) to completion on a new runtime.
pub fn execute<F: Future>(future: F) -> std::io::Result<F::Output> {
    let config: rocket::Config = rocket::Config::figment().extract().unwrap_or_else(|err| {
        log::warn!("Rocket's configuration does not read ({err}); using its defaults");
        rocket::Config::default()
    });
    let runtime = Builder::new_multi_thread()
        .thread_name("rocket-worker-thread")
        .worker_threads(config.workers.max(1))
        .max_blocking_threads(config.max_blocking.max(1))
        .thread_keep_alive(BLOCKING_KEEP_ALIVE)
        .enable_all()
        .build()?;
    let output = runtime.block_on(future);
    runtime.shutdown_timeout(SHUTDOWN_WAIT);
    Ok(output)
}
