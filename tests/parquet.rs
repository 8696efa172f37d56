//! `pcaptool dns --format parquet` read back by DuckDB (installed by `.ci/run` in
//! `.venv`): on every DNS capture of the corpus, every message is in exactly one row,
//! the matched rows are the pairs `--stats` answers, and each side of each row says what
//! the JSON output says of the same message.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

/// The Python with DuckDB: `$PCAPTOOL_PYTHON`, else the project's `.venv`.
fn python() -> PathBuf {
    let path = std::env::var_os("PCAPTOOL_PYTHON").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python3"),
        PathBuf::from,
    );
    let ok = Command::new(&path)
        .args(["-c", "import duckdb"])
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{} cannot import duckdb: run .ci/run, or `python3 -m venv .venv && .venv/bin/pip install duckdb` (or set PCAPTOOL_PYTHON)",
        path.display()
    );
    path
}

/// Every row of the files, by file, as DuckDB reads them.
fn rows_by_duckdb(files: &[PathBuf]) -> HashMap<String, Vec<Value>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/parquet_rows.py");
    let out = Command::new(python())
        .arg(script)
        .args(files)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "DuckDB could not read the files: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rows: HashMap<String, Vec<Value>> = HashMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        rows.entry(row["file"].as_str().unwrap().to_string())
            .or_default()
            .push(row);
    }
    rows
}

/// What one message says, as compared: frame, side, ID, first question (lower-cased
/// name, type, class), length; flags of its side; a response's rcode and counts.
type Said = (u64, bool, i64, String, i64, i64, i64, String);

fn from_json(m: &Value) -> Said {
    let frame = m["frame"].as_u64().unwrap();
    let size = m["size"].as_i64().unwrap();
    if m.get("id").is_none() {
        // Shorter than a header: only where and how long.
        return (
            frame,
            false,
            -1,
            "short".into(),
            -1,
            -1,
            size,
            String::new(),
        );
    }
    let response = m["flags"]["qr"].as_bool().unwrap();
    let q = m["questions"].as_array().and_then(|q| q.first());
    let name = q.map_or("-".to_string(), |q| {
        q["name"].as_str().unwrap().to_ascii_lowercase()
    });
    let qtype = q.map_or(-1, |q| {
        let t = q["type"].as_str().unwrap();
        i64::from(pcaptool::dns::wire::registry::parse_type(t).unwrap_or_else(|| panic!("{t}")))
    });
    let qclass = q.map_or(-1, |q| q["class"].as_i64().unwrap());
    let f = &m["flags"];
    let b = |k: &str| f[k].as_bool().unwrap();
    let detail = if response {
        let c = &m["counts"];
        let records = ["answers", "authority", "additional"]
            .iter()
            .flat_map(|s| m[*s].as_array().into_iter().flatten())
            .filter(|r| r["type"] != "OPT")
            .count();
        format!(
            "aa={} tc={} ra={} ad={} rcode={} an={} ns={} ar={} records={records}",
            b("aa"),
            b("tc"),
            b("ra"),
            b("ad"),
            m["rcode"],
            c["answers"],
            c["authority"],
            c["additional"]
        )
    } else {
        format!("rd={} cd={} opcode={}", b("rd"), b("cd"), f["opcode"])
    };
    let id = m["id"].as_i64().unwrap();
    (frame, response, id, name, qtype, qclass, size, detail)
}

/// The one or two messages of a row, as compared.
fn from_row(r: &Value) -> Vec<Said> {
    let int = |k: &str| r[k].as_i64();
    let flag = |k: &str| r[k].as_bool().map_or("null".to_string(), |b| b.to_string());
    let name = r["dns_qname"]
        .as_str()
        .map_or("-".to_string(), str::to_string);
    if r["dns_qdcount"].is_null() {
        let (frame, len) = match int("query_frame") {
            Some(f) => (f, int("dns_req_len").unwrap()),
            None => (int("response_frame").unwrap(), int("dns_res_len").unwrap()),
        };
        return vec![(
            frame as u64,
            false,
            -1,
            "short".into(),
            -1,
            -1,
            len,
            String::new(),
        )];
    }
    let question = (
        int("dns_id").unwrap(),
        name,
        int("dns_qtype").unwrap_or(-1),
        int("dns_qclass").unwrap_or(-1),
    );
    let mut said = Vec::new();
    if let Some(frame) = int("query_frame") {
        // Flags a row takes from the query when it has one.
        said.push((
            frame as u64,
            false,
            question.0,
            question.1.clone(),
            question.2,
            question.3,
            int("dns_req_len").unwrap(),
            format!(
                "rd={} cd={} opcode={}",
                flag("dns_rd"),
                flag("dns_cd"),
                r["dns_opcode"]
            ),
        ));
    }
    if let Some(frame) = int("response_frame") {
        said.push((
            frame as u64,
            true,
            question.0,
            question.1,
            question.2,
            question.3,
            int("dns_res_len").unwrap(),
            format!(
                "aa={} tc={} ra={} ad={} rcode={} an={} ns={} ar={} records={}",
                flag("dns_aa"),
                flag("dns_tc"),
                flag("dns_ra"),
                flag("dns_ad"),
                r["dns_rcode"],
                r["dns_ancount"],
                r["dns_nscount"],
                r["dns_arcount"],
                r["dns_rdata"].as_array().map_or(0, Vec::len)
            ),
        ));
    }
    said
}

