//! An owned DNS message and its encoder, with name compression (RFC 1035 4.1.4).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::name::Name;
use super::registry as types;
use super::Flags;
use crate::dns::HEADER_LEN;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub name: Name,
    pub qtype: u16,
    pub qclass: u16,
}

/// Record data we know how to write; anything else as raw bytes (RFC 3597).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    /// NS, CNAME, PTR, DNAME: a single name.
    Name(Name),
    Mx {
        preference: u16,
        exchange: Name,
    },
    Soa {
        mname: Name,
        rname: Name,
        serial: u32,
        refresh: u32,
        retry: u32,
        expire: u32,
        minimum: u32,
    },
    /// TXT: one or more character-strings of at most 255 bytes each.
    Txt(Vec<Vec<u8>>),
    Raw(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub name: Name,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub data: RData,
}

/// EDNS(0) parameters, written as an OPT record in the additional section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edns {
    pub udp_size: u16,
    /// Upper 8 bits of the 12-bit rcode.
    pub extended_rcode: u8,
    pub version: u8,
    pub dnssec_ok: bool,
    /// (option code, option data).
    pub options: Vec<(u16, Vec<u8>)>,
}

impl Default for Edns {
    fn default() -> Self {
        Edns {
            udp_size: 1232,
            extended_rcode: 0,
            version: 0,
            dnssec_ok: false,
            options: Vec::new(),
        }
    }
}

/// A DNS message to encode. The flags hold the 4-bit header rcode; larger rcodes need EDNS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub id: u16,
    /// QR, opcode, AA, TC, RD, RA, AD, CD and the 4-bit rcode.
    pub flags: Flags,
    pub questions: Vec<Question>,
    pub answers: Vec<Record>,
    pub authority: Vec<Record>,
    pub additional: Vec<Record>,
    pub edns: Option<Edns>,
}

impl Message {
    /// A standard query with RD set.
    pub fn query(id: u16, name: Name, qtype: u16) -> Self {
        Message {
            id,
            flags: Flags(Flags::RD),
            questions: vec![Question {
                name,
                qtype,
                qclass: types::CLASS_IN,
            }],
            ..Default::default()
        }
    }

    /// The message as DNS over TCP sends it: behind its 2-byte length (RFC 1035 4.2.2).
    pub fn encode_tcp(&self) -> Vec<u8> {
        let wire = self.encode();
        let mut framed = Vec::with_capacity(wire.len() + 2);
        framed.extend_from_slice(&(wire.len().min(0xffff) as u16).to_be_bytes());
        framed.extend_from_slice(&wire);
        framed
    }

    /// The message in wire format.
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder {
            out: Vec::with_capacity(512),
            names: Vec::new(),
        };
        let additional = self.additional.len() + usize::from(self.edns.is_some());
        e.out.extend_from_slice(&self.id.to_be_bytes());
        e.out.extend_from_slice(&self.flags.0.to_be_bytes());
        for count in [
            self.questions.len(),
            self.answers.len(),
            self.authority.len(),
            additional,
        ] {
            e.out
                .extend_from_slice(&(count.min(0xffff) as u16).to_be_bytes());
        }
        debug_assert_eq!(e.out.len(), HEADER_LEN);
        for q in &self.questions {
            e.name(&q.name);
            e.u16(q.qtype);
            e.u16(q.qclass);
        }
        for r in self
            .answers
            .iter()
            .chain(&self.authority)
            .chain(&self.additional)
        {
            e.record(r);
        }
        if let Some(edns) = &self.edns {
            e.out.push(0); // root owner name
            e.u16(types::TYPE_OPT);
            e.u16(edns.udp_size);
            e.out.push(edns.extended_rcode);
            e.out.push(edns.version);
            e.u16(u16::from(edns.dnssec_ok) << 15);
            let len: usize = edns.options.iter().map(|(_, d)| 4 + d.len()).sum();
            e.u16(len as u16);
            for (code, data) in &edns.options {
                e.u16(*code);
                e.u16(data.len() as u16);
                e.out.extend_from_slice(data);
            }
        }
        e.out
    }
}

