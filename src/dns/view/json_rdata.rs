//! Typed record data, written as JSON: every field of the common types (A, AAAA, NS,
//! CNAME, PTR, DNAME, SOA, MX, TXT, SRV, NAPTR, HINFO, CAA, SSHFP, TLSA, URI, LOC, DS,
//! DNSKEY, RRSIG, NSEC, NSEC3, NSEC3PARAM, SVCB/HTTPS, OPT with its options), anything
//! else as RFC 3597 unknown data. Data that does not fit its type is reported with its
//! offset and kept as hex; it never spoils the rest of the message.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::dns::view::json::json_str;
use crate::dns::wire::registry::{self as types, RecordType};
use crate::dns::wire::{skip_name, DecodeError, NameRef, Record};

/// Bytes as a JSON string: printable ASCII kept, others as `\DDD` (DNS presentation).
fn json_bytes_text(out: &mut String, bytes: &[u8]) {
    let mut s = String::with_capacity(bytes.len());
    crate::dns::view::dig::escape_text(&mut s, bytes);
    json_str(out, &s);
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(BASE64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// Base 32 with the extended hex alphabet, no padding (NSEC3 hashes, RFC 5155).
fn base32hex(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let mut s = String::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            s.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        s.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    s
}

/// Reads fields from one record's data; names may point anywhere in the message.
struct Fields<'a> {
    msg: &'a [u8],
    at: usize,
    end: usize,
}

impl<'a> Fields<'a> {
    fn bad(&self, what: &'static str) -> DecodeError {
        DecodeError::BadRdata {
            what,
            offset: self.at,
        }
    }
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.at + n > self.end {
            return Err(self.bad(what));
        }
        let s = &self.msg[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn name(&mut self) -> Result<String, DecodeError> {
        let start = self.at;
        let next = skip_name(&self.msg[..self.msg.len()], start)?;
        if next > self.end {
            return Err(self.bad("name runs past the record data"));
        }
        self.at = next;
        Ok(NameRef { offset: start }.to_string(self.msg))
    }
    fn char_string(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = usize::from(self.u8(what)?);
        self.take(len, what)
    }
    fn rest(&mut self) -> &'a [u8] {
        let s = &self.msg[self.at..self.end];
        self.at = self.end;
        s
    }
    fn done(&self) -> bool {
        self.at >= self.end
    }
}

/// Appends `"key":` and the value written by `f`, comma-separated.
struct Obj<'o> {
    out: &'o mut String,
    first: bool,
}

