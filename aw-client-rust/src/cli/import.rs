//! `import FILE…`: checks every file completely (first pass), then sends each
//! bucket's events in pieces of `--batch-size` as one-bucket import documents
//! (second pass, [`crate::cli::import_send`]), and prints per bucket whether it was
//! created, how many events were added and how many were already there.
//!
//! What must stay true: nothing is sent for a file that does not check out, and
//! memory stays bounded by one piece whatever the file's size; gzip is recognised
//! by its content, not only by a `.gz` name.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::rc::Rc;

use flate2::read::MultiGzDecoder;
use serde::Serialize;
use serde_json::Value;

use aw_client_rust::{Bucket, Event, JsonMap};

use crate::cli::args::ImportArgs;
use crate::cli::buckets::write_json;
use crate::cli::document::{read_document, Handler, InvalidEvents, ReadError};
use crate::cli::error::CliError;
use crate::cli::import_send::send_file;
use crate::cli::progress::{format_count, Progress};
use crate::cli::table::write_table;
use crate::cli::Ctx;

/// One bucket object of a file, as the first pass found it.
#[derive(Debug)]
pub struct Planned {
    /// Its fields (without events); `id` is the object's own id, else the key.
    pub bucket: Bucket,
    /// Valid events.
    pub events: u64,
    /// Invalid events (only counted with `--skip-invalid`).
    pub invalid: u64,
}

/// What happened to one bucket object.
#[derive(Debug, Serialize)]
pub struct BucketResult {
    /// The bucket id.
    pub bucket: String,
    /// Whether the bucket did not exist before (was or would be created).
    pub created: bool,
    /// Valid events in the file.
    pub events: u64,
    /// Events added to the server (or that would be).
    pub added: u64,
    /// Events the server already had.
    pub duplicates: u64,
    /// Invalid events left out.
    pub invalid: u64,
}

/// A file opened for reading, decompressed if it is gzip, with a counter of the
/// file's own bytes read so far (for progress).
pub struct Opened {
    /// The (decompressed) document.
    pub reader: Box<dyn Read>,
    /// Bytes of the file read so far.
    pub read_bytes: Rc<Cell<u64>>,
    /// The file's size.
    pub size: u64,
}

/// Opens `path`; gzip content is recognised by its magic bytes.
pub fn open(path: &Path) -> Result<Opened, CliError> {
    let file = File::open(path).map_err(|err| CliError::file(path, err))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let read_bytes = Rc::new(Cell::new(0));
    let counting = Counting {
        inner: file,
        count: Rc::clone(&read_bytes),
    };
    let mut buffered = BufReader::with_capacity(64 * 1024, counting);
    let head = buffered
        .fill_buf()
        .map_err(|err| CliError::file(path, err))?;
    let reader: Box<dyn Read> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::with_capacity(
            64 * 1024,
            MultiGzDecoder::new(buffered),
        ))
    } else {
        Box::new(buffered)
    };
    Ok(Opened {
        reader,
        read_bytes,
        size,
    })
}

