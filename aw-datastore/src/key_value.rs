//! The `key_value` table: arbitrary JSON values under string keys (settings).

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{DatastoreError, Result};

/// The value under `key`; a stored text that is not JSON is reported, not panicked on.
pub fn get(conn: &Connection, key: &str) -> Result<serde_json::Value> {
    let text: Option<Option<String>> = conn
        .prepare_cached("SELECT value FROM key_value WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?;
    match text {
        None => Err(DatastoreError::NoSuchKey {
            key: key.to_string(),
        }),
        Some(text) => Ok(parse_value(text.as_deref(), key)),
    }
}

/// Every key that starts with `prefix` (exactly, case-sensitive), with its value.
pub fn get_prefixed(
    conn: &Connection,
    prefix: &str,
) -> Result<BTreeMap<String, serde_json::Value>> {
    // `>= prefix AND < prefix + U+10FFFF` walks the primary key index instead of LIKE,
    // which is case-insensitive and treats `_`/`%` in the prefix as wildcards.
    let upper = format!("{prefix}\u{10FFFF}");
    let mut stmt =
        conn.prepare_cached("SELECT key, value FROM key_value WHERE key >= ?1 AND key < ?2")?;
    let rows = stmt.query_map(params![prefix, upper], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
    })?;
    let mut values = BTreeMap::new();
    for row in rows {
        let (key, text) = row?;
        if key.starts_with(prefix) {
            let value = parse_value(text.as_deref(), &key);
            values.insert(key, value);
        }
    }
    Ok(values)
}

/// Stores `value` under `key` with the current time in seconds.
pub fn set(conn: &Connection, key: &str, value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_string());
    conn.prepare_cached(
        "INSERT OR REPLACE INTO key_value (key, value, last_modified) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![key, text, chrono::Utc::now().timestamp()])?;
    Ok(())
}

/// Removes `key` if present.
pub fn delete(conn: &Connection, key: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM key_value WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}

/// Stored text to JSON; text that is not JSON comes back as a string (logged).
fn parse_value(text: Option<&str>, key: &str) -> serde_json::Value {
    let Some(text) = text else {
        return serde_json::Value::Null;
    };
    serde_json::from_str(text).unwrap_or_else(|err| {
        log::warn!("stored value of {key:?} is not JSON ({err}); returning it as a string");
        serde_json::Value::String(text.to_string())
    })
}
