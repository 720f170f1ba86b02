//! [`BenchError`]: everything that can stop `aw-bench` (files, JSON, HTTP, checks).

use std::path::PathBuf;

/// The one error type of the benchmark tool.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A file could not be read, written or created, e.g. `--out /nonexistent/x.json`.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `create`, `write`).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file or response body was not the JSON we expected, e.g. a truncated export.
    #[error("invalid JSON in {context}: {source}")]
    Json {
        /// Where the JSON came from (a path or a request).
        context: String,
        /// serde_json's description.
        source: serde_json::Error,
    },
    /// The request never got an answer: connection refused, timeout, broken pipe.
    #[error("{method} {url} failed: {source}")]
    Http {
        /// HTTP method.
        method: &'static str,
        /// Full request URL.
        url: String,
        /// reqwest's error.
        source: reqwest::Error,
    },
    /// The connection broke while a response body was being read.
    #[error("reading the response of {url} failed: {source}")]
    BodyRead {
        /// Full request URL.
        url: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The server answered with an unexpected status, e.g. 500 on a query.
    #[error("{method} {url} answered {status}: {body}")]
    Status {
        /// HTTP method.
        method: &'static str,
        /// Full request URL.
        url: String,
        /// The status code received.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// After `load`, a bucket does not hold the number of events the file has.
    #[error("bucket {bucket_id} holds {actual} events, expected {expected}")]
    CountMismatch {
        /// The bucket checked.
        bucket_id: String,
        /// Events in the file.
        expected: u64,
        /// Events reported by `GET /api/0/buckets/<id>/events/count`.
        actual: u64,
    },
    /// The server has no bucket the benchmark needs, e.g. no `currentwindow` bucket.
    #[error("the server has no {what}; load a dataset first (aw-bench load)")]
    MissingBucket {
        /// Which bucket was looked for.
        what: String,
    },
    /// A command-line value or a dataset that cannot be used, e.g. `--events 0`.
    #[error("{message}")]
    Invalid {
        /// What is wrong, for the user.
        message: String,
    },
    /// A benchmark worker thread panicked (a bug in aw-bench).
    #[error("a {what} worker thread panicked")]
    WorkerPanicked {
        /// Which benchmark the thread belonged to.
        what: &'static str,
    },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, BenchError>;

impl BenchError {
    /// Shorthand for [`BenchError::Invalid`].
    pub fn invalid(message: impl Into<String>) -> BenchError {
        BenchError::Invalid {
            message: message.into(),
        }
    }

    /// True when this is an HTTP 404 answer.
    pub fn is_not_found(&self) -> bool {
        matches!(self, BenchError::Status { status: 404, .. })
    }

    /// Shorthand for [`BenchError::Io`] as a closure for `map_err`.
    pub fn io(
        action: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> BenchError {
        let path = path.to_path_buf();
        move |source| BenchError::Io {
            action,
            path,
            source,
        }
    }
}
