//! [`DataCache`]: the decoded data of stored texts, kept across the reads of one
//! connection, so a row whose text was read before (in this read or an earlier one)
//! costs a hash lookup instead of a parse and an allocation.
//!
//! What must stay true: the cache is keyed by the exact stored text, so an entry can
//! never go stale (a row rewritten with other data has another text). Its memory is
//! bounded: past [`TEXT_BYTES`] of keys it keeps only the entries used again since the
//! last such sweep (texts every query reads, window titles and a year of browser
//! texts, stay; those of a one-off read go), and starts afresh if they alone are too
//! many. Maps handed out are shared (`Arc`) and never changed in place by their
//! holders (`SharedEvent` copies on write).

use std::collections::HashMap;
use std::sync::Arc;

use aw_models::JsonMap;
use rusqlite::types::ValueRef;
use rusqlite::Row;

use crate::buckets::parse_data;

/// Stored text kept per cache (about four times this in decoded maps, at most). A
/// year of browser events holds ~110k one-off texts (~20 MB): kept, a repeated year
/// query decodes none of them again (reader CPU -30%, and the query drops no maps).
/// A reader gives it all back after a few idle seconds (`reader.rs`).
pub const TEXT_BYTES: usize = 32 << 20;

/// Decoded data by stored text (its bytes: a text seen before needs no UTF-8 check).
pub struct DataCache {
    known: HashMap<Box<[u8]>, Entry, foldhash::fast::RandomState>,
    text_bytes: usize,
    /// Stored text kept at most: [`TEXT_BYTES`] unless built [`DataCache::bounded`]
    /// (an export stream keeps its own small one, `reader.rs`).
    limit: usize,
}

impl Default for DataCache {
    fn default() -> DataCache {
        DataCache::bounded(TEXT_BYTES)
    }
}

struct Entry {
    data: Arc<JsonMap>,
    /// Looked up again since the last sweep.
    used: bool,
}

impl DataCache {
    /// An empty cache keeping at most `limit` bytes of stored text.
    pub fn bounded(limit: usize) -> DataCache {
        DataCache {
            known: HashMap::default(),
            text_bytes: 0,
            limit,
        }
    }

    /// The decoded data of `text`, shared with every other holder of the same text.
    pub fn data(&mut self, text: &str) -> Arc<JsonMap> {
        match self.known_data(text.as_bytes()) {
            Some(data) => data,
            None => self.decode(text),
        }
    }

    /// The decoded data of column `idx` of `row`. A value that is not UTF-8 text fails
    /// with the error reading it as a `String` gives, as plain reads do.
    pub fn column_data(&mut self, row: &Row<'_>, idx: usize) -> rusqlite::Result<Arc<JsonMap>> {
        if let ValueRef::Text(bytes) = row.get_ref(idx)? {
            if let Some(data) = self.data_utf8(bytes) {
                return Ok(data);
            }
        }
        Ok(self.data(&row.get::<_, String>(idx)?))
    }

    /// [`DataCache::data`] of text read as bytes, or `None` when they are not UTF-8.
    /// Only a text not seen before is checked: a hit matches a key that was.
    fn data_utf8(&mut self, bytes: &[u8]) -> Option<Arc<JsonMap>> {
        if let Some(data) = self.known_data(bytes) {
            return Some(data);
        }
        std::str::from_utf8(bytes)
            .ok()
            .map(|text| self.decode(text))
    }

    fn known_data(&mut self, bytes: &[u8]) -> Option<Arc<JsonMap>> {
        let entry = self.known.get_mut(bytes)?;
        entry.used = true;
        Some(Arc::clone(&entry.data))
    }

    /// Parses a text not in the cache and keeps it.
    fn decode(&mut self, text: &str) -> Arc<JsonMap> {
        if self.text_bytes > self.limit {
            self.sweep();
        }
        let data = Arc::new(parse_data(text, "event"));
        self.text_bytes += text.len();
        let entry = Entry {
            data: Arc::clone(&data),
            used: false,
        };
        self.known.insert(text.as_bytes().into(), entry);
        data
    }

    /// Keeps the entries used since the last sweep (all of them, if they fill half
    /// the bound, would sweep again at once: then none).
    fn sweep(&mut self) {
        self.known
            .retain(|_, entry| std::mem::take(&mut entry.used));
        self.text_bytes = self.known.keys().map(|text| text.len()).sum();
        if self.text_bytes > self.limit / 2 {
            self.known.clear();
            self.text_bytes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_map() {
        let mut cache = DataCache::default();
        let first = cache.data(r#"{"a":1}"#);
        assert!(Arc::ptr_eq(&first, &cache.data(r#"{"a":1}"#)));
        assert_eq!(first.get("a"), Some(&serde_json::json!(1)));
        assert!(!Arc::ptr_eq(&first, &cache.data(r#"{"a": 1}"#)));
        let from_bytes = cache.data_utf8(br#"{"a":1}"#);
        assert!(from_bytes.is_some_and(|data| Arc::ptr_eq(&first, &data)));
        assert!(cache.data_utf8(b"{\"a\":\"\xff\"}").is_none(), "not UTF-8");
        let fresh = cache.data_utf8(br#"{"b":2}"#);
        assert!(fresh.is_some_and(|data| Arc::ptr_eq(&data, &cache.data(r#"{"b":2}"#))));
    }

    #[test]
    fn a_bounded_cache_keeps_to_its_own_bound() {
        let mut cache = DataCache::bounded(10_000);
        for idx in 0..1000 {
            cache.data(&format!(r#"{{"n":{idx},"pad":"{}"}}"#, "x".repeat(100)));
            assert!(cache.text_bytes <= 10_000 + 200, "{}", cache.text_bytes);
        }
    }

    #[test]
    fn past_the_bound_only_entries_used_again_stay() {
        let mut cache = DataCache::default();
        let hot = cache.data(r#"{"hot":1}"#);
        let text = |idx: usize| format!(r#"{{"n":{idx},"pad":"{}"}}"#, "x".repeat(1000));
        let mut idx = 0;
        while cache.text_bytes <= TEXT_BYTES {
            cache.data(&text(idx));
            if idx % 100 == 0 {
                assert!(Arc::ptr_eq(&hot, &cache.data(r#"{"hot":1}"#)));
            }
            idx += 1;
        }
        cache.data("{}");
        assert!(Arc::ptr_eq(&hot, &cache.data(r#"{"hot":1}"#)), "kept");
        assert_eq!(cache.known.len(), 2, "the one-off texts went");
        // Everything used again: too much to keep, so the cache starts afresh.
        let many: Vec<String> = (0..TEXT_BYTES / 900).map(text).collect();
        for text in &many {
            cache.data(text);
            cache.data(text);
        }
        assert!(cache.text_bytes <= TEXT_BYTES + 2000);
    }
}
