//! [`range_json`]: a bucket's events over a range, clipped, as the JSON array a REST
//! event list answers with, written straight from the rows without building an event
//! per row. A stored data text already in canonical form (what this server stores) is
//! copied as it is; any other form is decoded and encoded once per distinct text.
//!
//! What must stay true: the bytes equal `serde_json` of the events `get_range` reads
//! and clips (`aw-datastore/tests/shared_reads.rs` checks every range and limit case).

use std::borrow::Cow;
use std::collections::HashMap;

use aw_models::is_canonical_data;
use aw_models::time::from_nanos;
use aw_models::wire::write_event_json;
use chrono::TimeDelta;
use rusqlite::Connection;

use crate::buckets::parse_data;
use crate::error::Result;
use crate::events::{range_params, Range, RANGE_SQL};

/// [`get_range_shared`]'s events, clipped to `range`, as the JSON array an event list
/// answers with, written straight from the rows. A stored text already in canonical
/// form (what this server stores) is copied as it is; any other form is decoded and
/// encoded once per distinct text, so the bytes equal an encoding of the decoded events.
pub fn range_json(
    conn: &Connection,
    row: i64,
    range: Range,
    longest: i64,
    limit: Option<u64>,
) -> Result<Vec<u8>> {
    if range.start > range.end {
        return Ok(b"[]".to_vec());
    }
    let mut stmt = conn.prepare_cached(RANGE_SQL)?;
    let mut rows = stmt.query(range_params(row, range, longest, limit))?;
    // Room for a typical window event per row of a limited read, so the buffer
    // rarely grows (and copies).
    let expected = limit.map_or(1024, |limit| {
        usize::try_from(limit).unwrap_or(0).min(100_000)
    });
    let mut out = Vec::with_capacity(expected.saturating_mul(160).saturating_add(2));
    let mut forms = WireForms::default();
    out.push(b'[');
    while let Some(r) = rows.next()? {
        if out.len() > 1 {
            out.push(b',');
        }
        let id: i64 = r.get(0)?;
        let (start, end): (i64, i64) = (r.get(1)?, r.get(2)?);
        let text = match r.get_ref(3)?.as_str() {
            Ok(text) => text,
            // Not text: reading it as a String fails with the error plain reads give.
            Err(_) => &r.get::<_, String>(3)?,
        };
        let data = forms.of(text);
        let clipped_start = start.max(range.start);
        let clipped_end = end.min(range.end);
        write_event_json(
            &mut out,
            Some(id),
            &from_nanos(clipped_start),
            &TimeDelta::nanoseconds(clipped_end.saturating_sub(clipped_start)),
            &data,
        );
    }
    out.push(b']');
    Ok(out)
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
