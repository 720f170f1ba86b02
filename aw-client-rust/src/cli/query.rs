//! The query commands: `query FILE`, `report HOST` and `canonical HOST`, built on
//! the crate's query builders (the same queries aw-webui sends).
//!
//! What must stay true: `--json` prints the server's result untouched; the tables
//! are a reading aid, never the only way to get the numbers.

use std::io::Write;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use aw_client_rust::queries::{
    categories_from_settings, default_categories, full_desktop_query, Category, DesktopQueryParams,
    QueryParams,
};

use crate::cli::args::{CanonicalArgs, Period, QueryArgs, ReportArgs};
use crate::cli::buckets::write_json;
use crate::cli::error::CliError;
use crate::cli::table::{format_seconds, format_time, write_table};
use crate::cli::time::{parse_time, parse_zone, FixedOffsetOrLocal};
use crate::cli::Ctx;

/// Rows shown by `query` and `canonical`, as in the Python CLI.
const SHOWN_EVENTS: usize = 10;

/// The period and zone of a command; defaults from a day ago to a year ahead.
fn resolve(
    period: &Period,
) -> Result<(DateTime<Utc>, DateTime<Utc>, FixedOffsetOrLocal), CliError> {
    let zone = parse_zone(&period.zone.timezone)?;
    let now = Utc::now();
    let start = match &period.start {
        Some(text) => parse_time(text, &zone)?,
        None => now - TimeDelta::days(1),
    };
    let stop = match &period.stop {
        Some(text) => parse_time(text, &zone)?,
        None => now + TimeDelta::days(365),
    };
    if stop < start {
        return Err(CliError::Usage(String::from("--stop is before --start")));
    }
    Ok((start, stop, zone))
}

/// `query FILE`: runs the program in FILE over the period.
pub fn query(ctx: &Ctx, args: &QueryArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let (start, stop, _zone) = resolve(&args.period)?;
    let code =
        std::fs::read_to_string(&args.path).map_err(|err| CliError::file(&args.path, err))?;
    let result = ctx
        .client
        .query(&code, vec![(start, stop)])
        .map_err(|err| ctx.fail(err))?;
    if args.json {
        return write_json(out, &result);
    }
    for period in &result {
        let Some(events) = period.as_array() else {
            write_json(out, period)?;
            continue;
        };
        let shown = events.len().min(SHOWN_EVENTS);
        writeln!(out, "Showing {shown} of {} events:", events.len()).map_err(CliError::output)?;
        let rows: Vec<Vec<String>> = events
            .iter()
            .take(SHOWN_EVENTS)
            .map(|event| vec![format_seconds(seconds(event)), compact_data(event)])
            .collect();
        write_table(out, &["DURATION", "DATA"], &rows).map_err(CliError::output)?;
        let total: f64 = events.iter().map(seconds).sum();
        writeln!(out, "Total duration: {}", format_seconds(total)).map_err(CliError::output)?;
    }
    Ok(())
}

/// The user's categories (the web UI's `classes` setting), or the defaults when
/// none are stored.
fn categories(ctx: &Ctx) -> Result<Vec<Category>, CliError> {
    let classes = ctx
        .client
        .get_setting("classes")
        .map_err(|err| ctx.fail(err))?;
    let categories = categories_from_settings(&classes);
    Ok(if categories.is_empty() {
        default_categories()
    } else {
        categories
    })
}

fn desktop_params(ctx: &Ctx, hostname: &str) -> Result<DesktopQueryParams, CliError> {
    let mut params = DesktopQueryParams::for_host(hostname);
    params.categories = Some(categories(ctx)?);
    Ok(params)
}

/// `report HOST`: top categories and titles and the total active time.
pub fn report(ctx: &Ctx, args: &ReportArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let (start, stop, zone) = resolve(&args.period)?;
    let query = full_desktop_query(&desktop_params(ctx, &args.hostname)?);
    let result = ctx
        .client
        .query_lines(&query, vec![(start, stop)])
        .map_err(|err| ctx.fail(err))?;
    if args.json {
        return write_json(out, &result);
    }
    for period in &result {
        let window = field(period, "window");
        writeln!(
            out,
            "Activity of {} from {} to {}",
            args.hostname,
            format_time(&start, &zone),
            format_time(&stop, &zone)
        )
        .map_err(CliError::output)?;
        let categories = top(window, "cat_events", args.limit, |event| {
            vec![category_name(event)]
        });
        write_section(out, "categories", categories, &["DURATION", "CATEGORY"])?;
        let titles = top(window, "title_events", args.limit, |event| {
            vec![text(event, "app"), text(event, "title")]
        });
        write_section(out, "titles", titles, &["DURATION", "APP", "TITLE"])?;
        let total = field(window, "duration").as_f64().unwrap_or(0.0);
        writeln!(out, "\nTotal active time: {}", format_seconds(total))
            .map_err(CliError::output)?;
    }
    Ok(())
}

