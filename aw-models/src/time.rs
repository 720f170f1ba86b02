//! Date-time and duration conversions shared by every model.
//!
//! Events are stored as signed 64-bit nanoseconds since the Unix epoch, so every
//! instant that enters the system is checked against that range here, once,
//! instead of overflowing later in SQL or in a transform.

use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, TimeDelta, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serializer};

use crate::{ModelError, Result};

/// Formats an instant as upstream does: UTC, `Z`, and 0, 3, 6 or 9 fraction digits.
pub fn format_datetime(datetime: &DateTime<Utc>) -> String {
    let mut out = Vec::with_capacity(30);
    write_datetime(&mut out, datetime);
    String::from_utf8(out).unwrap_or_else(|_| datetime.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// Appends [`format_datetime`]'s text to `out`. Event lists write one per event, so
/// the years 0–9999 (every instant an event can hold) are written digit by digit
/// rather than through `fmt`; other years and leap seconds go through chrono.
pub fn write_datetime(out: &mut Vec<u8>, datetime: &DateTime<Utc>) {
    let naive = datetime.naive_utc();
    let (year, nanos) = (naive.year(), naive.nanosecond());
    let Ok(year @ 0..=9999) = u32::try_from(year) else {
        return write_with_chrono(out, datetime);
    };
    if nanos >= 1_000_000_000 {
        return write_with_chrono(out, datetime);
    }
    push_digits(out, year, 4);
    out.push(b'-');
    push_digits(out, naive.month(), 2);
    out.push(b'-');
    push_digits(out, naive.day(), 2);
    out.push(b'T');
    push_digits(out, naive.hour(), 2);
    out.push(b':');
    push_digits(out, naive.minute(), 2);
    out.push(b':');
    push_digits(out, naive.second(), 2);
    // chrono's `AutoSi`: the shortest of 0, 3, 6 or 9 digits that is exact.
    let fraction = match nanos {
        0 => None,
        _ if nanos % 1_000_000 == 0 => Some((nanos / 1_000_000, 3)),
        _ if nanos % 1_000 == 0 => Some((nanos / 1_000, 6)),
        _ => Some((nanos, 9)),
    };
    if let Some((value, width)) = fraction {
        out.push(b'.');
        push_digits(out, value, width);
    }
    out.push(b'Z');
}

fn write_with_chrono(out: &mut Vec<u8>, datetime: &DateTime<Utc>) {
    out.extend_from_slice(
        datetime
            .to_rfc3339_opts(SecondsFormat::AutoSi, true)
            .as_bytes(),
    );
}

/// The last `width` decimal digits of `value`, zero-padded.
fn push_digits(out: &mut Vec<u8>, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (value / 10_u32.pow(place)) % 10;
        out.push(b'0' + digit as u8);
    }
}

/// Parses a date-time from a JSON body, leniently (`T`, `t` or space; `Z`, `UTC`,
/// `±HH:MM` or `±HHMM`), and checks it is storable.
pub fn parse_json_datetime(text: &str) -> Result<DateTime<Utc>> {
    let parsed: DateTime<FixedOffset> =
        text.parse()
            .map_err(|err: chrono::ParseError| ModelError::InvalidDateTime {
                reason: err.to_string(),
            })?;
    check_storable(parsed.with_timezone(&Utc))
}

/// Parses a date-time from a query string or a query time period (strict RFC 3339:
/// offset `Z`, `z` or `±HH:MM` required), and checks it is storable. Accepts and
/// refuses exactly as upstream, with the same reasons (see `rfc3339.rs`).
pub fn parse_rfc3339(text: &str) -> Result<DateTime<Utc>> {
    let parsed = crate::rfc3339::parse(text).map_err(|reason| ModelError::InvalidDateTime {
        reason: reason.to_string(),
    })?;
    check_storable(parsed.with_timezone(&Utc))
}

/// Accepts an instant only if it fits in i64 nanoseconds since the epoch.
pub fn check_storable(datetime: DateTime<Utc>) -> Result<DateTime<Utc>> {
    match datetime.timestamp_nanos_opt() {
        Some(_) => Ok(datetime),
        None => Err(ModelError::OutOfRange),
    }
}

/// Nanoseconds since the epoch of a storable instant (saturating for others).
pub fn to_nanos(datetime: &DateTime<Utc>) -> i64 {
    datetime
        .timestamp_nanos_opt()
        .unwrap_or(if datetime.timestamp() < 0 {
            i64::MIN
        } else {
            i64::MAX
        })
}

/// The instant `nanos` nanoseconds after the epoch (exact, also before 1970).
pub fn from_nanos(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

/// Seconds as a float to a duration, rounded to the nearest nanosecond and
/// saturated to the i64 nanosecond range (NaN becomes zero).
pub fn duration_from_secs(seconds: f64) -> TimeDelta {
    // `as` saturates and maps NaN to 0, which is exactly the behaviour wanted.
    TimeDelta::nanoseconds((seconds * 1e9).round() as i64)
}

/// A duration as float seconds, the wire form.
pub fn duration_to_secs(duration: &TimeDelta) -> f64 {
    duration_nanos(duration) as f64 / 1e9
}

/// A duration's length in nanoseconds (saturating; our durations always fit).
pub fn duration_nanos(duration: &TimeDelta) -> i64 {
    duration
        .num_nanoseconds()
        .unwrap_or(if duration < &TimeDelta::zero() {
            i64::MIN
        } else {
            i64::MAX
        })
}

/// serde helpers for a required date-time field.
/// The serde error for a date-time field that does not parse: the value, the
/// expected form and chrono's reason (serde adds the line and column).
fn invalid_datetime<E: serde::de::Error>(text: &str, err: &ModelError) -> E {
    E::custom(format_args!(
        "invalid date-time {text:?} (expected RFC 3339, e.g. 2020-01-01T00:00:00Z): {err}"
    ))
}

pub(crate) mod datetime {
    use super::*;

    pub fn serialize<S: Serializer>(
        value: &DateTime<Utc>,
        ser: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        ser.serialize_str(&format_datetime(value))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        de: D,
    ) -> std::result::Result<DateTime<Utc>, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(de)?;
        parse_json_datetime(&text).map_err(|err| invalid_datetime(&text, &err))
    }
}

/// serde helpers for an optional date-time field (`null` and absent mean `None`).
pub(crate) mod option_datetime {
    use super::*;

    pub fn serialize<S: Serializer>(
        value: &Option<DateTime<Utc>>,
        ser: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        match value {
            Some(datetime) => ser.serialize_str(&format_datetime(datetime)),
            None => ser.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        de: D,
    ) -> std::result::Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<std::borrow::Cow<'de, str>>::deserialize(de)? {
            Some(text) => parse_json_datetime(&text)
                .map(Some)
                .map_err(|err| invalid_datetime(&text, &err)),
            None => Ok(None),
        }
    }
}

