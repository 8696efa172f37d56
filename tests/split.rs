//! `pcaptool split`: nothing lost, nothing invented, on every capture of the corpus;
//! flow counts equal tshark's conversation tables; many flows under a low open-file
//! limit; the pitfalls other splitters fell into.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use pcaptool::capture::{self, LinkType, Timestamp};
use pcaptool::flow::{FlowKey, SplitBy};
use pcaptool::link;

/// One packet as the tests compare it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Packet {
    ts: Timestamp,
    link_type: LinkType,
    orig_len: u32,
    data: Vec<u8>,
}

/// Every packet of a capture, with its flow key (None = not IP); warns are ignored.
fn read_all(path: &Path, by: SplitBy) -> Vec<(Option<FlowKey>, Packet)> {
    let mut reader = capture::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    loop {
        match reader.next_record() {
            Ok(Some(r)) => out.push((
                FlowKey::of(link::network(r.link_type, r.data), by),
                Packet {
                    ts: r.ts,
                    link_type: r.link_type,
                    orig_len: r.orig_len,
                    data: r.data.to_vec(),
                },
            )),
            Ok(None) => break,
            Err(e) if e.is_truncation() => break,
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    out
}

fn split(input: &Path, dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "split",
        input.to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// Output capture files of a split, sorted by name (flow order).
fn outputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("flow-") || n.starts_with("non-ip.")
        })
        .collect();
    files.sort();
    files
}

/// Checks one split: every input packet in exactly the file of its flow, in input order,
/// byte for byte, and the re-merged outputs equal the input as a multiset.
fn check_split(input: &Path, dir: &Path, by: SplitBy) -> usize {
    let name = input.file_name().unwrap().to_string_lossy().into_owned();
    let packets = read_all(input, by);
    let mut expected: HashMap<Option<FlowKey>, Vec<Packet>> = HashMap::new();
    let mut first_seen: Vec<Option<FlowKey>> = Vec::new();
    for (key, p) in &packets {
        let group = expected.entry(*key).or_default();
        if group.is_empty() && key.is_some() {
            first_seen.push(*key);
        }
        group.push(p.clone());
    }
    let mut merged = Vec::new();
    let mut flow_files = 0;
    for file in outputs(dir) {
        let file_name = file.file_name().unwrap().to_string_lossy().into_owned();
        let got = read_all(&file, by);
        assert!(!got.is_empty(), "{name}: {file_name} is empty");
        let key = got[0].0;
        assert!(
            got.iter().all(|(k, _)| *k == key),
            "{name}: {file_name} mixes flows"
        );
        if file_name.starts_with("non-ip.") {
            assert_eq!(key, None, "{name}: {file_name} holds IP packets");
        } else {
            // Flows are numbered by first appearance.
            let number: usize = file_name[5..13].parse().unwrap();
            assert_eq!(
                first_seen[number - 1],
                key,
                "{name}: {file_name} has the wrong number"
            );
            flow_files += 1;
        }
        let mine: Vec<Packet> = got.into_iter().map(|(_, p)| p).collect();
        let want = expected
            .remove(&key)
            .unwrap_or_else(|| panic!("{name}: {file_name}: a flow twice"));
        assert_eq!(mine.len(), want.len(), "{name}: {file_name}: packet count");
        assert!(
            mine == want,
            "{name}: {file_name}: packets differ from the input's (order, bytes, times)"
        );
        merged.extend(mine);
    }
    assert!(
        expected.is_empty(),
        "{name}: flows without a file: {:?}",
        expected.keys().collect::<Vec<_>>()
    );
    let mut original: Vec<Packet> = packets.into_iter().map(|(_, p)| p).collect();
    original.sort();
    merged.sort();
    assert!(
        original == merged,
        "{name}: re-merged outputs differ from the input"
    );
    flow_files
}

