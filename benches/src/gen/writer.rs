//! Turning a generated [`Dataset`] into ActivityWatch models and export JSON (streamed, so
//! a 545 000-event file never exists twice in memory), plus a short summary of it.

use std::collections::HashSet;
use std::fmt;
use std::io::{self, Write};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use aw_models::{time, Bucket, BucketsExport, Event, JsonMap};

use super::{Dataset, EventData, GenBucket, GenEvent};

/// Per-bucket facts about a generated dataset, printed by `aw-bench gen`.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// One line per bucket.
    pub buckets: Vec<BucketSummary>,
}

/// Facts about one generated bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketSummary {
    /// Bucket id.
    pub id: String,
    /// Number of events.
    pub events: usize,
    /// Distinct `title` values (window and web buckets).
    pub distinct_titles: usize,
    /// Start of the first event.
    pub first: Option<DateTime<Utc>>,
    /// End of the last event.
    pub last: Option<DateTime<Utc>>,
}

fn micros_to_datetime(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

impl GenEvent {
    /// The event's `data` object as the watchers write it.
    pub fn data_map(&self) -> JsonMap {
        let value = match &self.data {
            EventData::Window { app, title } => json!({"app": &**app, "title": &**title}),
            EventData::Afk { afk } => json!({"status": if *afk { "afk" } else { "not-afk" }}),
            EventData::Web {
                page,
                tab_count,
                incognito,
            } => json!({
                "audible": page.audible,
                "incognito": incognito,
                "tabCount": tab_count,
                "title": page.title,
                "url": page.url,
            }),
        };
        match value {
            serde_json::Value::Object(map) => map,
            _ => JsonMap::new(),
        }
    }

    /// The event as an unstored ActivityWatch [`Event`].
    pub fn to_event(&self) -> Event {
        Event::new(
            micros_to_datetime(self.start_us),
            TimeDelta::microseconds(self.duration_us),
            self.data_map(),
        )
    }
}

impl GenBucket {
    /// The bucket with all its events embedded, newest first as in an export.
    pub fn to_bucket(&self) -> Bucket {
        Bucket {
            id: self.id.clone(),
            bucket_type: self.bucket_type.clone(),
            client: self.client.clone(),
            hostname: self.hostname.clone(),
            created: Some(micros_to_datetime(self.created_us)),
            data: JsonMap::new(),
            metadata: Default::default(),
            events: Some(self.events.iter().rev().map(GenEvent::to_event).collect()),
            last_updated: None,
        }
    }

    fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        let text = |value: &str| serde_json::to_string(value).map_err(io::Error::other);
        write!(
            out,
            "{{\"id\":{},\"type\":{},\"client\":{},\"hostname\":{},\"created\":{},\"data\":{{}},\"events\":[",
            text(&self.id)?,
            text(&self.bucket_type)?,
            text(&self.client)?,
            text(&self.hostname)?,
            text(&time::format_datetime(&micros_to_datetime(self.created_us)))?,
        )?;
        for (idx, event) in self.events.iter().rev().enumerate() {
            out.write_all(if idx == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut *out, &event.to_event()).map_err(io::Error::other)?;
        }
        out.write_all(b"\n]}")
    }

    fn summary(&self) -> BucketSummary {
        let titles: HashSet<&str> = self
            .events
            .iter()
            .filter_map(|event| match &event.data {
                EventData::Window { title, .. } => Some(&**title),
                EventData::Web { page, .. } => Some(page.title.as_str()),
                EventData::Afk { .. } => None,
            })
            .collect();
        BucketSummary {
            id: self.id.clone(),
            events: self.events.len(),
            distinct_titles: titles.len(),
            first: self.events.first().map(|e| micros_to_datetime(e.start_us)),
            last: self
                .events
                .last()
                .map(|e| micros_to_datetime(e.start_us + e.duration_us)),
        }
    }
}

impl Dataset {
    /// The whole dataset as an export document (allocates every event; fine for tests
    /// and in-process benchmarks of small datasets).
    pub fn to_export(&self) -> BucketsExport {
        BucketsExport {
            buckets: self
                .buckets
                .iter()
                .map(|bucket| (bucket.id.clone(), bucket.to_bucket()))
                .collect(),
        }
    }

    /// Writes the export JSON (`{"buckets":{…}}`) event by event.
    pub fn write_export(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(b"{\"buckets\":{")?;
        for (idx, bucket) in self.buckets.iter().enumerate() {
            if idx > 0 {
                out.write_all(b",")?;
            }
            let key = serde_json::to_string(&bucket.id).map_err(io::Error::other)?;
            write!(out, "\n{key}:")?;
            bucket.write_json(out)?;
        }
        out.write_all(b"\n}}\n")
    }

    /// Total number of events.
    pub fn event_count(&self) -> usize {
        self.buckets.iter().map(|bucket| bucket.events.len()).sum()
    }

    /// Per-bucket counts, distinct titles and time span.
    pub fn summary(&self) -> Summary {
        Summary {
            buckets: self.buckets.iter().map(GenBucket::summary).collect(),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |time: &Option<DateTime<Utc>>| {
            time.map_or("-".to_string(), |t| time::format_datetime(&t))
        };
        for bucket in &self.buckets {
            writeln!(
                f,
                "{:<36} {:>8} events {:>7} distinct titles  {} .. {}",
                bucket.id,
                bucket.events,
                bucket.distinct_titles,
                show(&bucket.first),
                show(&bucket.last)
            )?;
        }
        Ok(())
    }
}
