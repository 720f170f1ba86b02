//! Versions: ours, and the upstream release line whose API this server implements.
//!
//! `/api/0/info` reports `v<upstream>+ours.<ours> (rust)`: aw-webui strips what
//! follows `+` before comparing with ActivityWatch's latest release, so the
//! dashboard only announces an update when ActivityWatch has a newer release than
//! the API we speak, and the footer still shows which server answers
//! (docs/DIFFERENCES.md). `--version` and the start-up log show the same pair.

/// The aw-server-rust release whose REST API and query language this server implements.
macro_rules! upstream_version {
    () => {
        "0.14.0"
    };
}

/// The aw-server-rust release whose API this server implements.
pub const UPSTREAM_VERSION: &str = upstream_version!();

/// This server's own version (the crate's).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What `--version` prints after the program name.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (implements the API of aw-server-rust ",
    upstream_version!(),
    ")"
);

/// The `version` of `/api/0/info`: upstream's form, `v<semver> (rust)`, with our
/// version as semver build metadata.
pub fn info_version() -> String {
    format!("v{UPSTREAM_VERSION}+ours.{VERSION} (rust)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_name_both_releases() {
        assert_eq!(info_version(), format!("v0.14.0+ours.{VERSION} (rust)"));
        assert!(LONG_VERSION.starts_with(VERSION));
        assert!(LONG_VERSION.contains(UPSTREAM_VERSION));
    }
}
