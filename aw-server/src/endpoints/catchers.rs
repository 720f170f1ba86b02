//! The error catchers: every error status Rocket produces itself (no route, a
//! refused body, a parameter that does not parse) is answered as JSON
//! `{"message": …}` saying what was wrong, with Rocket's status kept
//! (docs/API.md §2; upstream sends Rocket's bare default pages here).
//!
//! A guard that knows the reason leaves it in the request's local cache
//! ([`GuardFailure`]); otherwise the reason is worked out from the route table:
//! a path that only answers other methods, a route that needs another
//! `Content-Type`, or a route whose parameters did not parse.

use rocket::http::uri::Origin;
use rocket::http::{ContentType, MediaType, Method, Status};
use rocket::{Catcher, Request, Route};

use crate::endpoints::body::GuardFailure;
use crate::error::ApiError;

#[rocket::catch(default)]
fn catch_all(status: Status, request: &Request<'_>) -> ApiError {
    if let Some(error) = request.local_cache(|| GuardFailure(None)).0.clone() {
        return error;
    }
    explain(status.code, status.reason().unwrap_or("Error"), request)
}

pub(crate) fn catchers() -> Vec<Catcher> {
    rocket::catchers![catch_all]
}

/// Why a request ended with `code` although no guard said why. The answer always
/// keeps Rocket's status; a reason that would need another status is not given.
fn explain(code: u16, reason: &str, request: &Request<'_>) -> ApiError {
    let error = reason_for(code, request);
    if error.status().code == code {
        error
    } else {
        ApiError::Framework {
            code,
            reason: reason.to_string(),
        }
    }
}

fn reason_for(code: u16, request: &Request<'_>) -> ApiError {
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let matching: Vec<&Route> = request
        .rocket()
        .routes()
        .filter(|route| path_matches(route, request.uri()))
        .collect();
    let same_method: Vec<&Route> = matching
        .iter()
        .copied()
        .filter(|route| route.method == request.method())
        .collect();
    if same_method.is_empty() {
        // Every path answers OPTIONS (CORS preflight); naming it would not help.
        let mut allowed: Vec<String> = matching
            .iter()
            .filter(|route| route.method != Method::Options)
            .map(|route| route.method.to_string())
            .collect();
        allowed.sort();
        allowed.dedup();
        return ApiError::NoRoute {
            method,
            path,
            allowed,
        };
    }
    let content_type = request.content_type();
    let accepted: Vec<&Route> = same_method
        .iter()
        .copied()
        .filter(|route| format_accepts(route.format.as_ref(), content_type))
        .collect();
    let Some(route) = accepted.first() else {
        let mut expected: Vec<String> = same_method
            .iter()
            .filter_map(|route| route.format.as_ref().map(|format| format.to_string()))
            .collect();
        expected.dedup();
        return ApiError::WrongContentType {
            method,
            path,
            expected,
            found: content_type.map(|content_type| content_type.to_string()),
        };
    };
    if code == 404 {
        // A route took the path and let it go: a static file server without the file.
        return ApiError::NoSuchFile { path };
    }
    ApiError::InvalidParameters {
        method,
        path,
        route: route.uri.as_str().to_string(),
    }
}

/// Whether the route's path pattern covers the request path (ignoring the
/// parameters' types, the method and the format).
fn path_matches(route: &Route, uri: &Origin<'_>) -> bool {
    let mut requested = uri.path().segments();
    for segment in route.uri.origin.path().segments() {
        let dynamic = segment.starts_with('<') && segment.ends_with('>');
        if dynamic && segment.ends_with("..>") {
            return true;
        }
        match requested.next() {
            Some(value) if dynamic || value == segment => {}
            _ => return false,
        }
    }
    requested.next().is_none()
}

/// Whether a route with `format` takes a request body of `content_type`
/// (Rocket's rule for payload methods: wildcards match anything).
fn format_accepts(format: Option<&MediaType>, content_type: Option<&ContentType>) -> bool {
    let Some(format) = format else {
        return true;
    };
    let Some(content_type) = content_type else {
        return false;
    };
    let matches = |a: &str, b: &str| a == "*" || b == "*" || a.eq_ignore_ascii_case(b);
    let (format_top, format_sub) = (format.top().as_str(), format.sub().as_str());
    let (content_top, content_sub) = (content_type.top().as_str(), content_type.sub().as_str());
    matches(format_top, content_top) && matches(format_sub, content_sub)
}
