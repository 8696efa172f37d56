//! `pcaptool dns` against independent oracles: tshark's Info column for every DNS
//! message in the corpus (expected output committed in tests/data/dns_info.tsv by
//! scripts/oracle-dns.sh), and the hickory-proto decoder field by field.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use common::*;

fn data_file(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (regenerate with scripts/oracle-dns.sh)",
            path.display()
        )
    })
}

/// Per frame: tshark's dns.id list and its Info text (bytes as tshark wrote them).
type Expected = BTreeMap<u64, (Vec<u16>, Vec<u8>)>;
/// Per frame: each message pcaptool prints, as (id, Info bytes).
type Printed = BTreeMap<u64, Vec<(Option<u16>, Vec<u8>)>>;

/// file -> its expected frames.
fn expected() -> BTreeMap<String, Expected> {
    let mut all: BTreeMap<String, Expected> = BTreeMap::new();
    for line in data_file("dns_info.tsv").split(|&b| b == b'\n') {
        if line.is_empty() || line.starts_with(b"#") || line.starts_with(b"file\t") {
            continue;
        }
        let mut cols = line.splitn(4, |&b| b == b'\t');
        let file = String::from_utf8(cols.next().unwrap().to_vec()).unwrap();
        let frame: u64 = std::str::from_utf8(cols.next().unwrap())
            .unwrap()
            .parse()
            .unwrap();
        let ids = std::str::from_utf8(cols.next().unwrap())
            .unwrap()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| u16::from_str_radix(s.trim_start_matches("0x"), 16).unwrap())
            .collect();
        let info = cols.next().unwrap_or_default().to_vec();
        all.entry(file).or_default().insert(frame, (ids, info));
    }
    all
}

/// Known deviations: (file, frame or None for all frames) -> reason.
fn deviations() -> HashMap<(String, Option<u64>), String> {
    let text = String::from_utf8(data_file("dns_deviations.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut c = l.splitn(3, '\t');
            let file = c.next().unwrap().to_string();
            let frame = c.next().unwrap();
            let reason = c
                .next()
                .expect("every deviation needs a reason")
                .to_string();
            ((file, frame.parse().ok()), reason)
        })
        .collect()
}

/// Our text output for a capture: frame -> [(id, info bytes)].
fn ours(file: &Path) -> Printed {
    let out = run(&["dns", "-q", file.to_str().unwrap()]);
    assert_no_panic(&out, &file.display().to_string());
    let mut map = Printed::new();
    for line in out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let parts: Vec<&[u8]> = line.splitn(7, |&b| b == b' ').collect();
        let frame: u64 = std::str::from_utf8(parts[0]).unwrap().parse().unwrap();
        let info = parts.get(6).copied().unwrap_or_default().to_vec();
        let id = String::from_utf8_lossy(&info).split(' ').find_map(|w| {
            w.strip_prefix("0x")
                .and_then(|h| u16::from_str_radix(&h[..h.len().min(4)], 16).ok())
        });
        map.entry(frame).or_default().push((id, info));
    }
    map
}

