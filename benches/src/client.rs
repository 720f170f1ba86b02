//! [`Server`]: a keep-alive HTTP client bound to one ActivityWatch server's base URL,
//! timing each request from send to the last body byte.

use std::io::{self, Read};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{BenchError, Result};

/// How much of an error body to keep in [`BenchError::Status`].
const ERROR_BODY_CHARS: usize = 300;

/// A connection pool to one server. Cloning shares the pool (cheap).
#[derive(Debug, Clone)]
pub struct Server {
    base: String,
    http: reqwest::blocking::Client,
}

/// A successful response, fully read.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status (2xx or 304).
    pub status: u16,
    /// The whole body.
    pub body: Vec<u8>,
    /// Time from sending the request to having read the whole body.
    pub elapsed: Duration,
}

impl Reply {
    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self, context: &str) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|source| BenchError::Json {
            context: context.to_string(),
            source,
        })
    }
}

impl Server {
    /// A client for the server at `url` (e.g. `http://127.0.0.1:5667`); `timeout` bounds
    /// every request.
    pub fn new(url: &str, timeout: Duration) -> Result<Server> {
        let base = url.trim_end_matches('/').to_string();
        let http = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|source| BenchError::Http {
                method: "BUILD",
                url: base.clone(),
                source,
            })?;
        Ok(Server { base, http })
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET path`, body read completely.
    pub fn get(&self, path: &str) -> Result<Reply> {
        self.send("GET", path, self.http.get(self.url(path)))
    }

    /// `GET path` and parse the JSON body.
    pub fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.get(path)?.json(path)
    }

    /// `POST path` with a JSON body that is already serialised.
    pub fn post_raw(&self, path: &str, json_body: Vec<u8>) -> Result<Reply> {
        let request = self
            .http
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(json_body);
        self.send("POST", path, request)
    }

    /// `POST path` with `body` serialised as JSON.
    pub fn post_json(&self, path: &str, body: &impl Serialize) -> Result<Reply> {
        let bytes = serde_json::to_vec(body).map_err(|source| BenchError::Json {
            context: format!("request body for {path}"),
            source,
        })?;
        self.post_raw(path, bytes)
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str) -> Result<Reply> {
        self.send("DELETE", path, self.http.delete(self.url(path)))
    }

    /// `GET path`, counting the body bytes without keeping them (for huge exports).
    /// Returns the byte count and the elapsed time.
    pub fn get_discarding(&self, path: &str) -> Result<(u64, Duration)> {
        let started = Instant::now();
        let mut response = self.checked("GET", path, self.http.get(self.url(path)))?;
        let bytes =
            io::copy(&mut response, &mut io::sink()).map_err(|source| BenchError::BodyRead {
                url: self.url(path),
                source,
            })?;
        Ok((bytes, started.elapsed()))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn send(
        &self,
        method: &'static str,
        path: &str,
        request: reqwest::blocking::RequestBuilder,
    ) -> Result<Reply> {
        let started = Instant::now();
        let mut response = self.checked(method, path, request)?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        response
            .read_to_end(&mut body)
            .map_err(|source| BenchError::BodyRead {
                url: self.url(path),
                source,
            })?;
        Ok(Reply {
            status,
            body,
            elapsed: started.elapsed(),
        })
    }

    /// Sends the request and turns transport failures and non-success statuses into errors.
    fn checked(
        &self,
        method: &'static str,
        path: &str,
        request: reqwest::blocking::RequestBuilder,
    ) -> Result<reqwest::blocking::Response> {
        let response = request.send().map_err(|source| BenchError::Http {
            method,
            url: self.url(path),
            source,
        })?;
        let status = response.status();
        if status.is_success() || status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(response);
        }
        let text = response.text().unwrap_or_default();
        Err(BenchError::Status {
            method,
            url: self.url(path),
            status: status.as_u16(),
            body: text.chars().take(ERROR_BODY_CHARS).collect(),
        })
    }
}

/// Percent-encodes one URL path segment (bucket ids may contain any character).
pub fn encode_segment(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// `/api/0/buckets/<id>` with the id encoded, followed by `rest` (e.g. `/events`).
pub fn bucket_path(bucket_id: &str, rest: &str) -> String {
    format!("/api/0/buckets/{}{rest}", encode_segment(bucket_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_ids_are_encoded_in_paths() {
        assert_eq!(
            bucket_path("aw-watcher-window_my host/é", "/events"),
            "/api/0/buckets/aw-watcher-window_my%20host%2F%C3%A9/events"
        );
    }
}
