//! `pcaptool dns -V`: every field of a DNS message as tshark's packet details (`-V`)
//! show it, in its words and order, learned from Wireshark 4.0.17's packet-dns.c and
//! proto.c (Debian's source package; written anew). Like the Info column
//! ([`super::info`]), the message is walked the way Wireshark walks it, so that names,
//! placeholders and `[Malformed Packet]` come out where tshark's do.
//!
//! The tree's lines are indented by four spaces a level; each is at most 239 bytes,
//! marked ` [truncated]` as tshark marks its labels. Record types without a detail
//! walker here yet show their data as bytes, as tshark does for the types it does not
//! dissect (the difference is counted by the differential test).

use std::io::{self, Write};
use std::net::IpAddr;

use super::digits::{push_ipv4, push_ipv6};
use super::info::{
    expand_name, format_text, rcode_name, wireshark_knows, NameBuf, OutOfBounds, Tvb, Walk,
};
use crate::capture::Timestamp;
use crate::dns::analysis::find::Protocol;
use crate::dns::decode::{MessageSink, Row};

/// tshark's ITEM_LABEL_LENGTH: a label's buffer, its final NUL included.
const ITEM_LABEL_LENGTH: usize = 240;
/// A request seen again within this many seconds is a retransmission (the DNS
/// dissector's `retransmission_timer` preference, 5 by default).
const RETRANSMISSION_SECS: i128 = 5;
/// Label steps all the names of one message may take to read (a real message takes
/// hundreds; a hostile one, names through long pointer chains record after record, could
/// take 10^8: tshark spends minutes there, we stop and say so).
const MAX_NAME_STEPS: u64 = 250_000;
/// Transactions remembered at most; past that the oldest half is forgotten (tshark
/// keeps them all: a difference only in captures with more waiting queries than this).
const MAX_TRANSACTIONS: usize = 1 << 20;

/// The lines of one tree.
struct Lines<'o> {
    out: &'o mut Vec<u8>,
}

impl Lines<'_> {
    /// A text item (a subtree's headline): cut at tshark's label length, marked at its
    /// start.
    fn text(&mut self, depth: usize, text: &[u8]) {
        self.emit(depth, text, 0);
    }

    /// A field: `name: value`.
    fn field(&mut self, depth: usize, name: &str, value: &[u8]) {
        if name.len() + 2 + value.len() < ITEM_LABEL_LENGTH {
            // Nearly every line: written in place, no label buffer.
            self.indent(depth);
            self.out.extend_from_slice(name.as_bytes());
            self.out.extend_from_slice(b": ");
            self.out.extend_from_slice(value);
            self.out.push(b'\n');
            return;
        }
        let mut label = Vec::with_capacity(name.len() + 2 + value.len());
        label.extend_from_slice(name.as_bytes());
        label.extend_from_slice(b": ");
        label.extend_from_slice(value);
        self.emit(depth, &label, name.len());
    }

    /// A field whose value `write` appends: written in place, then cut and marked as
    /// tshark marks long labels when it is too long.
    fn field_with(&mut self, depth: usize, name: &str, write: impl FnOnce(&mut Vec<u8>)) {
        self.indent(depth);
        let start = self.out.len();
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        write(self.out);
        if self.out.len() - start >= ITEM_LABEL_LENGTH {
            let label = self.out.split_off(start);
            self.out
                .extend_from_slice(&mark_truncated(&label, name.len()));
        }
        self.out.push(b'\n');
    }

    /// A number field: `name: 42`.
    fn number(&mut self, depth: usize, name: &str, value: u64) {
        self.indent(depth);
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        super::digits::push_u64(self.out, value);
        self.out.push(b'\n');
    }

    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.extend_from_slice(b"    ");
        }
    }

    /// A generated field, in brackets.
    fn generated(&mut self, depth: usize, name: &str, value: &[u8]) {
        let mut label = b"[".to_vec();
        label.extend_from_slice(name.as_bytes());
        label.extend_from_slice(b": ");
        label.extend_from_slice(value);
        label.push(b']');
        self.emit(depth, &label, 0);
    }

    /// A field of some bits of a 16-bit word: `.... ...1 .... .... = Name: value`.
    fn bits16(&mut self, depth: usize, word: u16, mask: u16, name: &str, value: &str) {
        self.bits(depth, 16, word, mask, name, value);
    }

    /// The same for a word of `width` bits.
    fn bits(&mut self, depth: usize, width: u32, word: u16, mask: u16, name: &str, value: &str) {
        let mut pattern = [0u8; 19];
        let mut n = 0;
        for bit in (0..width).rev() {
            let m = 1u16 << bit;
            pattern[n] = if mask & m == 0 {
                b'.'
            } else if word & m != 0 {
                b'1'
            } else {
                b'0'
            };
            n += 1;
            if bit % 4 == 0 && bit != 0 {
                pattern[n] = b' ';
                n += 1;
            }
        }
        if n + 3 + name.len() + 2 + value.len() < ITEM_LABEL_LENGTH {
            self.indent(depth);
            self.out.extend_from_slice(&pattern[..n]);
            self.out.extend_from_slice(b" = ");
            self.out.extend_from_slice(name.as_bytes());
            self.out.extend_from_slice(b": ");
            self.out.extend_from_slice(value.as_bytes());
            self.out.push(b'\n');
            return;
        }
        let mut label = pattern[..n].to_vec();
        label.extend_from_slice(b" = ");
        let name_pos = label.len() + name.len();
        label.extend_from_slice(name.as_bytes());
        label.extend_from_slice(b": ");
        label.extend_from_slice(value.as_bytes());
        self.emit(depth, &label, name_pos);
    }

    /// An expert note under the item above it, as tshark prints one.
    fn expert(&mut self, depth: usize, severity: &str, group: &str, message: &[u8]) {
        let mut head = format!("[Expert Info ({severity}/{group}): ").into_bytes();
        head.extend_from_slice(message);
        head.push(b']');
        self.text(depth, &head);
        let mut inner = b"[".to_vec();
        inner.extend_from_slice(message);
        inner.push(b']');
        self.text(depth + 1, &inner);
        self.text(
            depth + 1,
            format!("[Severity level: {severity}]").as_bytes(),
        );
        self.text(depth + 1, format!("[Group: {group}]").as_bytes());
    }

    fn emit(&mut self, depth: usize, label: &[u8], name_pos: usize) {
        self.indent(depth);
        if label.len() < ITEM_LABEL_LENGTH {
            self.out.extend_from_slice(label);
        } else {
            self.out.extend_from_slice(&mark_truncated(label, name_pos));
        }
        self.out.push(b'\n');
    }
}

/// proto.c's label_mark_truncated: the label as its 240-byte buffer holds it, with
/// ` [truncated]` after the field name (or at the start), cut before the last whole
/// UTF-8 character that fits.
fn mark_truncated(label: &[u8], name_pos: usize) -> Vec<u8> {
    const MARK: &[u8] = b" [truncated]";
    let held = &label[..label.len().min(ITEM_LABEL_LENGTH - 1)];
    if name_pos < ITEM_LABEL_LENGTH - MARK.len() {
        let mut v = Vec::with_capacity(ITEM_LABEL_LENGTH);
        v.extend_from_slice(&held[..name_pos.min(held.len())]);
        v.extend_from_slice(MARK);
        v.extend_from_slice(&held[name_pos.min(held.len())..]);
        v.truncate(ITEM_LABEL_LENGTH);
        // g_utf8_prev_char from the last byte: the start of the character before it.
        let mut end = ITEM_LABEL_LENGTH - 2;
        while end > 0 && v.get(end).is_some_and(|b| b & 0xc0 == 0x80) {
            end -= 1;
        }
        v.truncate(end.min(v.len()));
        v
    } else {
        let mut v = held[..name_pos.min(held.len())].to_vec();
        v.extend_from_slice(MARK);
        v.truncate(ITEM_LABEL_LENGTH - 1);
        v
    }
}

/// A subtree headline made of a first text (marked ` [truncated]` at its start when
/// too long) and text appended to it later (cut at the label's length, unmarked), as
/// proto_tree_add_subtree_format and proto_item_append_text build it.
fn headline(mut text: Vec<u8>, base_len: usize) -> Vec<u8> {
    let mut label = if base_len >= ITEM_LABEL_LENGTH {
        mark_truncated(&text[..base_len], 0)
    } else {
        text[..base_len].to_vec()
    };
    label.extend_from_slice(&text.split_off(base_len));
    // Already cut to fit: the line writer must not mark it again.
    label.truncate(ITEM_LABEL_LENGTH - 1);
    label
}

/// proto.c's unsigned_time_secs_to_str: `1 day, 2 hours, 3 minutes, 4 seconds`.
fn duration(secs: u32) -> String {
    let mut v = Vec::new();
    push_duration(&mut v, secs);
    String::from_utf8(v).unwrap_or_default()
}

fn push_duration(out: &mut Vec<u8>, secs: u32) {
    if secs == 0 {
        out.extend_from_slice(b"0 seconds");
        return;
    }
    let parts: [(u32, &[u8]); 4] = [
        (secs / 86_400, b" day"),
        (secs / 3600 % 24, b" hour"),
        (secs / 60 % 60, b" minute"),
        (secs % 60, b" second"),
    ];
    let mut first = true;
    for (n, unit) in parts {
        if n != 0 {
            if !first {
                out.extend_from_slice(b", ");
            }
            first = false;
            super::digits::push_u64(out, n.into());
            out.extend_from_slice(unit);
            if n > 1 {
                out.push(b's');
            }
        }
    }
}

