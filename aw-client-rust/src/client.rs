//! [`AwClient`]: the async client, one method per REST endpoint (docs/API.md §3).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::ACCEPT;
use reqwest::Method;
use serde::Serialize;
use url::Url;

use aw_models::time::format_datetime;
use aw_models::{Bucket, BucketMetadata, BucketsExport, Event, Info, JsonMap, Query, TimeInterval};

use crate::http::{self, api_url, Reply};
use crate::{Error, Result};

/// How long [`AwClient::wait_for_start`] waits by default.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(10);

/// Upper bound for one request; a watcher must not hang forever on a stuck server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// An async client for one server. Cheap to share by reference; requests reuse
/// kept-alive connections.
pub struct AwClient {
    pub(crate) client: reqwest::Client,
    /// The server's base URL, e.g. `http://127.0.0.1:5600/`.
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
    /// A client for the server at `host:port` (e.g. `"127.0.0.1", 5600`), naming itself
    /// `name` (e.g. `"aw-watcher-window"`). For a loopback host it sends the local
    /// server's `[auth] api_key` when its config sets one (as found by
    /// [`local_server_api_key`](crate::local_server_api_key), a file read); otherwise
    /// it does no IO. See [`AwClient::wait_for_start`].
    pub fn new(host: &str, port: u16, name: &str) -> Result<AwClient> {
        let key = crate::local_server_api_key(host, port);
        AwClient::with_key(host, port, name, key.as_deref())
    }

    /// Like [`AwClient::new`], with upstream's signature: `Some(key)` sends
    /// `Authorization: Bearer <key>` with every request (for a server with `[auth]
    /// api_key` set); `None` sends no key and reads no config.
    pub fn new_with_api_key(
        host: &str,
        port: u16,
        name: &str,
        api_key: Option<String>,
    ) -> Result<AwClient> {
        AwClient::with_key(host, port, name, api_key.as_deref())
    }

    fn with_key(host: &str, port: u16, name: &str, api_key: Option<&str>) -> Result<AwClient> {
        let baseurl = http::base_url(host, port)?;
        let client = crate::auth::http_client(REQUEST_TIMEOUT, api_key)?;
        Ok(AwClient {
            client,
            baseurl,
            name: name.to_string(),
            hostname: gethostname::gethostname().to_string_lossy().into_owned(),
        })
    }

    /// `GET /api/0/info`.
    pub async fn get_info(&self) -> Result<Info> {
        self.get(&["info"]).await?.json()
    }

    /// `GET /api/0/buckets/`: every bucket by id.
    pub async fn get_buckets(&self) -> Result<HashMap<String, Bucket>> {
        self.get(&["buckets", ""]).await?.json()
    }

    /// `GET /api/0/buckets/<bucket_id>`.
    pub async fn get_bucket(&self, bucket_id: &str) -> Result<Bucket> {
        self.get(&["buckets", bucket_id]).await?.json()
    }

    /// `POST /api/0/buckets/<bucket.id>`. A bucket that already exists is left as it
    /// is and counts as success (the server answers 304).
    pub async fn create_bucket(&self, bucket: &Bucket) -> Result<()> {
        let url = self.url(&["buckets", &bucket.id]);
        let reply = self.send(Method::POST, url, Some(bucket)).await?;
        reply.success_or_not_modified().map(drop)
    }

    /// Creates bucket `bucket_id` of type `bucket_type` with this client's name and
    /// host name; an existing bucket is success.
    pub async fn create_bucket_simple(&self, bucket_id: &str, bucket_type: &str) -> Result<()> {
        let bucket = simple_bucket(bucket_id, bucket_type, &self.name, &self.hostname);
        self.create_bucket(&bucket).await
    }

    /// `DELETE /api/0/buckets/<bucket_id>` with all its events.
    pub async fn delete_bucket(&self, bucket_id: &str) -> Result<()> {
        self.delete(&["buckets", bucket_id]).await
    }

