//! Helpers shared by the integration tests: the built binary, the shared capture
//! corpus, and the third-party tools used as oracles. Anything missing fails the test
//! with a message saying what to install; nothing is skipped.
#![allow(dead_code)]

pub mod generate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `pcaptool` binary cargo built for these tests.
pub fn pcaptool() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pcaptool"))
}

/// Runs `pcaptool args...` and returns its output.
pub fn run(args: &[&str]) -> Output {
    pcaptool()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("cannot start the pcaptool binary")
}

/// `../shared/captures`, the read-only corpus of third-party captures.
pub fn corpus_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures");
    assert!(
        dir.join("index.tsv").is_file(),
        "the capture corpus is missing: expected {} with index.tsv (it lives beside the repository)",
        dir.display()
    );
    dir
}

/// One row of `index.tsv`, by column name.
pub struct IndexRow(pub HashMap<String, String>);

impl IndexRow {
    pub fn get(&self, column: &str) -> &str {
        self.0
            .get(column)
            .unwrap_or_else(|| panic!("index.tsv has no column {column}"))
    }

    pub fn path(&self) -> PathBuf {
        corpus_dir().join(self.get("file"))
    }
}

/// All rows of the corpus index.
pub fn corpus_index() -> Vec<IndexRow> {
    let text = std::fs::read_to_string(corpus_dir().join("index.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            IndexRow(
                header
                    .iter()
                    .zip(l.split('\t').chain(std::iter::repeat("")))
                    .map(|(h, v)| (h.to_string(), v.to_string()))
                    .collect(),
            )
        })
        .collect()
}

/// Fails clearly when an oracle tool is not installed.
pub fn require_tool(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        found,
        "{tool} is not installed; the tests use it as an independent oracle (apt-get install tshark tcpdump; .ci/run does this)"
    );
}

/// Runs tshark with checksum validation on for IPv4, TCP and UDP.
pub fn tshark(file: &Path, extra: &[&str]) -> String {
    require_tool("tshark");
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(file)
        .args([
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
        ])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("cannot run tshark");
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `pcaptool info FILE`'s packet count.
pub fn info_packets(stdout: &[u8]) -> Option<u64> {
    String::from_utf8_lossy(stdout)
        .lines()
        .find_map(|l| l.strip_prefix("packets: "))
        .and_then(|n| n.trim().parse().ok())
}

/// Asserts that a run ended the way bad input must: no panic, a clean exit status.
pub fn assert_no_panic(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && out.status.code().is_some(),
        "{what}: pcaptool crashed: status {:?}, stderr: {stderr}",
        out.status
    );
}

/// The captures of the corpus with DNS in them (tshark's count of DNS or mDNS frames in
/// `index.tsv`), readable ones only.
pub fn dns_captures() -> Vec<PathBuf> {
    corpus_index()
        .into_iter()
        .filter(|r| r.get("capinfos_error").is_empty() && !r.get("format").is_empty())
        .filter(|r| {
            r.get("tshark_dns").parse::<u64>().unwrap_or(0)
                + r.get("mdns").parse::<u64>().unwrap_or(0)
                > 0
        })
        .map(|r| r.path())
        .collect()
}

/// The Python of the tests' readers (DuckDB, pyarrow, pyspark): `$PCAPTOOL_PYTHON`,
/// else the project's `.venv` (which `.ci/run` creates); fails when it cannot import
/// `module`.
pub fn python(module: &str) -> PathBuf {
    let path = std::env::var_os("PCAPTOOL_PYTHON").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python3"),
        PathBuf::from,
    );
    let ok = Command::new(&path)
        .args(["-c", &format!("import {module}")])
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{} cannot import {module}: run .ci/run, or `python3 -m venv .venv && .venv/bin/pip install duckdb pyarrow pyspark` (or set PCAPTOOL_PYTHON)",
        path.display()
    );
    path
}
