//! Transport behaviour both clients promise: kept-alive connections are reused, and
//! odd answers become the right [`Error`] variants.

mod common;

use aw_client_rust::{AwClient, Error};
use common::CountingServer;

const INFO: &str = r#"{"hostname":"h","version":"v0.1.0 (rust)","testing":true,"device_id":"d"}"#;

#[tokio::test]
async fn async_client_reuses_one_connection() {
    let server = CountingServer::start("200 OK", INFO);
    let client = AwClient::new("127.0.0.1", server.port, "aw-client-test").unwrap();
    for _ in 0..5 {
        assert_eq!(client.get_info().await.unwrap().hostname, "h");
    }
    assert_eq!(server.connections(), 1);
}

#[test]
fn blocking_client_reuses_one_connection() {
    let server = CountingServer::start("200 OK", INFO);
    let client =
        aw_client_rust::blocking::AwClient::new("127.0.0.1", server.port, "aw-client-test")
            .unwrap();
    for _ in 0..5 {
        assert_eq!(client.get_info().unwrap().version, "v0.1.0 (rust)");
    }
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_an_invalid_response() {
    let server = CountingServer::start("200 OK", r#"{"unexpected":true}"#);
    let client = AwClient::new("127.0.0.1", server.port, "aw-client-test").unwrap();
    let err = client.get_info().await.unwrap_err();
    assert!(matches!(err, Error::InvalidResponse { .. }), "{err}");
    assert_eq!(err.status(), None);
}

#[tokio::test]
async fn a_304_outside_bucket_creation_is_an_error() {
    let server = CountingServer::start("304 Not Modified", "");
    let client = AwClient::new("127.0.0.1", server.port, "aw-client-test").unwrap();
    client.create_bucket_simple("b", "test").await.unwrap();
    let err = client.get_bucket("b").await.unwrap_err();
    assert_eq!(
        (err.status(), err.message()),
        (Some(304), Some("Not Modified"))
    );
}

#[tokio::test]
async fn wait_for_start_stops_at_an_error_status() {
    let server =
        CountingServer::start("400 Bad Request", r#"{"message":"Host header is invalid"}"#);
    let client = AwClient::new("127.0.0.1", server.port, "aw-client-test").unwrap();
    let err = client
        .wait_for_start_timeout(std::time::Duration::from_secs(30))
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.message()),
        (Some(400), Some("Host header is invalid"))
    );
    assert_eq!(server.connections(), 1);
}
