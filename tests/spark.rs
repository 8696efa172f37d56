//! The DNS dataset built file by file by Spark (`scripts/spark_dns.py` in local mode,
//! two workers) equals the one `pcaptool dns DIR --format parquet --partition-by`
//! writes reading the directory as one capture, including the transactions that a file
//! boundary cut in two; both datasets read back by DuckDB (hive partitioning) and by
//! Spark give the same rows. Needs Java 17 and pyspark/duckdb in `.venv` (`.ci/run`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

/// Cuts `capture` into parts of `packets` packets each, in `dir`, with editcap.
fn cut(capture: &str, packets: u32, dir: &Path) {
    require_tool("editcap");
    let out = Command::new("editcap")
        .arg("-c")
        .arg(packets.to_string())
        .arg(corpus_dir().join(capture))
        .arg(dir.join(capture.replace('.', "-") + ".pcap"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "editcap: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An environment for Spark: the venv's Python on PATH, loopback only.
fn spark_command(program: &str) -> Command {
    let python = python("pyspark");
    let bin = python.parent().unwrap().to_path_buf();
    let mut path =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect::<Vec<_>>();
    path.insert(0, bin.clone());
    let mut command = Command::new(if program == "python" {
        python.clone()
    } else {
        bin.join(program)
    });
    command
        .env("PATH", std::env::join_paths(path).unwrap())
        .env("PYSPARK_PYTHON", &python)
        .env("PYSPARK_DRIVER_PYTHON", &python)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .stdin(Stdio::null());
    command
}

/// One summary per directory, as `engine` reads it (tests/py/dataset_summary.py).
fn summaries(engine: &str, dirs: &[&Path]) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/dataset_summary.py");
    let out = spark_command("python")
        .arg(script)
        .arg(engine)
        .args(dirs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{engine} could not read the datasets: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), dirs.len(), "one summary per dataset");
    lines
}

/// Messages `--format json` finds in `dir`.
fn json_messages(dir: &Path) -> u64 {
    let out = run(&["dns", dir.to_str().unwrap(), "--format", "json", "-q"]);
    assert!(out.status.success());
    out.stdout.iter().filter(|&&b| b == b'\n').count() as u64
}

#[test]
fn spark_builds_the_dataset_the_local_run_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("captures");
    std::fs::create_dir(&inputs).unwrap();
    // Two real captures of different days, cut so that queries and their responses
    // fall in different files: 8 parts of 707 DNS messages, 4 of 434.
    cut("skype-irc.cap", 300, &inputs);
    cut("dns-tunnel-iodine.pcap", 110, &inputs);
    assert_eq!(std::fs::read_dir(&inputs).unwrap().count(), 12);

    let local = tmp.path().join("local");
    let server = ["--server", "ns1.example"];
    let out = run(&[
        &["dns", inputs.to_str().unwrap(), "--format", "parquet"],
        &[
            "-o",
            local.to_str().unwrap(),
            "--partition-by",
            "date,server",
        ][..],
        &server[..],
    ]
    .concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let spark = tmp.path().join("spark");
    let tool = PathBuf::from(env!("CARGO_BIN_EXE_pcaptool"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/spark_dns.py");
    let out = spark_command("spark-submit")
        .args(["--master", "local[2]", "--conf", "spark.ui.enabled=false"])
        .arg(script)
        .arg("--pcaptool")
        .arg(&tool)
        .args(server)
        .args(["--partition-by", "date,server"])
        .arg(&inputs)
        .arg(&spark)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "spark-submit failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The job says how many transactions it joined across file boundaries.
    let joined: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("spark_dns: "))
        .and_then(|l| l.split(", ").find(|p| p.ends_with("joined across files")))
        .and_then(|p| p.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary line from spark_dns.py: {stdout}"));
    assert!(
        joined >= 8,
        "only {joined} transactions were cut by a file boundary"
    );
    assert!(
        !spark.join("_pcaptool_staging").exists(),
        "the staging tables are removed"
    );

    let messages = json_messages(&inputs);
    assert_eq!(messages, 707 + 434);
    let by_duckdb = summaries("duckdb", &[&local, &spark]);
    let by_spark = summaries("spark", &[&local, &spark]);
    for (engine, [l, s]) in
        [("duckdb", &by_duckdb), ("spark", &by_spark)].map(|(e, v)| (e, [&v[0], &v[1]]))
    {
        assert_eq!(
            l["messages"], messages,
            "{engine}: one row side per message"
        );
        for field in ["rows", "messages", "matched", "by_type_rcode", "partitions"] {
            assert_eq!(l[field], s[field], "{engine}: {field} of local and Spark");
        }
        assert_eq!(l["digest"], s["digest"], "{engine}: every row the same");
    }
    // The two engines agree on both datasets, partitions included.
    assert_eq!(by_duckdb, by_spark);
    let partitions = by_duckdb[0]["partitions"].as_array().unwrap();
    assert_eq!(partitions.len(), 2, "{partitions:?}");
    assert!(partitions
        .iter()
        .all(|p| p.as_str().unwrap().contains("\"ns1.example\"")));
}
