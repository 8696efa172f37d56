//! The capture reader against ~340 real third-party captures: packet counts agree with
//! capinfos (index.tsv), broken files give a clear error or warning, and the records
//! agree with an independent reader (the pcap-file crate) byte for byte.

mod common;

use std::fs::File;
use std::io::Read;

use common::*;
use pcaptool::capture::{CaptureReader, Timestamp};

#[test]
fn every_capture_has_the_indexed_packet_count() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for row in corpus_index() {
        if !row.get("capinfos_error").is_empty() || row.get("format").is_empty() {
            continue;
        }
        let expected: u64 = row.get("packets").parse().unwrap();
        let out = run(&["info", row.path().to_str().unwrap()]);
        assert_no_panic(&out, row.get("file"));
        let got = info_packets(&out.stdout);
        if !out.status.success() || got != Some(expected) {
            failures.push(format!(
                "{}: expected {expected} packets, got {got:?} (status {:?}: {})",
                row.get("file"),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        checked += 1;
    }
    assert!(checked > 300, "only {checked} captures checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("{checked} captures read with capinfos' packet counts");
}

#[test]
fn broken_captures_give_a_clear_error_or_warning() {
    let mut checked = 0;
    for row in corpus_index() {
        if row.get("capinfos_error").is_empty() {
            continue;
        }
        let name = row.get("file");
        let out = run(&["info", row.path().to_str().unwrap()]);
        assert_no_panic(&out, name);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        match out.status.code() {
            // Not (or no longer) a capture: one line naming the file and the offset.
            Some(2) => {
                let last = lines.last().copied().unwrap_or("");
                assert!(
                    last.starts_with("pcaptool: error: ")
                        && last.contains(name)
                        && last.contains("offset"),
                    "{name}: unclear error: {stderr}"
                );
            }
            // Cut short: every complete record kept, a warning with the offset.
            Some(0) => assert!(
                lines
                    .iter()
                    .any(|l| l.contains("warning") && l.contains(name) && l.contains("offset")),
                "{name}: read without any warning although capinfos reports: {}",
                row.get("capinfos_error")
            ),
            other => panic!("{name}: exit status {other:?}: {stderr}"),
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} broken captures in the index");
}

#[test]
fn not_a_capture_names_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.pcap");
    std::fs::write(&path, "this is text, not packets\n").unwrap();
    let out = run(&["info", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("notes.pcap") && stderr.contains("offset 0"),
        "{stderr}"
    );
    let missing = run(&["info", dir.path().join("nope.pcap").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn standard_input_and_gzip() {
    let gz = corpus_dir().join("dns+icmp.pcapng.gz");
    let out = pcaptool_stdin(&["info", "-"], &std::fs::read(&gz).unwrap());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("gzip-compressed"), "{text}");
    assert_eq!(info_packets(&out.stdout), Some(33));
}

fn pcaptool_stdin(args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = pcaptool()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// (timestamp, original length, bytes) of each packet, read by pcap-file.
type Packets = Vec<(std::time::Duration, u32, Vec<u8>)>;

fn read_with_pcap_file(bytes: &[u8]) -> Option<Packets> {
    use pcap_file::pcapng::Block;
    let mut packets = Vec::new();
    if let Ok(mut r) = pcap_file::pcap::PcapReader::new(bytes) {
        while let Some(p) = r.next_packet() {
            let p = p.ok()?;
            packets.push((p.timestamp(), p.orig_len(), p.data().to_vec()));
        }
        return Some(packets);
    }
    let mut r = pcap_file::pcapng::PcapNgReader::new(bytes).ok()?;
    while let Some(block) = r.next_block() {
        match block.ok()?.0 {
            Block::EnhancedPacket(p) => {
                packets.push((p.timestamp, p.original_len, p.data.to_vec()))
            }
            Block::SimplePacket(_) | Block::Packet(_) => return None,
            _ => {}
        }
    }
    Some(packets)
}

#[test]
fn records_agree_with_the_pcap_file_crate() {
    let mut agreed_files = 0;
    let mut agreed_packets = 0;
    for row in corpus_index() {
        if !row.get("capinfos_error").is_empty() || !row.get("format").starts_with("pcap") {
            continue;
        }
        let mut bytes = Vec::new();
        File::open(row.path())
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut plain = Vec::new();
            flate2_decode(&bytes, &mut plain);
            bytes = plain;
        }
        // pcap-file stops at what it cannot read (e.g. timestamps with if_tsoffset);
        // compare every file it reads whole.
        let Some(theirs) = std::panic::catch_unwind(|| read_with_pcap_file(&bytes))
            .ok()
            .flatten()
        else {
            continue;
        };
        let mut ours = CaptureReader::new(Box::new(std::io::Cursor::new(bytes))).unwrap();
        let mut i = 0;
        while let Some(r) = ours.next_record().unwrap() {
            let (ts, orig_len, data) = &theirs[i];
            let name = row.get("file");
            assert_eq!(r.data, &data[..], "{name} packet {}: bytes differ", i + 1);
            assert_eq!(
                r.orig_len,
                *orig_len,
                "{name} packet {}: original length",
                i + 1
            );
            let their_ts = Timestamp::new(ts.as_secs() as i64, ts.subsec_nanos());
            assert_eq!(r.ts, their_ts, "{name} packet {}: timestamp", i + 1);
            i += 1;
        }
        assert_eq!(i, theirs.len(), "{}: packet count", row.get("file"));
        agreed_files += 1;
        agreed_packets += i;
    }
    println!("{agreed_files} files, {agreed_packets} packets identical to pcap-file's reading");
    assert!(
        agreed_files > 250,
        "pcap-file read only {agreed_files} files whole"
    );
}

fn flate2_decode(gz: &[u8], out: &mut Vec<u8>) {
    flate2::read::MultiGzDecoder::new(gz)
        .read_to_end(out)
        .unwrap();
}
