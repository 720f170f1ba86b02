//! The second pass of `import`: reads a checked file again and sends each bucket's
//! events as one-bucket `POST /api/0/import` documents of at most `--batch-size`
//! events. The server skips events it already has, so the counts come from the
//! bucket's event count before and after; `--dry-run` instead compares each piece
//! with the stored events of its time range and sends nothing.
//!
//! What must stay true: events merged into a bucket that already held events are
//! sent without ids (ids of another machine must never overwrite local events);
//! a bucket that did not exist keeps the file's ids, so export → import → export
//! gives the same file. A failure part-way names what landed and how to resume.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use aw_client_rust::{BucketsExport, Event, JsonMap};

use crate::cli::args::ImportArgs;
use crate::cli::document::{read_document, Handler, InvalidEvents};
use crate::cli::error::CliError;
use crate::cli::import::{open, read_failure, BucketResult, Planned};
use crate::cli::progress::{format_count, Progress};
use crate::cli::Ctx;

/// Sends (or, with `--dry-run`, measures) one checked file; returns one result
/// per bucket object. `later` are the files not started yet (for the message of a
/// failure); `landed_any` tells whether anything was written in this run so far.
pub fn send_file(
    ctx: &Ctx,
    args: &ImportArgs,
    path: &Path,
    planned: &[Planned],
    later: &[PathBuf],
    landed_any: &mut bool,
) -> Result<Vec<BucketResult>, CliError> {
    let opened = open(path)?;
    let total: u64 = planned.iter().map(|p| p.events).sum();
    let label = format!("importing {}", path.display());
    let mut sender = Sender {
        ctx,
        path,
        planned,
        later,
        batch: usize::try_from(args.batch_size).unwrap_or(5000),
        dry_run: args.dry_run,
        active: None,
        results: Vec::new(),
        progress: Progress::new(&label).with_totals(Some(opened.size), Some(total)),
        read_bytes: opened.read_bytes,
        read_events: 0,
        landed_any,
    };
    let invalid = if args.skip_invalid {
        InvalidEvents::Skip
    } else {
        InvalidEvents::Refuse
    };
    let outcome = read_document(opened.reader, invalid, &mut sender);
    sender.progress.finish();
    outcome.map_err(|err| read_failure(path, err))?;
    Ok(sender.results)
}

/// The bucket whose events are being sent.
struct Active {
    bucket_idx: usize,
    existed: bool,
    count_before: u64,
    buffer: Vec<Event>,
    /// Events read from the file so far.
    read: u64,
    /// Events in pieces the server accepted.
    landed: u64,
    pieces: u64,
    /// `--dry-run`: events of the pieces that the server already has.
    duplicates: u64,
}

struct Sender<'a> {
    ctx: &'a Ctx,
    path: &'a Path,
    planned: &'a [Planned],
    later: &'a [PathBuf],
    batch: usize,
    dry_run: bool,
    active: Option<Active>,
    results: Vec<BucketResult>,
    progress: Progress,
    read_bytes: std::rc::Rc<std::cell::Cell<u64>>,
    read_events: u64,
    landed_any: &'a mut bool,
}

impl Handler for Sender<'_> {
    fn event(&mut self, bucket_idx: usize, event: Event) -> Result<(), CliError> {
        let mut active = match self.active.take() {
            Some(active) if active.bucket_idx == bucket_idx => active,
            _ => self.start(bucket_idx)?,
        };
        active.buffer.push(event);
        active.read += 1;
        self.read_events += 1;
        if active.buffer.len() >= self.batch {
            self.flush(&mut active)?;
        }
        self.active = Some(active);
        self.progress
            .update(self.read_bytes.get(), self.read_events);
        Ok(())
    }

    fn invalid_event(&mut self, _bucket_idx: usize, _reason: String) {}

    fn bucket_end(
        &mut self,
        bucket_idx: usize,
        _key: String,
        _fields: JsonMap,
    ) -> Result<(), CliError> {
        let mut active = match self.active.take() {
            Some(active) if active.bucket_idx == bucket_idx => active,
            _ => self.start(bucket_idx)?,
        };
        // A bucket without events still has to be created.
        if !active.buffer.is_empty() || (active.pieces == 0 && !active.existed) {
            self.flush(&mut active)?;
        }
        let result = self.finish(&active)?;
        self.results.push(result);
        Ok(())
    }
}

