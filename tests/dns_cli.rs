//! `pcaptool dns` as a user runs it: JSON and CSV for every capture, statistics and
//! filters checked against tshark's own counts or against what `gen` was asked to
//! make, TCP streams shuffled, hostile messages.

mod common;

use std::path::Path;

use common::generate::{ethernet_pcap, udp_capture};
use common::*;
use pcaptool::capture::CaptureReader;

/// Captures in which tshark finds DNS (from the corpus index).
fn stdout_of(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "pcaptool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A minimal RFC 4180 reader: fields of each record.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    records
}

#[test]
fn json_and_csv_describe_every_message_of_every_capture() {
    let mut messages = 0;
    for path in dns_captures() {
        let p = path.to_str().unwrap();
        let text = stdout_of(&["dns", "-q", p]);
        let json = stdout_of(&["dns", "-q", "--format", "json", p]);
        let csv = stdout_of(&["dns", "-q", "--format", "csv", p]);
        let lines = text.lines().count();
        let objects: Vec<serde_json::Value> = json
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("{p}: invalid JSON line {l}: {e}"))
            })
            .collect();
        assert_eq!(
            objects.len(),
            lines,
            "{p}: JSON and text disagree on the message count"
        );
        for o in &objects {
            assert!(
                o["frame"].is_u64() && o["info"].is_string() && o.get("error").is_some(),
                "{p}: {o}"
            );
        }
        let rows = csv_records(&csv);
        assert_eq!(rows.len(), lines + 1, "{p}: CSV rows");
        assert!(
            rows.iter().all(|r| r.len() == rows[0].len()),
            "{p}: ragged CSV"
        );
        messages += lines;
    }
    assert!(messages > 4000, "{messages}");
}

fn tshark_count(file: &Path, filter: &str) -> usize {
    tshark(file, &["-Y", filter]).lines().count()
}

#[test]
fn filters_agree_with_tshark_filters() {
    // skype-irc.cap: 707 DNS messages over UDP (PTR, A, AAAA, SOA); ppp-example.pcap
    // and DnsPackets.pcap hold NXDOMAIN responses.
    let cases: [(&str, &[&str], &str); 6] = [
        ("skype-irc.cap", &["--queries"], "dns.flags.response == 0"),
        (
            "skype-irc.cap",
            &["--responses", "--qtype", "PTR"],
            "dns.flags.response == 1 && dns.qry.type == 12",
        ),
        (
            "skype-irc.cap",
            &["--qtype", "A", "--qtype", "AAAA"],
            "dns.qry.type == 1 || dns.qry.type == 28",
        ),
        (
            "skype-irc.cap",
            &["--name", "in-addr.arpa"],
            "dns.qry.name matches \"(^|\\\\.)in-addr\\\\.arpa$\"",
        ),
        (
            "ppp-example.pcap",
            &["--rcode", "NXDOMAIN"],
            "dns.flags.response == 1 && dns.flags.rcode == 3",
        ),
        (
            "DnsPackets.pcap",
            &["--rcode", "nxdomain", "--rcode", "REFUSED"],
            "dns.flags.response == 1 && (dns.flags.rcode == 3 || dns.flags.rcode == 5) && !mdns",
        ),
    ];
    for (file, args, filter) in cases {
        let path = corpus_dir().join(file);
        let mut full = vec!["dns", "-q", path.to_str().unwrap()];
        full.extend_from_slice(args);
        let ours = stdout_of(&full).lines().count();
        let theirs = tshark_count(&path, filter);
        assert!(
            theirs > 0,
            "{file}: {filter} matches nothing: a useless case"
        );
        assert_eq!(ours, theirs, "{file}: {args:?} vs tshark -Y '{filter}'");
    }
}

fn gen(dir: &Path, name: &str, args: &[&str]) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut full = vec!["gen", "dns"];
    full.extend_from_slice(args);
    full.extend_from_slice(&[
        "--seed",
        "9",
        "--start",
        "1700000000",
        "-o",
        path.to_str().unwrap(),
    ]);
    stdout_of(&full);
    path
}