impl<'o> Obj<'o> {
    fn new(out: &'o mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }
    fn key(&mut self, k: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(k);
        self.out.push_str("\":");
        self.out
    }
    fn str(&mut self, k: &str, v: &str) {
        json_str(self.key(k), v);
    }
    fn num(&mut self, k: &str, v: impl Into<u64>) {
        crate::dns::view::digits::push_u64_str(self.key(k), v.into());
    }
    fn float(&mut self, k: &str, v: f64) {
        let _ = write!(self.key(k), "{v}");
    }
    fn text(&mut self, k: &str, v: &[u8]) {
        json_bytes_text(self.key(k), v);
    }
    fn end(self) {
        self.out.push('}');
    }
}

/// Writes the record's data as a JSON object.
pub fn write_json(msg: &[u8], record: &Record, out: &mut String) {
    let mut f = Fields {
        msg,
        at: record.rdata_offset,
        end: record.rdata_offset + record.rdata_len,
    };
    let start = out.len();
    let result = typed(&mut f, record, out);
    if result.is_err() || !(f.done() || record.rtype == types::TYPE_OPT) {
        out.truncate(start);
    }
    match result {
        Ok(()) if f.done() || record.rtype == types::TYPE_OPT => {}
        Ok(()) => {
            let mut o = Obj::new(out);
            o.str("error", "record data longer than its fields");
            o.num("offset", f.at as u64);
            o.str("hex", &hex(record.rdata(msg)));
            o.end();
        }
        Err(e) => {
            let mut o = Obj::new(out);
            o.str("error", &e.to_string());
            o.num("offset", e.offset() as u64);
            o.str("hex", &hex(record.rdata(msg)));
            o.end();
        }
    }
}

fn type_list(out: &mut String, bitmap: &[u8]) -> Result<(), DecodeError> {
    out.push('[');
    let mut at = 0;
    let mut first = true;
    while at + 2 <= bitmap.len() {
        let window = u16::from(bitmap[at]);
        let len = usize::from(bitmap[at + 1]);
        let Some(bits) = bitmap.get(at + 2..at + 2 + len) else {
            return Err(DecodeError::BadRdata {
                what: "type bitmap window",
                offset: at,
            });
        };
        for (i, byte) in bits.iter().enumerate() {
            for bit in 0..8 {
                if byte & (0x80 >> bit) != 0 {
                    let code = window * 256 + (i as u16) * 8 + bit;
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    json_str(out, &RecordType(code).to_string());
                }
            }
        }
        at += 2 + len;
    }
    out.push(']');
    Ok(())
}

fn typed(f: &mut Fields<'_>, record: &Record, out: &mut String) -> Result<(), DecodeError> {
    let mut o = Obj::new(out);
    match record.rtype {
        1 if f.end - f.at == 4 => {
            let a = f.take(4, "address")?;
            o.str(
                "address",
                &Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string(),
            );
        }
        28 => {
            let a: [u8; 16] = f.take(16, "address")?.try_into().unwrap_or([0; 16]);
            o.str("address", &Ipv6Addr::from(a).to_string());
        }
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 | 39 => {
            let n = f.name()?;
            o.str("name", &n);
        }
        6 => {
            let mname = f.name()?;
            let rname = f.name()?;
            o.str("mname", &mname);
            o.str("rname", &rname);
            for k in ["serial", "refresh", "retry", "expire", "minimum"] {
                let v = f.u32(k)?;
                o.num(k, v);
            }
        }
        15 => {
            let p = f.u16("preference")?;
            let n = f.name()?;
            o.num("preference", p);
            o.str("exchange", &n);
        }
        16 | 99 => {
            let mut strings = Vec::new();
            while !f.done() {
                strings.push(f.char_string("character-string")?);
            }
            let out = o.key("strings");
            out.push('[');
            for (i, s) in strings.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_bytes_text(out, s);
            }
            out.push(']');
        }
        13 => {
            let cpu = f.char_string("cpu")?;
            let os = f.char_string("os")?;
            o.text("cpu", cpu);
            o.text("os", os);
        }
        33 => {
            let (p, w, port) = (f.u16("priority")?, f.u16("weight")?, f.u16("port")?);
            let t = f.name()?;
            o.num("priority", p);
            o.num("weight", w);
            o.num("port", port);
            o.str("target", &t);
        }
        35 => {
            let (order, pref) = (f.u16("order")?, f.u16("preference")?);
            let flags = f.char_string("flags")?;
            let services = f.char_string("services")?;
            let regexp = f.char_string("regexp")?;
            let replacement = f.name()?;
            o.num("order", order);
            o.num("preference", pref);
            o.text("flags", flags);
            o.text("services", services);
            o.text("regexp", regexp);
            o.str("replacement", &replacement);
        }
        257 => {
            let flags = f.u8("flags")?;
            let tag = f.char_string("tag")?;
            let value = f.rest();
            o.num("flags", flags);
            o.text("tag", tag);
            o.text("value", value);
        }
        44 => {
            let (alg, fp_type) = (f.u8("algorithm")?, f.u8("fingerprint type")?);
            o.num("algorithm", alg);
            o.num("fingerprint_type", fp_type);
            o.str("fingerprint", &hex(f.rest()));
        }
        52 | 53 => {
            let (usage, selector, mtype) =
                (f.u8("usage")?, f.u8("selector")?, f.u8("matching type")?);
            o.num("usage", usage);
            o.num("selector", selector);
            o.num("matching_type", mtype);
            o.str("data", &hex(f.rest()));
        }
        256 => {
            let (p, w) = (f.u16("priority")?, f.u16("weight")?);
            o.num("priority", p);
            o.num("weight", w);
            o.text("target", f.rest());
        }
        29 => {
            let version = f.u8("version")?;
            o.num("version", version);
            if version == 0 {
                let size = |v: u8| f64::from(v >> 4) * 10f64.powi(i32::from(v & 0xf)) / 100.0;
                let (s, h, v) = (
                    f.u8("size")?,
                    f.u8("horizontal precision")?,
                    f.u8("vertical precision")?,
                );
                let angle = |raw: u32| (f64::from(raw) - f64::from(1u32 << 31)) / 3_600_000.0;
                let (lat, lon, alt) = (f.u32("latitude")?, f.u32("longitude")?, f.u32("altitude")?);
                o.float("size_m", size(s));
                o.float("horizontal_precision_m", size(h));
                o.float("vertical_precision_m", size(v));
                o.float("latitude", angle(lat));
                o.float("longitude", angle(lon));
                o.float("altitude_m", (f64::from(alt) - 10_000_000.0) / 100.0);
            } else {
                o.str("data", &hex(f.rest()));
            }
        }
        43 | 59 | 32768 | 32769 => {
            let (tag, alg, dtype) = (f.u16("key tag")?, f.u8("algorithm")?, f.u8("digest type")?);
            o.num("key_tag", tag);
            o.num("algorithm", alg);
            o.num("digest_type", dtype);
            o.str("digest", &hex(f.rest()));
        }
        48 | 60 | 25 => {
            let (flags, protocol, alg) = (f.u16("flags")?, f.u8("protocol")?, f.u8("algorithm")?);
            o.num("flags", flags);
            o.num("protocol", protocol);
            o.num("algorithm", alg);
            o.str("public_key", &base64(f.rest()));
        }
        46 | 24 => {
            let covered = f.u16("type covered")?;
            let (alg, labels) = (f.u8("algorithm")?, f.u8("labels")?);
            let (ttl, exp, inc) = (
                f.u32("original ttl")?,
                f.u32("expiration")?,
                f.u32("inception")?,
            );
            let tag = f.u16("key tag")?;
            let signer = f.name()?;
            o.str("type_covered", &RecordType(covered).to_string());
            o.num("algorithm", alg);
            o.num("labels", labels);
            o.num("original_ttl", ttl);
            o.num("expiration", exp);
            o.num("inception", inc);
            o.num("key_tag", tag);
            o.str("signer", &signer);
            o.str("signature", &base64(f.rest()));
        }
        47 => {
            let next = f.name()?;
            o.str("next", &next);
            let bitmap = f.rest();
            type_list(o.key("types"), bitmap)?;
        }
        50 => {
            let (alg, flags, iterations) =
                (f.u8("algorithm")?, f.u8("flags")?, f.u16("iterations")?);
            let salt = f.char_string("salt")?;
            let next = f.char_string("next hashed owner")?;
            o.num("algorithm", alg);
            o.num("flags", flags);
            o.num("iterations", iterations);
            o.str("salt", &hex(salt));
            o.str("next_hashed_owner", &base32hex(next));
            let bitmap = f.rest();
            type_list(o.key("types"), bitmap)?;
        }
        51 => {
            let (alg, flags, iterations) =
                (f.u8("algorithm")?, f.u8("flags")?, f.u16("iterations")?);
            let salt = f.char_string("salt")?;
            o.num("algorithm", alg);
            o.num("flags", flags);
            o.num("iterations", iterations);
            o.str("salt", &hex(salt));
        }
        64 | 65 => {
            let priority = f.u16("priority")?;
            let target = f.name()?;
            o.num("priority", priority);
            o.str("target", &target);
            let out = o.key("params");
            out.push('{');
            let mut first = true;
            while !f.done() {
                let key = f.u16("parameter key")?;
                let len = usize::from(f.u16("parameter length")?);
                let value = f.take(len, "parameter value")?;
                if !first {
                    out.push(',');
                }
                first = false;
                svc_param(out, key, value)?;
            }
            out.push('}');
        }
        41 => {
            o.num("udp_payload_size", record.class);
            o.num("extended_rcode_high", record.ttl >> 24);
            o.num("version", (record.ttl >> 16) & 0xff);
            o.key("dnssec_ok").push_str(if record.ttl & 0x8000 != 0 {
                "true"
            } else {
                "false"
            });
            let out = o.key("options");
            out.push('[');
            let mut first = true;
            while !f.done() {
                let code = f.u16("option code")?;
                let len = usize::from(f.u16("option length")?);
                let data = f.take(len, "option data")?;
                if !first {
                    out.push(',');
                }
                first = false;
                edns_option(out, code, data);
            }
            out.push(']');
        }
        _ => {
            let data = f.rest();
            o.str("unknown", &format!("\\# {} {}", data.len(), hex(data)));
        }
    }
    o.end();
    Ok(())
}

