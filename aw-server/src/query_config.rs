//! The `[query]` table of the config file: the budget of one `POST /api/0/query`
//! request (aw_query's `QueryLimits`), so one query cannot exhaust the server's
//! memory or keep a worker busy forever. Sizes in MiB, the time in seconds; the
//! defaults are far above any dashboard query. A request over a size limit answers
//! 422, over the time limit 503, each naming the key that sets the limit.

use std::time::Duration;

use aw_query::QueryLimits;
use serde::Deserialize;

const MIB: usize = 1024 * 1024;
/// Default size of the query result cache: a year answer of the desktop query is about
/// 1 MB, a day answer a few kB; idle memory counts too.
const DEFAULT_CACHE_MB: usize = 16;

/// The `[query]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct QueryConfig {
    /// Largest value one expression may build (`+`, literals, functions), in MiB.
    pub max_value_mb: usize,
    /// Largest total of the results of all periods of a request, in MiB.
    pub max_result_mb: usize,
    /// Most events the `query_bucket` calls of a request may read together.
    pub max_events: usize,
    /// Largest total size of those events, in MiB.
    pub max_event_mb: usize,
    /// Longest a request may run, in seconds.
    pub timeout_secs: u64,
    /// Memory for cached answers of periods that no write changed since (the
    /// dashboard re-sends its queries on every view change), in MiB; 0 turns it off.
    pub cache_mb: usize,
}

impl Default for QueryConfig {
    fn default() -> QueryConfig {
        let limits = QueryLimits::default();
        QueryConfig {
            max_value_mb: limits.max_value_bytes / MIB,
            max_result_mb: limits.max_result_bytes / MIB,
            max_events: limits.max_events,
            max_event_mb: limits.max_event_bytes / MIB,
            timeout_secs: limits.timeout.as_secs(),
            cache_mb: DEFAULT_CACHE_MB,
        }
    }
}

impl QueryConfig {
    /// The result cache's size in bytes (0: off).
    pub fn cache_bytes(&self) -> usize {
        self.cache_mb.saturating_mul(MIB)
    }

    /// The limits the query engine enforces.
    pub fn limits(&self) -> QueryLimits {
        QueryLimits {
            max_value_bytes: self.max_value_mb.saturating_mul(MIB),
            max_result_bytes: self.max_result_mb.saturating_mul(MIB),
            max_events: self.max_events,
            max_event_bytes: self.max_event_mb.saturating_mul(MIB),
            timeout: Duration::from_secs(self.timeout_secs),
        }
    }
}

/// The commented `[query]` section of a new config file.
pub fn default_text() -> String {
    let defaults = QueryConfig::default();
    format!(
        "#\n#[query]\n\
         # Budget of one POST /api/0/query (422 when a size is crossed, 503 for the time).\n\
         #max_value_mb = {}\n#max_result_mb = {}\n#max_events = {}\n#max_event_mb = {}\n#timeout_secs = {}\n\
         # Memory for answers of periods no write changed since (MiB, 0 = off).\n\
         #cache_mb = {}\n",
        defaults.max_value_mb,
        defaults.max_result_mb,
        defaults.max_events,
        defaults.max_event_mb,
        defaults.timeout_secs,
        defaults.cache_mb
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_engine_defaults() {
        assert_eq!(QueryConfig::default().limits(), QueryLimits::default());
        let text = default_text();
        assert!(text.contains("#timeout_secs = 120\n"), "{text}");
    }
}