struct Encoder {
    out: Vec<u8>,
    /// Names already written, as (wire suffix, offset), for compression pointers.
    names: Vec<(Vec<u8>, u16)>,
}

impl Encoder {
    fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    /// Writes `name`, pointing at the longest suffix written before (compared without
    /// regard to ASCII case, as name matching is).
    fn name(&mut self, name: &Name) {
        let wire = name.as_wire();
        let mut at = 0;
        while wire[at] != 0 {
            let suffix = &wire[at..];
            if let Some((_, offset)) = self
                .names
                .iter()
                .find(|(s, _)| s.eq_ignore_ascii_case(suffix))
            {
                self.u16(0xc000 | offset);
                return;
            }
            if self.out.len() < 0x4000 {
                self.names.push((suffix.to_vec(), self.out.len() as u16));
            }
            let len = usize::from(wire[at]);
            self.out.extend_from_slice(&wire[at..at + 1 + len]);
            at += 1 + len;
        }
        self.out.push(0);
    }

    fn record(&mut self, r: &Record) {
        self.name(&r.name);
        self.u16(r.rtype);
        self.u16(r.class);
        self.u32(r.ttl);
        let len_at = self.out.len();
        self.u16(0);
        match &r.data {
            RData::A(a) => self.out.extend_from_slice(&a.octets()),
            RData::Aaaa(a) => self.out.extend_from_slice(&a.octets()),
            RData::Name(n) => self.name(n),
            RData::Mx {
                preference,
                exchange,
            } => {
                self.u16(*preference);
                self.name(exchange);
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
                self.name(mname);
                self.name(rname);
                for v in [serial, refresh, retry, expire, minimum] {
                    self.u32(*v);
                }
            }
            RData::Txt(strings) => {
                for s in strings {
                    let s = &s[..s.len().min(255)];
                    self.out.push(s.len() as u8);
                    self.out.extend_from_slice(s);
                }
            }
            RData::Raw(bytes) => self.out.extend_from_slice(bytes),
        }
        let rdlength = (self.out.len() - len_at - 2) as u16;
        self.out[len_at..len_at + 2].copy_from_slice(&rdlength.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_bytes() {
        let mut m = Message::query(0x1234, "example.com".parse().unwrap(), types::TYPE_A);
        m.edns = Some(Edns {
            udp_size: 4096,
            dnssec_ok: true,
            ..Default::default()
        });
        let wire = m.encode();
        let expected: &[u8] = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\
\x07example\x03com\x00\x00\x01\x00\x01\
\x00\x00\x29\x10\x00\x00\x00\x80\x00\x00\x00";
        assert_eq!(wire, expected);
    }

    #[test]
    fn answers_point_at_the_question() {
        let name: Name = "a.example.com".parse().unwrap();
        let mut m = Message::query(1, name.clone(), types::TYPE_A);
        m.flags.set(Flags::QR, true);
        m.answers.push(Record {
            name: name.clone(),
            rtype: types::TYPE_A,
            class: types::CLASS_IN,
            ttl: 60,
            data: RData::A(Ipv4Addr::new(192, 0, 2, 1)),
        });
        m.answers.push(Record {
            name: "B.EXAMPLE.com".parse().unwrap(),
            rtype: types::TYPE_CNAME,
            class: types::CLASS_IN,
            ttl: 60,
            data: RData::Name(name),
        });
        let wire = m.encode();
        // First answer's owner is a pointer to offset 12 (the question name).
        let q_end = 12 + 15 + 4;
        assert_eq!(&wire[q_end..q_end + 2], &[0xc0, 12]);
        // Second owner: label "B" then a pointer to "example.com" at offset 14.
        let second = q_end + 2 + 10 + 4;
        assert_eq!(&wire[second..second + 4], b"\x01B\xc0\x0e");
    }
}
