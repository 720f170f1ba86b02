//! What the Python aw-server kept outside its database, carried over so the
//! dashboard looks the same after the switch: its device id
//! (`<data dir>/aw-server/device_id`) and the web UI's settings (theme, categories,
//! … in `<config dir>/aw-server/settings.json`, `settings-testing.json` in testing
//! mode; one JSON object, key -> value, the keys of `/api/0/settings`).
//!
//! Both apply only where ours has none yet: the device id when we have no
//! `device_id` file, the settings on the start that creates our database (the
//! start that imports the Python database), and then only keys we lack. A
//! missing or unreadable Python file is not an error: start-up goes on.

use std::fs;
use std::io;
use std::path::Path;

use aw_datastore::native::Datastore;
use aw_datastore::DatastoreError;

use crate::dirs::{load_or_create_device_id, Dirs};

/// The longest settings key `/api/0/settings/<key>` accepts (docs/API.md §3.16).
const MAX_KEY_BYTES: usize = 127;

/// Our device id: ours if we have one, else the Python server's (copied into our
/// file), else a new one. `legacy` is false when legacy import is off.
pub fn device_id(dirs: &Dirs, legacy: bool) -> io::Result<String> {
    let ours = dirs.data_dir.join("device_id");
    if legacy && !ours.exists() {
        if let Some(python_id) = read_trimmed(&dirs.legacy_data_dir.join("device_id")) {
            fs::create_dir_all(&dirs.data_dir)?;
            fs::write(&ours, &python_id)?;
            log::info!("Using the Python aw-server's device id {python_id}");
            return Ok(python_id);
        }
    }
    load_or_create_device_id(&dirs.data_dir)
}

fn read_trimmed(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The Python server's settings file for this mode.
pub fn settings_path(dirs: &Dirs, testing: bool) -> std::path::PathBuf {
    let name = if testing {
        "settings-testing.json"
    } else {
        "settings.json"
    };
    dirs.legacy_config_dir.join(name)
}

/// Copies every setting of the Python server's `settings.json` that `datastore`
/// does not have; returns how many were copied. Problems are logged, not returned.
pub fn import_settings(datastore: &Datastore, path: &Path) -> usize {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return 0,
        Err(err) => {
            log::warn!("Not importing {}: {err}", path.display());
            return 0;
        }
    };
    let settings = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(settings)) => settings,
        Ok(_) => {
            log::warn!("Not importing {}: not a JSON object", path.display());
            return 0;
        }
        Err(err) => {
            log::warn!("Not importing {}: {err}", path.display());
            return 0;
        }
    };
    let mut copied = 0;
    for (key, value) in settings {
        if key.len() > MAX_KEY_BYTES {
            log::warn!("Not importing setting '{key}': keys are at most {MAX_KEY_BYTES} bytes");
            continue;
        }
        let storage_key = format!("settings.{key}");
        match datastore.get_key_value(&storage_key) {
            Err(DatastoreError::NoSuchKey { .. }) => {}
            Ok(_) => continue,
            Err(err) => {
                log::warn!("Not importing setting '{key}': {err}");
                continue;
            }
        }
        match datastore.set_key_value(&storage_key, value) {
            Ok(()) => copied += 1,
            Err(err) => log::warn!("Not importing setting '{key}': {err}"),
        }
    }
    log::info!(
        "Imported {copied} web UI settings from the Python aw-server ({})",
        path.display()
    );
    copied
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_fill_only_missing_keys() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("settings.json");
        let datastore = Datastore::open_in_memory().unwrap();
        datastore
            .set_key_value("settings.theme", "light".into())
            .unwrap();
        fs::write(
            &path,
            format!(
                r#"{{"theme": "dark", "classes": [{{"name": ["Work"]}}], "startOfDay": "04:00", "{}": 1}}"#,
                "k".repeat(128)
            ),
        )
        .unwrap();
        assert_eq!(import_settings(&datastore, &path), 2);
        assert_eq!(datastore.get_key_value("settings.theme").unwrap(), "light");
        assert_eq!(
            datastore.get_key_value("settings.classes").unwrap(),
            serde_json::json!([{"name": ["Work"]}])
        );
        for bad in ["[1]", "{", ""] {
            fs::write(&path, bad).unwrap();
            assert_eq!(import_settings(&datastore, &path), 0, "{bad}");
        }
        assert_eq!(import_settings(&datastore, &tmp.path().join("none")), 0);
    }

    #[test]
    fn device_id_prefers_ours_then_python_then_new() {
        let tmp = tempfile::tempdir().unwrap();
        let dirs = Dirs::under(tmp.path(), tmp.path(), tmp.path());
        fs::create_dir_all(&dirs.legacy_data_dir).unwrap();
        fs::write(dirs.legacy_data_dir.join("device_id"), "python-id\n").unwrap();
        assert_ne!(device_id(&dirs, false).unwrap(), "python-id");
        fs::remove_file(dirs.data_dir.join("device_id")).unwrap();
        assert_eq!(device_id(&dirs, true).unwrap(), "python-id");
        fs::write(dirs.data_dir.join("device_id"), "ours").unwrap();
        assert_eq!(device_id(&dirs, true).unwrap(), "ours");
    }
}
