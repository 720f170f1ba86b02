//! Every 4xx carries `{"message": …}` saying what was wrong and where, with
//! upstream's status (docs/API.md §2), and query errors add a `detail`
//! (docs/QUERY.md §1.4).

mod common;

use common::{json_answer as answer, Harness};
use serde_json::json;

/// An insert body whose one event's data holds `lists` nested arrays.
fn deep_event(lists: usize) -> String {
    let data = format!("{}1{}", "[".repeat(lists), "]".repeat(lists));
    format!(r#"[{{"timestamp":"2020-01-01T00:00:00Z","duration":0,"data":{{"k":{data}}}}}]"#)
}

#[test]
fn refused_requests_say_why() {
    let harness = Harness::start();
    harness.create_bucket("b");
    let event = r#"[{"timestamp":"2020-01-01T00:00:00Z","duration":1,"data":{}}]"#;
    // (method, path, content type or "", body, status, text the message must contain)
    let cases: &[(&str, &str, &str, &str, u16, &str)] = &[
        ("POST", "/api/0/buckets/x", "application/json", r#"{"type":"t","client":"c"}"#, 422,
         "missing field `hostname` at line 1 column 25"),
        ("POST", "/api/0/buckets/x", "application/json", r#"{"type":"t","client":"c","hostname":1}"#, 422,
         "invalid type: integer `1`, expected a string at line 1 column 37"),
        ("POST", "/api/0/buckets/x", "application/json", r#"{"type":"t","#, 400,
         "not valid JSON: EOF while parsing a value at line 1 column 12"),
        ("POST", "/api/0/buckets/x", "text/plain", "{}", 404,
         "POST /api/0/buckets/x needs Content-Type application/json (got text/plain)"),
        ("POST", "/api/0/buckets/b/events", "application/json",
         r#"[{"timestamp":"yesterday","duration":1,"data":{}}]"#, 422,
         "invalid date-time \"yesterday\" (expected RFC 3339, e.g. 2020-01-01T00:00:00Z): input contains invalid characters at line 1 column 25"),
        ("POST", "/api/0/buckets/b/events", "application/json",
         r#"[{"duration":1,"data":{}}]"#, 422, "missing field `timestamp` at line 1 column 25"),
        ("POST", "/api/0/buckets/b/heartbeat", "application/json",
         r#"{"timestamp":"2020-01-01T00:00:00Z","duration":0,"data":{}}"#, 422,
         "Missing query parameter 'pulsetime'"),
        ("POST", "/api/0/buckets/b/heartbeat?pulsetime=soon", "application/json",
         r#"{"timestamp":"2020-01-01T00:00:00Z","duration":0,"data":{}}"#, 422,
         "Invalid query parameter 'pulsetime=soon'"),
        ("POST", "/api/0/import", "", event, 404,
         "POST /api/0/import needs Content-Type application/json or multipart/form-data (got none)"),
        ("POST", "/api/0/import", "multipart/form-data; boundary=XX",
         "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.json\"\r\n\r\n{}\r\n--XX--\r\n",
         422, "needs a file field named 'buckets' (or 'buckets.json'), found only 'file'"),
        ("POST", "/api/0/query", "application/json",
         r#"{"timeperiods":["2020-01-01T00:00:00Z"],"query":["return 1;"]}"#, 422,
         "time interval must be two date-times separated by one '/': 2020-01-01T00:00:00Z at line 1 column 39"),
        ("GET", "/api/0/buckets/b/events/abc", "", "", 422,
         "a parameter of route /api/0/buckets/<bucket_id>/events/<event_id> is missing or not valid"),
        ("GET", "/api/0/buckets/b/events/abc/more", "", "", 404,
         "No route for GET /api/0/buckets/b/events/abc/more"),
        ("GET", "/api/0/nothing", "", "", 404, "No route for GET /api/0/nothing"),
        ("DELETE", "/api/0/export", "", "", 404, "No route for DELETE /api/0/export (this path answers GET)"),
        ("PUT", "/api/0/info", "", "", 404, "No route for PUT /api/0/info (this path answers GET)"),
        ("GET", "/api/0/buckets/b/events?start=yesterday", "", "", 400,
         "Failed to parse starttime"),
        ("GET", "/js/missing.js", "", "", 404, "No such file: js/missing.js"),
        // Instants outside what can be stored (1677-09-21 … 2262-04-11), everywhere one
        // can be sent: always a JSON 4xx, never a framework page or a dead worker.
        ("POST", "/api/0/buckets/b/events", "application/json",
         r#"[{"timestamp":"1600-01-01T00:00:00Z","duration":0,"data":{}}]"#, 422,
         "\"1600-01-01T00:00:00Z\" (expected RFC 3339, e.g. 2020-01-01T00:00:00Z): input is out of range"),
        ("POST", "/api/0/buckets/b/events", "application/json",
         r#"[{"timestamp":"2262-04-11T23:47:16Z","duration":1,"data":{}}]"#, 422,
         "input is out of range"),
        ("POST", "/api/0/buckets/b/heartbeat?pulsetime=1", "application/json",
         r#"{"timestamp":"2300-01-01T00:00:00Z","duration":0,"data":{}}"#, 422,
         "input is out of range"),
        ("POST", "/api/0/buckets/c", "application/json",
         r#"{"type":"t","client":"c","hostname":"h","created":"1600-01-01T00:00:00Z"}"#, 422,
         "input is out of range"),
        ("POST", "/api/0/import", "application/json",
         r#"{"buckets":{"i":{"id":"i","type":"t","client":"c","hostname":"h","created":"9999-01-01T00:00:00Z"}}}"#,
         422, "input is out of range"),
        ("POST", "/api/0/query", "application/json",
         r#"{"timeperiods":["1600-01-01T00:00:00Z/1601-01-01T00:00:00Z"],"query":["return 1;"]}"#,
         422, "input is out of range"),
        ("GET", "/api/0/buckets/b/events?start=1600-01-01T00:00:00Z", "", "", 400,
         "Failed to parse starttime, datetime needs to be in rfc3339 format: input is out of range"),
        ("GET", "/api/0/buckets/b/events/count?end=2300-01-01T00:00:00Z", "", "", 400,
         "Failed to parse endtime, datetime needs to be in rfc3339 format: input is out of range"),
        // Event data deeper than the one nesting limit insert, export and import share.
        ("POST", "/api/0/buckets/b/events", "application/json", &deep_event(124), 422,
         "event data nests 125 levels deep; at most 100 are accepted"),
    ];
    for (method, path, content_type, body, status, message) in cases {
        let mut request = harness.request(method.parse().unwrap(), path);
        if !content_type.is_empty() {
            request = request.header("Content-Type", *content_type);
        }
        let (got_status, got_type, got_body) =
            answer(request.body(body.to_string()).send().unwrap());
        let text = got_body["message"].as_str().unwrap_or_default();
        assert_eq!(got_status, *status, "{method} {path}: {got_body}");
        assert_eq!(got_type, "application/json", "{method} {path}");
        assert!(
            text.contains(message),
            "{method} {path}: {text:?} lacks {message:?}"
        );
    }
}

#[test]
fn query_errors_keep_upstream_message_and_add_detail() {
    let harness = Harness::start();
    let period = "2020-01-01T00:00:00Z/2020-01-02T00:00:00Z";
    let cases = [
        (
            "a = 1;\nreturn (a;",
            json!({
                "message": "ParsingError(\"(Some((Semi, Span { lo: 16, hi: 17, line: 2 })), \\\"expected `Equals`, `Minus`, `Percent`, `Plus`, `RParen`, `Slash`, or `Star`\\\")\")",
                "detail": {
                    "kind": "ParsingError",
                    "explanation": "syntax error at line 2, column 10: found `;`, expected `==` or `-` or `%` or `+` or `)` or `/` or `*`",
                    "line": 2, "column": 10, "found": "`;`",
                    "expected": ["`==`", "`-`", "`%`", "`+`", "`)`", "`/`", "`*`"],
                }
            }),
        ),
        (
            "return nothing;",
            json!({
                "message": "VariableNotDefined(\"nothing\")",
                "detail": {
                    "kind": "VariableNotDefined",
                    "explanation": "`nothing` is neither a variable assigned earlier nor a built-in function",
                }
            }),
        ),
    ];
    for (code, expected) in cases {
        let res = harness.post_json(
            "/api/0/query",
            &json!({"timeperiods": [period], "query": code.split('\n').collect::<Vec<_>>()}),
        );
        let (status, _, body) = answer(res);
        assert_eq!(status, 500, "{code}");
        assert_eq!(body, expected, "{code}");
    }
}
