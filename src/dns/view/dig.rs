//! The dig view: records in presentation format (RFC 1035 master-file style) and whole
//! messages as dig prints them, for `query` replies and, as a sink, for every message
//! of a capture (`pcaptool dns --format dig`).

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::Duration;

use crate::capture::Timestamp;
use crate::dns::decode::{Render, Row};
use crate::dns::wire::rdata::{Gateway, RData, SvcParam, TypeBitmap};
use crate::dns::wire::registry::{self as types, Class, Opcode, Rcode, RecordType};
use crate::dns::wire::{Message, NameRef, Record};

/// Record data as master-file text, as kdig (Knot's `rrset-dump.c`) writes it on one
/// line; data that does not fit its type, and types without a text form, as RFC 3597
/// `\\# len HEX`.
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
            push_hex(out, data);
        }
    }
}

/// A name with its final dot (the root is `.`).
pub fn fqdn(msg: &[u8], at: usize) -> String {
    let mut out = String::new();
    push_fqdn(&mut out, msg, NameRef { offset: at });
    out
}

fn push_fqdn(out: &mut String, msg: &[u8], name: NameRef) {
    let text = name.to_string(msg);
    out.push_str(&text);
    if text != "." {
        out.push('.');
    }
}

/// A character-string in double quotes.
fn quoted(out: &mut String, bytes: &[u8]) {
    out.push('"');
    crate::dns::wire::name::push_text(out, bytes);
    out.push('"');
}

/// Bytes in upper-case hexadecimal, as dig and kdig write digests and unknown data.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
}

fn push_num(out: &mut String, n: impl Into<u64>) {
    crate::dns::view::digits::push_u64(out, n.into());
}

/// Numbers and fields separated by single spaces.
fn push_fields(out: &mut String, numbers: &[u64]) {
    for (i, n) in numbers.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        push_num(out, *n);
    }
}

/// A type by its mnemonic, `TYPEnnn` when it has none.
fn push_type(out: &mut String, code: u16) {
    let _ = write!(out, "{}", RecordType(code));
}

fn push_types(out: &mut String, types: TypeBitmap<'_>) {
    for (i, code) in types.types().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        push_type(out, code);
    }
}

/// A DNSSEC time stamp as `YYYYMMDDHHmmSS` in UTC (RFC 4034 3.2), the field read as an
/// unsigned count of seconds since 1970.
fn push_timestamp(out: &mut String, secs: u32) {
    let (year, month, day) = Timestamp::new(i64::from(secs), 0).date();
    let of_day = secs % 86_400;
    let _ = write!(
        out,
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    );
}

/// Base 32 with the extended hex alphabet in lower case, no padding (NSEC3, RFC 5155).
pub(crate) fn push_base32hex(out: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let (mut buffer, mut bits) = (0u32, 0);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
}

/// Hexadecimal salt, `-` for none (RFC 5155 3.3).
fn push_salt(out: &mut String, salt: &[u8]) {
    if salt.is_empty() {
        out.push('-');
    } else {
        push_hex(out, salt);
    }
}

/// A LOC record (RFC 1876) the way kdig writes it: degrees, minutes, seconds with
/// three decimals only when not whole, metres with two decimals only when not whole.
fn push_loc(out: &mut String, loc: [u32; 3], sizes: [u8; 3]) -> Option<()> {
    const ZERO: u32 = 1 << 31;
    let angle = |out: &mut String, raw: u32, marks: [char; 2]| {
        let (value, mark) = if raw >= ZERO {
            (raw - ZERO, marks[0])
        } else {
            (ZERO - raw, marks[1])
        };
        let degrees = value / 3_600_000;
        let minutes = value % 3_600_000 / 60_000;
        let millis = value % 60_000;
        let _ = write!(out, "{degrees} {minutes} ");
        if millis % 1000 == 0 {
            let _ = write!(out, "{}", millis / 1000);
        } else {
            let _ = write!(out, "{}.{:03}", millis / 1000, millis % 1000);
        }
        let _ = write!(out, " {mark}");
    };
    // Centimetres as metres: `m` alone when whole, else two decimals.
    let metres = |out: &mut String, cm: i64| {
        if cm % 100 == 0 {
            let _ = write!(out, "{}m", cm / 100);
        } else {
            let sign = if cm < 0 { "-" } else { "" };
            let _ = write!(out, "{sign}{}.{:02}m", cm.abs() / 100, cm.abs() % 100);
        }
    };
    angle(out, loc[0], ['N', 'S']);
    out.push_str("  ");
    angle(out, loc[1], ['E', 'W']);
    out.push_str("  ");
    metres(out, i64::from(loc[2]) - 10_000_000);
    for (i, size) in sizes.into_iter().enumerate() {
        let (mantissa, exponent) = (size >> 4, size & 15);
        if mantissa > 9 || exponent > 9 {
            return None;
        }
        out.push_str(if i == 0 { "  " } else { " " });
        metres(out, i64::from(mantissa) * 10i64.pow(u32::from(exponent)));
    }
    Some(())
}