struct Counting {
    inner: File,
    count: Rc<Cell<u64>>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// A read failure of `path` as the user sees it.
pub fn read_failure(path: &Path, err: ReadError) -> CliError {
    match err {
        ReadError::Handler(err) => err,
        ReadError::Document(reason) => CliError::BadFile {
            path: path.display().to_string(),
            reason,
        },
    }
}

/// `import FILE… [--dry-run] [--skip-invalid] [--batch-size N] [--json]`.
pub fn import(ctx: &Ctx, args: &ImportArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let invalid = if args.skip_invalid {
        InvalidEvents::Skip
    } else {
        InvalidEvents::Refuse
    };
    let mut checked = Vec::new();
    for path in &args.files {
        checked.push(check_file(path, invalid)?);
    }
    let mut landed_any = false;
    let mut all = Vec::new();
    for (idx, (path, planned)) in args.files.iter().zip(&checked).enumerate() {
        let later = args.files.get(idx + 1..).unwrap_or_default();
        let results = send_file(ctx, args, path, planned, later, &mut landed_any)?;
        if !args.json {
            write_results(out, path, &results, args.dry_run)?;
        }
        all.push(serde_json::json!({"file": path.display().to_string(), "buckets": results}));
    }
    if args.json {
        let report = serde_json::json!({"dry_run": args.dry_run, "files": all});
        return write_json(out, &report);
    }
    Ok(())
}

/// The first pass: parses the whole file and validates every bucket.
fn check_file(path: &Path, invalid: InvalidEvents) -> Result<Vec<Planned>, CliError> {
    let opened = open(path)?;
    let mut checker = Checker {
        path,
        planned: Vec::new(),
        counts: (0, 0),
        progress: Progress::new(&format!("checking {}", path.display()))
            .with_totals(Some(opened.size), None),
        read_bytes: opened.read_bytes,
        seen: 0,
    };
    let outcome = read_document(opened.reader, invalid, &mut checker);
    checker.progress.finish();
    outcome.map_err(|err| read_failure(path, err))?;
    Ok(checker.planned)
}

struct Checker<'p> {
    path: &'p Path,
    planned: Vec<Planned>,
    /// Valid and invalid events of the bucket being read (buckets come one after
    /// the other, so one pair suffices; `bucket_end` takes and resets it).
    counts: (u64, u64),
    progress: Progress,
    read_bytes: Rc<Cell<u64>>,
    seen: u64,
}

impl Handler for Checker<'_> {
    fn event(&mut self, _bucket_idx: usize, _event: Event) -> Result<(), CliError> {
        self.counts.0 += 1;
        self.seen += 1;
        self.progress.update(self.read_bytes.get(), self.seen);
        Ok(())
    }

    fn invalid_event(&mut self, _bucket_idx: usize, _reason: String) {
        self.counts.1 += 1;
    }

    fn bucket_end(
        &mut self,
        _bucket_idx: usize,
        key: String,
        mut fields: JsonMap,
    ) -> Result<(), CliError> {
        let id = match fields.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            _ => key.clone(),
        };
        fields.insert(String::from("id"), Value::String(id));
        let bucket: Bucket =
            serde_json::from_value(Value::Object(fields)).map_err(|err| CliError::BadFile {
                path: self.path.display().to_string(),
                reason: format!("bucket '{key}' is not a valid bucket: {err}"),
            })?;
        let (events, invalid) = std::mem::take(&mut self.counts);
        self.planned.push(Planned {
            bucket,
            events,
            invalid,
        });
        Ok(())
    }
}

/// The per-bucket table of one file, and a total line.
fn write_results(
    out: &mut dyn Write,
    path: &Path,
    results: &[BucketResult],
    dry_run: bool,
) -> Result<(), CliError> {
    let any_invalid = results.iter().any(|r| r.invalid > 0);
    let (created, merged) = if dry_run {
        ("would create", "would merge")
    } else {
        ("created", "merged")
    };
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            let mut row = vec![
                r.bucket.clone(),
                String::from(if r.created { created } else { merged }),
                format_count(r.events),
                format_count(r.added),
                format_count(r.duplicates),
            ];
            if any_invalid {
                row.push(format_count(r.invalid));
            }
            row
        })
        .collect();
    let mut headers = vec!["BUCKET", "RESULT", "EVENTS", "ADDED", "ALREADY THERE"];
    if any_invalid {
        headers.push("INVALID");
    }
    let sum = |f: fn(&BucketResult) -> u64| results.iter().map(f).sum::<u64>();
    let write = |out: &mut dyn Write| -> io::Result<()> {
        writeln!(
            out,
            "{}{}:",
            path.display(),
            if dry_run {
                " (dry run, nothing changed)"
            } else {
                ""
            }
        )?;
        write_table(out, &headers, &rows)?;
        writeln!(
            out,
            "{} buckets ({} new), {} events: {} added, {} already there{}",
            results.len(),
            results.iter().filter(|r| r.created).count(),
            format_count(sum(|r| r.events)),
            format_count(sum(|r| r.added)),
            format_count(sum(|r| r.duplicates)),
            if any_invalid {
                format!(", {} invalid skipped", format_count(sum(|r| r.invalid)))
            } else {
                String::new()
            }
        )
    };
    write(out).map_err(CliError::output)
}
