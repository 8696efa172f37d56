//! `pcaptool gen` checked by tools we did not write: tshark validates every checksum
//! and dissects the DNS, tcpdump reads every file.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

const START: &str = "1700000000.25";

fn gen(dir: &Path, name: &str, args: &[&str]) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut full = vec!["gen"];
    full.extend_from_slice(args);
    full.extend_from_slice(&[
        "--seed",
        "42",
        "--start",
        START,
        "-o",
        path.to_str().unwrap(),
    ]);
    let out = run(&full);
    assert!(
        out.status.success(),
        "pcaptool {full:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// Per frame: (ip.checksum.status, tcp.checksum.status, udp.checksum.status,
/// _ws.malformed, frame.len, dns.qry.name, dns.qry.type, dns.id, dns.flags.response,
/// vlan.id, _ws.expert.severity, ieee8021ad.id).
fn dissect(path: &Path) -> Vec<Vec<String>> {
    let fields = [
        "ip.checksum.status",
        "tcp.checksum.status",
        "udp.checksum.status",
        "_ws.malformed",
        "frame.len",
        "dns.qry.name",
        "dns.qry.type",
        "dns.id",
        "dns.flags.response",
        "vlan.id",
        "_ws.expert.severity",
        "ieee8021ad.id",
    ];
    let mut args = vec!["-T", "fields", "-E", "separator=|", "-E", "occurrence=a"];
    for f in fields {
        args.extend_from_slice(&["-e", f]);
    }
    tshark(path, &args)
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

fn tcpdump_lines(path: &Path) -> usize {
    require_tool("tcpdump");
    let out = Command::new("tcpdump")
        .arg("-nr")
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .expect("cannot run tcpdump");
    assert!(
        out.status.success(),
        "tcpdump cannot read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).lines().count()
}

struct Case {
    name: String,
    args: Vec<String>,
    ipv6: bool,
    tcp: bool,
    vlan: Option<&'static str>,
    /// (name, type number, id) of each query, or None for non-DNS modes.
    dns: Option<(Vec<&'static str>, u16, Option<u16>)>,
    responses: bool,
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for ipv6 in [false, true] {
        for vlan in [None, Some("100")] {
            let mut base: Vec<String> = Vec::new();
            if ipv6 {
                base.push("-6".into());
            }
            if let Some(v) = vlan {
                base.extend(["--vlan".into(), v.into()]);
            }
            let tag = format!(
                "{}{}",
                if ipv6 { "v6" } else { "v4" },
                if vlan.is_some() { "-vlan" } else { "" }
            );
            // The mode comes first, its options after it.
            let with = |extra: &[&str]| {
                let mut a = vec![extra[0].to_string()];
                a.extend(base.iter().cloned());
                a.extend(extra[1..].iter().map(|s| s.to_string()));
                a
            };
            cases.push(Case {
                name: format!("syn-{tag}"),
                args: with(&["syn", "--count", "50"]),
                ipv6,
                tcp: true,
                vlan,
                dns: None,
                responses: false,
            });
            cases.push(Case {
                name: format!("udp-{tag}"),
                args: with(&["udp", "--count", "20", "--payload", "hello"]),
                ipv6,
                tcp: false,
                vlan,
                dns: None,
                responses: false,
            });
            for tcp in [false, true] {
                let mut args = with(&[
                    "dns",
                    "example.com",
                    "www.example.org",
                    "-t",
                    "AAAA",
                    "--id",
                    "4660",
                    "--edns",
                    "--do",
                    "--responses",
                    "--answer",
                    "2001:db8::7",
                    "--answer",
                    "192.0.2.7",
                ]);
                if tcp {
                    args.push("--tcp".into());
                }
                cases.push(Case {
                    name: format!("dns-{}-{tag}", if tcp { "tcp" } else { "udp" }),
                    args,
                    ipv6,
                    tcp,
                    vlan,
                    dns: Some((vec!["example.com", "www.example.org"], 28, Some(4660))),
                    responses: true,
                });
            }
        }
    }
    // Other shapes: pcapng, nanoseconds, NXDOMAIN, random ids, many types.
    cases.push(Case {
        name: "dns-nxdomain-pcapng".into(),
        args: [
            "dns",
            "--format",
            "pcapng",
            "--nanos",
            "nx.example.com",
            "-t",
            "MX",
            "--rcode",
            "NXDOMAIN",
            "--id",
            "7",
        ]
        .map(String::from)
        .to_vec(),
        ipv6: false,
        tcp: false,
        vlan: None,
        dns: Some((vec!["nx.example.com"], 15, Some(7))),
        responses: true,
    });
    cases.push(Case {
        name: "dns-qinq-queries-only".into(),
        args: [
            "dns",
            "--vlan",
            "10",
            "--vlan",
            "20",
            "a.example",
            "-t",
            "TYPE65",
            "--count",
            "6",
        ]
        .map(String::from)
        .to_vec(),
        ipv6: false,
        tcp: false,
        vlan: Some("10,20"),
        dns: Some((vec!["a.example"], 65, None)),
        responses: false,
    });
    cases
}

#[test]
fn every_mode_passes_tshark_checksum_validation_and_tcpdump() {
    let dir = tempfile::tempdir().unwrap();
    for case in cases() {
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let path = gen(dir.path(), &format!("{}.pcap", case.name), &args);
        let frames = dissect(&path);
        assert!(!frames.is_empty(), "{}: tshark saw no frames", case.name);
        let mut queries = Vec::new();
        let mut responses = 0;
        for (i, f) in frames.iter().enumerate() {
            let at = format!("{} frame {}", case.name, i + 1);
            let (ip_ck, tcp_ck, udp_ck, malformed, len) = (&f[0], &f[1], &f[2], &f[3], &f[4]);
            if case.ipv6 {
                assert_eq!(ip_ck, "", "{at}: IPv4 header in an IPv6 case");
            } else {
                assert_eq!(ip_ck, "1", "{at}: IPv4 checksum status {ip_ck} (1 = good)");
            }
            if case.tcp {
                assert_eq!(tcp_ck, "1", "{at}: TCP checksum status {tcp_ck}");
            } else {
                assert_eq!(udp_ck, "1", "{at}: UDP checksum status {udp_ck}");
            }
            assert_eq!(malformed, "", "{at}: tshark reports a malformed packet");
            assert!(
                !f[10].split(',').any(|s| s == "8388608"),
                "{at}: tshark reports an expert error"
            );
            assert!(
                len.parse::<usize>().unwrap() >= 60,
                "{at}: frame shorter than 60 bytes"
            );
            // An 802.1ad outer tag (QinQ) is its own field in tshark.
            let tags = if f[11].is_empty() {
                f[9].clone()
            } else {
                format!("{},{}", f[11], f[9])
            };
            assert_eq!(tags, case.vlan.unwrap_or(""), "{at}: VLAN ids");
            if !f[5].is_empty() {
                if f[8] == "True" || f[8] == "1" {
                    responses += 1;
                } else {
                    queries.push((f[5].clone(), f[6].clone(), f[7].clone()));
                }
            }
        }
        let Some((names, qtype, id)) = &case.dns else {
            assert_eq!(
                tcpdump_lines(&path),
                frames.len(),
                "{}: tcpdump count",
                case.name
            );
            continue;
        };
        assert!(!queries.is_empty(), "{}: no DNS query dissected", case.name);
        for (i, (name, ty, qid)) in queries.iter().enumerate() {
            assert_eq!(
                name,
                names[i % names.len()],
                "{} query {i}: name",
                case.name
            );
            assert_eq!(ty, &qtype.to_string(), "{} query {i}: type", case.name);
            if let Some(id) = id {
                assert_eq!(qid, &format!("0x{id:04x}"), "{} query {i}: id", case.name);
            }
        }
        let expected_responses = if case.responses { queries.len() } else { 0 };
        assert_eq!(responses, expected_responses, "{}: responses", case.name);
        assert_eq!(
            tcpdump_lines(&path),
            frames.len(),
            "{}: tcpdump count",
            case.name
        );
    }
}

#[test]
fn dns_answers_are_dissected_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = gen(
        dir.path(),
        "answers.pcap",
        &[
            "dns",
            "host.example.net",
            "--answer",
            "192.0.2.9",
            "--answer",
            "2001:db8::9",
            "--tcp",
        ],
    );
    let out = tshark(
        &path,
        &[
            "-Y",
            "dns.flags.response == 1",
            "-T",
            "fields",
            "-e",
            "dns.a",
            "-e",
            "dns.aaaa",
        ],
    );
    assert_eq!(out.trim(), "192.0.2.9\t2001:db8::9");
    let nx = gen(
        dir.path(),
        "nx.pcap",
        &["dns", "gone.example.net", "--rcode", "nxdomain"],
    );
    let out = tshark(
        &nx,
        &[
            "-Y",
            "dns.flags.response == 1",
            "-T",
            "fields",
            "-e",
            "dns.flags.rcode",
            "-e",
            "dns.soa.mname",
        ],
    );
    assert_eq!(out.trim(), "3\tns1.example.net");
}

#[test]
fn syn_sources_walk_70000_addresses_across_octets() {
    let dir = tempfile::tempdir().unwrap();
    let path = gen(dir.path(), "syn70k.pcap", &["syn", "--count", "70000"]);
    let out = tshark(&path, &["-T", "fields", "-e", "ip.src"]);
    let sources: Vec<&str> = out.lines().collect();
    assert_eq!(sources.len(), 70000);
    let base = u32::from(std::net::Ipv4Addr::new(192, 168, 0, 1));
    for (i, s) in sources.iter().enumerate() {
        let expected = std::net::Ipv4Addr::from(base + i as u32).to_string();
        assert_eq!(*s, expected, "packet {}", i + 1);
    }
    assert_eq!(sources[69999], "192.169.17.112");
}

#[test]
fn ranges_wrap_and_random_sources_stay_inside() {
    let dir = tempfile::tempdir().unwrap();
    let path = gen(
        dir.path(),
        "wrap.pcap",
        &[
            "syn",
            "--count",
            "7",
            "--src",
            "10.0.0.254-10.0.1.1",
            "--dport",
            "8000-8001",
        ],
    );
    let out = tshark(
        &path,
        &["-T", "fields", "-e", "ip.src", "-e", "tcp.dstport"],
    );
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(
        rows,
        [
            "10.0.0.254\t8000",
            "10.0.0.255\t8001",
            "10.0.1.0\t8000",
            "10.0.1.1\t8001",
            "10.0.0.254\t8000",
            "10.0.0.255\t8001",
            "10.0.1.0\t8000"
        ]
    );
    let path = gen(
        dir.path(),
        "rand.pcap",
        &[
            "udp",
            "--count",
            "200",
            "--src",
            "172.16.5.0/30",
            "--random-src",
        ],
    );
    let out = tshark(&path, &["-T", "fields", "-e", "ip.src"]);
    let seen: std::collections::BTreeSet<&str> = out.lines().collect();
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["172.16.5.1", "172.16.5.2"]
    );
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "dns",
        "example.com",
        "--tcp",
        "--responses",
        "--answer",
        "192.0.2.1",
        "--count",
        "5",
    ];
    let a = std::fs::read(gen(dir.path(), "a.pcap", &args)).unwrap();
    let b = std::fs::read(gen(dir.path(), "b.pcap", &args)).unwrap();
    assert_eq!(a, b);
    let c = dir.path().join("c.pcap");
    let mut other: Vec<&str> = vec!["gen"];
    other.extend_from_slice(&args);
    other.extend_from_slice(&["--seed", "43", "--start", START, "-o", c.to_str().unwrap()]);
    assert!(run(&other).status.success());
    assert_ne!(a, std::fs::read(c).unwrap());
}

#[test]
fn timestamps_follow_start_and_rate_in_nanoseconds() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["pcap", "pcapng"] {
        let path = dir.path().join(format!("ts.{format}"));
        let out = run(&[
            "gen",
            "udp",
            "--count",
            "3",
            "--nanos",
            "--format",
            format,
            "--start",
            "1700000000.123456789",
            "--interval",
            "1500ns",
            "-o",
            path.to_str().unwrap(),
        ]);
        assert!(out.status.success());
        let times = tshark(&path, &["-T", "fields", "-e", "frame.time_epoch"]);
        assert_eq!(
            times.lines().collect::<Vec<_>>(),
            [
                "1700000000.123456789",
                "1700000000.123458289",
                "1700000000.123459789"
            ],
            "{format}"
        );
    }
    let path = dir.path().join("rate.pcap");
    let out = run(&[
        "gen",
        "syn",
        "--count",
        "3",
        "--rate",
        "4",
        "--start",
        "2024-01-01T00:00:00Z",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let times = tshark(&path, &["-T", "fields", "-e", "frame.time_epoch"]);
    assert_eq!(
        times.lines().collect::<Vec<_>>(),
        [
            "1704067200.000000000",
            "1704067200.250000000",
            "1704067200.500000000"
        ]
    );
}

#[test]
fn writes_to_standard_output_for_tcpdump() {
    require_tool("tcpdump");
    let mut gen = pcaptool()
        .args(["gen", "syn", "--count", "10", "-o", "-"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = Command::new("tcpdump")
        .args(["-nr", "-"])
        .stdin(gen.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(gen.wait().unwrap().success());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 10);
}

#[test]
fn bad_arguments_exit_2_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.pcap");
    let o = out_path.to_str().unwrap();
    let long_label = "a".repeat(64);
    let long_name = vec!["a".repeat(63); 4].join(".");
    let bad: Vec<Vec<&str>> = vec![
        vec!["gen", "syn", "--src", "10.0.0.300", "-o", o],
        vec!["gen", "syn", "--src", "10.0.0.9-10.0.0.1", "-o", o],
        vec!["gen", "syn", "--src", "10.0.0.0/40", "-o", o],
        vec!["gen", "syn", "--src", "10.0.0.1", "--dst", "::1", "-o", o],
        vec!["gen", "syn", "--count", "0", "-o", o],
        vec!["gen", "syn", "--dport", "70000", "-o", o],
        vec!["gen", "syn", "--vlan", "5000", "-o", o],
        vec![
            "gen", "syn", "--vlan", "1", "--vlan", "2", "--vlan", "3", "-o", o,
        ],
        vec!["gen", "syn", "--src-mac", "zz:00:00:00:00:00", "-o", o],
        vec!["gen", "syn", "--rate", "0", "-o", o],
        vec!["gen", "dns", &long_label, "-o", o],
        vec!["gen", "dns", &long_name, "-o", o],
        vec!["gen", "dns", "example.com", "-t", "BOGUS", "-o", o],
        vec!["gen", "dns", "-o", o],
        vec!["gen", "udp", "--payload", "x", "--size", "3", "-o", o],
    ];
    for args in bad {
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.trim().is_empty(),
            "{args:?}: {stderr}"
        );
        assert!(!out_path.exists(), "{args:?} left {o} behind");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{args:?} left a file"
        );
    }
    // A names file with one bad line names the file and line.
    let names = dir.path().join("names.txt");
    std::fs::write(&names, format!("ok.example\n{long_label}.example\n")).unwrap();
    let out = run(&[
        "gen",
        "dns",
        "--names-file",
        names.to_str().unwrap(),
        "-o",
        o,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("names.txt:2"));
    assert!(!out_path.exists());
}

#[test]
fn help_explains_with_examples_and_completions_exist() {
    for args in [
        &["--help"][..],
        &["gen", "--help"],
        &["gen", "syn", "--help"],
        &["gen", "dns", "--help"],
        &["info", "--help"],
    ] {
        let out = run(args);
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Example"),
            "{args:?} --help shows no example:\n{text}"
        );
    }
    let out = run(&["completions", "bash"]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("pcaptool"));
    let out = run(&["man"]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains(".TH pcaptool"));
}
