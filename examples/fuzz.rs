//! A mutation fuzzer for the capture reader, the DNS decoders and the TCP reassembler,
//! on stable Rust.
//!
//! It takes every DNS message found in the capture corpus (or built by the encoder),
//! mutates it (bit flips, byte changes, truncation, splices, pointer insertion), and
//! feeds the result to the strict decoder, the Wireshark-style Info renderer, the
//! JSON record renderer, and, cut into random segments in random order, to the TCP
//! reassembler. Any panic aborts with the seed and the input that caused it.
//!
//! The capture reader gets the first 16 KiB of every corpus capture, mutated the same
//! way and with length and count fields set to values that break them; each record
//! it yields goes through the link layers and the DNS finder.
//!
//!   cargo run --release --example fuzz -- [all|dns|tcp|reader] [SECONDS] [SEED]
//!   (defaults: all, 60 s shared among the targets, a seed from the clock)

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
    let mut tree = Vec::new();
    pcaptool::dns::view::detail::dns_tree(
        msg,
        msg.len() + rng.below(3) as usize,
        pcaptool::dns::analysis::find::Protocol::Dns,
        rng.below(2) == 1,
        &mut tree,
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

/// The first bytes of every corpus capture: seeds for the capture reader.
fn corpus_captures() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures");
    let mut captures = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                if bytes.len() >= 24 {
                    captures.push(bytes[..bytes.len().min(16 << 10)].to_vec());
                }
            }
        }
    }
    captures
}

/// Reads a (mutated) capture to its end or first error, and looks for DNS in every
/// record, as `pcaptool dns` does.
fn exercise_reader(input: &[u8]) {
    let Ok(mut reader) =
        pcaptool::capture::CaptureReader::new(Box::new(std::io::Cursor::new(input.to_vec())))
    else {
        return;
    };
    let mut extractor = pcaptool::dns::analysis::find::Extractor::new(&[], true);
    let mut frame = 0;
    while let Ok(Some(r)) = reader.next_record() {
        frame += 1;
        // What `dns -V` reads of pcapng blocks for its frame lines.
        let _ = pcaptool::capture::pcapng_interface_names(r.header);
        let _ = pcaptool::capture::pcapng_packet_flags(&r);
        let _ = pcaptool::flow::FlowKey::of(
            pcaptool::link::network(r.link_type, r.data),
            pcaptool::flow::SplitBy::Conversation,
        );
        extractor.frame(frame, r.ts, r.link_type, r.data, &mut |_, m| {
            exercise(m, &mut Rng::new(frame))
        });
    }
}

/// Overwrites a 32-bit field at a 4-byte boundary with a value lengths and counts
/// break on.
fn mutate_field(rng: &mut Rng, mut m: Vec<u8>) -> Vec<u8> {
    if m.len() >= 4 {
        let at = rng.below((m.len() / 4) as u128) as usize * 4;
        let v: u32 = [
            0,
            1,
            3,
            0xffff,
            0x7fff_ffff,
            0xffff_ffff,
            rng.next_u32() % 70_000,
        ][rng.below(7) as usize];
        let bytes = if rng.below(2) == 0 {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        };
        m[at..at + 4].copy_from_slice(&bytes);
    }
    m
}

#[derive(Clone, Copy, PartialEq)]
enum Target {
    Dns,
    Tcp,
    Reader,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Dns => "dns decoder",
            Target::Tcp => "tcp reassembler",
            Target::Reader => "capture reader",
        }
    }
}

/// Saves the input that failed and exits.
fn fail(what: &str, input: &[u8], seed: u64, runs: u64) -> ! {
    let dump = std::env::temp_dir().join("pcaptool-fuzz-failure.bin");
    let _ = std::fs::write(&dump, input);
    eprintln!(
        "fuzz: {what} on an input of {} bytes, saved in {} (seed {seed}, run {runs})",
        input.len(),
        dump.display()
    );
    std::process::exit(1);
}