fn tcpdump_reads(file: &Path) -> bool {
    require_tool("tcpdump");
    Command::new("tcpdump")
        .arg("-nr")
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn every_corpus_capture_splits_without_loss() {
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut all_outputs = Vec::new();
    for (i, row) in corpus_index().iter().enumerate() {
        if !row.get("capinfos_error").is_empty() || row.get("format").is_empty() {
            continue;
        }
        let dir = tmp.path().join(format!("{i}"));
        let out = split(&row.path(), &dir, &[]);
        assert_no_panic(&out, row.get("file"));
        assert!(
            out.status.success(),
            "{}: {}",
            row.get("file"),
            String::from_utf8_lossy(&out.stderr)
        );
        check_split(&row.path(), &dir, SplitBy::Pair);
        // tcpdump (libpcap) reads every output of an input it can read itself.
        if tcpdump_reads(&row.path()) {
            for file in outputs(&dir) {
                assert!(
                    tcpdump_reads(&file),
                    "tcpdump cannot read {}",
                    file.display()
                );
            }
        }
        all_outputs.extend(outputs(&dir));
        checked += 1;
    }
    assert!(checked > 300, "only {checked} captures split");
    // Wireshark's own reader accepts every output file (capinfos, many files per run).
    require_tool("capinfos");
    for batch in all_outputs.chunks(200) {
        let out = Command::new("capinfos")
            .arg("-c")
            .args(batch)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "capinfos rejects split output: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    println!(
        "{checked} captures split, {} output files checked",
        all_outputs.len()
    );
}

#[test]
fn tshark_and_tcpdump_read_the_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    for name in [
        "dns_over_tcp.pcapng",
        "many_interfaces.pcapng.1",
        "nanosecs.pcap",
        "solaris.snoop",
        "802.1Q_dvlan.cap",
    ] {
        let dir = tmp.path().join(name);
        assert!(split(&corpus_dir().join(name), &dir, &[]).status.success());
        // libpcap refuses pcapng files whose interfaces differ in snap length; what it
        // cannot read as input it need not read as output.
        let tcpdump_reads_input = tcpdump_reads(&corpus_dir().join(name));
        for file in outputs(&dir) {
            tshark(&file, &["-c", "1000"]);
            assert!(
                tcpdump_reads(&file) || !tcpdump_reads_input,
                "tcpdump cannot read {}",
                file.display()
            );
        }
    }
}

/// Flow files of multi-interface pcapng captures describe only the interfaces their
/// packets use, renumbered; tshark must still see every packet with its time, its
/// interface's name and description, and its bytes.
#[test]
fn tshark_sees_the_same_interfaces_after_renumbering() {
    let tmp = tempfile::tempdir().unwrap();
    let fields = [
        "-T",
        "fields",
        "-e",
        "frame.time_epoch",
        "-e",
        "frame.interface_name",
        "-e",
        "frame.interface_description",
        "-e",
        "frame.len",
        "-e",
        "frame.cap_len",
        "-e",
        "frame.comment",
        "-e",
        "eth.src",
        "-e",
        "ip.id",
    ];
    // tshark also lists blocks that hold no packet (name resolution, statistics,
    // custom blocks) as frames without an interface; split carries packets only.
    let lines = |text: String| -> Vec<String> {
        let mut v: Vec<String> = text
            .lines()
            .filter(|l| l.split('\t').nth(1).is_some_and(|i| !i.is_empty()))
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    for name in [
        "many_interfaces.pcapng.1",
        "many_interfaces.pcapng.2",
        "too_many_interfaces.pcapng",
        "zeek-pcapng-multi-interface.pcapng",
        "pcapng-tg-be-test008.pcapng",
        "pcapng-tg-be-test100.pcapng",
        "pcapng-tg-le-test102.pcapng",
    ] {
        let input = corpus_dir().join(name);
        let dir = tmp.path().join(name);
        assert!(split(&input, &dir, &["--non-ip", "file"]).status.success());
        let expected = lines(tshark(&input, &fields));
        let mut got = Vec::new();
        for file in outputs(&dir) {
            got.extend(lines(tshark(&file, &fields)));
        }
        got.sort();
        assert_eq!(got, expected, "{name}");
    }
}

/// tshark's conversation counts, committed in tests/data/split_flow_counts.tsv by
/// scripts/oracle-split-flows.sh.
#[test]
fn flow_counts_match_tshark_conversations() {
    let table = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/split_flow_counts.tsv"),
    )
    .expect("tests/data/split_flow_counts.tsv is missing: run scripts/oracle-split-flows.sh");
    let deviations = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/split_flow_deviations.tsv"),
    )
    .unwrap();
    let known: HashMap<&str, &str> = deviations
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_once('\t').unwrap())
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let (mut same, mut total) = (0, 0);
    for line in table.lines().skip(1) {
        let mut cols = line.split('\t');
        let (file, expected) = (
            cols.next().unwrap(),
            cols.next().unwrap().parse::<usize>().unwrap(),
        );
        let dir = tmp.path().join(file);
        let out = split(&corpus_dir().join(file), &dir, &[]);
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let manifest = std::fs::read_to_string(dir.join("flows.csv")).unwrap();
        let flows = manifest.lines().count() - 1;
        total += 1;
        if flows == expected {
            same += 1;
            assert!(
                !known.contains_key(file),
                "{file} agrees now: remove it from split_flow_deviations.tsv"
            );
        } else {
            assert!(
                known.contains_key(file),
                "{file}: {flows} flows, tshark lists {expected} conversations"
            );
        }
    }
    println!("flow counts identical to tshark for {same} of {total} captures");
    assert!(total >= 20);
}