#[test]
fn stats_count_what_gen_made() {
    let dir = tempfile::tempdir().unwrap();
    let answered = gen(
        dir.path(),
        "a.pcap",
        &[
            "a.example",
            "b.example",
            "a.example",
            "--responses",
            "--answer",
            "192.0.2.1",
            "--interval",
            "2ms",
            "--count",
            "40",
        ],
    );
    let stats: serde_json::Value = serde_json::from_str(&stdout_of(&[
        "dns",
        "--stats",
        "--format",
        "json",
        answered.to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(stats["messages"], 80);
    assert_eq!(stats["queries"], 40);
    assert_eq!(stats["responses"], 40);
    assert_eq!(stats["answered"], 40);
    assert_eq!(stats["unanswered"], 0);
    assert_eq!(stats["unsolicited"], 0);
    assert_eq!(stats["qtypes"]["A"], 40);
    assert_eq!(stats["rcodes"]["NOERROR"], 40);
    // Each response follows its query by one interval: 2 ms.
    for q in ["min", "median", "p99", "max"] {
        let ms = stats["response_time_ms"][q].as_f64().unwrap();
        assert!((ms - 2.0).abs() < 0.05, "{q} = {ms}");
    }
    // The names asked, most frequent first: a.example twice as often as b.example.
    assert_eq!(stats["top_names"][0]["name"], "a.example");
    assert_eq!(stats["top_names"][0]["count"], 27);
    assert_eq!(stats["top_names"][1]["count"], 13);

    let unanswered = gen(
        dir.path(),
        "q.pcap",
        &["x.example", "-t", "MX", "--count", "25"],
    );
    let stats: serde_json::Value = serde_json::from_str(&stdout_of(&[
        "dns",
        "--stats",
        "--format",
        "json",
        unanswered.to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(
        (stats["queries"].clone(), stats["unanswered"].clone()),
        (25.into(), 25.into())
    );
    let nx = gen(
        dir.path(),
        "nx.pcap",
        &[
            "gone.example",
            "--rcode",
            "NXDOMAIN",
            "--count",
            "5",
            "--tcp",
        ],
    );
    let text = stdout_of(&["dns", "--stats", nx.to_str().unwrap()]);
    assert!(text.contains("NXDOMAIN   5"), "{text}");
    assert!(text.contains("5 answered, 0 unanswered"), "{text}");
}

#[test]
fn csv_quotes_awkward_names() {
    let dir = tempfile::tempdir().unwrap();
    let file = gen(
        dir.path(),
        "odd.pcap",
        &["we,ird.example", "quo\"te.example"],
    );
    let csv = stdout_of(&["dns", "--format", "csv", file.to_str().unwrap()]);
    let rows = csv_records(&csv);
    let qname = rows[0].iter().position(|h| h == "qname").unwrap();
    assert_eq!(rows[1][qname], "we,ird.example");
    assert_eq!(rows[2][qname], "quo\"te.example");
}

/// Rewrites a capture with the TCP data segments of each connection shuffled and one
/// of them sent twice; everything else unchanged.
fn shuffle_tcp(input: &Path, output: &Path) {
    let mut reader = CaptureReader::new(Box::new(std::fs::File::open(input).unwrap())).unwrap();
    let mut records = Vec::new();
    while let Some(r) = reader.next_record().unwrap() {
        records.push((r.ts, r.data.to_vec()));
    }
    let is_data = |frame: &[u8]| frame.len() > 54 + 6 && frame[23] == 6 && frame[47] & 0x08 != 0; // PSH
    let mut out = Vec::new();
    let mut i = 0;
    while i < records.len() {
        if is_data(&records[i].1) {
            let mut j = i;
            while j < records.len() && is_data(&records[j].1) {
                j += 1;
            }
            let mut run: Vec<_> = records[i..j].to_vec();
            run.reverse();
            run.push(run[0].clone());
            out.extend(run);
            i = j;
        } else {
            out.push(records[i].clone());
            i += 1;
        }
    }
    let mut w = ethernet_pcap(output);
    for (ts, data) in out {
        w.write_packet(0, ts, data.len() as u32, &data).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn tcp_streams_reassemble_whatever_the_segment_order() {
    let dir = tempfile::tempdir().unwrap();
    // 150 answers make a response of several segments.
    let answers: Vec<String> = (0..150)
        .map(|i| format!("198.51.100.{}", i % 250))
        .collect();
    let mut args: Vec<&str> = vec!["big.example", "--tcp", "--count", "3"];
    for a in &answers {
        args.extend_from_slice(&["--answer", a]);
    }
    let ordered = gen(dir.path(), "ordered.pcap", &args);
    let shuffled = dir.path().join("shuffled.pcap");
    shuffle_tcp(&ordered, &shuffled);
    let info = |p: &Path| -> Vec<String> {
        let mut v: Vec<String> = stdout_of(&["dns", "-q", p.to_str().unwrap()])
            .lines()
            .map(|l| l.splitn(7, ' ').nth(6).unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let a = info(&ordered);
    assert_eq!(a.len(), 6, "{a:?}");
    assert!(
        a.iter().any(|l| l.matches(" A 198.51.100.").count() == 150),
        "{a:?}"
    );
    assert_eq!(info(&shuffled), a);
    // tshark agrees on the ordered file.
    let theirs = tshark(&ordered, &["-Y", "dns", "-T", "fields", "-e", "dns.id"])
        .lines()
        .count();
    assert_eq!(theirs, 6);
}

#[test]
fn hostile_messages_are_reported_not_fatal() {
    let header = |qd: u16, an: u16| {
        let mut h = vec![0x12, 0x34, 0x81, 0x80];
        for c in [qd, an, 0, 0] {
            h.extend_from_slice(&c.to_be_bytes());
        }
        h
    };
    let with = |mut h: Vec<u8>, tail: &[u8]| {
        h.extend_from_slice(tail);
        h
    };
    let hostile = vec![
        with(header(1, 0), &[0xc0, 12, 0, 1, 0, 1]), // pointer to itself
        with(header(1, 0), &[0xc0, 14, 0xc0, 12, 0, 1, 0, 1]), // two pointers in a loop
        with(header(1, 0), &[0xc0, 30, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]), // forward pointer into zeros
        with(header(1, 0), &[0x41, 3, 0, 0, 1, 0, 1]), // label type 0x40
        with(header(1, 0), &[0x80, 0, 1, 0, 1]),     // label type 0x80
        with(header(0xffff, 0xffff), &[0, 0, 1, 0, 1]), // counts beyond the message
        header(0, 0)[..7].to_vec(),                  // shorter than a header
        with(
            header(1, 1),
            &[0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 1],
        ), // RDLENGTH beyond the end
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.pcap");
    udp_capture(&path, &hostile);
    let p = path.to_str().unwrap();
    let text = stdout_of(&["dns", p]);
    assert_eq!(text.lines().count(), hostile.len(), "{text}");
    let json = stdout_of(&["dns", "--format", "json", p]);
    for (i, line) in json.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["error"].is_object(), "message {i} has no error: {line}");
        assert!(v["error"]["offset"].is_u64(), "message {i}: {line}");
    }
    // Where tshark says malformed, we say so in its words; where it does not, neither do we.
    let theirs = tshark(
        &path,
        &["-Y", "_ws.malformed", "-T", "fields", "-e", "frame.number"],
    );
    let malformed: Vec<String> = theirs.lines().map(str::to_string).collect();
    assert!(malformed.len() >= 4, "tshark: {theirs}");
    for line in text.lines() {
        let frame = line.split(' ').next().unwrap().to_string();
        assert_eq!(
            line.ends_with("[Malformed Packet]"),
            malformed.contains(&frame),
            "{line}"
        );
    }
    stdout_of(&["dns", "--stats", p]);
    stdout_of(&["dns", "--format", "csv", p]);
}

#[test]
fn decoders_survive_mutated_messages_quickly() {
    // A bounded run of the fuzzer's idea (examples/fuzz.rs runs it for as long as
    // wanted): mutated real messages through every decoder, each within a time limit.
    use pcaptool::dns::view::{info, json_rdata as rdata};
    use pcaptool::dns::wire;
    use pcaptool::rng::Rng;
    let path = corpus_dir().join("dnssec.pcap");
    let mut reader = pcaptool::capture::open(&path).unwrap();
    let mut extractor = pcaptool::dns::analysis::find::Extractor::new(&[], true);
    let mut seeds = Vec::new();
    let mut frame = 0;
    while let Some(r) = reader.next_record().unwrap() {
        frame += 1;
        extractor.frame(frame, r.ts, r.link_type, r.data, &mut |_, m| {
            seeds.push(m.to_vec())
        });
    }
    assert!(!seeds.is_empty());
    let mut rng = Rng::new(99);
    for i in 0..20_000 {
        let mut m = seeds[i % seeds.len()].clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(m.len() as u128) as usize;
            match rng.below(3) {
                0 => m[at] = rng.next_u32() as u8,
                1 => m.truncate(at.max(1)),
                _ => m
                    .splice(
                        at..at,
                        (0xc000u16 | rng.below(m.len() as u128) as u16).to_be_bytes(),
                    )
                    .for_each(drop),
            }
        }
        let started = std::time::Instant::now();
        let mut text = Vec::new();
        info::write_info(&m, m.len(), false, &mut text);
        if let Ok(parsed) = wire::Message::parse(&m) {
            let mut json = String::new();
            for (_, r) in parsed.records() {
                rdata::write_json(&m, r, &mut json);
            }
        }
        assert!(
            started.elapsed() < std::time::Duration::from_millis(200),
            "input {i} took {:?}",
            started.elapsed()
        );
    }
}

/// One `;; FRAME` block of `--format dig`: frame, over TCP, ID, flags line counts.
fn dig_blocks(text: &str) -> Vec<(u64, bool, u16, [u16; 4])> {
    let mut blocks = Vec::new();
    let mut frame = None;
    let mut tcp = false;
    let mut id = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(";; FRAME ") {
            frame = rest.split(' ').next().and_then(|f| f.parse::<u64>().ok());
            tcp = rest.contains(" TCP, ");
        } else if let Some(at) = line.find(", id: ") {
            id = line[at + 6..].parse::<u16>().ok();
        } else if let Some(at) = line.find("; QUERY: ") {
            let counts: Vec<u16> = line[at + 2..]
                .split(", ")
                .filter_map(|c| c.split(": ").nth(1)?.parse().ok())
                .collect();
            let (Some(f), Some(i), &[q, a, n, r]) = (frame, id, &counts[..]) else {
                panic!("a flags line without its frame and ID: {line}");
            };
            blocks.push((f, tcp, i, [q, a, n, r]));
        }
    }
    blocks
}

#[test]
fn dig_format_shows_every_message_with_tsharks_header_fields() {
    // Every message of --format dig must be one tshark decodes in the same frame, with
    // the same ID and section counts (over UDP; over TCP, that tshark sees DNS in that
    // frame); and every message of the JSON output is there.
    let mut checked = 0;
    let mut unmatched = Vec::new();
    for file in dns_captures() {
        let path = file.to_str().unwrap();
        let ours = dig_blocks(&stdout_of(&["dns", "--format", "dig", path]));
        let json_messages = stdout_of(&["dns", "--format", "json", path])
            .lines()
            .filter(|l| l.contains("\"id\":"))
            .count();
        assert_eq!(
            ours.len(),
            json_messages,
            "{path}: dig blocks vs JSON messages"
        );
        let fields = tshark(
            &file,
            &[
                "-Y",
                "dns || mdns || llmnr",
                "-T",
                "fields",
                "-E",
                "occurrence=a",
                "-e",
                "frame.number",
                "-e",
                "dns.id",
                "-e",
                "dns.count.queries",
                "-e",
                "dns.count.answers",
                "-e",
                "dns.count.auth_rr",
                "-e",
                "dns.count.add_rr",
                // UPDATE (opcode 5): the same counts under other names.
                "-e",
                "dns.count.zones",
                "-e",
                "dns.count.prerequisites",
                "-e",
                "dns.count.updates",
            ],
        );
        let mut theirs: std::collections::HashMap<u64, Vec<(u16, [u16; 4])>> = Default::default();
        for line in fields.lines() {
            let cols: Vec<Vec<&str>> = line.split('\t').map(|c| c.split(',').collect()).collect();
            let frame: u64 = cols[0][0].parse().unwrap();
            for i in 0..cols[1].len() {
                let num = |c: usize| {
                    let v = cols[c].get(i).copied().unwrap_or("");
                    v.strip_prefix("0x")
                        .map_or_else(|| v.parse().ok(), |h| u16::from_str_radix(h, 16).ok())
                };
                let (q, a, n) = (
                    num(2).or_else(|| num(6)),
                    num(3).or_else(|| num(7)),
                    num(4).or_else(|| num(8)),
                );
                if let (Some(id), Some(q), Some(a), Some(n), Some(r)) = (num(1), q, a, n, num(5)) {
                    theirs.entry(frame).or_default().push((id, [q, a, n, r]));
                }
            }
        }
        for (frame, tcp, id, counts) in &ours {
            // tshark's per-field lists for a frame that completes reassembled TCP PDUs
            // hold values of partial PDUs too: there, only that it is DNS is compared.
            let known = theirs
                .get(frame)
                .is_some_and(|m| *tcp || m.contains(&(*id, *counts)));
            if !known {
                unmatched.push(format!(
                    "{}: frame {frame}: ID {id} counts {counts:?}; tshark's fields: {:?}",
                    file.file_name().unwrap().to_string_lossy(),
                    theirs.get(frame)
                ));
            }
            checked += 1;
        }
    }
    assert!(
        unmatched.is_empty(),
        "{} of {checked} messages differ from tshark's fields:\n{}",
        unmatched.len(),
        unmatched.join("\n")
    );
    assert!(checked > 3000, "only {checked} messages checked");
    eprintln!("{checked} messages of --format dig agree with tshark's header fields");
}