/// An input that takes longer than this (twice) is a failure: a path worse than linear.
const SLOW: Duration = Duration::from_millis(100);

/// Fuzzes one target for `seconds`; returns the number of inputs.
fn fuzz(
    target: Target,
    seconds: u64,
    seed: u64,
    messages: &[Vec<u8>],
    captures: &[Vec<u8>],
) -> u64 {
    let mut rng = Rng::new(seed);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    while Instant::now() < deadline {
        for _ in 0..100 {
            let (input, batch) = match target {
                Target::Dns => {
                    let base = &messages[rng.below(messages.len() as u128) as usize];
                    (mutate(&mut rng, base, messages), Vec::new())
                }
                Target::Tcp => {
                    let batch: Vec<Vec<u8>> = (0..1 + rng.below(8))
                        .map(|_| {
                            let base = rng.below(messages.len() as u128) as usize;
                            mutate(&mut rng, &messages[base], messages)
                        })
                        .collect();
                    (batch.concat(), batch)
                }
                Target::Reader => {
                    let base = &captures[rng.below(captures.len() as u128) as usize];
                    let m = if rng.below(2) == 0 {
                        mutate(&mut rng, base, captures)
                    } else {
                        mutate_field(&mut rng, base.clone())
                    };
                    (m, Vec::new())
                }
            };
            let run = |local: &mut Rng| {
                let started = Instant::now();
                let outcome =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match target {
                        Target::Dns => exercise(&input, local),
                        Target::Tcp => exercise_tcp(&batch, local),
                        Target::Reader => exercise_reader(&input),
                    }));
                (outcome.is_ok(), started.elapsed())
            };
            let (ok, elapsed) = run(&mut Rng::new(runs));
            if !ok {
                fail(
                    &format!("panic in the {}", target.name()),
                    &input,
                    seed,
                    runs,
                );
            }
            // Slow twice in a row, so that a busy machine's pause is not taken for a
            // quadratic path.
            if elapsed > SLOW && run(&mut Rng::new(runs)).1 > SLOW {
                fail(
                    &format!("slow input ({elapsed:?}) in the {}", target.name()),
                    &input,
                    seed,
                    runs,
                );
            }
            runs += 1;
        }
    }
    runs
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
        let t = Instant::now();
        exercise_reader(&input);
        eprintln!("as a capture: {:?}", t.elapsed());
        return;
    }
    let targets = match args.peek().map(String::as_str) {
        Some("dns") => vec![Target::Dns],
        Some("tcp") => vec![Target::Tcp],
        Some("reader") => vec![Target::Reader],
        Some("all") => vec![Target::Reader, Target::Dns, Target::Tcp],
        Some(other) if other.parse::<u64>().is_err() => {
            eprintln!("usage: fuzz [all|dns|tcp|reader] [SECONDS] [SEED] | replay FILE");
            std::process::exit(2);
        }
        _ => vec![Target::Reader, Target::Dns, Target::Tcp],
    };
    if args.peek().is_some_and(|a| a.parse::<u64>().is_err()) {
        args.next();
    }
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Rng::from_entropy().next_u64());
    let messages = corpus_messages();
    let captures = corpus_captures();
    if captures.is_empty() && targets.contains(&Target::Reader) {
        eprintln!("fuzz: no captures in ../shared/captures to start the reader from");
        std::process::exit(1);
    }
    eprintln!(
        "fuzz: {} seed messages, {} seed captures, seed {seed}, {seconds} s",
        messages.len(),
        captures.len()
    );
    let share = (seconds / targets.len() as u64).max(1);
    for (i, &target) in targets.iter().enumerate() {
        let started = Instant::now();
        let runs = fuzz(
            target,
            share,
            seed.wrapping_add(i as u64),
            &messages,
            &captures,
        );
        let secs = started.elapsed().as_secs_f64();
        println!(
            "fuzz {}: {runs} inputs in {secs:.0} s ({:.0} inputs/s), no panic, none over 100 ms",
            target.name(),
            runs as f64 / secs
        );
    }
}