fn gen(args: &[&str], out: &Path) {
    let mut full = vec!["gen"];
    full.extend_from_slice(args);
    full.extend_from_slice(&[
        "--seed",
        "1",
        "--start",
        "1700000000",
        "-o",
        out.to_str().unwrap(),
    ]);
    let o = run(&full);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn sh(script: &str) -> std::process::Output {
    Command::new("sh")
        .args(["-c", script])
        .env("PCAPTOOL", env!("CARGO_BIN_EXE_pcaptool"))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn twenty_thousand_flows_under_a_low_open_file_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("mix.pcap");
    gen(&["mix", "--flows", "20000", "--count", "60000"], &input);
    let dir = tmp.path().join("out");
    // A 1 MiB buffer forces many small hand-offs, so files are closed and reopened.
    let out = sh(&format!(
        "ulimit -n 64 && exec \"$PCAPTOOL\" split {} -o {} --buffer 1",
        input.display(),
        dir.display()
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("60000 packets, 20000 flows"), "{stderr}");
    let reopens: u64 = stderr
        .rsplit('(')
        .next()
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        reopens > 0,
        "files were never reopened under ulimit -n 64: {stderr}"
    );
    assert_eq!(check_split(&input, &dir, SplitBy::Pair), 20000);
}

#[test]
fn max_open_beyond_the_limit_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("syn.pcap");
    gen(&["syn", "--count", "10"], &input);
    let out = sh(&format!(
        "ulimit -n 64 && exec \"$PCAPTOOL\" split {} -o {} --max-open 1000",
        input.display(),
        tmp.path().join("o").display()
    ));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("open-file limit") && stderr.contains("64"),
        "{stderr}"
    );
}

#[test]
fn conversation_mode_separates_ports() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("dns.pcap");
    gen(
        &["dns", "example.com", "--tcp", "--responses", "--count", "5"],
        &input,
    );
    let pair = tmp.path().join("pair");
    assert!(split(&input, &pair, &[]).status.success());
    assert_eq!(outputs(&pair).len(), 1);
    let conv = tmp.path().join("conv");
    assert!(split(
        &input,
        &conv,
        &["--by", "conversation", "--manifest", "json"]
    )
    .status
    .success());
    assert_eq!(check_split(&input, &conv, SplitBy::Conversation), 5);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(conv.join("flows.json")).unwrap()).unwrap();
    let rows = manifest.as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(
        |r| r["protocol"] == 6 && r["packets"] == 9 && r["port_b"] == 53 || r["port_a"] == 53
    ));
}

