//! Records in presentation format (RFC 1035 master-file style, as dig prints them).

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::dns::wire::registry::{self as types, Class, Opcode, Rcode, RecordType};
use crate::dns::wire::{skip_name, Message, NameRef, Record};

/// Record data as master-file text; types without a text form here, and data that does
/// not fit its type, as RFC 3597 `\# len hex`.
pub fn rdata(msg: &[u8], r: &Record) -> String {
    let mut out = String::new();
    let data = r.rdata(msg);
    if typed(msg, r, data, &mut out).is_none() {
        out.clear();
        let _ = write!(out, "\\# {}", data.len());
        if !data.is_empty() {
            out.push(' ');
            for b in data {
                let _ = write!(out, "{b:02x}");
            }
        }
    }
    out
}

/// A name with its final dot (the root is `.`).
pub fn fqdn(msg: &[u8], at: usize) -> String {
    let name = NameRef { offset: at }.to_string(msg);
    if name == "." {
        name
    } else {
        name + "."
    }
}

/// A character-string's text (RFC 1035 5.1): `"` and `\` escaped, spaces kept, other
/// non-printables as `\DDD`.
pub fn escape_text(out: &mut String, bytes: &[u8]) {
    crate::dns::wire::name::push_escaped(out, bytes, b"\"\\", b' ');
}

/// A character-string in double quotes.
fn quoted(out: &mut String, bytes: &[u8]) {
    out.push('"');
    escape_text(out, bytes);
    out.push('"');
}

fn typed(msg: &[u8], r: &Record, data: &[u8], out: &mut String) -> Option<()> {
    let start = r.rdata_offset;
    let end = start + data.len();
    let name_end = |at: usize| skip_name(msg, at).ok().filter(|&e| e <= end);
    let be16 = |at: usize| Some(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]));
    let be32 = |at: usize| Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?));
    match r.rtype {
        1 if data.len() == 4 => {
            let _ = write!(out, "{}", Ipv4Addr::new(data[0], data[1], data[2], data[3]));
        }
        28 if data.len() == 16 => {
            let _ = write!(out, "{}", Ipv6Addr::from(<[u8; 16]>::try_from(data).ok()?));
        }
        2 | 5 | 12 | 39 => {
            if name_end(start)? != end {
                return None;
            }
            out.push_str(&fqdn(msg, start));
        }
        15 => {
            if name_end(start + 2)? != end {
                return None;
            }
            let _ = write!(out, "{} {}", be16(0)?, fqdn(msg, start + 2));
        }
        6 => {
            let mname_end = name_end(start)?;
            let rname_end = name_end(mname_end)?;
            if end != rname_end + 20 {
                return None;
            }
            let at = rname_end - start;
            let _ = write!(
                out,
                "{} {} {} {} {} {} {}",
                fqdn(msg, start),
                fqdn(msg, mname_end),
                be32(at)?,
                be32(at + 4)?,
                be32(at + 8)?,
                be32(at + 12)?,
                be32(at + 16)?
            );
        }
        16 | 99 => {
            let mut at = 0;
            while at < data.len() {
                let len = usize::from(data[at]);
                let s = data.get(at + 1..at + 1 + len)?;
                if at > 0 {
                    out.push(' ');
                }
                quoted(out, s);
                at += 1 + len;
            }
        }
        33 => {
            if name_end(start + 6)? != end {
                return None;
            }
            let _ = write!(
                out,
                "{} {} {} {}",
                be16(0)?,
                be16(2)?,
                be16(4)?,
                fqdn(msg, start + 6)
            );
        }
        257 => {
            let tag_len = usize::from(*data.get(1)?);
            let tag = data.get(2..2 + tag_len)?;
            let _ = write!(out, "{} {} ", data[0], String::from_utf8_lossy(tag));
            quoted(out, &data[2 + tag_len..]);
        }
        64 | 65 => {
            let target_end = name_end(start + 2)?;
            let _ = write!(out, "{} {}", be16(0)?, fqdn(msg, start + 2));
            let mut at = target_end - start;
            while at < data.len() {
                let key = be16(at)?;
                let len = usize::from(be16(at + 2)?);
                let value = data.get(at + 4..at + 4 + len)?;
                out.push(' ');
                match key {
                    1 => {
                        out.push_str("alpn=");
                        let mut i = 0;
                        while i < value.len() {
                            let l = usize::from(value[i]);
                            if i > 0 {
                                out.push(',');
                            }
                            out.push_str(&String::from_utf8_lossy(value.get(i + 1..i + 1 + l)?));
                            i += 1 + l;
                        }
                    }
                    2 => out.push_str("no-default-alpn"),
                    3 if len == 2 => {
                        let _ = write!(out, "port={}", u16::from_be_bytes([value[0], value[1]]));
                    }
                    4 if len % 4 == 0 => {
                        let hints: Vec<String> = value
                            .chunks(4)
                            .map(|a| Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string())
                            .collect();
                        let _ = write!(out, "ipv4hint={}", hints.join(","));
                    }
                    6 if len % 16 == 0 => {
                        let hints: Vec<String> = value
                            .chunks(16)
                            .map(|a| {
                                Ipv6Addr::from(<[u8; 16]>::try_from(a).unwrap_or([0; 16]))
                                    .to_string()
                            })
                            .collect();
                        let _ = write!(out, "ipv6hint={}", hints.join(","));
                    }
                    _ => {
                        let _ = write!(out, "key{key}=");
                        quoted(out, value);
                    }
                }
                at += 4 + len;
            }
        }
        _ => return None,
    }
    Some(())
}

