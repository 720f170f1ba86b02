//! Logging with fern: stderr and one file per start in the log dir (docs/API.md
//! §7.5). `LOG_LEVEL` overrides `--verbose`/testing.
//!
//! What must stay true: levels are coloured only when stderr is a terminal (journald
//! and log files get plain text); at most [`KEEP_LOG_FILES`] files per mode are kept
//! (the oldest go at start-up, failed starts included); Rocket's own "launched"
//! line (a WARN) and its per-request lines are left out unless asked for, since our
//! INFO "listening on" line and the error responses' own log lines say the same.
//!
//! [`init_logger`] is the native entry point (our binary); [`setup_logger`] is the
//! upstream-compatible one (`module`, `testing`, `verbose`), writing `<module>_….log`
//! into `get_log_dir(module)` with the same levels, format and rotation.

use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use fern::colors::{Color, ColoredLevelConfig};
use fern::InitError;
use log::{Level, LevelFilter};

/// How many log files of one mode (normal or testing) are kept, this start's included.
pub const KEEP_LOG_FILES: usize = 10;

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

/// The module name our server's log files start with.
const SERVER_MODULE: &str = "aw-server-rust";

/// `<log dir>/aw-server-rust_<local time>.log` (`aw-server-rust-testing_…` in testing).
pub fn log_file_path(log_dir: &Path, testing: bool) -> PathBuf {
    module_log_file_path(log_dir, SERVER_MODULE, testing)
}

fn module_log_file_path(log_dir: &Path, module: &str, testing: bool) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y-%m-%dT%H-%M-%S%z");
    log_dir.join(format!("{}{stamp}.log", log_prefix(module, testing)))
}

/// The file-name prefix of one module's and mode's log files.
fn log_prefix(module: &str, testing: bool) -> String {
    if testing {
        format!("{module}-testing_")
    } else {
        format!("{module}_")
    }
}

/// Deletes the oldest log files of this mode so that, with the one about to be
/// created, at most `keep` remain. Returns how many were deleted; a file that cannot
/// be deleted is skipped.
pub fn rotate_logs(log_dir: &Path, testing: bool, keep: usize) -> usize {
    rotate_module_logs(log_dir, SERVER_MODULE, testing, keep)
}

fn rotate_module_logs(log_dir: &Path, module: &str, testing: bool, keep: usize) -> usize {
    let prefix = log_prefix(module, testing);
    let Ok(entries) = fs::read_dir(log_dir) else {
        return 0;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with(&prefix) && name.ends_with(".log")
        })
        .filter_map(|entry| {
            let modified = entry.metadata().and_then(|meta| meta.modified()).ok()?;
            Some((modified, entry.path()))
        })
        .collect();
    files.sort();
    let excess = (files.len() + 1).saturating_sub(keep.max(1));
    files
        .into_iter()
        .take(excess)
        .filter(|(_, path)| fs::remove_file(path).is_ok())
        .count()
}

/// Installs the global logger, writing to `log_dir`. Call once, from `main`.
pub fn init_logger(log_dir: &Path, testing: bool, verbose: bool) -> Result<PathBuf, StartupError> {
    let (dispatch, file_path) = dispatch(log_dir, SERVER_MODULE, testing, verbose)?;
    dispatch.apply().map_err(|err| StartupError::Logging {
        detail: err.to_string(),
    })?;
    Ok(file_path)
}

/// Upstream-compatible: installs the global logger, writing
/// `<module>_<local time>.log` (`<module>-testing_…`) into `get_log_dir(module)`.
pub fn setup_logger(module: &str, testing: bool, verbose: bool) -> Result<(), InitError> {
    let log_dir = crate::dirs::get_log_dir(module).map_err(|()| {
        InitError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "cannot determine or create the log directory",
        ))
    })?;
    let (dispatch, _) = dispatch(&log_dir, module, testing, verbose).map_err(|err| match err {
        StartupError::Io { source, .. } => InitError::Io(source),
        other => InitError::Io(std::io::Error::other(other.to_string())),
    })?;
    dispatch.apply()?;
    Ok(())
}

/// The logger for `module` in `log_dir`, not yet installed, and its file.
fn dispatch(
    log_dir: &Path,
    module: &str,
    testing: bool,
    verbose: bool,
) -> Result<(fern::Dispatch, PathBuf), StartupError> {
    let env_value = std::env::var("LOG_LEVEL").ok();
    let level = log_level(env_value.as_deref(), verbose || testing);
    fs::create_dir_all(log_dir).map_err(|source| StartupError::Io {
        action: "create the log directory",
        path: log_dir.to_path_buf(),
        source,
    })?;
    rotate_module_logs(log_dir, module, testing, KEEP_LOG_FILES);
    let file_path = module_log_file_path(log_dir, module, testing);
    let file = fern::log_file(&file_path).map_err(|source| StartupError::Io {
        action: "open the log file",
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
    let request_detail = if asked_for_detail {
        framework_level
    } else {
        LevelFilter::Off
    };
    let colored = std::io::stderr().is_terminal();
    let base = fern::Dispatch::new()
        .level(level)
        .filter(|meta| {
            !(meta.target().starts_with("rocket::launch") && meta.level() == Level::Warn)
        })
        .level_for("rocket::server::_", request_detail)
        .level_for("rocket", framework_level)
        .level_for("_", framework_level)
        .level_for("launch_", framework_level)
        .level_for("hyper", LevelFilter::Warn);
    let stderr = fern::Dispatch::new()
        .format(move |out, message, record| {
            out.finish(format_args!(
                "[{}][{}][{}]: {}",
                chrono::Local::now().format("%Y-%m-%d %H:%M:%S"),
                if colored {
                    colors.color(record.level()).to_string()
                } else {
                    record.level().to_string()
                },
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
    Ok((base.chain(stderr).chain(file), file_path))
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
    fn rotation_keeps_the_newest_files_of_one_mode() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let start = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for index in 0..5u64 {
            let path = dir.join(format!("aw-server-rust_{index}.log"));
            fs::write(&path, "x").unwrap();
            let file = fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(start + std::time::Duration::from_secs(index))
                .unwrap();
        }
        fs::write(dir.join("aw-server-rust-testing_0.log"), "t").unwrap();
        fs::write(dir.join("other.txt"), "o").unwrap();
        assert_eq!(rotate_logs(dir, false, 3), 3);
        let mut left: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "aw-server-rust-testing_0.log",
                "aw-server-rust_3.log",
                "aw-server-rust_4.log",
                "other.txt"
            ]
        );
        assert_eq!(rotate_logs(&dir.join("missing"), false, 3), 0);
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