/// Bytes as tshark shows a byte field: hex, the first 36 bytes and `…` after;
/// `<MISSING>` for none.
fn hex_field(bytes: &[u8]) -> Vec<u8> {
    if bytes.is_empty() {
        return b"<MISSING>".to_vec();
    }
    let mut s = Vec::with_capacity(80);
    for b in bytes.iter().take(36) {
        let _ = write!(s, "{b:02x}");
    }
    if bytes.len() > 36 {
        s.extend_from_slice("…".as_bytes());
    }
    s
}

/// packet-dns.c's dns_types_description_vals: the long name of a type.
fn type_description(code: u16) -> Option<&'static str> {
    Some(match code {
        1 => "A (Host Address)",
        2 => "NS (authoritative Name Server)",
        3 => "MD (Mail Destination)",
        4 => "MF (Mail Forwarder)",
        5 => "CNAME (Canonical NAME for an alias)",
        6 => "SOA (Start Of a zone of Authority)",
        7 => "MB (MailBox domain name)",
        8 => "MG (Mail Group member)",
        9 => "MR (Mail Rename domain)",
        10 => "NULL RR",
        11 => "WKS (Well Known Service)",
        12 => "PTR (domain name PoinTeR)",
        13 => "HINFO (host information)",
        14 => "MINFO (Mailbox or mail list information)",
        15 => "MX (Mail eXchange)",
        16 => "TXT (Text strings)",
        17 => "RP (Responsible Person)",
        18 => "AFSDB (AFS Data Base location)",
        19 => "X25 (XX.25 PSDN address)",
        20 => "ISDN (ISDN address)",
        21 => "RT (Route Through)",
        22 => "NSAP (NSAP address)",
        23 => "NSAP-PTR (NSAP domain name pointer)",
        24 => "SIG (security signature)",
        25 => "KEY (security key)",
        26 => "PX (X.400 mail mapping information)",
        27 => "GPOS (Geographical Position)",
        28 => "AAAA (IPv6 Address)",
        29 => "LOC (Location Information)",
        30 => "NXT (Next Domain)",
        31 => "EID (Endpoint Identifier)",
        32 => "NIMLOC (Nimrod Locator)",
        33 => "SRV (Server Selection)",
        34 => "ATMA (ATM Address)",
        35 => "NAPTR (Naming Authority Pointer)",
        36 => "KX (Key Exchanger)",
        38 => "A6 (OBSOLETE - use AAAA)",
        43 => "DS (Delegation Signer)",
        44 => "SSHFP (SSH Key Fingerprint)",
        46 => "RRSIG (Resource Record Signature)",
        47 => "NSEC (Next Secure)",
        48 => "DNSKEY (DNS Public Key)",
        55 => "HIP (Host Identity Protocol)",
        58 => "TALINK (Trust Anchor LINK)",
        59 => "CDS (Child DS)",
        60 => "CDNSKEY (DNSKEY(s) the Child wants reflected in DS)",
        61 => "OPENPGPKEY (OpenPGP Key)",
        62 => "CSYNC (Child-to-Parent Synchronization)",
        64 => "SVCB (General Purpose Service Endpoints)",
        65 => "HTTPS (HTTPS Specific Service Endpoints)",
        104 => "NID (NodeID)",
        105 => "L32 (Locator32)",
        106 => "L64 (Locator64)",
        107 => "LP (Locator FQDN)",
        249 => "TKEY (Transaction Key)",
        250 => "TSIG (Transaction Signature)",
        251 => "IXFR (incremental transfer)",
        252 => "AXFR (transfer of an entire zone)",
        253 => "MAILB (mailbox-related RRs)",
        254 => "MAILA (mail agent RRs)",
        255 => "* (A request for all records the server/cache has available)",
        257 => "CAA (Certification Authority Restriction)",
        32768 => "TA (DNSSEC Trust Authorities)",
        32769 => "DLV (DNSSEC Lookaside Validation)",
        // The rest of its table is the short name alone.
        _ => {
            return wireshark_knows(code).filter(|_| code != 0).or(match code {
                0 => Some("Unused"),
                _ => None,
            })
        }
    })
}

/// Appends `A (Host Address) (1)`, `Unknown (53)`.
fn push_type_value(out: &mut Vec<u8>, code: u16) {
    out.extend_from_slice(type_description(code).unwrap_or("Unknown").as_bytes());
    out.extend_from_slice(b" (");
    super::digits::push_u64(out, code.into());
    out.push(b')');
}

/// Appends `IN (0x0001)`.
fn push_class_value(out: &mut Vec<u8>, class: u16) {
    out.extend_from_slice(class_name(class).unwrap_or("Unknown").as_bytes());
    let _ = write!(out, " (0x{class:04x})");
}

/// Appends `3600 (1 hour)`.
fn push_seconds(out: &mut Vec<u8>, secs: u32) {
    super::digits::push_u64(out, secs.into());
    out.extend_from_slice(b" (");
    push_duration(out, secs);
    out.push(b')');
}

/// `Type: A (Host Address) (1)`, `Unknown (53)`.
fn type_value(code: u16) -> String {
    format!("{} ({code})", type_description(code).unwrap_or("Unknown"))
}

/// packet-dns.c's dns_classes.
fn class_name(class: u16) -> Option<&'static str> {
    Some(match class {
        1 => "IN",
        2 => "CS",
        3 => "CH",
        4 => "HS",
        254 => "NONE",
        255 => "ANY",
        _ => return None,
    })
}

fn class_value(class: u16) -> String {
    format!("{} (0x{class:04x})", class_name(class).unwrap_or("Unknown"))
}

/// The short type name of a subtree headline (dns_types_vals).
fn short_type(code: u16) -> String {
    let mut v = Vec::new();
    super::info::type_name(code, &mut v);
    String::from_utf8(v).unwrap_or_default()
}

/// A DNS conversation as tshark keys it: both endpoints, either way round.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Conversation {
    a: (IpAddr, u16),
    b: (IpAddr, u16),
    tcp: bool,
}

#[derive(Clone, Copy)]
struct Transaction {
    req_frame: u64,
    rep_frame: u64,
    req_time: Timestamp,
    multiple_responds: bool,
}

/// What tshark's single pass knows of a message's transaction.
enum Note {
    None,
    RetransmittedRequest(u64),
    RetransmittedResponse(u64),
    RequestIn(u64, i128),
    Unsolicited,
}

/// Writes each frame holding DNS as tshark -V shows it: the frame line, the headlines
/// of the layers below, and the DNS subtree of each message.
pub struct DetailSink<W> {
    out: W,
    buf: Vec<u8>,
    last_frame: Option<(u32, u64)>,
    transactions: foldhash::HashMap<(Conversation, u16), Transaction>,
}

impl<W: Write + Send> DetailSink<W> {
    pub fn new(out: W) -> Self {
        DetailSink {
            out,
            buf: Vec::with_capacity(64 << 10),
            last_frame: None,
            transactions: foldhash::HashMap::default(),
        }
    }

    fn track(&mut self, row: &Row<'_>, id: u16, response: bool, multiple: Option<bool>) -> Note {
        let o = &row.origin;
        let (a, b) = ((o.src, o.sport), (o.dst, o.dport));
        let conversation = Conversation {
            a: a.min(b),
            b: a.max(b),
            tcp: o.tcp,
        };
        let key = (conversation, id);
        let frame = o.frame;
        if self.transactions.len() >= MAX_TRANSACTIONS {
            self.transactions.clear();
        }
        let note;
        let found = self.transactions.get(&key).copied();
        if !response {
            let retransmission = match found {
                Some(t) if t.rep_frame == 0 => {
                    (o.ts.as_nanos() - t.req_time.as_nanos()) < RETRANSMISSION_SECS * 1_000_000_000
                }
                _ => false,
            };
            if retransmission {
                note = Note::RetransmittedRequest(found.map_or(0, |t| t.req_frame));
            } else {
                self.transactions.insert(
                    key,
                    Transaction {
                        req_frame: frame,
                        rep_frame: 0,
                        req_time: o.ts,
                        multiple_responds: false,
                    },
                );
                note = Note::None;
            }
        } else {
            note = match found {
                Some(t) if t.rep_frame == 0 => {
                    if let Some(t) = self.transactions.get_mut(&key) {
                        t.rep_frame = frame;
                    }
                    Note::RequestIn(t.req_frame, o.ts.as_nanos() - t.req_time.as_nanos())
                }
                Some(t) if !t.multiple_responds => Note::RetransmittedResponse(t.rep_frame),
                Some(t) => Note::RequestIn(t.req_frame, o.ts.as_nanos() - t.req_time.as_nanos()),
                None => Note::Unsolicited,
            };
        }
        // After its questions, a message says whether its transaction may have many
        // responses (a zone transfer).
        if let Some(multiple) = multiple {
            if let Some(t) = self.transactions.get_mut(&key) {
                t.multiple_responds = multiple;
            }
        }
        note
    }
}

impl<W: Write + Send> MessageSink for DetailSink<W> {
    fn wants_decoded(&self) -> bool {
        false
    }

