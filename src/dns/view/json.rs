//! The JSON view: one object per message with where it came from, every header field,
//! question and record (typed record data from [`json_rdata`](super::json_rdata)), as
//! `pcaptool dns --format json` prints it, one line each; and the JSON string escaper.

use std::fmt::Write as _;

use crate::dns::decode::Row;

use crate::dns::analysis::find::Protocol;
use crate::dns::view::digits::{push_ip_str, push_u64_str};
use crate::dns::view::info;
use crate::dns::view::json_rdata as rdata;
use crate::dns::wire::registry::{self as types, Rcode, RecordType};
use crate::dns::wire::{Header, NameRef, Section};

/// Appends `s` as a JSON string literal.
pub fn json_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut run = 0;
    while let Some(at) = next_to_escape(bytes, run) {
        // Everything escaped is ASCII, so these are character boundaries.
        out.push_str(&s[run..at]);
        match bytes[at] {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b => {
                let _ = write!(out, "\\u{b:04x}");
            }
        }
        run = at + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// The first byte from `from` on that JSON escapes (a control character, `"` or `\`).
/// Eight bytes at a time: most strings have none.
fn next_to_escape(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A high bit for each byte of `x` that is zero (exact where it matters: the lowest
    // flagged byte is the first zero byte).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // Bytes below 0x20 (ASCII only: bytes of 0x80 and up are never escaped).
        let control = w.wrapping_sub(0x20 * ONES) & !w & HIGHS;
        let hit = control | zero(w ^ (b'"' as u64 * ONES)) | zero(w ^ (b'\\' as u64 * ONES));
        // A flagged byte is escaped, or comes after one that is (a borrow): the
        // chunk holds one to find.
        if hit != 0 {
            if let Some(p) = chunk.iter().position(|&b| needs_escape(b)) {
                return Some(at + p);
            }
        }
        at += 8;
    }
    bytes[at.min(bytes.len())..]
        .iter()
        .position(|&b| needs_escape(b))
        .map(|p| at + p)
}

fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

fn flags_json(line: &mut String, h: &Header) {
    let b = |v: bool| if v { "true" } else { "false" };
    line.push_str("{\"qr\":");
    line.push_str(b(h.flags.is_response()));
    line.push_str(",\"opcode\":");
    push_u64_str(line, u64::from(h.flags.opcode()));
    for (key, on) in [
        (",\"aa\":", h.flags.authoritative()),
        (",\"tc\":", h.flags.truncated()),
        (",\"rd\":", h.flags.recursion_desired()),
        (",\"ra\":", h.flags.recursion_available()),
        (",\"z\":", h.flags.z()),
        (",\"ad\":", h.flags.authentic_data()),
        (",\"cd\":", h.flags.checking_disabled()),
    ] {
        line.push_str(key);
        line.push_str(b(on));
    }
    line.push('}');
}

/// A registry name as a JSON string (mnemonics and generic forms need no escaping).
fn registry_json(line: &mut String, push: impl FnOnce(&mut String)) {
    line.push('"');
    push(line);
    line.push('"');
}

fn type_json(line: &mut String, code: u16) {
    registry_json(line, |l| RecordType(code).push_to(l));
}

/// Appends a name from the message as a JSON string: written in place, escaped again
/// only when it holds what JSON escapes (a `\` or `"` of its presentation form).
fn name_json(line: &mut String, msg: &[u8], name: NameRef) {
    line.push('"');
    let start = line.len();
    name.write_to(msg, line);
    if next_to_escape(&line.as_bytes()[start..], 0).is_some() {
        let text = line.split_off(start);
        line.pop();
        json_str(line, &text);
    } else {
        line.push('"');
    }
}

/// Appends `row` as one JSON object (no newline); `text` is scratch space.
pub fn write_json(line: &mut String, text: &mut Vec<u8>, row: &Row<'_>) {
    let (origin, msg, decoded) = (row.origin, row.bytes, row.message.as_ref());
    let (rel_secs, rel_nanos) = row.relative_parts();
    // Pushed piece by piece: `write!` here cost more than decoding the message.
    let fraction = |line: &mut String, n: u64| {
        let mut nine = [b'0'; 9];
        let mut n = n;
        for digit in nine.iter_mut().rev() {
            *digit = b'0' + (n % 10) as u8;
            n /= 10;
        }
        nine.iter().for_each(|&d| line.push(char::from(d)));
    };
    line.push_str("{\"frame\":");
    push_u64_str(line, origin.frame);
    line.push_str(",\"time\":\"");
    push_u64_str(line, origin.ts.secs.max(0) as u64);
    line.push('.');
    fraction(line, u64::from(origin.ts.nanos));
    line.push_str("\",\"relative_time\":");
    push_u64_str(line, rel_secs);
    line.push('.');
    fraction(line, u64::from(rel_nanos));
    line.push_str(",\"src\":\"");
    push_ip_str(line, origin.src);
    line.push_str("\",\"sport\":");
    push_u64_str(line, u64::from(origin.sport));
    line.push_str(",\"dst\":\"");
    push_ip_str(line, origin.dst);
    line.push_str("\",\"dport\":");
    push_u64_str(line, u64::from(origin.dport));
    line.push_str(if origin.tcp {
        ",\"transport\":\"tcp\""
    } else {
        ",\"transport\":\"udp\""
    });
    line.push_str(match origin.protocol {
        Protocol::Dns => ",\"protocol\":\"dns\"",
        Protocol::Mdns => ",\"protocol\":\"mdns\"",
        Protocol::Llmnr => ",\"protocol\":\"llmnr\"",
    });
    line.push_str(",\"size\":");
    push_u64_str(line, msg.len() as u64);
    line.push(',');
    line.push_str("\"info\":");
    text.clear();
    info::write_info(
        msg,
        origin.reported_len,
        origin.protocol == Protocol::Mdns,
        text,
    );
    // Valid UTF-8 nearly always (names are escaped to ASCII): checked the fast way.
    match std::str::from_utf8(text) {
        Ok(info) => json_str(line, info),
        Err(_) => json_str(line, &String::from_utf8_lossy(text)),
    }
    let Some(m) = decoded else {
        line.push_str(",\"error\":{\"what\":\"shorter than a DNS header\",\"offset\":0}}");
        return;
    };
    line.push_str(",\"id\":");
    push_u64_str(line, u64::from(m.header.id));
    line.push_str(",\"flags\":");
    flags_json(line, &m.header);
    let rcode = m.rcode();
    line.push_str(",\"rcode\":");
    push_u64_str(line, u64::from(rcode));
    line.push_str(",\"rcode_name\":");
    registry_json(line, |l| Rcode(rcode).push_to(l));
    let h = &m.header;
    for (key, count) in [
        (",\"counts\":{\"questions\":", h.qdcount),
        (",\"answers\":", h.ancount),
        (",\"authority\":", h.nscount),
        (",\"additional\":", h.arcount),
    ] {
        line.push_str(key);
        push_u64_str(line, u64::from(count));
    }
    line.push_str("},\"questions\":[");
    let mdns = origin.protocol == Protocol::Mdns;
    for (i, q) in m.questions.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str("{\"name\":");
        name_json(line, msg, q.name);
        line.push_str(",\"type\":");
        type_json(line, q.qtype);
        let class = if mdns { q.qclass & 0x7fff } else { q.qclass };
        line.push_str(",\"class\":");
        push_u64_str(line, u64::from(class));
        if mdns {
            let _ = write!(line, ",\"unicast_response\":{}", q.qclass & 0x8000 != 0);
        }
        line.push('}');
    }
    line.push(']');
    for section in [Section::Answer, Section::Authority, Section::Additional] {
        line.push_str(",\"");
        line.push_str(section.name());
        line.push_str("\":[");
        let records = match section {
            Section::Answer => &m.answers,
            Section::Authority => &m.authority,
            Section::Additional => &m.additional,
        };
        for (i, r) in records.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str("{\"name\":");
            name_json(line, msg, r.name);
            line.push_str(",\"type\":");
            type_json(line, r.rtype);
            if r.rtype == types::TYPE_OPT {
                line.push_str(",\"data\":");
            } else {
                let class = if mdns { r.class & 0x7fff } else { r.class };
                line.push_str(",\"class\":");
                push_u64_str(line, u64::from(class));
                line.push_str(",\"ttl\":");
                push_u64_str(line, u64::from(r.ttl));
                if mdns {
                    let _ = write!(line, ",\"cache_flush\":{}", r.class & 0x8000 != 0);
                }
                line.push_str(",\"data\":");
            }
            rdata::write_json(msg, r, line);
            line.push('}');
        }
        line.push(']');
    }
    match &m.error {
        Some(e) => {
            line.push_str(",\"error\":{\"what\":");
            json_str(line, &e.to_string());
            let _ = write!(line, ",\"offset\":{}}}", e.offset());
        }
        None => line.push_str(",\"error\":null"),
    }
    if m.trailing > 0 {
        let _ = write!(line, ",\"trailing_bytes\":{}", m.trailing);
    }
    line.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_scan_finds_what_the_byte_scan_finds() {
        let mut rng = crate::rng::Rng::new(11);
        let alphabet = [
            0u8, 0x1f, 0x20, b'"', b'\\', b'a', 0x7f, 0x80, 0xa0, 0xff, b'\n',
        ];
        for _ in 0..20_000 {
            let len = rng.below(40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len() as u128) as usize])
                .collect();
            let from = rng.below(len as u128 + 1) as usize;
            let naive = bytes[from..]
                .iter()
                .position(|&b| needs_escape(b))
                .map(|p| from + p);
            assert_eq!(next_to_escape(&bytes, from), naive, "{bytes:?} from {from}");
        }
    }

    #[test]
    fn json_escaping() {
        let mut s = String::new();
        json_str(&mut s, "a\"b\\\u{1}");
        assert_eq!(s, "\"a\\\"b\\\\\\u0001\"");
    }
}
