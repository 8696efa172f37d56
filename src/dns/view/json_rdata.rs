//! Record data as JSON, from the one typed parser ([`RData`]): every field of the
//! types the parser knows (A, AAAA, NS, CNAME, PTR, DNAME, SOA, MINFO, RP, MX, AFSDB, RT,
//! KX, LP, TXT, SPF, SRV, NAPTR, HINFO, CAA, CERT, APL, IPSECKEY, DHCID, OPENPGPKEY,
//! SSHFP, TLSA, SMIMEA, URI, LOC, DS, CDS, DNSKEY, CDNSKEY, KEY, RRSIG, SIG, NSEC, NSEC3,
//! NSEC3PARAM, CSYNC, ZONEMD, NID, L32, L64, EUI48, EUI64, TSIG, SVCB/HTTPS, OPT with its
//! options), anything else as RFC 3597 unknown data. Data that does not fit
//! its type is reported with its offset and kept as hex; it never spoils the rest of
//! the message.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::dns::view::digits::push_u64_str;
use crate::dns::view::json::json_str;
use crate::dns::wire::rdata::{Gateway, RData, SvcParam, TypeBitmap};
use crate::dns::wire::registry::RecordType;
use crate::dns::wire::{Edns, NameRef, Record};

/// Bytes as a JSON string: printable ASCII kept, others as `\DDD` (DNS presentation).
fn json_bytes_text(out: &mut String, bytes: &[u8]) {
    let mut s = String::with_capacity(bytes.len());
    crate::dns::wire::name::push_text(&mut s, bytes);
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

/// Bytes in base64 (RFC 4648, padded), as presentation formats write keys and blobs.
pub(crate) fn base64(bytes: &[u8]) -> String {
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
    let mut s = String::new();
    crate::dns::view::dig::push_base32hex(&mut s, bytes);
    s
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
        push_u64_str(self.key(k), v.into());
    }
    fn float(&mut self, k: &str, v: f64) {
        let _ = write!(self.key(k), "{v}");
    }
    fn text(&mut self, k: &str, v: &[u8]) {
        json_bytes_text(self.key(k), v);
    }
    fn name(&mut self, k: &str, msg: &[u8], name: NameRef) {
        self.str(k, &name.to_string(msg));
    }
    fn end(self) {
        self.out.push('}');
    }
}

/// Writes the record's data as a JSON object: its typed fields, or for data that does
/// not fit its type, the error, its offset and the data in hex.
pub fn write_json(msg: &[u8], record: &Record, out: &mut String) {
    match RData::parse(msg, record) {
        Ok(data) => typed(msg, record, &data, out),
        Err(e) => {
            let mut o = Obj::new(out);
            o.str("error", &e.to_string());
            o.num("offset", e.offset() as u64);
            o.str("hex", &hex(record.rdata(msg)));
            o.end();
        }
    }
}

fn type_list(out: &mut String, types: TypeBitmap<'_>) {
    out.push('[');
    for (i, code) in types.types().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(out, &RecordType(code).to_string());
    }
    out.push(']');
}

