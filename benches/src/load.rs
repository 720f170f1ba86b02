//! `aw-bench load`: imports an export file into a server in chunks and checks the
//! per-bucket event counts afterwards.
//!
//! Events are forwarded as raw JSON (never re-encoded) and sent oldest first in chunks of
//! `chunk_events`. The first chunk of a bucket goes through `POST /api/0/import`, which
//! creates the bucket with its attributes from the file. The remaining chunks go either
//! through `POST /api/0/buckets/<id>/events` ([`ChunkMode::Insert`], works on every server,
//! including the Python one whose import refuses existing buckets) or through the
//! import again ([`ChunkMode::Import`]: the merge/dedup path of docs/API.md §3.14).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::client::{bucket_path, Server};
use crate::error::{BenchError, Result};

/// How the chunks after a bucket's first are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkMode {
    /// `POST /api/0/buckets/<id>/events` (plain insert).
    Insert,
    /// `POST /api/0/import` into the now existing bucket (merge with dedup).
    Import,
}

/// What to load, where.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Server base URL.
    pub url: String,
    /// Export file to import.
    pub file: PathBuf,
    /// Events per request.
    pub chunk_events: usize,
    /// How later chunks are sent.
    pub mode: ChunkMode,
    /// Delete buckets of the same id first instead of refusing.
    pub replace: bool,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// What happened to one bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedBucket {
    /// Bucket id.
    pub id: String,
    /// Events in the file (and, verified, on the server).
    pub events: u64,
    /// False when the server already held exactly this bucket and nothing was sent.
    pub sent: bool,
    /// Time spent sending this bucket.
    pub elapsed: Duration,
}

#[derive(Deserialize)]
struct FileExport<'a> {
    #[serde(borrow)]
    buckets: BTreeMap<String, FileBucket<'a>>,
}

/// A bucket as read from the file: the attributes the import needs, events left raw.
#[derive(Deserialize)]
struct FileBucket<'a> {
    id: Option<String>,
    #[serde(rename = "type")]
    bucket_type: String,
    client: String,
    hostname: String,
    created: Option<String>,
    #[serde(default)]
    data: serde_json::Map<String, serde_json::Value>,
    #[serde(borrow, default)]
    events: Vec<&'a RawValue>,
}

#[derive(Serialize)]
struct ImportDoc<'a> {
    buckets: BTreeMap<&'a str, ImportBucket<'a>>,
}

#[derive(Serialize)]
struct ImportBucket<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    bucket_type: &'a str,
    client: &'a str,
    hostname: &'a str,
    created: &'a str,
    data: &'a serde_json::Map<String, serde_json::Value>,
    events: &'a [&'a RawValue],
}

#[derive(Deserialize)]
struct Stamp {
    timestamp: String,
}

/// Loads `config.file` into the server; returns one line per bucket, in file order.
pub fn load(config: &LoadConfig) -> Result<Vec<LoadedBucket>> {
    if config.chunk_events == 0 {
        return Err(BenchError::invalid("--chunk must be at least 1"));
    }
    let text =
        std::fs::read_to_string(&config.file).map_err(BenchError::io("read", &config.file))?;
    let export: FileExport<'_> =
        serde_json::from_str(&text).map_err(|source| BenchError::Json {
            context: config.file.display().to_string(),
            source,
        })?;
    let server = Server::new(&config.url, config.timeout)?;
    let existing: BTreeMap<String, serde_json::Value> = server.get_json("/api/0/buckets/")?;
    let mut loaded = Vec::with_capacity(export.buckets.len());
    for (key, bucket) in &export.buckets {
        let id = bucket.id.as_deref().unwrap_or(key);
        let started = Instant::now();
        let expected = bucket.events.len() as u64;
        let sent = if existing.contains_key(id) {
            prepare_existing(&server, id, expected, config.replace)?
        } else {
            true
        };
        if sent {
            send_bucket(&server, id, bucket, &config.file, config)?;
        }
        let actual: u64 = server.get_json(&bucket_path(id, "/events/count"))?;
        if actual != expected {
            return Err(BenchError::CountMismatch {
                bucket_id: id.to_string(),
                expected,
                actual,
            });
        }
        loaded.push(LoadedBucket {
            id: id.to_string(),
            events: expected,
            sent,
            elapsed: started.elapsed(),
        });
    }
    Ok(loaded)
}