#[test]
fn stdin_gzip_non_ip_and_force() {
    let tmp = tempfile::tempdir().unwrap();
    let gz = corpus_dir().join("dns+icmp.pcapng.gz");
    let dir = tmp.path().join("gz");
    let out = sh(&format!(
        "\"$PCAPTOOL\" split - -o {} < {}",
        dir.display(),
        gz.display()
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_split(&gz, &dir, SplitBy::Pair);
    // A non-empty directory is refused, then replaced with --force.
    let again = split(&gz, &dir, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    std::fs::write(dir.join("keep.txt"), "mine").unwrap();
    std::fs::write(dir.join("flow-99999999_1.1.1.1_2.2.2.2.pcapng"), "stale").unwrap();
    assert!(split(&gz, &dir, &["--force"]).status.success());
    assert!(
        dir.join("keep.txt").exists(),
        "--force removed a file that is not ours"
    );
    assert!(
        !dir.join("flow-99999999_1.1.1.1_2.2.2.2.pcapng").exists(),
        "--force left a stale flow file"
    );
    check_split(&gz, &dir, SplitBy::Pair);
    // ARP and friends: in non-ip.* by default, dropped and counted on request.
    let arp = corpus_dir().join("skype-irc.cap");
    let kept = tmp.path().join("kept");
    assert!(split(&arp, &kept, &[]).status.success());
    assert!(kept.join("non-ip.pcap").exists());
    let dropped = tmp.path().join("dropped");
    let out = run(&[
        "split",
        arp.to_str().unwrap(),
        "-o",
        dropped.to_str().unwrap(),
        "--non-ip",
        "drop",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("16 without IP (dropped)"));
    assert!(!dropped.join("non-ip.pcap").exists());
}

#[test]
fn a_write_error_names_the_file_and_the_manifest_tells_the_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("mix.pcap");
    gen(&["mix", "--flows", "50", "--count", "3000"], &input);
    let dir = tmp.path().join("out");
    // Files may not grow beyond 200 KiB here (SIGXFSZ ignored, so writes fail with EFBIG).
    let out = sh(&format!(
        "trap '' XFSZ; ulimit -f 400 && exec \"$PCAPTOOL\" split {} -o {}",
        input.display(),
        dir.display()
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write") && stderr.contains("flow-"),
        "{stderr}"
    );
    let manifest = std::fs::read_to_string(dir.join("flows.csv")).unwrap();
    for row in manifest.lines().skip(1) {
        let cols: Vec<&str> = row.split(',').collect();
        let file = dir.join(cols[11]);
        let packets = read_all(&file, SplitBy::Pair).len();
        assert_eq!(
            packets.to_string(),
            cols[6],
            "{}: manifest and file disagree",
            cols[11]
        );
        // The file is whole: no record cut in the middle.
        let info = run(&["info", file.to_str().unwrap()]);
        assert!(
            info.status.success() && info.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&info.stderr)
        );
    }
}

/// Per-address packet counts of tshark's `-z endpoints,ip` and `-z endpoints,ipv6`.
fn tshark_endpoints(file: &Path) -> HashMap<String, u64> {
    let text = tshark(file, &["-q", "-z", "endpoints,ip", "-z", "endpoints,ipv6"]);
    text.lines()
        .filter_map(|l| {
            let mut cols = l.split_whitespace();
            let addr = cols.next()?;
            let packets = cols.next()?.parse().ok()?;
            addr.parse::<std::net::IpAddr>().ok()?;
            Some((addr.to_string(), packets))
        })
        .collect()
}

#[test]
fn host_files_hold_every_packet_of_their_address_as_tshark_counts_them() {
    // Every capture with several IP pairs (the conversation-count table), less the
    // tunnels that tshark counts inside (tests/data/split_flow_deviations.tsv).
    let table = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/split_flow_counts.tsv"),
    )
    .unwrap();
    let deviations = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/split_flow_deviations.tsv"),
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut hosts = 0;
    for file in table.lines().skip(1).filter_map(|l| l.split('\t').next()) {
        if deviations
            .lines()
            .any(|d| d.split('\t').next() == Some(file))
        {
            continue;
        }
        let path = corpus_dir().join(file);
        let dir = tmp.path().join(file);
        let out = split(&path, &dir, &["--by", "host"]);
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let manifest = std::fs::read_to_string(dir.join("flows.csv")).unwrap();
        let ours: HashMap<String, u64> = manifest
            .lines()
            .skip(1)
            .map(|l| {
                let cols: Vec<&str> = l.split(',').collect();
                // The file holds what the manifest says.
                let packets = read_all(&dir.join(cols[11]), SplitBy::Pair).len() as u64;
                assert_eq!(packets.to_string(), cols[6], "{file}: {}", cols[11]);
                (cols[1].to_string(), packets)
            })
            .collect();
        // As many hosts as tshark's endpoint lists; each file holds every packet whose
        // (outer) IP header carries its address, as tshark reads the headers. (tshark's
        // endpoint counts themselves leave out IPv6 fragments before the last, and count
        // a packet from an address to itself twice.)
        let endpoints = tshark_endpoints(&path);
        let pairs = tshark(
            &path,
            &[
                "-T",
                "fields",
                "-E",
                "separator=;",
                "-e",
                "ip.src",
                "-e",
                "ip.dst",
                "-e",
                "ipv6.src",
                "-e",
                "ipv6.dst",
            ],
        );
        let mut theirs: HashMap<String, u64> = HashMap::new();
        for line in pairs.lines() {
            let c: Vec<&str> = line
                .split(';')
                .map(|f| f.split(',').next().unwrap_or(""))
                .collect();
            let at = |i: usize| c.get(i).copied().unwrap_or("");
            let (src, dst) = if at(0).is_empty() {
                (at(2), at(3))
            } else {
                (at(0), at(1))
            };
            if src.is_empty() {
                continue;
            }
            *theirs.entry(src.to_string()).or_default() += 1;
            if dst != src {
                *theirs.entry(dst.to_string()).or_default() += 1;
            }
        }
        let mut listed: Vec<&String> = endpoints.keys().collect();
        let mut ours_listed: Vec<&String> = ours.keys().collect();
        listed.sort();
        ours_listed.sort();
        assert_eq!(
            ours_listed, listed,
            "{file}: hosts against tshark's endpoints"
        );
        assert_eq!(ours, theirs, "{file}: hosts and their packets");
        hosts += ours.len();
    }
    eprintln!("{hosts} hosts agree with tshark");
    assert!(hosts > 500, "only {hosts} hosts compared");
}

#[test]
fn chunks_are_editcaps_chunks() {
    require_tool("editcap");
    let tmp = tempfile::tempdir().unwrap();
    for (file, by, editcap) in [
        ("skype-irc.cap", "packets:100", &["-c", "100"][..]),
        ("ppp-example.pcap", "packets:999", &["-c", "999"]),
        ("skype-irc.cap", "seconds:7", &["-i", "7"]),
        ("DnsPackets.pcap", "seconds:1", &["-i", "1"]),
    ] {
        let input = corpus_dir().join(file);
        let ours = tmp.path().join(format!("{file}-{by}"));
        let out = split(&input, &ours, &["--by", by]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs = tmp.path().join(format!("{file}-{by}-editcap"));
        std::fs::create_dir(&theirs).unwrap();
        let status = Command::new("editcap")
            .args(["-F", "pcap"])
            .args(editcap)
            .arg(&input)
            .arg(theirs.join("part.pcap"))
            .status()
            .unwrap();
        assert!(status.success());
        let mut chunks: Vec<PathBuf> = std::fs::read_dir(&ours)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".pcap"))
            .collect();
        chunks.sort();
        // editcap -i also writes a file for an interval without packets: only a header.
        let mut parts: Vec<PathBuf> = std::fs::read_dir(&theirs)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| std::fs::metadata(p).unwrap().len() > 24)
            .collect();
        parts.sort();
        assert_eq!(chunks.len(), parts.len(), "{file} {by}: chunk count");
        assert!(chunks.len() > 2, "{file} {by}: {} chunks", chunks.len());
        for (ours, theirs) in chunks.iter().zip(&parts) {
            assert!(
                std::fs::read(ours).unwrap() == std::fs::read(theirs).unwrap(),
                "{file} {by}: {} differs from editcap's {}",
                ours.display(),
                theirs.display()
            );
        }
    }
    // bytes:SIZE: every chunk within the size unless one record alone is larger, and
    // the records of all chunks in name order are the input's.
    let input = corpus_dir().join("skype-irc.cap");
    let dir = tmp.path().join("bytes");
    let out = split(&input, &dir, &["--by", "bytes:20kB"]);
    assert!(out.status.success());
    let mut chunks: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".pcap"))
        .collect();
    chunks.sort();
    let mut all = Vec::new();
    for chunk in &chunks {
        let size = std::fs::metadata(chunk).unwrap().len();
        let records = read_all(chunk, SplitBy::Pair);
        assert!(
            size <= 20_000 || records.len() == 1,
            "{}: {size} bytes",
            chunk.display()
        );
        all.extend(records.into_iter().map(|(_, p)| (p.ts, p.data)));
    }
    let whole: Vec<_> = read_all(&input, SplitBy::Pair)
        .into_iter()
        .map(|(_, p)| (p.ts, p.data))
        .collect();
    assert!(chunks.len() > 10);
    assert!(
        all == whole,
        "bytes chunks, concatenated, are not the input"
    );
}

