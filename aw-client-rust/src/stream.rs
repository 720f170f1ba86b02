//! Exports read piece by piece: [`ExportStream`] for the async client and
//! [`ExportReader`] (an [`std::io::Read`]) for the blocking one, so a year of
//! events can go to a file without ever being in memory whole.
//!
//! What must stay true: an error status is turned into [`Error::Status`] before
//! the first byte is handed out, so a caller never writes an error page into a file.

use std::io;
use std::time::Duration;

use reqwest::header::ACCEPT;
use reqwest::Method;
use url::Url;

use crate::http::Reply;
use crate::{AwClient, Error, Result};

/// Upper bound for a whole streamed export (the normal request timeout would cut
/// a large export short); a server that dies mid-way ends the stream at once.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// The body of an export being received.
#[derive(Debug)]
pub struct ExportStream {
    url: Url,
    response: reqwest::Response,
}

impl ExportStream {
    /// The next piece of the document, `None` at its end. A connection cut before
    /// the end is an [`Error::Request`].
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>> {
        match self.response.chunk().await {
            Ok(chunk) => Ok(chunk.map(|bytes| bytes.to_vec())),
            Err(err) => Err(Error::from_transport(self.url.as_str(), err)),
        }
    }
}

impl AwClient {
    /// Starts `GET /api/0/export` (`bucket_id` `None`) or
    /// `GET /api/0/buckets/<bucket_id>/export` and returns the body as a stream,
    /// once the server has answered with a success status.
    pub async fn export_stream(&self, bucket_id: Option<&str>) -> Result<ExportStream> {
        let url = match bucket_id {
            Some(bucket_id) => self.url(&["buckets", bucket_id, "export"]),
            None => self.url(&["export"]),
        };
        let response = self
            .client
            .request(Method::GET, url.clone())
            .header(ACCEPT, "application/json")
            .timeout(EXPORT_TIMEOUT)
            .send()
            .await
            .map_err(|err| Error::from_transport(url.as_str(), err))?;
        let status = response.status();
        if status.is_success() {
            return Ok(ExportStream { url, response });
        }
        let body = response
            .bytes()
            .await
            .map_err(|err| Error::from_transport(url.as_str(), err))?;
        let reply = Reply {
            method: Method::GET,
            url,
            status,
            body: body.to_vec(),
        };
        Err(reply.into_status_error())
    }
}

/// A streamed export read through [`std::io::Read`], on the blocking client's
/// runtime. Client errors come out as [`io::Error`]s whose inner error is the
/// [`Error`] (see [`ExportReader::client_error`]).
pub struct ExportReader<'a> {
    runtime: &'a tokio::runtime::Runtime,
    stream: ExportStream,
    pending: Vec<u8>,
    offset: usize,
}

impl<'a> ExportReader<'a> {
    pub(crate) fn new(runtime: &'a tokio::runtime::Runtime, stream: ExportStream) -> Self {
        ExportReader {
            runtime,
            stream,
            pending: Vec::new(),
            offset: 0,
        }
    }

    /// The client [`Error`] inside an [`io::Error`] returned by `read`, if it is one.
    pub fn client_error(err: &io::Error) -> Option<&Error> {
        err.get_ref()?.downcast_ref::<Error>()
    }
}

impl io::Read for ExportReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.offset >= self.pending.len() {
            match self.runtime.block_on(self.stream.chunk()) {
                Ok(Some(chunk)) => {
                    self.pending = chunk;
                    self.offset = 0;
                }
                Ok(None) => return Ok(0),
                Err(err) => return Err(io::Error::other(err)),
            }
        }
        let rest = self.pending.get(self.offset..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(target), Some(source)) = (buf.get_mut(..n), rest.get(..n)) {
            target.copy_from_slice(source);
        }
        self.offset += n;
        Ok(n)
    }
}
