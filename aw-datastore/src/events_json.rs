//! [`range_json`]: a bucket's events over a range, clipped, as the JSON array a REST
//! event list answers with, written straight from the rows without building an event
//! per row. A stored data text already in canonical form (what this server stores) is
//! copied as it is; any other form is decoded and encoded once per distinct text.
//!
//! A reader thread does not write the JSON itself: it pipes the rows to the caller in
//! chunks ([`pipe_rows`], [`write_piped`]), so SQLite's stepping and the writing run on
//! two cores at once. What must stay true: the bytes equal `serde_json` of the events
//! `get_range` reads and clips, piped or not (`aw-datastore/tests/shared_reads.rs`
//! checks every range and limit case).

use std::borrow::Cow;
use std::collections::HashMap;

use aw_models::is_canonical_data;
use aw_models::time::from_nanos;
use aw_models::wire::write_event_json;
use chrono::TimeDelta;
use crossbeam_channel::{Receiver, Sender};
use rusqlite::Connection;

use crate::buckets::parse_data;
use crate::error::{DatastoreError, Result, WorkerFailure};
use crate::events::{Range, RangeRead, RANGE_SQL};
use crate::protocol::RowChunk;

/// [`get_range_shared`]'s events, clipped to `range`, as the JSON array an event list
/// answers with, written straight from the rows. A stored text already in canonical
/// form (what this server stores) is copied as it is; any other form is decoded and
/// encoded once per distinct text, so the bytes equal an encoding of the decoded events.
pub fn range_json(conn: &Connection, read: RangeRead) -> Result<Vec<u8>> {
    let mut writer = JsonWriter::new(read.limit);
    if read.range.start <= read.range.end {
        let mut stmt = conn.prepare_cached(RANGE_SQL)?;
        let mut rows = stmt.query(read.params())?;
        while let Some(r) = rows.next()? {
            let (id, start, end) = clipped(r, read.range)?;
            writer.row(id, start, end, text_of(r)?.as_ref());
        }
    }
    Ok(writer.finish())
}

/// Rows per chunk a reader sends while the caller writes them as JSON.
const PIPE_ROWS: usize = 1024;

/// Chunks a reader may be ahead of the caller writing them.
pub(crate) const PIPE_DEPTH: usize = 8;

/// [`range_json`]'s rows sent to `chunks`, for [`write_piped`]; a failure is sent as
/// the read's last message. Stops early when the caller went away.
pub(crate) fn pipe_rows(conn: &Connection, read: RangeRead, chunks: &Sender<Result<RowChunk>>) {
    let send = |chunk: RowChunk| chunks.send(Ok(chunk)).is_ok();
    let read = (|| -> Result<()> {
        let mut chunk = RowChunk::default();
        if read.range.start <= read.range.end {
            let mut stmt = conn.prepare_cached(RANGE_SQL)?;
            let mut rows = stmt.query(read.params())?;
            while let Some(r) = rows.next()? {
                let (id, start, end) = clipped(r, read.range)?;
                chunk.texts.push_str(text_of(r)?.as_ref());
                chunk.rows.push((id, start, end, chunk.texts.len()));
                if chunk.rows.len() == PIPE_ROWS && !send(std::mem::take(&mut chunk)) {
                    return Ok(());
                }
            }
        }
        chunk.last = true;
        send(chunk);
        Ok(())
    })();
    if let Err(err) = read {
        let _ = chunks.send(Err(err));
    }
}

/// The JSON array of the rows a reader pipes (see [`pipe_rows`]), written on the
/// calling thread while the reader reads on; `limit` sizes the buffer.
pub fn write_piped(chunks: &Receiver<Result<RowChunk>>, limit: Option<u64>) -> Result<Vec<u8>> {
    let mut writer = JsonWriter::new(limit);
    loop {
        let chunk = chunks.recv().map_err(|_| DatastoreError::WorkerGone {
            detail: WorkerFailure::Receive,
        })??;
        let mut text_start = 0;
        for &(id, start, end, text_end) in &chunk.rows {
            let text = chunk.texts.get(text_start..text_end).unwrap_or_default();
            writer.row(id, start, end, text);
            text_start = text_end;
        }
        if chunk.last {
            return Ok(writer.finish());
        }
    }
}

