//! The dig view: records in presentation format (RFC 1035 master-file style) and whole
//! messages as dig prints them, for `query` replies and, as a sink, for every message
//! of a capture (`pcaptool dns --format dig`).

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::dns::decode::{Render, Row};
use crate::dns::wire::rdata::{RData, SvcParam};
use crate::dns::wire::registry::{self as types, Class, Opcode, Rcode, RecordType};
use crate::dns::wire::{Message, NameRef, Record};

/// Record data as master-file text; types without a text form here, and data that does
/// not fit its type, as RFC 3597 `\\# len hex`.
pub fn rdata(msg: &[u8], r: &Record) -> String {
    let mut out = String::new();
    write_rdata(&mut out, msg, r);
    out
}

/// Appends what [`rdata`] returns to `out`.
pub fn write_rdata(out: &mut String, msg: &[u8], r: &Record) {
    let start = out.len();
    let data = r.rdata(msg);
    let typed = RData::parse(msg, r)
        .ok()
        .and_then(|parsed| presentation(msg, &parsed, out));
    if typed.is_none() {
        out.truncate(start);
        let _ = write!(out, "\\# {}", data.len());
        if !data.is_empty() {
            out.push(' ');
            for b in data {
                let _ = write!(out, "{b:02x}");
            }
        }
    }
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

/// A character-string in double quotes.
fn quoted(out: &mut String, bytes: &[u8]) {
    out.push('"');
    crate::dns::wire::name::push_text(out, bytes);
    out.push('"');
}

/// The text of the types this view knows; `None` for the others.
fn presentation(msg: &[u8], data: &RData<'_>, out: &mut String) -> Option<()> {
    match data {
        // As inet_ntop writes them (dig's and kdig's own words).
        RData::A(a) => crate::dns::view::digits::push_ipv4(out, a.octets()),
        RData::Aaaa(a) => crate::dns::view::digits::push_ipv6(out, a.octets()),
        RData::Name(n) => out.push_str(&fqdn(msg, n.offset)),
        RData::Mx {
            preference,
            exchange,
        } => {
            let _ = write!(out, "{preference} {}", fqdn(msg, exchange.offset));
        }
        RData::Soa {
            mname,
            rname,
            serial,
            refresh,
            retry,
            expire,
            minimum,
        } => {
            let _ = write!(
                out,
                "{} {} {serial} {refresh} {retry} {expire} {minimum}",
                fqdn(msg, mname.offset),
                fqdn(msg, rname.offset),
            );
        }
        RData::Txt(strings) => {
            for (i, s) in strings.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                quoted(out, s);
            }
        }
        RData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            let _ = write!(
                out,
                "{priority} {weight} {port} {}",
                fqdn(msg, target.offset)
            );
        }
        RData::Caa { flags, tag, value } => {
            let _ = write!(out, "{flags} {} ", String::from_utf8_lossy(tag));
            quoted(out, value);
        }
        RData::Svcb {
            priority,
            target,
            params,
        } => {
            let _ = write!(out, "{priority} {}", fqdn(msg, target.offset));
            for param in params {
                out.push(' ');
                match param {
                    SvcParam::Alpn(ids) => {
                        out.push_str("alpn=");
                        for (i, id) in ids.iter().enumerate() {
                            if i > 0 {
                                out.push(',');
                            }
                            out.push_str(&String::from_utf8_lossy(id));
                        }
                    }
                    SvcParam::NoDefaultAlpn => out.push_str("no-default-alpn"),
                    SvcParam::Port(port) => {
                        let _ = write!(out, "port={port}");
                    }
                    SvcParam::Ipv4Hint(value) => {
                        let hints: Vec<String> = value
                            .chunks(4)
                            .map(|a| Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string())
                            .collect();
                        let _ = write!(out, "ipv4hint={}", hints.join(","));
                    }
                    SvcParam::Ipv6Hint(value) => {
                        let hints: Vec<String> = value
                            .chunks(16)
                            .map(|a| {
                                Ipv6Addr::from(<[u8; 16]>::try_from(a).unwrap_or([0; 16]))
                                    .to_string()
                            })
                            .collect();
                        let _ = write!(out, "ipv6hint={}", hints.join(","));
                    }
                    SvcParam::Mandatory(keys) => {
                        out.push_str("mandatory");
                        for (i, key) in keys.chunks(2).enumerate() {
                            out.push(if i == 0 { '=' } else { ',' });
                            let key = u16::from_be_bytes([key[0], *key.get(1).unwrap_or(&0)]);
                            push_svc_key(out, key);
                        }
                    }
                    SvcParam::Ech(value) => {
                        out.push_str("ech");
                        if !value.is_empty() {
                            out.push('=');
                            out.push_str(&crate::dns::view::json_rdata::base64(value));
                        }
                    }
                    SvcParam::Other { key, value } => {
                        push_svc_key(out, *key);
                        if !value.is_empty() {
                            out.push('=');
                            quoted(out, value);
                        }
                    }
                }
            }
        }
        _ => return None,
    }
    Some(())
}

