//! The bulk-write rows, built from the server's own `GET /api/0/export` (fetched once,
//! untimed): `import_full` times `POST /api/0/import` of every bucket under a new name
//! (`<id>-benchimport-<pid>-<n>`, map key and `id` alike), and `post_events_full` times one
//! `POST /api/0/buckets/aw-bench-post-<pid>-<n>/events` holding every event of every
//! bucket. Events are sent without ids, because ids are honoured on import and insert and
//! would overwrite the originals. With `--pid` the server's RSS is sampled meanwhile.
//!
//! What must stay true: every bucket a row creates has a fresh name (upstream refuses to
//! import into an existing bucket), its event count is checked after the timed request,
//! and it is deleted afterwards (untimed), also when the row fails.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::memory::{mib_metric, rss_now, with_peak_rss};
use super::target::{is_scratch, IMPORT_MARK, POST_PREFIX};
use super::Bench;
use crate::client::{bucket_path, Server};
use crate::error::{BenchError, Result};
use crate::report::{percentile, Better, Metric, Row};

const GROUP: &str = "Bulk writes (the whole dataset in one request)";
const IMPORT_ID: &str = "import_full";
const POST_ID: &str = "post_events_full";

#[derive(Deserialize)]
struct Export<'a> {
    #[serde(borrow)]
    buckets: BTreeMap<String, ExportedBucket<'a>>,
}

/// A bucket of the export: the attributes an import needs, events kept raw.
#[derive(Deserialize)]
struct ExportedBucket<'a> {
    #[serde(default)]
    id: Option<String>,
    #[serde(rename = "type")]
    bucket_type: String,
    client: String,
    hostname: String,
    #[serde(default)]
    created: Option<String>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    events: Vec<Event<'a>>,
}

/// An event without its id (serde drops the `id` field on the way in).
#[derive(Serialize, Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    timestamp: &'a RawValue,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    duration: Option<&'a RawValue>,
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Serialize)]
struct ImportBucket<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    bucket_type: &'a str,
    client: &'a str,
    hostname: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a RawValue>,
    events: &'a [Event<'a>],
}

#[derive(Serialize)]
struct ImportDoc<'a> {
    buckets: BTreeMap<String, ImportBucket<'a>>,
}

/// Buckets this row created, deleted when dropped.
struct Created<'a> {
    server: &'a Server,
    ids: Vec<String>,
}

impl Created<'_> {
    /// Deletes `id` if a failed earlier run left it behind, and remembers it for later.
    fn claim(&mut self, id: String) -> Result<()> {
        match self.server.delete(&bucket_path(&id, "?force=1")) {
            Err(err) if !err.is_not_found() => return Err(err),
            _ => {}
        }
        self.ids.push(id);
        Ok(())
    }
}

impl Drop for Created<'_> {
    fn drop(&mut self) {
        for id in &self.ids {
            if let Err(err) = self.server.delete(&bucket_path(id, "?force=1")) {
                eprintln!("warning: could not delete bucket {id}: {err}");
            }
        }
    }
}

/// The import row and the one-big-POST row.
pub(crate) fn bulk_writes(bench: &mut Bench<'_>) -> Result<()> {
    let wanted = [IMPORT_ID, POST_ID].map(|id| bench.wants(id));
    if !wanted.contains(&true) {
        return Ok(());
    }
    let text = bench.server.get("/api/0/export")?.body;
    let export: Export<'_> = serde_json::from_slice(&text).map_err(|source| BenchError::Json {
        context: "GET /api/0/export".to_string(),
        source,
    })?;
    let buckets: Vec<(&str, &ExportedBucket<'_>)> = export
        .buckets
        .iter()
        .map(|(key, bucket)| (bucket.id.as_deref().unwrap_or(key), bucket))
        .filter(|(id, _)| !is_scratch(id))
        .collect();
    if wanted[0] {
        let row = timed(bench, IMPORT_ID, &mut |created, repetition| {
            import_once(created, &buckets, repetition)
        })?;
        bench.push(row);
    }
    if wanted[1] {
        let events: Vec<&Event<'_>> = buckets.iter().flat_map(|(_, b)| &b.events).collect();
        let body = to_json(&events)?;
        let row = timed(bench, POST_ID, &mut |created, repetition| {
            post_once(created, &body, events.len() as u64, repetition)
        })?;
        bench.push(row);
    }
    Ok(())
}

/// What one repetition did: the timed request's duration, events and body size.
struct Sent {
    elapsed: Duration,
    events: u64,
    bytes: usize,
}

