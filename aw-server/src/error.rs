//! [`ApiError`]: the one place that decides HTTP status codes (STYLE rule 4), and
//! [`StartupError`] for everything that can stop the server from starting.
//!
//! Every error answer is `{"message": "<Display text>"}` with `application/json`,
//! except the body-problem variants (400/413/422 for unreadable bodies, 404 for
//! missing files), which go to Rocket's default catchers because clients and
//! upstream tests expect Rocket's default pages there (API.md §1.5, §2).

use std::io::Cursor;
use std::path::PathBuf;

use aw_datastore::DatastoreError;
use aw_query::QueryError;
use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder, Response};
use rocket::Request;

/// Why a request failed. The variant alone decides the status ([`ApiError::status`]).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// Unknown bucket, event or key (404).
    #[error("{message}")]
    NotFound {
        /// Text for the client.
        message: String,
    },
    /// `POST /api/0/buckets/<id>` for an existing id: 304, as upstream (API.md §3.4);
    /// hyper sends no body with a 304.
    #[error("{message}")]
    AlreadyExists {
        /// Text for the client (not transmitted).
        message: String,
    },
    /// Input the datastore refused, e.g. an event ending after 2262 (400).
    #[error("{message}")]
    InvalidInput {
        /// Text for the client.
        message: String,
    },
    /// `start` of `GET …/events` is not RFC 3339 (400, upstream text).
    #[error("Failed to parse starttime, datetime needs to be in rfc3339 format: {reason}")]
    InvalidStart {
        /// chrono's description.
        reason: String,
    },
    /// `end` of `GET …/events` is not RFC 3339 (400, upstream text).
    #[error("Failed to parse endtime, datetime needs to be in rfc3339 format: {reason}")]
    InvalidEnd {
        /// chrono's description.
        reason: String,
    },
    /// A settings key of 128 bytes or more (400, upstream text).
    #[error("Too long key")]
    KeyTooLong,
    /// A request body that is not JSON at all: empty, syntax error, invalid UTF-8, a
    /// broken multipart stream (400, Rocket's default page).
    #[error("malformed request body: {detail}")]
    MalformedBody {
        /// Parser detail, logged only.
        detail: String,
    },
    /// Well-formed JSON of the wrong shape, or a multipart body without a
    /// `buckets` part (422, Rocket's default page).
    #[error("request body has the wrong shape: {detail}")]
    InvalidBody {
        /// Parser detail, logged only.
        detail: String,
    },
    /// A body over the route's size limit (413, Rocket's default page).
    #[error("request body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A web UI file that does not exist (404, Rocket's default page).
    #[error("no such file: {path}")]
    NoSuchFile {
        /// The requested path.
        path: String,
    },
    /// The Host header is not a loopback name (400, upstream text; API.md §7.7).
    #[error("Host header is invalid")]
    InvalidHost,
    /// The API key is missing or wrong (401, upstream text; API.md §7.8).
    #[error("Missing or invalid API key. Set 'Authorization: Bearer <key>' header.")]
    MissingApiKey,
    /// The `Origin` is not in the CORS allow-list (403; API.md §7.6).
    #[error("CORS: origin '{origin}' is not allowed")]
    OriginNotAllowed {
        /// The refused `Origin` header.
        origin: String,
    },
    /// A CORS preflight without `Access-Control-Request-Method` (400).
    #[error("CORS: preflight without Access-Control-Request-Method")]
    PreflightWithoutMethod,
    /// A CORS preflight for a method other than GET, POST, DELETE (403).
    #[error("CORS: method '{method}' is not allowed")]
    MethodNotAllowed {
        /// The requested method.
        method: String,
    },
    /// The query program failed: 500 with the error text, as upstream (QUERY.md §1.4).
    #[error("{message}")]
    QueryFailed {
        /// The query error's text.
        message: String,
    },
    /// The datastore cannot take writes right now, e.g. disk full (503).
    #[error("{message}")]
    Unavailable {
        /// Text for the client.
        message: String,
    },
    /// Anything else (500). The message goes to the client, the detail to the log.
    #[error("{message}")]
    Internal {
        /// Text for the client.
        message: String,
        /// Extra detail for the log.
        detail: String,
    },
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> Status {
        match self {
            ApiError::NotFound { .. } | ApiError::NoSuchFile { .. } => Status::NotFound,
            // API.md §3.4: clients treat 304 on bucket creation as success.
            ApiError::AlreadyExists { .. } => Status::NotModified,
            ApiError::InvalidInput { .. }
            | ApiError::InvalidStart { .. }
            | ApiError::InvalidEnd { .. }
            | ApiError::KeyTooLong
            | ApiError::MalformedBody { .. }
            | ApiError::InvalidHost
            | ApiError::PreflightWithoutMethod => Status::BadRequest,
            ApiError::MissingApiKey => Status::Unauthorized,
            ApiError::OriginNotAllowed { .. } | ApiError::MethodNotAllowed { .. } => {
                Status::Forbidden
            }
            ApiError::BodyTooLarge { .. } => Status::PayloadTooLarge,
            ApiError::InvalidBody { .. } => Status::UnprocessableEntity,
            // QUERY.md §1.4: every query error is a 500, as upstream.
            ApiError::QueryFailed { .. } | ApiError::Internal { .. } => Status::InternalServerError,
            ApiError::Unavailable { .. } => Status::ServiceUnavailable,
        }
    }

    /// Whether Rocket's default error page answers instead of `{"message"}`
    /// (API.md §1.3/§1.5: body and file problems look exactly like Rocket's own).
    fn uses_default_page(&self) -> bool {
        matches!(
            self,
            ApiError::MalformedBody { .. }
                | ApiError::InvalidBody { .. }
                | ApiError::BodyTooLarge { .. }
                | ApiError::NoSuchFile { .. }
        )
    }

    fn log(&self, request: &Request<'_>, status: Status) {
        let detail = match self {
            ApiError::Internal { detail, .. } => detail.as_str(),
            _ => "",
        };
        if status.code >= 500 {
            log::error!(
                "{} {}: {status}: {self} {detail}",
                request.method(),
                request.uri()
            );
        } else {
            log::debug!("{} {}: {status}: {self}", request.method(), request.uri());
        }
    }
}

