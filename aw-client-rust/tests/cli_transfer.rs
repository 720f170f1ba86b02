//! `aw-client export` and `import` against a real server: the 100k-event round
//! trip (byte-identical, with the CLI's peak memory measured against the file
//! size), Python aw-server exports, gzip, dry runs, repeated imports, truncated
//! and malformed files, a bad event, and a server that goes away part-way.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "fixture helpers outside #[test] functions: a bad fixture must fail the test"
)]

mod common;

use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};

use common::cli::{aw_client, CuttingProxy, Run};
use common::Server;

/// Writes an export document (newest event first, no ids, as the Python server
/// writes them) with `count` events per bucket, each with a title of `title_len`
/// characters.
fn write_dataset(path: &Path, buckets: &[(&str, usize)], title_len: usize) -> u64 {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(out, "{{\"buckets\": {{").unwrap();
    let mut total = 0;
    for (bucket_idx, (bucket_id, count)) in buckets.iter().enumerate() {
        if bucket_idx > 0 {
            write!(out, ", ").unwrap();
        }
        write!(
            out,
            "\"{bucket_id}\": {{\"id\": \"{bucket_id}\", \"created\": \"2024-01-01T00:00:00+00:00\", \"name\": null, \
             \"type\": \"currentwindow\", \"client\": \"generator\", \"hostname\": \"box\", \"data\": {{}}, \"events\": ["
        )
        .unwrap();
        let title: String = "abcdefghij".chars().cycle().take(title_len).collect();
        for idx in (0..*count).rev() {
            let seconds = 1_704_067_200 + idx as i64 * 10;
            let timestamp = chrono::DateTime::from_timestamp(seconds, 250_000_000).unwrap();
            let separator = if idx + 1 == *count { "" } else { ", " };
            write!(
                out,
                "{separator}{{\"timestamp\": \"{}\", \"duration\": {}.5, \"data\": {{\"app\": \"app{}\", \"title\": \"{title} {idx}\"}}}}",
                timestamp.format("%Y-%m-%dT%H:%M:%S%.6f+00:00"),
                idx % 9,
                idx % 7,
            )
            .unwrap();
            total += 1;
        }
        write!(out, "]}}").unwrap();
    }
    write!(out, "}}}}").unwrap();
    out.flush().unwrap();
    total
}

fn report(what: &str, run: &Run, file_bytes: u64) {
    println!(
        "{what}: {:.2} s, peak RSS {:.1} MiB, file {:.1} MiB",
        run.elapsed.as_secs_f64(),
        run.peak_kib as f64 / 1024.0,
        file_bytes as f64 / (1024.0 * 1024.0)
    );
}

#[test]
fn round_trip_of_100k_events_is_byte_identical_in_bounded_memory() {
    let server = Server::start();
    let port = server.port();
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("generated.json");
    let buckets = [
        ("aw-watcher-window_box", 60_000),
        ("aw-watcher-afk_box", 30_000),
        ("aw-watcher-web_box", 10_000),
    ];
    assert_eq!(write_dataset(&generated, &buckets, 300), 100_000);
    aw_client(port, &["import", generated.to_str().unwrap()]).ok();

    let first = dir.path().join("first.json");
    let export = aw_client(port, &["export", "-o", first.to_str().unwrap()]);
    assert_eq!(
        export.ok(),
        format!(
            "Exported 3 buckets with 100,000 events ({}) to {}\n",
            mb(&first),
            first.display()
        )
    );
    assert_eq!(
        export.stderr, "",
        "no progress output when stderr is not a terminal"
    );
    let size = std::fs::metadata(&first).unwrap().len();
    report("export", &export, size);

    for (bucket_id, _) in buckets {
        aw_client(port, &["delete-bucket", bucket_id, "--yes"]).ok();
    }
    let import = aw_client(port, &["import", first.to_str().unwrap()]);
    report("import", &import, size);
    let table = import.ok();
    assert!(
        table.contains("aw-watcher-window_box  created  60,000  60,000  0"),
        "{table}"
    );
    assert!(
        table.ends_with("3 buckets (3 new), 100,000 events: 100,000 added, 0 already there\n"),
        "{table}"
    );

    let second = dir.path().join("second.json");
    aw_client(port, &["export", "-o", second.to_str().unwrap()]).ok();
    assert!(
        std::fs::read(&first).unwrap() == std::fs::read(&second).unwrap(),
        "exports differ"
    );

    // Memory stays far below the file: neither side of the CLI holds it whole.
    for (what, run) in [("export", &export), ("import", &import)] {
        assert!(run.peak_kib > 0, "{what}: no memory sample");
        assert!(
            run.peak_kib * 1024 < size / 2,
            "{what}: peak {} KiB for a {size}-byte file",
            run.peak_kib
        );
    }

    // Importing the same file again adds nothing.
    let again = aw_client(port, &["import", first.to_str().unwrap()]);
    assert!(again
        .ok()
        .ends_with("3 buckets (0 new), 100,000 events: 0 added, 100,000 already there\n"));
    assert_eq!(
        server
            .blocking_client()
            .get_event_count("aw-watcher-window_box")
            .unwrap(),
        60_000
    );

    // gzip: the compressed export decompresses to the same document, and imports.
    let gz = dir.path().join("first.json.gz");
    aw_client(port, &["export", "-o", gz.to_str().unwrap()]).ok();
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap()),
        &mut unpacked,
    )
    .unwrap();
    assert!(
        unpacked == std::fs::read(&first).unwrap(),
        "gzip export differs"
    );
    println!(
        "gzip: {size} bytes -> {} bytes",
        std::fs::metadata(&gz).unwrap().len()
    );
    let dry = aw_client(port, &["import", "--dry-run", gz.to_str().unwrap()]);
    assert!(dry.ok().contains("would merge"), "{}", dry.stdout);
    assert!(
        dry.stdout.ends_with("0 added, 100,000 already there\n"),
        "{}",
        dry.stdout
    );
}

