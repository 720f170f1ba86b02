//! `settings get|set|delete`: the server's key-value settings (those of the web UI),
//! and `privacy-apply` / `retention-apply`, which act on what those settings and the
//! server's config say.
//!
//! What must stay true: `get KEY` prints the stored JSON value as is, so
//! `settings set KEY "$(settings get KEY)"` writes back the same value.

use std::io::Write;

use serde_json::Value;

use crate::cli::args::{SettingsCommand, SweepArgs};
use crate::cli::buckets::write_json;
use crate::cli::error::CliError;
use crate::cli::Ctx;

/// Runs one `settings` subcommand.
pub fn settings(ctx: &Ctx, command: &SettingsCommand, out: &mut dyn Write) -> Result<(), CliError> {
    match command {
        SettingsCommand::Get { key: None } => {
            let all = ctx.client.get_settings().map_err(|err| ctx.fail(err))?;
            write_json(out, &all)
        }
        SettingsCommand::Get { key: Some(key) } => {
            let value = ctx.client.get_setting(key).map_err(|err| ctx.fail(err))?;
            write_json(out, &value)
        }
        SettingsCommand::Set { key, value } => {
            let value = parse_value(value);
            ctx.client
                .set_setting(key, &value)
                .map_err(|err| ctx.fail(err))?;
            writeln!(
                out,
                "Set {key} = {}",
                serde_json::to_string(&value).unwrap_or_default()
            )
            .map_err(CliError::output)
        }
        SettingsCommand::Delete { key } => {
            ctx.client
                .delete_setting(key)
                .map_err(|err| ctx.fail(err))?;
            writeln!(out, "Deleted {key}").map_err(CliError::output)
        }
    }
}

/// `privacy-apply [--dry-run]`: the server's JSON answer (counts per bucket).
pub fn privacy_apply(ctx: &Ctx, args: &SweepArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let report = ctx
        .client
        .apply_privacy_filters(args.dry_run)
        .map_err(|err| ctx.fail(err))?;
    write_json(out, &report)
}

/// `retention-apply [--dry-run]`: the server's JSON answer (counts per bucket).
pub fn retention_apply(ctx: &Ctx, args: &SweepArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let report = ctx
        .client
        .apply_retention(args.dry_run)
        .map_err(|err| ctx.fail(err))?;
    write_json(out, &report)
}

/// VALUE as JSON when it is JSON (`true`, `5`, `"5"`, `{"a":1}`), else as text.
fn parse_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_json_when_they_parse() {
        assert_eq!(parse_value("dark"), json!("dark"));
        assert_eq!(parse_value("\"5\""), json!("5"));
        assert_eq!(parse_value("5"), json!(5));
        assert_eq!(parse_value("true"), json!(true));
        assert_eq!(parse_value("{\"a\": [1]}"), json!({"a": [1]}));
        assert_eq!(parse_value("04:00"), json!("04:00"));
    }
}
