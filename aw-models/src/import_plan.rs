//! [`ImportPlan`]: an export document read for importing, compactly: every event as
//! four numbers, and each distinct `data` object once, as its canonical JSON text.
//!
//! A year of window events holds ~300k events but ~1.5k distinct data objects, so the
//! plan of a document is a fraction of its size, and each distinct object is decoded,
//! checked and re-encoded once instead of once per event. It can be read straight
//! from a stream ([`ImportPlan::from_reader`]), so a large upload is never in memory
//! whole.
//!
//! What must stay true: a plan accepts and refuses exactly the documents that
//! [`BucketsExport`] does, and holds the same buckets and events: the map key is
//! ignored for the bucket's own `id`, a later duplicate key replaces an earlier one,
//! buckets come in key order, invalid events are dropped one by one, and texts are
//! what `serde_json::to_string` makes of the event's data (sorted keys, compact).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::event::data_depth;
use crate::time::{duration_nanos, to_nanos};
use crate::{Bucket, BucketsExport, Event, JsonMap, ModelError, MAX_DATA_DEPTH};

/// An export document, ready to import.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportPlan {
    /// The buckets in key order, each without embedded events.
    pub buckets: Vec<PlannedBucket>,
    /// Distinct canonical data texts; [`PlannedEvent::data`] indexes this.
    pub data: Vec<Box<str>>,
}

/// One bucket of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedBucket {
    /// The bucket's fields; `events` is `None`.
    pub bucket: Bucket,
    /// Its valid events, in document order.
    pub events: Vec<PlannedEvent>,
}

/// One event of a plan: its span in nanoseconds and its data's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedEvent {
    id: Option<i64>,
    /// Start, ns since the epoch.
    pub start: i64,
    /// End, ns since the epoch (fits: events whose end does not are dropped).
    pub end: i64,
    /// Index into [`ImportPlan::data`].
    pub data: u32,
}

impl PlannedEvent {
    /// The event's explicit id, if it had one.
    pub fn id(&self) -> Option<i64> {
        self.id
    }

    /// The text of this event's data among `texts` (the list its index points into);
    /// `{}` for an index outside it.
    pub fn data_in<'t>(&self, texts: &'t [Box<str>]) -> &'t str {
        usize::try_from(self.data)
            .ok()
            .and_then(|idx| texts.get(idx))
            .map_or("{}", |text| text)
    }

    /// The same event with id `id` (once it is stored).
    pub fn with_id(self, id: i64) -> PlannedEvent {
        PlannedEvent {
            id: Some(id),
            ..self
        }
    }

    /// The plan of a built event, its data text added to `texts`; an event whose end
    /// does not fit is refused.
    pub(crate) fn of(event: &Event, texts: &mut Texts) -> Result<PlannedEvent, ModelError> {
        let data = serde_json::to_string(&event.data).unwrap_or_default();
        Ok(PlannedEvent {
            id: event.id,
            start: event.start_nanos(),
            end: event.end_nanos().ok_or(ModelError::OutOfRange)?,
            data: texts.canonical(data),
        })
    }
}

impl ImportPlan {
    /// Reads a document from a stream, refusing trailing characters as serde_json does.
    pub fn from_reader(reader: impl std::io::Read) -> serde_json::Result<ImportPlan> {
        let mut de = serde_json::Deserializer::from_reader(reader);
        let plan = ImportPlan::deserialize(&mut de)?;
        de.end()?;
        Ok(plan)
    }

    /// Reads a document from bytes.
    pub fn from_slice(bytes: &[u8]) -> serde_json::Result<ImportPlan> {
        serde_json::from_slice(bytes)
    }

    /// How many events the plan holds.
    pub fn event_count(&self) -> usize {
        self.buckets.iter().map(|bucket| bucket.events.len()).sum()
    }

    /// The canonical text of `event`'s data.
    pub fn data_of(&self, event: &PlannedEvent) -> &str {
        event.data_in(&self.data)
    }
}

