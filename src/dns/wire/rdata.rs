//! Record data, typed: the one parser every view reads record data through (JSON, the
//! dig view, and what comes). Fields are borrowed from the message; names stay
//! [`NameRef`]s, read when shown. Data that does not fit its type is an error with its
//! offset in the message, so a view can fall back to the raw bytes (RFC 3597).
//!
//! ```
//! use pcaptool::dns::wire::{rdata::RData, Message};
//! let mut q = pcaptool::dns::Message::query(7, "example.com".parse().unwrap(), 15);
//! q.flags.set(pcaptool::dns::wire::Flags::QR, true);
//! q.answers.push(pcaptool::dns::Record {
//!     name: "example.com".parse().unwrap(), rtype: 15, class: 1, ttl: 300,
//!     data: pcaptool::dns::RData::Raw(b"\x00\x0a\x04mail\xc0\x0c".to_vec()),
//! });
//! let bytes = q.encode();
//! let m = Message::parse(&bytes).unwrap();
//! match RData::parse(&bytes, &m.answers[0]).unwrap() {
//!     RData::Mx { preference, exchange } => {
//!         assert_eq!((preference, exchange.to_string(&bytes).as_str()), (10, "mail.example.com"))
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```

use std::net::{Ipv4Addr, Ipv6Addr};

use super::registry::TYPE_OPT;
use super::{skip_name, DecodeError, NameRef, Record};

/// The data of one record, by type.
#[derive(Clone, Debug, PartialEq)]
pub enum RData<'a> {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    /// NS, MD, MF, CNAME, MB, MG, MR, PTR, DNAME: one name.
    Name(NameRef),
    Soa {
        mname: NameRef,
        rname: NameRef,
        serial: u32,
        refresh: u32,
        retry: u32,
        expire: u32,
        minimum: u32,
    },
    Mx {
        preference: u16,
        exchange: NameRef,
    },
    /// MINFO (responsible mailbox, error mailbox) and RP (mailbox, TXT owner).
    NamePair {
        first: NameRef,
        second: NameRef,
    },
    /// AFSDB (subtype, hostname), RT (preference, intermediate host), KX (preference,
    /// exchanger) and LP (preference, FQDN): a number then a name.
    NumberName {
        number: u16,
        name: NameRef,
    },
    /// TXT and SPF: character-strings.
    Txt(Vec<&'a [u8]>),
    Hinfo {
        cpu: &'a [u8],
        os: &'a [u8],
    },
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: NameRef,
    },
    Naptr {
        order: u16,
        preference: u16,
        flags: &'a [u8],
        services: &'a [u8],
        regexp: &'a [u8],
        replacement: NameRef,
    },
    Caa {
        flags: u8,
        tag: &'a [u8],
        value: &'a [u8],
    },
    Sshfp {
        algorithm: u8,
        fingerprint_type: u8,
        fingerprint: &'a [u8],
    },
    /// TLSA and SMIMEA.
    Tlsa {
        usage: u8,
        selector: u8,
        matching_type: u8,
        data: &'a [u8],
    },
    Uri {
        priority: u16,
        weight: u16,
        target: &'a [u8],
    },
    /// LOC version 0 (RFC 1876), fields as on the wire.
    Loc {
        size: u8,
        horizontal_precision: u8,
        vertical_precision: u8,
        latitude: u32,
        longitude: u32,
        altitude: u32,
    },
    /// LOC of another version: only the version is known.
    LocOther {
        version: u8,
        data: &'a [u8],
    },
    /// DS, CDS, TA, DLV.
    Ds {
        key_tag: u16,
        algorithm: u8,
        digest_type: u8,
        digest: &'a [u8],
    },
    /// DNSKEY, CDNSKEY, KEY.
    Dnskey {
        flags: u16,
        protocol: u8,
        algorithm: u8,
        public_key: &'a [u8],
    },
    /// RRSIG and SIG.
    Rrsig {
        type_covered: u16,
        algorithm: u8,
        labels: u8,
        original_ttl: u32,
        expiration: u32,
        inception: u32,
        key_tag: u16,
        signer: NameRef,
        signature: &'a [u8],
    },
    Cert {
        cert_type: u16,
        key_tag: u16,
        algorithm: u8,
        certificate: &'a [u8],
    },
    /// APL (RFC 3123): address prefixes, each checked when parsed.
    Apl(Vec<AplItem<'a>>),
    Ipseckey {
        precedence: u8,
        algorithm: u8,
        gateway: Gateway,
        public_key: &'a [u8],
    },
    /// DHCID and OPENPGPKEY: one opaque blob, shown in base64.
    Blob(&'a [u8]),
    Csync {
        serial: u32,
        flags: u16,
        types: TypeBitmap<'a>,
    },
    Zonemd {
        serial: u32,
        scheme: u8,
        hash_algorithm: u8,
        digest: &'a [u8],
    },
    /// NID and L64 (RFC 6742): a preference and a 64-bit identifier or locator.
    Locator64 {
        preference: u16,
        locator: [u8; 8],
    },
    /// L32: a preference and a 32-bit locator.
    Locator32 {
        preference: u16,
        locator: Ipv4Addr,
    },
    /// EUI48 and EUI64 (RFC 7043): 6 or 8 bytes.
    Eui(&'a [u8]),
    Tsig {
        algorithm: NameRef,
        /// Seconds since 1970, 48 bits on the wire.
        time_signed: u64,
        fudge: u16,
        mac: &'a [u8],
        original_id: u16,
        error: u16,
        other: &'a [u8],
    },
    Nsec {
        next: NameRef,
        types: TypeBitmap<'a>,
    },
    Nsec3 {
        algorithm: u8,
        flags: u8,
        iterations: u16,
        salt: &'a [u8],
        next_hashed_owner: &'a [u8],
        types: TypeBitmap<'a>,
    },
    Nsec3Param {
        algorithm: u8,
        flags: u8,
        iterations: u16,
        salt: &'a [u8],
    },
    /// SVCB and HTTPS.
    Svcb {
        priority: u16,
        target: NameRef,
        params: Vec<SvcParam<'a>>,
    },
    /// The EDNS pseudo-record; its other fields live in the record's class and TTL
    /// (see [`Message::edns`](super::Message::edns)).
    Opt {
        options: EdnsOptions<'a>,
    },
    /// Any other type, as the bytes it has.
    Unknown(&'a [u8]),
}

/// One APL address prefix: family 1 (IPv4) or 2 (IPv6), the prefix length, the
/// negation bit and the address bytes as sent (trailing zero bytes left out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AplItem<'a> {
    pub family: u16,
    pub prefix: u8,
    pub negated: bool,
    pub address: &'a [u8],
}

impl AplItem<'_> {
    /// The address with its left-out bytes restored.
    pub fn ip(&self) -> std::net::IpAddr {
        let mut bytes = [0u8; 16];
        bytes[..self.address.len()].copy_from_slice(self.address);
        if self.family == 1 {
            Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).into()
        } else {
            Ipv6Addr::from(bytes).into()
        }
    }
}

/// An IPSECKEY gateway (RFC 4025), by its gateway type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gateway {
    None,
    V4(Ipv4Addr),
    V6(Ipv6Addr),
    Name(NameRef),
}

/// A type bitmap (NSEC, NSEC3, CSYNC), checked when parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeBitmap<'a>(&'a [u8]);

impl TypeBitmap<'_> {
    /// The types present, in increasing order.
    pub fn types(&self) -> impl Iterator<Item = u16> + '_ {
        let mut windows = Vec::new();
        let mut at = 0;
        while at + 2 <= self.0.len() {
            let len = usize::from(self.0[at + 1]);
            windows.push((u16::from(self.0[at]), &self.0[at + 2..at + 2 + len]));
            at += 2 + len;
        }
        windows.into_iter().flat_map(|(window, bits)| {
            bits.iter().enumerate().flat_map(move |(i, byte)| {
                (0..8u16)
                    .filter(move |bit| byte & (0x80 >> bit) != 0)
                    .map(move |bit| window * 256 + (i as u16) * 8 + bit)
            })
        })
    }
}

/// One SVCB/HTTPS service parameter (RFC 9460), checked when parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SvcParam<'a> {
    /// Key numbers, two bytes each.
    Mandatory(&'a [u8]),
    Alpn(Vec<&'a [u8]>),
    NoDefaultAlpn,
    Port(u16),
    /// IPv4 addresses, four bytes each.
    Ipv4Hint(&'a [u8]),
    Ech(&'a [u8]),
    /// IPv6 addresses, sixteen bytes each.
    Ipv6Hint(&'a [u8]),
    /// Any other key (including `dohpath`), with its value.
    Other {
        key: u16,
        value: &'a [u8],
    },
}

impl SvcParam<'_> {
    /// The parameter's key number.
    pub fn key(&self) -> u16 {
        match self {
            SvcParam::Mandatory(_) => 0,
            SvcParam::Alpn(_) => 1,
            SvcParam::NoDefaultAlpn => 2,
            SvcParam::Port(_) => 3,
            SvcParam::Ipv4Hint(_) => 4,
            SvcParam::Ech(_) => 5,
            SvcParam::Ipv6Hint(_) => 6,
            SvcParam::Other { key, .. } => *key,
        }
    }

    /// The key's name (RFC 9460, RFC 9461), if it has one.
    pub fn key_name(key: u16) -> Option<&'static str> {
        Some(match key {
            0 => "mandatory",
            1 => "alpn",
            2 => "no-default-alpn",
            3 => "port",
            4 => "ipv4hint",
            5 => "ech",
            6 => "ipv6hint",
            7 => "dohpath",
            _ => return None,
        })
    }
}

/// EDNS options (RFC 6891): `(code, data)` pairs, checked when parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdnsOptions<'a>(&'a [u8]);

impl<'a> EdnsOptions<'a> {
    /// Options of an OPT record's data as they come, however malformed: a short header
    /// ends the list, an overlong length is cut at the end of the data.
    pub fn lenient(data: &'a [u8]) -> Self {
        EdnsOptions(data)
    }

    pub fn iter(&self) -> impl Iterator<Item = (u16, &'a [u8])> + 'a {
        let data = self.0;
        let mut at = 0;
        std::iter::from_fn(move || {
            if at + 4 > data.len() {
                return None;
            }
            let code = u16::from_be_bytes([data[at], data[at + 1]]);
            let len = usize::from(u16::from_be_bytes([data[at + 2], data[at + 3]]));
            let value = &data[at + 4..(at + 4 + len).min(data.len())];
            at += 4 + len;
            Some((code, value))
        })
    }
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
    fn name(&mut self) -> Result<NameRef, DecodeError> {
        let start = self.at;
        let next = skip_name(self.msg, start)?;
        if next > self.end {
            return Err(self.bad("name runs past the record data"));
        }
        self.at = next;
        Ok(NameRef { offset: start })
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
    fn type_bitmap(&mut self) -> Result<TypeBitmap<'a>, DecodeError> {
        let start = self.at;
        let bitmap = self.rest();
        let mut at = 0;
        while at + 2 <= bitmap.len() {
            let len = usize::from(bitmap[at + 1]);
            if at + 2 + len > bitmap.len() {
                return Err(DecodeError::BadRdata {
                    what: "type bitmap window",
                    offset: start + at,
                });
            }
            at += 2 + len;
        }
        Ok(TypeBitmap(bitmap))
    }
    fn svc_param(&mut self) -> Result<SvcParam<'a>, DecodeError> {
        let key = self.u16("parameter key")?;
        let len = usize::from(self.u16("parameter length")?);
        let offset = self.at;
        let value = self.take(len, "parameter value")?;
        let bad = |what| DecodeError::BadRdata { what, offset };
        Ok(match key {
            0 => SvcParam::Mandatory(value),
            1 => {
                let mut ids = Vec::new();
                let mut at = 0;
                while at < value.len() {
                    let len = usize::from(value[at]);
                    ids.push(value.get(at + 1..at + 1 + len).ok_or(bad("alpn id"))?);
                    at += 1 + len;
                }
                SvcParam::Alpn(ids)
            }
            2 => SvcParam::NoDefaultAlpn,
            3 if value.len() == 2 => SvcParam::Port(u16::from_be_bytes([value[0], value[1]])),
            3 => return Err(bad("port is not 2 bytes")),
            4 if value.len().is_multiple_of(4) => SvcParam::Ipv4Hint(value),
            6 if value.len().is_multiple_of(16) => SvcParam::Ipv6Hint(value),
            4 | 6 => return Err(bad("address hint length")),
            5 => SvcParam::Ech(value),
            key => SvcParam::Other { key, value },
        })
    }
}

impl<'a> RData<'a> {
    /// Parses the data of `record` in `msg` by its type. Data longer than the type's
    /// fields is an error too (except for OPT, whose options fill it).
    pub fn parse(msg: &'a [u8], record: &Record) -> Result<RData<'a>, DecodeError> {
        let mut f = Fields {
            msg,
            at: record.rdata_offset,
            end: record.rdata_offset + record.rdata_len,
        };
        let data = parse_fields(&mut f, record.rtype)?;
        if !f.done() && record.rtype != TYPE_OPT {
            return Err(DecodeError::TrailingRdata { offset: f.at });
        }
        Ok(data)
    }
}

fn parse_fields<'a>(f: &mut Fields<'a>, rtype: u16) -> Result<RData<'a>, DecodeError> {
    Ok(match rtype {
        1 if f.end - f.at == 4 => {
            let a = f.take(4, "address")?;
            RData::A(Ipv4Addr::new(a[0], a[1], a[2], a[3]))
        }
        28 => {
            let a: [u8; 16] = f.take(16, "address")?.try_into().unwrap_or([0; 16]);
            RData::Aaaa(Ipv6Addr::from(a))
        }
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 | 39 => RData::Name(f.name()?),
        14 | 17 => RData::NamePair {
            first: f.name()?,
            second: f.name()?,
        },
        18 | 21 | 36 | 107 => RData::NumberName {
            number: f.u16("preference")?,
            name: f.name()?,
        },
        37 => RData::Cert {
            cert_type: f.u16("certificate type")?,
            key_tag: f.u16("key tag")?,
            algorithm: f.u8("algorithm")?,
            certificate: f.rest(),
        },
        42 => {
            let mut items = Vec::new();
            while !f.done() {
                let family = f.u16("address family")?;
                let prefix = f.u8("prefix length")?;
                let length = f.u8("address length")?;
                let address = f.take(usize::from(length & 0x7f), "address")?;
                let fits = match family {
                    1 => address.len() <= 4,
                    2 => address.len() <= 16,
                    _ => false,
                };
                if !fits {
                    return Err(f.bad("address does not fit its family"));
                }
                items.push(AplItem {
                    family,
                    prefix,
                    negated: length & 0x80 != 0,
                    address,
                });
            }
            RData::Apl(items)
        }
        45 => {
            let precedence = f.u8("precedence")?;
            let gateway_type = f.u8("gateway type")?;
            let algorithm = f.u8("algorithm")?;
            let gateway = match gateway_type {
                0 => Gateway::None,
                1 => {
                    let a = f.take(4, "gateway")?;
                    Gateway::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))
                }
                2 => Gateway::V6(Ipv6Addr::from(
                    <[u8; 16]>::try_from(f.take(16, "gateway")?).unwrap_or([0; 16]),
                )),
                3 => Gateway::Name(f.name()?),
                _ => return Err(f.bad("gateway type beyond 3")),
            };
            RData::Ipseckey {
                precedence,
                algorithm,
                gateway,
                public_key: f.rest(),
            }
        }
        49 | 61 => RData::Blob(f.rest()),
        62 => RData::Csync {
            serial: f.u32("serial")?,
            flags: f.u16("flags")?,
            types: f.type_bitmap()?,
        },
        63 => RData::Zonemd {
            serial: f.u32("serial")?,
            scheme: f.u8("scheme")?,
            hash_algorithm: f.u8("hash algorithm")?,
            digest: f.rest(),
        },
        104 | 106 => RData::Locator64 {
            preference: f.u16("preference")?,
            locator: f.take(8, "locator")?.try_into().unwrap_or([0; 8]),
        },
        105 => {
            let preference = f.u16("preference")?;
            let a = f.take(4, "locator")?;
            RData::Locator32 {
                preference,
                locator: Ipv4Addr::new(a[0], a[1], a[2], a[3]),
            }
        }
        108 => RData::Eui(f.take(6, "EUI-48")?),
        109 => RData::Eui(f.take(8, "EUI-64")?),
        250 => {
            let algorithm = f.name()?;
            let high = u64::from(f.u16("time signed")?);
            let time_signed = (high << 32) | u64::from(f.u32("time signed")?);
            let fudge = f.u16("fudge")?;
            let mac_len = usize::from(f.u16("MAC size")?);
            RData::Tsig {
                algorithm,
                time_signed,
                fudge,
                mac: f.take(mac_len, "MAC")?,
                original_id: f.u16("original ID")?,
                error: f.u16("error")?,
                other: {
                    let len = usize::from(f.u16("other length")?);
                    f.take(len, "other data")?
                },
            }
        }
        6 => {
            let mname = f.name()?;
            let rname = f.name()?;
            RData::Soa {
                mname,
                rname,
                serial: f.u32("serial")?,
                refresh: f.u32("refresh")?,
                retry: f.u32("retry")?,
                expire: f.u32("expire")?,
                minimum: f.u32("minimum")?,
            }
        }
        15 => RData::Mx {
            preference: f.u16("preference")?,
            exchange: f.name()?,
        },
        16 | 99 => {
            let mut strings = Vec::new();
            while !f.done() {
                strings.push(f.char_string("character-string")?);
            }
            RData::Txt(strings)
        }
        13 => RData::Hinfo {
            cpu: f.char_string("cpu")?,
            os: f.char_string("os")?,
        },
        33 => RData::Srv {
            priority: f.u16("priority")?,
            weight: f.u16("weight")?,
            port: f.u16("port")?,
            target: f.name()?,
        },
        35 => RData::Naptr {
            order: f.u16("order")?,
            preference: f.u16("preference")?,
            flags: f.char_string("flags")?,
            services: f.char_string("services")?,
            regexp: f.char_string("regexp")?,
            replacement: f.name()?,
        },
        257 => RData::Caa {
            flags: f.u8("flags")?,
            tag: f.char_string("tag")?,
            value: f.rest(),
        },
        44 => RData::Sshfp {
            algorithm: f.u8("algorithm")?,
            fingerprint_type: f.u8("fingerprint type")?,
            fingerprint: f.rest(),
        },
        52 | 53 => RData::Tlsa {
            usage: f.u8("usage")?,
            selector: f.u8("selector")?,
            matching_type: f.u8("matching type")?,
            data: f.rest(),
        },
        256 => RData::Uri {
            priority: f.u16("priority")?,
            weight: f.u16("weight")?,
            target: f.rest(),
        },
        29 => match f.u8("version")? {
            0 => RData::Loc {
                size: f.u8("size")?,
                horizontal_precision: f.u8("horizontal precision")?,
                vertical_precision: f.u8("vertical precision")?,
                latitude: f.u32("latitude")?,
                longitude: f.u32("longitude")?,
                altitude: f.u32("altitude")?,
            },
            version => RData::LocOther {
                version,
                data: f.rest(),
            },
        },
        43 | 59 | 32768 | 32769 => RData::Ds {
            key_tag: f.u16("key tag")?,
            algorithm: f.u8("algorithm")?,
            digest_type: f.u8("digest type")?,
            digest: f.rest(),
        },
        48 | 60 | 25 => RData::Dnskey {
            flags: f.u16("flags")?,
            protocol: f.u8("protocol")?,
            algorithm: f.u8("algorithm")?,
            public_key: f.rest(),
        },
        46 | 24 => RData::Rrsig {
            type_covered: f.u16("type covered")?,
            algorithm: f.u8("algorithm")?,
            labels: f.u8("labels")?,
            original_ttl: f.u32("original ttl")?,
            expiration: f.u32("expiration")?,
            inception: f.u32("inception")?,
            key_tag: f.u16("key tag")?,
            signer: f.name()?,
            signature: f.rest(),
        },
        47 => RData::Nsec {
            next: f.name()?,
            types: f.type_bitmap()?,
        },
        50 => RData::Nsec3 {
            algorithm: f.u8("algorithm")?,
            flags: f.u8("flags")?,
            iterations: f.u16("iterations")?,
            salt: f.char_string("salt")?,
            next_hashed_owner: f.char_string("next hashed owner")?,
            types: f.type_bitmap()?,
        },
        51 => RData::Nsec3Param {
            algorithm: f.u8("algorithm")?,
            flags: f.u8("flags")?,
            iterations: f.u16("iterations")?,
            salt: f.char_string("salt")?,
        },
        64 | 65 => {
            let priority = f.u16("priority")?;
            let target = f.name()?;
            let mut params = Vec::new();
            while !f.done() {
                params.push(f.svc_param()?);
            }
            RData::Svcb {
                priority,
                target,
                params,
            }
        }
        TYPE_OPT => {
            let start = f.at;
            while !f.done() {
                f.u16("option code")?;
                let len = usize::from(f.u16("option length")?);
                f.take(len, "option data")?;
            }
            RData::Opt {
                options: EdnsOptions(&f.msg[start..f.end]),
            }
        }
        _ => RData::Unknown(f.rest()),
    })
}
