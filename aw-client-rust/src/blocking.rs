//! [`blocking::AwClient`](AwClient): the same methods as the async client, for
//! programs without an async runtime.
//!
//! Each call runs the async [`crate::AwClient`] on a private single-threaded tokio
//! runtime owned by the client, so kept-alive connections are reused between calls.
//! Like `reqwest::blocking`, it must not be called from inside an async runtime.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use aw_models::{Bucket, BucketsExport, Event, Info};

use crate::client::simple_bucket;
use crate::stream::ExportReader;
use crate::{Error, Result};

/// A blocking client for one server.
pub struct AwClient {
    client: crate::AwClient,
    runtime: tokio::runtime::Runtime,
    /// The server's base URL (a copy of the inner client's; set it through [`AwClient::new`]).
    pub baseurl: Url,
    /// The client name, used as `client` of buckets made by [`AwClient::create_bucket_simple`].
    pub name: String,
    /// This machine's host name, used as `hostname` of those buckets.
    pub hostname: String,
}

impl fmt::Debug for AwClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AwClient(baseurl={})", self.baseurl)
    }
}

impl AwClient {
    /// A client for the server at `host:port`, naming itself `name`; see
    /// [`crate::AwClient::new`] (the local server's API key is sent for loopback hosts).
    pub fn new(host: &str, port: u16, name: &str) -> Result<AwClient> {
        AwClient::from_async(crate::AwClient::new(host, port, name)?)
    }

    /// See [`crate::AwClient::new_with_api_key`]: with `Some(key)` every request carries
    /// `Authorization: Bearer <key>`.
    pub fn new_with_api_key(
        host: &str,
        port: u16,
        name: &str,
        api_key: Option<String>,
    ) -> Result<AwClient> {
        AwClient::from_async(crate::AwClient::new_with_api_key(
            host, port, name, api_key,
        )?)
    }