    /// `GET /api/0/buckets/<bucket_id>/events`: events touching `[start, end]`, clipped
    /// to it, newest first, at most `limit`. `None` means unbounded.
    pub async fn get_events(
        &self,
        bucket_id: &str,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
        limit: Option<u64>,
    ) -> Result<Vec<Event>> {
        let mut url = self.url(&["buckets", bucket_id, "events"]);
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(start) = start {
                pairs.append_pair("start", &format_datetime(&start));
            }
            if let Some(end) = end {
                pairs.append_pair("end", &format_datetime(&end));
            }
            if let Some(limit) = limit {
                pairs.append_pair("limit", &limit.to_string());
            }
        }
        drop_empty_query(&mut url);
        self.send(Method::GET, url, None::<&()>)
            .await?
            .success()?
            .json()
    }

    /// `GET /api/0/buckets/<bucket_id>/events/<event_id>`: one stored event, unclipped.
    pub async fn get_event(&self, bucket_id: &str, event_id: i64) -> Result<Event> {
        let event_id = event_id.to_string();
        self.get(&["buckets", bucket_id, "events", &event_id])
            .await?
            .json()
    }

    /// `POST /api/0/buckets/<bucket_id>/events` with one event.
    pub async fn insert_event(&self, bucket_id: &str, event: &Event) -> Result<()> {
        self.post_events(bucket_id, &[event]).await
    }

    /// `POST /api/0/buckets/<bucket_id>/events`. The reply body (the stored events
    /// on our server, nothing on the Python server) is not read; use
    /// [`AwClient::get_events`] to see ids.
    pub async fn insert_events(&self, bucket_id: &str, events: Vec<Event>) -> Result<()> {
        self.post_events(bucket_id, &events).await
    }

    async fn post_events<T: Serialize + ?Sized>(&self, bucket_id: &str, events: &T) -> Result<()> {
        let url = self.url(&["buckets", bucket_id, "events"]);
        let reply = self.send(Method::POST, url, Some(events)).await?;
        reply.success().map(drop)
    }

    /// `POST /api/0/buckets/<bucket_id>/heartbeat?pulsetime=<pulsetime>`: merges `event`
    /// into the last one when their data are equal and the gap is at most `pulsetime`
    /// seconds (docs/API.md §5). Returns the stored (merged or new) event.
    pub async fn heartbeat(&self, bucket_id: &str, event: &Event, pulsetime: f64) -> Result<Event> {
        let mut url = self.url(&["buckets", bucket_id, "heartbeat"]);
        url.query_pairs_mut()
            .append_pair("pulsetime", &pulsetime.to_string());
        let reply = self.send(Method::POST, url, Some(event)).await?;
        reply.success()?.json()
    }

    /// `DELETE /api/0/buckets/<bucket_id>/events/<event_id>`; an unknown id is no error.
    pub async fn delete_event(&self, bucket_id: &str, event_id: i64) -> Result<()> {
        let event_id = event_id.to_string();
        self.delete(&["buckets", bucket_id, "events", &event_id])
            .await
    }

    /// `GET /api/0/buckets/<bucket_id>/events/count`: all of the bucket's events.
    pub async fn get_event_count(&self, bucket_id: &str) -> Result<i64> {
        self.get(&["buckets", bucket_id, "events", "count"])
            .await?
            .json()
    }

    /// `POST /api/0/query`: runs `code` once per period and returns one result per
    /// period. The code is sent as its lines, which the server joins back with `\n`.
    pub async fn query(
        &self,
        code: &str,
        timeperiods: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Vec<serde_json::Value>> {
        let lines: Vec<String> = code.split('\n').map(str::to_string).collect();
        self.query_lines(&lines, timeperiods).await
    }

    /// `POST /api/0/query` with the `query` array as given, e.g. the statements built
    /// by [`crate::queries`].
    pub async fn query_lines(
        &self,
        lines: &[String],
        timeperiods: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Vec<serde_json::Value>> {
        let body = Query {
            timeperiods: timeperiods
                .into_iter()
                .map(|(start, end)| TimeInterval::new(start, end))
                .collect(),
            query: lines.to_vec(),
        };
        let url = self.url(&["query"]);
        self.send(Method::POST, url, Some(&body))
            .await?
            .success()?
            .json()
    }

    /// `GET /api/0/export`: every bucket with its events.
    pub async fn export(&self) -> Result<BucketsExport> {
        self.get(&["export"]).await?.json()
    }

    /// `GET /api/0/buckets/<bucket_id>/export`: one bucket with its events.
    pub async fn export_bucket(&self, bucket_id: &str) -> Result<BucketsExport> {
        self.get(&["buckets", bucket_id, "export"]).await?.json()
    }

    /// `POST /api/0/import`: creates the buckets, merging into existing ones without
    /// duplicating events.
    pub async fn import(&self, export: &BucketsExport) -> Result<()> {
        let url = self.url(&["import"]);
        let reply = self.send(Method::POST, url, Some(export)).await?;
        reply.success().map(drop)
    }

    /// `GET /api/0/settings`: every setting by key.
    pub async fn get_settings(&self) -> Result<BTreeMap<String, serde_json::Value>> {
        self.get(&["settings"]).await?.json()
    }

    /// `GET /api/0/settings/<key>`: the value, or `Value::Null` when unset.
    pub async fn get_setting(&self, key: &str) -> Result<serde_json::Value> {
        self.get(&["settings", key]).await?.json()
    }

    /// `POST /api/0/settings/<key>`: stores any JSON value, replacing the old one.
    pub async fn set_setting(&self, key: &str, value: &serde_json::Value) -> Result<()> {
        let url = self.url(&["settings", key]);
        let reply = self.send(Method::POST, url, Some(value)).await?;
        reply.success().map(drop)
    }

    /// `DELETE /api/0/settings/<key>`; an unset key is no error.
    pub async fn delete_setting(&self, key: &str) -> Result<()> {
        self.delete(&["settings", key]).await
    }

    /// `POST /api/0/privacy/apply[?dry_run=1]` (this project's server): applies the
    /// `privacy_filters` rules to stored events; answers the counts per bucket.
    pub async fn apply_privacy_filters(&self, dry_run: bool) -> Result<serde_json::Value> {
        self.post_sweep(&["privacy", "apply"], dry_run).await
    }

    /// `POST /api/0/retention/apply[?dry_run=1]` (this project's server): runs the
    /// configured `[retention]` rules now; answers the counts per bucket.
    pub async fn apply_retention(&self, dry_run: bool) -> Result<serde_json::Value> {
        self.post_sweep(&["retention", "apply"], dry_run).await
    }

    async fn post_sweep(&self, segments: &[&str], dry_run: bool) -> Result<serde_json::Value> {
        let mut url = self.url(segments);
        if dry_run {
            url.query_pairs_mut().append_pair("dry_run", "1");
        }
        let reply = self.send(Method::POST, url, None::<&()>).await?;
        reply.success()?.json()
    }

    /// Polls `GET /api/0/info` until the server answers, for at most
    /// [`DEFAULT_START_TIMEOUT`].
    pub async fn wait_for_start(&self) -> Result<Info> {
        self.wait_for_start_timeout(DEFAULT_START_TIMEOUT).await
    }

    /// Polls `GET /api/0/info` until the server answers, backing off from 50 ms to
    /// 1 s between attempts; fails with [`Error::StartTimeout`] after `timeout`.
    /// An error status (e.g. a refused `Host` header) means a running server that
    /// will keep refusing, so it is returned at once instead of being retried.
    pub async fn wait_for_start_timeout(&self, timeout: Duration) -> Result<Info> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(50);
        let mut last_error = None;
        loop {
            let remaining = timeout.saturating_sub(started.elapsed());
            if remaining.is_zero() {
                return Err(Error::StartTimeout {
                    url: self.baseurl.to_string(),
                    timeout,
                    last_error: last_error.map(Box::new),
                });
            }
            match tokio::time::timeout(remaining, self.get_info()).await {
                Ok(Ok(info)) => return Ok(info),
                Ok(Err(err @ Error::Status { .. })) => return Err(err),
                Ok(Err(err)) => {
                    log::debug!("server not ready yet: {err}");
                    last_error = Some(err);
                }
                // The attempt used up all the remaining time; the next turn reports it.
                Err(_elapsed) => continue,
            }
            tokio::time::sleep(delay.min(timeout.saturating_sub(started.elapsed()))).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        api_url(&self.baseurl, segments)
    }

    async fn send<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
    ) -> Result<Reply> {
        let mut request = self
            .client
            .request(method.clone(), url.clone())
            .header(ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        http::send(request, method, url).await
    }

    async fn get(&self, segments: &[&str]) -> Result<Reply> {
        let url = self.url(segments);
        self.send(Method::GET, url, None::<&()>).await?.success()
    }

    async fn delete(&self, segments: &[&str]) -> Result<()> {
        let url = self.url(segments);
        self.send(Method::DELETE, url, None::<&()>)
            .await?
            .success()
            .map(drop)
    }
}

/// The bucket [`AwClient::create_bucket_simple`] sends.
pub(crate) fn simple_bucket(
    bucket_id: &str,
    bucket_type: &str,
    client: &str,
    hostname: &str,
) -> Bucket {
    Bucket {
        id: bucket_id.to_string(),
        bucket_type: bucket_type.to_string(),
        client: client.to_string(),
        hostname: hostname.to_string(),
        created: None,
        data: JsonMap::new(),
        metadata: BucketMetadata::default(),
        events: None,
        last_updated: None,
    }
}

/// `url` keeps a dangling `?` after an empty `query_pairs_mut`; remove it.
fn drop_empty_query(url: &mut Url) {
    if url.query() == Some("") {
        url.set_query(None);
    }
}
