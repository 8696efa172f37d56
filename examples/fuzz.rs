//! A mutation fuzzer for the DNS decoders and the TCP reassembler, on stable Rust.
//!
//! It takes every DNS message found in the capture corpus (or built by the encoder),
//! mutates it (bit flips, byte changes, truncation, splices, pointer insertion), and
//! feeds the result to the strict decoder, the Wireshark-style Info renderer, the
//! JSON record renderer, and, cut into random segments in random order, to the TCP
//! reassembler. Any panic aborts with the seed and the input that caused it.
//!
//!   cargo run --release --example fuzz -- [SECONDS] [SEED]      (defaults: 60, clock)

use std::time::{Duration, Instant};

use pcaptool::capture::Timestamp;
use pcaptool::dns::view::{info, json_rdata as rdata};
use pcaptool::dns::wire;
use pcaptool::reassembly::tcp::{Direction, Segment, TcpReassembler};
use pcaptool::rng::Rng;

fn corpus_messages() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures");
    let mut messages = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let Ok(mut reader) = pcaptool::capture::open(&entry.path()) else {
                continue;
            };
            let mut extractor = pcaptool::dns::analysis::find::Extractor::new(&[], true);
            let mut frame = 0;
            while let Ok(Some(r)) = reader.next_record() {
                frame += 1;
                extractor.frame(frame, r.ts, r.link_type, r.data, &mut |_, m| {
                    messages.push(m.to_vec())
                });
            }
        }
    }
    if messages.is_empty() {
        let q = pcaptool::dns::Message::query(1, "www.example.com".parse().unwrap(), 1);
        messages.push(q.encode());
    }
    messages
}

fn mutate(rng: &mut Rng, seed_input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut m = seed_input.to_vec();
    for _ in 0..1 + rng.below(6) {
        if m.is_empty() {
            m.push(0);
        }
        let at = rng.below(m.len() as u128) as usize;
        match rng.below(7) {
            0 => m[at] ^= 1 << rng.below(8),
            1 => m[at] = rng.next_u32() as u8,
            2 => m.truncate(at),
            3 => {
                // A compression pointer anywhere, to anywhere.
                let target = rng.below(m.len() as u128 + 8) as u16;
                let p = (0xc000 | target).to_be_bytes();
                m.splice(at..at, p);
            }
            4 => {
                let other = &others[rng.below(others.len() as u128) as usize];
                let from = rng.below(other.len() as u128 + 1) as usize;
                m.splice(at..at, other[from..].iter().copied().take(64));
            }
            5 => m[at] = [0x00, 0x3f, 0x40, 0x41, 0x80, 0xc0, 0xff][rng.below(7) as usize],
            _ => {
                // Counts in the header.
                if m.len() >= 12 {
                    let field = 4 + 2 * rng.below(4) as usize;
                    m[field..field + 2].copy_from_slice(&(rng.next_u32() as u16).to_be_bytes());
                }
            }
        }
    }
    m
}

fn exercise(msg: &[u8], rng: &mut Rng) {
    let mut text = Vec::new();
    info::write_info(
        msg,
        msg.len() + rng.below(3) as usize,
        rng.below(2) == 1,
        &mut text,
    );
    if let Ok(m) = wire::Message::parse(msg) {
        let mut json = String::new();
        for (_, r) in m.records() {
            rdata::write_json(msg, r, &mut json);
        }
        for q in &m.questions {
            q.name.to_string(msg);
        }
        let _ = m.rcode();
    }
}