/// The first `limit` events of `window[key]` (already sorted by duration) as rows,
/// and how many there are.
fn top(
    window: &Value,
    key: &str,
    limit: usize,
    columns: impl Fn(&Value) -> Vec<String>,
) -> (usize, Vec<Vec<String>>) {
    let events = window[key]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let rows = events
        .iter()
        .take(limit)
        .map(|event| {
            let mut row = vec![format_seconds(seconds(event))];
            row.extend(columns(event));
            row
        })
        .collect();
    (events.len(), rows)
}

fn write_section(
    out: &mut dyn Write,
    name: &str,
    (total, rows): (usize, Vec<Vec<String>>),
    headers: &[&str],
) -> Result<(), CliError> {
    writeln!(out, "\nTop {} {name} (of {total})", rows.len()).map_err(CliError::output)?;
    write_table(out, headers, &rows).map_err(CliError::output)
}

/// `canonical HOST`: the most recent canonical events and their total.
pub fn canonical(ctx: &Ctx, args: &CanonicalArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let (start, stop, zone) = resolve(&args.period)?;
    let mut query = QueryParams::Desktop(desktop_params(ctx, &args.hostname)?).canonical_events();
    query.push(String::from("RETURN = events;"));
    let result = ctx
        .client
        .query_lines(&query, vec![(start, stop)])
        .map_err(|err| ctx.fail(err))?;
    if args.json {
        return write_json(out, &result);
    }
    for period in &result {
        let mut events: Vec<&Value> = period
            .as_array()
            .map(|e| e.iter().collect())
            .unwrap_or_default();
        events.sort_by_key(|event| std::cmp::Reverse(text(event, "timestamp")));
        let shown = events.len().min(SHOWN_EVENTS);
        writeln!(out, "Showing the last {shown} of {} events:", events.len())
            .map_err(CliError::output)?;
        let rows: Vec<Vec<String>> = events
            .iter()
            .take(SHOWN_EVENTS)
            .map(|event| {
                let timestamp = aw_models::time::parse_json_datetime(&text(event, "timestamp"))
                    .map(|t| format_time(&t, &zone))
                    .unwrap_or_default();
                vec![
                    timestamp,
                    format_seconds(seconds(event)),
                    category_name(event),
                    text(event, "app"),
                    shorten(&text(event, "title"), 60),
                ]
            })
            .collect();
        write_table(
            out,
            &["TIMESTAMP", "DURATION", "CATEGORY", "APP", "TITLE"],
            &rows,
        )
        .map_err(CliError::output)?;
        let total: f64 = events.iter().map(|event| seconds(event)).sum();
        writeln!(out, "Total duration: {}", format_seconds(total)).map_err(CliError::output)?;
    }
    Ok(())
}

static NULL: Value = Value::Null;

/// `value[key]`, or `null` when absent (indexing a `Value` is not allowed here).
fn field<'v>(value: &'v Value, key: &str) -> &'v Value {
    value.get(key).unwrap_or(&NULL)
}

fn seconds(event: &Value) -> f64 {
    field(event, "duration").as_f64().unwrap_or(0.0)
}

fn compact_data(event: &Value) -> String {
    serde_json::to_string(field(event, "data")).unwrap_or_default()
}

/// A data field as text (strings without quotes, anything else as JSON).
fn text(event: &Value, key: &str) -> String {
    let value = event
        .get("data")
        .and_then(|data| data.get(key))
        .or_else(|| event.get(key));
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// `$category` (`["Work", "Programming"]`) as `Work > Programming`.
fn category_name(event: &Value) -> String {
    match field(field(event, "data"), "$category") {
        Value::Array(parts) => parts
            .iter()
            .map(|part| {
                part.as_str()
                    .map_or_else(|| part.to_string(), str::to_string)
            })
            .collect::<Vec<_>>()
            .join(" > "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// At most `max` characters, the cut marked with `...`.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(3)).collect();
    format!("{}...", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_shortening() {
        let event = json!({"timestamp": "2024-01-01T00:00:00Z", "duration": 5.0,
            "data": {"$category": ["Work", "Programming"], "app": "vim", "n": 3}});
        assert_eq!(category_name(&event), "Work > Programming");
        assert_eq!(text(&event, "app"), "vim");
        assert_eq!(text(&event, "n"), "3");
        assert_eq!(text(&event, "timestamp"), "2024-01-01T00:00:00Z");
        assert_eq!(text(&event, "missing"), "");
        assert_eq!(shorten("abcdef", 6), "abcdef");
        assert_eq!(shorten("abcdefgh", 6), "abc...");
    }
}
