//! The CSV view: one row per message (where it came from, header fields, the first
//! question, section sizes, any decoding error), as `pcaptool dns --format csv` prints it.

use std::fmt::Write as _;

use crate::dns::decode::Row;
use crate::dns::wire::registry::RecordType;

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

/// Appends `row` as one CSV line (no newline); `_scratch` is unused (the signature is
/// [`LineSink`](super::LineSink)'s).
pub fn write_csv(line: &mut String, _scratch: &mut Vec<u8>, row: &Row<'_>) {
    let (origin, msg, decoded) = (row.origin, row.bytes, row.message.as_ref());
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
        // id, qr, opcode, rcode, qname, qtype, qclass, and the three counts are empty.
        line.push_str(",,,,,,,,,,shorter than a DNS header");
        return;
    };
    let h = &m.header;
    let _ = write!(
        line,
        "{},{},{},{},",
        h.id,
        u8::from(h.flags.is_response()),
        h.flags.opcode(),
        m.rcode()
    );
    match m.questions.first() {
        Some(q) => {
            // Names can hold commas and quotes (escaped as \, in presentation form
            // they are not): quote them.
            csv_field(line, &q.name.to_string(msg));
            line.push(',');
            RecordType(q.qtype).push_to(line);
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
