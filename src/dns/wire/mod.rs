//! The DNS message decoder: a zero-copy view of a message (RFC 1035 4.1) that reads
//! the header, every question and every record, keeping whatever was read before an
//! error together with that error and its byte offset.
//!
//! Limits from RFC 1035 and the classic parser bugs: names at most 255 bytes on the
//! wire, labels at most 63, label types 0x40 and 0x80 rejected, compression pointers
//! followed iteratively with a bounded number of hops (loops and chains end there),
//! sections sized by what the message holds, never by the counts in the header.

pub mod encode;
pub mod name;
pub mod rdata;
pub mod registry;

use std::fmt;

use crate::dns::HEADER_LEN;

/// Header field offsets.
pub const ID: usize = 0;
pub const FLAGS: usize = 2;
pub const QDCOUNT: usize = 4;
pub const ANCOUNT: usize = 6;
pub const NSCOUNT: usize = 8;
pub const ARCOUNT: usize = 10;
/// Most compression pointers one name may follow: a name of 255 bytes has at most 127
/// labels, so more hops than that is a loop.
pub const MAX_POINTER_HOPS: usize = 127;
const MAX_NAME_WIRE_LEN: usize = 255;

/// What went wrong and where (byte offset from the start of the message).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("message of {0} bytes is shorter than the 12-byte header")]
    ShortHeader(usize),
    #[error("{what} at offset {offset} runs past the end of the message")]
    Truncated { what: &'static str, offset: usize },
    #[error("label type 0x{byte:02x} at offset {offset} is not supported")]
    BadLabelType { byte: u8, offset: usize },
    #[error("compression pointer at offset {offset} points outside the message")]
    PointerOutOfRange { offset: usize },
    #[error("name at offset {offset} follows more than 127 compression pointers (a loop)")]
    PointerLoop { offset: usize },
    #[error("name at offset {offset} is longer than 255 bytes")]
    NameTooLong { offset: usize },
    #[error("record data at offset {offset} does not match its type: {what}")]
    BadRdata { what: &'static str, offset: usize },
    #[error("record data longer than its fields")]
    TrailingRdata { offset: usize },
}

impl DecodeError {
    pub fn offset(&self) -> usize {
        match *self {
            DecodeError::ShortHeader(_) => 0,
            DecodeError::Truncated { offset, .. }
            | DecodeError::BadLabelType { offset, .. }
            | DecodeError::PointerOutOfRange { offset }
            | DecodeError::PointerLoop { offset }
            | DecodeError::NameTooLong { offset }
            | DecodeError::BadRdata { offset, .. }
            | DecodeError::TrailingRdata { offset } => offset,
        }
    }
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A name inside a message, by the offset where it starts (pointers are followed when
/// it is read). Only made by the decoder, after the name was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameRef {
    pub offset: usize,
}

/// Walks the name at `offset`: returns the offset just past it (where the next field
/// starts, i.e. after the first pointer if any).
pub fn skip_name(msg: &[u8], offset: usize) -> Result<usize, DecodeError> {
    let mut end = None;
    walk_name(msg, offset, |_| {}, &mut end)
}

/// Calls `label` for each label of the name at `offset` (outermost last) and returns
/// the offset just past the name in place.
pub fn walk_name(
    msg: &[u8],
    offset: usize,
    mut label: impl FnMut(&[u8]),
    end: &mut Option<usize>,
) -> Result<usize, DecodeError> {
    let mut pos = offset;
    let mut hops = 0;
    let mut wire_len = 0;
    *end = None;
    loop {
        let Some(&len) = msg.get(pos) else {
            return Err(DecodeError::Truncated {
                what: "name",
                offset: pos,
            });
        };
        match len >> 6 {
            0 => {
                let len = usize::from(len);
                wire_len += 1 + len;
                if wire_len > MAX_NAME_WIRE_LEN {
                    return Err(DecodeError::NameTooLong { offset });
                }
                if len == 0 {
                    return Ok(end.unwrap_or(pos + 1));
                }
                let Some(bytes) = msg.get(pos + 1..pos + 1 + len) else {
                    return Err(DecodeError::Truncated {
                        what: "label",
                        offset: pos,
                    });
                };
                label(bytes);
                pos += 1 + len;
            }
            3 => {
                let Some(&low) = msg.get(pos + 1) else {
                    return Err(DecodeError::Truncated {
                        what: "compression pointer",
                        offset: pos,
                    });
                };
                let target = (usize::from(len & 0x3f) << 8) | usize::from(low);
                if end.is_none() {
                    *end = Some(pos + 2);
                }
                hops += 1;
                if hops > MAX_POINTER_HOPS {
                    return Err(DecodeError::PointerLoop { offset });
                }
                if target >= msg.len() {
                    return Err(DecodeError::PointerOutOfRange { offset: pos });
                }
                pos = target;
            }
            _ => {
                return Err(DecodeError::BadLabelType {
                    byte: len,
                    offset: pos,
                })
            }
        }
    }
}

impl NameRef {
    /// Writes the name in presentation format without the final dot (`.` for the
    /// root): dots and backslashes inside labels escaped, other bytes outside
    /// printable ASCII as `\DDD`.
    pub fn write_to(&self, msg: &[u8], out: &mut String) {
        // Plain labels (nearly all) gather on the stack and join `out` in one piece:
        // a name is at most 255 bytes on the wire, 255 - 1 of them label bytes.
        let mut plain = [0u8; MAX_NAME_WIRE_LEN];
        let mut len = 0;
        let mut escaped = false;
        let mut end = None;
        let _ = walk_name(
            msg,
            self.offset,
            |label| {
                if escaped
                    || !label
                        .iter()
                        .all(|&b| (b'!'..=b'~').contains(&b) && b != b'.' && b != b'\\')
                {
                    escaped = true;
                    return;
                }
                if len > 0 {
                    plain[len] = b'.';
                    len += 1;
                }
                plain[len..len + label.len()].copy_from_slice(label);
                len += label.len();
            },
            &mut end,
        );
        if escaped {
            return self.write_escaped_to(msg, out);
        }
        match std::str::from_utf8(&plain[..len]) {
            Ok("") | Err(_) => out.push('.'),
            Ok(text) => out.push_str(text),
        }
    }

    /// [`NameRef::write_to`] label by label, escaping what needs it.
    fn write_escaped_to(&self, msg: &[u8], out: &mut String) {
        let start = out.len();
        let mut end = None;
        let _ = walk_name(
            msg,
            self.offset,
            |label| {
                if out.len() > start {
                    out.push('.');
                }
                name::push_label(out, label);
            },
            &mut end,
        );
        if out.len() == start {
            out.push('.');
        }
    }

    pub fn to_string(self, msg: &[u8]) -> String {
        // Room for most names at once (growing by doubling costs more than the walk).
        let mut s = String::with_capacity(64);
        self.write_to(msg, &mut s);
        s
    }

    /// Lower-cased labels for comparisons (suffix filters, query/response matching).
    pub fn to_lowercase_key(self, msg: &[u8]) -> Vec<u8> {
        let mut key = Vec::with_capacity(32);
        let mut end = None;
        let _ = walk_name(
            msg,
            self.offset,
            |label| {
                key.push(label.len() as u8);
                key.extend(label.iter().map(u8::to_ascii_lowercase));
            },
            &mut end,
        );
        key.push(0);
        key
    }
}

/// The flags word of the header (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode): one
/// type for reading a message and for building one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(pub u16);

impl Flags {
    pub const QR: u16 = 0x8000;
    pub const AA: u16 = 0x0400;
    pub const TC: u16 = 0x0200;
    pub const RD: u16 = 0x0100;
    pub const RA: u16 = 0x0080;
    pub const Z: u16 = 0x0040;
    pub const AD: u16 = 0x0020;
    pub const CD: u16 = 0x0010;
    const OPCODE_SHIFT: u16 = 11;
    const RCODE_MASK: u16 = 0x000f;

    fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
    /// Sets or clears one of the single-bit flags ([`Flags::QR`], [`Flags::RD`], ...).
    pub fn set(&mut self, bit: u16, on: bool) {
        if on {
            self.0 |= bit;
        } else {
            self.0 &= !bit;
        }
    }
    pub fn set_opcode(&mut self, opcode: u8) {
        self.0 = (self.0 & !(0xf << Self::OPCODE_SHIFT))
            | (u16::from(opcode & 0xf) << Self::OPCODE_SHIFT);
    }
    /// Sets the header's 4 rcode bits (larger rcodes need EDNS).
    pub fn set_rcode(&mut self, rcode: u8) {
        self.0 = (self.0 & !Self::RCODE_MASK) | u16::from(rcode & 0xf);
    }

    pub fn is_response(self) -> bool {
        self.has(Self::QR)
    }
    pub fn opcode(self) -> u8 {
        ((self.0 >> Self::OPCODE_SHIFT) & 0xf) as u8
    }
    pub fn authoritative(self) -> bool {
        self.has(Self::AA)
    }
    pub fn truncated(self) -> bool {
        self.has(Self::TC)
    }
    pub fn recursion_desired(self) -> bool {
        self.has(Self::RD)
    }
    pub fn recursion_available(self) -> bool {
        self.has(Self::RA)
    }
    pub fn z(self) -> bool {
        self.has(Self::Z)
    }
    pub fn authentic_data(self) -> bool {
        self.has(Self::AD)
    }
    pub fn checking_disabled(self) -> bool {
        self.has(Self::CD)
    }
    /// The 4-bit rcode of the header (see [`Message::rcode`] for the EDNS-extended one).
    pub fn rcode(self) -> u8 {
        (self.0 & Self::RCODE_MASK) as u8
    }
}

/// The 12-byte header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub id: u16,
    pub flags: Flags,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

impl Header {
    pub fn parse(msg: &[u8]) -> Result<Header, DecodeError> {
        if msg.len() < HEADER_LEN {
            return Err(DecodeError::ShortHeader(msg.len()));
        }
        Ok(Header {
            id: be16(msg, ID),
            flags: Flags(be16(msg, FLAGS)),
            qdcount: be16(msg, QDCOUNT),
            ancount: be16(msg, ANCOUNT),
            nscount: be16(msg, NSCOUNT),
            arcount: be16(msg, ARCOUNT),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Question {
    pub name: NameRef,
    pub qtype: u16,
    pub qclass: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Answer,
    Authority,
    Additional,
}

impl Section {
    pub fn name(self) -> &'static str {
        match self {
            Section::Answer => "answers",
            Section::Authority => "authority",
            Section::Additional => "additional",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub name: NameRef,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    /// Offset and length of the record data in the message.
    pub rdata_offset: usize,
    pub rdata_len: usize,
}

impl Record {
    pub fn rdata<'a>(&self, msg: &'a [u8]) -> &'a [u8] {
        &msg[self.rdata_offset..self.rdata_offset + self.rdata_len]
    }
}

/// A decoded message: the sections read before any error, and the error.
#[derive(Clone, Debug)]
pub struct Message<'a> {
    pub bytes: &'a [u8],
    pub header: Header,
    pub questions: Vec<Question>,
    pub answers: Vec<Record>,
    pub authority: Vec<Record>,
    pub additional: Vec<Record>,
    pub error: Option<DecodeError>,
    /// Bytes after the last record the header announces (not an error, but worth a note).
    pub trailing: usize,
}

/// The lists of a decoded message, kept to decode the next message into: a loop over
/// many messages allocates them once ([`Message::parse_reusing`]).
#[derive(Debug, Default)]
pub struct MessageLists {
    questions: Vec<Question>,
    answers: Vec<Record>,
    authority: Vec<Record>,
    additional: Vec<Record>,
}

impl<'a> Message<'a> {
    /// Decodes as far as the bytes allow. Fails only without a whole header.
    pub fn parse(bytes: &'a [u8]) -> Result<Message<'a>, DecodeError> {
        Self::parse_reusing(bytes, MessageLists::default())
    }

    /// [`Message::parse`] into the lists of an earlier message
    /// ([`Message::into_lists`]).
    ///
    /// ```
    /// use pcaptool::dns::wire::{Message, MessageLists};
    /// let query = pcaptool::dns::wire::encode::Message::query(7, "example.com".parse().unwrap(), 1)
    ///     .encode();
    /// let mut lists = MessageLists::default();
    /// for _ in 0..3 {
    ///     let m = Message::parse_reusing(&query, lists).unwrap();
    ///     assert_eq!((m.header.id, m.questions.len()), (7, 1));
    ///     lists = m.into_lists();
    /// }
    /// ```
    pub fn parse_reusing(bytes: &'a [u8], lists: MessageLists) -> Result<Message<'a>, DecodeError> {
        let header = Header::parse(bytes)?;
        let MessageLists {
            mut questions,
            mut answers,
            mut authority,
            mut additional,
        } = lists;
        questions.clear();
        answers.clear();
        authority.clear();
        additional.clear();
        let mut m = Message {
            bytes,
            header,
            questions,
            answers,
            authority,
            additional,
            error: None,
            trailing: 0,
        };
        let mut pos = HEADER_LEN;
        let result = (|| {
            for _ in 0..header.qdcount {
                let end = skip_name(bytes, pos)?;
                if end + 4 > bytes.len() {
                    return Err(DecodeError::Truncated {
                        what: "question type and class",
                        offset: end,
                    });
                }
                m.questions.push(Question {
                    name: NameRef { offset: pos },
                    qtype: be16(bytes, end),
                    qclass: be16(bytes, end + 2),
                });
                pos = end + 4;
            }
            for (section, count) in [
                (Section::Answer, header.ancount),
                (Section::Authority, header.nscount),
                (Section::Additional, header.arcount),
            ] {
                for _ in 0..count {
                    let end = skip_name(bytes, pos)?;
                    if end + 10 > bytes.len() {
                        return Err(DecodeError::Truncated {
                            what: "record header",
                            offset: end,
                        });
                    }
                    let rdata_len = usize::from(be16(bytes, end + 8));
                    let rdata_offset = end + 10;
                    if rdata_offset + rdata_len > bytes.len() {
                        return Err(DecodeError::Truncated {
                            what: "record data",
                            offset: rdata_offset,
                        });
                    }
                    let record = Record {
                        name: NameRef { offset: pos },
                        rtype: be16(bytes, end),
                        class: be16(bytes, end + 2),
                        ttl: be32(bytes, end + 4),
                        rdata_offset,
                        rdata_len,
                    };
                    match section {
                        Section::Answer => m.answers.push(record),
                        Section::Authority => m.authority.push(record),
                        Section::Additional => m.additional.push(record),
                    }
                    pos = rdata_offset + rdata_len;
                }
            }
            Ok(())
        })();
        m.error = result.err();
        if m.error.is_none() {
            m.trailing = bytes.len() - pos;
        }
        Ok(m)
    }

    /// The message's lists, to decode the next message into with
    /// [`Message::parse_reusing`].
    pub fn into_lists(self) -> MessageLists {
        MessageLists {
            questions: self.questions,
            answers: self.answers,
            authority: self.authority,
            additional: self.additional,
        }
    }

    /// Every record with its section, in message order.
    pub fn records(&self) -> impl Iterator<Item = (Section, &Record)> {
        self.answers
            .iter()
            .map(|r| (Section::Answer, r))
            .chain(self.authority.iter().map(|r| (Section::Authority, r)))
            .chain(self.additional.iter().map(|r| (Section::Additional, r)))
    }

    /// The OPT record, if any (the first one in the additional section).
    pub fn opt(&self) -> Option<&Record> {
        self.additional
            .iter()
            .find(|r| r.rtype == registry::TYPE_OPT)
    }

    /// The EDNS fields of the OPT record, if any.
    pub fn edns(&self) -> Option<Edns<'a>> {
        self.opt().map(|opt| Edns::of(self.bytes, opt))
    }

    /// The full rcode: the header's 4 bits plus the 8 high bits from EDNS (RFC 6891).
    pub fn rcode(&self) -> u16 {
        let high = self.edns().map_or(0, |e| u16::from(e.extended_rcode_high));
        (high << 4) | u16::from(self.header.flags.rcode())
    }
}

/// What an OPT record says (RFC 6891 6.1.3): its class and TTL fields reinterpreted,
/// and its options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edns<'a> {
    pub udp_size: u16,
    /// The upper 8 bits of the 12-bit rcode.
    pub extended_rcode_high: u8,
    pub version: u8,
    pub dnssec_ok: bool,
    /// The options, read leniently (see [`EdnsOptions::lenient`]).
    pub options: rdata::EdnsOptions<'a>,
}

impl<'a> Edns<'a> {
    /// The EDNS fields of `opt`, an OPT record of `msg`.
    pub fn of(msg: &'a [u8], opt: &Record) -> Self {
        Edns {
            udp_size: opt.class,
            extended_rcode_high: (opt.ttl >> 24) as u8,
            version: (opt.ttl >> 16) as u8,
            dnssec_ok: opt.ttl & 0x8000 != 0,
            options: rdata::EdnsOptions::lenient(opt.rdata(msg)),
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::wire::encode;

    fn sample() -> Vec<u8> {
        let name: crate::dns::Name = "www.example.com".parse().unwrap();
        let mut m = encode::Message::query(0xbeef, name.clone(), 1);
        m.flags.set(Flags::QR, true);
        m.answers.push(encode::Record {
            name,
            rtype: 1,
            class: 1,
            ttl: 300,
            data: encode::RData::A("192.0.2.1".parse().unwrap()),
        });
        m.edns = Some(encode::Edns::default());
        m.encode()
    }

    #[test]
    fn parses_what_the_encoder_writes() {
        let bytes = sample();
        let m = Message::parse(&bytes).unwrap();
        assert_eq!(m.header.id, 0xbeef);
        assert!(m.header.flags.is_response());
        assert_eq!(m.questions.len(), 1);
        assert_eq!(m.questions[0].name.to_string(&bytes), "www.example.com");
        assert_eq!(m.answers[0].name.to_string(&bytes), "www.example.com");
        assert_eq!(m.answers[0].rdata(&bytes), &[192, 0, 2, 1]);
        assert_eq!(m.additional[0].rtype, 41);
        assert_eq!(m.additional[0].name.to_string(&bytes), ".");
        assert!(m.error.is_none());
    }

    #[test]
    fn keeps_what_was_read_before_an_error() {
        let mut bytes = sample();
        bytes.truncate(bytes.len() - 5);
        let m = Message::parse(&bytes).unwrap();
        assert_eq!(m.answers.len(), 1);
        assert!(m.additional.is_empty());
        assert!(matches!(m.error, Some(DecodeError::Truncated { .. })));
    }

    #[test]
    fn hostile_names() {
        let mut msg = vec![0u8; 12];
        msg[5] = 1; // one question
                    // A pointer to itself.
        let mut looped = msg.clone();
        looped.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert!(matches!(
            Message::parse(&looped).unwrap().error,
            Some(DecodeError::PointerLoop { .. })
        ));
        // Two pointers to each other.
        let mut pair = msg.clone();
        pair.extend_from_slice(&[0xc0, 14, 0xc0, 12, 0, 1, 0, 1]);
        assert!(matches!(
            Message::parse(&pair).unwrap().error,
            Some(DecodeError::PointerLoop { .. })
        ));
        // Label types 0x40 and 0x80.
        for t in [0x41u8, 0x80] {
            let mut bad = msg.clone();
            bad.extend_from_slice(&[t, 0, 0, 1, 0, 1]);
            assert!(matches!(
                Message::parse(&bad).unwrap().error,
                Some(DecodeError::BadLabelType { .. })
            ));
        }
        // A name over 255 bytes, built from pointers to a 63-byte label chain.
        let mut long = msg.clone();
        for _ in 0..5 {
            long.push(63);
            long.extend_from_slice(&[b'a'; 63]);
        }
        long.extend_from_slice(&[0, 0, 1, 0, 1]);
        assert!(matches!(
            Message::parse(&long).unwrap().error,
            Some(DecodeError::NameTooLong { .. })
        ));
        // Counts far beyond the message: no allocation from them, a clean error.
        let mut counts = vec![0u8; 12];
        counts[4..12].copy_from_slice(&[0xff; 8]);
        let m = Message::parse(&counts).unwrap();
        assert!(m.error.is_some());
        assert!(m.questions.capacity() < 16);
        // Pointer past the end.
        let mut out = msg.clone();
        out.extend_from_slice(&[0xc0, 200, 0, 1, 0, 1]);
        assert!(matches!(
            Message::parse(&out).unwrap().error,
            Some(DecodeError::PointerOutOfRange { .. })
        ));
    }

    #[test]
    fn qdcount_zero_is_fine() {
        let msg = vec![0u8; 12];
        let m = Message::parse(&msg).unwrap();
        assert!(m.questions.is_empty() && m.error.is_none());
    }

    #[test]
    fn escapes_in_names() {
        let mut msg = vec![0u8; 12];
        msg[5] = 1;
        msg.extend_from_slice(b"\x03a.b\x02c\x01\x00\x00\x01\x00\x01");
        let m = Message::parse(&msg).unwrap();
        assert_eq!(m.questions[0].name.to_string(&msg), "a\\.b.c\\001");
    }
}