/// Refuses an export holding an event whose end does not fit ([`ModelError::OutOfRange`]),
/// which the document reader drops but a built [`BucketsExport`] may hold.
impl TryFrom<BucketsExport> for ImportPlan {
    type Error = ModelError;

    fn try_from(export: BucketsExport) -> Result<ImportPlan, ModelError> {
        let mut texts = Texts::default();
        let mut buckets = Vec::with_capacity(export.buckets.len());
        for mut bucket in export.buckets.into_values() {
            let events = bucket
                .events
                .take()
                .unwrap_or_default()
                .iter()
                .map(|event| PlannedEvent::of(event, &mut texts))
                .collect::<Result<_, ModelError>>()?;
            buckets.push(PlannedBucket { bucket, events });
        }
        Ok(ImportPlan {
            buckets,
            data: texts.into_vec(),
        })
    }
}

/// The distinct canonical texts, and what each raw text seen so far became.
#[derive(Default)]
pub(crate) struct Texts {
    canonical: HashMap<Box<str>, u32, foldhash::fast::RandomState>,
    /// Raw data text → canonical index, or `None` when it is not valid event data.
    raw: HashMap<Box<str>, Option<u32>, foldhash::fast::RandomState>,
    order: Vec<Box<str>>,
}

impl Texts {
    fn canonical(&mut self, text: String) -> u32 {
        if let Some(&idx) = self.canonical.get(text.as_str()) {
            return idx;
        }
        let idx = u32::try_from(self.order.len()).unwrap_or(u32::MAX);
        let text: Box<str> = text.into();
        self.order.push(text.clone());
        self.canonical.insert(text, idx);
        idx
    }

    /// The index of raw data text `raw`, decoding and checking it the first time.
    fn raw(&mut self, raw: &str) -> Option<u32> {
        if let Some(&known) = self.raw.get(raw) {
            return known;
        }
        let decoded = serde_json::from_str::<JsonMap>(raw)
            .ok()
            .filter(|map| data_depth(map) <= MAX_DATA_DEPTH)
            .and_then(|map| serde_json::to_string(&map).ok())
            .map(|text| self.canonical(text));
        self.raw.insert(raw.into(), decoded);
        decoded
    }

    pub(crate) fn into_vec(self) -> Vec<Box<str>> {
        self.order
    }
}

/// An event as the document has it, with its data still as text.
#[derive(Deserialize)]
struct RawEvent<'a> {
    #[serde(default)]
    id: Option<i64>,
    #[serde(with = "crate::time::datetime")]
    timestamp: DateTime<Utc>,
    #[serde(default, with = "crate::time::duration_secs")]
    duration: TimeDelta,
    #[serde(borrow)]
    data: &'a RawValue,
}

/// The plan's event for one array element, or `None` when it is not a valid event.
pub(crate) fn plan_event(element: &RawValue, texts: &mut Texts) -> Option<PlannedEvent> {
    let raw: RawEvent<'_> = serde_json::from_str(element.get()).ok()?;
    let start = to_nanos(&raw.timestamp);
    let end = start.checked_add(duration_nanos(&raw.duration))?;
    Some(PlannedEvent {
        id: raw.id,
        start,
        end,
        data: texts.raw(raw.data.get())?,
    })
}

impl<'de> Deserialize<'de> for ImportPlan {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<ImportPlan, D::Error> {
        let mut texts = Texts::default();
        let buckets = de.deserialize_map(Document(BucketsSeed(&mut texts)))?;
        Ok(ImportPlan {
            buckets: buckets.into_values().collect(),
            data: texts.into_vec(),
        })
    }
}

/// An export document: its `buckets` read by the seed `S`, every other key skipped,
/// `buckets` required once (as [`BucketsExport`] reads it).
pub(crate) struct Document<S>(pub(crate) S);

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Document<S> {
    type Value = S::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct BucketsExport")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<S::Value, A::Error> {
        let mut seed = Some(self.0);
        let mut buckets = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key != "buckets" {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let seed = seed
                .take()
                .ok_or_else(|| de::Error::duplicate_field("buckets"))?;
            buckets = Some(map.next_value_seed(seed)?);
        }
        buckets.ok_or_else(|| de::Error::missing_field("buckets"))
    }
}