    fn message(&mut self, row: &Row<'_>) -> io::Result<()> {
        let o = &row.origin;
        let frame_key = (o.file, o.frame);
        if self.last_frame != Some(frame_key) {
            if self.last_frame.is_some() {
                self.buf.push(b'\n');
            }
            self.last_frame = Some(frame_key);
            frame_lines(row, &mut self.buf);
        }
        let msg = row.bytes;
        let (id, flags) = match msg {
            [a, b, c, d, ..] => (u16::from_be_bytes([*a, *b]), u16::from_be_bytes([*c, *d])),
            _ => (0, 0),
        };
        let response = flags & 0x8000 != 0;
        let multiple = asks_for_a_transfer(msg);
        let note = if msg.len() >= 4 {
            self.track(row, id, response, multiple)
        } else {
            Note::None
        };
        write_tree(row, &note, &mut self.buf);
        if self.buf.len() >= 60 << 10 {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.last_frame.is_some() {
            self.buf.push(b'\n');
        }
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }
}

/// Whether the message's questions ask for AXFR or IXFR (responses may then come
/// many); `None` when it has no questions or they cannot all be read (tshark then
/// leaves its transaction as it was).
fn asks_for_a_transfer(msg: &[u8]) -> Option<bool> {
    let tvb = Tvb {
        data: msg,
        reported: msg.len(),
        budget: Some(std::cell::Cell::new(MAX_NAME_STEPS)),
    };
    let questions = tvb.u16(4).ok().filter(|&q| q > 0)?;
    let mut at = 12;
    let mut name = NameBuf::default();
    let mut transfer = false;
    for _ in 0..questions {
        let used = expand_name(&tvb, at, &mut name).ok()?;
        transfer |= matches!(tvb.u16(at + used).ok()?, 251 | 252);
        tvb.u16(at + used + 2).ok()?;
        at += used + 4;
    }
    Some(transfer)
}

/// The frame's first line and the headlines of its IP and transport layers.
fn frame_lines(row: &Row<'_>, out: &mut Vec<u8>) {
    use super::digits::{push_ip, push_u64};
    let o = &row.origin;
    let (wire, captured) = o.frame_len;
    out.extend_from_slice(b"Frame ");
    push_u64(out, o.file_frame);
    out.extend_from_slice(b": ");
    for (i, bytes) in [wire, captured].into_iter().enumerate() {
        push_u64(out, bytes.into());
        out.extend_from_slice(b" bytes ");
        out.extend_from_slice(if i == 0 { b"on wire (" } else { b"captured (" });
        push_u64(out, u64::from(bytes) * 8);
        out.extend_from_slice(if i == 0 { b" bits), " } else { b" bits)\n" });
    }
    // The fields the finder keeps of the layers below DNS (the headlines are tshark's;
    // under them, what scapy's show() lists that we have).
    let v4 = o.src.is_ipv4();
    out.extend_from_slice(if v4 {
        b"Internet Protocol Version 4, Src: "
    } else {
        b"Internet Protocol Version 6, Src: "
    });
    push_ip(out, o.src);
    out.extend_from_slice(b", Dst: ");
    push_ip(out, o.dst);
    out.push(b'\n');
    let transport: &[u8] = if o.tcp { b"TCP (6)\n" } else { b"UDP (17)\n" };
    let ttl = |out: &mut Vec<u8>, label: &[u8]| {
        if let Some(ttl) = o.ttl {
            out.extend_from_slice(label);
            push_u64(out, ttl.into());
            out.push(b'\n');
        }
    };
    if v4 {
        out.extend_from_slice(b"    Version: 4\n");
        ttl(out, b"    Time to Live: ");
        out.extend_from_slice(b"    Protocol: ");
        out.extend_from_slice(transport);
    } else {
        out.extend_from_slice(b"    Version: 6\n    Next Header: ");
        out.extend_from_slice(transport);
        ttl(out, b"    Hop Limit: ");
    }
    out.extend_from_slice(b"    Source Address: ");
    push_ip(out, o.src);
    out.extend_from_slice(b"\n    Destination Address: ");
    push_ip(out, o.dst);
    out.extend_from_slice(if o.tcp {
        b"\nTransmission Control Protocol, Src Port: "
    } else {
        b"\nUser Datagram Protocol, Src Port: "
    });
    push_u64(out, o.sport.into());
    out.extend_from_slice(b", Dst Port: ");
    push_u64(out, o.dport.into());
    out.extend_from_slice(b"\n    Source Port: ");
    push_u64(out, o.sport.into());
    out.extend_from_slice(b"\n    Destination Port: ");
    push_u64(out, o.dport.into());
    out.push(b'\n');
}

/// The DNS subtree of one message.
fn write_tree(row: &Row<'_>, note: &Note, out: &mut Vec<u8>) {
    let o = &row.origin;
    write_dns_tree(row.bytes, o.reported_len, o.protocol, o.tcp, note, out);
}

/// The DNS subtree of one message, as `tshark -V` shows it for a message it sees
/// alone (no request or response notes). `reported_len` is the message's length on the
/// wire (more than `msg.len()` when the capture cut it).
///
/// ```
/// use pcaptool::dns::analysis::find::Protocol;
/// let query = pcaptool::dns::Message::query(0x1234, "example.com".parse().unwrap(), 1).encode();
/// let mut out = Vec::new();
/// pcaptool::dns::view::detail::dns_tree(&query, query.len(), Protocol::Dns, false, &mut out);
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("Domain Name System (query)\n    Transaction ID: 0x1234\n"));
/// assert!(text.contains("            Type: A (Host Address) (1)\n"));
/// ```
pub fn dns_tree(msg: &[u8], reported_len: usize, protocol: Protocol, tcp: bool, out: &mut Vec<u8>) {
    write_dns_tree(msg, reported_len, protocol, tcp, &Note::None, out);
}

fn write_dns_tree(
    msg: &[u8],
    reported_len: usize,
    protocol: Protocol,
    tcp: bool,
    note: &Note,
    out: &mut Vec<u8>,
) {
    let tvb = Tvb {
        data: msg,
        reported: reported_len.max(msg.len()),
        budget: Some(std::cell::Cell::new(MAX_NAME_STEPS)),
    };
    let mut lines = Lines { out };
    if let Err(e) = walk(&tvb, protocol, tcp, note, &mut lines) {
        // The exception ends the DNS tree; tshark adds a top-level line for it.
        lines.text(
            0,
            match e {
                OutOfBounds::Malformed => b"[Malformed Packet: DNS]",
                OutOfBounds::CutShort => b"[Packet size limited during capture: DNS truncated]",
                OutOfBounds::OverBudget => {
                    b"[pcaptool: the names of this message take over 250,000 label steps to read; the rest is not shown]"
                }
            },
        );
    }
}