fn mb(path: &Path) -> String {
    let bytes = std::fs::metadata(path).unwrap().len();
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

#[test]
fn python_server_exports_import_with_their_values() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    // json.dumps of aw-server (Python): spaces, +00:00 offsets, `name`, no ids.
    let python = r#"{"buckets": {"aw-watcher-afk_laptop": {"id": "aw-watcher-afk_laptop", "created": "2023-05-01T08:00:00.123000+00:00", "name": null, "type": "afkstatus", "client": "aw-watcher-afk", "hostname": "laptop", "data": {}, "events": [{"timestamp": "2023-05-01T10:00:00.500000+00:00", "duration": 60.25, "data": {"status": "afk"}}, {"timestamp": "2023-05-01T11:00:00+02:00", "duration": 3600.0, "data": {"status": "not-afk"}}]}}}"#;
    let path = dir.path().join("aw-buckets-export.json.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(python.as_bytes()).unwrap();
    gz.finish().unwrap();

    let dry = aw_client(
        server.port(),
        &["import", "--dry-run", path.to_str().unwrap()],
    );
    assert!(
        dry.ok()
            .contains("aw-watcher-afk_laptop  would create  2       2      0"),
        "{}",
        dry.stdout
    );
    assert!(
        server.blocking_client().get_buckets().unwrap().is_empty(),
        "a dry run writes nothing"
    );

    aw_client(server.port(), &["import", path.to_str().unwrap()]).ok();
    let client = server.blocking_client();
    let bucket = client.get_bucket("aw-watcher-afk_laptop").unwrap();
    assert_eq!(
        (bucket.bucket_type.as_str(), bucket.hostname.as_str()),
        ("afkstatus", "laptop")
    );
    assert_eq!(
        bucket.created.unwrap().to_rfc3339(),
        "2023-05-01T08:00:00.123+00:00"
    );
    let events: Value = serde_json::to_value(
        client
            .get_events("aw-watcher-afk_laptop", None, None, None)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        events,
        json!([
            {"id": 1, "timestamp": "2023-05-01T10:00:00.500Z", "duration": 60.25, "data": {"status": "afk"}},
            {"id": 2, "timestamp": "2023-05-01T09:00:00Z", "duration": 3600.0, "data": {"status": "not-afk"}},
        ])
    );
}

#[test]
fn broken_files_are_refused_with_the_position_and_nothing_is_imported() {
    let server = Server::start();
    let port = server.port();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    write_dataset(&good, &[("a", 3), ("b", 2)], 5);
    let text = std::fs::read_to_string(&good).unwrap();
    let bad_event = text.replacen("\"duration\": 1.5", "\"duration\": \"long\"", 1);
    let cases = [
        (
            "truncated.json",
            text[..text.len() / 2].to_string(),
            "the file ends in the middle of the document at line 1, column",
        ),
        (
            "syntax.json",
            text.replacen("}, {", "} {", 1),
            "not valid JSON at line 1, column",
        ),
        (
            "bad-event.json",
            bad_event.clone(),
            "bucket 'a', event 2: invalid type: string \"long\"",
        ),
        (
            "no-buckets.json",
            String::from("{\"bucket\": {}}"),
            "not an export document: missing field `buckets`",
        ),
        (
            "bad-bucket.json",
            String::from("{\"buckets\": {\"x\": {\"type\": \"t\"}}}"),
            "bucket 'x' is not a valid bucket: missing field `client`",
        ),
    ];
    for (name, content, message) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let run = aw_client(
            port,
            &["import", good.to_str().unwrap(), path.to_str().unwrap()],
        );
        let line = run.fails(6);
        let expected = format!("aw-client: error: {}: {message}", path.display());
        assert!(line.starts_with(&expected), "{name}: {line}");
        assert!(
            server.blocking_client().get_buckets().unwrap().is_empty(),
            "{name}: nothing may be imported"
        );
    }
    // A gzip file cut short.
    let gz_path = dir.path().join("cut.json.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let packed = gz.finish().unwrap();
    std::fs::write(&gz_path, &packed[..packed.len() - 10]).unwrap();
    let line = aw_client(port, &["import", gz_path.to_str().unwrap()])
        .fails(6)
        .to_string();
    assert!(line.contains("cut.json.gz: "), "{line}");

    // --skip-invalid imports the other events and counts the bad one.
    let path = dir.path().join("bad-event.json");
    std::fs::write(&path, bad_event).unwrap();
    let run = aw_client(port, &["import", "--skip-invalid", path.to_str().unwrap()]);
    assert!(run.ok().contains("INVALID"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("a       created  2       2      0              1"),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .ends_with("2 buckets (2 new), 4 events: 4 added, 0 already there, 1 invalid skipped\n"));
}

#[test]
fn export_selected_buckets_and_to_stdout() {
    let server = Server::start();
    let port = server.port();
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("g.json");
    write_dataset(&generated, &[("a", 5), ("b", 4), ("c", 3)], 20);
    aw_client(port, &["import", generated.to_str().unwrap()]).ok();

    let all: Value = serde_json::from_str(aw_client(port, &["export"]).ok()).unwrap();
    let some: Value = serde_json::from_str(
        aw_client(
            port,
            &["export", "--bucket", "c", "--bucket", "a", "--bucket", "c"],
        )
        .ok(),
    )
    .unwrap();
    assert_eq!(
        some,
        json!({"buckets": {"a": all["buckets"]["a"], "c": all["buckets"]["c"]}})
    );
    let one = aw_client(port, &["export", "--bucket", "b"]);
    let raw = reqwest::blocking::get(format!("http://127.0.0.1:{port}/api/0/buckets/b/export"))
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(one.ok(), raw);

    let missing = dir.path().join("missing.json");
    let run = aw_client(
        port,
        &[
            "export",
            "--bucket",
            "a",
            "--bucket",
            "nope",
            "-o",
            missing.to_str().unwrap(),
        ],
    );
    assert!(run.fails(5).contains("no bucket 'nope'"));
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("missing")));
}

