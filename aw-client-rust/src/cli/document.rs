//! [`read_document`]: reads an export document (`{"buckets": {<key>: {…,
//! "events": […]}}}`) from a stream and hands each event to a [`Handler`] as soon
//! as it is parsed, so a file of any size is read in constant memory.
//!
//! Accepts the exports of aw-server-rust, of this server and of the Python
//! aw-server (event ids absent, offsets such as `+00:00`, extra fields like
//! `name`), in any field order. What must stay true: a malformed document is
//! reported with its line and column, and an invalid event with its bucket and
//! index, before a handler sees anything after it.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use aw_client_rust::{Event, JsonMap};

use crate::cli::error::CliError;

/// What [`read_document`] reports, in document order.
pub trait Handler {
    /// A valid event of the `bucket_idx`-th bucket object of the document.
    fn event(&mut self, bucket_idx: usize, event: Event) -> Result<(), CliError>;

    /// An element of an events array that is not a valid event (only when
    /// invalid events are skipped); `reason` says why.
    fn invalid_event(&mut self, bucket_idx: usize, reason: String);

    /// The end of the `bucket_idx`-th bucket object: its map key and every field
    /// except `events`.
    fn bucket_end(
        &mut self,
        bucket_idx: usize,
        key: String,
        fields: JsonMap,
    ) -> Result<(), CliError>;
}

/// How to treat events that do not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidEvents {
    /// The document is refused, naming the event.
    Refuse,
    /// They are reported to [`Handler::invalid_event`] and left out.
    Skip,
}

/// Why a document could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The handler failed (e.g. the server went away); reading stopped there.
    Handler(CliError),
    /// The text is not a valid export document; the message has the position.
    Document(String),
}

/// Reads the whole document from `reader`, calling `handler` as it goes.
pub fn read_document(
    reader: impl Read,
    invalid: InvalidEvents,
    handler: &mut dyn Handler,
) -> Result<(), ReadError> {
    let mut state = State {
        handler,
        invalid,
        failure: None,
        buckets: 0,
        current: None,
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let parsed = DocumentSeed { state: &mut state }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Some(failure) = state.failure.take() {
        return Err(ReadError::Handler(failure));
    }
    parsed.map_err(|err| ReadError::Document(describe(&err, state.current.as_ref(), invalid)))
}

/// The message for a parse error, naming the event being read if there was one.
fn describe(
    err: &serde_json::Error,
    current: Option<&(String, u64)>,
    invalid: InvalidEvents,
) -> String {
    use serde_json::error::Category;
    let position = format!("line {}, column {}", err.line(), err.column());
    match (err.classify(), current) {
        (Category::Eof, _) => {
            format!("the file ends in the middle of the document at {position} (is it truncated?)")
        }
        (Category::Io, _) => format!("cannot read it at {position}: {err}"),
        (Category::Data, Some((key, idx))) if invalid == InvalidEvents::Refuse => format!(
            "bucket '{key}', event {}: {} (use --skip-invalid to import the other events)",
            idx + 1,
            strip_position(err)
        ),
        (Category::Syntax, _) => format!("not valid JSON at {position}: {}", strip_position(err)),
        _ => format!("not an export document: {err}"),
    }
}

/// serde_json's message without its own " at line L column C" suffix.
fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(cut) => format!(
            "{} at line {}, column {}",
            text.get(..cut).unwrap_or(&text),
            err.line(),
            err.column()
        ),
        None => text,
    }
}

struct State<'h> {
    handler: &'h mut dyn Handler,
    invalid: InvalidEvents,
    failure: Option<CliError>,
    buckets: usize,
    /// The bucket key and index of the event being parsed, while inside `events`.
    current: Option<(String, u64)>,
}

impl State<'_> {
    /// Keeps a handler failure and returns the error that stops the parser.
    fn stop<E: de::Error>(&mut self, failure: CliError) -> E {
        self.failure = Some(failure);
        E::custom("stopped by the importer")
    }
}

struct DocumentSeed<'s, 'h> {
    state: &'s mut State<'h>,
}

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an export document {\"buckets\": {…}}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "buckets" && !seen {
                seen = true;
                map.next_value_seed(BucketsSeed {
                    state: &mut *self.state,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if seen {
            Ok(())
        } else {
            Err(de::Error::missing_field("buckets"))
        }
    }
}

struct BucketsSeed<'s, 'h> {
    state: &'s mut State<'h>,
}

impl<'de> DeserializeSeed<'de> for BucketsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BucketsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of bucket id to bucket")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let bucket_idx = self.state.buckets;
            self.state.buckets += 1;
            map.next_value_seed(BucketSeed {
                state: &mut *self.state,
                key,
                bucket_idx,
            })?;
        }
        Ok(())
    }
}

struct BucketSeed<'s, 'h> {
    state: &'s mut State<'h>,
    key: String,
    bucket_idx: usize,
}

impl<'de> DeserializeSeed<'de> for BucketSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BucketSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bucket '{}' as an object", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut fields = JsonMap::new();
        while let Some(field) = map.next_key::<String>()? {
            if field == "events" {
                map.next_value_seed(EventsSeed {
                    state: &mut *self.state,
                    key: &self.key,
                    bucket_idx: self.bucket_idx,
                })?;
            } else {
                let value: Value = map.next_value()?;
                fields.insert(field, value);
            }
        }
        let state = self.state;
        match state.handler.bucket_end(self.bucket_idx, self.key, fields) {
            Ok(()) => Ok(()),
            Err(failure) => Err(state.stop(failure)),
        }
    }
}

struct EventsSeed<'s, 'h, 'k> {
    state: &'s mut State<'h>,
    key: &'k str,
    bucket_idx: usize,
}

impl<'de> DeserializeSeed<'de> for EventsSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventsSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of events or null")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.state;
        let mut idx: u64 = 0;
        loop {
            state.current = Some((self.key.to_string(), idx));
            let parsed = match state.invalid {
                InvalidEvents::Refuse => seq.next_element::<Event>()?.map(Ok),
                InvalidEvents::Skip => seq
                    .next_element::<Value>()?
                    .map(|value| Event::deserialize(value).map_err(|err| err.to_string())),
            };
            let outcome = match parsed {
                None => break,
                Some(Ok(event)) => state.handler.event(self.bucket_idx, event),
                Some(Err(reason)) => {
                    state.handler.invalid_event(self.bucket_idx, reason);
                    Ok(())
                }
            };
            if let Err(failure) = outcome {
                return Err(state.stop(failure));
            }
            idx += 1;
        }
        state.current = None;
        Ok(())
    }
}