fn walk(tvb: &Tvb<'_>, protocol: Protocol, tcp: bool, note: &Note, l: &mut Lines<'_>) -> Walk<()> {
    let mdns = protocol == Protocol::Mdns;
    let llmnr = protocol == Protocol::Llmnr;
    let flags = tvb.u16(2)?;
    let response = flags & 0x8000 != 0;
    l.out.extend_from_slice(match protocol {
        Protocol::Llmnr => b"Link-local Multicast Name Resolution (",
        Protocol::Mdns => b"Multicast Domain Name System (",
        _ => &b"Domain Name System ("[..],
    });
    l.out.extend_from_slice(if response {
        b"response)\n"
    } else {
        b"query)\n"
    });
    if tcp {
        // The length prefix is not part of the message bytes we hold.
        l.number(1, "Length", tvb.len() as u64);
    }
    let id = tvb.u16(0)?;
    l.field_with(1, "Transaction ID", |o| super::digits::push_hex16(o, id));
    // Notes about the transaction are added when the message has been read whole; the
    // retransmission's expert note then goes under the transaction ID.
    let expert_at = l.out.len();
    let opcode = ((flags >> 11) & 0xf) as u8;
    let rcode = flags & 0xf;
    let opcode_text: Option<&str> = match opcode {
        0 => Some("Standard query"),
        1 => Some("Inverse query"),
        2 => Some("Server status request"),
        4 => Some("Zone change notification"),
        5 => Some("Dynamic update"),
        6 => Some("DNS Stateful operations (DSO)"),
        _ => None,
    };
    l.field_with(1, "Flags", |o| {
        super::digits::push_hex16(o, flags);
        o.push(b' ');
        o.extend_from_slice(opcode_text.unwrap_or("Unknown operation").as_bytes());
        if response {
            o.extend_from_slice(b" response, ");
            o.extend_from_slice(rcode_name(rcode).unwrap_or("Unknown error").as_bytes());
        }
    });
    // One line per flag bit: (mask, name, meaning when set, meaning when clear).
    let flag = |l: &mut Lines<'_>, (mask, name, yes, no): (u16, &str, &str, &str)| {
        l.bits16(
            2,
            flags,
            mask,
            name,
            if flags & mask != 0 { yes } else { no },
        );
    };
    const TRUNCATED: (u16, &str, &str, &str) = (
        0x0200,
        "Truncated",
        "Message is truncated",
        "Message is not truncated",
    );
    flag(
        l,
        (
            0x8000,
            "Response",
            "Message is a response",
            "Message is a query",
        ),
    );
    let opcode_value = match (opcode, opcode_text) {
        (0, _) => std::borrow::Cow::Borrowed("Standard query (0)"),
        (_, Some(text)) => format!("{text} ({opcode})").into(),
        (_, None) => format!("Unknown ({opcode})").into(),
    };
    l.bits16(2, flags, 0x7800, "Opcode", &opcode_value);
    let rcode_value: std::borrow::Cow<str> = match rcode {
        0 => "No error (0)".into(),
        3 => "No such name (3)".into(),
        _ => format!("{} ({rcode})", rcode_name(rcode).unwrap_or("Unknown")).into(),
    };
    if llmnr {
        let conflict = if response {
            (
                "The name is not considered unique",
                "The name is considered unique",
            )
        } else {
            ("The sender received multiple responses", "None")
        };
        flag(l, (0x0400, "Conflict", conflict.0, conflict.1));
        flag(l, TRUNCATED);
        flag(l, (0x0100, "Tentative", "Tentative", "Not tentative"));
    } else {
        if response {
            flag(
                l,
                (
                    0x0400,
                    "Authoritative",
                    "Server is an authority for domain",
                    "Server is not an authority for domain",
                ),
            );
        }
        flag(l, TRUNCATED);
        flag(
            l,
            (
                0x0100,
                "Recursion desired",
                "Do query recursively",
                "Don't do query recursively",
            ),
        );
        if response {
            flag(
                l,
                (
                    0x0080,
                    "Recursion available",
                    "Server can do recursive queries",
                    "Server can't do recursive queries",
                ),
            );
        }
        flag(l, (0x0040, "Z", "reserved - incorrect!", "reserved (0)"));
        if response {
            flag(
                l,
                (
                    0x0020,
                    "Answer authenticated",
                    "Answer/authority portion was authenticated by the server",
                    "Answer/authority portion was not authenticated by the server",
                ),
            );
        } else if flags & 0x0020 != 0 {
            l.bits16(2, flags, 0x0020, "AD bit", "Set");
        }
        flag(
            l,
            (
                0x0010,
                "Non-authenticated data",
                "Acceptable",
                "Unacceptable",
            ),
        );
    }
    if response {
        l.bits16(2, flags, 0x000f, "Reply code", &rcode_value);
    }
    let update = opcode == 5;
    let questions = tvb.u16(4)?;
    l.number(
        1,
        if update { "Zones" } else { "Questions" },
        questions as u64,
    );
    let answers = tvb.u16(6)?;
    l.number(
        1,
        if update {
            "Prerequisites"
        } else {
            "Answer RRs"
        },
        answers as u64,
    );
    let authority = tvb.u16(8)?;
    l.number(
        1,
        if update { "Updates" } else { "Authority RRs" },
        authority as u64,
    );
    let additional = tvb.u16(10)?;
    l.number(1, "Additional RRs", additional.into());
    let mut offset = 12;
    let mut names = [NameBuf::default(), NameBuf::default()];
    if questions > 0 {
        l.text(1, if update { b"Zone" } else { b"Queries" });
        for _ in 0..questions {
            offset += question(tvb, offset, mdns, l, &mut names[0])?;
        }
    }
    let sections: [(u16, &str); 3] = [
        (answers, if update { "Prerequisites" } else { "Answers" }),
        (
            authority,
            if update {
                "Updates"
            } else {
                "Authoritative nameservers"
            },
        ),
        (additional, "Additional records"),
    ];
    for (count, title) in sections {
        if count > 0 {
            l.text(1, title.as_bytes());
            for _ in 0..count {
                offset += record(tvb, offset, mdns, l, &mut names)?;
            }
        }
    }
    let mut expert = Vec::new();
    let mut under_id = Lines { out: &mut expert };
    match *note {
        Note::RetransmittedRequest(original) => {
            under_id.expert(
                2,
                "Warning",
                "Protocol",
                format!("DNS query retransmission. Original request in frame {original}")
                    .as_bytes(),
            );
            l.generated(
                1,
                "Retransmitted request. Original request in",
                original.to_string().as_bytes(),
            );
            l.generated(1, "Retransmission", b"True");
        }
        Note::RetransmittedResponse(original) => {
            under_id.expert(
                2,
                "Warning",
                "Protocol",
                format!("DNS response retransmission. Original response in frame {original}")
                    .as_bytes(),
            );
            l.generated(
                1,
                "Retransmitted response. Original response in",
                original.to_string().as_bytes(),
            );
            l.generated(1, "Retransmission", b"True");
        }
        Note::RequestIn(frame, nanos) => {
            l.generated(1, "Request In", frame.to_string().as_bytes());
            let sign = if nanos < 0 { "-" } else { "" };
            let nanos = nanos.unsigned_abs();
            l.generated(
                1,
                "Time",
                format!(
                    "{sign}{}.{:09} seconds",
                    nanos / 1_000_000_000,
                    nanos % 1_000_000_000
                )
                .as_bytes(),
            );
        }
        Note::Unsolicited => l.generated(1, "Unsolicited", b"True"),
        Note::None => {}
    }
    l.out.splice(expert_at..expert_at, expert);
    let extra = tvb.len().saturating_sub(offset);
    if extra > 0 {
        l.text(1, format!("Extraneous Data ({extra} bytes)").as_bytes());
        let data = tvb.bytes(offset, extra).unwrap_or_default();
        l.field(2, "Extraneous Data Bytes", &hex_field(data));
        l.generated(2, "Extraneous Data Length", extra.to_string().as_bytes());
    }
    Ok(())
}

fn name_text(name: &NameBuf) -> Vec<u8> {
    let mut v = Vec::with_capacity(name.len() + 8);
    format_text(name, &mut v);
    v
}

fn question(
    tvb: &Tvb<'_>,
    offset: usize,
    mdns: bool,
    l: &mut Lines<'_>,
    name: &mut NameBuf,
) -> Walk<usize> {
    let used = expand_name(tvb, offset, name)?;
    let qtype = tvb.u16(offset + used)?;
    let raw_class = tvb.u16(offset + used + 2)?;
    let (class, qu) = if mdns {
        (raw_class & 0x7fff, raw_class & 0x8000 != 0)
    } else {
        (raw_class, false)
    };
    let shown = name_text(name);
    let mut head = shown.clone();
    let _ = write!(
        head,
        ": type {}, class {}",
        short_type(qtype),
        class_name(class).unwrap_or("Unknown")
    );
    let base_len = head.len();
    if mdns {
        let _ = write!(head, ", \"{}\" question", if qu { "QU" } else { "QM" });
    }
    l.text(2, &headline(head, base_len));
    l.field(3, "Name", &shown);
    let name_len = name.len();
    l.generated(
        3,
        "Name Length",
        (if name_len > 1 { name_len } else { 0 })
            .to_string()
            .as_bytes(),
    );
    let labels = if name_len > 1 {
        name.iter().filter(|&&b| b == b'.').count() + 1
    } else {
        0
    };
    l.generated(3, "Label Count", labels.to_string().as_bytes());
    l.field_with(3, "Type", |o| push_type_value(o, qtype));
    if mdns {
        l.bits16(3, raw_class, 0x7fff, "Class", &class_value(class));
        l.bits16(
            3,
            raw_class,
            0x8000,
            "\"QU\" question",
            if qu { "True" } else { "False" },
        );
    } else {
        l.field_with(3, "Class", |o| push_class_value(o, class));
    }
    Ok(used + 4)
}

fn record(
    tvb: &Tvb<'_>,
    offset: usize,
    mdns: bool,
    l: &mut Lines<'_>,
    names: &mut [NameBuf; 2],
) -> Walk<usize> {
    let [owner, data_name] = names;
    let used = expand_name(tvb, offset, owner)?;
    let rtype = tvb.u16(offset + used)?;
    let raw_class = tvb.u16(offset + used + 2)?;
    let (class, flush) = if mdns {
        (raw_class & 0x7fff, raw_class & 0x8000 != 0)
    } else {
        (raw_class, false)
    };
    let data_len = usize::from(tvb.u16(offset + used + 8)?);
    let shown = name_text(owner);
    let data = offset + used + 10;
    // The headline gets the record's own words once its data has been read; an
    // exception on the way leaves it without them, as in tshark.
    let mut head = shown.clone();
    if rtype == 41 {
        let _ = write!(head, ": type {}", short_type(rtype));
    } else {
        let _ = write!(
            head,
            ": type {}, class {}",
            short_type(rtype),
            class_name(class).unwrap_or("Unknown")
        );
    }
    let base_len = head.len();
    if mdns && flush {
        head.extend_from_slice(b", cache flush");
    }
    // The fields are written first and the headline put before them once the data
    // has been read (it gets the record's own words then).
    let body_at = l.out.len();
    let result = rr_fields(
        tvb,
        rtype,
        raw_class,
        class,
        mdns,
        (&shown, owner),
        data,
        data_len,
        l,
        data_name,
        &mut head,
    );
    let mut line = Vec::with_capacity(head.len() + 16);
    Lines { out: &mut line }.text(2, &headline(head, base_len));
    l.out.splice(body_at..body_at, line);
    result?;
    Ok(used + 10 + data_len)
}

