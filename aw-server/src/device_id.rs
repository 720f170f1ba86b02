//! Upstream-compatible `aw_server::device_id::get_device_id`: the id this machine
//! reports in `/api/0/info` (API.md §7.9), stored in `<data dir>/device_id`.
//!
//! What must stay true: it never panics. Upstream's signature returns a plain
//! `String`, so when the id cannot be read or stored, the failure is logged and a
//! fresh id is returned for this run only.

use crate::dirs::{get_data_dir, load_or_create_device_id};

/// The stored device id, created (a random UUID) on first use; trimmed, as
/// [`load_or_create_device_id`] reads it.
pub fn get_device_id() -> String {
    let stored = get_data_dir()
        .map_err(|()| String::from("no user data directory"))
        .and_then(|data_dir| {
            load_or_create_device_id(&data_dir)
                .map_err(|err| format!("{}: {err}", data_dir.join("device_id").display()))
        });
    match stored {
        Ok(device_id) => device_id,
        Err(reason) => {
            let device_id = uuid::Uuid::new_v4().to_string();
            log::error!(
                "Cannot read or store the device id ({reason}); using {device_id} for this run"
            );
            device_id
        }
    }
}
