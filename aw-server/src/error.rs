//! [`ApiError`]: the one place that decides HTTP status codes (STYLE rule 4), and
//! [`StartupError`] (in `error/startup.rs`) for everything that stops the start.
//!
//! Every error answer is `{"message": "<Display text>"}` with `application/json`
//! (docs/API.md §2), also where upstream sends Rocket's default HTML pages (bodies
//! that do not parse, unknown routes, a wrong `Content-Type`): the statuses stay
//! upstream's, only the body now says what was wrong. Query errors add a `detail`
//! object next to upstream's `message` (docs/QUERY.md §1.4).

mod startup;

use std::io::Cursor;

use aw_datastore::DatastoreError;
use aw_query::QueryError;
use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder, Response};
use rocket::Request;

pub use startup::StartupError;

/// Why a request failed. The variant alone decides the status ([`ApiError::status`]).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// Unknown bucket, event or key (404).
    #[error("{message}")]
    NotFound {
        /// Text for the client.
        message: String,
    },
    /// `POST /api/0/buckets/<id>` for an existing id: 304, as upstream (docs/API.md §3.4);
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
    /// broken multipart stream (400, as Rocket).
    #[error("Request body is not valid JSON: {detail}")]
    MalformedBody {
        /// The parser's reason, with line and column.
        detail: String,
    },
    /// Well-formed JSON of the wrong shape (a missing or mistyped field, a bad
    /// timestamp), or a multipart body without a `buckets` part (422, as Rocket).
    #[error("Request body has the wrong shape: {detail}")]
    InvalidBody {
        /// The parser's reason, with line and column.
        detail: String,
    },
    /// A body over the route's size limit (413, as Rocket).
    #[error("Request body is larger than the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A web UI file that does not exist (404).
    #[error("No such file: {path}")]
    NoSuchFile {
        /// The requested path.
        path: String,
    },
    /// No route has this path and method (404, as Rocket).
    #[error("No route for {method} {path}{}", allowed_methods(allowed))]
    NoRoute {
        /// The request method.
        method: String,
        /// The request path.
        path: String,
        /// The methods this path does answer, if any.
        allowed: Vec<String>,
    },
    /// The route exists but needs another `Content-Type` (404, as Rocket, which finds
    /// no route then).
    #[error(
        "{method} {path} needs Content-Type {} (got {})",
        expected.join(" or "),
        found.as_deref().unwrap_or("none")
    )]
    WrongContentType {
        /// The request method.
        method: String,
        /// The request path.
        path: String,
        /// The formats the route takes.
        expected: Vec<String>,
        /// The request's `Content-Type`, if any.
        found: Option<String>,
    },
    /// A path or query parameter is missing or does not parse (422, as Rocket).
    #[error("{method} {path}: a parameter of route {route} is missing or not valid")]
    InvalidParameters {
        /// The request method.
        method: String,
        /// The request path.
        path: String,
        /// The route pattern, e.g. `/api/0/buckets/<bucket_id>/events/<event_id>`.
        route: String,
    },
    /// A required query parameter is missing (422, as Rocket).
    #[error("Missing query parameter '{name}' ({hint})")]
    MissingParameter {
        /// The parameter.
        name: String,
        /// What it should hold.
        hint: String,
    },
    /// A query parameter does not parse (422, as Rocket).
    #[error("Invalid query parameter '{name}={value}': {reason}")]
    InvalidParameter {
        /// The parameter.
        name: String,
        /// The value given.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// Any other status Rocket produced without a known reason.
    #[error("{code} {reason}")]
    Framework {
        /// The HTTP status code.
        code: u16,
        /// Its reason phrase.
        reason: String,
    },
    /// The Host header is not a loopback name (400, upstream text; docs/API.md §7.7).
    #[error("Host header is invalid")]
    InvalidHost,
    /// The API key is missing or wrong (401, upstream text; docs/API.md §7.8).
    #[error("Missing or invalid API key. Set 'Authorization: Bearer <key>' header.")]
    MissingApiKey,
    /// The `Origin` is not in the CORS allow-list (403; docs/API.md §7.6).
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
    /// The query program failed: 500 with the error text, as upstream (docs/QUERY.md
    /// §1.4), plus a `detail` object for people.
    #[error("{message}")]
    QueryFailed {
        /// The query error's text, byte for byte upstream's.
        message: String,
        /// Where and why, e.g. `{"line": 1, "column": 10, "found": ";", …}`.
        detail: serde_json::Value,
    },
    /// The query crossed a size limit of its budget (422; not upstream, which runs
    /// out of memory): same body as [`ApiError::QueryFailed`].
    #[error("{message}")]
    QueryLimit {
        /// `LimitExceeded("…")`, naming the limit and its config key.
        message: String,
        /// As for `QueryFailed`.
        detail: serde_json::Value,
    },
    /// The query ran longer than its budget allows (503).
    #[error("{message}")]
    QueryTimeout {
        /// `Timeout("…")`, naming the config key.
        message: String,
        /// As for `QueryFailed`.
        detail: serde_json::Value,
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
            ApiError::NotFound { .. }
            | ApiError::NoSuchFile { .. }
            | ApiError::NoRoute { .. }
            | ApiError::WrongContentType { .. } => Status::NotFound,
            // docs/API.md §3.4: clients treat 304 on bucket creation as success.
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
            ApiError::InvalidBody { .. }
            | ApiError::InvalidParameters { .. }
            | ApiError::MissingParameter { .. }
            | ApiError::InvalidParameter { .. }
            | ApiError::QueryLimit { .. } => Status::UnprocessableEntity,
            ApiError::Framework { code, .. } => {
                Status::from_code(*code).unwrap_or(Status::InternalServerError)
            }
            // docs/QUERY.md §1.4: every query error is a 500, as upstream.
            ApiError::QueryFailed { .. } | ApiError::Internal { .. } => Status::InternalServerError,
            ApiError::Unavailable { .. } | ApiError::QueryTimeout { .. } => {
                Status::ServiceUnavailable
            }
        }
    }

    /// The JSON body: `{"message": …}`, and `detail` for query errors.
    fn body(&self) -> serde_json::Value {
        match self {
            ApiError::QueryFailed { message, detail }
            | ApiError::QueryLimit { message, detail }
            | ApiError::QueryTimeout { message, detail } => {
                serde_json::json!({ "message": message, "detail": detail })
            }
            other => serde_json::json!({ "message": other.to_string() }),
        }
    }

    fn log(&self, request: &Request<'_>, status: Status) {
        let detail = match self {
            ApiError::Internal { detail, .. } => detail.as_str(),
            _ => "",
        };
        if let ApiError::QueryFailed { .. }
        | ApiError::QueryLimit { .. }
        | ApiError::QueryTimeout { .. } = self
        {
            // A 500 for upstream's sake, but the program's fault, not the server's.
            log::info!("{} {}: {status}: {self}", request.method(), request.uri());
        } else if status.code >= 500 {
            log::error!(
                "{} {}: {status}: {self} {detail}",
                request.method(),
                request.uri()
            );
        } else {
            // Clients probe (GET of a missing event, a missing favicon): a 4xx is the
            // client's business, logged for whoever debugs it, never as an error.
            log::debug!("{} {}: {status}: {self}", request.method(), request.uri());
        }
    }
}

