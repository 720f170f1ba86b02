//! Upstream-compatible directory functions, re-exported from [`crate::dirs`]:
//! `get_config_dir`, `get_data_dir`, `get_cache_dir`, `get_log_dir(module)` and
//! `db_path(testing)`, with upstream's `Result<PathBuf, ()>` signatures.
//!
//! What must stay true: the paths are the ones our binary uses ([`Dirs`]), each
//! directory is created when asked for, as upstream does, and a failure is an
//! `Err(())` with a log line, never a panic.
#![expect(
    clippy::result_unit_err,
    reason = "upstream's public signatures return Result<PathBuf, ()>"
)]

use std::fs;
use std::path::{Path, PathBuf};

use crate::dirs::Dirs;

/// `<config>/activitywatch/aw-server-rust` (created if missing).
pub fn get_config_dir() -> Result<PathBuf, ()> {
    created(server_dirs()?.config_dir)
}

/// `<data>/activitywatch/aw-server-rust` (created if missing): database, device id.
pub fn get_data_dir() -> Result<PathBuf, ()> {
    created(server_dirs()?.data_dir)
}

/// `<cache>/activitywatch/aw-server-rust` (created if missing).
pub fn get_cache_dir() -> Result<PathBuf, ()> {
    let Some(cache_base) = dirs::cache_dir() else {
        log::error!("Cannot determine the cache directory (is HOME set?)");
        return Err(());
    };
    created(cache_base.join("activitywatch").join("aw-server-rust"))
}

/// `<cache>/activitywatch/log/<module>` (created if missing), where our server
/// writes its logs for module `aw-server-rust`.
pub fn get_log_dir(module: &str) -> Result<PathBuf, ()> {
    let server_log_dir = server_dirs()?.log_dir;
    let log_base = server_log_dir.parent().unwrap_or(Path::new("."));
    created(log_base.join(module))
}

/// `<data dir>/sqlite.db`, or `sqlite-testing.db` in testing mode.
pub fn db_path(testing: bool) -> Result<PathBuf, ()> {
    let name = if testing {
        "sqlite-testing.db"
    } else {
        "sqlite.db"
    };
    Ok(get_data_dir()?.join(name))
}

fn server_dirs() -> Result<Dirs, ()> {
    Dirs::from_env().map_err(|err| log::error!("{err}"))
}

fn created(dir: PathBuf) -> Result<PathBuf, ()> {
    match fs::create_dir_all(&dir) {
        Ok(()) => Ok(dir),
        Err(err) => {
            log::error!("Cannot create {}: {err}", dir.display());
            Err(())
        }
    }
}
