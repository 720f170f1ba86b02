//! [`Error`]: everything that can go wrong talking to the server or taking a lock.

use std::path::PathBuf;
use std::time::Duration;

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// The one error type of this crate.
///
/// Branch on [`Error::status`] for server-side refusals and on
/// [`Error::is_connection`] for a server that is not running.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No TCP connection could be made, e.g. nothing listens on the port.
    #[error("cannot connect to the ActivityWatch server at {url}: {source}")]
    Connection {
        /// The URL that was requested.
        url: String,
        /// reqwest's description of the failure.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error status, e.g. 404 for an unknown bucket.
    #[error("server answered {status} for {method} {url}: {message}")]
    Status {
        /// The HTTP method of the request (`GET`, `POST`, …).
        method: String,
        /// The URL that was requested.
        url: String,
        /// The HTTP status code, e.g. 404.
        status: u16,
        /// The server's `message` (or the framework page's description, or the raw body).
        message: String,
    },
    /// The request was sent but failed on the way, e.g. a timeout or a cut connection.
    #[error("request to {url} failed: {source}")]
    Request {
        /// The URL that was requested.
        url: String,
        /// reqwest's description of the failure.
        #[source]
        source: reqwest::Error,
    },
    /// A successful answer whose body was not what the endpoint promises.
    #[error("unexpected response body from {url}: {source}")]
    InvalidResponse {
        /// The URL that was requested.
        url: String,
        /// serde's description of the mismatch.
        #[source]
        source: serde_json::Error,
    },
    /// `host` and `port` do not form a valid URL, e.g. host `"exa mple"`.
    #[error("invalid server address {address}: {source}")]
    InvalidAddress {
        /// The URL text that was built.
        address: String,
        /// The parser's description.
        #[source]
        source: url::ParseError,
    },
    /// The HTTP client or the blocking client's runtime could not be set up.
    #[error("cannot set up the HTTP client: {reason}")]
    Setup {
        /// What failed.
        reason: String,
    },
    /// [`wait_for_start`](crate::AwClient::wait_for_start) gave up.
    #[error("the server at {url} did not answer within {timeout:?}")]
    StartTimeout {
        /// The base URL of the server.
        url: String,
        /// How long was waited.
        timeout: Duration,
        /// The error of the last completed attempt, if one completed.
        #[source]
        last_error: Option<Box<Error>>,
    },
    /// Another process holds the instance lock of this client name.
    #[error("another instance of {client_name} is already running (lock file {})", path.display())]
    AlreadyRunning {
        /// The client name the lock is for.
        client_name: String,
        /// The lock file.
        path: PathBuf,
    },
    /// The lock file or its directory could not be created or locked.
    #[error("cannot use lock file {}: {source}", path.display())]
    LockFile {
        /// The lock file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The platform has no cache directory to keep lock files in.
    #[error("no cache directory found to keep the instance lock in")]
    NoCacheDir,
}

impl Error {
    /// The HTTP status of a [`Error::Status`], e.g. `Some(404)`.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's message of a [`Error::Status`], e.g.
    /// `The requested bucket 'x' does not exist`.
    pub fn message(&self) -> Option<&str> {
        match self {
            Error::Status { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether the server could not be reached at all (it is probably not running).
    pub fn is_connection(&self) -> bool {
        matches!(self, Error::Connection { .. })
    }

    /// Classifies a transport error: refused connections become [`Error::Connection`].
    pub(crate) fn from_transport(url: &str, source: reqwest::Error) -> Error {
        let url = url.to_string();
        if source.is_connect() {
            Error::Connection { url, source }
        } else {
            Error::Request { url, source }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_error_shows_status_and_message() {
        let err = Error::Status {
            method: "GET".into(),
            url: "http://127.0.0.1:5600/api/0/buckets/x".into(),
            status: 404,
            message: "The requested bucket 'x' does not exist".into(),
        };
        assert_eq!(
            err.to_string(),
            "server answered 404 for GET http://127.0.0.1:5600/api/0/buckets/x: \
             The requested bucket 'x' does not exist"
        );
        assert_eq!(err.status(), Some(404));
        assert_eq!(
            err.message(),
            Some("The requested bucket 'x' does not exist")
        );
        assert!(!err.is_connection());
    }

    #[test]
    fn lock_errors_name_the_file() {
        let err = Error::AlreadyRunning {
            client_name: "aw-watcher-x".into(),
            path: PathBuf::from("/tmp/locks/aw-watcher-x.lock"),
        };
        assert_eq!(
            err.to_string(),
            "another instance of aw-watcher-x is already running \
             (lock file /tmp/locks/aw-watcher-x.lock)"
        );
        assert_eq!(err.status(), None);
        assert_eq!(err.message(), None);
    }
}
