//! The strict RFC 3339 parser behind `start`/`end` and query time periods: it
//! accepts exactly what upstream's parser accepts (chrono 0.4.41's
//! `DateTime::parse_from_rfc3339`, which aw-server-rust 0.14.0 locks) and fails
//! with the same reason for the same input. chrono 0.4.42 rewrote that function
//! and now names other reasons for some inputs (`2018-01-01T03:00Z`: "premature end
//! of input" instead of "input contains invalid characters"), so it is not used
//! here; the reasons below are chrono's `ParseError` texts.
//!
//! What must stay true: the input is read left to right and the first problem wins,
//! with the field range checks done as each field is read, the offset range before
//! trailing text, and the calendar date last (docs/API.md §2, parser texts).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};

/// A value outside its field's range, or a date that does not exist.
pub const OUT_OF_RANGE: &str = "input is out of range";
/// A character where another was expected.
pub const INVALID: &str = "input contains invalid characters";
/// The input ended early.
pub const TOO_SHORT: &str = "premature end of input";
/// Text after a complete date-time.
pub const TOO_LONG: &str = "trailing input";

type Step<'a, T> = Result<(&'a [u8], T), &'static str>;

/// Parses `text`, or names the first problem with one of the texts above.
pub fn parse(text: &str) -> Result<DateTime<FixedOffset>, &'static str> {
    let s = text.as_bytes();
    let (s, year) = digits(s, 4)?;
    let s = literal(s, b'-')?;
    let (s, month) = field(digits(s, 2)?, 1..=12)?;
    let s = literal(s, b'-')?;
    let (s, day) = field(digits(s, 2)?, 1..=31)?;
    let s = match s.first() {
        Some(b'T' | b't' | b' ') => s.get(1..).unwrap_or_default(),
        Some(_) => return Err(INVALID),
        None => return Err(TOO_SHORT),
    };
    let (s, hour) = field(digits(s, 2)?, 0..=23)?;
    let s = literal(s, b':')?;
    let (s, minute) = field(digits(s, 2)?, 0..=59)?;
    let s = literal(s, b':')?;
    let (s, second) = field(digits(s, 2)?, 0..=60)?;
    let (s, nanos) = match s.strip_prefix(b".") {
        Some(fraction) => fraction_nanos(fraction)?,
        None => (s, 0),
    };
    let (s, offset) = offset_secs(s)?;
    if !s.is_empty() {
        return Err(TOO_LONG);
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).map_err(|_| OUT_OF_RANGE)?, month, day)
        .ok_or(OUT_OF_RANGE)?;
    // A leap second (60) is second 59 with a nanosecond count past one second.
    let (second, nanos) = if second == 60 {
        (59, nanos + 1_000_000_000)
    } else {
        (second, nanos)
    };
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos).ok_or(OUT_OF_RANGE)?;
    let zone = FixedOffset::east_opt(offset).ok_or(OUT_OF_RANGE)?;
    zone.from_local_datetime(&date.and_time(time))
        .single()
        .ok_or(OUT_OF_RANGE)
}

/// Exactly `count` ASCII digits.
fn digits(s: &[u8], count: usize) -> Step<'_, u32> {
    let (head, rest) = s.split_at_checked(count).ok_or(TOO_SHORT)?;
    let mut value = 0;
    for &byte in head {
        if !byte.is_ascii_digit() {
            return Err(INVALID);
        }
        value = value * 10 + u32::from(byte - b'0');
    }
    Ok((rest, value))
}

fn field(step: (&[u8], u32), range: std::ops::RangeInclusive<u32>) -> Step<'_, u32> {
    let (rest, value) = step;
    if range.contains(&value) {
        Ok((rest, value))
    } else {
        Err(OUT_OF_RANGE)
    }
}

fn literal(s: &[u8], expected: u8) -> Result<&[u8], &'static str> {
    match s.split_first() {
        Some((&byte, rest)) if byte == expected => Ok(rest),
        Some(_) => Err(INVALID),
        None => Err(TOO_SHORT),
    }
}

/// One or more digits after the `.`: the first nine count, the rest are skipped.
fn fraction_nanos(s: &[u8]) -> Step<'_, u32> {
    let count = s.iter().take_while(|byte| byte.is_ascii_digit()).count();
    match (s.first(), count) {
        (None, _) => return Err(TOO_SHORT),
        (Some(_), 0) => return Err(INVALID),
        _ => {}
    }
    let mut nanos = 0;
    for position in 0..9 {
        let digit = s
            .get(position)
            .filter(|_| position < count)
            .map_or(0, |b| b - b'0');
        nanos = nanos * 10 + u32::from(digit);
    }
    Ok((s.get(count..).unwrap_or_default(), nanos))
}

/// `Z`, `z`, or a sign (`+`, `-`, or U+2212 minus) with `HH:MM`, within ±23:59.
fn offset_secs(s: &[u8]) -> Step<'_, i32> {
    let (negative, s) = match s {
        [b'Z' | b'z', rest @ ..] => return Ok((rest, 0)),
        [b'+', rest @ ..] => (false, rest),
        [b'-', rest @ ..] => (true, rest),
        [0xE2, 0x88, 0x92, rest @ ..] => (true, rest),
        [_, ..] => return Err(INVALID),
        [] => return Err(TOO_SHORT),
    };
    let (s, hours) = digits(s, 2)?;
    let s = literal(s, b':')?;
    let (s, minutes) = match s {
        [tens @ b'0'..=b'5', ones @ b'0'..=b'9', rest @ ..] => {
            (rest, u32::from(tens - b'0') * 10 + u32::from(ones - b'0'))
        }
        [b'6'..=b'9', b'0'..=b'9', ..] => return Err(OUT_OF_RANGE),
        [_, _, ..] => return Err(INVALID),
        _ => return Err(TOO_SHORT),
    };
    if hours > 23 {
        return Err(OUT_OF_RANGE);
    }
    let seconds = i32::try_from(hours * 3600 + minutes * 60).map_err(|_| OUT_OF_RANGE)?;
    Ok((s, if negative { -seconds } else { seconds }))
}