fn svc_param(out: &mut String, key: u16, value: &[u8]) -> Result<(), DecodeError> {
    let bad = |what| DecodeError::BadRdata { what, offset: 0 };
    let name = match key {
        0 => "mandatory",
        1 => "alpn",
        2 => "no-default-alpn",
        3 => "port",
        4 => "ipv4hint",
        5 => "ech",
        6 => "ipv6hint",
        7 => "dohpath",
        _ => "",
    };
    if name.is_empty() {
        json_str(out, &format!("key{key}"));
    } else {
        json_str(out, name);
    }
    out.push(':');
    match key {
        1 => {
            let mut ids = Vec::new();
            let mut at = 0;
            while at < value.len() {
                let len = usize::from(value[at]);
                ids.push(value.get(at + 1..at + 1 + len).ok_or(bad("alpn id"))?);
                at += 1 + len;
            }
            out.push('[');
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_bytes_text(out, id);
            }
            out.push(']');
        }
        3 if value.len() == 2 => {
            let _ = write!(out, "{}", u16::from_be_bytes([value[0], value[1]]));
        }
        3 => return Err(bad("port is not 2 bytes")),
        4 if value.len().is_multiple_of(4) => {
            let list: Vec<String> = value
                .chunks(4)
                .map(|a| format!("\"{}\"", Ipv4Addr::new(a[0], a[1], a[2], a[3])))
                .collect();
            let _ = write!(out, "[{}]", list.join(","));
        }
        6 if value.len().is_multiple_of(16) => {
            let list: Vec<String> = value
                .chunks(16)
                .map(|a| {
                    format!(
                        "\"{}\"",
                        Ipv6Addr::from(<[u8; 16]>::try_from(a).unwrap_or([0; 16]))
                    )
                })
                .collect();
            let _ = write!(out, "[{}]", list.join(","));
        }
        4 | 6 => return Err(bad("address hint length")),
        0 => {
            let keys: Vec<String> = value
                .chunks(2)
                .map(|k| format!("{}", u16::from_be_bytes([k[0], *k.get(1).unwrap_or(&0)])))
                .collect();
            let _ = write!(out, "[{}]", keys.join(","));
        }
        5 => json_str(out, &base64(value)),
        2 => out.push_str("true"),
        _ => json_bytes_text(out, value),
    }
    Ok(())
}

