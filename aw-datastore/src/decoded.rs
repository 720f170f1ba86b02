//! [`DataCache`]: the decoded data of stored texts, kept across the reads of one
//! connection, so a row whose text was read before (in this read or an earlier one)
//! costs a hash lookup instead of a parse and an allocation.
//!
//! What must stay true: the cache is keyed by the exact stored text, so an entry can
//! never go stale (a row rewritten with other data has another text). Its memory is
//! bounded: past [`TEXT_BYTES`] of keys it starts afresh. Maps handed out are shared
//! (`Arc`) and never changed in place by their holders (`SharedEvent` copies on write).

use std::collections::HashMap;
use std::sync::Arc;

use aw_models::JsonMap;

use crate::buckets::parse_data;

/// Stored text kept per cache (about four times this in decoded maps, at most).
pub const TEXT_BYTES: usize = 4 << 20;

/// Decoded data by stored text.
#[derive(Default)]
pub struct DataCache {
    known: HashMap<Box<str>, Arc<JsonMap>, foldhash::fast::RandomState>,
    text_bytes: usize,
}

impl DataCache {
    /// The decoded data of `text`, shared with every other holder of the same text.
    pub fn data(&mut self, text: &str) -> Arc<JsonMap> {
        if let Some(data) = self.known.get(text) {
            return Arc::clone(data);
        }
        if self.text_bytes > TEXT_BYTES {
            self.known.clear();
            self.text_bytes = 0;
        }
        let data = Arc::new(parse_data(text, "event"));
        self.text_bytes += text.len();
        self.known.insert(text.into(), Arc::clone(&data));
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_map_and_the_cache_stays_bounded() {
        let mut cache = DataCache::default();
        let first = cache.data(r#"{"a":1}"#);
        assert!(Arc::ptr_eq(&first, &cache.data(r#"{"a":1}"#)));
        assert_eq!(first.get("a"), Some(&serde_json::json!(1)));
        assert!(!Arc::ptr_eq(&first, &cache.data(r#"{"a": 1}"#)));
        let long = format!(r#"{{"t":"{}"}}"#, "x".repeat(TEXT_BYTES));
        cache.data(&long);
        cache.data(r#"{"b":2}"#);
        assert_eq!(cache.known.len(), 1, "started afresh past the bound");
    }
}