/// How a reply arrived, for the last lines of the dig view.
pub struct Delivery {
    pub server: SocketAddr,
    pub tcp: bool,
    pub elapsed: Duration,
    /// Replies ignored because they did not match the query.
    pub ignored: u32,
}

/// A reply the way dig shows it: header, flags, EDNS pseudo-section, every section in
/// presentation format, then query time, server and size.
pub fn dig(
    out: &mut impl Write,
    msg: &[u8],
    m: &Message<'_>,
    delivery: &Delivery,
) -> io::Result<()> {
    let server = delivery.server;
    let h = &m.header;
    let opcode = Opcode(h.opcode());
    let status = Rcode(m.rcode());
    writeln!(
        out,
        ";; ->>HEADER<<- opcode: {opcode}, status: {status}, id: {}",
        h.id
    )?;
    let flags: Vec<&str> = [
        (h.is_response(), "qr"),
        (h.authoritative(), "aa"),
        (h.truncated(), "tc"),
        (h.recursion_desired(), "rd"),
        (h.recursion_available(), "ra"),
        (h.authentic_data(), "ad"),
        (h.checking_disabled(), "cd"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, f)| *f)
    .collect();
    writeln!(
        out,
        ";; flags: {}; QUERY: {}, ANSWER: {}, AUTHORITY: {}, ADDITIONAL: {}",
        flags.join(" "),
        h.qdcount,
        h.ancount,
        h.nscount,
        h.arcount
    )?;
    if let Some(opt) = m.opt() {
        writeln!(out, "\n;; OPT PSEUDOSECTION:")?;
        let flags = if opt.ttl & 0x8000 != 0 { " do" } else { "" };
        writeln!(
            out,
            "; EDNS: version: {}, flags:{flags}; udp: {}",
            (opt.ttl >> 16) & 0xff,
            opt.class
        )?;
        let data = opt.rdata(msg);
        let mut at = 0;
        while at + 4 <= data.len() {
            let code = u16::from_be_bytes([data[at], data[at + 1]]);
            let len = usize::from(u16::from_be_bytes([data[at + 2], data[at + 3]]));
            let value = &data[at + 4..(at + 4 + len).min(data.len())];
            let hex: String = value.iter().map(|b| format!("{b:02x}")).collect();
            match code {
                3 => writeln!(
                    out,
                    "; NSID: {hex} (\"{}\")",
                    String::from_utf8_lossy(value)
                )?,
                10 => writeln!(out, "; COOKIE: {hex}")?,
                8 => writeln!(out, "; CLIENT-SUBNET: {hex}")?,
                15 if value.len() >= 2 => writeln!(
                    out,
                    "; EDE: {} (\"{}\")",
                    u16::from_be_bytes([value[0], value[1]]),
                    String::from_utf8_lossy(&value[2..])
                )?,
                _ => writeln!(out, "; OPTION {code}: {hex}")?,
            }
            at += 4 + len;
        }
    }
    writeln!(out, "\n;; QUESTION SECTION:")?;
    for q in &m.questions {
        writeln!(
            out,
            ";{}\t\t{}\t{}",
            fqdn(msg, q.name.offset),
            Class(q.qclass),
            RecordType(q.qtype)
        )?;
    }
    for (title, records) in [
        ("ANSWER", &m.answers),
        ("AUTHORITY", &m.authority),
        ("ADDITIONAL", &m.additional),
    ] {
        let shown: Vec<_> = records
            .iter()
            .filter(|r| r.rtype != types::TYPE_OPT)
            .collect();
        if shown.is_empty() {
            continue;
        }
        writeln!(out, "\n;; {title} SECTION:")?;
        for r in shown {
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}",
                fqdn(msg, r.name.offset),
                r.ttl,
                Class(r.class),
                RecordType(r.rtype),
                rdata(msg, r)
            )?;
        }
    }
    writeln!(
        out,
        "\n;; Query time: {} msec",
        delivery.elapsed.as_millis()
    )?;
    writeln!(
        out,
        ";; SERVER: {}#{}({}) ({})",
        server.ip(),
        server.port(),
        server.ip(),
        if delivery.tcp { "TCP" } else { "UDP" }
    )?;
    writeln!(out, ";; MSG SIZE  rcvd: {}", msg.len())?;
    if delivery.ignored > 0 {
        writeln!(
            out,
            ";; IGNORED: {} replies that did not match the query",
            delivery.ignored
        )?;
    }
    writeln!(out)
}
