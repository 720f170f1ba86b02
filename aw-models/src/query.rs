//! [`Query`]: the body of `POST /api/0/query`.

use serde::{Deserialize, Serialize};

use crate::TimeInterval;

/// A query program (as lines) and the periods to evaluate it for. Unknown keys are ignored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Query {
    /// Each `"<start>/<end>"`; the program runs once per period.
    pub timeperiods: Vec<TimeInterval>,
    /// Program lines, joined with `\n`.
    pub query: Vec<String>,
}

impl Query {
    /// The program text: the lines joined with newlines.
    pub fn code(&self) -> String {
        self.query.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_is_checked() {
        let ok = r#"{"timeperiods":["2000-01-01T00:00:00Z/2020-01-01T00:00:00Z"],"query":["a;","b;"],"x":1}"#;
        let query: Query = serde_json::from_str(ok).unwrap();
        assert_eq!(query.code(), "a;\nb;");
        for bad in [
            r#"{"timeperiods":[],"query":"x"}"#,
            r#"{"query":[]}"#,
            r#"{"timeperiods":["2000-01-01T00:00:00Z"],"query":[]}"#,
        ] {
            assert!(serde_json::from_str::<Query>(bad).is_err(), "{bad}");
        }
    }
}