struct BucketsSeed<'t>(&'t mut Texts);

impl<'de> DeserializeSeed<'de> for BucketsSeed<'_> {
    type Value = BTreeMap<String, PlannedBucket>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BucketsSeed<'_> {
    type Value = BTreeMap<String, PlannedBucket>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut buckets = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let bucket = map.next_value_seed(BucketSeed(&mut *self.0))?;
            buckets.insert(key, bucket);
        }
        Ok(buckets)
    }
}

/// The fields [`Bucket`] reads besides `events` (a repeated one is an error there too).
const BUCKET_FIELDS: [&str; 7] = [
    "id",
    "type",
    "client",
    "hostname",
    "created",
    "data",
    "last_updated",
];

/// One bucket: `events` is planned element by element; every other field is collected
/// and checked by [`Bucket`]'s own deserializer.
pub(crate) struct BucketSeed<'t>(pub(crate) &'t mut Texts);

impl<'de> DeserializeSeed<'de> for BucketSeed<'_> {
    type Value = PlannedBucket;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<PlannedBucket, D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BucketSeed<'_> {
    type Value = PlannedBucket;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct Bucket")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PlannedBucket, A::Error> {
        let mut fields = JsonMap::new();
        let mut events: Option<Option<Vec<PlannedEvent>>> = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "events" {
                if events.is_some() {
                    return Err(de::Error::duplicate_field("events"));
                }
                events = Some(map.next_value_seed(EventsSeed(&mut *self.0))?);
            } else if BUCKET_FIELDS.contains(&key.as_str()) && fields.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
            } else {
                let value = map.next_value::<serde_json::Value>()?;
                fields.insert(key, value);
            }
        }
        let bucket =
            Bucket::deserialize(serde_json::Value::Object(fields)).map_err(de::Error::custom)?;
        Ok(PlannedBucket {
            bucket,
            events: events.flatten().unwrap_or_default(),
        })
    }
}

/// `events`: `null` or an array whose invalid elements are dropped.
struct EventsSeed<'t>(&'t mut Texts);

