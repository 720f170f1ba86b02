//! [`ApiKey`]: optional Bearer-token authentication for `/api/` (docs/API.md §7.8).
//!
//! The check runs on the DECODED, normalised path, i.e. on the same segments the
//! router matches. Upstream tested the raw path, so `/%61pi/0/buckets/` reached the
//! API without a key; here every request whose first decoded segment is `api` needs
//! `Authorization: Bearer <key>`, except `OPTIONS` (preflights) and `GET/HEAD
//! /api/0/info` (clients poll it to see whether the server is up). Static files
//! and `/pages/…` stay open. Failure: 401 with upstream's message.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Method;
use rocket::{Data, Request};

use crate::endpoints::refusal;
use crate::error::ApiError;

/// The API-key fairing.
pub(crate) struct ApiKey {
    key: String,
}

impl ApiKey {
    pub(crate) fn new(key: &str) -> ApiKey {
        ApiKey {
            key: key.to_string(),
        }
    }

    fn authorized(&self, header: Option<&str>) -> bool {
        header
            .and_then(|value| value.strip_prefix("Bearer "))
            .is_some_and(|token| constant_time_eq(token.as_bytes(), self.key.as_bytes()))
    }
}

/// Whether a request with these decoded path segments and method needs the key.
fn needs_key<'a>(method: Method, mut segments: impl Iterator<Item = &'a str>) -> bool {
    if method == Method::Options || segments.next() != Some("api") {
        return false;
    }
    let rest: Vec<&str> = segments.collect();
    let is_info = rest == ["0", "info"] && matches!(method, Method::Get | Method::Head);
    !is_info
}

/// Compares without stopping at the first difference, so timing reveals nothing
/// but the length.
fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    given
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

#[rocket::async_trait]
impl Fairing for ApiKey {
    fn info(&self) -> Info {
        Info {
            name: "API key",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _data: &mut Data<'_>) {
        if refusal::is_refused(request)
            || !needs_key(request.method(), request.uri().path().segments())
        {
            return;
        }
        if !self.authorized(request.headers().get_one("Authorization")) {
            refusal::refuse(request, ApiError::MissingApiKey);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocket::http::uri::Origin;

    #[test]
    fn gated_paths_use_decoded_segments() {
        let cases = [
            (Method::Get, "/api/0/buckets/", true),
            (Method::Get, "/%61pi/0/buckets/", true),
            (Method::Get, "//api//0/buckets", true),
            (Method::Post, "/api/%30/info", true),
            (Method::Get, "/api/0/info", false),
            (Method::Get, "/api/0/info/", false),
            (Method::Head, "/api/0/info", false),
            (Method::Options, "/api/0/buckets/", false),
            (Method::Get, "/", false),
            (Method::Get, "/js/app.js", false),
            (Method::Get, "/pages/api/x", false),
        ];
        for (method, path, expected) in cases {
            let uri = Origin::parse(path).unwrap();
            assert_eq!(
                needs_key(method, uri.path().segments()),
                expected,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn bearer_header_forms() {
        let key = ApiKey::new("secret123");
        let cases = [
            (Some("Bearer secret123"), true),
            (Some("Bearer wrongkey"), false),
            (Some("Bearer secret1234"), false),
            (Some("bearer secret123"), false),
            (Some("Bearer  secret123"), false),
            (Some("Basic secret123"), false),
            (None, false),
        ];
        for (header, expected) in cases {
            assert_eq!(key.authorized(header), expected, "{header:?}");
        }
    }
}