/// serde helpers for a duration written as float seconds.
pub(crate) mod duration_secs {
    use super::*;

    pub fn serialize<S: Serializer>(
        value: &TimeDelta,
        ser: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        ser.serialize_f64(duration_to_secs(value))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        de: D,
    ) -> std::result::Result<TimeDelta, D::Error> {
        f64::deserialize(de).map(duration_from_secs)
    }
}

impl From<ModelError> for String {
    fn from(err: ModelError) -> String {
        err.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The hand-written digits equal chrono's text for every instant chrono
        /// holds, with fractions of every width.
        #[test]
        fn written_datetimes_equal_chronos(
            seconds in -8_000_000_000_000_i64..8_000_000_000_000,
            nanos in prop_oneof![
                Just(0_u32),
                (0_u32..1000).prop_map(|ms| ms * 1_000_000),
                (0_u32..1_000_000).prop_map(|us| us * 1000),
                0_u32..2_000_000_000,
            ],
        ) {
            if let Some(datetime) = DateTime::from_timestamp(seconds, nanos) {
                let expected = datetime.to_rfc3339_opts(SecondsFormat::AutoSi, true);
                prop_assert_eq!(format_datetime(&datetime), expected);
            }
        }
    }

    #[test]
    fn fraction_digits_are_0_3_6_or_9() {
        let cases = [
            (0, "2018-01-01T01:01:01Z"),
            (500_000_000, "2018-01-01T01:01:01.500Z"),
            (123_456_000, "2018-01-01T01:01:01.123456Z"),
            (123_456_789, "2018-01-01T01:01:01.123456789Z"),
        ];
        for (nanos, expected) in cases {
            let datetime = from_nanos(1_514_768_461 * 1_000_000_000 + nanos);
            assert_eq!(format_datetime(&datetime), expected);
        }
    }

    #[test]
    fn json_parser_is_lenient_and_query_parser_strict() {
        for text in [
            "2018-01-01T01:01:01Z",
            "2018-01-01 01:01:01+00:00",
            "2018-01-01t01:01:01z",
            "2018-01-01T02:01:01+0100",
            "2018-01-01T01:01:01 UTC",
        ] {
            let parsed = parse_json_datetime(text).unwrap();
            assert_eq!(format_datetime(&parsed), "2018-01-01T01:01:01Z", "{text}");
        }
        assert!(parse_json_datetime("2018-01-01T01:01:01").is_err());
        assert!(parse_rfc3339("2018-01-01T02:01:01+0100").is_err());
        assert!(parse_rfc3339("2018-01-01T01:01:01 UTC").is_err());
        assert_eq!(
            parse_rfc3339("2018-01-01").unwrap_err().to_string(),
            "premature end of input"
        );
        assert_eq!(
            parse_rfc3339("2018-01-01T03:00:00 00:00")
                .unwrap_err()
                .to_string(),
            "input contains invalid characters"
        );
    }

    #[test]
    fn unstorable_instants_are_rejected() {
        assert_eq!(
            parse_rfc3339("3000-01-01T00:00:00Z").unwrap_err(),
            ModelError::OutOfRange
        );
        assert!(parse_rfc3339("2262-04-11T23:47:16.854775808Z").is_err());
        assert!(parse_rfc3339("2262-04-11T23:47:16.854775807Z").is_ok());
        assert!(parse_rfc3339("1600-01-01T00:00:00Z").is_err());
    }

    #[test]
    fn pre_epoch_fractions_round_trip() {
        let datetime = parse_rfc3339("1969-12-31T23:59:59.250Z").unwrap();
        assert_eq!(to_nanos(&datetime), -750_000_000);
        assert_eq!(from_nanos(-750_000_000), datetime);
    }

    #[test]
    fn durations_round_to_nanoseconds_and_saturate() {
        assert_eq!(duration_nanos(&duration_from_secs(1.001)), 1_001_000_000);
        assert_eq!(duration_nanos(&duration_from_secs(1e-10)), 0);
        assert_eq!(duration_nanos(&duration_from_secs(1e30)), i64::MAX);
        assert_eq!(duration_nanos(&duration_from_secs(-2.5)), -2_500_000_000);
        assert_eq!(duration_to_secs(&duration_from_secs(1.5)), 1.5);
    }
}