impl Sender<'_> {
    fn planned(&self, bucket_idx: usize) -> Result<&Planned, CliError> {
        self.planned
            .get(bucket_idx)
            .ok_or_else(|| CliError::BadFile {
                path: self.path.display().to_string(),
                reason: String::from("the file changed since it was checked"),
            })
    }

    /// Looks the bucket up on the server: does it exist, and with how many events.
    fn start(&mut self, bucket_idx: usize) -> Result<Active, CliError> {
        let bucket_id = self.planned(bucket_idx)?.bucket.id.clone();
        let count_before = match self.ctx.client.get_event_count(&bucket_id) {
            Ok(count) => Some(u64::try_from(count).unwrap_or(0)),
            Err(err) if err.status() == Some(404) => None,
            Err(err) => return Err(self.stopped(None, self.ctx.fail(err))),
        };
        log::debug!("bucket '{bucket_id}': {count_before:?} events on the server");
        Ok(Active {
            bucket_idx,
            existed: count_before.is_some(),
            count_before: count_before.unwrap_or(0),
            buffer: Vec::new(),
            read: 0,
            landed: 0,
            pieces: 0,
            duplicates: 0,
        })
    }

    /// Sends the buffered events as one import document (or measures them).
    fn flush(&mut self, active: &mut Active) -> Result<(), CliError> {
        let mut bucket = self.planned(active.bucket_idx)?.bucket.clone();
        let mut events = std::mem::take(&mut active.buffer);
        let n = events.len() as u64;
        if self.dry_run {
            if active.existed {
                active.duplicates += self.stored_duplicates(&bucket.id, &events, active)?;
            }
            active.pieces += 1;
            active.landed += n;
            return Ok(());
        }
        if active.existed && active.count_before > 0 {
            for event in &mut events {
                event.id = None;
            }
        }
        bucket.events = Some(events);
        let bucket_id = bucket.id.clone();
        let document = BucketsExport {
            buckets: BTreeMap::from([(bucket_id.clone(), bucket)]),
        };
        log::debug!(
            "bucket '{bucket_id}': sending piece {} ({n} events)",
            active.pieces + 1
        );
        if let Err(err) = self.ctx.client.import(&document) {
            return Err(self.stopped(Some(active), self.ctx.fail(err)));
        }
        active.pieces += 1;
        active.landed += n;
        *self.landed_any = true;
        Ok(())
    }

    /// How many of `events` the bucket already stores (same start, end and data),
    /// from the stored events of their time range.
    fn stored_duplicates(
        &self,
        bucket_id: &str,
        events: &[Event],
        active: &Active,
    ) -> Result<u64, CliError> {
        let spans = events
            .iter()
            .filter_map(|e| Some((e.start_nanos(), e.end_nanos()?)));
        let Some((start, end)) = spans.reduce(|(lo, hi), (s, e)| (lo.min(s), hi.max(e))) else {
            return Ok(0);
        };
        let range = (
            aw_models::time::from_nanos(start),
            aw_models::time::from_nanos(end),
        );
        let stored = self
            .ctx
            .client
            .get_events(bucket_id, Some(range.0), Some(range.1), None)
            .map_err(|err| self.stopped(Some(active), self.ctx.fail(err)))?;
        let stored: HashSet<_> = stored.iter().filter_map(identity).collect();
        Ok(events
            .iter()
            .filter_map(identity)
            .filter(|key| stored.contains(key))
            .count() as u64)
    }

    /// The result of a bucket whose events were all sent.
    fn finish(&mut self, active: &Active) -> Result<BucketResult, CliError> {
        let planned = self.planned(active.bucket_idx)?;
        let (bucket_id, invalid) = (planned.bucket.id.clone(), planned.invalid);
        let (added, duplicates) = if self.dry_run {
            (
                active.read.saturating_sub(active.duplicates),
                active.duplicates,
            )
        } else {
            let after = match self.ctx.client.get_event_count(&bucket_id) {
                Ok(count) => u64::try_from(count).unwrap_or(0),
                Err(err) => return Err(self.stopped(Some(active), self.ctx.fail(err))),
            };
            let added = after.saturating_sub(active.count_before);
            (added, active.read.saturating_sub(added))
        };
        Ok(BucketResult {
            bucket: bucket_id,
            created: !active.existed,
            events: active.read,
            added,
            duplicates,
            invalid,
        })
    }

    /// The error of a request that failed: as it is if nothing was written in
    /// this run yet, otherwise a partial-import report with how to resume.
    fn stopped(&self, active: Option<&Active>, cause: CliError) -> CliError {
        let landed_now = active.is_some_and(|a| a.landed > 0) || !self.results.is_empty();
        if !*self.landed_any && !landed_now {
            return cause;
        }
        let mut landed: Vec<String> = self
            .results
            .iter()
            .map(|r| {
                format!(
                    "bucket '{}' (all {} events)",
                    r.bucket,
                    format_count(r.events)
                )
            })
            .collect();
        let mut missing = Vec::new();
        let next_idx = match active {
            Some(active) => {
                let id = self
                    .planned
                    .get(active.bucket_idx)
                    .map_or("?", |p| p.bucket.id.as_str());
                let total = self.planned.get(active.bucket_idx).map_or(0, |p| p.events);
                landed.push(format!(
                    "bucket '{id}' ({} of {} events)",
                    format_count(active.landed),
                    format_count(total)
                ));
                missing.push(format!("the rest of bucket '{id}'"));
                active.bucket_idx + 1
            }
            None => self.results.len(),
        };
        missing.extend(
            self.planned
                .iter()
                .skip(next_idx)
                .map(|p| format!("bucket '{}'", p.bucket.id)),
        );
        missing.extend(self.later.iter().map(|path| path.display().to_string()));
        CliError::PartialImport(format!(
            "import of {} stopped part-way: {cause}. Landed: {}. Not imported: {}. \
             Run the same command again to finish: events already on the server are skipped.",
            self.path.display(),
            if landed.is_empty() {
                String::from("nothing from this file")
            } else {
                landed.join(", ")
            },
            if missing.is_empty() {
                String::from("nothing")
            } else {
                missing.join(", ")
            },
        ))
    }
}

/// Start, end and data (keys sorted): what the server compares to find duplicates.
fn identity(event: &Event) -> Option<(i64, i64, String)> {
    let data = serde_json::to_string(&event.data).ok()?;
    Some((event.start_nanos(), event.end_nanos()?, data))
}