fn typed(msg: &[u8], record: &Record, data: &RData<'_>, out: &mut String) {
    let mut o = Obj::new(out);
    match *data {
        RData::A(a) => {
            let out = o.key("address");
            out.push('"');
            crate::dns::view::digits::push_ipv4(out, a.octets());
            out.push('"');
        }
        RData::Aaaa(a) => o.str("address", &a.to_string()),
        RData::Name(n) => o.name("name", msg, n),
        RData::Soa {
            mname,
            rname,
            serial,
            refresh,
            retry,
            expire,
            minimum,
        } => {
            o.name("mname", msg, mname);
            o.name("rname", msg, rname);
            o.num("serial", serial);
            o.num("refresh", refresh);
            o.num("retry", retry);
            o.num("expire", expire);
            o.num("minimum", minimum);
        }
        RData::Mx {
            preference,
            exchange,
        } => {
            o.num("preference", preference);
            o.name("exchange", msg, exchange);
        }
        RData::Txt(ref strings) => {
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
        RData::Hinfo { cpu, os } => {
            o.text("cpu", cpu);
            o.text("os", os);
        }
        RData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            o.num("priority", priority);
            o.num("weight", weight);
            o.num("port", port);
            o.name("target", msg, target);
        }
        RData::Naptr {
            order,
            preference,
            flags,
            services,
            regexp,
            replacement,
        } => {
            o.num("order", order);
            o.num("preference", preference);
            o.text("flags", flags);
            o.text("services", services);
            o.text("regexp", regexp);
            o.name("replacement", msg, replacement);
        }
        RData::Caa { flags, tag, value } => {
            o.num("flags", flags);
            o.text("tag", tag);
            o.text("value", value);
        }
        RData::Sshfp {
            algorithm,
            fingerprint_type,
            fingerprint,
        } => {
            o.num("algorithm", algorithm);
            o.num("fingerprint_type", fingerprint_type);
            o.str("fingerprint", &hex(fingerprint));
        }
        RData::Tlsa {
            usage,
            selector,
            matching_type,
            data,
        } => {
            o.num("usage", usage);
            o.num("selector", selector);
            o.num("matching_type", matching_type);
            o.str("data", &hex(data));
        }
        RData::Uri {
            priority,
            weight,
            target,
        } => {
            o.num("priority", priority);
            o.num("weight", weight);
            o.text("target", target);
        }
        RData::Loc {
            size,
            horizontal_precision,
            vertical_precision,
            latitude,
            longitude,
            altitude,
        } => {
            let metres = |v: u8| f64::from(v >> 4) * 10f64.powi(i32::from(v & 0xf)) / 100.0;
            let angle = |raw: u32| (f64::from(raw) - f64::from(1u32 << 31)) / 3_600_000.0;
            o.num("version", 0u8);
            o.float("size_m", metres(size));
            o.float("horizontal_precision_m", metres(horizontal_precision));
            o.float("vertical_precision_m", metres(vertical_precision));
            o.float("latitude", angle(latitude));
            o.float("longitude", angle(longitude));
            o.float("altitude_m", (f64::from(altitude) - 10_000_000.0) / 100.0);
        }
        RData::LocOther { version, data } => {
            o.num("version", version);
            o.str("data", &hex(data));
        }
        RData::Ds {
            key_tag,
            algorithm,
            digest_type,
            digest,
        } => {
            o.num("key_tag", key_tag);
            o.num("algorithm", algorithm);
            o.num("digest_type", digest_type);
            o.str("digest", &hex(digest));
        }
        RData::Dnskey {
            flags,
            protocol,
            algorithm,
            public_key,
        } => {
            o.num("flags", flags);
            o.num("protocol", protocol);
            o.num("algorithm", algorithm);
            o.str("public_key", &base64(public_key));
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
            o.str("type_covered", &RecordType(type_covered).to_string());
            o.num("algorithm", algorithm);
            o.num("labels", labels);
            o.num("original_ttl", original_ttl);
            o.num("expiration", expiration);
            o.num("inception", inception);
            o.num("key_tag", key_tag);
            o.name("signer", msg, signer);
            o.str("signature", &base64(signature));
        }
        RData::Nsec { next, types } => {
            o.name("next", msg, next);
            type_list(o.key("types"), types);
        }
        RData::Nsec3 {
            algorithm,
            flags,
            iterations,
            salt,
            next_hashed_owner,
            types,
        } => {
            o.num("algorithm", algorithm);
            o.num("flags", flags);
            o.num("iterations", iterations);
            o.str("salt", &hex(salt));
            o.str("next_hashed_owner", &base32hex(next_hashed_owner));
            type_list(o.key("types"), types);
        }
        RData::Nsec3Param {
            algorithm,
            flags,
            iterations,
            salt,
        } => {
            o.num("algorithm", algorithm);
            o.num("flags", flags);
            o.num("iterations", iterations);
            o.str("salt", &hex(salt));
        }
        RData::Svcb {
            priority,
            target,
            ref params,
        } => {
            o.num("priority", priority);
            o.name("target", msg, target);
            let out = o.key("params");
            out.push('{');
            for (i, param) in params.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                svc_param(out, param);
            }
            out.push('}');
        }
        RData::Opt { options } => {
            let edns = Edns::of(msg, record);
            o.num("udp_payload_size", edns.udp_size);
            o.num("extended_rcode_high", edns.extended_rcode_high);
            o.num("version", edns.version);
            o.key("dnssec_ok")
                .push_str(if edns.dnssec_ok { "true" } else { "false" });
            let out = o.key("options");
            out.push('[');
            for (i, (code, data)) in options.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                edns_option(out, code, data);
            }
            out.push(']');
        }
        RData::NamePair { first, second } => {
            let (a, b) = if record.rtype == 14 {
                ("rmailbx", "emailbx")
            } else {
                ("mbox", "txt")
            };
            o.name(a, msg, first);
            o.name(b, msg, second);
        }
        RData::NumberName { number, name } => {
            let (a, b) = match record.rtype {
                18 => ("subtype", "hostname"),
                21 => ("preference", "intermediate_host"),
                36 => ("preference", "exchanger"),
                _ => ("preference", "fqdn"),
            };
            o.num(a, number);
            o.name(b, msg, name);
        }
        RData::Cert {
            cert_type,
            key_tag,
            algorithm,
            certificate,
        } => {
            o.num("type", cert_type);
            o.num("key_tag", key_tag);
            o.num("algorithm", algorithm);
            o.str("certificate", &base64(certificate));
        }
        RData::Apl(ref items) => {
            let out = o.key("items");
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let mut p = Obj::new(out);
                p.num("family", item.family);
                p.num("prefix", item.prefix);
                p.key("negated")
                    .push_str(if item.negated { "true" } else { "false" });
                p.str("address", &item.ip().to_string());
                p.end();
            }
            out.push(']');
        }
        RData::Ipseckey {
            precedence,
            algorithm,
            gateway,
            public_key,
        } => {
            o.num("precedence", precedence);
            let (kind, text) = match gateway {
                Gateway::None => (0u8, None),
                Gateway::V4(a) => (1, Some(a.to_string())),
                Gateway::V6(a) => (2, Some(a.to_string())),
                Gateway::Name(n) => (3, Some(n.to_string(msg))),
            };
            o.num("gateway_type", kind);
            o.num("algorithm", algorithm);
            match text {
                Some(text) => o.str("gateway", &text),
                None => o.key("gateway").push_str("null"),
            }
            o.str("public_key", &base64(public_key));
        }
        RData::Blob(data) => o.str("data", &base64(data)),
        RData::Csync {
            serial,
            flags,
            types,
        } => {
            o.num("serial", serial);
            o.num("flags", flags);
            type_list(o.key("types"), types);
        }
        RData::Zonemd {
            serial,
            scheme,
            hash_algorithm,
            digest,
        } => {
            o.num("serial", serial);
            o.num("scheme", scheme);
            o.num("hash_algorithm", hash_algorithm);
            o.str("digest", &hex(digest));
        }
        RData::Locator64 {
            preference,
            locator,
        } => {
            o.num("preference", preference);
            let groups: Vec<String> = locator.chunks(2).map(hex).collect();
            o.str(
                if record.rtype == 104 {
                    "node_id"
                } else {
                    "locator"
                },
                &groups.join(":"),
            );
        }
        RData::Locator32 {
            preference,
            locator,
        } => {
            o.num("preference", preference);
            o.str("locator", &locator.to_string());
        }
        RData::Eui(bytes) => {
            let pairs: Vec<String> = bytes.chunks(1).map(hex).collect();
            o.str("address", &pairs.join("-"));
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
            o.name("algorithm", msg, algorithm);
            o.num("time_signed", time_signed);
            o.num("fudge", fudge);
            o.str("mac", &base64(mac));
            o.num("original_id", original_id);
            o.num("error", error);
            o.str("other", &hex(other));
        }
        RData::Unknown(data) => {
            o.str("unknown", &format!("\\# {} {}", data.len(), hex(data)));
        }
    }
    o.end();
}