#[allow(clippy::too_many_arguments)]
fn rr_fields(
    tvb: &Tvb<'_>,
    rtype: u16,
    raw_class: u16,
    class: u16,
    mdns: bool,
    (owner, owner_raw): (&[u8], &[u8]),
    data: usize,
    data_len: usize,
    l: &mut Lines<'_>,
    name: &mut NameBuf,
    head: &mut Vec<u8>,
) -> Walk<()> {
    let start = data - 10;
    if rtype == 41 {
        l.field(3, "Name", owner);
        l.field_with(3, "Type", |o| push_type_value(o, rtype));
        let size = tvb.u16(start + 2)?;
        if mdns {
            l.bits16(
                3,
                size,
                0x7fff,
                "UDP payload size",
                &format!("0x{:04x}", size & 0x7fff),
            );
            l.bits16(
                3,
                size,
                0x8000,
                "Cache flush",
                if size & 0x8000 != 0 { "True" } else { "False" },
            );
        } else {
            l.number(3, "UDP payload size", size as u64);
        }
        let ext = tvb.u8(start + 4)?;
        l.field(
            3,
            "Higher bits in extended RCODE",
            format!("0x{ext:02x}").as_bytes(),
        );
        let version = tvb.u8(start + 5)?;
        l.number(3, "EDNS0 version", version as u64);
        let z = tvb.u16(start + 6)?;
        l.field(3, "Z", format!("0x{z:04x}").as_bytes());
        l.bits16(
            4,
            z,
            0x8000,
            "DO bit",
            if z & 0x8000 != 0 {
                "Accepts DNSSEC security RRs"
            } else {
                "Cannot handle DNSSEC security RRs"
            },
        );
        l.bits16(4, z, 0x7fff, "Reserved", &format!("0x{:04x}", z & 0x7fff));
        l.number(3, "Data length", data_len as u64);
        if data_len > 0 {
            opt_options(tvb, data, data_len, l)?;
        }
        return Ok(());
    }
    if rtype == 33 && !owner_raw.is_empty() {
        // SRV: the owner name split at its first two dots.
        let mut parts = owner_raw.splitn(3, |&b| b == b'.');
        for label in ["Service", "Protocol", "Name"] {
            match parts.next() {
                Some(part) => {
                    let mut shown = Vec::new();
                    format_text(part, &mut shown);
                    l.field(3, label, &shown);
                }
                None => break,
            }
        }
    } else {
        l.field(3, "Name", owner);
    }
    l.field_with(3, "Type", |o| push_type_value(o, rtype));
    if mdns {
        l.bits16(3, raw_class, 0x7fff, "Class", &class_value(class));
        l.bits16(
            3,
            raw_class,
            0x8000,
            "Cache flush",
            if raw_class & 0x8000 != 0 {
                "True"
            } else {
                "False"
            },
        );
    } else {
        l.field_with(3, "Class", |o| push_class_value(o, class));
    }
    let ttl = u32::from_be_bytes(tvb.bytes(start + 4, 4)?.try_into().unwrap_or([0; 4]));
    l.field_with(3, "Time to live", |o| push_seconds(o, ttl));
    if ttl & 0x8000_0000 != 0 {
        l.expert(
            4,
            "Warning",
            "Protocol",
            b"The uppermost bit of the TTL is set (RFC 2181, section 8)",
        );
    }
    l.number(3, "Data length", data_len as u64);
    if data_len == 0 {
        return Ok(());
    }
    let mut name_field = |l: &mut Lines<'_>,
                          at: usize,
                          label: &str,
                          head_word: &str,
                          head: &mut Vec<u8>|
     -> Walk<usize> {
        let used = expand_name(tvb, at, name)?;
        let shown = name_text(name);
        head.extend_from_slice(head_word.as_bytes());
        head.extend_from_slice(&shown);
        l.field(3, label, &shown);
        Ok(used)
    };
    match rtype {
        1 => {
            let a = tvb.bytes(data, 4)?;
            let mut text = Vec::new();
            push_ipv4(&mut text, [a[0], a[1], a[2], a[3]]);
            head.extend_from_slice(b", addr ");
            head.extend_from_slice(&text);
            l.field(3, "Address", &text);
        }
        28 => {
            let a = tvb.bytes(data, 16)?;
            let mut text = Vec::new();
            push_ipv6(&mut text, a.try_into().unwrap_or([0; 16]));
            head.extend_from_slice(b", addr ");
            head.extend_from_slice(&text);
            l.field(3, "AAAA Address", &text);
        }
        2 => {
            name_field(l, data, "Name Server", ", ns ", head)?;
        }
        5 => {
            name_field(l, data, "CNAME", ", cname ", head)?;
        }
        12 => {
            name_field(l, data, "Domain Name", ", ", head)?;
        }
        39 => {
            name_field(l, data, "Dname", ", dname ", head)?;
        }
        6 => {
            let used = name_field(l, data, "Primary name server", ", mname ", head)?;
            let mut scratch = Vec::new();
            let used2 = {
                let u = expand_name(tvb, data + used, name)?;
                scratch.extend_from_slice(&name_text(name));
                u
            };
            l.field(3, "Responsible authority's mailbox", &scratch);
            let mut at = data + used + used2;
            let serial = u32::from_be_bytes(tvb.bytes(at, 4)?.try_into().unwrap_or([0; 4]));
            l.number(3, "Serial Number", serial as u64);
            at += 4;
            for label in [
                "Refresh Interval",
                "Retry Interval",
                "Expire limit",
                "Minimum TTL",
            ] {
                let v = u32::from_be_bytes(tvb.bytes(at, 4)?.try_into().unwrap_or([0; 4]));
                l.field(3, label, format!("{v} ({})", duration(v)).as_bytes());
                at += 4;
            }
        }
        15 => {
            let preference = tvb.u16(data)?;
            let used = expand_name(tvb, data + 2, name)?;
            let _ = used;
            let shown = name_text(name);
            let _ = write!(head, ", preference {preference}, mx ");
            head.extend_from_slice(&shown);
            l.number(3, "Preference", preference as u64);
            l.field(3, "Mail Exchange", &shown);
        }
        16 => character_strings(tvb, data, data_len, ("TXT Length", "TXT"), mdns, l)?,
        33 => {
            let priority = tvb.u16(data)?;
            l.number(3, "Priority", priority as u64);
            let weight = tvb.u16(data + 2)?;
            l.number(3, "Weight", weight as u64);
            let port = tvb.u16(data + 4)?;
            l.number(3, "Port", port as u64);
            expand_name(tvb, data + 6, name)?;
            let shown = name_text(name);
            l.field(3, "Target", &shown);
            let _ = write!(
                head,
                ", priority {priority}, weight {weight}, port {port}, target "
            );
            head.extend_from_slice(&shown);
        }
        10 => l.field(3, "Null (data)", &hex_field(tvb.bytes(data, data_len)?)),
        104..=107 => {
            l.number(3, "Preference", tvb.u16(data)?.into());
            match rtype {
                104 => l.field(3, "NodeID", &hex_field(tvb.bytes(data + 2, 8)?)),
                105 => {
                    let a = tvb.bytes(data + 2, 4)?;
                    l.field_with(3, "Locator32", |o| push_ipv4(o, [a[0], a[1], a[2], a[3]]));
                }
                106 => l.field(3, "Locator64", &hex_field(tvb.bytes(data + 2, 8)?)),
                _ => {
                    expand_name(tvb, data + 2, name)?;
                    l.field(3, "Locator FQDN", &name_text(name));
                }
            }
        }
        108 | 109 => {
            let len = if rtype == 108 { 6 } else { 8 };
            let bytes = tvb.bytes(data, len)?;
            l.field_with(
                3,
                if rtype == 108 {
                    "EUI48 Address"
                } else {
                    "EUI64 Address"
                },
                |o| {
                    for (i, b) in bytes.iter().enumerate() {
                        if i > 0 {
                            o.push(b':');
                        }
                        let _ = write!(o, "{b:02x}");
                    }
                },
            );
        }
        3 | 4 | 7 | 8 | 9 => {
            let label = match rtype {
                3 => "Mail Destination",
                4 => "Mail Forwarder",
                7 => "MailBox Domaine",
                8 => "Mail Group member",
                _ => "Mail Rename domaine",
            };
            expand_name(tvb, data, name)?;
            l.field(3, label, &name_text(name));
        }
        14 | 17 => {
            let (first, second) = if rtype == 14 {
                ("Responsible Mailbox", "Error Mailbox")
            } else {
                ("Mailbox", "TXT RR")
            };
            let used = expand_name(tvb, data, name)?;
            l.field(3, first, &name_text(name));
            expand_name(tvb, data + used, name)?;
            l.field(3, second, &name_text(name));
        }
        18 | 21 | 36 => {
            // The name after the number is read first, then both shown.
            expand_name(tvb, data + 2, name)?;
            let shown = name_text(name);
            let number = tvb.u16(data)?;
            let (first, second) = match rtype {
                18 => ("Subtype", "Hostname"),
                21 => ("Preference", "Intermediate Hostname"),
                _ => ("Preference", "Key Exchange"),
            };
            if rtype == 36 {
                let _ = write!(head, ", preference {number}, kx ");
                head.extend_from_slice(&shown);
            }
            l.number(3, first, number.into());
            l.field(3, second, &shown);
        }
        11 => {
            let a = tvb.bytes(data, 4)?;
            let mut address = Vec::new();
            push_ipv4(&mut address, [a[0], a[1], a[2], a[3]]);
            head.extend_from_slice(b", addr ");
            head.extend_from_slice(&address);
            l.field(3, "Address", &address);
            let protocol = tvb.u8(data + 4)?;
            // The common IP protocol numbers of Wireshark's ipproto table.
            let protocol_name = match protocol {
                1 => "ICMP",
                6 => "TCP",
                17 => "UDP",
                58 => "ICMPv6",
                132 => "SCTP",
                _ => "Unknown",
            };
            l.field(
                3,
                "Protocol",
                format!("{protocol_name} ({protocol})").as_bytes(),
            );
            let mut port = 0u32;
            // tshark counts down from the record length less 5 until zero: a shorter
            // record never gets there and reads on to the end of the message.
            let end = if data_len >= 5 {
                data + data_len
            } else {
                usize::MAX
            };
            let mut at = data + 5;
            while at != end {
                let bits = tvb.u8(at)?;
                at += 1;
                if bits == 0 {
                    port += 8;
                    continue;
                }
                let ports: Vec<String> = (0..8)
                    .filter(|b| bits & (0x80 >> b) != 0)
                    .map(|b| (port + b).to_string())
                    .collect();
                port += 8;
                l.field(
                    3,
                    "Bits",
                    format!("0x{bits:02x} ({})", ports.join(", ")).as_bytes(),
                );
            }
        }
        29 => {
            let version = tvb.u8(data)?;
            l.number(3, "Version", version as u64);
            if version == 0 {
                for (i, label) in ["Size", "Horizontal Precision", "Vertical Precision"]
                    .into_iter()
                    .enumerate()
                {
                    let b = tvb.u8(data + 1 + i)?;
                    l.field(
                        3,
                        label,
                        format!("{b} ({} m)", format_g(loc_size(b))).as_bytes(),
                    );
                }
                let latitude = u32_at(tvb, data + 4)?;
                l.field(
                    3,
                    "Latitude",
                    format!("{latitude} ({})", loc_angle(latitude, false)).as_bytes(),
                );
                let longitude = u32_at(tvb, data + 8)?;
                l.field(
                    3,
                    "Longitude",
                    format!("{longitude} ({})", loc_angle(longitude, true)).as_bytes(),
                );
                let altitude = u32_at(tvb, data + 12)?;
                let metres = (f64::from(altitude as i32) - 10_000_000.0) / 100.0;
                l.field(
                    3,
                    "Altitude",
                    format!("{altitude} ({} m)", format_g(metres)).as_bytes(),
                );
            } else {
                l.field(3, "Unknown data", &hex_field(tvb.bytes(data, data_len)?));
            }
        }
        51 => {
            nsec3_fields(tvb, data, false, l)?;
        }
        257 => {
            let flags = tvb.u8(data)?;
            l.field(3, "CAA Flags", format!("0x{flags:02x}").as_bytes());
            l.bits(
                4,
                8,
                u16::from(flags),
                0x80,
                "Issuer Critical",
                if flags & 0x80 != 0 {
                    "Critical"
                } else {
                    "Not critical"
                },
            );
            let tag_len = usize::from(tvb.u8(data + 1)?);
            let tag = tvb.bytes(data + 2, tag_len)?;
            let value_len = usize::from((data_len as u16).wrapping_sub(tag_len as u16 + 2));
            let value = ascii_field(tvb.bytes(data + 2 + tag_len, value_len)?);
            let tag_text = ascii_text(tag);
            let label = if strncmp_equal(&tag_text, b"issue", tag_len) {
                "Issue"
            } else if strncmp_equal(&tag_text, b"issuewild", tag_len) {
                "Issue Wildcard"
            } else if strncmp_equal(&tag_text, b"iodef", tag_len) {
                "Report URL"
            } else {
                "Unknown tag"
            };
            l.field(3, label, &value);
            l.number(4, "Tag length", tag_len as u64);
            l.field(4, "Tag", &ascii_field(tag));
            l.field(4, "Value", &value);
        }
        64 | 65 => {
            let priority = tvb.u16(data)?;
            l.number(3, "SvcPriority", priority as u64);
            let used = expand_name(tvb, data + 2, name)?;
            l.field(3, "TargetName", &name_text(name));
            let mut at = data + 2 + used;
            while data_len > at - data {
                // The parameter's item comes first; its key and length are read into it.
                let mut head = b"SvcParam".to_vec();
                let mut body = Vec::new();
                let mut p = Lines { out: &mut body };
                let key = match tvb.u16(at) {
                    Ok(key) => key,
                    Err(e) => {
                        l.text(3, &head);
                        return Err(e);
                    }
                };
                // The field names keys its table does not know `Unknown`; the
                // headline calls them `keyN`.
                let known = matches!(key, 0..=6 | 32769 | 65535);
                p.field_with(4, "SvcParamKey", |o| {
                    let name = if known {
                        svc_key_name(key)
                    } else {
                        "Unknown".into()
                    };
                    let _ = write!(o, "{name} ({key})");
                });
                let len = match tvb.u16(at + 2) {
                    Ok(len) => usize::from(len),
                    Err(e) => {
                        l.text(3, &head);
                        l.out.extend_from_slice(&body);
                        return Err(e);
                    }
                };
                p.number(4, "SvcParamValue length", len as u64);
                let base_len = head.len();
                let _ = write!(head, ": {}", svc_key_name(key));
                at += 4;
                let result = svc_param(tvb, key, len, &mut at, &mut p, &mut head);
                l.text(3, &headline(head, base_len));
                l.out.extend_from_slice(&body);
                result?;
            }
        }
        44 => {
            let algorithm = tvb.u8(data)?;
            let algorithm_name = match algorithm {
                0 => "Reserved",
                1 => "RSA",
                2 => "DSA",
                3 => "ECDSA",
                4 => "Ed25519",
                5 => "XMSS",
                _ => "Unknown",
            };
            l.field(
                3,
                "Algorithm",
                format!("{algorithm_name} ({algorithm})").as_bytes(),
            );
            let kind = tvb.u8(data + 1)?;
            let kind_name = match kind {
                0 => "Reserved",
                1 => "SHA1",
                2 => "SHA256",
                _ => "Unknown",
            };
            l.field(
                3,
                "Fingerprint type",
                format!("{kind_name} ({kind})").as_bytes(),
            );
            if data_len != 2 {
                let len = data_len.checked_sub(2).ok_or(OutOfBounds::Malformed)?;
                l.field(3, "Fingerprint", &hex_field(tvb.bytes(data + 2, len)?));
            }
        }
        50 => {
            let salt_len = nsec3_fields(tvb, data, true, l)?;
            let hash_at = data + 5 + salt_len;
            let hash_len = usize::from(tvb.u8(hash_at)?);
            l.number(3, "Hash length", hash_len as u64);
            if hash_len > 0 {
                let hash = tvb.bytes(hash_at + 1, hash_len)?;
                let mut text = String::new();
                crate::dns::view::dig::push_base32hex(&mut text, hash);
                l.generated(3, "Next hashed owner", text.as_bytes());
            }
            let end = hash_at + 1 + hash_len;
            type_bitmap(tvb, end, data_len as i64 - (end - data) as i64, l)?;
        }
        99 => character_strings(tvb, data, data_len, ("SPF Length", "SPF"), false, l)?,
        35 => {
            let order = tvb.u16(data)?;
            l.number(3, "Order", order as u64);
            let preference = tvb.u16(data + 2)?;
            l.number(3, "Preference", preference as u64);
            let mut at = data + 4;
            let mut flags_text = Vec::new();
            for (length_label, label) in [
                ("Flags Length", "Flags"),
                ("Service Length", "Service"),
                ("Regex Length", "Regex"),
            ] {
                let len = usize::from(tvb.u8(at)?);
                l.number(3, length_label, len as u64);
                let text = tvb.bytes(at + 1, len)?;
                if label == "Flags" {
                    flags_text = ascii_text(text);
                }
                l.field(3, label, &ascii_field(text));
                at += 1 + len;
            }
            expand_name(tvb, at, name)?;
            let shown = name_text(name);
            l.generated(
                3,
                "Replacement Length",
                (name.len() as u8).to_string().as_bytes(),
            );
            l.field(3, "Replacement", &shown);
            let _ = write!(head, ", order {order}, preference {preference}, flags ");
            head.extend_from_slice(&flags_text);
        }
        13 => {
            let cpu_len = usize::from(tvb.u8(data)?);
            let cpu = tvb.bytes(data + 1, cpu_len)?;
            let os_len = usize::from(tvb.u8(data + 1 + cpu_len)?);
            let os = tvb.bytes(data + 2 + cpu_len, os_len)?;
            head.extend_from_slice(b", CPU ");
            head.extend_from_slice(&cut_bytes(ascii_text(cpu), cpu_len));
            head.extend_from_slice(b", OS ");
            head.extend_from_slice(&cut_bytes(ascii_text(os), os_len));
            l.number(3, "CPU Length", cpu_len as u64);
            l.field(3, "CPU", &ascii_field(cpu));
            l.number(3, "OS Length", os_len as u64);
            l.field(3, "OS", &ascii_field(os));
        }
        24 | 46 => {
            let rest = data_len as i64 - 18;
            let covered = tvb.u16(data)?;
            l.field(3, "Type Covered", type_value(covered).as_bytes());
            l.field(
                3,
                "Algorithm",
                algorithm_value(tvb.u8(data + 2)?).as_bytes(),
            );
            l.number(3, "Labels", (tvb.u8(data + 3)?) as u64);
            let ttl = u32_at(tvb, data + 4)?;
            l.field(
                3,
                "Original TTL",
                format!("{ttl} ({})", duration(ttl)).as_bytes(),
            );
            l.field(
                3,
                "Signature Expiration",
                absolute_time(u32_at(tvb, data + 8)?).as_bytes(),
            );
            l.field(
                3,
                "Signature Inception",
                absolute_time(u32_at(tvb, data + 12)?).as_bytes(),
            );
            l.number(3, "Key Tag", (tvb.u16(data + 16)?) as u64);
            let used = expand_name(tvb, data + 18, name)?;
            l.field(3, "Signer's name", &name_text(name));
            let rest = rest - used as i64;
            if rest != 0 {
                let len = usize::try_from(rest).map_err(|_| OutOfBounds::Malformed)?;
                l.field(
                    3,
                    "Signature",
                    &hex_field(tvb.bytes(data + 18 + used, len)?),
                );
            }
        }
        48 | 60 => {
            let flags = tvb.u16(data)?;
            l.field(3, "Flags", format!("0x{flags:04x}").as_bytes());
            l.bits16(
                4,
                flags,
                0x0100,
                "Zone Key",
                if flags & 0x0100 != 0 {
                    "This is the zone key for specified zone"
                } else {
                    "This it not a zone key"
                },
            );
            let yes = |m: u16| if flags & m != 0 { "Yes" } else { "No" };
            l.bits16(4, flags, 0x0080, "Key Revoked", yes(0x0080));
            l.bits16(4, flags, 0x0001, "Key Signing Key", yes(0x0001));
            l.bits16(
                4,
                flags,
                0xfe7e,
                "Key Signing Key",
                &format!("0x{:04x}", flags & 0xfe7e),
            );
            l.number(3, "Protocol", (tvb.u8(data + 2)?) as u64);
            let algorithm = tvb.u8(data + 3)?;
            l.field(3, "Algorithm", algorithm_value(algorithm).as_bytes());
            if data_len >= 4 {
                let key_id = key_id(tvb.bytes(data, data_len)?, algorithm);
                l.generated(3, "Key id", key_id.to_string().as_bytes());
            } else {
                l.expert(
                    3,
                    "Warning",
                    "Protocol",
                    b"Buffer too short to compute a key id",
                );
            }
            let len = data_len.checked_sub(4).ok_or(OutOfBounds::Malformed)?;
            l.field(3, "Public Key", &hex_field(tvb.bytes(data + 4, len)?));
        }
        43 | 59 | 32769 => {
            l.field(3, "Key id", format!("0x{:04x}", tvb.u16(data)?).as_bytes());
            l.field(
                3,
                "Algorithm",
                algorithm_value(tvb.u8(data + 2)?).as_bytes(),
            );
            let digest_type = tvb.u8(data + 3)?;
            let digest_name = match digest_type {
                0 => "Reserved digest",
                1 => "SHA-1",
                2 => "SHA-256",
                3 => "GOST R 34.11-94",
                4 => "SHA-384",
                _ => "Unknown",
            };
            l.field(
                3,
                "Digest Type",
                format!("{digest_name} ({digest_type})").as_bytes(),
            );
            let len = data_len.checked_sub(4).ok_or(OutOfBounds::Malformed)?;
            l.field(3, "Digest", &hex_field(tvb.bytes(data + 4, len)?));
        }
        47 => {
            let used = name_field(l, data, "Next Domain Name", ", next domain name ", head)?;
            type_bitmap(tvb, data + used, data_len as i64 - used as i64, l)?;
        }
        _ => {
            l.expert(
                3,
                "Note",
                "Undecoded",
                format!(
                    "Dissector for DNS Type ({rtype}) code not implemented, Contact Wireshark developers if you want this supported"
                )
                .as_bytes(),
            );
            let bytes = tvb.bytes(data, data_len)?;
            l.field(3, "Data", &hex_field(bytes));
        }
    }
    Ok(())
}

