//! [`Scanner`]: follows the nesting of an export document byte by byte, without
//! parsing values, to count buckets and events as they stream past, to tell a
//! complete document from one cut short, and to pick out the inside of the
//! `buckets` map when several one-bucket exports are joined into one.
//!
//! What must stay true: brackets inside strings (and escaped quotes) never count,
//! so any valid JSON is followed correctly whatever its data holds.

/// Depth of the `buckets` map's entries: root object, then the map.
const MAP_DEPTH: usize = 2;
/// Depth of an events array: root, map, bucket.
const EVENTS_DEPTH: usize = 4;

/// The nesting state after the bytes fed so far.
#[derive(Debug, Default)]
pub struct Scanner {
    stack: Vec<u8>,
    in_string: bool,
    escaped: bool,
    started: bool,
    closed: bool,
    mismatched: bool,
    /// Objects opened directly inside the `buckets` map.
    pub buckets: u64,
    /// Objects opened directly inside an array of a bucket (its `events`).
    pub events: u64,
}

impl Scanner {
    /// Follows `bytes`.
    pub fn feed(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.step(byte);
        }
    }

    /// Follows `bytes` and hands `emit` the runs of bytes that lie inside the
    /// `buckets` map (the entries, without the map's own braces).
    pub fn feed_inner(&mut self, bytes: &[u8], mut emit: impl FnMut(&[u8])) {
        let mut run_start = None;
        for (idx, &byte) in bytes.iter().enumerate() {
            let before = self.stack.len();
            self.step(byte);
            let inner = before >= MAP_DEPTH && self.stack.len() >= MAP_DEPTH;
            match (inner, run_start) {
                (true, None) => run_start = Some(idx),
                (false, Some(start)) => {
                    emit(bytes.get(start..idx).unwrap_or_default());
                    run_start = None;
                }
                _ => {}
            }
        }
        if let Some(start) = run_start {
            emit(bytes.get(start..).unwrap_or_default());
        }
    }

    /// Whether a whole top-level value was seen and closed, with no bracket mismatch.
    pub fn is_complete(&self) -> bool {
        self.started && self.closed && self.stack.is_empty() && !self.mismatched
    }

    fn step(&mut self, byte: u8) {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if byte == b'\\' {
                self.escaped = true;
            } else if byte == b'"' {
                self.in_string = false;
            }
            return;
        }
        match byte {
            b'"' => self.in_string = true,
            b'{' | b'[' => {
                if byte == b'{' && self.stack.len() == MAP_DEPTH {
                    self.buckets += 1;
                }
                if byte == b'{'
                    && self.stack.len() == EVENTS_DEPTH
                    && self.stack.last() == Some(&b'[')
                {
                    self.events += 1;
                }
                self.started = true;
                self.stack.push(byte);
            }
            b'}' | b']' => {
                let opening = if byte == b'}' { b'{' } else { b'[' };
                if self.stack.pop() != Some(opening) {
                    self.mismatched = true;
                }
                if self.stack.is_empty() {
                    self.closed = true;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"buckets": {"a": {"id": "a", "data": {"x": [{"events": "[{"}]}, "events": [{"id": 1, "data": {"t": "\"}{"}}, {"id": 2, "data": {}}]}, "b": {"events": []}}}"#;

    #[test]
    fn counts_buckets_and_events_whatever_the_strings_hold() {
        let mut scanner = Scanner::default();
        // Fed in small pieces, as a network stream arrives.
        for piece in DOC.as_bytes().chunks(3) {
            scanner.feed(piece);
        }
        assert_eq!((scanner.buckets, scanner.events), (2, 2));
        assert!(scanner.is_complete());
    }

    #[test]
    fn incomplete_and_mismatched_documents_are_noticed() {
        let mut cut = Scanner::default();
        cut.feed(DOC.as_bytes().get(..40).unwrap());
        assert!(!cut.is_complete());
        let mut wrong = Scanner::default();
        wrong.feed(b"{\"buckets\":{]}");
        assert!(!wrong.is_complete());
        assert!(!Scanner::default().is_complete());
    }

    #[test]
    fn inner_bytes_are_the_map_entries() {
        let mut scanner = Scanner::default();
        let mut inner = Vec::new();
        for piece in DOC.as_bytes().chunks(5) {
            scanner.feed_inner(piece, |run| inner.extend_from_slice(run));
        }
        let inner = String::from_utf8(inner).unwrap();
        let wrapped: serde_json::Value = serde_json::from_str(&format!("{{{inner}}}")).unwrap();
        let original: serde_json::Value = serde_json::from_str(DOC).unwrap();
        assert_eq!(wrapped, original["buckets"]);
    }
}
