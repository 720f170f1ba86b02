//! The strict date-time parser (`start`/`end`, query periods) against upstream: every
//! row's answer is what aw-server-rust 0.14.0's parser (chrono 0.4.41's
//! `DateTime::parse_from_rfc3339`) gives for that input, recorded by running it;
//! accepted inputs show the instant in UTC. Instants outside the datastore's range
//! fail with "input is out of range" (ours: upstream's datastore thread dies).
#![allow(clippy::unwrap_used, reason = "test code")]

use aw_models::time::{format_datetime, parse_rfc3339};

const CASES: &[(&str, Result<&str, &str>)] = &[
    ("2018-01-01T00:00:00Z", Ok("2018-01-01T00:00:00Z")),
    (
        "2018-01-01T03:00Z",
        Err("input contains invalid characters"),
    ),
    ("2018-01-01", Err("premature end of input")),
    ("", Err("premature end of input")),
    ("abc", Err("premature end of input")),
    ("abcd", Err("input contains invalid characters")),
    (
        "20x8-01-01T00:00:00Z",
        Err("input contains invalid characters"),
    ),
    (
        "2018-1-01T00:00:00Z",
        Err("input contains invalid characters"),
    ),
    (
        "2018/01/01T00:00:00Z",
        Err("input contains invalid characters"),
    ),
    ("2018-13-01T00:00:00Z", Err("input is out of range")),
    ("2018-00-01T00:00:00Z", Err("input is out of range")),
    ("2018-01-32T00:00:00Z", Err("input is out of range")),
    ("2018-02-30T00:00:00Z", Err("input is out of range")),
    ("2018-02-30T00:00:00", Err("premature end of input")),
    ("2018-02-30T00:00:00Zjunk", Err("trailing input")),
    (
        "2018-01-01X00:00:00Z",
        Err("input contains invalid characters"),
    ),
    ("2018-01-01T24:00:00Z", Err("input is out of range")),
    ("2018-01-01T00:60:00Z", Err("input is out of range")),
    ("2018-01-01T00:00:61Z", Err("input is out of range")),
    ("2018-01-01T00:00:60Z", Ok("2018-01-01T00:00:60Z")),
    ("2018-01-01T00:00", Err("premature end of input")),
    ("2018-01-01T00:00:00", Err("premature end of input")),
    (
        "2018-01-01T00:00:00.Z",
        Err("input contains invalid characters"),
    ),
    ("2018-01-01T00:00:00.", Err("premature end of input")),
    (
        "2018-01-01T00:00:00.1234567891Z",
        Ok("2018-01-01T00:00:00.123456789Z"),
    ),
    (
        "2018-01-01T00:00:00+0100",
        Err("input contains invalid characters"),
    ),
    ("2018-01-01T00:00:00+01", Err("premature end of input")),
    ("2018-01-01T00:00:00+01:", Err("premature end of input")),
    ("2018-01-01T00:00:00+01:6", Err("premature end of input")),
    ("2018-01-01T00:00:00+01:60", Err("input is out of range")),
    (
        "2018-01-01T00:00:00+01:5x",
        Err("input contains invalid characters"),
    ),
    ("2018-01-01T00:00:00+24:00", Err("input is out of range")),
    ("2018-01-01T00:00:00+99:99", Err("input is out of range")),
    (
        "2018-01-01T00:00:00+2x:00",
        Err("input contains invalid characters"),
    ),
    ("2018-01-01T00:00:00ZZ", Err("trailing input")),
    ("2018-01-01T00:00:00Z ", Err("trailing input")),
    (
        "2018-01-01T00:00:00 UTC",
        Err("input contains invalid characters"),
    ),
    (
        "2018-01-01T00:00:00 00:00",
        Err("input contains invalid characters"),
    ),
    ("2018-01-01T00:00:00−01:00", Ok("2018-01-01T01:00:00Z")),
    (
        "2018-01-01T00:00:00.5−01:00",
        Ok("2018-01-01T01:00:00.500Z"),
    ),
    ("2018-01-01 00:00:00z", Ok("2018-01-01T00:00:00Z")),
    ("2018-01-01t00:00:00+05:30", Ok("2017-12-31T18:30:00Z")),
    (
        "2018-01-01T00:00:00é",
        Err("input contains invalid characters"),
    ),
    (
        "2018-01-01T00:00:00.12345678901234567890Z",
        Ok("2018-01-01T00:00:00.123456789Z"),
    ),
    ("3000-01-01T00:00:00Z", Err("input is out of range")), // parses, but is not storable (ours)
    ("0000-01-01T00:00:00Z", Err("input is out of range")), // parses, but is not storable (ours)
    ("9999-12-31T23:59:59+00:01", Err("input is out of range")), // parses, but is not storable (ours)
    ("2016-12-31T23:59:60Z", Ok("2016-12-31T23:59:60Z")),
    ("2018-01-01T00:00:00-00:00", Ok("2018-01-01T00:00:00Z")),
];

#[test]
fn parse_results_and_messages_match_upstream() {
    let mut failures = Vec::new();
    for &(input, expected) in CASES {
        let got = parse_rfc3339(input)
            .map(|datetime| format_datetime(&datetime))
            .map_err(|err| err.to_string());
        let expected = expected.map(str::to_string).map_err(str::to_string);
        if got != expected {
            failures.push(format!("{input:?}: got {got:?}, expected {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
