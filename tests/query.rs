//! `pcaptool query` against a real DNS server from Debian (nsd, serving the zone in
//! tests/zones on 127.0.0.1 and ::1 at a free port), and against a misbehaving
//! responder written here. Nothing leaves the loopback interface.

mod common;

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// nsd running for the duration of a test, killed on drop.
struct Nsd {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Nsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    // A port free for both UDP and TCP on both loopback addresses, at the time of asking.
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok()
            && UdpSocket::bind(("::1", port)).is_ok()
            && TcpListener::bind(("::1", port)).is_ok()
        {
            return port;
        }
    }
}

/// nsd from PATH, or where Debian puts it (/usr/sbin is not always on PATH).
fn nsd_binary() -> String {
    if Path::new("/usr/sbin/nsd").exists() {
        return "/usr/sbin/nsd".into();
    }
    require_tool("nsd");
    "nsd".into()
}

fn start_nsd() -> Nsd {
    let nsd_path = nsd_binary();
    let dir = tempfile::tempdir().unwrap();
    let zone = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/zones/example.test.zone");
    let port = free_port();
    let d = dir.path().display();
    let conf = format!(
        "server:\n  ip-address: 127.0.0.1@{port}\n  ip-address: ::1@{port}\n  username: \"\"\n  database: \"\"\n  chroot: \"\"\n  pidfile: \"{d}/nsd.pid\"\n  logfile: \"{d}/nsd.log\"\n  xfrdfile: \"{d}/xfrd.state\"\n  zonelistfile: \"{d}/zone.list\"\n  server-count: 1\nremote-control:\n  control-enable: no\nzone:\n  name: example.test\n  zonefile: \"{}\"\n",
        zone.display()
    );
    let conf_path = dir.path().join("nsd.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let child = Command::new(&nsd_path)
        .arg("-d")
        .arg("-c")
        .arg(&conf_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start nsd");
    let nsd = Nsd {
        child,
        port,
        _dir: dir,
    };
    // Ready when it answers over TCP on both addresses.
    let started = Instant::now();
    while ["127.0.0.1", "::1"]
        .iter()
        .any(|a| std::net::TcpStream::connect((*a, port)).is_err())
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nsd did not start: {}",
            std::fs::read_to_string(nsd._dir.path().join("nsd.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    nsd
}

fn query(args: &[&str]) -> (Option<i32>, String, String) {
    let mut full = vec!["query"];
    full.extend_from_slice(args);
    let out = run(&full);
    assert_no_panic(&out, &format!("{full:?}"));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The data of every answer record in dig-style output, for one type.
fn answers(dig: &str, rtype: &str) -> Vec<String> {
    let mut in_answer = false;
    let mut found = Vec::new();
    for line in dig.lines() {
        if line.starts_with(";; ") {
            in_answer = line == ";; ANSWER SECTION:";
            continue;
        }
        if in_answer && !line.is_empty() {
            let cols: Vec<&str> = line.splitn(5, '\t').collect();
            if cols.len() == 5 && cols[3] == rtype {
                found.push(cols[4].to_string());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn answers_from_a_real_server_match_the_zone() {
    let nsd = start_nsd();
    let v4 = format!("@127.0.0.1:{}", nsd.port);
    let v6 = format!("@[::1]:{}", nsd.port);
    // Expected values are those typed in tests/zones/example.test.zone.
    let cases: [(&str, &str, &[&str]); 10] = [
        ("www.example.test", "A", &["192.0.2.10"]),
        ("www.example.test", "AAAA", &["2001:db8::10"]),
        ("example.test", "MX", &["10 mail.example.test."]),
        (
            "txt.example.test",
            "TXT",
            &["\"first string\" \"second string\" \"third; with spaces\""],
        ),
        (
            "_sip._udp.example.test",
            "SRV",
            &["10 60 5060 sip.example.test."],
        ),
        ("example.test", "CAA", &["0 issue \"ca.example.net\""]),
        ("svc.example.test", "SVCB", &["1 . alpn=h2,h3 port=8443"]),
        ("example.test", "HTTPS", &["1 . alpn=h2"]),
        ("alias.example.test", "CNAME", &["www.example.test."]),
        (
            "example.test",
            "SOA",
            &["ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300"],
        ),
    ];
    for server in [&v4, &v6] {
        for (name, rtype, want) in cases {
            let (code, out, err) = query(&[name, rtype, server]);
            assert_eq!(code, Some(0), "{name} {rtype} {server}: {err}\n{out}");
            assert!(
                out.contains("status: NOERROR") && out.contains("flags: qr aa rd"),
                "{out}"
            );
            assert_eq!(
                answers(&out, rtype),
                want,
                "{name} {rtype} via {server}:\n{out}"
            );
        }
    }
    // Over TCP from the start, and TYPE before NAME as dig allows.
    let (code, out, _) = query(&["AAAA", "www.example.test", &v6, "--tcp"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("(TCP)"), "{out}");
    assert_eq!(answers(&out, "AAAA"), ["2001:db8::10"]);
}

#[test]
fn a_large_rrset_comes_back_whole_through_tc_and_tcp() {
    let nsd = start_nsd();
    let server = format!("@127.0.0.1:{}", nsd.port);
    let (code, out, err) = query(&["big.example.test", &server]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(answers(&out, "A").len(), 120, "{out}");
    assert!(
        out.contains("(TCP)") && !out.contains("flags: qr aa tc"),
        "{out}"
    );
    // Without the fallback: the truncated UDP answer, TC set.
    let (code, out, _) = query(&["big.example.test", &server, "--no-tcp-fallback"]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("flags: qr aa tc rd") && out.contains("(UDP)"),
        "{out}"
    );
    assert!(answers(&out, "A").len() < 120);
    // A plain RFC 1035 query is cut at 512 bytes, then completed over TCP.
    let (_, out, _) = query(&["big.example.test", &server, "--no-edns"]);
    assert_eq!(answers(&out, "A").len(), 120);
    assert!(!out.contains("OPT PSEUDOSECTION"));
}

#[test]
fn error_rcodes_are_printed_with_their_own_exit_status() {
    let nsd = start_nsd();
    let server = format!("@127.0.0.1:{}", nsd.port);
    let (code, out, err) = query(&["missing.example.test", &server]);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        out.contains("status: NXDOMAIN") && err.contains("NXDOMAIN"),
        "{out}{err}"
    );
    assert!(
        out.contains(";; AUTHORITY SECTION:\nexample.test.\t300\tIN\tSOA\tns1.example.test."),
        "{out}"
    );
    let (code, out, _) = query(&["example.org", &server, "--format", "text"]);
    assert_eq!(code, Some(3));
    assert!(
        out.starts_with("Standard query response") && out.contains("Refused"),
        "{out}"
    );
    let (code, _, err) = query(&["bad..name", &server]);
    assert_eq!(code, Some(2), "{err}");
    let (code, _, err) = query(&["example.test", "NOTATYPE", &server]);
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn recorded_exchanges_pass_tshark_and_read_back_the_same() {
    let nsd = start_nsd();
    let dir = tempfile::tempdir().unwrap();
    let port = nsd.port.to_string();
    for (name, extra, transport) in [
        ("www.example.test", &[][..], "UDP"),
        ("big.example.test", &[][..], "TCP"),
        (
            "txt.example.test",
            &["--tcp", "-", "--do", "--nsid", "--cookie"][..],
            "TCP",
        ),
    ] {
        let pcap = dir.path().join(format!("{name}.pcap"));
        let server = format!("@[::1]:{port}");
        let mut args = vec![
            name,
            server.as_str(),
            "--pcap",
            pcap.to_str().unwrap(),
            "--format",
            "text",
        ];
        args.extend(extra.iter().filter(|a| **a != "-"));
        let (code, out, err) = query(&args);
        assert_eq!(code, Some(0), "{err}");
        // tshark: every checksum good, nothing malformed, the DNS decoded (on our port).
        let decode_as = [
            format!("udp.port=={port},dns"),
            format!("tcp.port=={port},dns"),
        ];
        let fields = tshark(
            &pcap,
            &[
                "-d",
                &decode_as[0],
                "-d",
                &decode_as[1],
                "-T",
                "fields",
                "-E",
                "separator=|",
                "-e",
                "tcp.checksum.status",
                "-e",
                "udp.checksum.status",
                "-e",
                "_ws.malformed",
                "-e",
                "dns.flags.response",
            ],
        );
        let mut responses = 0;
        for line in fields.lines() {
            let f: Vec<&str> = line.split('|').collect();
            assert!(
                f[0] == "1" || f[1] == "1",
                "{name}: checksum not good: {line}"
            );
            assert_eq!(f[2], "", "{name}: malformed: {line}");
            if f[3].split(',').any(|r| r == "True" || r == "1") {
                responses += 1;
            }
        }
        assert!(
            responses >= 1,
            "{name}: tshark finds no response in {fields}"
        );
        // pcaptool dns reads back the answer the client printed, last message last.
        let read_back = run(&["dns", "--port", &port, pcap.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&read_back.stdout);
        let last = text.lines().last().unwrap_or_default();
        assert!(
            last.ends_with(out.trim_end()),
            "{name} ({transport}): dns shows {last:?}, query printed {out:?}"
        );
        assert!(
            last.contains(&format!(" DNS {}", out.split(' ').next().unwrap())),
            "{last}"
        );
    }
}

#[test]
fn batches_pipeline_over_one_tcp_connection() {
    let nsd = start_nsd();
    let dir = tempfile::tempdir().unwrap();
    let names = dir.path().join("names.txt");
    std::fs::write(
        &names,
        "www.example.test\nwww.example.test AAAA\n# a comment\nexample.test MX\n",
    )
    .unwrap();
    let pcap = dir.path().join("batch.pcap");
    let server = format!("@127.0.0.1:{}", nsd.port);
    let (code, out, err) = query(&[
        "--batch",
        names.to_str().unwrap(),
        &server,
        "--tcp",
        "--format",
        "text",
        "--pcap",
        pcap.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].contains("A www.example.test A 192.0.2.10"),
        "{out}"
    );
    assert!(
        lines[1].contains("AAAA www.example.test AAAA 2001:db8::10"),
        "{out}"
    );
    assert!(
        lines[2].contains("MX example.test MX 10 mail.example.test"),
        "{out}"
    );
    // One connection: one SYN.
    let syns = tshark(&pcap, &["-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0"])
        .lines()
        .count();
    assert_eq!(syns, 1);
}

/// What the misbehaving responder does with each query it receives.
#[derive(Clone, Copy)]
enum Misbehave {
    WrongIdThenRight,
    WrongQuestionThenRight,
    FromAnotherPortThenRight,
    FromAnotherPortOnly,
    Malformed,
    Silent,
}

/// A UDP responder on 127.0.0.1 that misbehaves as told; returns its address and a
/// handle yielding how many queries it saw.
fn responder(how: Misbehave, queries: usize) -> (SocketAddr, std::thread::JoinHandle<usize>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let other = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let handle = std::thread::spawn(move || {
        let mut seen = 0;
        let mut buf = [0u8; 2048];
        while seen < queries {
            let Ok((n, client)) = socket.recv_from(&mut buf) else {
                break;
            };
            seen += 1;
            let q = &buf[..n];
            // A proper answer: the query echoed as a response with one A record.
            let mut good = q.to_vec();
            good[2] |= 0x80;
            good[7] = 1; // ANCOUNT 1
            good.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 99]);
            let mut wrong_id = good.clone();
            wrong_id[0] ^= 0xff;
            let mut wrong_question = good.clone();
            wrong_question[13] ^= 0x01; // another letter (not just another case)
            let mut malformed = good[..12].to_vec();
            malformed.extend_from_slice(&[0x3f, b'x']);
            match how {
                Misbehave::WrongIdThenRight => {
                    socket.send_to(&wrong_id, client).unwrap();
                    socket.send_to(&good, client).unwrap();
                }
                Misbehave::WrongQuestionThenRight => {
                    socket.send_to(&wrong_question, client).unwrap();
                    socket.send_to(&good, client).unwrap();
                }
                Misbehave::FromAnotherPortThenRight => {
                    other.send_to(&good, client).unwrap();
                    std::thread::sleep(Duration::from_millis(50));
                    socket.send_to(&good, client).unwrap();
                }
                Misbehave::FromAnotherPortOnly => {
                    other.send_to(&good, client).unwrap();
                }
                Misbehave::Malformed => {
                    socket.send_to(&malformed, client).unwrap();
                }
                Misbehave::Silent => {}
            }
        }
        seen
    });
    (addr, handle)
}

#[test]
fn a_misbehaving_responder_is_caught() {
    let ask = |addr: SocketAddr, extra: &[&str]| {
        let server = format!("@{addr}");
        let mut args = vec![
            "www.example.test",
            server.as_str(),
            "--timeout",
            "300ms",
            "--retries",
            "1",
        ];
        args.extend_from_slice(extra);
        query(&args)
    };
    // A reply with another ID is ignored (and counted); the right one is taken.
    let (addr, h) = responder(Misbehave::WrongIdThenRight, 1);
    let (code, out, err) = ask(addr, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("192.0.2.99") && out.contains(";; IGNORED: 1 replies"),
        "{out}"
    );
    h.join().unwrap();
    // So is one for another question.
    let (addr, h) = responder(Misbehave::WrongQuestionThenRight, 1);
    let (code, out, _) = ask(addr, &[]);
    assert_eq!(code, Some(0));
    assert!(out.contains(";; IGNORED: 1 replies"), "{out}");
    h.join().unwrap();
    // A reply from another port never reaches us; the real one does.
    let (addr, h) = responder(Misbehave::FromAnotherPortThenRight, 1);
    let (code, out, _) = ask(addr, &[]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("192.0.2.99") && !out.contains("IGNORED"),
        "{out}"
    );
    h.join().unwrap();
    // Only a reply from another port: nothing accepted, the query is sent again, then
    // the timeout.
    let (addr, h) = responder(Misbehave::FromAnotherPortOnly, 2);
    let (code, _, err) = ask(addr, &[]);
    assert_eq!(code, Some(4), "{err}");
    assert_eq!(h.join().unwrap(), 2, "the query was not retried");
    // A malformed reply with the right ID: reported, with what and where.
    let (addr, h) = responder(Misbehave::Malformed, 1);
    let (code, _, err) = ask(addr, &[]);
    assert_eq!(code, Some(6), "{err}");
    assert!(
        err.contains("malformed reply") && err.contains("offset"),
        "{err}"
    );
    h.join().unwrap();
    // Silence: timeout after 1 + 1 tries.
    let (addr, h) = responder(Misbehave::Silent, 2);
    let started = Instant::now();
    let (code, _, err) = ask(addr, &[]);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("no answer after 2 tries"), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(550));
    assert_eq!(h.join().unwrap(), 2);
}

#[test]
fn refused_connections_are_their_own_failure() {
    // A port with nothing behind it, over UDP (ICMP port unreachable) and TCP (RST).
    let port = free_port().to_string();
    let server = format!("@127.0.0.1:{port}");
    let (code, _, err) = query(&["www.example.test", &server, "--timeout", "1s"]);
    assert_eq!(code, Some(5), "{err}");
    let (code, _, err) = query(&["www.example.test", &server, "--tcp"]);
    assert_eq!(code, Some(5), "{err}");
    assert!(err.contains("connection refused"), "{err}");
}

#[test]
fn the_tcp_timeout_is_a_deadline_that_incoming_data_does_not_extend() {
    // Two servers that never finish a reply: one trickles a byte every 300 ms, one
    // streams replies with the wrong ID. Each stops by itself after 15 s.
    for streaming_wrong_ids in [false, true] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            let mut query = [0u8; 512];
            let _ = conn.read(&mut query);
            let started = Instant::now();
            let mut wrong = vec![0, 12];
            wrong.extend_from_slice(&[query[2] ^ 0xff, query[3], 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            while started.elapsed() < Duration::from_secs(15) {
                let sent = if streaming_wrong_ids {
                    conn.write_all(&wrong)
                } else {
                    std::thread::sleep(Duration::from_millis(300));
                    conn.write_all(&[0])
                };
                if sent.is_err() {
                    return;
                }
            }
        });
        let target = format!("@{addr}");
        let started = Instant::now();
        let (code, _, err) = query(&[
            "www.example.test",
            &target,
            "--tcp",
            "--timeout",
            "1",
            "--retries",
            "0",
        ]);
        let took = started.elapsed();
        assert_eq!(code, Some(4), "{err}");
        assert!(err.contains("no answer over TCP within 1s"), "{err}");
        assert!(
            took < Duration::from_secs(8),
            "the deadline held: {took:?} (wrong ids: {streaming_wrong_ids})"
        );
        server.join().unwrap();
    }
}

#[test]
fn a_batch_prints_what_it_gets_and_names_what_it_does_not() {
    // A responder that answers every name but those with "silent" in them.
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let server = std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, client)) = socket.recv_from(&mut buf) {
            let q = &buf[..n];
            if q.windows(6).any(|w| w == b"silent") {
                continue;
            }
            let mut good = q.to_vec();
            good[2] |= 0x80;
            good[7] = 1;
            good.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 99]);
            let _ = socket.send_to(&good, client);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let names = dir.path().join("names.txt");
    std::fs::write(
        &names,
        "one.example\nsilent.example\ntwo.example\nthree.example AAAA\n",
    )
    .unwrap();
    let target = format!("@{addr}");
    let (code, out, err) = query(&[
        "--batch",
        names.to_str().unwrap(),
        &target,
        "--no-edns",
        "--timeout",
        "300ms",
        "--retries",
        "0",
        "--format",
        "text",
    ]);
    assert_eq!(code, Some(4), "the worst outcome, a timeout: {err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "every answer that came is printed: {out}");
    assert!(
        lines[0].contains("one.example")
            && lines[1].contains("two.example")
            && lines[2].contains("three.example"),
        "{out}"
    );
    assert!(
        err.contains("silent.example A: ") && err.contains("no answer"),
        "the failed name is said: {err}"
    );
    // Not a names file: one clear line, nothing read past it, memory never grows.
    let (code, _, err) = query(&["--batch", "/dev/zero", &target, "--timeout", "300ms"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("/dev/zero:1: a line longer than 4096 bytes"),
        "{err}"
    );
    drop(server);
}

/// SVCB and HTTPS data as kdig (Knot's rrset-dump.c) prints it: parameter keys by name,
/// `mandatory` as key names, `ech` in base64, unknown keys as `keyN="…"`, hints as lists.
#[test]
fn svcb_data_is_what_kdig_prints() {
    require_tool("kdig");
    let nsd = start_nsd();
    let server = format!("@127.0.0.1:{}", nsd.port);
    let cases = [
        ("svc.example.test", "SVCB"),
        ("example.test", "HTTPS"),
        ("svc2.example.test", "SVCB"),
        ("svc3.example.test", "HTTPS"),
        ("svc4.example.test", "SVCB"),
    ];
    for (name, rtype) in cases {
        let (code, out, err) = query(&[name, rtype, &server]);
        assert_eq!(code, Some(0), "{name} {rtype}: {err}");
        let kdig = Command::new("kdig")
            .args([
                "@127.0.0.1",
                "-p",
                &nsd.port.to_string(),
                "+short",
                name,
                rtype,
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(kdig.status.success(), "kdig {name} {rtype}");
        let mut theirs: Vec<String> = String::from_utf8_lossy(&kdig.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        theirs.sort();
        assert!(!theirs.is_empty(), "kdig found no {rtype} at {name}");
        assert_eq!(answers(&out, rtype), theirs, "{name} {rtype}:\n{out}");
    }
}

/// knotd serving the zones of tests/zones it signs itself, killed on drop.
struct Knot {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Knot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asks `kdig` at the test server: every record of the answer, authority and additional
/// sections, with DNSSEC records (`+dnssec`), as `(owner, type, data)`. Without `idn`,
/// names go out and come back as they are (`+noidn`); with it kdig converts them to
/// IDNA and shows them back in Unicode.
fn kdig_records(port: u16, name: &str, rtype: &str, idn: bool) -> Vec<(String, String, String)> {
    let out = Command::new("kdig")
        .args(["@127.0.0.1", "-p", &port.to_string()])
        .args((!idn).then_some("+noidn"))
        .args(["+dnssec", "+noall", "+answer", "+authority", "+additional"])
        .args([name, rtype])
        .stdin(Stdio::null())
        .output()
        .expect("cannot run kdig");
    assert!(out.status.success(), "kdig {name} {rtype}");
    // kdig pads the owner with spaces, then separates the fields with tabs.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with(';') && !l.is_empty())
        .map(|line| {
            let (owner, rest) = line.split_once(char::is_whitespace).unwrap();
            let fields: Vec<&str> = rest.trim_start().splitn(4, '\t').collect();
            assert_eq!(fields.len(), 4, "kdig line: {line}");
            // Knot ends URI and CAA data with a space; dig and pcaptool do not.
            let data = fields[3].trim_end().to_string();
            (owner.to_ascii_lowercase(), fields[2].to_string(), data)
        })
        .collect()
}

/// The same from `pcaptool query --do`'s dig-style sections.
fn our_records(port: u16, name: &str, rtype: &str) -> Vec<(String, String, String)> {
    let (code, out, err) = query(&[&format!("@127.0.0.1:{port}"), name, rtype, "--do"]);
    assert!(matches!(code, Some(0 | 3)), "{name} {rtype}: {err}\n{out}");
    let mut in_records = false;
    let mut found = Vec::new();
    for line in out.lines() {
        if line.starts_with(";; ") {
            in_records = [";; ANSWER", ";; AUTHORITY", ";; ADDITIONAL"]
                .iter()
                .any(|s| line.starts_with(s));
            continue;
        }
        if in_records && !line.is_empty() {
            let cols: Vec<&str> = line.splitn(5, '\t').collect();
            assert_eq!(cols.len(), 5, "our line: {line}");
            found.push((
                cols[0].to_ascii_lowercase(),
                cols[3].to_string(),
                cols[4].to_string(),
            ));
        }
    }
    found
}

fn start_knot() -> Knot {
    require_tool("kdig");
    let knotd = ["/usr/sbin/knotd", "knotd"]
        .into_iter()
        .find(|p| Command::new(p).arg("--version").output().is_ok())
        .expect("knotd (Debian package knot) is needed: .ci/run installs it");
    let dir = tempfile::tempdir().unwrap();
    let zones = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/zones");
    // knotd writes into its zone directory: it gets copies.
    for zone in ["types.test.zone", "nsec3.test.zone"] {
        std::fs::copy(zones.join(zone), dir.path().join(zone)).unwrap();
    }
    std::fs::create_dir(dir.path().join("db")).unwrap();
    let port = free_port();
    let d = dir.path().display();
    let conf = format!(
        "server:\n  listen: [127.0.0.1@{port}, ::1@{port}]\n  rundir: {d}\n\
         log:\n  - target: stderr\n    any: warning\n\
         database:\n  storage: {d}/db\n\
         policy:\n  - id: nsec\n    algorithm: ecdsap256sha256\n    cds-cdnskey-publish: always\n\
         \x20 - id: nsec3\n    algorithm: ecdsap256sha256\n    nsec3: on\n    nsec3-iterations: 0\n    nsec3-salt-length: 8\n\
         template:\n  - id: default\n    storage: {d}\n    file: \"%s.zone\"\n    zonefile-sync: -1\n    journal-content: all\n\
         zone:\n  - domain: types.test\n    dnssec-signing: on\n    dnssec-policy: nsec\n    zonemd-generate: zonemd-sha384\n\
         \x20 - domain: nsec3.test\n    dnssec-signing: on\n    dnssec-policy: nsec3\n"
    );
    let conf_path = dir.path().join("knot.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let log = std::fs::File::create(dir.path().join("knotd.log")).unwrap();
    let child = Command::new(knotd)
        .arg("-c")
        .arg(&conf_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("cannot start knotd");
    let knot = Knot { child, port, dir };
    // Ready when both zones are signed: ZONEMD and NSEC3PARAM are among the last records
    // knotd adds.
    let started = Instant::now();
    while kdig_records(port, "types.test", "ZONEMD", false).is_empty()
        || kdig_records(port, "nsec3.test", "NSEC3PARAM", false).is_empty()
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "knotd did not serve signed zones: {}",
            std::fs::read_to_string(knot.dir.path().join("knotd.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    knot
}

/// Record data of every type Knot writes in presentation format (tests/zones/types.test
/// holds one of each), and of a zone knotd signs with NSEC and another with NSEC3 (RRSIG,
/// NSEC, NSEC3, NSEC3PARAM, DNSKEY, CDS, CDNSKEY, ZONEMD), equal to kdig's for every
/// record of every section: Knot's `rrset-dump.c` is the reference.
#[test]
fn every_record_type_is_written_as_kdig_writes_it() {
    let knot = start_knot();
    let zones = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/zones");
    let mut questions: Vec<(String, String)> = Vec::new();
    for (file, origin) in [
        ("types.test.zone", "types.test."),
        ("nsec3.test.zone", "nsec3.test."),
    ] {
        for line in std::fs::read_to_string(zones.join(file)).unwrap().lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 3 || line.starts_with([';', '$']) {
                continue;
            }
            let owner = match fields[0] {
                "@" => origin.to_string(),
                label => format!("{label}.{origin}"),
            };
            let question = (owner, fields[1].to_string());
            if !questions.contains(&question) {
                questions.push(question);
            }
        }
        // What the signer adds at the apex, and a denial of existence (NSEC or NSEC3 and
        // their signatures in the authority section).
        for rtype in ["DNSKEY", "CDS", "CDNSKEY", "ZONEMD", "NSEC", "NSEC3PARAM"] {
            questions.push((origin.to_string(), rtype.to_string()));
        }
        questions.push((format!("nx.{origin}"), "A".to_string()));
    }
    let mut types_seen = std::collections::BTreeSet::new();
    let mut records = 0;
    let mut differences = Vec::new();
    for (name, rtype) in &questions {
        let mut theirs = kdig_records(knot.port, name, rtype, false);
        let mut ours = our_records(knot.port, name, rtype);
        theirs.sort();
        ours.sort();
        assert!(!theirs.is_empty(), "kdig found nothing for {name} {rtype}");
        records += theirs.len();
        types_seen.extend(theirs.iter().map(|r| r.1.clone()));
        if theirs != ours {
            differences.push(format!(
                "{name} {rtype}:\n  kdig:     {theirs:?}\n  pcaptool: {ours:?}"
            ));
        }
    }
    eprintln!(
        "{} questions, {records} records of {} types: {} differ",
        questions.len(),
        types_seen.len(),
        differences.len()
    );
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    for rtype in [
        "RRSIG",
        "NSEC",
        "NSEC3",
        "NSEC3PARAM",
        "DNSKEY",
        "CDS",
        "CDNSKEY",
        "ZONEMD",
        "LOC",
        "APL",
        "IPSECKEY",
        "CSYNC",
        "TYPE65280",
    ] {
        assert!(types_seen.contains(rtype), "no {rtype} record was compared");
    }
    assert!(types_seen.len() >= 50, "only {types_seen:?}");
}

/// Names with non-ASCII characters are asked in IDNA form as dig and kdig do, or as
/// their UTF-8 bytes with `--no-idn`.
#[test]
fn international_names_are_sent_as_idna_unless_told_not_to() {
    let knot = start_knot();
    let server = format!("@127.0.0.1:{}", knot.port);
    let (code, out, err) = query(&[&server, "Café.types.test"]);
    assert_eq!(code, Some(0), "{err}\n{out}");
    assert!(out.contains(";xn--caf-dma.types.test.\t"), "{out}");
    assert_eq!(answers(&out, "A"), ["192.0.2.233"]);
    // kdig converts the same way (Debian builds it with libidn2).
    let theirs = kdig_records(knot.port, "Café.types.test", "A", true);
    assert_eq!(
        theirs[0].0, "café.types.test.",
        "kdig shows the name back in Unicode"
    );
    assert_eq!(theirs[0].2, "192.0.2.233");
    // As given: the UTF-8 bytes, which the zone does not hold.
    let (code, out, _) = query(&[&server, "café.types.test", "--no-idn"]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("status: NXDOMAIN"), "{out}");
    assert!(out.contains(";caf\\195\\169.types.test.\t"), "{out}");
    // Not a valid international name: a usage error naming it.
    let (code, _, err) = query(&[&server, "a\u{200d}b.types.test"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("IDNA"), "{err}");
}