#[test]
fn a_server_that_goes_away_part_way() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.json");
    let total = write_dataset(
        &file,
        &[("first", 3000), ("second", 20_000), ("third", 100)],
        100,
    );

    // The import: about 10 pieces of 1000 events land, then the server is gone.
    let proxy = CuttingProxy::start(server.port(), 2_000_000, u64::MAX);
    let run = aw_client(
        proxy.port,
        &["import", "--batch-size", "1000", file.to_str().unwrap()],
    );
    let line = run.fails(7).to_string();
    for part in [
        "stopped part-way: lost the connection to the ActivityWatch server at 127.0.0.1:",
        "Landed: bucket 'first' (all 3,000 events), bucket 'second' (",
        "Not imported: the rest of bucket 'second', bucket 'third'.",
        "Run the same command again to finish",
    ] {
        assert!(line.contains(part), "{part}: {line}");
    }
    let client = server.blocking_client();
    let landed = client.get_event_count("second").unwrap();
    assert!(landed > 0 && landed < 20_000, "{landed}");

    // Running it again (the server is back) finishes the job without duplicates.
    let resumed = aw_client(server.port(), &["import", file.to_str().unwrap()]);
    assert!(
        resumed.ok().contains("third   created  100     100     0"),
        "{}",
        resumed.stdout
    );
    assert!(
        resumed.stdout.ends_with(&format!(
            "3 buckets (1 new), {} events: {} added, {} already there\n",
            fmt(total),
            fmt(total - 3000 - landed as u64),
            fmt(3000 + landed as u64)
        )),
        "{}",
        resumed.stdout
    );
    assert_eq!(client.get_event_count("second").unwrap(), 20_000);

    // The export: the connection is cut while the document streams.
    let out = dir.path().join("cut.json");
    let proxy = CuttingProxy::start(server.port(), u64::MAX, 500_000);
    let run = aw_client(proxy.port, &["export", "-o", out.to_str().unwrap()]);
    let line = run.fails(1);
    assert!(
        line.starts_with("aw-client: error: the export was cut short after "),
        "{line}"
    );
    assert!(
        line.ends_with(&format!(
            "; {} was not written, run the export again",
            out.display()
        )),
        "{line}"
    );
    assert!(!out.exists() && !dir.path().join("cut.json.partial").exists());
}

fn fmt(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (idx, c) in digits.chars().enumerate() {
        if idx > 0 && (digits.len() - idx).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
