//! Logging with fern: stderr (coloured levels) and one file per start in the log dir
//! (API.md §7.5). `LOG_LEVEL` overrides `--verbose`/testing.

use std::fs;
use std::path::{Path, PathBuf};

use fern::colors::{Color, ColoredLevelConfig};
use log::LevelFilter;

use crate::error::StartupError;

/// The level to log at: `LOG_LEVEL` if valid, else Debug when verbose or testing, else Info.
pub fn log_level(env_value: Option<&str>, verbose_or_testing: bool) -> LevelFilter {
    let from_env = env_value.and_then(|value| match value.to_ascii_lowercase().as_str() {
        "trace" => Some(LevelFilter::Trace),
        "debug" => Some(LevelFilter::Debug),
        "info" => Some(LevelFilter::Info),
        "warn" => Some(LevelFilter::Warn),
        "error" => Some(LevelFilter::Error),
        _ => None,
    });
    match from_env {
        Some(level) => level,
        None if verbose_or_testing => LevelFilter::Debug,
        None => LevelFilter::Info,
    }
}

/// `<log dir>/aw-server-rust_<local time>.log` (`aw-server-rust-testing_…` in testing).
pub fn log_file_path(log_dir: &Path, testing: bool) -> PathBuf {
    let prefix = if testing {
        "aw-server-rust-testing"
    } else {
        "aw-server-rust"
    };
    let stamp = chrono::Local::now().format("%Y-%m-%dT%H-%M-%S%z");
    log_dir.join(format!("{prefix}_{stamp}.log"))
}

/// Installs the global logger. Call once, from `main`.
pub fn setup_logger(log_dir: &Path, testing: bool, verbose: bool) -> Result<PathBuf, StartupError> {
    let env_value = std::env::var("LOG_LEVEL").ok();
    let level = log_level(env_value.as_deref(), verbose || testing);
    fs::create_dir_all(log_dir).map_err(|source| StartupError::Io {
        path: log_dir.to_path_buf(),
        source,
    })?;
    let file_path = log_file_path(log_dir, testing);
    let file = fern::log_file(&file_path).map_err(|source| StartupError::Io {
        path: file_path.clone(),
        source,
    })?;
    // Rocket logs every request, with pretty-printed request and response structures,
    // at info and debug. Upstream turns that on with testing mode; measured here it cost
    // a third of a heartbeat's time and filled the log at 100 lines a request, so it is
    // on only when asked for: `--verbose` or a debug/trace `LOG_LEVEL`.
    let asked_for_detail = verbose || env_value.is_some();
    let framework_level = if asked_for_detail && level >= LevelFilter::Debug {
        level
    } else {
        LevelFilter::Warn
    };
    let colors = ColoredLevelConfig::new()
        .info(Color::Green)
        .debug(Color::Cyan)
        .trace(Color::White);
    let base = fern::Dispatch::new()
        .level(level)
        .level_for("rocket", framework_level)
        .level_for("_", framework_level)
        .level_for("launch_", framework_level)
        .level_for("hyper", LevelFilter::Warn);
    let stderr = fern::Dispatch::new()
        .format(move |out, message, record| {
            out.finish(format_args!(
                "[{}][{}][{}]: {}",
                chrono::Local::now().format("%Y-%m-%d %H:%M:%S"),
                colors.color(record.level()),
                record.target(),
                message
            ))
        })
        .chain(std::io::stderr());
    let file = fern::Dispatch::new()
        .format(|out, message, record| {
            out.finish(format_args!(
                "[{}][{}][{}]: {}",
                chrono::Local::now().format("%Y-%m-%d %H:%M:%S"),
                record.level(),
                record.target(),
                message
            ))
        })
        .chain(file);
    base.chain(stderr)
        .chain(file)
        .apply()
        .map_err(|err| StartupError::Logging {
            detail: err.to_string(),
        })?;
    Ok(file_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_precedence() {
        let cases = [
            (None, false, LevelFilter::Info),
            (None, true, LevelFilter::Debug),
            (Some("WARN"), true, LevelFilter::Warn),
            (Some("trace"), false, LevelFilter::Trace),
            (Some("loud"), false, LevelFilter::Info),
            (Some("loud"), true, LevelFilter::Debug),
        ];
        for (env, verbose, expected) in cases {
            assert_eq!(log_level(env, verbose), expected, "{env:?} {verbose}");
        }
    }

    #[test]
    fn file_name_has_prefix_and_timestamp() {
        let path = log_file_path(Path::new("/logs"), true);
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("aw-server-rust-testing_20"), "{name}");
        assert!(name.ends_with(".log"));
        let name = log_file_path(Path::new("/logs"), false);
        assert!(name.to_str().unwrap().starts_with("/logs/aw-server-rust_"));
    }
}
