//! Exports (docs/API.md §3.12, §3.13): one bucket or all, with their events, as an
//! attachment with `Content-Disposition` and, as upstream, no `Content-Type`.
//!
//! The document is streamed: a blocking producer reads each bucket's events in
//! chunks ([`Datastore::stream_events`]) and sends the JSON text as it is written,
//! so a large export never sits in memory whole. The body is therefore chunked
//! (no `Content-Length`). Errors before the first byte (an unknown bucket) get
//! their normal status; a failure later can only cut the stream short, which
//! leaves invalid JSON that no importer accepts.

use std::collections::BTreeMap;

use aw_datastore::native::Datastore;
use aw_datastore::DatastoreError;
use aw_models::Bucket;
use rocket::futures::stream;
use rocket::http::Header;
use rocket::response::stream::ByteStream;
use rocket::response::{self, Responder};
use rocket::tokio::sync::mpsc;
use rocket::{Request, Route, State};

use crate::endpoints::run_blocking;
use crate::endpoints::wire::{DataEncodings, WireEvent};
use crate::error::ApiError;

/// Bytes gathered before they are handed to the HTTP layer.
const FLUSH_BYTES: usize = 64 * 1024;
/// Pieces the producer may run ahead of a slow client.
const PIECES_AHEAD: usize = 4;
/// Data encodings kept across chunks (beyond this they start afresh).
const ENCODINGS_KEPT: usize = 4096;

type Piece = Result<Vec<u8>, ApiError>;

/// An export being streamed as a file download.
struct Attachment {
    filename: String,
    first: Vec<u8>,
    rest: mpsc::Receiver<Piece>,
}

impl<'r> Responder<'r, 'r> for Attachment {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'r> {
        let pieces = stream::unfold(self.rest, |mut rest| async move {
            match rest.recv().await {
                Some(Ok(bytes)) => Some((bytes, rest)),
                Some(Err(err)) => {
                    log::error!("export cut short: {err}");
                    None
                }
                None => None,
            }
        });
        let body = stream::StreamExt::chain(stream::iter([self.first]), pieces);
        let mut response = ByteStream(body).respond_to(request)?;
        response.remove_header("Content-Type");
        response.set_header(Header::new(
            "Content-Disposition",
            format!("attachment; filename={}", header_safe(&self.filename)),
        ));
        Ok(response)
    }
}

/// `filename` with every ASCII control character (a bucket id may hold any) replaced
/// by `_`: HTTP forbids them in a header, and the server would otherwise drop the
/// connection without an answer (upstream does). Other characters are kept.
fn header_safe(filename: &str) -> String {
    filename
        .chars()
        .map(|c| if c.is_ascii_control() { '_' } else { c })
        .collect()
}

/// Writes the export document of `bucket_ids` into `sender`, flushing every
/// [`FLUSH_BYTES`]. Buckets deleted since they were listed are skipped when
/// `skip_missing`.
struct Producer {
    datastore: Datastore,
    sender: mpsc::Sender<Piece>,
    out: Vec<u8>,
    /// Each distinct data of the chunks is encoded once ([`DataEncodings`]).
    encodings: DataEncodings,
}

impl Producer {
    fn run(mut self, bucket_ids: Vec<String>, skip_missing: bool) {
        if let Err(err) = self.write_document(&bucket_ids, skip_missing) {
            // The receiver may be gone (client left); nothing else to do then.
            let _ = self.sender.blocking_send(Err(err));
        }
    }

    fn write_document(
        &mut self,
        bucket_ids: &[String],
        skip_missing: bool,
    ) -> Result<(), ApiError> {
        self.out.extend_from_slice(b"{\"buckets\":{");
        let mut first_bucket = true;
        for bucket_id in bucket_ids {
            let bucket = match self.datastore.get_bucket(bucket_id) {
                Ok(bucket) => bucket,
                Err(DatastoreError::NoSuchBucket { .. }) if skip_missing => continue,
                Err(err) => return Err(err.into()),
            };
            if !first_bucket {
                self.out.push(b',');
            }
            first_bucket = false;
            self.write_bucket(bucket)?;
        }
        self.out.extend_from_slice(b"}}");
        self.flush(0)
    }

