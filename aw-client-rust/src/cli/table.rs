//! Output formats: aligned text tables, durations as `H:MM:SS`, timestamps in the
//! chosen zone, and CSV (RFC 4180 quoting, plus protection against spreadsheet
//! formulas in text cells).
//!
//! What must stay true: tables have no trailing whitespace and depend only on the
//! data and the zone (golden tests compare them byte for byte).

use std::io::{self, Write};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

/// Writes `rows` under `headers`, columns separated by two spaces, each as wide as
/// its widest cell; the last column is not padded.
pub fn write_table(out: &mut dyn Write, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header_row: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header_row).chain(rows) {
        let mut line = String::new();
        for (idx, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if idx > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if idx + 1 < row.len() {
                let pad = width.saturating_sub(cell.chars().count());
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// `H:MM:SS` (hours may exceed 24), whole seconds rounded down; negative
/// durations get a leading `-`.
pub fn format_duration(duration: TimeDelta) -> String {
    let sign = if duration < TimeDelta::zero() {
        "-"
    } else {
        ""
    };
    let seconds = duration.num_seconds().unsigned_abs();
    format!(
        "{sign}{}:{:02}:{:02}",
        seconds / 3600,
        (seconds / 60) % 60,
        seconds % 60
    )
}

/// Seconds as a float (the wire form) to `H:MM:SS`.
pub fn format_seconds(seconds: f64) -> String {
    format_duration(aw_models::time::duration_from_secs(seconds))
}

use crate::cli::time::FixedOffsetOrLocal;

/// `YYYY-MM-DD HH:MM:SS` in `zone`.
pub fn format_time(time: &DateTime<Utc>, zone: &FixedOffsetOrLocal) -> String {
    zone.convert(time).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A JSON value as one compact line.
pub fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// One CSV record: fields joined by commas, each quoted when it holds a comma,
/// quote, CR or LF (quotes doubled), ended by CRLF as RFC 4180 says.
pub fn write_csv_record(out: &mut dyn Write, fields: &[String]) -> io::Result<()> {
    let line: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
    write!(out, "{}\r\n", line.join(","))
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// The CSV cell of a data value: text as is, except that text a spreadsheet would
/// take for a formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading
/// `'`; `null` is empty; numbers and booleans as JSON; arrays and objects as
/// compact JSON.
pub fn csv_cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
            format!("'{text}")
        }
        Some(Value::String(text)) => text.clone(),
        Some(other) => compact(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_never_end_in_spaces() {
        let mut out = Vec::new();
        let rows = vec![
            vec!["a".to_string(), "long cell".to_string(), String::new()],
            vec!["bbbb".to_string(), "x".to_string(), "é".to_string()],
        ];
        write_table(&mut out, &["ID", "NAME", "Z"], &rows).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ID    NAME       Z\na     long cell\nbbbb  x          é\n"
        );
    }

    #[test]
    fn durations_are_hours_minutes_seconds() {
        for (seconds, text) in [
            (0.0, "0:00:00"),
            (59.9, "0:00:59"),
            (61.0, "0:01:01"),
            (90000.0, "25:00:00"),
            (-5.0, "-0:00:05"),
        ] {
            assert_eq!(format_seconds(seconds), text, "{seconds}");
        }
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let mut out = Vec::new();
        let fields = ["plain", "a,b", "say \"hi\"", "two\nlines", ""].map(String::from);
        write_csv_record(&mut out, &fields).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n"
        );
    }

    #[test]
    fn csv_cells_defuse_formulas() {
        use serde_json::json;
        assert_eq!(csv_cell(Some(&json!("=1+1"))), "'=1+1");
        assert_eq!(csv_cell(Some(&json!("@SUM(A1)"))), "'@SUM(A1)");
        assert_eq!(csv_cell(Some(&json!("Firefox"))), "Firefox");
        assert_eq!(csv_cell(Some(&json!(-3))), "-3");
        assert_eq!(csv_cell(Some(&json!(null))), "");
        assert_eq!(csv_cell(None), "");
        assert_eq!(
            csv_cell(Some(&json!({"b": [1, true]}))),
            r#"{"b":[1,true]}"#
        );
    }
}
