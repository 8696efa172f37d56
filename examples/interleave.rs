//! Rewrites a capture so that its TCP/UDP conversations run at once: every
//! conversation's first packet, then every second packet, and so on (timestamps
//! renumbered in that order, 10 µs apart). `gen dns --tcp` writes each connection
//! whole; interleaved, N connections are open together, which is what stresses TCP
//! reassembly and query matching. Used by scripts/bench-interleaved.sh.
//!
//!   cargo run --release --example interleave -- INPUT OUTPUT

use pcaptool::capture::{CaptureWriter, LinkType, OutputFormat, Timestamp, TsResolution};
use pcaptool::flow::{FlowKey, SplitBy};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: interleave INPUT OUTPUT");
        std::process::exit(2);
    };
    let mut reader = pcaptool::capture::open(std::path::Path::new(input)).unwrap_or_else(|e| {
        eprintln!("interleave: {e}");
        std::process::exit(2)
    });
    let mut conversations: indexmap::IndexMap<Option<FlowKey>, Vec<Vec<u8>>> = Default::default();
    let mut link_type = LinkType::ETHERNET;
    while let Some(r) = reader.next_record().unwrap_or_else(|e| {
        eprintln!("interleave: {input}: {e}");
        std::process::exit(2)
    }) {
        link_type = r.link_type;
        let key = FlowKey::of(
            pcaptool::link::network(r.link_type, r.data),
            SplitBy::Conversation,
        );
        conversations.entry(key).or_default().push(r.data.to_vec());
    }
    let file = std::io::BufWriter::new(std::fs::File::create(output).unwrap_or_else(|e| {
        eprintln!("interleave: {output}: {e}");
        std::process::exit(1)
    }));
    let mut writer = CaptureWriter::new(
        file,
        OutputFormat::Pcap,
        TsResolution::Micro,
        link_type,
        65535,
    );
    let rounds = conversations.values().map(Vec::len).max().unwrap_or(0);
    let mut n = 0i64;
    for round in 0..rounds {
        for frames in conversations.values() {
            if let Some(frame) = frames.get(round) {
                let ts = Timestamp::new(1_700_000_000, 0).add_nanos(i128::from(n) * 10_000);
                writer
                    .write_packet(0, ts, frame.len() as u32, frame)
                    .expect("cannot write the output");
                n += 1;
            }
        }
    }
    writer.finish().expect("cannot write the output");
    eprintln!(
        "interleave: {n} packets of {} conversations",
        conversations.len()
    );
}