fn edns_option(out: &mut String, code: u16, data: &[u8]) {
    let mut o = Obj::new(out);
    o.num("code", code);
    match code {
        3 => {
            o.str("name", "NSID");
            o.str("hex", &hex(data));
            o.text("text", data);
        }
        8 if data.len() >= 4 => {
            o.str("name", "ECS");
            let family = u16::from_be_bytes([data[0], data[1]]);
            o.num("family", family);
            o.num("source_prefix", data[2]);
            o.num("scope_prefix", data[3]);
            let addr = &data[4..];
            match family {
                1 if addr.len() <= 4 => {
                    let mut a = [0u8; 4];
                    a[..addr.len()].copy_from_slice(addr);
                    o.str("address", &Ipv4Addr::from(a).to_string());
                }
                2 if addr.len() <= 16 => {
                    let mut a = [0u8; 16];
                    a[..addr.len()].copy_from_slice(addr);
                    o.str("address", &Ipv6Addr::from(a).to_string());
                }
                _ => o.str("error", "address does not fit its family"),
            }
        }
        10 => {
            o.str("name", "COOKIE");
            o.str("client", &hex(&data[..data.len().min(8)]));
            if data.len() > 8 {
                o.str("server", &hex(&data[8..]));
            }
            if data.len() < 8 || (data.len() > 8 && !(16..=40).contains(&data.len())) {
                o.str("error", "cookie length");
            }
        }
        11 => {
            o.str("name", "KEEPALIVE");
            if data.len() == 2 {
                o.num(
                    "timeout_ms",
                    u32::from(u16::from_be_bytes([data[0], data[1]])) * 100,
                );
            }
        }
        12 => {
            o.str("name", "PADDING");
            o.num("length", data.len() as u64);
        }
        15 if data.len() >= 2 => {
            o.str("name", "EDE");
            o.num("info_code", u16::from_be_bytes([data[0], data[1]]));
            o.text("extra_text", &data[2..]);
        }
        _ => {
            o.str("hex", &hex(data));
        }
    }
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(base64(b"hi!"), "aGkh");
        assert_eq!(base32hex(&[0xff, 0xff, 0xff, 0xff, 0xff]), "vvvvvvvv");
    }
}