fn exercise_tcp(messages: &[Vec<u8>], rng: &mut Rng) {
    let mut stream = Vec::new();
    for m in messages {
        stream.extend_from_slice(&(m.len() as u16).to_be_bytes());
        stream.extend_from_slice(m);
    }
    let mut segments = Vec::new();
    let mut at = 0;
    while at < stream.len() {
        let len = (1 + rng.below(1500) as usize).min(stream.len() - at);
        segments.push((at, len));
        at += len;
    }
    // Shuffle a little, drop some, repeat some.
    for i in 0..segments.len() {
        if rng.below(4) == 0 {
            let j = rng.below(segments.len() as u128) as usize;
            segments.swap(i, j);
        }
    }
    let mut r = TcpReassembler::new();
    let dir = Direction {
        src: "10.0.0.1".parse().unwrap(),
        sport: 1,
        dst: "10.0.0.2".parse().unwrap(),
        dport: 53,
    };
    let isn = rng.next_u32();
    let syn = rng.below(2) == 0;
    if syn {
        r.push(Timestamp::default(), dir, Segment::syn(isn), |_| {}, |_| {});
    }
    for (at, len) in segments {
        if rng.below(10) == 0 {
            continue;
        }
        let seq = isn.wrapping_add(1).wrapping_add(at as u32);
        r.push(
            Timestamp::default(),
            dir,
            Segment {
                seq,
                syn: false,
                fin: false,
                rst: false,
                payload: &stream[at..at + len],
            },
            |m| exercise(m, &mut Rng::new(1)),
            |_| {},
        );
    }
    r.finish(|_, m| exercise(m, &mut Rng::new(2)), |_, _| {});
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("replay") {
        // Replays one saved input: cargo run --example fuzz -- replay FILE
        let input = std::fs::read(args.nth(1).expect("replay FILE")).expect("readable input");
        let t = Instant::now();
        let mut text = Vec::new();
        info::write_info(&input, input.len(), false, &mut text);
        eprintln!("info: {:?} ({} bytes of text)", t.elapsed(), text.len());
        let t = Instant::now();
        let parsed = wire::Message::parse(&input);
        eprintln!("parse: {:?}", t.elapsed());
        let t = Instant::now();
        exercise(&input, &mut Rng::new(0));
        eprintln!("exercise: {:?} {:?}", t.elapsed(), parsed.map(|m| m.error));
        return;
    }
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Rng::from_entropy().next_u64());
    let corpus = corpus_messages();
    eprintln!(
        "fuzz: {} seed messages, seed {seed}, {seconds} s",
        corpus.len()
    );
    let mut rng = Rng::new(seed);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    while Instant::now() < deadline {
        let t0 = Instant::now();
        for _ in 0..1000 {
            let base = &corpus[rng.below(corpus.len() as u128) as usize];
            let input = mutate(&mut rng, base, &corpus);
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| exercise(&input, &mut Rng::new(runs)));
            if started.elapsed() > Duration::from_millis(100) {
                let dump = std::env::temp_dir().join("pcaptool-fuzz-slow.bin");
                let _ = std::fs::write(&dump, &input);
                eprintln!(
                    "fuzz: slow input ({:?}, {} bytes, saved in {}) (seed {seed}, run {runs})",
                    started.elapsed(),
                    input.len(),
                    dump.display()
                );
                std::process::exit(1);
            }
            if outcome.is_err() {
                let dump = std::env::temp_dir().join("pcaptool-fuzz-panic.bin");
                let _ = std::fs::write(&dump, &input);
                eprintln!(
                    "fuzz: panic on an input of {} bytes, saved in {} (seed {seed}, run {runs})",
                    input.len(),
                    dump.display()
                );
                std::process::exit(1);
            }
            runs += 1;
        }
        if std::env::var_os("FUZZ_TIMING").is_some() {
            eprintln!("1000 inputs: {:?}", t0.elapsed());
        }
        let t1 = Instant::now();
        let batch: Vec<Vec<u8>> = (0..1 + rng.below(8))
            .map(|_| {
                let base = rng.below(corpus.len() as u128) as usize;
                mutate(&mut rng, &corpus[base], &corpus)
            })
            .collect();
        let mut tcp_rng = rng.clone();
        if std::panic::catch_unwind(move || exercise_tcp(&batch, &mut tcp_rng)).is_err() {
            eprintln!("fuzz: panic in TCP reassembly (seed {seed}, run {runs})");
            std::process::exit(1);
        }
        if std::env::var_os("FUZZ_TIMING").is_some() {
            eprintln!("tcp: {:?}", t1.elapsed());
        }
        rng.next_u64();
    }
    println!("fuzz: {runs} inputs, no panic");
}
#[allow(dead_code)]
fn timing_probe() {}