#[test]
fn info_column_matches_tshark_on_the_corpus() {
    let expected = expected();
    let deviations = deviations();
    let mut used_deviations = std::collections::HashSet::new();
    let (mut same, mut total) = (0usize, 0usize);
    let mut failures = Vec::new();
    for (file, frames) in &expected {
        let path = corpus_dir().join(file);
        let mut got = ours(&path);
        for (frame, (ids, info)) in frames {
            total += 1;
            let mine = got.remove(frame).unwrap_or_default();
            let text_ok = mine.iter().any(|(_, i)| i == info);
            let mut my_ids: Vec<u16> = mine.iter().filter_map(|(id, _)| *id).collect();
            my_ids.sort_unstable();
            let mut their_ids = ids.clone();
            their_ids.sort_unstable();
            let ids_ok = their_ids.is_empty() || my_ids == their_ids;
            if text_ok && ids_ok {
                same += 1;
                continue;
            }
            let key_frame = (file.clone(), Some(*frame));
            let key_file = (file.clone(), None);
            if deviations.contains_key(&key_frame) {
                used_deviations.insert(key_frame);
            } else if deviations.contains_key(&key_file) {
                used_deviations.insert(key_file);
            } else {
                failures.push(format!(
                    "{file} frame {frame}:\n  tshark:   {} (ids {their_ids:04x?})\n  pcaptool: {:?} (ids {my_ids:04x?})",
                    String::from_utf8_lossy(info),
                    mine.iter().map(|(_, i)| String::from_utf8_lossy(i).into_owned()).collect::<Vec<_>>()
                ));
            }
        }
        // Messages tshark does not see are invented, unless listed.
        for (frame, mine) in got {
            if !deviations.contains_key(&(file.clone(), None)) {
                failures.push(format!(
                    "{file} frame {frame}: pcaptool prints {} message(s) tshark does not",
                    mine.len()
                ));
            }
        }
    }
    println!(
        "Info column identical to tshark for {same} of {total} DNS frames; {} listed deviations",
        deviations.len()
    );
    assert!(total > 4000, "only {total} frames in the expected output");
    assert!(
        failures.is_empty(),
        "{} differences not listed in tests/data/dns_deviations.tsv:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let stale: Vec<_> = deviations
        .keys()
        .filter(|k| !used_deviations.contains(*k))
        .collect();
    assert!(
        stale.is_empty(),
        "deviations that no longer happen (remove them): {stale:?}"
    );
}

/// Every DNS message in the corpus, found with pcaptool's own extractor.
fn corpus_messages() -> Vec<(String, Vec<u8>, bool)> {
    use pcaptool::dns::analysis::find::{Extractor, Protocol};
    let mut messages = Vec::new();
    for row in corpus_index() {
        if !row.get("capinfos_error").is_empty() || row.get("format").is_empty() {
            continue;
        }
        let Ok(mut reader) = pcaptool::capture::open(&row.path()) else {
            continue;
        };
        let mut extractor = Extractor::new(&[], true);
        let mut frame = 0;
        let name = row.get("file").to_string();
        while let Ok(Some(r)) = reader.next_record() {
            frame += 1;
            extractor.frame(frame, r.ts, r.link_type, r.data, &mut |origin, msg| {
                messages.push((
                    format!("{name} frame {frame}"),
                    msg.to_vec(),
                    origin.protocol == Protocol::Mdns,
                ));
            });
        }
    }
    messages
}

fn labels_of_ours(msg: &[u8], name: pcaptool::dns::wire::NameRef) -> Vec<Vec<u8>> {
    let mut labels = Vec::new();
    let mut end = None;
    pcaptool::dns::wire::walk_name(msg, name.offset, |l| labels.push(l.to_vec()), &mut end)
        .unwrap();
    labels
}

fn labels_of_theirs(name: &hickory_proto::rr::Name) -> Vec<Vec<u8>> {
    name.iter().map(|l| l.to_vec()).collect()
}

#[test]
fn decoder_agrees_with_hickory_field_by_field() {
    use hickory_proto::op::{Message as HMessage, MessageType};
    use hickory_proto::rr::{RData as H, Record as HRecord};
    use pcaptool::dns::wire::{Message, Record};
    let messages = corpus_messages();
    assert!(
        messages.len() > 3000,
        "only {} messages found",
        messages.len()
    );
    let (mut compared, mut records_compared) = (0, 0);
    let mut problems = Vec::new();
    for (at, bytes, _mdns) in &messages {
        let Ok(theirs) = HMessage::from_vec(bytes) else {
            continue;
        };
        let Ok(m) = Message::parse(bytes) else {
            problems.push(format!("{at}: hickory parses a message pcaptool cannot"));
            continue;
        };
        if let Some(e) = m.error {
            problems.push(format!(
                "{at}: hickory parses it whole, pcaptool stops: {e}"
            ));
            continue;
        }
        compared += 1;
        let h = &m.header;
        let md = &theirs.metadata;
        let header_mine = (
            h.id,
            h.flags.is_response(),
            h.flags.opcode(),
            h.flags.authoritative(),
            h.flags.truncated(),
            h.flags.recursion_desired(),
            h.flags.recursion_available(),
            h.flags.authentic_data(),
            h.flags.checking_disabled(),
            m.rcode(),
        );
        let header_theirs = (
            md.id,
            md.message_type == MessageType::Response,
            u8::from(md.op_code),
            md.authoritative,
            md.truncation,
            md.recursion_desired,
            md.recursion_available,
            md.authentic_data,
            md.checking_disabled,
            u16::from(md.response_code),
        );
        if header_mine != header_theirs {
            problems.push(format!(
                "{at}: header {header_mine:?} vs hickory {header_theirs:?}"
            ));
            continue;
        }
        let qs_mine: Vec<_> = m
            .questions
            .iter()
            .map(|q| (labels_of_ours(bytes, q.name), q.qtype, q.qclass))
            .collect();
        let qs_theirs: Vec<_> = theirs
            .queries
            .iter()
            .map(|q| {
                (
                    labels_of_theirs(q.name()),
                    u16::from(q.query_type()),
                    u16::from(q.query_class()),
                )
            })
            .collect();
        if qs_mine != qs_theirs {
            problems.push(format!("{at}: questions differ"));
            continue;
        }
        // hickory lifts OPT (into edns) and a final TSIG/SIG(0) (into signature) out of
        // the additional section; compare the rest record by record.
        let lifted = |r: &&Record| {
            r.rtype == 41 || ((r.rtype == 250 || r.rtype == 24) && theirs.signature.is_some())
        };
        let additional: Vec<&Record> = m.additional.iter().filter(|r| !lifted(r)).collect();
        let sections: [(Vec<&Record>, &Vec<HRecord>); 3] = [
            (m.answers.iter().collect(), &theirs.answers),
            (m.authority.iter().collect(), &theirs.authorities),
            (additional, &theirs.additionals),
        ];
        for (mine, theirs_section) in sections {
            if mine.len() != theirs_section.len() {
                problems.push(format!(
                    "{at}: {} records vs hickory {}",
                    mine.len(),
                    theirs_section.len()
                ));
                continue;
            }
            for (r, t) in mine.iter().zip(theirs_section.iter()) {
                records_compared += 1;
                let mine_head = (labels_of_ours(bytes, r.name), r.rtype, r.class, r.ttl);
                let their_head = (
                    labels_of_theirs(&t.name),
                    u16::from(t.record_type()),
                    u16::from(t.dns_class),
                    t.ttl,
                );
                if mine_head != their_head {
                    problems.push(format!(
                        "{at}: record {mine_head:?} vs hickory {their_head:?}"
                    ));
                    continue;
                }
                let mut json = String::new();
                pcaptool::dns::view::json_rdata::write_json(bytes, r, &mut json);
                let data: serde_json::Value = serde_json::from_str(&json)
                    .unwrap_or_else(|e| panic!("{at}: bad JSON {json}: {e}"));
                // Names compare label by label: presentation escapes differ between
                // libraries, the bytes do not.
                let name_at =
                    |offset: usize| labels_of_ours(bytes, pcaptool::dns::wire::NameRef { offset });
                let agrees = match &t.data {
                    H::A(a) => data["address"] == a.0.to_string(),
                    H::AAAA(a) => data["address"] == a.0.to_string(),
                    H::NS(n) => name_at(r.rdata_offset) == labels_of_theirs(&n.0),
                    H::CNAME(n) => name_at(r.rdata_offset) == labels_of_theirs(&n.0),
                    H::PTR(n) => name_at(r.rdata_offset) == labels_of_theirs(&n.0),
                    H::MX(mx) => {
                        data["preference"] == mx.preference
                            && name_at(r.rdata_offset + 2) == labels_of_theirs(&mx.exchange)
                    }
                    H::SRV(srv) => {
                        data["priority"] == srv.priority
                            && data["weight"] == srv.weight
                            && data["port"] == srv.port
                    }
                    H::SOA(soa) => {
                        data["serial"] == soa.serial
                            && data["refresh"] == soa.refresh
                            && data["retry"] == soa.retry
                            && data["expire"] == soa.expire
                            && data["minimum"] == soa.minimum
                    }
                    H::TXT(txt) => {
                        data["strings"].as_array().map(Vec::len) == Some(txt.txt_data.len())
                    }
                    _ => true,
                };
                if !agrees {
                    problems.push(format!(
                        "{at}: {} data {json} vs hickory {:?}",
                        r.rtype, t.data
                    ));
                }
            }
        }
        if let Some(edns) = &theirs.edns {
            let opt = m.opt().expect("hickory saw EDNS");
            // hickory raises a payload size below 512 to 512 (RFC 6891 6.2.3); we report
            // what is on the wire.
            let mine = (
                opt.class.max(512),
                (opt.ttl >> 16) as u8,
                opt.ttl & 0x8000 != 0,
            );
            let theirs_edns = (edns.max_payload(), edns.version(), edns.flags().dnssec_ok);
            if mine != theirs_edns {
                problems.push(format!("{at}: EDNS {mine:?} vs hickory {theirs_edns:?}"));
            }
        }
    }
    println!("{compared} messages and {records_compared} records compared with hickory-proto");
    assert!(
        compared > 2500,
        "only {compared} messages parsed by hickory"
    );
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems[..problems.len().min(40)].join("\n")
    );
}
