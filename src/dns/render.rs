//! JSON and CSV renderings of a DNS message with where it came from, as
//! `pcaptool dns --format json|csv` prints them.

use std::fmt::Write as _;

use crate::dns::digits::{push_ip_str, push_padded, push_u64_str};
use crate::dns::extract::{Origin, Protocol};
use crate::dns::info;
use crate::dns::rdata::{self, json_str};
use crate::dns::types;
use crate::dns::wire::{Header, Message, NameRef, Section};

fn flags_json(line: &mut String, h: &Header) {
    let b = |v: bool| if v { "true" } else { "false" };
    line.push_str("{\"qr\":");
    line.push_str(b(h.is_response()));
    line.push_str(",\"opcode\":");
    push_u64_str(line, u64::from(h.opcode()));
    for (key, on) in [
        (",\"aa\":", h.authoritative()),
        (",\"tc\":", h.truncated()),
        (",\"rd\":", h.recursion_desired()),
        (",\"ra\":", h.recursion_available()),
        (",\"z\":", h.z()),
        (",\"ad\":", h.authentic_data()),
        (",\"cd\":", h.checking_disabled()),
    ] {
        line.push_str(key);
        line.push_str(b(on));
    }
    line.push('}');
}

fn type_json(line: &mut String, code: u16) {
    match types::type_name(code) {
        Some(n) => json_str(line, n),
        None => json_str(line, &format!("TYPE{code}")),
    }
}

/// Appends a name from the message as a JSON string, through a reusable buffer.
fn name_json(line: &mut String, scratch: &mut String, msg: &[u8], name: NameRef) {
    scratch.clear();
    name.write_to(msg, scratch);
    json_str(line, scratch);
}

pub fn write_json(
    line: &mut String,
    text: &mut Vec<u8>,
    origin: Origin,
    rel: i128,
    msg: &[u8],
    decoded: Option<&Message<'_>>,
) {
    // Pushed piece by piece: `write!` here cost more than decoding the message.
    let mut nine = Vec::with_capacity(9);
    let mut fraction = |line: &mut String, n: u64| {
        nine.clear();
        push_padded(&mut nine, n, 9);
        line.push_str(std::str::from_utf8(&nine).unwrap_or_default());
    };
    line.push_str("{\"frame\":");
    push_u64_str(line, origin.frame);
    line.push_str(",\"time\":\"");
    push_u64_str(line, origin.ts.secs.max(0) as u64);
    line.push('.');
    fraction(line, u64::from(origin.ts.nanos));
    line.push_str("\",\"relative_time\":");
    push_u64_str(line, rel.div_euclid(1_000_000_000).max(0) as u64);
    line.push('.');
    fraction(line, rel.rem_euclid(1_000_000_000) as u64);
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
    json_str(line, &String::from_utf8_lossy(text));
    let mut scratch = String::new();
    let Some(m) = decoded else {
        line.push_str(",\"error\":{\"what\":\"shorter than a DNS header\",\"offset\":0}}");
        return;
    };
    let _ = write!(line, ",\"id\":{},\"flags\":", m.header.id);
    flags_json(line, &m.header);
    let rcode = m.rcode();
    let _ = write!(line, ",\"rcode\":{rcode},\"rcode_name\":");
    match types::rcode_name(rcode) {
        Some(n) => json_str(line, n),
        None => json_str(line, &format!("RCODE{rcode}")),
    }
    let _ = write!(
        line,
        ",\"counts\":{{\"questions\":{},\"answers\":{},\"authority\":{},\"additional\":{}}},\"questions\":[",
        m.header.qdcount, m.header.ancount, m.header.nscount, m.header.arcount
    );
    let mdns = origin.protocol == Protocol::Mdns;
    for (i, q) in m.questions.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str("{\"name\":");
        name_json(line, &mut scratch, msg, q.name);
        line.push_str(",\"type\":");
        type_json(line, q.qtype);
        let class = if mdns { q.qclass & 0x7fff } else { q.qclass };
        let _ = write!(line, ",\"class\":{class}");
        if mdns {
            let _ = write!(line, ",\"unicast_response\":{}", q.qclass & 0x8000 != 0);
        }
        line.push('}');
    }
    line.push(']');
    for section in [Section::Answer, Section::Authority, Section::Additional] {
        let _ = write!(line, ",\"{}\":[", section.name());
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
            name_json(line, &mut scratch, msg, r.name);
            line.push_str(",\"type\":");
            type_json(line, r.rtype);
            if r.rtype == types::TYPE_OPT {
                line.push_str(",\"data\":");
            } else {
                let class = if mdns { r.class & 0x7fff } else { r.class };
                let _ = write!(line, ",\"class\":{class},\"ttl\":{}", r.ttl);
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

pub const CSV_HEADER: &str = "frame,time,src,sport,dst,dport,transport,protocol,id,qr,opcode,rcode,qname,qtype,qclass,answers,authority,additional,error";

/// A CSV field, quoted when it holds a comma, quote, or any control or non-ASCII byte
/// (RFC 4180: quotes doubled inside).
fn csv_field(line: &mut String, value: &str) {
    if value
        .bytes()
        .any(|b| b == b',' || b == b'"' || b < 0x20 || b == 0x7f)
    {
        line.push('"');
        for c in value.chars() {
            if c == '"' {
                line.push('"');
            }
            line.push(c);
        }
        line.push('"');
    } else {
        line.push_str(value);
    }
}

pub fn write_csv(line: &mut String, origin: Origin, msg: &[u8], decoded: Option<&Message<'_>>) {
    let _ = write!(
        line,
        "{},{},{},{},{},{},{},{},",
        origin.frame,
        origin.ts,
        origin.src,
        origin.sport,
        origin.dst,
        origin.dport,
        if origin.tcp { "tcp" } else { "udp" },
        origin.protocol.name().to_ascii_lowercase()
    );
    let Some(m) = decoded else {
        line.push_str(",,,,,,,,,,,shorter than a DNS header");
        return;
    };
    let h = &m.header;
    let _ = write!(
        line,
        "{},{},{},{},",
        h.id,
        u8::from(h.is_response()),
        h.opcode(),
        m.rcode()
    );
    match m.questions.first() {
        Some(q) => {
            // Names can hold commas and quotes (escaped as \, in presentation form
            // they are not): quote them.
            csv_field(line, &q.name.to_string(msg));
            line.push(',');
            match types::type_name(q.qtype) {
                Some(n) => line.push_str(n),
                None => {
                    let _ = write!(line, "TYPE{}", q.qtype);
                }
            }
            let _ = write!(line, ",{}", q.qclass);
        }
        None => line.push_str(",,"),
    }
    let _ = write!(
        line,
        ",{},{},{},",
        m.answers.len(),
        m.authority.len(),
        m.additional.len()
    );
    if let Some(e) = &m.error {
        csv_field(line, &e.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        let mut s = String::new();
        csv_field(&mut s, "a,b\"c");
        assert_eq!(s, "\"a,b\"\"c\"");
    }
}