/// TXT and SPF: a length and a string, until the record's length is used up exactly
/// (tshark's loop reads on past the message otherwise). Strings are read as ASCII, or
/// as UTF-8 in mDNS, and shown up to their first NUL.
fn character_strings(
    tvb: &Tvb<'_>,
    data: usize,
    data_len: usize,
    (length_label, label): (&str, &str),
    utf8: bool,
    l: &mut Lines<'_>,
) -> Walk<()> {
    let mut rest = data_len as i64;
    let mut at = data;
    while rest != 0 {
        let len = usize::from(tvb.u8(at)?);
        l.number(3, length_label, len as u64);
        at += 1;
        rest -= 1;
        let text = tvb.bytes(at, len)?;
        if utf8 {
            let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
            l.field_with(3, label, |o| format_text(&text[..end], o));
        } else {
            l.field(3, label, &ascii_field(text));
        }
        at += len;
        rest -= len as i64;
        if rest < 0 {
            return Err(OutOfBounds::Malformed);
        }
    }
    Ok(())
}

/// What NSEC3 and NSEC3PARAM share: hash algorithm, flags (NSEC3 shows its opt-out
/// bit), iterations and salt. Returns the salt's length.
fn nsec3_fields(tvb: &Tvb<'_>, data: usize, opt_out_bit: bool, l: &mut Lines<'_>) -> Walk<usize> {
    let algorithm = tvb.u8(data)?;
    let algorithm_name = match algorithm {
        0 => "Reserved",
        1 => "SHA-1",
        _ => "Unknown",
    };
    l.field(
        3,
        "Hash algorithm",
        format!("{algorithm_name} ({algorithm})").as_bytes(),
    );
    let flags = tvb.u8(data + 1)?;
    l.number(3, "NSEC3 flags", flags.into());
    if opt_out_bit {
        l.bits(
            4,
            8,
            u16::from(flags),
            1,
            "NSEC3 Opt-out flag",
            if flags & 1 != 0 {
                "Additional insecure delegations allowed"
            } else {
                "Additional insecure delegations forbidden"
            },
        );
    }
    l.number(3, "NSEC3 iterations", tvb.u16(data + 2)?.into());
    let salt_len = usize::from(tvb.u8(data + 4)?);
    l.number(3, "Salt length", salt_len as u64);
    l.field(3, "Salt value", &hex_field(tvb.bytes(data + 5, salt_len)?));
    Ok(salt_len)
}

