//! Times on the command line: the `--timezone` values and the date/time forms
//! accepted by `--start`, `--end` and `--stop` (those of the Python CLI plus
//! RFC 3339).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};

use crate::cli::error::CliError;

/// A zone given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixedOffsetOrLocal {
    /// The machine's zone (with its daylight saving rules).
    Local,
    /// A fixed offset (`utc` is `+00:00`).
    Fixed(FixedOffset),
}

impl FixedOffsetOrLocal {
    /// `time` as a local time with offset.
    pub fn convert(&self, time: &DateTime<Utc>) -> DateTime<FixedOffset> {
        match self {
            FixedOffsetOrLocal::Local => time.with_timezone(&chrono::Local).fixed_offset(),
            FixedOffsetOrLocal::Fixed(offset) => time.with_timezone(offset),
        }
    }

    /// A wall-clock time in this zone; the earlier one when a clock change makes
    /// it ambiguous, `None` when it falls in a gap.
    fn resolve(&self, naive: &NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            FixedOffsetOrLocal::Local => chrono::Local
                .from_local_datetime(naive)
                .earliest()
                .map(|t| t.with_timezone(&Utc)),
            FixedOffsetOrLocal::Fixed(offset) => offset
                .from_local_datetime(naive)
                .earliest()
                .map(|t| t.with_timezone(&Utc)),
        }
    }
}

/// `local`, `utc` (or `z`), or an offset `+HH:MM`, `-HH:MM`, `+HHMM`, `+HH`.
pub fn parse_zone(text: &str) -> Result<FixedOffsetOrLocal, CliError> {
    let lower = text.trim().to_ascii_lowercase();
    match lower.as_str() {
        "local" => return Ok(FixedOffsetOrLocal::Local),
        "utc" | "z" | "gmt" => return Ok(FixedOffsetOrLocal::Fixed(Utc.fix())),
        _ => {}
    }
    let bad = || {
        CliError::Usage(format!(
            "unknown time zone '{text}': use local, utc or an offset such as +02:00"
        ))
    };
    let (sign, rest) = match lower.split_at_checked(1) {
        Some(("+", rest)) => (1, rest),
        Some(("-", rest)) => (-1, rest),
        _ => return Err(bad()),
    };
    // HH, HHMM or HH:MM.
    let digits = match rest.len() {
        2 | 4 => rest.to_string(),
        5 if rest.get(2..3) == Some(":") => rest.replace(':', ""),
        _ => return Err(bad()),
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| -> i32 {
        digits.get(range).and_then(|d| d.parse().ok()).unwrap_or(0)
    };
    let (hours, minutes) = (number(0..2), number(2..4));
    if hours > 23 || minutes > 59 {
        return Err(bad());
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
        .map(FixedOffsetOrLocal::Fixed)
        .ok_or_else(bad)
}

/// A time from the command line: RFC 3339 (`2024-05-01T09:00:00+02:00`), or a
/// date, `date time` or `dateTtime` without offset, read in `zone`.
pub fn parse_time(text: &str, zone: &FixedOffsetOrLocal) -> Result<DateTime<Utc>, CliError> {
    let text = text.trim();
    if let Ok(time) = aw_models::time::parse_rfc3339(text) {
        return Ok(time);
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|date| date.and_hms_opt(0, 0, 0))
    });
    let Some(naive) = naive else {
        return Err(CliError::Usage(format!(
            "cannot read the time '{text}': use e.g. 2024-05-01, 2024-05-01T09:30:00 or 2024-05-01T09:30:00+02:00"
        )));
    };
    zone.resolve(&naive).ok_or_else(|| {
        CliError::Usage(format!(
            "the time '{text}' does not exist in the chosen time zone"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> FixedOffsetOrLocal {
        parse_zone("UTC").unwrap()
    }

    #[test]
    fn zones() {
        assert_eq!(parse_zone("local").unwrap(), FixedOffsetOrLocal::Local);
        assert_eq!(
            utc(),
            FixedOffsetOrLocal::Fixed(FixedOffset::east_opt(0).unwrap())
        );
        for (text, seconds) in [("+02:00", 7200), ("-0530", -19800), ("+01", 3600)] {
            assert_eq!(
                parse_zone(text).unwrap(),
                FixedOffsetOrLocal::Fixed(FixedOffset::east_opt(seconds).unwrap()),
                "{text}"
            );
        }
        for text in ["Europe/Paris", "+25:00", "+1:0", "", "+ab"] {
            assert!(parse_zone(text).is_err(), "{text}");
        }
    }

    #[test]
    fn times_in_every_accepted_form() {
        let plus2 = parse_zone("+02:00").unwrap();
        for (text, zone, expected) in [
            ("2024-05-01", utc(), "2024-05-01T00:00:00Z"),
            ("2024-05-01", plus2, "2024-04-30T22:00:00Z"),
            ("2024-05-01T09:30:00", utc(), "2024-05-01T09:30:00Z"),
            ("2024-05-01 09:30:00.5", utc(), "2024-05-01T09:30:00.500Z"),
            ("2024-05-01T09:30", plus2, "2024-05-01T07:30:00Z"),
            ("2024-05-01T09:30:00+02:00", utc(), "2024-05-01T07:30:00Z"),
            ("2024-05-01T09:30:00Z", plus2, "2024-05-01T09:30:00Z"),
        ] {
            let time = parse_time(text, &zone).unwrap();
            assert_eq!(aw_models::time::format_datetime(&time), expected, "{text}");
        }
        let err = parse_time("yesterday", &utc()).unwrap_err();
        assert!(
            err.to_string().contains("cannot read the time 'yesterday'"),
            "{err}"
        );
    }
}