/// An SVCB parameter key by name (RFC 9460, 9461, 9540), `keyN` for the others, as
/// kdig (Knot's rrset-dump.c) and dig write them.
fn push_svc_key(out: &mut String, key: u16) {
    const NAMES: [&str; 9] = [
        "mandatory",
        "alpn",
        "no-default-alpn",
        "port",
        "ipv4hint",
        "ech",
        "ipv6hint",
        "dohpath",
        "ohttp",
    ];
    match NAMES.get(usize::from(key)) {
        Some(name) => out.push_str(name),
        None => {
            let _ = write!(out, "key{key}");
        }
    }
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
    sections(out, msg, m)?;
    let server = delivery.server;
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

/// A message's header, flags, EDNS pseudo-section and every section, as dig shows them.
pub fn sections(out: &mut impl Write, msg: &[u8], m: &Message<'_>) -> io::Result<()> {
    let h = &m.header;
    let opcode = Opcode(h.flags.opcode());
    let status = Rcode(m.rcode());
    writeln!(
        out,
        ";; ->>HEADER<<- opcode: {opcode}, status: {status}, id: {}",
        h.id
    )?;
    let flags: Vec<&str> = [
        (h.flags.is_response(), "qr"),
        (h.flags.authoritative(), "aa"),
        (h.flags.truncated(), "tc"),
        (h.flags.recursion_desired(), "rd"),
        (h.flags.recursion_available(), "ra"),
        (h.flags.authentic_data(), "ad"),
        (h.flags.checking_disabled(), "cd"),
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
    if let Some(edns) = m.edns() {
        writeln!(out, "\n;; OPT PSEUDOSECTION:")?;
        let flags = if edns.dnssec_ok { " do" } else { "" };
        writeln!(
            out,
            "; EDNS: version: {}, flags:{flags}; udp: {}",
            edns.version, edns.udp_size
        )?;
        for (code, value) in edns.options.iter() {
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
    Ok(())
}

/// Every message of a capture in dig's words, each after a line saying where it came
/// from (`;; FRAME 3 TIME 0.010000 192.0.2.1#53 -> 192.0.2.2#5353 UDP, 61 bytes`).
#[derive(Clone, Copy, Debug, Default)]
pub struct DigRender;

impl Render for DigRender {
    fn render(&mut self, row: &Row<'_>, out: &mut Vec<u8>) {
        // Writing into a Vec cannot fail.
        let _ = dig_message(out, row);
    }
}

fn dig_message(out: &mut Vec<u8>, row: &Row<'_>) -> io::Result<()> {
    let o = &row.origin;
    let rel = row.relative_ns();
    writeln!(
        out,
        ";; FRAME {} TIME {}.{:06} {}#{} -> {}#{} {}, {} bytes",
        o.frame,
        rel.div_euclid(1_000_000_000).max(0),
        rel.rem_euclid(1_000_000_000) / 1000,
        o.src,
        o.sport,
        o.dst,
        o.dport,
        if o.tcp { "TCP" } else { "UDP" },
        row.bytes.len()
    )?;
    match &row.message {
        Some(m) => {
            sections(out, row.bytes, m)?;
            if let Some(e) = &m.error {
                writeln!(out, ";; MALFORMED: {e}")?;
            }
        }
        None => writeln!(
            out,
            ";; MALFORMED: {} bytes, shorter than a DNS header",
            row.bytes.len()
        )?,
    }
    writeln!(out)
}