fn u32_at(tvb: &Tvb<'_>, at: usize) -> Walk<u32> {
    Ok(u32::from_be_bytes(
        tvb.bytes(at, 4)?.try_into().unwrap_or([0; 4]),
    ))
}

/// packet-dns.c's dns_svcb_param_key_vals, `keyN` for the others.
fn svc_key_name(key: u16) -> String {
    match key {
        0 => "mandatory".into(),
        1 => "alpn".into(),
        2 => "no-default-alpn".into(),
        3 => "port".into(),
        4 => "ipv4hint".into(),
        5 => "echconfig".into(),
        6 => "ipv6hint".into(),
        32769 => "odohconfig".into(),
        // 65535 is in its table as "key65535": the same words.
        _ => format!("key{key}"),
    }
}

/// One SVCB parameter's value, each key read its own way whatever its length says.
fn svc_param(
    tvb: &Tvb<'_>,
    key: u16,
    len: usize,
    at: &mut usize,
    l: &mut Lines<'_>,
    head: &mut Vec<u8>,
) -> Walk<()> {
    let sep = |head: &mut Vec<u8>, first: bool| head.push(if first { b'=' } else { b',' });
    match key {
        0 => {
            for i in (0..len).step_by(2) {
                let k = tvb.u16(*at)?;
                l.field(
                    4,
                    "Mandatory key",
                    format!("{} ({k})", svc_key_name(k)).as_bytes(),
                );
                sep(head, i == 0);
                head.extend_from_slice(svc_key_name(k).as_bytes());
                *at += 2;
            }
        }
        1 => {
            let mut done = 0;
            while done < len {
                let n = usize::from(tvb.u8(*at)?);
                l.number(4, "ALPN length", n as u64);
                *at += 1;
                let id = ascii_text(tvb.bytes(*at, n)?);
                let mut shown = Vec::new();
                format_text(&id, &mut shown);
                l.field(4, "ALPN", &shown);
                *at += n;
                sep(head, done == 0);
                head.extend_from_slice(&id);
                done += 1 + n;
            }
        }
        2 => {}
        3 => {
            let port = tvb.u16(*at)?;
            l.number(4, "Port", port as u64);
            let _ = write!(head, "={port}");
            *at += 2;
        }
        4 | 6 => {
            let size = if key == 4 { 4 } else { 16 };
            for i in (0..len).step_by(size) {
                let a = tvb.bytes(*at, size)?;
                let mut text = Vec::new();
                if key == 4 {
                    push_ipv4(&mut text, [a[0], a[1], a[2], a[3]]);
                } else {
                    push_ipv6(&mut text, a.try_into().unwrap_or([0; 16]));
                }
                l.field(4, "IP", &text);
                sep(head, i == 0);
                head.extend_from_slice(&text);
                *at += size;
            }
        }
        5 | 32769 => {
            let value = tvb.bytes(*at, len)?;
            let text = crate::dns::view::json_rdata::base64(value);
            let label = if key == 5 { "ECHConfig" } else { "ODoHConfig" };
            // A value set by format: marked at the start when too long.
            let line = format!("{label}: {text}");
            l.text(4, line.as_bytes());
            let _ = write!(head, "={text}");
            *at += len;
        }
        _ => {
            if len > 0 {
                let value = tvb.bytes(*at, len)?;
                l.field(4, "SvcParamValue", &hex_field(value));
                head.push(b'=');
                format_text(value, head);
                *at += len;
            }
        }
    }
    Ok(())
}

/// packet-dns.c's dns_ds_digest_vals.
fn digest_name(code: u8) -> &'static str {
    match code {
        0 => "Reserved digest",
        1 => "SHA-1",
        2 => "SHA-256",
        3 => "GOST R 34.11-94",
        4 => "SHA-384",
        _ => "Unknown",
    }
}

/// packet-dns.c's dnssec_algo_vals: `RSA/SHA-256 (8)`.
fn algorithm_value(code: u8) -> String {
    let name = match code {
        1 => "RSA/MD5",
        2 => "Diffie-Hellman",
        3 => "DSA",
        4 => "Elliptic curve crypto",
        5 => "RSA/SHA1",
        6 => "DSA + NSEC3/SHA1",
        7 => "RSA/SHA1 + NSEC3/SHA1",
        8 => "RSA/SHA-256",
        10 => "RSA/SHA-512",
        12 => "GOST R 34.10-2001",
        13 => "ECDSA Curve P-256 with SHA-256",
        14 => "ECDSA Curve P-386 with SHA-386",
        15 => "Ed25519",
        16 => "Ed448",
        157 => "HMAC/MD5",
        252 => "Indirect key",
        253 => "Private, domain name",
        254 => "Private, OID",
        _ => "Unknown",
    };
    format!("{name} ({code})")
}

/// The key tag of a key's data (RFC 4034 appendix B; algorithm 1 its own way).
fn key_id(rdata: &[u8], algorithm: u8) -> u16 {
    if algorithm == 1 {
        let n = rdata.len();
        return (u16::from(rdata[n - 3]) << 8) + u16::from(rdata[n - 2]);
    }
    let mut ac: u32 = 0;
    for pair in rdata.chunks(2) {
        ac = ac.wrapping_add((u32::from(pair[0]) << 8) + u32::from(*pair.get(1).unwrap_or(&0)));
    }
    ac = ac.wrapping_add((ac >> 16) & 0xffff);
    (ac & 0xffff) as u16
}

