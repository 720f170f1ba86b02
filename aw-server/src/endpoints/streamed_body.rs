//! Large request bodies: up to `in_memory` bytes (`[limits] import_in_memory`) a body is
//! read whole and parsed from memory (serde_json parses a slice about three times faster than a stream); beyond
//! that, the async handler hands it in chunks over a bounded channel to a parser on a
//! blocking thread, so a large upload is never in memory whole and parsing overlaps
//! the transfer.
//!
//! What must stay true: a body over its limit is refused as too large, never parsed as
//! if it ended early; the parser sees exactly the bytes that arrived, in order.

use std::io::Read;

use rocket::data::{ByteUnit, Data, DataStream, ToByteUnit};
use rocket::tokio::io::AsyncReadExt;
use rocket::tokio::sync::mpsc;

use crate::endpoints::run_blocking;
use crate::error::ApiError;

/// Bytes handed to the parser at a time.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight between the reader and the parser (bounds the memory used).
const IN_FLIGHT: usize = 8;

/// A body as the parser gets it.
pub(crate) enum Body {
    /// All of it, when it is small enough.
    Whole(Vec<u8>),
    /// The bytes as they arrive.
    Stream(ChunkReader),
}

/// The parser's side of the channel: a blocking [`Read`] over the chunks.
pub(crate) struct ChunkReader {
    chunks: mpsc::Receiver<Vec<u8>>,
    current: Vec<u8>,
    offset: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.offset >= self.current.len() {
            match self.chunks.blocking_recv() {
                Some(chunk) => {
                    self.current = chunk;
                    self.offset = 0;
                }
                None => return Ok(0),
            }
        }
        let mut available = self.current.get(self.offset..).unwrap_or_default();
        let n = Read::read(&mut available, buf)?;
        self.offset += n;
        Ok(n)
    }
}

/// Reads `data` (at most `limit` bytes) into `parse` running on a blocking thread:
/// whole if it has at most `in_memory` bytes, else as a stream.
pub(crate) async fn parse_body<T, F>(
    data: Data<'_>,
    limit: ByteUnit,
    in_memory: ByteUnit,
    parse: F,
) -> Result<T, ApiError>
where
    F: FnOnce(Body) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    // One byte over the limit is read so that a body of exactly `limit` bytes passes.
    let mut stream = data.open(limit + 1.bytes());
    let mut head = Vec::new();
    let head_cap = in_memory.as_u64().min(limit.as_u64()) + 1;
    let whole = read_up_to(&mut stream, &mut head, head_cap).await?;
    if whole {
        return run_blocking(move || parse(Body::Whole(head))).await;
    }
    let (sender, chunks) = mpsc::channel(IN_FLIGHT);
    let reader = ChunkReader {
        chunks,
        current: head,
        offset: 0,
    };
    let parsed = run_blocking(move || parse(Body::Stream(reader)));
    let fed = feed(stream, head_cap, limit, sender);
    let (parsed, fed) = rocket::tokio::join!(parsed, fed);
    // Too large or unreadable wins over whatever the parser made of the cut body.
    fed?;
    parsed
}

/// Reads into `buf` until the body ends (true) or `buf` holds `cap` bytes (false).
async fn read_up_to(
    stream: &mut DataStream<'_>,
    buf: &mut Vec<u8>,
    cap: u64,
) -> Result<bool, ApiError> {
    let wanted = cap.saturating_sub(buf.len() as u64);
    let read =
        stream
            .take(wanted)
            .read_to_end(buf)
            .await
            .map_err(|err| ApiError::MalformedBody {
                detail: err.to_string(),
            })?;
    Ok((read as u64) < wanted)
}

/// Sends the rest of the body in chunks until it ends, the parser stops, or the
/// body passes `limit`.
async fn feed(
    mut stream: DataStream<'_>,
    mut total: u64,
    limit: ByteUnit,
    sender: mpsc::Sender<Vec<u8>>,
) -> Result<(), ApiError> {
    loop {
        if total > limit.as_u64() {
            return Err(ApiError::BodyTooLarge {
                limit: limit.as_u64(),
            });
        }
        let mut chunk = Vec::with_capacity(CHUNK);
        let ended = read_up_to(&mut stream, &mut chunk, CHUNK as u64).await?;
        if chunk.is_empty() {
            return Ok(());
        }
        total = total.saturating_add(chunk.len() as u64);
        // A chunk past the limit is never sent; the check above answers 413.
        if total <= limit.as_u64() && (sender.send(chunk).await.is_err() || ended) {
            // Done, or the parser stopped early (then its error is the answer).
            return Ok(());
        }
    }
}
