//! `export`: streams the server's export document to a file or stdout, in pieces
//! as it arrives, gzip-compressed for `.gz` names.
//!
//! What must stay true: memory use does not grow with the export's size, and a
//! file only gets its final name once the whole document arrived; an export cut
//! short (server gone, disk full) leaves no file that looks complete.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;

use aw_client_rust::ExportReader;

use crate::cli::args::ExportArgs;
use crate::cli::error::CliError;
use crate::cli::progress::{format_bytes, format_count, Progress};
use crate::cli::scan::Scanner;
use crate::cli::Ctx;

/// Bytes read from the connection at a time.
const READ_SIZE: usize = 64 * 1024;

/// Where the document goes.
enum Sink<'a> {
    Stdout(&'a mut dyn Write),
    File(BufWriter<File>),
    Gzip(GzEncoder<BufWriter<File>>),
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(out) => out.write(buf),
            Sink::File(file) => file.write(buf),
            Sink::Gzip(gz) => gz.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(out) => out.flush(),
            Sink::File(file) => file.flush(),
            Sink::Gzip(gz) => gz.flush(),
        }
    }
}

impl Sink<'_> {
    /// Writes out everything buffered (and the gzip trailer) and syncs a file.
    fn finish(self) -> io::Result<()> {
        let file = match self {
            Sink::Stdout(out) => return out.flush(),
            Sink::File(file) => file,
            Sink::Gzip(gz) => gz.finish()?,
        };
        file.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()
    }
}

/// What was written.
#[derive(Debug, Default)]
struct Totals {
    bytes: u64,
    buckets: u64,
    events: u64,
}

/// `export [--bucket ID]… [-o FILE]`.
pub fn export(ctx: &Ctx, args: &ExportArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let mut bucket_ids: Vec<&str> = Vec::new();
    for bucket_id in &args.buckets {
        if !bucket_ids.contains(&bucket_id.as_str()) {
            bucket_ids.push(bucket_id);
        }
    }
    let Some(path) = &args.output else {
        let mut sink = Sink::Stdout(out);
        write_document(ctx, &bucket_ids, &mut sink)?;
        return sink.finish().map_err(CliError::output);
    };
    let partial = partial_path(path);
    let file = File::create(&partial).map_err(|err| CliError::file(&partial, err))?;
    let file = BufWriter::new(file);
    let is_gzip = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("gz"));
    let mut sink = if is_gzip {
        Sink::Gzip(GzEncoder::new(file, Compression::default()))
    } else {
        Sink::File(file)
    };
    let written = write_document(ctx, &bucket_ids, &mut sink).and_then(|totals| {
        sink.finish().map_err(|err| CliError::file(&partial, err))?;
        std::fs::rename(&partial, path).map_err(|err| CliError::file(path, err))?;
        Ok(totals)
    });
    let totals = match written {
        Ok(totals) => totals,
        Err(err) => {
            // A partial file is useless; removing it leaves no file that looks complete.
            let _ = std::fs::remove_file(&partial);
            return Err(match err {
                CliError::Incomplete(message) => CliError::Incomplete(format!(
                    "{message}; {} was not written, run the export again",
                    path.display()
                )),
                other => other,
            });
        }
    };
    writeln!(
        out,
        "Exported {} buckets with {} events ({}) to {}",
        totals.buckets,
        format_count(totals.events),
        format_bytes(totals.bytes),
        path.display()
    )
    .map_err(CliError::output)
}

/// `FILE.partial` beside FILE.
fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Streams the whole document into `sink`: the server's own document for all
/// buckets or one, or one document joined from several single-bucket exports.
fn write_document(ctx: &Ctx, bucket_ids: &[&str], sink: &mut Sink<'_>) -> Result<Totals, CliError> {
    let mut progress = Progress::new("exporting");
    let mut totals = Totals::default();
    let result = match bucket_ids {
        [] => copy_export(ctx, None, sink, &mut progress, &mut totals, false),
        [one] => copy_export(ctx, Some(one), sink, &mut progress, &mut totals, false),
        several => {
            let mut result = write_all(sink, b"{\"buckets\":{", &mut totals);
            for (idx, bucket_id) in several.iter().enumerate() {
                if result.is_ok() && idx > 0 {
                    result = write_all(sink, b",", &mut totals);
                }
                result = result.and_then(|()| {
                    copy_export(ctx, Some(bucket_id), sink, &mut progress, &mut totals, true)
                });
            }
            result.and_then(|()| write_all(sink, b"}}", &mut totals))
        }
    };
    progress.finish();
    result.map(|()| totals)
}

fn write_all(sink: &mut Sink<'_>, bytes: &[u8], totals: &mut Totals) -> Result<(), CliError> {
    totals.bytes += bytes.len() as u64;
    sink.write_all(bytes).map_err(sink_error)
}

/// Copies one export response into `sink` (only the `buckets` entries when
/// `inner`), counting buckets and events on the way, and checks that the
/// document was complete.
fn copy_export(
    ctx: &Ctx,
    bucket_id: Option<&str>,
    sink: &mut Sink<'_>,
    progress: &mut Progress,
    totals: &mut Totals,
    inner: bool,
) -> Result<(), CliError> {
    let fail = |err| match bucket_id {
        Some(bucket_id) => ctx.fail_bucket(err, bucket_id),
        None => ctx.fail(err),
    };
    let mut reader = ctx.client.export_reader(bucket_id).map_err(fail)?;
    let mut scanner = Scanner::default();
    let mut buffer = vec![0; READ_SIZE];
    let (buckets_before, events_before) = (totals.buckets, totals.events);
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) => {
                return Err(match ExportReader::client_error(&err) {
                    Some(_) => cut_short(totals.bytes, &err),
                    None => CliError::Output(err),
                })
            }
        };
        let piece = buffer.get(..n).unwrap_or_default();
        let mut written = Ok(());
        if inner {
            scanner.feed_inner(piece, |run| {
                if written.is_ok() {
                    totals.bytes += run.len() as u64;
                    written = sink.write_all(run);
                }
            });
        } else {
            scanner.feed(piece);
            totals.bytes += n as u64;
            written = sink.write_all(piece);
        }
        written.map_err(sink_error)?;
        totals.buckets = buckets_before + scanner.buckets;
        totals.events = events_before + scanner.events;
        progress.update(totals.bytes, totals.events);
    }
    if !scanner.is_complete() {
        return Err(CliError::Incomplete(format!(
            "the server ended the export after {} without completing the document",
            format_bytes(totals.bytes)
        )));
    }
    Ok(())
}

fn cut_short(bytes: u64, err: &io::Error) -> CliError {
    CliError::Incomplete(format!(
        "the export was cut short after {} ({err})",
        format_bytes(bytes)
    ))
}

fn sink_error(err: io::Error) -> CliError {
    CliError::Output(err)
}