/// The text of each type kdig writes in presentation format; `None` for the others.
fn presentation(msg: &[u8], data: &RData<'_>, out: &mut String) -> Option<()> {
    use crate::dns::view::digits;
    use crate::dns::view::json_rdata::base64;
    match *data {
        // As inet_ntop writes them (dig's and kdig's own words).
        RData::A(a) => digits::push_ipv4(out, a.octets()),
        RData::Aaaa(a) => digits::push_ipv6(out, a.octets()),
        RData::Name(n) => push_fqdn(out, msg, n),
        RData::NamePair { first, second } => {
            push_fqdn(out, msg, first);
            out.push(' ');
            push_fqdn(out, msg, second);
        }
        RData::Mx {
            preference: number,
            exchange: name,
        }
        | RData::NumberName { number, name } => {
            push_num(out, number);
            out.push(' ');
            push_fqdn(out, msg, name);
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
            push_fqdn(out, msg, mname);
            out.push(' ');
            push_fqdn(out, msg, rname);
            out.push(' ');
            push_fields(
                out,
                &[serial, refresh, retry, expire, minimum].map(u64::from),
            );
        }
        RData::Txt(ref strings) => {
            for (i, s) in strings.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                quoted(out, s);
            }
        }
        RData::Hinfo { cpu, os } => {
            quoted(out, cpu);
            out.push(' ');
            quoted(out, os);
        }
        RData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            push_fields(out, &[priority, weight, port].map(u64::from));
            out.push(' ');
            push_fqdn(out, msg, target);
        }
        RData::Naptr {
            order,
            preference,
            flags,
            services,
            regexp,
            replacement,
        } => {
            push_fields(out, &[order, preference].map(u64::from));
            for text in [flags, services, regexp] {
                out.push(' ');
                quoted(out, text);
            }
            out.push(' ');
            push_fqdn(out, msg, replacement);
        }
        RData::Caa { flags, tag, value } => {
            push_num(out, flags);
            out.push(' ');
            // The tag is bare unless it holds a space (kdig's parser protection).
            if tag.contains(&b' ') {
                quoted(out, tag);
            } else {
                crate::dns::wire::name::push_escaped(out, tag, *b"\"\\", b'!');
            }
            out.push(' ');
            quoted(out, value);
        }
        RData::Uri {
            priority,
            weight,
            target,
        } => {
            push_fields(out, &[priority, weight].map(u64::from));
            out.push(' ');
            quoted(out, target);
        }
        RData::Dnskey {
            flags,
            protocol,
            algorithm,
            public_key,
        } => {
            push_fields(out, &[u64::from(flags), protocol.into(), algorithm.into()]);
            out.push(' ');
            out.push_str(&base64(public_key));
        }
        RData::Cert {
            cert_type,
            key_tag,
            algorithm,
            certificate,
        } => {
            push_fields(
                out,
                &[u64::from(cert_type), key_tag.into(), algorithm.into()],
            );
            out.push(' ');
            out.push_str(&base64(certificate));
        }
        RData::Ds {
            key_tag,
            algorithm,
            digest_type,
            digest,
        } => {
            push_fields(
                out,
                &[u64::from(key_tag), algorithm.into(), digest_type.into()],
            );
            out.push(' ');
            push_hex(out, digest);
        }
        RData::Sshfp {
            algorithm,
            fingerprint_type,
            fingerprint,
        } => {
            push_fields(out, &[algorithm, fingerprint_type].map(u64::from));
            out.push(' ');
            push_hex(out, fingerprint);
        }
        RData::Tlsa {
            usage,
            selector,
            matching_type,
            data,
        } => {
            push_fields(out, &[usage, selector, matching_type].map(u64::from));
            out.push(' ');
            push_hex(out, data);
        }
        RData::Zonemd {
            serial,
            scheme,
            hash_algorithm,
            digest,
        } => {
            push_fields(
                out,
                &[u64::from(serial), scheme.into(), hash_algorithm.into()],
            );
            out.push(' ');
            push_hex(out, digest);
        }
        RData::Loc {
            size,
            horizontal_precision,
            vertical_precision,
            latitude,
            longitude,
            altitude,
        } => push_loc(
            out,
            [latitude, longitude, altitude],
            [size, horizontal_precision, vertical_precision],
        )?,
        RData::Apl(ref items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                if item.negated {
                    out.push('!');
                }
                let _ = write!(out, "{}:", item.family);
                digits::push_ip(out, item.ip());
                let _ = write!(out, "/{}", item.prefix);
            }
        }
        RData::Ipseckey {
            precedence,
            algorithm,
            gateway,
            public_key,
        } => {
            let kind: u8 = match gateway {
                Gateway::None => 0,
                Gateway::V4(_) => 1,
                Gateway::V6(_) => 2,
                Gateway::Name(_) => 3,
            };
            push_fields(out, &[precedence, kind, algorithm].map(u64::from));
            out.push(' ');
            match gateway {
                Gateway::None => out.push('.'),
                Gateway::V4(a) => digits::push_ipv4(out, a.octets()),
                Gateway::V6(a) => digits::push_ipv6(out, a.octets()),
                Gateway::Name(n) => push_fqdn(out, msg, n),
            }
            if algorithm > 0 {
                out.push(' ');
                out.push_str(&base64(public_key));
            }
        }
        RData::Rrsig {
            type_covered,
            algorithm,
            labels,
            original_ttl,
            expiration,
            inception,
            key_tag,
            signer,
            signature,
        } => {
            push_type(out, type_covered);
            out.push(' ');
            push_fields(
                out,
                &[u64::from(algorithm), labels.into(), original_ttl.into()],
            );
            out.push(' ');
            push_timestamp(out, expiration);
            out.push(' ');
            push_timestamp(out, inception);
            out.push(' ');
            push_num(out, key_tag);
            out.push(' ');
            push_fqdn(out, msg, signer);
            out.push(' ');
            out.push_str(&base64(signature));
        }
        RData::Nsec { next, types } => {
            push_fqdn(out, msg, next);
            out.push(' ');
            push_types(out, types);
        }
        RData::Blob(data) => out.push_str(&base64(data)),
        RData::Nsec3 {
            algorithm,
            flags,
            iterations,
            salt,
            next_hashed_owner,
            types,
        } => {
            push_fields(
                out,
                &[u64::from(algorithm), flags.into(), iterations.into()],
            );
            out.push(' ');
            push_salt(out, salt);
            out.push(' ');
            push_base32hex(out, next_hashed_owner);
            out.push(' ');
            push_types(out, types);
        }
        RData::Nsec3Param {
            algorithm,
            flags,
            iterations,
            salt,
        } => {
            push_fields(
                out,
                &[u64::from(algorithm), flags.into(), iterations.into()],
            );
            out.push(' ');
            push_salt(out, salt);
        }
        RData::Csync {
            serial,
            flags,
            types,
        } => {
            push_fields(out, &[u64::from(serial), flags.into()]);
            out.push(' ');
            push_types(out, types);
        }
        RData::Locator64 {
            preference,
            locator,
        } => {
            push_num(out, preference);
            for (i, pair) in locator.chunks(2).enumerate() {
                out.push(if i == 0 { ' ' } else { ':' });
                push_hex(out, pair);
            }
        }
        RData::Locator32 {
            preference,
            locator,
        } => {
            push_num(out, preference);
            out.push(' ');
            digits::push_ipv4(out, locator.octets());
        }
        RData::Eui(bytes) => {
            for (i, b) in bytes.iter().enumerate() {
                if i > 0 {
                    out.push('-');
                }
                push_hex(out, &[*b]);
            }
        }
        RData::Tsig {
            algorithm,
            time_signed,
            fudge,
            mac,
            original_id,
            error,
            other,
        } => {
            push_fqdn(out, msg, algorithm);
            out.push(' ');
            push_fields(out, &[time_signed, fudge.into(), mac.len() as u64]);
            if !mac.is_empty() {
                out.push(' ');
                out.push_str(&base64(mac));
            }
            out.push(' ');
            push_num(out, original_id);
            out.push(' ');
            // TSIG's own error names (RFC 8945), then the message rcodes.
            match error {
                16 => out.push_str("BADSIG"),
                0..=10 | 17..=23 => {
                    let _ = write!(out, "{}", Rcode(error));
                }
                _ => out.push_str("Unknown"),
            }
            out.push(' ');
            push_num(out, other.len() as u64);
            if other.len() == 6 {
                out.push(' ');
                let high = u64::from(u16::from_be_bytes([other[0], other[1]]));
                let low = u64::from(u32::from_be_bytes([other[2], other[3], other[4], other[5]]));
                push_num(out, (high << 32) | low);
            } else if !other.is_empty() {
                return None;
            }
        }
        RData::Svcb {
            priority,
            target,
            ref params,
        } => {
            push_num(out, priority);
            out.push(' ');
            push_fqdn(out, msg, target);
            for param in params {
                out.push(' ');
                push_svc_param(out, param);
            }
        }
        RData::Opt { .. } | RData::LocOther { .. } | RData::Unknown(_) => return None,
    }
    Some(())
}

fn push_svc_param(out: &mut String, param: &SvcParam<'_>) {
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
            out.push_str("ipv4hint");
            for (i, a) in value.chunks(4).enumerate() {
                out.push(if i == 0 { '=' } else { ',' });
                crate::dns::view::digits::push_ipv4(out, [a[0], a[1], a[2], a[3]]);
            }
        }
        SvcParam::Ipv6Hint(value) => {
            out.push_str("ipv6hint");
            for (i, a) in value.chunks(16).enumerate() {
                out.push(if i == 0 { '=' } else { ',' });
                crate::dns::view::digits::push_ipv6(out, a.try_into().unwrap_or([0; 16]));
            }
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
    let (secs, nanos) = row.relative_parts();
    writeln!(
        out,
        ";; FRAME {} TIME {}.{:06} {}#{} -> {}#{} {}, {} bytes",
        o.frame,
        secs,
        nanos / 1000,
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