/// Runs `once` `bulk_repetitions` times (at least once, fewer when over the time budget),
/// each with its own [`Created`] guard, and makes the row.
fn timed(
    bench: &Bench<'_>,
    id: &str,
    once: &mut dyn FnMut(&mut Created<'_>, usize) -> Result<Sent>,
) -> Result<Row> {
    let settings = bench.settings;
    let pid = bench.pid;
    let rss_before = pid.map(rss_now).transpose()?;
    let started = Instant::now();
    let (mut durations, mut peak, mut last) = (Vec::new(), rss_before, None);
    while durations.is_empty()
        || (durations.len() < settings.bulk_repetitions && started.elapsed() < settings.time_budget)
    {
        let mut created = Created {
            server: bench.server,
            ids: Vec::new(),
        };
        let repetition = durations.len();
        let (sent, sampled) = with_peak_rss(pid, || once(&mut created, repetition));
        let sent = sent?;
        drop(created);
        peak = peak.max(sampled);
        durations.push(sent.elapsed);
        last = Some(sent);
    }
    let Some(last) = last else {
        return Err(BenchError::invalid(format!("{id}: no repetition ran")));
    };
    let median = percentile(&durations, 50.0).as_secs_f64();
    let rate = last.events as f64 / median.max(1e-9);
    let mut metrics = vec![
        Metric::new("time", median, "s", Better::Lower),
        Metric::new("throughput", rate, "events/s", Better::Higher),
    ];
    if let (Some(before), Some(peak)) = (rss_before, peak) {
        metrics.push(mib_metric("RSS before", before));
        metrics.push(mib_metric("peak RSS (sampled)", peak.max(before)));
    }
    let (name, what) = match id {
        IMPORT_ID => ("import of the whole dataset", "POST /api/0/import"),
        _ => ("every event in one POST", "POST /api/0/buckets/<id>/events"),
    };
    Ok(Row {
        id: id.to_string(),
        group: GROUP.to_string(),
        name: name.to_string(),
        samples: durations.len(),
        metrics,
        note: Some(format!(
            "{what}: {} events, {:.1} MiB body; median of {}",
            last.events,
            last.bytes as f64 / (1024.0 * 1024.0),
            durations.len()
        )),
    })
}

fn import_once(
    created: &mut Created<'_>,
    buckets: &[(&str, &ExportedBucket<'_>)],
    repetition: usize,
) -> Result<Sent> {
    let suffix = format!("{IMPORT_MARK}{}-{repetition}", std::process::id());
    let names: Vec<String> = buckets
        .iter()
        .map(|(id, _)| format!("{id}{suffix}"))
        .collect();
    let mut doc = ImportDoc {
        buckets: BTreeMap::new(),
    };
    for (name, (_, bucket)) in names.iter().zip(buckets) {
        created.claim(name.clone())?;
        doc.buckets.insert(
            name.clone(),
            ImportBucket {
                id: name,
                bucket_type: &bucket.bucket_type,
                client: &bucket.client,
                hostname: &bucket.hostname,
                created: bucket.created.as_deref(),
                data: bucket.data,
                events: &bucket.events,
            },
        );
    }
    let body = to_json(&doc)?;
    let bytes = body.len();
    let reply = created.server.post_raw("/api/0/import", body)?;
    for (name, (_, bucket)) in names.iter().zip(buckets) {
        check_count(created.server, name, bucket.events.len() as u64)?;
    }
    Ok(Sent {
        elapsed: reply.elapsed,
        events: buckets.iter().map(|(_, b)| b.events.len() as u64).sum(),
        bytes,
    })
}

fn post_once(
    created: &mut Created<'_>,
    body: &[u8],
    events: u64,
    repetition: usize,
) -> Result<Sent> {
    let id = format!("{POST_PREFIX}{}-{repetition}", std::process::id());
    created.claim(id.clone())?;
    let bucket = serde_json::json!({"client": "aw-bench", "type": "test", "hostname": "aw-bench"});
    created.server.post_json(&bucket_path(&id, ""), &bucket)?;
    let reply = created
        .server
        .post_raw(&bucket_path(&id, "/events"), body.to_vec())?;
    check_count(created.server, &id, events)?;
    Ok(Sent {
        elapsed: reply.elapsed,
        events,
        bytes: body.len(),
    })
}

fn check_count(server: &Server, bucket_id: &str, expected: u64) -> Result<()> {
    let actual: u64 = server.get_json(&bucket_path(bucket_id, "/events/count"))?;
    if actual == expected {
        return Ok(());
    }
    Err(BenchError::CountMismatch {
        bucket_id: bucket_id.to_string(),
        expected,
        actual,
    })
}

fn to_json(value: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|source| BenchError::Json {
        context: "a bulk request body".to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exported_events_lose_their_ids_and_keep_everything_else_verbatim() {
        let text = r#"{"buckets":{"k":{"id":"b1","type":"t","client":"c","hostname":"h",
            "created":"2024-01-01T00:00:00Z","data":{"x":1},"metadata":{"start":null},
            "events":[{"id":7,"timestamp":"2024-01-01T09:00:00+01:00","duration":1.50,"data":{"b":1,"a":[2]}}],
            "last_updated":null}}}"#;
        let export: Export<'_> = serde_json::from_str(text).unwrap();
        let bucket = &export.buckets["k"];
        assert_eq!(bucket.id.as_deref(), Some("b1"));
        let doc = ImportDoc {
            buckets: BTreeMap::from([(
                "b1-x".to_string(),
                ImportBucket {
                    id: "b1-x",
                    bucket_type: &bucket.bucket_type,
                    client: &bucket.client,
                    hostname: &bucket.hostname,
                    created: bucket.created.as_deref(),
                    data: bucket.data,
                    events: &bucket.events,
                },
            )]),
        };
        assert_eq!(
            String::from_utf8(to_json(&doc).unwrap()).unwrap(),
            r#"{"buckets":{"b1-x":{"id":"b1-x","type":"t","client":"c","hostname":"h","created":"2024-01-01T00:00:00Z","data":{"x":1},"events":[{"timestamp":"2024-01-01T09:00:00+01:00","duration":1.50,"data":{"b":1,"a":[2]}}]}}}"#
        );
    }
}