/// Decides what to do with a bucket the server already has: skip it when it already
/// holds the file's number of events, delete it with `--replace`, refuse otherwise.
fn prepare_existing(server: &Server, id: &str, expected: u64, replace: bool) -> Result<bool> {
    let count: u64 = server.get_json(&bucket_path(id, "/events/count"))?;
    if replace {
        server.delete(&bucket_path(id, "?force=1"))?;
        return Ok(true);
    }
    if count == expected {
        eprintln!("{id}: already on the server with {count} events, skipped");
        return Ok(false);
    }
    Err(BenchError::invalid(format!(
        "bucket {id} already exists with {count} events (the file has {expected}); \
         use --replace or a fresh server"
    )))
}

fn send_bucket(
    server: &Server,
    id: &str,
    bucket: &FileBucket<'_>,
    file: &Path,
    config: &LoadConfig,
) -> Result<()> {
    let events = sorted_oldest_first(&bucket.events, file)?;
    let created = match (&bucket.created, events.first()) {
        (Some(created), _) => created.clone(),
        (None, Some(first)) => stamp(first, file)?,
        (None, None) => "1970-01-01T00:00:00Z".to_string(),
    };
    let mut chunks = events.chunks(config.chunk_events);
    let first_chunk = chunks.next().unwrap_or(&[]);
    let import = |chunk: &[&RawValue]| {
        let doc = ImportDoc {
            buckets: BTreeMap::from([(
                id,
                ImportBucket {
                    id,
                    bucket_type: &bucket.bucket_type,
                    client: &bucket.client,
                    hostname: &bucket.hostname,
                    created: &created,
                    data: &bucket.data,
                    events: chunk,
                },
            )]),
        };
        server.post_json("/api/0/import", &doc).map(drop)
    };
    import(first_chunk)?;
    let mut done = first_chunk.len();
    for chunk in chunks {
        match config.mode {
            ChunkMode::Insert => server
                .post_json(&bucket_path(id, "/events"), &chunk)
                .map(drop)?,
            ChunkMode::Import => import(chunk)?,
        }
        done += chunk.len();
        eprintln!("{id}: {done}/{} events sent", events.len());
    }
    Ok(())
}

fn stamp(event: &RawValue, file: &Path) -> Result<String> {
    let stamp: Stamp = serde_json::from_str(event.get()).map_err(|source| BenchError::Json {
        context: format!("an event of {}", file.display()),
        source,
    })?;
    Ok(stamp.timestamp)
}

/// The events ordered by start time (oldest first), so that every chunk covers a
/// contiguous stretch of time and an import-merge only re-reads its own stretch.
fn sorted_oldest_first<'a>(events: &[&'a RawValue], file: &Path) -> Result<Vec<&'a RawValue>> {
    let mut keyed = Vec::with_capacity(events.len());
    for event in events {
        let text = stamp(event, file)?;
        let time = aw_models::time::parse_json_datetime(&text).map_err(|err| {
            BenchError::invalid(format!(
                "bad timestamp {text:?} in {}: {err}",
                file.display()
            ))
        })?;
        keyed.push((time, *event));
    }
    keyed.sort_by_key(|(time, _)| *time);
    Ok(keyed.into_iter().map(|(_, event)| event).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_sorted_by_parsed_time_not_text() {
        let a =
            RawValue::from_string(r#"{"timestamp":"2024-01-01T10:00:00+02:00","data":{}}"#.into())
                .unwrap();
        let b = RawValue::from_string(r#"{"timestamp":"2024-01-01T09:00:00Z","data":{}}"#.into())
            .unwrap();
        let sorted = sorted_oldest_first(&[&b, &a], Path::new("x")).unwrap();
        assert_eq!(sorted[0].get(), a.get());
    }

    #[test]
    fn the_import_body_keeps_events_verbatim() {
        let event = RawValue::from_string(
            r#"{"timestamp":"2024-01-01T09:00:00Z","duration":1,"data":{"b":1,"a":2}}"#.into(),
        )
        .unwrap();
        let data = serde_json::Map::new();
        let events = [&*event];
        let doc = ImportDoc {
            buckets: BTreeMap::from([(
                "b1",
                ImportBucket {
                    id: "b1",
                    bucket_type: "t",
                    client: "c",
                    hostname: "h",
                    created: "2024-01-01T00:00:00Z",
                    data: &data,
                    events: &events,
                },
            )]),
        };
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"buckets":{"b1":{"id":"b1","type":"t","client":"c","hostname":"h","created":"2024-01-01T00:00:00Z","data":{},"events":[{"timestamp":"2024-01-01T09:00:00Z","duration":1,"data":{"b":1,"a":2}}]}}}"#
        );
    }
}
