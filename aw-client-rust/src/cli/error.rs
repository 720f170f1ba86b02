//! [`CliError`]: every way a command can fail, with the one-line message the user
//! sees and the exit code scripts branch on.
//!
//! What must stay true: each message says what went wrong and, where there is one,
//! what to do next; no failure caused by the user ends in a panic or a backtrace.

use std::io;
use std::path::Path;

use aw_client_rust::Error;

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Nothing answers at the address.
    #[error("no ActivityWatch server at {address}: is aw-server running?{hint}")]
    NoServer {
        /// `host:port`.
        address: String,
        /// A suggestion for the other usual port, or empty.
        hint: &'static str,
    },
    /// The connection broke during a request (the server stopped or crashed).
    #[error("lost the connection to the ActivityWatch server at {address} ({detail})")]
    ConnectionLost {
        /// `host:port`.
        address: String,
        /// What the HTTP client saw.
        detail: String,
    },
    /// 401 without a key.
    #[error("the server at {address} requires an API key: pass --api-key or set AW_API_KEY")]
    KeyRequired {
        /// `host:port`.
        address: String,
    },
    /// 401 with a key.
    #[error("the server at {address} refused the API key")]
    KeyRefused {
        /// `host:port`.
        address: String,
    },
    /// 404 for a bucket.
    #[error("no bucket '{bucket_id}' on the server (list them with `aw-client buckets`)")]
    NoSuchBucket {
        /// The bucket asked for.
        bucket_id: String,
    },
    /// Any other refusal or failure of the server.
    #[error("{0}")]
    Server(Error),
    /// An input file that is not what the command needs, with the position.
    #[error("{path}: {reason}")]
    BadFile {
        /// The file.
        path: String,
        /// What is wrong and where.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// Writing to stdout failed (other than a closed pipe, which is no error).
    #[error("cannot write the output: {0}")]
    Output(io::Error),
    /// An argument that parses but makes no sense, e.g. an unknown time format.
    #[error("{0}")]
    Usage(String),
    /// A transfer that ended before its document was complete.
    #[error("{0}")]
    Incomplete(String),
    /// A multi-piece import stopped part-way; the text says what landed.
    #[error("{0}")]
    PartialImport(String),
    /// The user answered no to a confirmation.
    #[error("cancelled, nothing was deleted")]
    Cancelled,
}

impl CliError {
    /// The process exit code (documented in `aw-client --help`).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Server(_) | CliError::File { .. } | CliError::Output(_) => 1,
            CliError::Cancelled | CliError::Incomplete(_) => 1,
            CliError::Usage(_) => 2,
            CliError::NoServer { .. } | CliError::ConnectionLost { .. } => 3,
            CliError::KeyRequired { .. } | CliError::KeyRefused { .. } => 4,
            CliError::NoSuchBucket { .. } => 5,
            CliError::BadFile { .. } => 6,
            CliError::PartialImport(_) => 7,
        }
    }

    /// A file error naming `path`.
    pub fn file(path: &Path, source: io::Error) -> CliError {
        CliError::File {
            path: path.display().to_string(),
            source,
        }
    }

    /// An output error; a closed pipe (`aw-client events x | head`) is returned as is
    /// so that `main` can end quietly.
    pub fn output(source: io::Error) -> CliError {
        CliError::Output(source)
    }

    /// Whether this is a closed stdout pipe, which ends the program successfully.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output(err) if err.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// What the program knows about the server, to turn client errors into messages.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port` as the user gave it.
    pub address: String,
    /// Whether an API key is sent.
    pub has_key: bool,
    /// Appended to "is aw-server running?", e.g. " try --testing for port 5666".
    pub hint: &'static str,
}

impl Target {
    /// Classifies a client error; `bucket_id` names the bucket a 404 refers to.
    pub fn error(&self, err: Error, bucket_id: Option<&str>) -> CliError {
        if err.is_connection() {
            return CliError::NoServer {
                address: self.address.clone(),
                hint: self.hint,
            };
        }
        if let Error::Request { source, .. } = &err {
            let detail = if source.is_timeout() {
                String::from("no answer in time")
            } else {
                std::error::Error::source(source)
                    .map_or_else(|| source.to_string(), |inner| inner.to_string())
            };
            return CliError::ConnectionLost {
                address: self.address.clone(),
                detail,
            };
        }
        match (err.status(), bucket_id) {
            (Some(401), _) if self.has_key => CliError::KeyRefused {
                address: self.address.clone(),
            },
            (Some(401), _) => CliError::KeyRequired {
                address: self.address.clone(),
            },
            (Some(404), Some(bucket_id)) => CliError::NoSuchBucket {
                bucket_id: bucket_id.to_string(),
            },
            _ => CliError::Server(err),
        }
    }
}
