//! Set-up shared by the query benchmarks (`benches/query.rs`) and the `query_year`
//! timing harness (`examples/query_year.rs`): aw-webui's §9.1 desktop query and a
//! generated dataset in a `MemoryDatastore`, which shares equal data in one `Arc` as
//! the server's reads do.

use aw_benches::gen::{generate, GenConfig};
use aw_models::TimeInterval;
use aw_query::MemoryDatastore;

/// The §9.1 request, taken from aw-query's golden data so the two never drift apart.
const WEBUI_GOLDEN: &str = include_str!("../../../aw-query/tests/golden/webui.json");

/// The §9.1 program with its bucket ids pointed at the generated host.
pub fn full_desktop_query(hostname: &str) -> String {
    let cases: Vec<serde_json::Value> = serde_json::from_str(WEBUI_GOLDEN).unwrap();
    let case = cases
        .iter()
        .find(|case| case["name"].as_str().unwrap().starts_with("§9.1"))
        .expect("the §9.1 golden case");
    let lines: Vec<&str> = case["query"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line.as_str().unwrap())
        .collect();
    lines.join("\n").replace("_myhost", &format!("_{hostname}"))
}

/// A datastore holding the dataset `config` generates, and the period covering it.
pub fn dataset(config: &GenConfig) -> (MemoryDatastore, TimeInterval) {
    let generated = generate(config).unwrap();
    let mut datastore = MemoryDatastore::new();
    let (mut first, mut last) = (None, None);
    for gen_bucket in &generated.buckets {
        let mut bucket = gen_bucket.to_bucket();
        let events = bucket.events.take().unwrap_or_default();
        for event in &events {
            first = first.min(Some(event.timestamp)).or(Some(event.timestamp));
            last = last.max(Some(event.calculate_endtime()));
        }
        datastore.create_bucket(bucket);
        datastore.insert_events(&gen_bucket.id, events).unwrap();
    }
    (datastore, TimeInterval::new(first.unwrap(), last.unwrap()))
}