fn svc_param(out: &mut String, param: &SvcParam<'_>) {
    let key = param.key();
    match SvcParam::key_name(key) {
        Some(name) => json_str(out, name),
        None => json_str(out, &format!("key{key}")),
    }
    out.push(':');
    let list = |out: &mut String, items: Vec<String>| {
        out.push('[');
        out.push_str(&items.join(","));
        out.push(']');
    };
    match param {
        SvcParam::Alpn(ids) => {
            out.push('[');
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_bytes_text(out, id);
            }
            out.push(']');
        }
        SvcParam::Port(port) => push_u64_str(out, u64::from(*port)),
        SvcParam::Ipv4Hint(value) => list(
            out,
            value
                .chunks(4)
                .map(|a| format!("\"{}\"", Ipv4Addr::new(a[0], a[1], a[2], a[3])))
                .collect(),
        ),
        SvcParam::Ipv6Hint(value) => list(
            out,
            value
                .chunks(16)
                .map(|a| {
                    format!(
                        "\"{}\"",
                        Ipv6Addr::from(<[u8; 16]>::try_from(a).unwrap_or([0; 16]))
                    )
                })
                .collect(),
        ),
        SvcParam::Mandatory(value) => list(
            out,
            value
                .chunks(2)
                .map(|k| format!("{}", u16::from_be_bytes([k[0], *k.get(1).unwrap_or(&0)])))
                .collect(),
        ),
        SvcParam::Ech(value) => json_str(out, &base64(value)),
        SvcParam::NoDefaultAlpn => out.push_str("true"),
        SvcParam::Other { value, .. } => json_bytes_text(out, value),
    }
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
