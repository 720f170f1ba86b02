//! Request plumbing shared by both clients: base URLs, endpoint URLs, sending, and
//! turning statuses and bodies into values or [`Error`]s.

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use crate::{Error, Result};

/// `http://<host>:<port>/`; a bare IPv6 address such as `::1` gets its brackets.
pub(crate) fn base_url(host: &str, port: u16) -> Result<Url> {
    let address = if host.contains(':') && !host.starts_with('[') {
        format!("http://[{host}]:{port}/")
    } else {
        format!("http://{host}:{port}/")
    };
    Url::parse(&address).map_err(|source| Error::InvalidAddress { address, source })
}

/// `<base>/api/0/<segments…>`, each segment percent-encoded as one path segment, so
/// a bucket id such as `a/b c` stays one segment (`a%2Fb%20c`). An empty last
/// segment gives a trailing slash.
pub(crate) fn api_url(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        // An `http` base always has a path; the `Err` arm (cannot-be-a-base URLs) is unreachable.
        path.pop_if_empty().push("api").push("0").extend(segments);
    }
    url
}

/// A complete answer: the status and the whole body, read before anything is decided.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
}

/// Sends a request and reads the whole answer. Transport failures become
/// [`Error::Connection`] or [`Error::Request`]; statuses are judged later by [`Reply`].
pub(crate) async fn send(
    request: reqwest::RequestBuilder,
    method: Method,
    url: Url,
) -> Result<Reply> {
    let response = request
        .send()
        .await
        .map_err(|err| Error::from_transport(url.as_str(), err))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|err| Error::from_transport(url.as_str(), err))?;
    Ok(Reply {
        method,
        url,
        status,
        body: body.to_vec(),
    })
}

impl Reply {
    /// Accepts any 2xx status; everything else becomes [`Error::Status`].
    pub(crate) fn success(self) -> Result<Reply> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(self.into_status_error())
        }
    }

    /// Like [`Reply::success`] but also accepts 304, which the server sends when a
    /// bucket to create already exists (docs/API.md §3.4).
    pub(crate) fn success_or_not_modified(self) -> Result<Reply> {
        if self.status == StatusCode::NOT_MODIFIED {
            Ok(self)
        } else {
            self.success()
        }
    }

    /// Decodes the body as JSON of type `T`.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|source| Error::InvalidResponse {
            url: self.url.to_string(),
            source,
        })
    }

    /// The [`Error::Status`] for this (unsuccessful) answer.
    pub(crate) fn into_status_error(self) -> Error {
        let message = error_message(self.status, &self.body);
        Error::Status {
            method: self.method.to_string(),
            url: self.url.to_string(),
            status: self.status.as_u16(),
            message,
        }
    }
}

/// Longest raw body kept as a message; a debugger page can be tens of kilobytes.
const MAX_RAW_MESSAGE_CHARS: usize = 1000;

/// The human-readable part of an error body: the server's `{"message": …}`, else the
/// framework's JSON error page (`{"error": {"reason", "description"}}`), else the raw
/// text (cut after [`MAX_RAW_MESSAGE_CHARS`]), else the status's reason phrase when
/// the body is empty.
fn error_message(status: StatusCode, body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(message) = value.get("message").and_then(|m| m.as_str()) {
            return message.to_string();
        }
        let reason = value.pointer("/error/reason").and_then(|r| r.as_str());
        let description = value.pointer("/error/description").and_then(|d| d.as_str());
        if let (Some(reason), Some(description)) = (reason, description) {
            return format!("{reason}: {description}");
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return status
            .canonical_reason()
            .unwrap_or("no message")
            .to_string();
    }
    match text.char_indices().nth(MAX_RAW_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or(text)),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_handles_names_ipv4_and_ipv6() {
        assert_eq!(
            base_url("localhost", 5600).unwrap().as_str(),
            "http://localhost:5600/"
        );
        assert_eq!(
            base_url("127.0.0.1", 5666).unwrap().as_str(),
            "http://127.0.0.1:5666/"
        );
        assert_eq!(
            base_url("::1", 8080).unwrap().as_str(),
            "http://[::1]:8080/"
        );
        assert_eq!(base_url("[::1]", 81).unwrap().as_str(), "http://[::1]:81/");
        let err = base_url("exa mple", 1).unwrap_err();
        assert!(matches!(err, Error::InvalidAddress { .. }), "{err}");
    }

    #[test]
    fn api_url_encodes_each_segment() {
        let base = base_url("127.0.0.1", 5600).unwrap();
        assert_eq!(
            api_url(&base, &["buckets", ""]).as_str(),
            "http://127.0.0.1:5600/api/0/buckets/"
        );
        assert_eq!(
            api_url(&base, &["buckets", "a/b c?#", "events", "count"]).as_str(),
            "http://127.0.0.1:5600/api/0/buckets/a%2Fb%20c%3F%23/events/count"
        );
        assert_eq!(
            api_url(&base, &["info"]).as_str(),
            "http://127.0.0.1:5600/api/0/info"
        );
    }

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            method: Method::GET,
            url: Url::parse("http://127.0.0.1:1/api/0/x").unwrap(),
            status: StatusCode::from_u16(status).unwrap(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn error_bodies_are_turned_into_messages() {
        let cases = [
            (404, r#"{"message":"The requested bucket 'x' does not exist"}"#, "The requested bucket 'x' does not exist"),
            (
                422,
                r#"{"error":{"code":422,"reason":"Unprocessable Entity","description":"The request was well-formed but was unable to be followed due to semantic errors."}}"#,
                "Unprocessable Entity: The request was well-formed but was unable to be followed due to semantic errors.",
            ),
            (500, "  plain text\n", "plain text"),
            (400, "", "Bad Request"),
            (500, r#"{"other":1}"#, r#"{"other":1}"#),
        ];
        let long = "é".repeat(MAX_RAW_MESSAGE_CHARS + 5);
        let err = reply(500, &long).success().unwrap_err();
        let expected = format!("{}…", "é".repeat(MAX_RAW_MESSAGE_CHARS));
        assert_eq!(err.message(), Some(expected.as_str()));
        for (status, body, expected) in cases {
            let err = reply(status, body).success().unwrap_err();
            assert_eq!(err.status(), Some(status));
            assert_eq!(err.message(), Some(expected), "{body}");
        }
    }

    #[test]
    fn not_modified_is_success_only_where_allowed() {
        assert!(reply(304, "").success_or_not_modified().is_ok());
        assert_eq!(reply(304, "").success().unwrap_err().status(), Some(304));
        assert!(reply(201, "").success().is_ok());
    }

    #[test]
    fn json_decoding_errors_are_invalid_responses() {
        assert_eq!(reply(200, "17").json::<i64>().unwrap(), 17);
        let err = reply(200, "<html>").json::<i64>().unwrap_err();
        assert!(matches!(err, Error::InvalidResponse { .. }), "{err}");
    }
}