#[test]
fn duckdb_reads_one_row_per_transaction_that_says_what_the_json_says() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut expected = HashMap::new();
    for capture in dns_captures() {
        let name = capture.file_name().unwrap().to_string_lossy().into_owned();
        let parquet = tmp.path().join(format!("{name}.parquet"));
        let capture_arg = capture.to_str().unwrap();
        let out = run(&[
            "dns",
            capture_arg,
            "-q",
            "--format",
            "parquet",
            "-o",
            parquet.to_str().unwrap(),
        ]);
        assert!(
            parquet.exists(),
            "{name}: no Parquet file: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json = run(&["dns", capture_arg, "-q", "--format", "json"]);
        let messages: Vec<Value> = String::from_utf8(json.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let stats = run(&["dns", capture_arg, "-q", "--stats", "--format", "json"]);
        let stats: Value = serde_json::from_slice(&stats.stdout).unwrap();
        expected.insert(
            parquet.to_string_lossy().into_owned(),
            (name, messages, stats["answered"].as_u64().unwrap()),
        );
        files.push(parquet);
    }
    assert!(files.len() > 100, "only {} DNS captures found", files.len());
    let rows = rows_by_duckdb(&files);
    let (mut total_messages, mut total_rows, mut total_matched) = (0, 0, 0);
    for (path, (name, messages, answered)) in &expected {
        let rows = rows.get(path).map_or(&[][..], Vec::as_slice);
        let in_rows = rows
            .iter()
            .map(|r| {
                usize::from(!r["dns_req_len"].is_null()) + usize::from(!r["dns_res_len"].is_null())
            })
            .sum::<usize>();
        assert_eq!(in_rows, messages.len(), "{name}: messages in rows vs JSON");
        let matched = rows.iter().filter(|r| r["matched"] == true).count() as u64;
        assert_eq!(
            matched, *answered,
            "{name}: matched rows vs --stats answered"
        );
        let mut from_rows: Vec<Said> = rows.iter().flat_map(from_row).collect();
        let mut from_messages: Vec<Said> = messages.iter().map(from_json).collect();
        from_rows.sort();
        from_messages.sort();
        if from_rows != from_messages {
            let first = from_rows
                .iter()
                .zip(&from_messages)
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("row says {a:?}\nJSON says {b:?}"));
            panic!("{name}: rows and JSON differ: {first:?}");
        }
        total_messages += messages.len();
        total_rows += rows.len();
        total_matched += matched;
    }
    println!(
        "{} captures: {total_messages} messages in {total_rows} rows ({total_matched} matched), all as the JSON says",
        files.len()
    );
}

#[test]
fn a_damaged_capture_still_gives_a_whole_table_of_what_came_before() {
    let tmp = tempfile::tempdir().unwrap();
    // The first 3,000 bytes of a capture of DNS over TCP, then garbage where a block
    // header should be.
    let mut bytes = std::fs::read(corpus_dir().join("dns_over_tcp.pcapng")).unwrap();
    bytes.truncate(3000);
    bytes.extend_from_slice(b"garbage garbage garbage!");
    let input = tmp.path().join("cut.pcapng");
    std::fs::write(&input, &bytes).unwrap();
    let table = tmp.path().join("cut.parquet");
    let args = [
        "dns",
        input.to_str().unwrap(),
        "--format",
        "parquet",
        "-o",
        table.to_str().unwrap(),
    ];
    let out = run(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("offset"), "the damage is located: {stderr}");
    let rows = rows_by_duckdb(std::slice::from_ref(&table));
    let json = run(&["dns", input.to_str().unwrap(), "--format", "json"]);
    let messages = String::from_utf8_lossy(&json.stdout).lines().count();
    let in_rows: usize = rows[table.to_str().unwrap()]
        .iter()
        .map(|r| {
            usize::from(!r["dns_req_len"].is_null()) + usize::from(!r["dns_res_len"].is_null())
        })
        .sum();
    assert!(messages > 0);
    assert_eq!(in_rows, messages);
    // An existing table is not replaced without --force; -o is needed.
    let again = run(&args);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let forced: Vec<&str> = args.iter().copied().chain(["--force"]).collect();
    assert_eq!(
        run(&forced).status.code(),
        Some(2),
        "replaced, and the damage said again"
    );
    let no_output = run(&["dns", input.to_str().unwrap(), "--format", "parquet"]);
    assert_eq!(no_output.status.code(), Some(2));
    // Nothing half-written is left beside it.
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
