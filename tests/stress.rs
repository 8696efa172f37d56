//! Hostile and careless use (issue 14): inputs never overwritten, write errors on
//! standard output end cleanly, wrong paths and values are usage errors, CSV rows
//! always fit their header.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pcaptool")
}

fn ok(args: &[&str]) -> Vec<u8> {
    let out = run(args);
    assert!(
        out.status.success(),
        "pcaptool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn split_never_overwrites_its_input() {
    // The steps: split once, then split one of the flow files into the same
    // directory with --force.
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("E");
    let input = corpus_dir().join("skype-irc.cap");
    ok(&[
        "split",
        input.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
        "-q",
    ]);
    let flow = out_dir.join("flow-00000002_192.168.1.1_192.168.1.2.pcap");
    let before = std::fs::read(&flow).unwrap();
    let out = run(&[
        "split",
        flow.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
        "--force",
        "--buffer",
        "1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("would overwrite"));
    assert_eq!(std::fs::read(&flow).unwrap(), before, "the input is intact");
    // The same file under another name (a hard link) is the same input.
    let link = dir.path().join("link.pcap");
    std::fs::hard_link(&flow, &link).unwrap();
    let out = run(&[
        "split",
        link.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&flow).unwrap(), before);
}

/// Runs `pcaptool args` with standard output on /dev/full.
fn to_full_disk(args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap()
}

#[test]
fn standard_output_errors_end_cleanly() {
    let capture = corpus_dir().join("skype-irc.cap");
    let capture = capture.to_str().unwrap();
    for args in [
        &["info", capture][..],
        &["dns", capture],
        &["dns", capture, "--format", "json", "--jobs", "2"],
        &["dns", capture, "--stats"],
        &["completions", "bash"],
        &["man"],
    ] {
        let out = to_full_disk(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?} > /dev/full: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write to standard output"),
            "{args:?}: {stderr}"
        );
    }
    // A reader that stops early: quiet, exit 0 (as `-o -` always did).
    for pipeline in [
        format!(
            "{} info {capture} {capture} | head -c1 >/dev/null; exit ${{PIPESTATUS[0]}}",
            bin()
        ),
        format!(
            "{} dns {capture} --format dig | head -c1 >/dev/null; exit ${{PIPESTATUS[0]}}",
            bin()
        ),
    ] {
        let out = Command::new("bash")
            .args(["-c", &pipeline])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{pipeline}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{pipeline}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn output_paths_of_the_wrong_kind_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    // gen -o DIR: exit 2, and no partial file anywhere near.
    let out = run(&["gen", "syn", "-o", dir.path().to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a directory"));
    let leftovers = |d: &Path| {
        std::fs::read_dir(d)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains("partial")
            })
            .count()
    };
    assert_eq!(leftovers(dir.path()), 0);
    assert_eq!(leftovers(dir.path().parent().unwrap()), 0);
    // split -o FILE: says what is wrong.
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let capture = corpus_dir().join("http.cap");
    let out = run(&[
        "split",
        capture.to_str().unwrap(),
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a directory"));
    // An empty input says so.
    let empty = dir.path().join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let out = run(&["info", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the input is empty"));
}

#[test]
fn values_that_cannot_be_honoured_are_refused_or_honoured_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("late.pcap");
    // pcap cannot hold seconds past 2^32: refused, where pcapng writes them.
    let out = run(&[
        "gen",
        "syn",
        "--start",
        "99999999999",
        "-o",
        pcap.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!pcap.exists());
    let pcapng = dir.path().join("late.pcapng");
    ok(&[
        "gen",
        "syn",
        "--start",
        "99999999999",
        "--count",
        "1",
        "--format",
        "pcapng",
        "-o",
        pcapng.to_str().unwrap(),
    ]);
    let text = String::from_utf8(ok(&["info", pcapng.to_str().unwrap()])).unwrap();
    assert!(text.contains("earliest: 99999999999.000000000"), "{text}");
    // mix: --count is the number of packets even below --flows.
    let mix = dir.path().join("mix.pcap");
    ok(&[
        "gen",
        "mix",
        "--flows",
        "100",
        "--count",
        "10",
        "-o",
        mix.to_str().unwrap(),
    ]);
    assert_eq!(
        info_packets(&ok(&["info", mix.to_str().unwrap()])),
        Some(10)
    );
    // --stats has no CSV form.
    let capture = corpus_dir().join("skype-irc.cap");
    let out = run(&[
        "dns",
        capture.to_str().unwrap(),
        "--stats",
        "--format",
        "csv",
    ]);
    assert_eq!(out.status.code(), Some(2));
    // --timeout: bare seconds as dig's +time; 0 refused.
    let out = run(&["query", "example.test", "@127.0.0.1:9", "--timeout", "0"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "query",
        "example.test",
        "@127.0.0.1:9",
        "--timeout",
        "1",
        "--retries",
        "0",
    ]);
    assert!(
        matches!(out.status.code(), Some(4 | 5)),
        "--timeout 1 is accepted (timeout or refused by the closed port): {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn csv_rows_always_have_the_header_s_fields() {
    // Messages shorter than a header, malformed ones and whole ones, over UDP port 53.
    use pcaptool::capture::Timestamp;
    use pcaptool::packet::{build_frame, IpSpec, LinkSpec, Mac, Transport};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.pcap");
    let mut w = common::generate::ethernet_pcap(&path);
    let link = LinkSpec {
        src_mac: Mac([2, 0, 0, 0, 0, 1]),
        dst_mac: Mac([2, 0, 0, 0, 0, 2]),
        vlans: vec![],
    };
    let ip = IpSpec {
        src: "192.0.2.1".parse().unwrap(),
        dst: "192.0.2.53".parse().unwrap(),
        ttl: 64,
        id: 1,
    };
    let whole = pcaptool::dns::Message::query(7, "a,b.example".parse().unwrap(), 1).encode();
    for (i, payload) in [
        &b""[..],
        b"\x00",
        b"\x12\x34\x01\x00\x00",
        &whole[..],
        &whole[..20],
    ]
    .iter()
    .enumerate()
    {
        let mut frame = Vec::new();
        build_frame(
            &link,
            &ip,
            &Transport::Udp {
                sport: 40000,
                dport: 53,
            },
            payload,
            &mut frame,
        )
        .unwrap();
        w.write_packet(0, Timestamp::new(i as i64, 0), frame.len() as u32, &frame)
            .unwrap();
    }
    w.finish().unwrap();
    let text = String::from_utf8(ok(&["dns", path.to_str().unwrap(), "--format", "csv"])).unwrap();
    // Fields of a line, with RFC 4180 quotes.
    let fields = |line: &str| {
        let mut n = 1;
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => n += 1,
                _ => {}
            }
        }
        n
    };
    let mut lines = text.lines();
    let header = fields(lines.next().unwrap());
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 5, "{text}");
    for row in rows {
        assert_eq!(fields(row), header, "{row}");
    }
}

#[test]
fn stats_stay_linear_past_a_million_unanswered_queries() {
    // A flood of queries without answers, beyond what the 256 MiB of waiting queries
    // --stats remembers (about 600,000 of these): the oldest leave the table in
    // constant time each (a scan for the oldest on every insert made this quadratic),
    // and the summary says how many.
    let dir = tempfile::tempdir().unwrap();
    let flood = dir.path().join("flood.pcap");
    ok(&[
        "gen",
        "dns",
        "q.example",
        "--count",
        "1050000",
        "--seed",
        "1",
        "--start",
        "1700000000",
        "-o",
        flood.to_str().unwrap(),
    ]);
    let text = String::from_utf8(ok(&["dns", "--stats", flood.to_str().unwrap()])).unwrap();
    assert!(
        text.starts_with("messages: 1050000 (1050000 queries, 0 responses, 0 malformed)"),
        "{text}"
    );
    let matching = text.lines().nth(1).unwrap();
    let numbers: Vec<u64> = matching
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let [answered, unanswered, unsolicited, retransmitted] = numbers[..] else {
        panic!("{matching}");
    };
    assert_eq!((answered, unsolicited), (0, 0), "{matching}");
    assert_eq!(unanswered + retransmitted, 1_050_000, "{matching}");
    let said = text
        .lines()
        .find(|l| l.contains("of the unanswered left the 256 MiB table"))
        .unwrap_or_else(|| panic!("the evictions are said: {text}"));
    let evicted: u64 = said
        .trim()
        .trim_start_matches('(')
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    let waiting = unanswered - evicted;
    assert!(
        evicted > 0 && (400_000..900_000).contains(&waiting),
        "{evicted} evicted, {waiting} still waiting at the end: {text}"
    );
}

/// A tmpfs of `kib` KiB mounted on a new directory (root only; CI runs as root), and
/// unmounted when dropped.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn new(kib: u32) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("cannot run mount");
        assert!(
            out.status.success(),
            "the full-disk test mounts a small tmpfs and needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk(dir)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn a_full_disk_names_the_file_and_leaves_a_true_manifest_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mix.pcap");
    ok(&[
        "gen",
        "mix",
        "--flows",
        "50",
        "--count",
        "4000",
        "--seed",
        "5",
        "-o",
        input.to_str().unwrap(),
    ]);
    for (kib, manifest) in [(1024, "csv"), (2048, "json"), (64, "csv")] {
        let disk = SmallDisk::new(kib);
        let out_dir = disk.0.path().join("flows");
        let out = run(&[
            "split",
            input.to_str().unwrap(),
            "-o",
            out_dir.to_str().unwrap(),
            "-q",
            "--manifest",
            manifest,
            "--buffer",
            "1",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{kib} KiB: {stderr}");
        assert!(
            stderr.contains("No space left on device") && stderr.contains("flow-"),
            "{kib} KiB: the cause and the file: {stderr}"
        );
        let files: Vec<std::path::PathBuf> = std::fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        for f in &files {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                !name.contains("partial"),
                "{kib} KiB: a temporary file is left: {name}"
            );
            assert!(
                std::fs::metadata(f).unwrap().len() > 0,
                "{kib} KiB: {name} is empty"
            );
        }
        let manifest_path = out_dir.join(format!("flows.{manifest}"));
        if stderr.contains("could not be written either") {
            assert!(!manifest_path.exists(), "{kib} KiB: no half manifest");
            continue;
        }
        // The manifest lists exactly the flow files on disk, with their packet counts.
        let text = std::fs::read_to_string(&manifest_path).unwrap();
        let listed: Vec<(String, u64)> = if manifest == "csv" {
            text.lines()
                .skip(1)
                .map(|l| {
                    let c: Vec<&str> = l.split(',').collect();
                    (c[11].to_string(), c[6].parse().unwrap())
                })
                .collect()
        } else {
            let rows: serde_json::Value = serde_json::from_str(&text).expect("whole JSON");
            rows.as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["file"].as_str().unwrap().to_string(),
                        r["packets"].as_u64().unwrap(),
                    )
                })
                .collect()
        };
        let flow_files = files
            .iter()
            .filter(|f| f.to_string_lossy().contains("flow-"))
            .count();
        assert_eq!(
            listed.len(),
            flow_files,
            "{kib} KiB: every flow file listed, no other"
        );
        for (name, packets) in listed {
            let on_disk = info_packets(&ok(&["info", out_dir.join(&name).to_str().unwrap()]));
            assert_eq!(on_disk, Some(packets), "{kib} KiB: {name}");
        }
    }
}

/// Splits a capture fed through a pipe that stays open, sends `signal` once flow
/// files are on disk, then closes the pipe; returns the exit status, stderr and the
/// output directory.
fn split_then_signal(signal: &str, dir: &Path) -> (Option<i32>, String, std::path::PathBuf) {
    use std::io::Write;
    let input = dir.join("mix.pcap");
    ok(&[
        "gen",
        "mix",
        "--flows",
        "20",
        "--count",
        "6000",
        "--seed",
        "9",
        "-o",
        input.to_str().unwrap(),
    ]);
    let out_dir = dir.join(format!("out-{signal}"));
    let mut child = Command::new(bin())
        .args([
            "split",
            "-",
            "-o",
            out_dir.to_str().unwrap(),
            "--buffer",
            "1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&std::fs::read(&input).unwrap()).unwrap();
    stdin.flush().unwrap();
    // Wait (at most 20 s) until files reach the disk: the split has read the bytes.
    let start = std::time::Instant::now();
    let written = || {
        std::fs::read_dir(&out_dir).is_ok_and(|d| {
            d.filter_map(Result::ok)
                .any(|e| e.metadata().is_ok_and(|m| m.len() > 0))
        })
    };
    while !written() {
        assert!(start.elapsed().as_secs() < 20, "split wrote nothing");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(std::time::Duration::from_millis(200));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out_dir,
    )
}

#[test]
fn an_interrupted_split_finishes_what_it_read_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    for (signal, status) in [("INT", 130), ("TERM", 143)] {
        let (code, stderr, out_dir) = split_then_signal(signal, dir.path());
        assert_eq!(code, Some(status), "SIG{signal}: {stderr}");
        assert!(
            stderr.contains("interrupted after"),
            "SIG{signal}: {stderr}"
        );
        // The manifest is there and true: every file listed holds what it says.
        let manifest = std::fs::read_to_string(out_dir.join("flows.csv")).expect("a manifest");
        let mut files = 0;
        for row in manifest.lines().skip(1) {
            let c: Vec<&str> = row.split(',').collect();
            let on_disk = info_packets(&ok(&["info", out_dir.join(c[11]).to_str().unwrap()]));
            assert_eq!(
                on_disk.map(|n| n.to_string()).as_deref(),
                Some(c[6]),
                "SIG{signal}: {row}"
            );
            files += 1;
        }
        assert_eq!(files, 20, "SIG{signal}: every flow read is written");
        let empty = std::fs::read_dir(&out_dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().metadata().unwrap().len() == 0)
            .count();
        assert_eq!(empty, 0, "SIG{signal}: no empty file");
    }
}

fn lines(bytes: &[u8]) -> usize {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count()
}

#[test]
fn forty_thousand_interleaved_tcp_connections_lose_no_message() {
    // gen writes each connection whole; here every connection's first packet comes,
    // then every second one, and so on: 40,000 connections open at once.
    use pcaptool::capture::{CaptureWriter, LinkType, OutputFormat, Timestamp, TsResolution};
    use pcaptool::flow::{FlowKey, SplitBy};
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("tcp.pcap");
    ok(&[
        "gen",
        "dns",
        "a.example",
        "b.example",
        "--count",
        "40000",
        "--tcp",
        "--responses",
        "--answer",
        "192.0.2.1",
        "--src",
        "10.0.0.0/8",
        "--seed",
        "4",
        "--start",
        "1700000000",
        "-o",
        whole.to_str().unwrap(),
    ]);
    let mut reader = pcaptool::capture::open(&whole).unwrap();
    let mut connections: indexmap::IndexMap<FlowKey, Vec<Vec<u8>>> = Default::default();
    while let Some(r) = reader.next_record().unwrap() {
        let key = FlowKey::of(
            pcaptool::link::network(r.link_type, r.data),
            SplitBy::Conversation,
        )
        .unwrap();
        connections.entry(key).or_default().push(r.data.to_vec());
    }
    assert_eq!(connections.len(), 40_000);
    let interleaved = dir.path().join("interleaved.pcap");
    let file = std::io::BufWriter::new(std::fs::File::create(&interleaved).unwrap());
    let mut w = CaptureWriter::new(
        file,
        OutputFormat::Pcap,
        TsResolution::Micro,
        LinkType::ETHERNET,
        65535,
    );
    let rounds = connections.values().map(Vec::len).max().unwrap();
    let mut n = 0i64;
    for round in 0..rounds {
        for frames in connections.values() {
            if let Some(f) = frames.get(round) {
                w.write_packet(
                    0,
                    Timestamp::new(1_700_000_000 + n / 100_000, (n % 100_000) as u32 * 10_000),
                    f.len() as u32,
                    f,
                )
                .unwrap();
                n += 1;
            }
        }
    }
    w.finish().unwrap();
    let out = run(&["dns", interleaved.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(
        lines(&out.stdout),
        80_000,
        "every query and response: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("forgotten"));
}

#[test]
fn five_thousand_fragmented_datagrams_in_flight_are_all_reassembled() {
    use pcaptool::capture::{CaptureWriter, LinkType, OutputFormat, Timestamp, TsResolution};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frags.pcap");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut w = CaptureWriter::new(
        file,
        OutputFormat::Pcap,
        TsResolution::Micro,
        LinkType::RAW,
        65535,
    );
    // Each datagram: a DNS response of ~2.6 KB in UDP, cut into three IPv4 fragments;
    // all first fragments come first, then all second ones, then all third ones.
    let datagrams: Vec<Vec<u8>> = (0..5000u16)
        .map(|i| {
            let mut m = pcaptool::dns::Message::query(i, "big.example".parse().unwrap(), 16);
            m.flags.set(pcaptool::dns::wire::Flags::QR, true);
            for _ in 0..10 {
                m.answers.push(pcaptool::dns::Record {
                    name: "big.example".parse().unwrap(),
                    rtype: 16,
                    class: 1,
                    ttl: 60,
                    data: pcaptool::dns::RData::Txt(vec![vec![b'x'; 250]]),
                });
            }
            let dns = m.encode();
            let mut udp = Vec::new();
            udp.extend_from_slice(&53u16.to_be_bytes());
            udp.extend_from_slice(&40000u16.to_be_bytes());
            udp.extend_from_slice(&(8 + dns.len() as u16).to_be_bytes());
            udp.extend_from_slice(&[0, 0]);
            udp.extend_from_slice(&dns);
            udp
        })
        .collect();
    let mut t = 0u32;
    for piece in 0..3usize {
        for (i, udp) in datagrams.iter().enumerate() {
            let (start, stop) = (piece * 1000, ((piece + 1) * 1000).min(udp.len()));
            let more = stop < udp.len();
            let payload = &udp[start..stop];
            let mut ip = vec![0x45, 0];
            ip.extend_from_slice(&(20 + payload.len() as u16).to_be_bytes());
            ip.extend_from_slice(&(i as u16).to_be_bytes());
            let flags_offset = (u16::from(more) << 13) | (start / 8) as u16;
            ip.extend_from_slice(&flags_offset.to_be_bytes());
            ip.extend_from_slice(&[64, 17, 0, 0, 192, 0, 2, 53, 192, 0, 2, 1]);
            ip.extend_from_slice(payload);
            w.write_packet(
                0,
                Timestamp::new(1_700_000_000, t * 1000),
                ip.len() as u32,
                &ip,
            )
            .unwrap();
            t += 1;
        }
    }
    w.finish().unwrap();
    let out = run(&["dns", path.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(
        lines(&out.stdout),
        5000,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn names_files_are_streamed_not_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    // Used in turn, command-line names first, the file read again when --count asks
    // for more.
    let names = dir.path().join("names.txt");
    std::fs::write(&names, "b.example # two\n\nc.example\n").unwrap();
    let out = dir.path().join("q.pcap");
    ok(&[
        "gen",
        "dns",
        "a.example",
        "--names-file",
        names.to_str().unwrap(),
        "--count",
        "7",
        "-o",
        out.to_str().unwrap(),
    ]);
    let csv = String::from_utf8(ok(&["dns", out.to_str().unwrap(), "--format", "csv"])).unwrap();
    let asked: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(12).unwrap())
        .collect();
    assert_eq!(
        asked,
        [
            "a.example",
            "b.example",
            "c.example",
            "a.example",
            "b.example",
            "c.example",
            "a.example"
        ]
    );
    // A 60 MB names file under a 400 MB address-space limit (reading it whole took
    // 881 MiB): the first names are asked, the whole file checked before anything is
    // written.
    let big = dir.path().join("big.txt");
    {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        for i in 0..3_000_000u32 {
            writeln!(w, "host{i:08}.example.com").unwrap();
        }
    }
    let script = format!(
        "ulimit -v 400000 && exec {} gen dns --names-file {} --count 5 -o {}",
        bin(),
        big.display(),
        dir.path().join("big.pcap").display()
    );
    let run = Command::new("bash").args(["-c", &script]).output().unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // A bad line far down is found before any output, with its line number.
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(&big).unwrap();
        f.write_all(b"bad..name\n").unwrap();
    }
    let bad = run_gen_with(&big, dir.path());
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains(":3000001: bad name 'bad..name'"));
    assert!(!dir.path().join("bad.pcap").exists());
}

fn run_gen_with(names: &Path, dir: &Path) -> std::process::Output {
    run(&[
        "gen",
        "dns",
        "--names-file",
        names.to_str().unwrap(),
        "--count",
        "5",
        "-o",
        dir.join("bad.pcap").to_str().unwrap(),
    ])
}

#[test]
fn a_flow_file_describes_only_the_interfaces_its_packets_use() {
    // 10,000 interfaces (alternately microsecond and nanosecond clocks, so a wrong
    // renumbering shows in the timestamps), 3,000 packets of 500 pairs spread over
    // them: each flow file gets interface 0 and the few interfaces its packets came
    // from, not 10,000 descriptions.
    use pcaptool::capture::{push_interface, push_packet_with, push_section_header};
    use pcaptool::capture::{LinkType, Timestamp, TsResolution};
    use pcaptool::packet::{build_frame, IpSpec, LinkSpec, Mac, Transport};
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("interfaces.pcapng");
    let mut bytes = Vec::new();
    push_section_header(&mut bytes);
    const INTERFACES: u32 = 10_000;
    let resolution = |i: u32| {
        if i.is_multiple_of(2) {
            TsResolution::Micro
        } else {
            TsResolution::Nano
        }
    };
    for i in 0..INTERFACES {
        push_interface(&mut bytes, LinkType::ETHERNET, 0, resolution(i));
    }
    let link = LinkSpec {
        src_mac: Mac([2, 0, 0, 0, 0, 1]),
        dst_mac: Mac([2, 0, 0, 0, 0, 2]),
        vlans: vec![],
    };
    let mut expected: std::collections::HashMap<String, Vec<(Timestamp, Vec<u8>)>> =
        Default::default();
    for n in 0..3_000u32 {
        let pair = n % 500;
        let (a, b) = (
            format!("10.0.{}.{}", pair / 250, pair % 250 + 1),
            format!("10.1.{}.{}", pair / 250, pair % 250 + 1),
        );
        let (src, dst) = if n % 3 == 0 { (&b, &a) } else { (&a, &b) };
        let ip = IpSpec {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            ttl: 64,
            id: n as u16,
        };
        let mut frame = Vec::new();
        build_frame(
            &link,
            &ip,
            &Transport::Udp {
                sport: 5000,
                dport: 53,
            },
            &n.to_be_bytes(),
            &mut frame,
        )
        .unwrap();
        // Interface 0 now and then; otherwise one of three per pair, or any.
        let interface = match n % 5 {
            0 => 0,
            1 => (n * 7_919) % INTERFACES,
            _ => (pair * 13 + n % 3) % INTERFACES,
        };
        let ts = Timestamp::new(1_700_000_000 + i64::from(n), (n % 1000) * 1000);
        push_packet_with(
            &mut bytes,
            interface,
            ts,
            resolution(interface),
            frame.len() as u32,
            frame.len(),
            |out| out.copy_from_slice(&frame),
        );
        expected.entry(a.clone()).or_default().push((ts, frame));
    }
    std::fs::write(&input, &bytes).unwrap();
    let out_dir = dir.path().join("flows");
    ok(&[
        "split",
        input.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
        "-q",
    ]);
    let mut total = 0u64;
    let mut files = 0;
    for entry in std::fs::read_dir(&out_dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("flow-") {
            continue;
        }
        files += 1;
        total += std::fs::metadata(&path).unwrap().len();
        let address_a = name.split('_').nth(1).unwrap().to_string();
        let mut reader = pcaptool::capture::open(&path).unwrap();
        let mut got = Vec::new();
        while let Some(r) = reader.next_record().unwrap() {
            got.push((r.ts, r.data.to_vec()));
        }
        assert_eq!(got, expected[&address_a], "{name}");
    }
    assert_eq!(files, 500);
    // Each file: a section header, at most 5 or so descriptions, 6 packets.
    assert!(
        total < bytes.len() as u64,
        "{total} bytes of flow files from a {}-byte input",
        bytes.len()
    );
    // tshark reads one file with the same timestamps (its clocks follow the
    // renumbered interfaces).
    require_tool("tshark");
    let first = out_dir.join(
        std::fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .find(|n| n.starts_with("flow-00000002_"))
            .unwrap(),
    );
    let times = tshark(&first, &["-T", "fields", "-e", "frame.time_epoch"]);
    let ours: Vec<String> = expected["10.0.0.2"]
        .iter()
        .map(|(ts, _)| format!("{}.{:09}", ts.secs, ts.nanos))
        .collect();
    assert_eq!(times.lines().collect::<Vec<_>>(), ours);
}

/// Peak resident memory of a pcaptool run in KiB, by GNU time.
fn peak_kib(args: &[&str]) -> u64 {
    require_tool("/usr/bin/time");
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", bin()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "pcaptool {args:?}: {stderr}");
    stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak memory from GNU time: {stderr}"))
}

#[test]
fn split_memory_is_the_budget_plus_a_little_per_flow() {
    // The case: 100,000 pairs with a JSON manifest took 292 MiB (the whole
    // document was built in memory, every name stored twice). Now: the 8 MiB budget
    // asked for, about 20 MiB of program and batches (32 allowed), about 180 bytes per
    // flow (250 allowed).
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.pcap");
    ok(&[
        "gen",
        "mix",
        "--flows",
        "100000",
        "--count",
        "100000",
        "--seed",
        "1",
        "-o",
        input.to_str().unwrap(),
    ]);
    let out_dir = dir.path().join("out");
    let kib = peak_kib(&[
        "split",
        input.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
        "--manifest",
        "json",
        "--buffer",
        "8",
        "-q",
    ]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("flows.json")).unwrap()).unwrap();
    assert_eq!(manifest.as_array().unwrap().len(), 100_000);
    let bound = (8 + 32) * 1024 + 100_000 * 250 / 1024;
    assert!(
        kib < bound,
        "split of 100,000 pairs peaked at {kib} KiB (bound {bound} KiB)"
    );
    println!("100,000 pairs, JSON manifest, --buffer 8: peak {kib} KiB");
}

#[test]
fn a_length_field_does_not_allocate_what_the_file_does_not_hold() {
    // Found by the reader fuzzer: a 140-byte pcap whose one record claims 60 MB made
    // the reader allocate and zero 64 MiB before finding the file short (68 MiB peak).
    // The buffer now grows only as the bytes arrive.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claim.pcap");
    let mut bytes = Vec::new();
    for field in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65_535, 1] {
        bytes.extend_from_slice(&field.to_le_bytes());
    }
    for field in [1u32, 0, 60_000_000, 60_000_000] {
        bytes.extend_from_slice(&field.to_le_bytes());
    }
    bytes.extend_from_slice(&[0x55; 100]);
    std::fs::write(&path, &bytes).unwrap();
    let kib = peak_kib(&["info", path.to_str().unwrap()]);
    assert!(
        kib < 40 * 1024,
        "reading a 140-byte capture peaked at {kib} KiB"
    );
    let out = run(&["info", path.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs 60000016 bytes, only 116 remain"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
