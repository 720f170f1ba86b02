//! [`ImportPlan::read_buckets`]: an export document read bucket by bucket, each bucket
//! handed over as a plan of its own as soon as it is read, so that the first buckets
//! are stored while the later ones are still being read.
//!
//! What must stay true: the buckets and events handed over are exactly those of
//! [`ImportPlan::from_slice`], in the same (key) order. A document whose bucket keys do
//! not come in increasing order (a repeat replaces an earlier bucket there), or that
//! does not read at all, answers `None`: the caller undoes what it got and reads the
//! document as a whole instead, for the same result or error.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};

use crate::import_plan::{BucketSeed, Document, Texts};
use crate::ImportPlan;

impl ImportPlan {
    /// Reads a document from bytes, handing each bucket to `each` in key order as a
    /// one-bucket plan (with its own data texts). The number of buckets, or `None`
    /// when the document must be read with [`ImportPlan::from_slice`] instead (some
    /// buckets may have been handed over by then).
    pub fn read_buckets(bytes: &[u8], mut each: impl FnMut(ImportPlan)) -> Option<usize> {
        let mut reader = BucketReader {
            each: &mut each,
            last_key: None,
            handed: 0,
            in_order: true,
        };
        let mut de = serde_json::Deserializer::from_slice(bytes);
        de.deserialize_map(Document(BucketsReader(&mut reader)))
            .ok()?;
        de.end().ok()?;
        reader.in_order.then_some(reader.handed)
    }
}

/// Where the buckets go, and whether their keys still come in increasing order.
struct BucketReader<'e> {
    each: &'e mut dyn FnMut(ImportPlan),
    last_key: Option<String>,
    handed: usize,
    in_order: bool,
}

struct BucketsReader<'r, 'e>(&'r mut BucketReader<'e>);

impl<'de> DeserializeSeed<'de> for BucketsReader<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BucketsReader<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let reader = self.0;
        while let Some(key) = map.next_key::<String>()? {
            let mut texts = Texts::default();
            let bucket = map.next_value_seed(BucketSeed(&mut texts))?;
            reader.in_order &= reader.last_key.as_ref().is_none_or(|last| *last < key);
            if reader.in_order {
                (reader.each)(ImportPlan {
                    buckets: vec![bucket],
                    data: texts.into_vec(),
                });
                reader.handed += 1;
            }
            reader.last_key = Some(key);
        }
        Ok(())
    }
}
