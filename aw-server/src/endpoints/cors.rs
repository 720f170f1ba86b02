//! [`Cors`]: the CORS allow-list as a fairing, plus the `OPTIONS` catch-all route
//! (docs/API.md §3.17, §7.6).
//!
//! Allowed origins: `http://127.0.0.1:<port>` and `http://localhost:<port>` (the
//! bound port), config `cors` (exact), the official Chrome web watcher, every
//! `moz-extension://` origin, config `cors_regex`, and in testing mode port 27180
//! and every `chrome-extension://` origin. Unlike upstream, regexes must match the
//! WHOLE origin (anchored), so `https://.*\.trusted\.org` no longer accepts
//! `https://a.trusted.org.evil.com`. A refused origin gets 403 and the handler
//! does not run. Policy: methods GET, POST, DELETE; any request header.

use regex::Regex;
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Method};
use rocket::{Data, Request, Response, Route};

use crate::config::Config;
use crate::endpoints::refusal;
use crate::error::{ApiError, StartupError};

const ALLOWED_METHODS: [Method; 3] = [Method::Get, Method::Post, Method::Delete];
const DEFAULT_REGEXES: [&str; 2] = [
    "chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi",
    "moz-extension://.*",
];
const TESTING_ORIGINS: [&str; 2] = ["http://127.0.0.1:27180", "http://localhost:27180"];
const TESTING_REGEXES: [&str; 1] = ["chrome-extension://.*"];

/// The CORS fairing.
pub(crate) struct Cors {
    exact: Vec<String>,
    regexes: Vec<Regex>,
}

impl Cors {
    /// The allow-list for `config`; fails on an invalid origin or regex.
    pub(crate) fn from_config(config: &Config) -> Result<Cors, StartupError> {
        let mut exact_sources: Vec<&str> = config.cors.iter().map(String::as_str).collect();
        let mut regex_sources: Vec<&str> = DEFAULT_REGEXES.to_vec();
        regex_sources.extend(config.cors_regex.iter().map(String::as_str));
        if config.testing {
            exact_sources.extend(TESTING_ORIGINS);
            regex_sources.extend(TESTING_REGEXES);
        }
        let invalid = |value: &str, reason: String| StartupError::InvalidCors {
            value: value.to_string(),
            reason,
        };
        let mut exact = Vec::new();
        for origin in exact_sources {
            let normalised = normalise_origin(origin).ok_or_else(|| {
                invalid(origin, String::from("not an origin (scheme://host[:port])"))
            })?;
            exact.push(normalised);
        }
        let mut regexes = Vec::new();
        for pattern in regex_sources {
            let regex = Regex::new(&format!("^(?:{pattern})$"))
                .map_err(|err| invalid(pattern, err.to_string()))?;
            regexes.push(regex);
        }
        Ok(Cors { exact, regexes })
    }

    /// The normalised origin if it is allowed for a server bound to `port`.
    fn allowed_origin(&self, origin: &str, port: u16) -> Option<String> {
        let normalised = normalise_origin(origin)?;
        let own = [
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
        ];
        let allowed = own.contains(&normalised)
            || self.exact.contains(&normalised)
            || self.regexes.iter().any(|regex| regex.is_match(&normalised));
        allowed.then_some(normalised)
    }
}

/// `scheme://host[:port]` with lower-case scheme and host and no default port for
/// http(s); other schemes (browser extensions) verbatim. `None` for `null` and for
/// text that is not a URL.
fn normalise_origin(origin: &str) -> Option<String> {
    let url = url::Url::parse(origin.trim()).ok()?;
    match url.scheme() {
        "http" | "https" => {
            let host = url.host_str()?;
            Some(match url.port() {
                Some(port) => format!("{}://{host}:{port}", url.scheme()),
                None => format!("{}://{host}", url.scheme()),
            })
        }
        _ if url.host_str().is_some() => Some(origin.trim().to_string()),
        _ => None,
    }
}

