//! [`is_canonical_data`]: whether a stored data text is already, byte for byte, what
//! `serde_json` writes for the map it decodes to, so a read can copy it to the wire
//! instead of decoding and encoding it again.
//!
//! The canonical form is what this server stores: compact, object keys in strictly
//! increasing byte order (a `BTreeMap<String, _>`), strings escaped only where
//! serde_json escapes (`\"`, `\\`, `\b \t \n \f \r`, other control characters as
//! lowercase `\u00xx`), integers without sign noise. What must stay true: a text
//! judged canonical decodes and re-encodes to itself. The checker may say "no" to a
//! text that would round trip (floats, keys with escapes, very deep nesting); the
//! caller then decodes it as before, so a "no" costs time, never correctness.

use crate::MAX_DATA_DEPTH;

/// Whether `text` is a JSON object in exactly the form serde_json writes for it.
pub fn is_canonical_data(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'{') {
        return false;
    }
    let mut scanner = Scanner { bytes, pos: 0 };
    scanner.value(1) && scanner.pos == bytes.len()
}

/// A cursor over the text; every method returns false on the first byte outside
/// the canonical form.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        let matches = self
            .bytes
            .get(self.pos..self.pos + word.len())
            .is_some_and(|found| found == word);
        if matches {
            self.pos += word.len();
        }
        matches
    }

    /// One value; `depth` counts the containers it sits in, itself included.
    fn value(&mut self, depth: usize) -> bool {
        match self.peek() {
            Some(b'{') => depth <= MAX_DATA_DEPTH && self.object(depth),
            Some(b'[') => depth <= MAX_DATA_DEPTH && self.array(depth),
            Some(b'"') => self.string().is_some(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.integer(),
            _ => false,
        }
    }

    fn object(&mut self, depth: usize) -> bool {
        self.pos += 1;
        if self.eat(b'}') {
            return true;
        }
        let mut previous: Option<&'a [u8]> = None;
        loop {
            let Some(key) = self.string() else {
                return false;
            };
            // Escapes would make the byte order differ from the decoded order; such
            // keys are left to the decoder.
            if key.contains(&b'\\') || previous.is_some_and(|before| before >= key) {
                return false;
            }
            previous = Some(key);
            if !self.eat(b':') || !self.value(depth + 1) {
                return false;
            }
            if self.eat(b'}') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    fn array(&mut self, depth: usize) -> bool {
        self.pos += 1;
        if self.eat(b']') {
            return true;
        }
        loop {
            if !self.value(depth + 1) {
                return false;
            }
            if self.eat(b']') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    /// A string in serde_json's escaping; returns its raw contents (between the quotes).
    fn string(&mut self) -> Option<&'a [u8]> {
        let bytes = self.bytes;
        if !self.eat(b'"') {
            return None;
        }
        let start = self.pos;
        loop {
            let byte = *bytes.get(self.pos)?;
            self.pos += 1;
            match byte {
                b'"' => return bytes.get(start..self.pos - 1),
                b'\\' if !self.escape() => return None,
                0x00..=0x1f => return None,
                _ => {}
            }
        }
    }

    /// The rest of an escape after its backslash, if serde_json writes it this way.
    fn escape(&mut self) -> bool {
        let Some(kind) = self.peek() else {
            return false;
        };
        self.pos += 1;
        match kind {
            b'"' | b'\\' | b'b' | b't' | b'n' | b'f' | b'r' => true,
            b'u' => {
                // `\u00xx` for the control characters without a short form.
                let Some(hex) = self.bytes.get(self.pos..self.pos + 4) else {
                    return false;
                };
                self.pos += 4;
                let code = match hex {
                    [b'0', b'0', high @ (b'0' | b'1'), low] => {
                        let low = match low {
                            b'0'..=b'9' => low - b'0',
                            b'a'..=b'f' => low - b'a' + 10,
                            _ => return false,
                        };
                        (high - b'0') * 16 + low
                    }
                    _ => return false,
                };
                !matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d)
            }
            _ => false,
        }
    }

    /// An integer that decodes to an `i64`/`u64` and prints back the same: no leading
    /// zeros, no `-0`, within range. Anything with a fraction or exponent is a float,
    /// whose printed form is left to the decoder.
    fn integer(&mut self) -> bool {
        let start = self.pos;
        let negative = self.eat(b'-');
        let digits_start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        let Some(digits) = self.bytes.get(digits_start..self.pos) else {
            return false;
        };
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) || digits.is_empty() {
            return false;
        }
        if digits.len() > 1 && digits.first() == Some(&b'0') {
            return false;
        }
        let Ok(text) = std::str::from_utf8(self.bytes.get(start..self.pos).unwrap_or_default())
        else {
            return false;
        };
        if negative {
            text.parse::<i64>().is_ok_and(|value| value != 0)
        } else {
            text.parse::<u64>().is_ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JsonMap;

    /// Whether `text` decodes to a map that serde_json writes back as `text`.
    fn round_trips(text: &str) -> bool {
        serde_json::from_str::<JsonMap>(text)
            .ok()
            .and_then(|map| serde_json::to_string(&map).ok())
            .is_some_and(|again| again == text)
    }

    #[test]
    fn judged_canonical_exactly_when_expected() {
        let cases: &[(&str, bool)] = &[
            (r#"{}"#, true),
            (r#"{"app":"Code","title":"main.rs — aw"}"#, true),
            (
                r#"{"a":1,"b":-2,"c":true,"d":false,"e":null,"f":[],"g":{}}"#,
                true,
            ),
            (
                r#"{"a":[1,[2,{"z":"\"\\\b\t\n\f\r\u0000\u001f\u000b"}]]}"#,
                true,
            ),
            (
                r#"{"u":18446744073709551615,"i":-9223372036854775808}"#,
                false,
            ), // keys unsorted
            (
                r#"{"i":-9223372036854775808,"u":18446744073709551615}"#,
                true,
            ),
            (r#"{"u":18446744073709551616}"#, false), // beyond u64: a float
            (r#"{"i":-9223372036854775809}"#, false),
            (r#"{"a":-0}"#, false),
            (r#"{"a":01}"#, false),
            (r#"{"a":1.5}"#, false),
            (r#"{"a":1e3}"#, false),
            (r#"{"a": 1}"#, false),
            (r#" {"a":1}"#, false),
            (r#"{"a":1} "#, false),
            (r#"{"b":1,"a":2}"#, false),
            (r#"{"a":1,"a":2}"#, false),
            (r#"{"\u0061":1}"#, false),
            (r#"{"a":"\/"}"#, false),
            (r#"{"a":"\u0041"}"#, false),
            (r#"{"a":"\u000a"}"#, false),
            (r#"{"a":"\u001F"}"#, false),
            (r#"{"a":"\ud83d\ude00"}"#, false),
            ("{\"a\":\"\u{1}\"}", false),
            ("{\"a\":\"\u{7f}é😀\"}", true),
            (r#"[1]"#, false),
            (r#""a""#, false),
            (r#"{"a":tru}"#, false),
            (r#"{"a":[1,]}"#, false),
            (r#"{"a":1,}"#, false),
            (r#"{"a""#, false),
            (r#""#, false),
        ];
        for &(text, expected) in cases {
            assert_eq!(is_canonical_data(text), expected, "{text}");
            if expected {
                assert!(round_trips(text), "{text}");
            }
        }
    }

    #[test]
    fn nesting_beyond_the_data_limit_is_left_to_the_decoder() {
        let nested = |levels: usize| {
            format!(
                "{{\"a\":{}1{}}}",
                "[".repeat(levels - 1),
                "]".repeat(levels - 1)
            )
        };
        assert!(is_canonical_data(&nested(MAX_DATA_DEPTH)));
        assert!(!is_canonical_data(&nested(MAX_DATA_DEPTH + 1)));
    }

    proptest::proptest! {
        /// Whatever serde_json writes for integer/string/bool/null data is canonical.
        #[test]
        fn serde_output_is_canonical(map in data_strategy()) {
            let text = serde_json::to_string(&map).unwrap();
            proptest::prop_assert!(is_canonical_data(&text), "{}", text);
        }

        /// Any text judged canonical round trips, also after random edits.
        #[test]
        fn canonical_judgement_implies_round_trip(map in data_strategy(), edit in 0usize..64, byte in proptest::sample::select(vec![b' ', b'"', b'\\', b'u', b'0', b'-', b'.', b'1', b'{', b'}', b',', b':', b'a', b'z'])) {
            let mut text = serde_json::to_string(&map).unwrap().into_bytes();
            let at = edit % (text.len() + 1);
            text.insert(at, byte);
            if let Ok(text) = String::from_utf8(text) {
                if is_canonical_data(&text) {
                    proptest::prop_assert!(round_trips(&text), "{}", text);
                }
            }
        }
    }

    fn data_strategy() -> impl proptest::strategy::Strategy<Value = JsonMap> {
        use proptest::prelude::*;
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            "(?s).{0,12}".prop_map(Value::String),
            "[\\x00-\\x20\"\\\\/a-zé]{0,6}".prop_map(Value::String),
        ];
        let value = leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z0-9é]{0,4}", inner, 0..4)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        });
        proptest::collection::btree_map("[a-zA-Z_$0-9é]{0,6}", value, 0..5)
            .prop_map(|map| map.into_iter().collect())
    }
}
