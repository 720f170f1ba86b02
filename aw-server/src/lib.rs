//! aw-server: an ActivityWatch-compatible REST server on Rocket 0.5.
//!
//! Entry points: [`config::Config::load`] (settings), [`endpoints::build_rocket`]
//! (the only place the HTTP server is assembled) and [`testkit::spawn_test_server`]
//! (a real server on an ephemeral port for integration tests of every crate).

pub mod backup_config;
pub mod cli;
pub mod commands;
pub mod config;
pub mod dirs;
pub mod endpoints;
pub mod error;
pub mod legacy;
pub mod logging;
pub mod query_config;
pub mod systemd;
pub mod testkit;
pub mod version;