/// A row's id and its start and end clipped to `range`.
fn clipped(r: &rusqlite::Row<'_>, range: Range) -> Result<(i64, i64, i64)> {
    let id: i64 = r.get(0)?;
    let (start, end): (i64, i64) = (r.get(1)?, r.get(2)?);
    Ok((id, start.max(range.start), end.min(range.end)))
}

/// A row's stored data text; one that is not text fails as plain reads do.
fn text_of<'r>(r: &'r rusqlite::Row<'_>) -> Result<Cow<'r, str>> {
    match r.get_ref(3)?.as_str() {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(_) => Ok(Cow::Owned(r.get::<_, String>(3)?)),
    }
}

/// An event list's JSON array, written row by row.
struct JsonWriter {
    out: Vec<u8>,
    forms: WireForms,
}

impl JsonWriter {
    fn new(limit: Option<u64>) -> JsonWriter {
        // Room for a typical window event per row of a limited read, so the buffer
        // rarely grows (and copies).
        let expected = limit.map_or(1024, |limit| {
            usize::try_from(limit).unwrap_or(0).min(100_000)
        });
        let mut out = Vec::with_capacity(expected.saturating_mul(160).saturating_add(2));
        out.push(b'[');
        JsonWriter {
            out,
            forms: WireForms::default(),
        }
    }

    /// Adds an event of `id` over `[start, end]` (clipped) with stored data `text`.
    fn row(&mut self, id: i64, start: i64, end: i64, text: &str) {
        if self.out.len() > 1 {
            self.out.push(b',');
        }
        let data = self.forms.of(text);
        write_event_json(
            &mut self.out,
            Some(id),
            &from_nanos(start),
            &TimeDelta::nanoseconds(end.saturating_sub(start)),
            &data,
        );
    }

    fn finish(mut self) -> Vec<u8> {
        self.out.push(b']');
        self.out
    }
}

/// What each stored text is written as: itself when canonical, else its
/// re-encoding. Remembered for the first [`FORMS_KEPT`] distinct texts of a read, so
/// a window bucket's few thousand texts are checked once each, while a browser
/// bucket's one-off texts cost no more than the check.
#[derive(Default)]
struct WireForms {
    /// `None`: the text is canonical; `Some(i)`: its encoding is `encoded[i]`.
    known: HashMap<Box<str>, Option<usize>, foldhash::fast::RandomState>,
    encoded: Vec<Box<str>>,
}

/// Distinct texts a read remembers the form of.
const FORMS_KEPT: usize = 4096;

impl WireForms {
    fn of<'a>(&'a mut self, text: &'a str) -> Cow<'a, str> {
        if let Some(&form) = self.known.get(text) {
            return self.written(form, text);
        }
        let canonical = is_canonical_data(text);
        if self.known.len() >= FORMS_KEPT {
            return match canonical {
                true => Cow::Borrowed(text),
                false => Cow::Owned(reencode(text).into()),
            };
        }
        let form = (!canonical).then(|| {
            self.encoded.push(reencode(text));
            self.encoded.len() - 1
        });
        self.known.insert(text.into(), form);
        self.written(form, text)
    }

    fn written<'a>(&'a self, form: Option<usize>, text: &'a str) -> Cow<'a, str> {
        let encoded = form.and_then(|idx| self.encoded.get(idx));
        Cow::Borrowed(encoded.map_or(text, |encoded| encoded))
    }
}

/// The canonical encoding of a stored text in another form.
fn reencode(text: &str) -> Box<str> {
    let data = parse_data(text, "event");
    serde_json::to_string(&data)
        .unwrap_or_else(|_| "{}".to_string())
        .into()
}