impl<'de> DeserializeSeed<'de> for EventsSeed<'_> {
    type Value = Option<Vec<PlannedEvent>>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for EventsSeed<'_> {
    type Value = Option<Vec<PlannedEvent>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence of events or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut events = Vec::new();
        while let Some(element) = seq.next_element::<Box<RawValue>>()? {
            events.extend(plan_event(&element, self.0));
        }
        Ok(Some(events))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each bucket of a plan with its events' spans, ids and data texts.
    type Contents = Vec<(Bucket, Vec<(Option<i64>, i64, i64, String)>)>;

    fn contents(plans: &[ImportPlan]) -> Contents {
        plans
            .iter()
            .flat_map(|plan| {
                plan.buckets.iter().map(|bucket| {
                    let events = bucket
                        .events
                        .iter()
                        .map(|e| (e.id(), e.start, e.end, plan.data_of(e).to_string()))
                        .collect();
                    (bucket.bucket.clone(), events)
                })
            })
            .collect()
    }

    /// The plan and the [`BucketsExport`] of one document agree event by event, and
    /// so do the plans read bucket by bucket (unless its keys are out of order or
    /// repeat: then none).
    fn assert_same(document: &str, keys_in_order: bool) {
        let export: BucketsExport = serde_json::from_str(document).unwrap();
        let expected = contents(&[ImportPlan::try_from(export).unwrap()]);
        let streamed = ImportPlan::from_reader(document.as_bytes()).unwrap();
        assert_eq!(contents(&[streamed]), expected);
        let mut by_bucket = Vec::new();
        let read = ImportPlan::read_buckets(document.as_bytes(), |plan| by_bucket.push(plan));
        match keys_in_order {
            false => assert_eq!(read, None, "{document}"),
            true => {
                assert_eq!(read, Some(expected.len()), "{document}");
                assert_eq!(contents(&by_bucket), expected, "{document}");
            }
        }
    }

    #[test]
    fn plans_agree_with_the_export_model() {
        let documents = [
            r#"{"buckets":{}}"#,
            r#"{"other":1,"buckets":{"k":{"id":"a","type":"t","client":"c","hostname":"h","events":null}}}"#,
            r#"{"buckets":{"k":{"id":"a","type":"t","client":"c","hostname":"h","data":{"x":1},"metadata":{"start":"x"},
                "events":[{"id":7,"timestamp":"2020-01-01T00:00:00Z","duration":1.5,"data":{"b":1, "a":[2.0,{"z":null}]}},
                {"bad":1},null,3,{"timestamp":"2020-01-01T00:00:01Z","data":[]},
                {"timestamp":"2262-04-11T00:00:00Z","duration":1e9,"data":{}},
                {"timestamp":"2020-01-01T00:00:02+01:00","data":{"a":[2.0,{"z":null}],"b":1}},
                {"timestamp":"2020-01-01T00:00:03Z","duration":2,"data":{"é":"\u00e9\n"}}]},
              "j":{"id":"b","type":"t","client":"c","hostname":"h"},
              "k2":{"id":"a","type":"t2","client":"c","hostname":"h","created":"2021-01-01T00:00:00Z","events":[]}}}"#,
        ];
        for (idx, document) in documents.iter().enumerate() {
            // The third document's keys are k, j, k2.
            assert_same(document, idx != 2);
        }
        let ordered = documents[2].replacen(r#""k":{"id":"a""#, r#""i":{"id":"a""#, 1);
        assert_same(&ordered, true);
        let repeated = r#"{"buckets":{"k":{"id":"a","type":"t","client":"c","hostname":"h"},
            "k":{"id":"b","type":"t","client":"c","hostname":"h"}}}"#;
        assert_same(repeated, false);
    }

    #[test]
    fn equal_data_is_stored_once_whatever_its_key_order() {
        let plan = ImportPlan::from_reader(
            r#"{"buckets":{"k":{"type":"t","client":"c","hostname":"h","events":[
                {"timestamp":"2020-01-01T00:00:00Z","data":{"b":1,"a":2}},
                {"timestamp":"2020-01-01T00:00:01Z","data":{"a":2,"b":1}},
                {"timestamp":"2020-01-01T00:00:02Z","data":{"a": 2, "b": 1}}]}}}"#
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(plan.data, vec![Box::<str>::from(r#"{"a":2,"b":1}"#)]);
        assert_eq!(plan.event_count(), 3);
    }

    #[test]
    fn refuses_what_the_export_model_refuses() {
        let documents = [
            "{}",
            "[]",
            r#"{"buckets":[]}"#,
            r#"{"buckets":{},"buckets":{}}"#,
            r#"{"buckets":{"k":{"type":"t","client":"c"}}}"#,
            r#"{"buckets":{"k":{"type":"t","client":"c","hostname":"h","created":"yesterday"}}}"#,
            r#"{"buckets":{"k":{"type":"t","client":"c","hostname":"h","events":{}}}}"#,
            r#"{"buckets":{"k":{"type":"t","client":"c","hostname":"h","hostname":"h"}}}"#,
            r#"{"buckets":{}} x"#,
            r#"{"buckets":{"k":{"type":"t","client":"c","hostname":"h","events":[{"#,
            r#"{"buckets":{"k":{"type":"t"},"k":{"type":"t","client":"c","hostname":"h"}}}"#,
            r#"[{"buckets":{}}]"#,
        ];
        for document in documents {
            assert!(
                ImportPlan::from_reader(document.as_bytes()).is_err(),
                "{document}"
            );
            assert!(
                serde_json::from_str::<BucketsExport>(document).is_err(),
                "{document}"
            );
            assert_eq!(ImportPlan::read_buckets(document.as_bytes(), |_| ()), None);
        }
    }
}