    /// `"<id>":{…,"events":[…],"last_updated":…}`, events streamed chunk by chunk.
    fn write_bucket(&mut self, mut bucket: Bucket) -> Result<(), ApiError> {
        let events = self.datastore.stream_events(&bucket.id)?;
        bucket.events = None;
        let bucket_json = serde_json::to_string(&bucket).map_err(serialisation_error)?;
        let (head, tail) = split_at_events(&bucket_json).ok_or_else(|| ApiError::Internal {
            message: String::from("Failed to serialise the export"),
            detail: String::from("bucket JSON has no events field"),
        })?;
        serde_json::to_writer(&mut self.out, &bucket.id).map_err(serialisation_error)?;
        self.out.push(b':');
        self.out.extend_from_slice(head.as_bytes());
        self.out.push(b'[');
        let mut first_event = true;
        for chunk in events {
            for event in &chunk? {
                if !first_event {
                    self.out.push(b',');
                }
                first_event = false;
                WireEvent::new(event, &mut self.encodings)
                    .map_err(serialisation_error)?
                    .write_json(&mut self.out);
            }
            self.encodings.bound(ENCODINGS_KEPT);
            self.flush(FLUSH_BYTES)?;
        }
        self.out.push(b']');
        self.out.extend_from_slice(tail.as_bytes());
        Ok(())
    }

    /// Sends the gathered bytes once there are at least `threshold` of them.
    fn flush(&mut self, threshold: usize) -> Result<(), ApiError> {
        if self.out.len() < threshold.max(1) {
            return Ok(());
        }
        let piece = std::mem::take(&mut self.out);
        self.sender
            .blocking_send(Ok(piece))
            .map_err(|_| ApiError::Internal {
                message: String::from("The client left during the export"),
                detail: String::new(),
            })
    }
}

fn serialisation_error(err: serde_json::Error) -> ApiError {
    ApiError::Internal {
        message: String::from("Failed to serialise the export"),
        detail: err.to_string(),
    }
}

/// Splits a bucket's JSON (serialised with `events: None`) around the `null` of its
/// `events` field. `events` is followed only by `last_updated` (a date or null),
/// so the last match is the field itself even if `data` contains the same text.
fn split_at_events(bucket_json: &str) -> Option<(&str, &str)> {
    let key = "\"events\":";
    let position = bucket_json.rfind("\"events\":null,\"last_updated\":")?;
    let head = bucket_json.get(..position + key.len())?;
    let tail = bucket_json.get(position + key.len() + "null".len()..)?;
    Some((head, tail))
}

/// Starts the producer and waits for its first piece, so early errors keep their status.
async fn start_export(
    datastore: Datastore,
    bucket_ids: Vec<String>,
    filename: String,
    skip_missing: bool,
) -> Result<Attachment, ApiError> {
    let (sender, mut rest) = mpsc::channel(PIECES_AHEAD);
    let producer = Producer {
        datastore,
        sender,
        out: Vec::new(),
        encodings: DataEncodings::default(),
    };
    rocket::tokio::task::spawn_blocking(move || producer.run(bucket_ids, skip_missing));
    match rest.recv().await {
        Some(Ok(first)) => Ok(Attachment {
            filename,
            first,
            rest,
        }),
        Some(Err(err)) => Err(err),
        None => Err(ApiError::Internal {
            message: String::from("The export ended before it started"),
            detail: String::new(),
        }),
    }
}

#[rocket::get("/buckets/<bucket_id>/export")]
async fn export_bucket(
    bucket_id: &str,
    datastore: &State<Datastore>,
) -> Result<Attachment, ApiError> {
    let bucket_id = bucket_id.to_owned();
    let filename = format!("aw-bucket-export_{bucket_id}.json");
    start_export(datastore.inner().clone(), vec![bucket_id], filename, false).await
}

#[rocket::get("/export")]
async fn export_all(datastore: &State<Datastore>) -> Result<Attachment, ApiError> {
    let datastore = datastore.inner().clone();
    let listing = datastore.clone();
    let buckets: BTreeMap<_, _> = run_blocking(move || Ok(listing.get_buckets()?)).await?;
    // A one-bucket server's full export uses the single-bucket file name (docs/API.md §3.13).
    let filename = match buckets.keys().next() {
        Some(bucket_id) if buckets.len() == 1 => format!("aw-bucket-export_{bucket_id}.json"),
        _ => String::from("aw-buckets-export.json"),
    };
    start_export(datastore, buckets.into_keys().collect(), filename, true).await
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![export_bucket, export_all]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_field_is_found_even_if_data_mentions_it() {
        let json = r#"{"id":"b","data":{"x":{"events":null,"last_updated":1}},"events":null,"last_updated":null}"#;
        let (head, tail) = split_at_events(json).unwrap();
        assert_eq!(
            format!("{head}[]{tail}"),
            r#"{"id":"b","data":{"x":{"events":null,"last_updated":1}},"events":[],"last_updated":null}"#
        );
        assert!(split_at_events(r#"{"id":"b"}"#).is_none());
    }
}
