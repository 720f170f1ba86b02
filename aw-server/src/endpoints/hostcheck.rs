//! [`HostCheck`]: refuses requests whose `Host` is not a loopback name, so a web
//! page on an attacker's domain that re-binds its DNS to 127.0.0.1 cannot talk to
//! the server (docs/API.md §7.7).
//!
//! On whenever the listen address is a loopback address (upstream: only for the
//! literal `127.0.0.1`). Accepted host names: `127.0.0.1`, `localhost`, `[::1]`
//! and the listen address itself, each with any port or none. Everything else,
//! and a missing `Host`, gets 400 `Host header is invalid`. HTTP/2 (h2c) requests
//! are checked on their `:authority`. A `Host` with userinfo (`evil.com@localhost`,
//! `a:b@localhost`) is refused as upstream refuses it: Rocket drops the userinfo
//! when it parses the header, so the raw header is checked for `@` first.
//!
//! `allowed_hosts` in the config adds names (compared without regard to case, any
//! port), for a reverse proxy or a container that forwards its own host name
//! (docs/API.md §7.7). Each added name is one a DNS-rebinding page could point at
//! 127.0.0.1, so only names the user controls belong there.

use std::net::IpAddr;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request};

use crate::endpoints::refusal;
use crate::error::{ApiError, StartupError};

/// The Host-header fairing.
pub(crate) struct HostCheck {
    allowed: Vec<String>,
    /// From `allowed_hosts`, lower-cased.
    extra: Vec<String>,
}

impl HostCheck {
    /// The check for a server listening on `address`, or `None` when it is not loopback.
    #[cfg(test)]
    pub(crate) fn for_address(address: IpAddr) -> Option<HostCheck> {
        HostCheck::with_allowed(address, &[]).ok().flatten()
    }

    /// The check for `address` that also accepts the `allowed_hosts` names; `None`
    /// when the address is not loopback. A name with a port, a scheme or a path is
    /// refused, since it could never match a host name.
    pub(crate) fn with_allowed(
        address: IpAddr,
        allowed_hosts: &[String],
    ) -> Result<Option<HostCheck>, StartupError> {
        let mut extra = Vec::new();
        for name in allowed_hosts {
            let bad = |reason: &str| StartupError::InvalidHostSetting {
                value: name.clone(),
                reason: reason.to_string(),
            };
            if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '/') {
                return Err(bad("give a bare host name, e.g. aw.example.com"));
            }
            if host_name(name) != name {
                return Err(bad("give the name without a port; every port is accepted"));
            }
            extra.push(name.to_ascii_lowercase());
        }
        if !address.is_loopback() {
            return Ok(None);
        }
        let mut allowed: Vec<String> = ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .map(|name| name.to_string())
            .collect();
        allowed.push(match address {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        });
        Ok(Some(HostCheck { allowed, extra }))
    }

    fn accepts(&self, host_header: Option<&str>) -> bool {
        host_header.map(host_name).is_some_and(|name| {
            self.allowed.iter().any(|allowed| allowed == name)
                || self
                    .extra
                    .iter()
                    .any(|extra| extra.eq_ignore_ascii_case(name))
        })
    }
}

/// The host part of a `Host` header value: `[::1]:5600` -> `[::1]`, `a:1` -> `a`.
fn host_name(value: &str) -> &str {
    if value.starts_with('[') {
        match value.find(']') {
            Some(end) => value.get(..=end).unwrap_or(value),
            None => value,
        }
    } else {
        value.split(':').next().unwrap_or(value)
    }
}

#[rocket::async_trait]
impl Fairing for HostCheck {
    fn info(&self) -> Info {
        Info {
            name: "Host header check",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _data: &mut Data<'_>) {
        // Rocket takes the host from `Host` (HTTP/1) or `:authority` (HTTP/2, where
        // upstream refused every request for lack of a Host header).
        let host = request.host().map(|host| host.to_string());
        let raw_has_userinfo = request
            .headers()
            .get("Host")
            .any(|value| value.contains('@'));
        if raw_has_userinfo || !self.accepts(host.as_deref()) {
            refusal::refuse(request, ApiError::InvalidHost);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_and_refused_hosts() {
        let check = HostCheck::for_address("127.0.0.1".parse().unwrap()).unwrap();
        let cases = [
            (Some("127.0.0.1:9999"), true),
            (Some("localhost"), true),
            (Some("localhost:5600"), true),
            (Some("[::1]:5600"), true),
            (Some("evil.com"), false),
            (Some("LOCALHOST:5600"), false),
            (Some("localhost.evil.com"), false),
            (Some("127.0.0.1.evil.com:80"), false),
            (Some(""), false),
            (Some("[::1"), false),
            (None, false),
        ];
        for (header, expected) in cases {
            assert_eq!(check.accepts(header), expected, "{header:?}");
        }
    }

    #[test]
    fn allowed_hosts_extend_the_list() {
        let extra = vec![String::from("AW.example.com"), String::from("[fd00::1]")];
        let check = HostCheck::with_allowed("127.0.0.1".parse().unwrap(), &extra)
            .unwrap()
            .unwrap();
        let cases = [
            (Some("aw.example.com"), true),
            (Some("aw.EXAMPLE.com:443"), true),
            (Some("[fd00::1]:8080"), true),
            (Some("localhost:5600"), true),
            (Some("example.com"), false),
            (Some("aw.example.com.evil.com"), false),
        ];
        for (header, expected) in cases {
            assert_eq!(check.accepts(header), expected, "{header:?}");
        }
        for bad in ["", "aw.lan:5600", "http://aw.lan", "a b"] {
            let err = HostCheck::with_allowed("127.0.0.1".parse().unwrap(), &[bad.to_string()])
                .err()
                .unwrap();
            assert!(err.to_string().contains(&format!("'{bad}'")), "{err}");
        }
    }

    #[test]
    fn only_loopback_addresses_are_checked() {
        assert!(HostCheck::for_address("0.0.0.0".parse().unwrap()).is_none());
        assert!(HostCheck::for_address("192.168.1.2".parse().unwrap()).is_none());
        let v6 = HostCheck::for_address("::1".parse().unwrap()).unwrap();
        assert!(v6.accepts(Some("[::1]:5600")));
        let other = HostCheck::for_address("127.0.0.2".parse().unwrap()).unwrap();
        assert!(other.accepts(Some("127.0.0.2:5600")));
    }
}