/// A DNSSEC time as tshark shows an absolute time (in UTC): `Dec 29, 2008 11:00:04.000000000 UTC`.
fn absolute_time(secs: u32) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (year, month, day) = Timestamp::new(i64::from(secs), 0).date();
    let of_day = secs % 86_400;
    format!(
        "{} {day:2}, {year} {:02}:{:02}:{:02}.000000000 UTC",
        MONTHS[month as usize - 1],
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// NSEC, NSEC3 and CSYNC type bitmaps, a line per type present.
fn type_bitmap(tvb: &Tvb<'_>, mut at: usize, mut rest: i64, l: &mut Lines<'_>) -> Walk<()> {
    while rest != 0 {
        let window = usize::from(tvb.u8(at)?);
        let mut size = tvb.u8(at + 1)?;
        at += 2;
        rest -= 2;
        let mut rtype = window * 256;
        while size > 0 {
            let bits = tvb.u8(at)?;
            for i in 0..8 {
                if bits & (0x80 >> i) != 0 {
                    let code = rtype as u16;
                    l.text(
                        3,
                        format!(
                            "RR type in bit map: {}",
                            type_description(code)
                                .map_or_else(|| format!("Unknown ({code})"), str::to_string)
                        )
                        .as_bytes(),
                    );
                }
                rtype += 1;
            }
            at += 1;
            rest -= 1;
            size -= 1;
        }
        if rest < 0 {
            // Wireshark's loop only stops at exactly zero: it reads on past the end.
            return Err(OutOfBounds::Malformed);
        }
    }
    Ok(())
}

/// The EDNS options, each a subtree.
fn opt_options(tvb: &Tvb<'_>, data: usize, data_len: usize, l: &mut Lines<'_>) -> Walk<()> {
    let mut rest = data_len as i64;
    let mut at = data;
    while rest > 0 {
        let code = tvb.u16(at)?;
        let len = tvb.u16(at + 2)?;
        rest -= 4;
        let name = option_name(code).unwrap_or("Unknown");
        match option_name(code) {
            Some(name) => l.text(3, format!("Option: {name}").as_bytes()),
            None => l.text(3, format!("Option: Unknown ({code})").as_bytes()),
        }
        l.field(4, "Option Code", format!("{name} ({code})").as_bytes());
        l.number(4, "Option Length", len as u64);
        let after_length = l.out.len();
        let value = at + 4;
        let bytes = tvb.bytes(value, usize::from(len))?;
        l.field(4, "Option Data", &hex_field(bytes));
        match code {
            8 | 0x50fa => {
                let family = tvb.u16(value)?;
                let family_name = match family {
                    1 => "IPv4",
                    2 => "IPv6",
                    _ => "Unknown",
                };
                l.field(4, "Family", format!("{family_name} ({family})").as_bytes());
                l.number(4, "Source Netmask", (tvb.u8(value + 2)?) as u64);
                l.number(4, "Scope Netmask", (tvb.u8(value + 3)?) as u64);
                // Noted under the option's length, where tshark puts it, before the
                // address is read.
                if usize::from(len.wrapping_sub(4)) > 16 {
                    let mut expert = Vec::new();
                    Lines { out: &mut expert }.expert(
                        5,
                        "Error",
                        "Malformed",
                        b"Length too long for any type of IP address.",
                    );
                    l.out.splice(after_length..after_length, expert);
                }
                let addr_len = usize::from(len.wrapping_sub(4)).min(16);
                let mut addr = [0u8; 16];
                addr[..addr_len].copy_from_slice(tvb.bytes(value + 4, addr_len)?);
                let mut text = Vec::new();
                match family {
                    1 => push_ipv4(&mut text, [addr[0], addr[1], addr[2], addr[3]]),
                    2 => push_ipv6(&mut text, addr),
                    _ => {
                        text = hex_field(tvb.bytes(value + 4, usize::from(len).saturating_sub(4))?)
                    }
                }
                l.field(4, "Client Subnet", &text);
            }
            10 => {
                l.field(4, "Client Cookie", &hex_field(tvb.bytes(value, 8)?));
                if len < 8 {
                    return Err(OutOfBounds::Malformed);
                }
                l.field(4, "Server Cookie", &hex_field(&bytes[8..]));
            }
            12 => l.field(4, "Padding", &hex_field(bytes)),
            5..=7 => {
                for &b in bytes {
                    let (label, name) = match code {
                        5 => ("DAU", algorithm_value(b)),
                        6 => ("DHU", format!("{} ({b})", digest_name(b))),
                        _ => (
                            "N3U",
                            format!(
                                "{} ({b})",
                                match b {
                                    0 => "Reserved",
                                    1 => "SHA-1",
                                    _ => "Unknown",
                                }
                            ),
                        ),
                    };
                    l.field(4, label, name.as_bytes());
                }
            }
            11 if len == 2 => l.number(4, "Timeout", (tvb.u16(value)?) as u64),
            13 if len > 0 => l.field(4, "Closest Trust Point", &ascii_field(bytes)),
            15 if len >= 2 => {
                let info = tvb.u16(value)?;
                l.field(
                    4,
                    "Info Code",
                    format!("{} ({info})", extended_error_name(info)).as_bytes(),
                );
                if len > 2 {
                    let mut text = Vec::new();
                    format_text(&bytes[2..], &mut text);
                    l.field(4, "Extra Text", &text);
                }
            }
            15 => {
                // Shorter than its code: tshark reads the next option from here.
                at = value;
                continue;
            }
            _ => {}
        }
        at = value + usize::from(len);
        rest -= i64::from(len);
    }
    Ok(())
}

/// packet-dns.c's edns0_opt_code_vals.
fn option_name(code: u16) -> Option<&'static str> {
    Some(match code {
        0 => "Reserved",
        1 => "LLQ - Long-lived query",
        2 => "UL - Update lease",
        3 => "NSID - Name Server Identifier",
        4 => "Owner (reserved)",
        5 => "DAU - DNSSEC Algorithm Understood (RFC6975)",
        6 => "DHU - DS Hash Understood (RFC6975)",
        7 => "N3U - NSEC3 Hash Understood (RFC6975)",
        0x50fa => "Experimental - CSUBNET - Client subnet",
        8 => "CSUBNET - Client subnet",
        9 => "EDNS EXPIRE (RFC7314)",
        10 => "COOKIE",
        11 => "EDNS TCP Keepalive",
        12 => "PADDING",
        13 => "CHAIN",
        15 => "Extended DNS Error",
        _ => return None,
    })
}

/// packet-dns.c's dns_ext_err_info_code.
fn extended_error_name(code: u16) -> &'static str {
    const NAMES: [&str; 30] = [
        "Other Error",
        "Unsupported DNSKEY Algorithm",
        "Unsupported DS Digest Type",
        "Stale Answer",
        "Forged Answer",
        "DNSSEC Indeterminate",
        "DNSSEC Bogus",
        "Signature Expired",
        "Signature Not Yet Valid",
        "DNSKEY Missing",
        "RRSIGs Missing",
        "No Zone Key Bit Set",
        "NSEC Missing",
        "Cached Error",
        "Not Ready",
        "Blocked",
        "Censored",
        "Filtered",
        "Prohibited",
        "Stale NXDomain Answer",
        "Not Authoritative",
        "Not Supported",
        "No Reachable Authority",
        "Network Error",
        "Invalid Data",
        "Signature Expired before Valid",
        "Too Early",
        "Unsupported NSEC3 Iterations Value",
        "Unable to conform to policy",
        "Synthesized",
    ];
    match NAMES.get(usize::from(code)) {
        Some(name) => name,
        None if code < 49152 => "Unassigned",
        None => "Reserved for Private Use",
    }
}

/// `%.*s` of a string: at most `len` bytes.
fn cut_bytes(mut text: Vec<u8>, len: usize) -> Vec<u8> {
    text.truncate(len);
    text
}

/// A string read as ASCII, as Wireshark's ENC_ASCII reads it: each byte above 0x7f
/// is a replacement character.
fn ascii_text(bytes: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes.len());
    for &b in bytes {
        if b < 0x80 {
            v.push(b);
        } else {
            v.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
    v
}

/// A string field's value as shown: read as ASCII, up to its first NUL (a C string),
/// escaped by format_text.
fn ascii_field(bytes: &[u8]) -> Vec<u8> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let mut shown = Vec::new();
    format_text(&ascii_text(&bytes[..end]), &mut shown);
    shown
}

/// C's strncmp(a, b, n) == 0, the strings ending at their first NUL.
fn strncmp_equal(a: &[u8], b: &[u8], n: usize) -> bool {
    for i in 0..n {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return false;
        }
        if x == 0 {
            return true;
        }
    }
    true
}

/// printf's `%g`: six significant digits, exponent form below 1e-4 and from 1e6.
fn format_g(value: f64) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let exponent = value.abs().log10().floor() as i32;
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if !(-4..6).contains(&exponent) {
        let mantissa = value / 10f64.powi(exponent);
        let m = trim(format!("{mantissa:.5}"));
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exponent.abs())
    } else {
        trim(format!("{value:.*}", (5 - exponent).max(0) as usize))
    }
}

/// packet-dns.c's rfc1867_angle: `37 deg 22 min 26.000 sec N`.
fn loc_angle(raw: u32, longitude: bool) -> String {
    let (angle, direction) = if raw < 0x8000_0000 {
        (0x8000_0000 - raw, if longitude { 'W' } else { 'S' })
    } else {
        (raw - 0x8000_0000, if longitude { 'E' } else { 'N' })
    };
    if angle > if longitude { 648_000_000 } else { 324_000_000 } {
        return "Value out of range".into();
    }
    format!(
        "{} deg {} min {}.{:03} sec {direction}",
        angle / 3_600_000,
        angle / 60_000 % 60,
        angle / 1000 % 60,
        angle % 1000
    )
}

/// packet-dns.c's rfc1867_size: metres.
fn loc_size(byte: u8) -> f64 {
    f64::from(byte >> 4) * 10f64.powi(i32::from(byte & 15)) / 100.0
}
