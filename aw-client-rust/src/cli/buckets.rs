//! The bucket and event commands: `buckets`, `events`, `heartbeat` and
//! `delete-bucket`.
//!
//! What must stay true: `delete-bucket` never deletes without a "yes", either
//! `--yes` or an answer typed at a terminal.

use std::collections::BTreeSet;
use std::io::{self, BufRead, IsTerminal, Write};

use chrono::{TimeDelta, Utc};
use serde_json::Value;

use aw_client_rust::{Event, JsonMap};

use crate::cli::args::{BucketsArgs, DeleteBucketArgs, EventsArgs, Format, HeartbeatArgs};
use crate::cli::error::CliError;
use crate::cli::table::{
    compact, csv_cell, format_duration, format_time, write_csv_record, write_table,
};
use crate::cli::time::{parse_time, parse_zone, FixedOffsetOrLocal};
use crate::cli::Ctx;

/// `buckets`: one row per bucket, sorted by id.
pub fn list(ctx: &Ctx, args: &BucketsArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let zone = parse_zone(&args.zone.timezone)?;
    let buckets = ctx.client.get_buckets().map_err(|err| ctx.fail(err))?;
    let buckets: std::collections::BTreeMap<_, _> = buckets.into_iter().collect();
    if args.json {
        return write_json(out, &buckets);
    }
    let time =
        |t: Option<&chrono::DateTime<Utc>>| t.map(|t| format_time(t, &zone)).unwrap_or_default();
    let rows: Vec<Vec<String>> = buckets
        .values()
        .map(|bucket| {
            vec![
                bucket.id.clone(),
                bucket.bucket_type.clone(),
                bucket.client.clone(),
                bucket.hostname.clone(),
                time(bucket.created.as_ref()),
            ]
        })
        .collect();
    let headers = ["ID", "TYPE", "CLIENT", "HOSTNAME", "CREATED"];
    write_table(out, &headers, &rows).map_err(CliError::output)
}

/// `events`: the bucket's events in the chosen format.
pub fn events(ctx: &Ctx, args: &EventsArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let zone = parse_zone(&args.zone.timezone)?;
    let start = args
        .start
        .as_deref()
        .map(|t| parse_time(t, &zone))
        .transpose()?;
    let end = args
        .end
        .as_deref()
        .map(|t| parse_time(t, &zone))
        .transpose()?;
    let events = ctx
        .client
        .get_events(&args.bucket_id, start, end, args.limit)
        .map_err(|err| ctx.fail_bucket(err, &args.bucket_id))?;
    let format = if args.json { Format::Json } else { args.format };
    match format {
        Format::Json => write_json(out, &events),
        Format::Table => write_event_table(out, &events, &zone),
        Format::Csv => write_event_csv(out, &events).map_err(CliError::output),
    }
}

fn write_event_table(
    out: &mut dyn Write,
    events: &[Event],
    zone: &FixedOffsetOrLocal,
) -> Result<(), CliError> {
    let rows: Vec<Vec<String>> = events.iter().map(|event| event_row(event, zone)).collect();
    write_table(out, &["ID", "TIMESTAMP", "DURATION", "DATA"], &rows).map_err(CliError::output)
}

fn event_row(event: &Event, zone: &FixedOffsetOrLocal) -> Vec<String> {
    vec![
        event.id.map(|id| id.to_string()).unwrap_or_default(),
        format_time(&event.timestamp, zone),
        format_duration(event.duration),
        compact(&Value::Object(event.data.clone())),
    ]
}

/// `id,timestamp,duration,<data keys…>`; a data key equal to one of the first
/// three column names is written as `data.<key>`.
fn write_event_csv(out: &mut dyn Write, events: &[Event]) -> io::Result<()> {
    let keys: BTreeSet<&String> = events.iter().flat_map(|event| event.data.keys()).collect();
    let mut header: Vec<String> = ["id", "timestamp", "duration"].map(String::from).to_vec();
    header.extend(keys.iter().map(|key| match key.as_str() {
        "id" | "timestamp" | "duration" => format!("data.{key}"),
        _ => key.to_string(),
    }));
    write_csv_record(out, &header)?;
    for event in events {
        let mut record = vec![
            event.id.map(|id| id.to_string()).unwrap_or_default(),
            aw_models::time::format_datetime(&event.timestamp),
            aw_models::time::duration_to_secs(&event.duration).to_string(),
        ];
        record.extend(keys.iter().map(|key| csv_cell(event.data.get(*key))));
        write_csv_record(out, &record)?;
    }
    Ok(())
}

/// `heartbeat`: an event starting now with duration 0 and the given data.
pub fn heartbeat(ctx: &Ctx, args: &HeartbeatArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let data: JsonMap = match serde_json::from_str::<Value>(&args.data) {
        Ok(Value::Object(data)) => data,
        _ => {
            return Err(CliError::Usage(format!(
                "DATA must be a JSON object, e.g. '{{\"label\": \"reading\"}}', not {}",
                args.data
            )))
        }
    };
    if !args.pulsetime.is_finite() || args.pulsetime < 0.0 {
        return Err(CliError::Usage(String::from(
            "--pulsetime must be a number of seconds >= 0",
        )));
    }
    let event = Event::new(Utc::now(), TimeDelta::zero(), data);
    let stored = ctx
        .client
        .heartbeat(&args.bucket_id, &event, args.pulsetime)
        .map_err(|err| ctx.fail_bucket(err, &args.bucket_id))?;
    if args.json {
        return write_json(out, &stored);
    }
    let row = event_row(&stored, &FixedOffsetOrLocal::Local);
    write_table(out, &["ID", "TIMESTAMP", "DURATION", "DATA"], &[row]).map_err(CliError::output)
}

/// `delete-bucket`: asks at a terminal unless `--yes`; refuses without either.
pub fn delete(ctx: &Ctx, args: &DeleteBucketArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let count = ctx
        .client
        .get_event_count(&args.id)
        .map_err(|err| ctx.fail_bucket(err, &args.id))?;
    if !args.yes {
        confirm(&format!(
            "Delete bucket '{}' and its {count} events? [y/N] ",
            args.id
        ))?;
    }
    ctx.client
        .delete_bucket(&args.id)
        .map_err(|err| ctx.fail_bucket(err, &args.id))?;
    writeln!(out, "Deleted bucket '{}' ({count} events).", args.id).map_err(CliError::output)
}

fn confirm(question: &str) -> Result<(), CliError> {
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::Usage(String::from(
            "not deleting without confirmation: pass --yes (stdin is not a terminal)",
        )));
    }
    eprint!("{question}");
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(CliError::output)?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(CliError::Cancelled),
    }
}

/// Pretty JSON and a newline.
pub fn write_json<T: serde::Serialize + ?Sized>(
    out: &mut dyn Write,
    value: &T,
) -> Result<(), CliError> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(|err| CliError::output(err.into()))?;
    writeln!(out).map_err(CliError::output)
}
