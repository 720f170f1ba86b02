//! aw-server: an ActivityWatch-compatible REST server on Rocket 0.5.
//!
//! Entry points: [`config::Config::load`] (settings), [`endpoints::build_server`]
//! (the only place the HTTP server is assembled) and [`testkit::spawn_test_server`]
//! (a real server on an ephemeral port for integration tests of every crate).
//!
//! **Upstream-compatible API.** Programs that embed aw-server-rust keep compiling:
//! [`config::AWConfig`], [`config::AWAuthConfig`], [`config::create_config`],
//! [`dirs::db_path`] and the other `dirs::get_*_dir` functions,
//! [`device_id::get_device_id`], [`logging::setup_logger`], and
//! [`endpoints::ServerState`], [`endpoints::AssetResolver`] and
//! [`endpoints::build_rocket`] have upstream's paths and signatures and run this
//! server (same routes, fairings and datastore). ARCHITECTURE.md has the table;
//! `examples/upstream_embedder.rs` starts a server that way.

pub mod backup_config;
pub mod cli;
pub mod commands;
pub mod config;
pub mod device_id;
pub mod dirs;
pub mod endpoints;
pub mod error;
pub mod legacy;
pub mod logging;
pub mod query_cache;
pub mod query_config;
pub mod retention_config;
pub mod runtime;
pub mod sync;
pub mod systemd;
pub mod testkit;
mod upstream_config;
mod upstream_dirs;
pub mod version;