impl From<DatastoreError> for ApiError {
    fn from(err: DatastoreError) -> ApiError {
        let message = err.to_string();
        match err {
            DatastoreError::NoSuchBucket { .. } => ApiError::NotFound { message },
            // API.md §3.4: an existing bucket is a 304, not an error for clients.
            DatastoreError::BucketAlreadyExists { .. } => ApiError::AlreadyExists { message },
            // Deliberate fix of upstream's 500 (API.md §3.9): an unknown event id is a 404.
            DatastoreError::NoSuchEvent { .. } => ApiError::NotFound { message },
            // Unreachable over HTTP: settings map it to `null` (API.md §2).
            DatastoreError::NoSuchKey { .. } => ApiError::NotFound { message },
            // Upstream crashed its worker on these (API.md §9); we answer 400.
            DatastoreError::InvalidInput { .. } => ApiError::InvalidInput { message },
            DatastoreError::StorageUnavailable { .. }
            | DatastoreError::FileReplaced { .. }
            | DatastoreError::Damaged { .. }
            | DatastoreError::DatabaseInUse { .. } => ApiError::Unavailable { message },
            DatastoreError::Io { .. } => ApiError::Internal {
                message,
                detail: String::new(),
            },
            DatastoreError::WorkerGone { .. } => ApiError::Internal {
                message,
                detail: String::new(),
            },
            DatastoreError::Sqlite(source) => ApiError::Internal {
                message,
                detail: format!("({source:?})"),
            },
        }
    }
}

impl From<QueryError> for ApiError {
    /// QUERY.md §1.4: every query error is a 500 whose message is the error's text.
    fn from(err: QueryError) -> ApiError {
        let message = err.to_string();
        match err {
            QueryError::ParsingError(_)
            | QueryError::EmptyQuery
            | QueryError::VariableNotDefined(_)
            | QueryError::MathError(_)
            | QueryError::InvalidType(_)
            | QueryError::InvalidFunctionParameters(_)
            | QueryError::TimeIntervalError(_)
            | QueryError::BucketQueryError(_)
            | QueryError::RegexCompileError(_)
            | QueryError::NestingTooDeep(_)
            | QueryError::UnserializableResult(_) => ApiError::QueryFailed { message },
        }
    }
}

impl From<serde_json::Error> for ApiError {
    /// Body parse failures, classified as Rocket's `Json` guard does.
    fn from(err: serde_json::Error) -> ApiError {
        let detail = err.to_string();
        match err.classify() {
            serde_json::error::Category::Data => ApiError::InvalidBody { detail },
            serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof
            | serde_json::error::Category::Io => ApiError::MalformedBody { detail },
        }
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let status = self.status();
        self.log(request, status);
        if self.uses_default_page() {
            return Err(status);
        }
        let body = serde_json::to_string(&serde_json::json!({ "message": self.to_string() }))
            .unwrap_or_else(|_| String::from(r#"{"message":"internal error"}"#));
        Response::build()
            .status(status)
            .header(ContentType::JSON)
            .sized_body(body.len(), Cursor::new(body))
            .ok()
    }
}

/// Why the server could not start. `main` prints it and exits with status 1.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The platform has no such per-user directory (no home directory).
    #[error("cannot determine the {what} directory (is HOME set?)")]
    NoDirectory {
        /// Which directory.
        what: String,
    },
    /// The config file does not parse or has a bad value.
    #[error("invalid config file {}: {reason}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A command-line flag has a bad value.
    #[error("invalid value '{value}' for {flag}: {reason}")]
    InvalidFlag {
        /// The flag, e.g. `--port`.
        flag: String,
        /// The value given.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A CORS origin or regex from the config does not parse.
    #[error("invalid CORS setting '{value}': {reason}")]
    InvalidCors {
        /// The entry.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The logger could not be set up.
    #[error("cannot set up logging: {detail}")]
    Logging {
        /// What failed.
        detail: String,
    },
    /// The database could not be opened.
    #[error("cannot open the database: {0}")]
    Datastore(#[from] DatastoreError),
    /// The database failed its integrity check; it was not written to.
    #[error("{message}")]
    Damaged {
        /// What is wrong, the newest backup and the commands to restore or salvage.
        message: String,
    },
    /// A maintenance command (`backup`, `restore`, `salvage`, `check`) failed.
    #[error("{command}: {source}")]
    Maintenance {
        /// The command.
        command: &'static str,
        /// Why.
        source: DatastoreError,
    },
    /// The HTTP server could not be configured or started (e.g. the port is in use).
    #[error("cannot start the HTTP server: {detail}")]
    Launch {
        /// What failed.
        detail: String,
    },
}