/// `` (this path answers GET, POST)`` for [`ApiError::NoRoute`], or nothing.
fn allowed_methods(allowed: &[String]) -> String {
    if allowed.is_empty() {
        String::new()
    } else {
        format!(" (this path answers {})", allowed.join(", "))
    }
}

impl From<DatastoreError> for ApiError {
    fn from(err: DatastoreError) -> ApiError {
        let message = err.to_string();
        match err {
            DatastoreError::NoSuchBucket { .. } => ApiError::NotFound { message },
            // docs/API.md §3.4: an existing bucket is a 304, not an error for clients.
            DatastoreError::BucketAlreadyExists { .. } => ApiError::AlreadyExists { message },
            // Deliberate fix of upstream's 500 (docs/API.md §3.9): an unknown event id is a 404.
            DatastoreError::NoSuchEvent { .. } => ApiError::NotFound { message },
            // Unreachable over HTTP: settings map it to `null` (docs/API.md §2).
            DatastoreError::NoSuchKey { .. } => ApiError::NotFound { message },
            // Upstream crashed its worker on these (docs/API.md §9); we answer 400.
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
            DatastoreError::OpenFailed { .. } => ApiError::Internal {
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
    /// docs/QUERY.md §1.4: every query error is a 500 whose message is the error's text,
    /// as upstream; the `detail` is ours.
    fn from(err: QueryError) -> ApiError {
        let message = err.to_string();
        let detail = serde_json::to_value(err.detail()).unwrap_or(serde_json::Value::Null);
        match err {
            QueryError::ParsingError(..)
            | QueryError::EmptyQuery
            | QueryError::VariableNotDefined(_)
            | QueryError::MathError(_)
            | QueryError::InvalidType(_)
            | QueryError::InvalidFunctionParameters(_)
            | QueryError::TimeIntervalError(_)
            | QueryError::BucketQueryError(_)
            | QueryError::RegexCompileError(_)
            | QueryError::NestingTooDeep(_)
            | QueryError::UnserializableResult(_) => ApiError::QueryFailed { message, detail },
            QueryError::LimitExceeded(_) => ApiError::QueryLimit { message, detail },
            QueryError::Timeout(_) => ApiError::QueryTimeout { message, detail },
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
        let body = serde_json::to_string(&self.body())
            .unwrap_or_else(|_| String::from(r#"{"message":"internal error"}"#));
        Response::build()
            .status(status)
            .header(ContentType::JSON)
            .sized_body(body.len(), Cursor::new(body))
            .ok()
    }
}
