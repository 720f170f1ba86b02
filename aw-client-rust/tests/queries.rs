//! Queries through `/api/0/query`: plain code, a query error, and the canonical
//! builders of `aw_client_rust::queries` against the docs/QUERY.md §9 golden responses.

mod common;

use serde_json::json;

use aw_client_rust::queries::{
    activity_query, category_query, default_categories, full_desktop_query, multidevice_query,
    DesktopQueryParams, MultiDeviceQueryParams, QueryParams,
};
use aw_client_rust::AwClient;
use common::{datetime, event, golden, load_query_fixture, Server};

/// A server holding the buckets and events of docs/QUERY.md §9.F.
async fn fixture_server() -> (Server, AwClient) {
    let server = Server::start();
    let client = server.client();
    load_query_fixture(&client).await;
    (server, client)
}

fn myhost_params() -> DesktopQueryParams {
    DesktopQueryParams::for_host("myhost")
}

#[tokio::test]
async fn code_runs_once_per_period_and_errors_keep_the_message() {
    let server = Server::start();
    let client = server.client();
    client.create_bucket_simple("q", "test").await.unwrap();
    client
        .insert_event("q", &event("2026-01-01T10:00:00Z", 3.0, json!({"a": 1})))
        .await
        .unwrap();
    let periods = vec![
        (
            datetime("2026-01-01T00:00:00Z"),
            datetime("2026-01-02T00:00:00Z"),
        ),
        (
            datetime("2026-01-02T00:00:00Z"),
            datetime("2026-01-03T00:00:00Z"),
        ),
    ];
    let code = "events = query_bucket(\"q\");\nRETURN = sum_durations(events);";
    let results = client.query(code, periods.clone()).await.unwrap();
    assert_eq!(results, vec![json!(3.0), json!(0.0)]);

    let err = client.query("", periods).await.unwrap_err();
    assert_eq!(
        (err.status(), err.message()),
        (Some(500), Some("EmptyQuery"))
    );
}

#[tokio::test]
async fn canonical_queries_give_the_query_md_9_responses() {
    let (_server, client) = fixture_server().await;

    let mut full = myhost_params();
    full.bid_browsers = vec!["aw-watcher-web-firefox_myhost".to_string()];
    full.categories = Some(default_categories());
    let mut three = myhost_params();
    three.include_audible = false;
    three.categories = Some(default_categories().into_iter().take(3).collect());
    let cases = [
        ("9_1", full_desktop_query(&full)),
        ("9_2", category_query(&QueryParams::Desktop(three))),
        (
            "9_3",
            activity_query(&["aw-watcher-afk_myhost".to_string()]),
        ),
    ];
    for (name, query) in cases {
        let golden = golden(name);
        assert_eq!(query, golden.query, "§{name} request");
        let response = client
            .query_lines(&query, golden.periods.clone())
            .await
            .unwrap();
        assert_eq!(json!(response), golden.response, "§{name} response");
        // The same program sent as text, split into lines by `query`.
        let response = client
            .query(&query.join("\n"), golden.periods)
            .await
            .unwrap();
        assert_eq!(json!(response), golden.response, "§{name} as text");
    }
}

#[tokio::test]
async fn full_desktop_query_without_categories_parses() {
    // docs/QUERY.md §9.4: upstream's builder produced a ParsingError here.
    let (_server, client) = fixture_server().await;
    let periods = golden("9_1").periods;
    let mut params = myhost_params();
    params.bid_browsers = vec!["aw-watcher-web-firefox_myhost".to_string()];
    let response = client
        .query_lines(&full_desktop_query(&params), periods.clone())
        .await
        .unwrap();
    let window = &response[0]["window"];
    assert_eq!(window["duration"], json!(212.0));
    // Without `categorize` no event has `$category`, so nothing merges by it.
    assert_eq!(window["cat_events"], json!([]));
    assert_eq!(response[0]["browser"]["duration"], json!(155.0));

    params.filter_categories = vec![vec!["Work".to_string()]];
    let response = client
        .query_lines(&full_desktop_query(&params), periods)
        .await
        .unwrap();
    assert_eq!(response[0]["window"]["duration"], json!(0.0));
}

#[tokio::test]
async fn multidevice_queries_with_one_host_match_the_desktop_ones() {
    let (_server, client) = fixture_server().await;
    let params = MultiDeviceQueryParams {
        hosts: vec!["myhost".to_string()],
        bid_stopwatch: None,
        filter_afk: true,
        include_audible: false,
        always_active_pattern: None,
        categories: Some(default_categories().into_iter().take(3).collect()),
        filter_categories: Vec::new(),
    };
    // §9.2 with the events routed through `union_no_overlap` gives the same totals.
    let golden = golden("9_2");
    let query = category_query(&QueryParams::MultiDevice(params.clone()));
    let response = client
        .query_lines(&query, golden.periods.clone())
        .await
        .unwrap();
    assert_eq!(json!(response), golden.response);

    let response = client
        .query_lines(&multidevice_query(&params), golden.periods)
        .await
        .unwrap();
    let first_day = &response[0]["window"];
    assert_eq!(first_day["duration"], json!(112.0));
    assert_eq!(first_day["app_events"].as_array().unwrap().len(), 3);
    assert_eq!(response[1]["window"]["duration"], json!(40.0));
}
