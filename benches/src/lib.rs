//! aw-bench: a realistic ActivityWatch dataset generator and an HTTP benchmark suite that
//! measures any ActivityWatch server (ours, upstream aw-server-rust, the Python aw-server).
//!
//! The `aw-bench` binary wraps these modules: [`gen`] writes a dataset as export JSON,
//! [`load`] imports it through `POST /api/0/import`, [`run`] measures every row of
//! upstream PR #615's benchmark report and of the project's goal table over HTTP,
//! [`report`] holds and prints results, [`compare`] puts result files side by side and
//! checks them against [`goals`]. [`client`] is the keep-alive HTTP client.

pub mod client;
pub mod compare;
pub mod error;
pub mod gen;
pub mod goals;
pub mod load;
pub mod report;
pub mod run;

pub use error::{BenchError, Result};