#[rocket::async_trait]
impl Fairing for Cors {
    fn info(&self) -> Info {
        Info {
            name: "CORS",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _data: &mut Data<'_>) {
        if refusal::is_refused(request) {
            return;
        }
        let Some(origin) = request.headers().get_one("Origin").map(str::to_string) else {
            return;
        };
        let port = request.rocket().config().port;
        if self.allowed_origin(&origin, port).is_none() {
            refusal::refuse(request, ApiError::OriginNotAllowed { origin });
            return;
        }
        if request.method() != Method::Options {
            return;
        }
        match request.headers().get_one("Access-Control-Request-Method") {
            None => refusal::refuse(request, ApiError::PreflightWithoutMethod),
            Some(method) if !is_allowed_method(method) => {
                let method = method.to_string();
                refusal::refuse(request, ApiError::MethodNotAllowed { method });
            }
            Some(_) => {}
        }
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let Some(origin) = request.headers().get_one("Origin") else {
            return;
        };
        let Some(allowed) = self.allowed_origin(origin, request.rocket().config().port) else {
            return;
        };
        response.set_header(Header::new("Access-Control-Allow-Origin", allowed));
        if request.method() != Method::Options || refusal::is_refused(request) {
            return;
        }
        response.set_header(Header::new(
            "Access-Control-Allow-Methods",
            "GET, POST, DELETE",
        ));
        let requested: Vec<&str> = request
            .headers()
            .get("Access-Control-Request-Headers")
            .collect();
        if !requested.is_empty() {
            response.set_header(Header::new(
                "Access-Control-Allow-Headers",
                requested.join(", "),
            ));
        }
    }
}

fn is_allowed_method(method: &str) -> bool {
    ALLOWED_METHODS
        .iter()
        .any(|allowed| allowed.as_str() == method.trim())
}

/// Every `OPTIONS` request, on any path, is answered 200 with no body (docs/API.md §3.17).
#[rocket::options("/<_..>")]
fn preflight() {}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![preflight]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(config_toml: &str, testing: bool) -> Cors {
        let mut config = Config::from_toml(config_toml).unwrap();
        config.testing = testing;
        Cors::from_config(&config).unwrap()
    }

    #[test]
    fn allow_list() {
        let default = cors("", false);
        let configured = cors(
            "cors = [\"https://Example.com:443\"]\ncors_regex = [\"https://.*\\\\.trusted\\\\.org\"]",
            false,
        );
        let testing = cors("", true);
        let cases: [(&Cors, &str, Option<&str>); 15] = [
            (
                &default,
                "http://127.0.0.1:5600",
                Some("http://127.0.0.1:5600"),
            ),
            (
                &default,
                "HTTP://LOCALHOST:5600",
                Some("http://localhost:5600"),
            ),
            (&default, "http://localhost:5601", None),
            (
                &default,
                "moz-extension://abc-123",
                Some("moz-extension://abc-123"),
            ),
            (&default, "xmoz-extension://abc", None),
            (
                &default,
                "chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi",
                Some("chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi"),
            ),
            (&default, "chrome-extension://other", None),
            (&default, "null", None),
            (&default, "garbage", None),
            (&default, "http://evil.com", None),
            (
                &configured,
                "https://example.com",
                Some("https://example.com"),
            ),
            (
                &configured,
                "https://a.trusted.org",
                Some("https://a.trusted.org"),
            ),
            (&configured, "https://a.trusted.org.evil.com", None),
            (
                &testing,
                "http://localhost:27180",
                Some("http://localhost:27180"),
            ),
            (
                &testing,
                "chrome-extension://other",
                Some("chrome-extension://other"),
            ),
        ];
        for (cors, origin, expected) in cases {
            assert_eq!(
                cors.allowed_origin(origin, 5600).as_deref(),
                expected,
                "{origin}"
            );
        }
    }

    #[test]
    fn invalid_settings_are_startup_errors() {
        for toml in ["cors = [\"not an origin\"]", "cors_regex = [\"(\"]"] {
            let config = Config::from_toml(toml).unwrap();
            assert!(Cors::from_config(&config).is_err(), "{toml}");
        }
    }
}
