//! Hostile input, the way Wireshark's own fuzzing does it: real captures corrupted
//! with `editcap -E` and cut at random offsets, fed to every subcommand that reads
//! captures. Nothing may panic or hang; every record before the damage is kept.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use pcaptool::rng::Rng;

/// Every subcommand that reads a capture, as an argument list for `file` (outputs go
/// under `scratch`).
fn readers(file: &Path, scratch: &Path) -> Vec<Vec<String>> {
    let f = file.to_str().unwrap().to_string();
    let out = scratch.join("split").to_str().unwrap().to_string();
    vec![
        vec!["info".into(), f.clone()],
        vec!["dns".into(), "-q".into(), f.clone()],
        vec![
            "dns".into(),
            "-q".into(),
            "--format".into(),
            "json".into(),
            f.clone(),
        ],
        vec!["dns".into(), "-q".into(), "--stats".into(), f.clone()],
        // Every layer of every frame holding DNS, down to the link layer.
        vec!["dns".into(), "-q".into(), "-V".into(), f.clone()],
        vec![
            "split".into(),
            f,
            "-o".into(),
            out,
            "--force".into(),
            "--quiet".into(),
        ],
    ]
}

fn run_with_deadline(args: &[String], limit: Duration) -> std::process::Output {
    use std::io::Read;
    let mut child = pcaptool()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drained as the child writes: a full pipe would stall it like a hang.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return std::process::Output {
                status,
                stdout: stdout.join().unwrap(),
                stderr: stderr.join().unwrap(),
            };
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("pcaptool {args:?} hung for more than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A spread of formats (pcap LE/BE/ns, pcapng multi-interface, gzip, snoop, SLL2) and
/// of DNS (TCP, fragments, mDNS, DNSSEC, hostile messages).
const SAMPLES: &[&str] = &[
    "dns_over_tcp.pcapng",
    "v4_frag_order_udp.pcap",
    "dnssec.pcap",
    "dns_fwdptr.pcap",
    "DnsPackets.pcap",
    "skype-irc.cap",
    "nanosecs_big_endian.pcap",
    "many_interfaces.pcapng.1",
    "netperfmeter.pcapng.gz",
    "solaris.snoop",
    "dnscap-sll2.pcap",
    "pcapng-tg-be-test006.pcapng",
    "wireshark_samples-test.pcapng",
    "modified-format.pcap",
];

#[test]
fn corrupted_captures_never_panic() {
    require_tool("editcap");
    let dir = tempfile::tempdir().unwrap();
    let mut runs = 0;
    for (i, name) in SAMPLES.iter().enumerate() {
        let src = corpus_dir().join(name);
        for seed in 0..3 {
            let out = dir.path().join(format!("{i}-{seed}.pcapng"));
            let status = Command::new("editcap")
                .args(["-E", "0.05", "--seed", &seed.to_string()])
                .arg(&src)
                .arg(&out)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "editcap failed on {name}");
            for args in readers(&out, dir.path()) {
                let result = run_with_deadline(&args, Duration::from_secs(20));
                assert_no_panic(&result, &format!("{name} corrupted with seed {seed}"));
                runs += 1;
            }
        }
    }
    assert!(runs >= 30);
}

#[test]
fn captures_cut_anywhere_keep_every_complete_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(2024);
    for name in SAMPLES {
        let bytes = std::fs::read(corpus_dir().join(name)).unwrap();
        let whole = run(&["info", corpus_dir().join(name).to_str().unwrap()]);
        let total = info_packets(&whole.stdout).unwrap();
        let mut last_count = 0;
        let mut cuts: Vec<usize> = (0..8)
            .map(|_| rng.below(bytes.len() as u128) as usize)
            .collect();
        cuts.sort_unstable();
        for cut in cuts {
            let path = dir.path().join("cut");
            std::fs::write(&path, &bytes[..cut]).unwrap();
            for args in readers(&path, dir.path()) {
                let out = run_with_deadline(&args, Duration::from_secs(20));
                assert_no_panic(&out, &format!("{name} cut at {cut}"));
                let stderr = String::from_utf8_lossy(&out.stderr);
                if args[0] != "info" {
                    assert!(
                        matches!(out.status.code(), Some(0 | 2)),
                        "{name} cut at {cut}: {stderr}"
                    );
                } else if out.status.success() {
                    let n = info_packets(&out.stdout).unwrap();
                    // Longer prefixes never hold fewer records.
                    assert!(
                        n >= last_count && n <= total,
                        "{name} cut at {cut}: {n} records"
                    );
                    last_count = n;
                } else {
                    // Only a cut inside the file header may fail, and it says where.
                    assert_eq!(out.status.code(), Some(2), "{name} cut at {cut}: {stderr}");
                    assert!(stderr.contains("offset"), "{name} cut at {cut}: {stderr}");
                }
            }
        }
    }
}

#[test]
fn reader_survives_random_bytes_in_process() {
    // Fast and wide: 20,000 random mutations of real captures straight into the reader.
    let mut rng = Rng::new(7);
    for name in SAMPLES {
        let original = std::fs::read(corpus_dir().join(name)).unwrap();
        if original.starts_with(&[0x1f, 0x8b]) {
            continue;
        }
        for _ in 0..2000 {
            let mut bytes = original.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(bytes.len() as u128) as usize;
                bytes[at] = rng.next_u32() as u8;
            }
            let cut = rng.below(bytes.len() as u128 + 1) as usize;
            bytes.truncate(cut);
            if let Ok(mut r) =
                pcaptool::capture::CaptureReader::new(Box::new(std::io::Cursor::new(bytes)))
            {
                while let Ok(Some(rec)) = r.next_record() {
                    let _ = pcaptool::link::network(rec.link_type, rec.data);
                }
            }
        }
    }
}