#[test]
fn server_port_files_keep_each_conversation_whole() {
    // Every TCP/UDP packet of a server-port file carries that port; every conversation
    // (tshark's tcp.stream / udp.stream) lies in one file; a TCP conversation whose SYN
    // was captured is in the file of the SYN's destination port.
    let tmp = tempfile::tempdir().unwrap();
    for file in ["skype-irc.cap", "ppp-example.pcap", "dnso1tcp.pcap"] {
        let input = corpus_dir().join(file);
        let dir = tmp.path().join(file);
        let out = split(&input, &dir, &["--by", "server-port"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut packets = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let Some(port) = name
                .strip_prefix("port-")
                .and_then(|p| p.strip_suffix(".pcap"))
            else {
                continue;
            };
            let fields = tshark(
                &path,
                &[
                    "-T",
                    "fields",
                    "-E",
                    "separator=,",
                    "-e",
                    "tcp.stream",
                    "-e",
                    "udp.stream",
                    "-e",
                    "tcp.srcport",
                    "-e",
                    "tcp.dstport",
                    "-e",
                    "udp.srcport",
                    "-e",
                    "udp.dstport",
                    "-e",
                    "ip.src",
                    "-e",
                    "ip.dst",
                    "-e",
                    "tcp.flags.syn",
                    "-e",
                    "tcp.flags.ack",
                ],
            );
            for line in fields.lines() {
                let c: Vec<&str> = line.split(',').collect();
                packets += 1;
                if port == "none" {
                    continue;
                }
                let port: u16 = port.parse().unwrap();
                let ports: Vec<u16> = c[2..6].iter().filter_map(|p| p.parse().ok()).collect();
                assert!(
                    ports.contains(&port),
                    "{file}: {name}: a packet without port {port}: {line}"
                );
                if c[8] == "1" && c[9] == "0" {
                    assert_eq!(
                        c[3].parse::<u16>().ok(),
                        Some(port),
                        "{file}: SYN to another port"
                    );
                }
                // The conversation: addresses and ports, either way round.
                let mut ends = [
                    format!("{}:{}", c[6], ports[0]),
                    format!("{}:{}", c[7], ports[1]),
                ];
                ends.sort();
                let conversation = ends.join("-");
                let previous = seen.insert(conversation.clone(), name.clone());
                assert!(
                    previous.is_none_or(|p| p == name),
                    "{file}: conversation {conversation} in two files"
                );
            }
        }
        assert!(packets > 50, "{file}: {packets} packets checked");
    }
}
