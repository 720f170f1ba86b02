//! Where the server keeps its files (docs/API.md §7.3), and the device id stored there (§7.9).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::StartupError;

pub use crate::upstream_dirs::{db_path, get_cache_dir, get_config_dir, get_data_dir, get_log_dir};

const APP_DIR: &str = "activitywatch";
const SERVER_DIR: &str = "aw-server-rust";

/// The per-user directories of the server. Nothing is created until it is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    /// `$XDG_CONFIG_HOME/activitywatch/aw-server-rust`: `config.toml`.
    pub config_dir: PathBuf,
    /// `$XDG_DATA_HOME/activitywatch/aw-server-rust`: the database and `device_id`.
    pub data_dir: PathBuf,
    /// `$XDG_CACHE_HOME/activitywatch/log/aw-server-rust`: one log file per start.
    pub log_dir: PathBuf,
    /// `$XDG_DATA_HOME/activitywatch/aw-server/peewee-sqlite.v2.db`: the Python server's DB.
    pub legacy_db: PathBuf,
    /// `$XDG_DATA_HOME/activitywatch/aw-server`: the Python server's data (`device_id`).
    pub legacy_data_dir: PathBuf,
    /// `$XDG_CONFIG_HOME/activitywatch/aw-server`: the Python server's config
    /// (`settings.json`, the web UI's settings).
    pub legacy_config_dir: PathBuf,
}

impl Dirs {
    /// The platform directories (XDG on Linux), or an error if the home directory is unknown.
    pub fn from_env() -> Result<Dirs, StartupError> {
        let missing = |what: &str| StartupError::NoDirectory {
            what: what.to_string(),
        };
        let config_base = dirs::config_dir().ok_or_else(|| missing("config"))?;
        let data_base = dirs::data_dir().ok_or_else(|| missing("data"))?;
        let cache_base = dirs::cache_dir().ok_or_else(|| missing("cache"))?;
        Ok(Dirs::under(&config_base, &data_base, &cache_base))
    }

    /// The layout below explicit base directories (used by tests and by `from_env`).
    pub fn under(config_base: &Path, data_base: &Path, cache_base: &Path) -> Dirs {
        Dirs {
            config_dir: config_base.join(APP_DIR).join(SERVER_DIR),
            data_dir: data_base.join(APP_DIR).join(SERVER_DIR),
            log_dir: cache_base.join(APP_DIR).join("log").join(SERVER_DIR),
            legacy_db: data_base
                .join(APP_DIR)
                .join("aw-server")
                .join("peewee-sqlite.v2.db"),
            legacy_data_dir: data_base.join(APP_DIR).join("aw-server"),
            legacy_config_dir: config_base.join(APP_DIR).join("aw-server"),
        }
    }
}

/// Reads `<data_dir>/device_id`, or creates it with a new random UUID.
///
/// Unlike upstream the content is trimmed, so a file edited by hand (with a
/// trailing newline) still gives the intended id; an empty file gets a new id.
pub fn load_or_create_device_id(data_dir: &Path) -> io::Result<String> {
    let path = data_dir.join("device_id");
    match fs::read_to_string(&path) {
        Ok(content) if !content.trim().is_empty() => return Ok(content.trim().to_string()),
        Ok(_) => {}
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }
    fs::create_dir_all(data_dir)?;
    let device_id = uuid::Uuid::new_v4().to_string();
    fs::write(&path, &device_id)?;
    Ok(device_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_upstream() {
        let dirs = Dirs::under(Path::new("/c"), Path::new("/d"), Path::new("/k"));
        assert_eq!(
            dirs.config_dir,
            Path::new("/c/activitywatch/aw-server-rust")
        );
        assert_eq!(dirs.data_dir, Path::new("/d/activitywatch/aw-server-rust"));
        assert_eq!(
            dirs.log_dir,
            Path::new("/k/activitywatch/log/aw-server-rust")
        );
        assert_eq!(
            dirs.legacy_db,
            Path::new("/d/activitywatch/aw-server/peewee-sqlite.v2.db")
        );
    }

    #[test]
    fn device_id_is_created_once_and_trimmed() {
        let tmp = tempfile::tempdir().unwrap();
        let data_dir = tmp.path().join("data");
        let first = load_or_create_device_id(&data_dir).unwrap();
        assert_eq!(first.len(), 36);
        assert_eq!(load_or_create_device_id(&data_dir).unwrap(), first);
        fs::write(data_dir.join("device_id"), "my-id\n").unwrap();
        assert_eq!(load_or_create_device_id(&data_dir).unwrap(), "my-id");
        fs::write(data_dir.join("device_id"), " \n").unwrap();
        let fresh = load_or_create_device_id(&data_dir).unwrap();
        assert_eq!(fresh.len(), 36);
        assert_ne!(fresh, first);
    }
}