    fn from_async(client: crate::AwClient) -> Result<AwClient> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|err| Error::Setup {
                reason: format!("cannot start the blocking client's runtime: {err}"),
            })?;
        Ok(AwClient {
            baseurl: client.baseurl.clone(),
            name: client.name.clone(),
            hostname: client.hostname.clone(),
            client,
            runtime,
        })
    }

    /// See [`crate::AwClient::get_info`].
    pub fn get_info(&self) -> Result<Info> {
        self.runtime.block_on(self.client.get_info())
    }

    /// See [`crate::AwClient::get_buckets`].
    pub fn get_buckets(&self) -> Result<HashMap<String, Bucket>> {
        self.runtime.block_on(self.client.get_buckets())
    }

    /// See [`crate::AwClient::get_bucket`].
    pub fn get_bucket(&self, bucket_id: &str) -> Result<Bucket> {
        self.runtime.block_on(self.client.get_bucket(bucket_id))
    }

    /// See [`crate::AwClient::create_bucket`]; an existing bucket is success.
    pub fn create_bucket(&self, bucket: &Bucket) -> Result<()> {
        self.runtime.block_on(self.client.create_bucket(bucket))
    }

    /// See [`crate::AwClient::create_bucket_simple`]; uses this client's `name` and `hostname`.
    pub fn create_bucket_simple(&self, bucket_id: &str, bucket_type: &str) -> Result<()> {
        let bucket = simple_bucket(bucket_id, bucket_type, &self.name, &self.hostname);
        self.create_bucket(&bucket)
    }

    /// See [`crate::AwClient::delete_bucket`].
    pub fn delete_bucket(&self, bucket_id: &str) -> Result<()> {
        self.runtime.block_on(self.client.delete_bucket(bucket_id))
    }

    /// See [`crate::AwClient::get_events`].
    pub fn get_events(
        &self,
        bucket_id: &str,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
        limit: Option<u64>,
    ) -> Result<Vec<Event>> {
        let events = self.client.get_events(bucket_id, start, end, limit);
        self.runtime.block_on(events)
    }

    /// See [`crate::AwClient::get_event`].
    pub fn get_event(&self, bucket_id: &str, event_id: i64) -> Result<Event> {
        self.runtime
            .block_on(self.client.get_event(bucket_id, event_id))
    }

    /// See [`crate::AwClient::insert_event`].
    pub fn insert_event(&self, bucket_id: &str, event: &Event) -> Result<()> {
        self.runtime
            .block_on(self.client.insert_event(bucket_id, event))
    }

    /// See [`crate::AwClient::insert_events`].
    pub fn insert_events(&self, bucket_id: &str, events: Vec<Event>) -> Result<()> {
        self.runtime
            .block_on(self.client.insert_events(bucket_id, events))
    }

    /// See [`crate::AwClient::heartbeat`].
    pub fn heartbeat(&self, bucket_id: &str, event: &Event, pulsetime: f64) -> Result<Event> {
        let stored = self.client.heartbeat(bucket_id, event, pulsetime);
        self.runtime.block_on(stored)
    }

    /// See [`crate::AwClient::delete_event`].
    pub fn delete_event(&self, bucket_id: &str, event_id: i64) -> Result<()> {
        self.runtime
            .block_on(self.client.delete_event(bucket_id, event_id))
    }

    /// See [`crate::AwClient::get_event_count`].
    pub fn get_event_count(&self, bucket_id: &str) -> Result<i64> {
        self.runtime
            .block_on(self.client.get_event_count(bucket_id))
    }

    /// See [`crate::AwClient::query`].
    pub fn query(
        &self,
        code: &str,
        timeperiods: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Vec<serde_json::Value>> {
        self.runtime.block_on(self.client.query(code, timeperiods))
    }

    /// See [`crate::AwClient::query_lines`].
    pub fn query_lines(
        &self,
        lines: &[String],
        timeperiods: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Vec<serde_json::Value>> {
        self.runtime
            .block_on(self.client.query_lines(lines, timeperiods))
    }

    /// See [`crate::AwClient::export`].
    pub fn export(&self) -> Result<BucketsExport> {
        self.runtime.block_on(self.client.export())
    }

    /// See [`crate::AwClient::export_bucket`].
    pub fn export_bucket(&self, bucket_id: &str) -> Result<BucketsExport> {
        self.runtime.block_on(self.client.export_bucket(bucket_id))
    }

    /// See [`crate::AwClient::export_stream`]: the export document as an
    /// [`std::io::Read`], read from the connection as it is consumed.
    pub fn export_reader(&self, bucket_id: Option<&str>) -> Result<ExportReader<'_>> {
        let stream = self
            .runtime
            .block_on(self.client.export_stream(bucket_id))?;
        Ok(ExportReader::new(&self.runtime, stream))
    }

    /// See [`crate::AwClient::import`].
    pub fn import(&self, export: &BucketsExport) -> Result<()> {
        self.runtime.block_on(self.client.import(export))
    }

    /// See [`crate::AwClient::get_settings`].
    pub fn get_settings(&self) -> Result<BTreeMap<String, serde_json::Value>> {
        self.runtime.block_on(self.client.get_settings())
    }

    /// See [`crate::AwClient::get_setting`].
    pub fn get_setting(&self, key: &str) -> Result<serde_json::Value> {
        self.runtime.block_on(self.client.get_setting(key))
    }

    /// See [`crate::AwClient::set_setting`].
    pub fn set_setting(&self, key: &str, value: &serde_json::Value) -> Result<()> {
        self.runtime.block_on(self.client.set_setting(key, value))
    }

    /// See [`crate::AwClient::delete_setting`].
    pub fn delete_setting(&self, key: &str) -> Result<()> {
        self.runtime.block_on(self.client.delete_setting(key))
    }

    /// See [`crate::AwClient::apply_privacy_filters`].
    pub fn apply_privacy_filters(&self, dry_run: bool) -> Result<serde_json::Value> {
        self.runtime
            .block_on(self.client.apply_privacy_filters(dry_run))
    }

    /// See [`crate::AwClient::apply_retention`].
    pub fn apply_retention(&self, dry_run: bool) -> Result<serde_json::Value> {
        self.runtime.block_on(self.client.apply_retention(dry_run))
    }

    /// See [`crate::AwClient::wait_for_start`].
    pub fn wait_for_start(&self) -> Result<Info> {
        self.runtime.block_on(self.client.wait_for_start())
    }

    /// See [`crate::AwClient::wait_for_start_timeout`].
    pub fn wait_for_start_timeout(&self, timeout: Duration) -> Result<Info> {
        self.runtime
            .block_on(self.client.wait_for_start_timeout(timeout))
    }
}
