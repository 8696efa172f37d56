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

mod lower;

use std::io::{self, Write};
use std::net::IpAddr;

use super::digits::{push_ipv4, push_ipv6};
use super::info::{
    expand_name, format_text, rcode_name, wireshark_knows, NameBuf, OutOfBounds, Tvb, Walk,
};
use crate::capture::Timestamp;
use crate::dns::analysis::find::{Origin, Protocol};
use crate::dns::decode::{MessageSink, Row, StoredFrame};

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

    /// A generated number field: `[name: 42]`.
    fn generated_number(&mut self, depth: usize, name: &str, value: usize) {
        self.indent(depth);
        self.out.push(b'[');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        super::digits::push_u64(self.out, value as u64);
        self.out.extend_from_slice(b"]\n");
    }

    /// A string field read as ASCII (shown to its first NUL), with tshark's note when
    /// characters other than NUL follow that NUL.
    fn string_item(&mut self, depth: usize, name: &str, bytes: &[u8]) {
        self.field(depth, name, &ascii_field(bytes));
        self.stray_note(depth, &ascii_text(bytes), bytes.len());
    }

    /// proto.c's check after adding a string item of `length` bytes: a note when the
    /// converted string has characters other than NUL between its first NUL and
    /// `length`.
    fn stray_note(&mut self, depth: usize, converted: &[u8], length: usize) {
        let end = converted
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(converted.len());
        let window = converted.get(end..length.max(end)).unwrap_or_default();
        if window.iter().any(|&b| b != 0) {
            self.expert(
                depth + 1,
                "Warning",
                "Undecoded",
                b"Trailing stray characters",
            );
        }
    }

    /// A field of some bits of a 16-bit word: `.... ...1 .... .... = Name: value`.
    fn bits16(&mut self, depth: usize, word: u16, mask: u16, name: &str, value: &str) {
        self.bits(depth, 16, word.into(), mask.into(), name, value);
    }

    /// The same for a word of `width` bits (a multiple of 4, at most 32).
    fn bits(&mut self, depth: usize, width: u32, word: u32, mask: u32, name: &str, value: &str) {
        self.bits_with(depth, width, word, mask, name, |out| {
            out.extend_from_slice(value.as_bytes())
        });
    }

    /// A bit field whose value `write` appends: written in place, then cut and marked
    /// as tshark marks long labels when it is too long.
    fn bits_with(
        &mut self,
        depth: usize,
        width: u32,
        word: u32,
        mask: u32,
        name: &str,
        write: impl FnOnce(&mut Vec<u8>),
    ) {
        let mut pattern = [0u8; 39];
        let mut n = 0;
        // A nibble at a time: each bit is `.` outside the mask, else its value.
        for nibble in (0..width / 4).rev() {
            let shift = nibble * 4;
            let (m, w) = ((mask >> shift) & 0xf, (word >> shift) & 0xf);
            pattern[n..n + 4].copy_from_slice(&NIBBLE_PATTERNS[(m << 4 | w) as usize]);
            n += 4;
            if nibble != 0 {
                pattern[n] = b' ';
                n += 1;
            }
        }
        self.indent(depth);
        let start = self.out.len();
        self.out.extend_from_slice(&pattern[..n]);
        self.out.extend_from_slice(b" = ");
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        write(self.out);
        if self.out.len() - start >= ITEM_LABEL_LENGTH {
            let label = self.out.split_off(start);
            self.out
                .extend_from_slice(&mark_truncated(&label, n + 3 + name.len()));
        }
        self.out.push(b'\n');
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

/// The four characters of a nibble of a bit field, by `mask << 4 | value`: `.` for
/// each bit outside the mask, its value for the others.
const NIBBLE_PATTERNS: [[u8; 4]; 256] = {
    let mut table = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        let (mask, value) = (i >> 4, i & 0xf);
        let mut bit = 0;
        while bit < 4 {
            table[i][3 - bit] = if mask >> bit & 1 == 0 {
                b'.'
            } else {
                b'0' + (value >> bit & 1) as u8
            };
            bit += 1;
        }
        i += 1;
    }
    table
};

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
    if base_len >= ITEM_LABEL_LENGTH {
        let mut label = mark_truncated(&text[..base_len], 0);
        label.extend_from_slice(&text[base_len..]);
        text = label;
    }
    // Already cut to fit: the line writer must not mark it again.
    text.truncate(ITEM_LABEL_LENGTH - 1);
    text
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

/// Writes each frame holding DNS as tshark -V shows it: the frame line, the layers
/// below DNS, and the DNS subtree of each message.
///
/// What tshark learns in its single pass (transactions, for the request and response
/// notes) is followed message by message; the text, most of the work, is rendered for
/// [`CHUNK`] messages at a time on two threads and written in order.
pub struct DetailSink<W> {
    out: W,
    last_frame: Option<(u32, u64)>,
    transactions: foldhash::HashMap<(Conversation, u16), Transaction>,
    /// Messages waiting to be rendered, their bytes and frames in `arena`.
    jobs: Vec<Job>,
    arena: Vec<u8>,
    /// The text of each half of a chunk.
    rendered: [Vec<u8>; 2],
}

/// Messages rendered at once: enough to share out, little to hold (on the benchmark's
/// messages, 3.4 KB of text each: about 7 MB of text, 0.5 MB of bytes and frames).
const CHUNK: usize = 2048;
/// Bytes and frames held for rendering at most: large messages (64 KiB ones, whose text
/// can be tens of times longer) are rendered a few at a time.
const ARENA_LIMIT: usize = 1 << 20;

/// One message to render, with what its row held, its bytes and frame in the arena.
struct Job {
    origin: Origin,
    first: Timestamp,
    msg: (usize, usize),
    note: Note,
    /// For the first message of a frame: the frame (if the capture's bytes came with
    /// it), and whether a blank line goes before it.
    starts_frame: Option<(Option<StoredFrame>, bool)>,
}

impl Job {
    /// Renders the message (after its frame's lines when it starts one).
    fn render(&self, arena: &[u8], out: &mut Vec<u8>) {
        let bytes = |(start, end): (usize, usize)| &arena[start..end];
        let row = |frame| Row {
            origin: self.origin,
            first: self.first,
            bytes: bytes(self.msg),
            message: None,
            frame,
        };
        if let Some((frame, blank_before)) = self.starts_frame {
            if blank_before {
                out.push(b'\n');
            }
            lower::frame_lines(&row(frame.map(|f| f.get(arena))), out);
        }
        write_tree(&row(None), &self.note, out);
    }
}

impl<W: Write + Send> DetailSink<W> {
    pub fn new(out: W) -> Self {
        DetailSink {
            out,
            last_frame: None,
            transactions: foldhash::HashMap::default(),
            jobs: Vec::with_capacity(CHUNK),
            arena: Vec::new(),
            rendered: [Vec::new(), Vec::new()],
        }
    }

    /// Copies `bytes` into the arena; returns where they are.
    fn keep(&mut self, bytes: &[u8]) -> (usize, usize) {
        let start = self.arena.len();
        self.arena.extend_from_slice(bytes);
        (start, self.arena.len())
    }

    /// Renders the waiting messages, half on a second thread, and writes them in order.
    fn render_jobs(&mut self) -> io::Result<()> {
        let (first_half, second_half) = self.jobs.split_at(self.jobs.len() / 2);
        let arena = &self.arena;
        let render = |jobs: &[Job], mut out: Vec<u8>| {
            out.clear();
            for job in jobs {
                job.render(arena, &mut out);
            }
            out
        };
        // Each thread owns its buffer (moved in, handed back): buffers side by side
        // would share a cache line between the threads and slow both.
        let [a, b] = std::mem::take(&mut self.rendered);
        let (a, b) = std::thread::scope(|scope| {
            let helper = scope.spawn(move || render(first_half, a));
            let b = render(second_half, b);
            (helper.join().expect("rendering thread panicked"), b)
        });
        self.out.write_all(&a)?;
        self.out.write_all(&b)?;
        self.rendered = [a, b];
        self.jobs.clear();
        self.arena.clear();
        Ok(())
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
        use std::collections::hash_map::Entry;
        let fresh = Transaction {
            req_frame: frame,
            rep_frame: 0,
            req_time: o.ts,
            multiple_responds: false,
        };
        let (note, transaction) = match (response, self.transactions.entry(key)) {
            (false, Entry::Occupied(e))
                if e.get().rep_frame == 0
                    && (o.ts.as_nanos() - e.get().req_time.as_nanos())
                        < RETRANSMISSION_SECS * 1_000_000_000 =>
            {
                let t = e.into_mut();
                (Note::RetransmittedRequest(t.req_frame), Some(t))
            }
            (false, Entry::Occupied(e)) => {
                let t = e.into_mut();
                *t = fresh;
                (Note::None, Some(t))
            }
            (false, Entry::Vacant(e)) => (Note::None, Some(e.insert(fresh))),
            (true, Entry::Occupied(e)) => {
                let t = e.into_mut();
                let since = o.ts.as_nanos() - t.req_time.as_nanos();
                let note = if t.rep_frame == 0 {
                    t.rep_frame = frame;
                    Note::RequestIn(t.req_frame, since)
                } else if !t.multiple_responds {
                    Note::RetransmittedResponse(t.rep_frame)
                } else {
                    Note::RequestIn(t.req_frame, since)
                };
                (note, Some(t))
            }
            (true, Entry::Vacant(_)) => (Note::Unsolicited, None),
        };
        // After its questions, a message says whether its transaction may have many
        // responses (a zone transfer).
        if let (Some(multiple), Some(t)) = (multiple, transaction) {
            t.multiple_responds = multiple;
        }
        note
    }
}

impl<W: Write + Send> MessageSink for DetailSink<W> {
    fn wants_decoded(&self) -> bool {
        false
    }

    fn wants_frames(&self) -> bool {
        true
    }

    fn message(&mut self, row: &Row<'_>) -> io::Result<()> {
        let o = &row.origin;
        let frame_key = (o.file, o.frame);
        let starts_frame = if self.last_frame != Some(frame_key) {
            let blank_before = self.last_frame.is_some();
            self.last_frame = Some(frame_key);
            let frame = row.frame.map(|f| StoredFrame::store(&f, &mut self.arena));
            Some((frame, blank_before))
        } else {
            None
        };
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
        let msg = self.keep(msg);
        self.jobs.push(Job {
            origin: *o,
            first: row.first,
            msg,
            note,
            starts_frame,
        });
        if self.jobs.len() >= CHUNK || self.arena.len() >= ARENA_LIMIT {
            self.render_jobs()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.render_jobs()?;
        if self.last_frame.is_some() {
            self.out.write_all(b"\n")?;
        }
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
    if !expert.is_empty() {
        l.out.splice(expert_at..expert_at, expert);
    }
    let extra = tvb.len().saturating_sub(offset);
    if extra > 0 {
        // The subtree's bytes must all be there (a capture cut short ends it here).
        let data = tvb.bytes(offset, extra)?;
        l.text(1, format!("Extraneous Data ({extra} bytes)").as_bytes());
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
    let mut head = Vec::with_capacity(name.len() + 40);
    format_text(name, &mut head);
    let shown_len = head.len();
    head.extend_from_slice(b": type ");
    super::info::type_name(qtype, &mut head);
    head.extend_from_slice(b", class ");
    head.extend_from_slice(class_name(class).unwrap_or("Unknown").as_bytes());
    let base_len = head.len();
    if mdns {
        head.extend_from_slice(if qu {
            b", \"QU\" question"
        } else {
            b", \"QM\" question"
        });
    }
    let shown = head[..shown_len].to_vec();
    l.text(2, &headline(head, base_len));
    l.field(3, "Name", &shown);
    let name_len = name.len();
    l.generated_number(3, "Name Length", if name_len > 1 { name_len } else { 0 });
    let labels = if name_len > 1 {
        name.iter().filter(|&&b| b == b'.').count() + 1
    } else {
        0
    };
    l.generated_number(3, "Label Count", labels);
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
    // The record's subtree is made only when all its bytes are there.
    tvb.bytes(offset, used + 10 + data_len)?;
    let data = offset + used + 10;
    // The headline gets the record's own words once its data has been read; an
    // exception on the way leaves it without them, as in tshark.
    let mut head = Vec::with_capacity(owner.len() + 64);
    format_text(owner, &mut head);
    let shown = head.clone();
    head.extend_from_slice(b": type ");
    super::info::type_name(rtype, &mut head);
    if rtype != 41 {
        head.extend_from_slice(b", class ");
        head.extend_from_slice(class_name(class).unwrap_or("Unknown").as_bytes());
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
    // The headline goes at the end, then turns round to stand before the fields.
    let head_at = l.out.len();
    l.text(2, &headline(head, base_len));
    let head_len = l.out.len() - head_at;
    l.out[body_at..].rotate_right(head_len);
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
        l.field_with(3, "Higher bits in extended RCODE", |o| {
            super::digits::push_hex16(o, ext.into());
            o.drain(o.len() - 4..o.len() - 2);
        });
        let version = tvb.u8(start + 5)?;
        l.number(3, "EDNS0 version", version as u64);
        let z = tvb.u16(start + 6)?;
        l.field_with(3, "Z", |o| super::digits::push_hex16(o, z));
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
        let mut reserved = Vec::with_capacity(6);
        super::digits::push_hex16(&mut reserved, z & 0x7fff);
        l.bits16(
            4,
            z,
            0x7fff,
            "Reserved",
            std::str::from_utf8(&reserved).unwrap_or_default(),
        );
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
            head.extend_from_slice(b", addr ");
            let at = head.len();
            push_ipv4(head, [a[0], a[1], a[2], a[3]]);
            l.field(3, "Address", &head[at..]);
        }
        28 => {
            let a = tvb.bytes(data, 16)?;
            head.extend_from_slice(b", addr ");
            let at = head.len();
            push_ipv6(head, a.try_into().unwrap_or([0; 16]));
            l.field(3, "AAAA Address", &head[at..]);
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
                    let start = o.len();
                    for (i, b) in bytes.iter().enumerate() {
                        if i > 0 {
                            o.push(b':');
                        }
                        let _ = write!(o, "{b:02x}");
                    }
                    // An EUI-64 is shown as its resolved name and the address; unresolved,
                    // the name is the address again.
                    if rtype == 109 {
                        let address = o[start..].to_vec();
                        o.extend_from_slice(b" (");
                        o.extend_from_slice(&address);
                        o.push(b')');
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
            let protocol_name = ip_protocol_name(protocol).unwrap_or("Unknown");
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
                u32::from(flags),
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
            // Read as ASCII, then formatted as text over as many bytes as it had (a
            // replacement character takes three bytes, a NUL is shown escaped).
            let raw = tvb.bytes(data + 2 + tag_len, value_len)?;
            let mut value = Vec::new();
            format_text(&ascii_text(raw)[..raw.len()], &mut value);
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
                tvb.bytes(hash_at + 1, super::info::base32_read_len(hash_len))?;
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
            // The headline takes each string as C's `%.*s` does: to its length or its
            // first NUL.
            for (word, text, len) in [(&b", CPU "[..], cpu, cpu_len), (b", OS ", os, os_len)] {
                let shown = cut_bytes(ascii_text(text), len);
                let end = shown.iter().position(|&b| b == 0).unwrap_or(shown.len());
                head.extend_from_slice(word);
                head.extend_from_slice(&shown[..end]);
            }
            l.number(3, "CPU Length", cpu_len as u64);
            l.string_item(3, "CPU", cpu);
            l.number(3, "OS Length", os_len as u64);
            l.string_item(3, "OS", os);
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
                absolute_time(u32_at(tvb, data + 8)?.into()).as_bytes(),
            );
            l.field(
                3,
                "Signature Inception",
                absolute_time(u32_at(tvb, data + 12)?.into()).as_bytes(),
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
            // A masked hex field shows its value shifted down to the mask's lowest bit.
            l.bits16(
                4,
                flags,
                0xfe7e,
                "Key Signing Key",
                &format!("0x{:04x}", (flags & 0xfe7e) >> 1),
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
        19 => {
            let len = usize::from(tvb.u8(data)?);
            l.number(3, "Length", len as u64);
            l.string_item(3, "PSDN-Address", tvb.bytes(data + 1, len)?);
        }
        20 => {
            let len = usize::from(tvb.u8(data)?);
            l.number(3, "Length", len as u64);
            l.string_item(3, "ISDN Address", tvb.bytes(data + 1, len)?);
            // The subaddress is optional: read when more than a byte is left.
            if data_len as i64 - 1 - len as i64 > 1 {
                let at = data + 1 + len;
                let sa_len = usize::from(tvb.u8(at)?);
                l.number(3, "Length", sa_len as u64);
                l.string_item(3, "Sub Address", tvb.bytes(at + 1, sa_len)?);
            }
        }
        22 => l.field(3, "NSAP Data", &hex_field(tvb.bytes(data, data_len)?)),
        25 => {
            let flags = tvb.u16(data)?;
            l.field_with(3, "Flags", |o| super::digits::push_hex16(o, flags));
            let bit = |mask: u16, (yes, no): (&'static str, &'static str)| {
                if flags & mask != 0 {
                    yes
                } else {
                    no
                }
            };
            const NOT_ALLOWED: (&str, &str) = ("Not Allowed", "Allowed");
            const YES_NO: (&str, &str) = ("Yes", "No");
            const VALID: (&str, &str) = ("Valid", "Invalid");
            l.bits16(
                4,
                flags,
                0x8000,
                "Key allowed for authentication",
                bit(0x8000, NOT_ALLOWED),
            );
            l.bits16(
                4,
                flags,
                0x4000,
                "Key allowed for confidentiality",
                bit(0x4000, NOT_ALLOWED),
            );
            // Both set means "no key": the other flags are not shown then.
            if flags & 0xc000 != 0xc000 {
                let required = ("Experimental or optional", "Required");
                l.bits16(4, flags, 0x2000, "Key required", bit(0x2000, required));
                l.bits16(
                    4,
                    flags,
                    0x0400,
                    "Key is associated with a user",
                    bit(0x0400, YES_NO),
                );
                l.bits16(
                    4,
                    flags,
                    0x0200,
                    "Key is associated with the named entity",
                    bit(0x0200, YES_NO),
                );
                l.bits16(4, flags, 0x0080, "Key use with IPSEC", bit(0x0080, VALID));
                l.bits16(
                    4,
                    flags,
                    0x0040,
                    "Key use with MIME security multiparts",
                    bit(0x0040, VALID),
                );
                l.bits16(4, flags, 0x000f, "Signatory", &(flags & 0xf).to_string());
            }
            l.number(3, "Protocol", tvb.u8(data + 2)?.into());
            let algorithm = tvb.u8(data + 3)?;
            l.field(3, "Algorithm", algorithm_value(algorithm).as_bytes());
            if data_len >= 4 {
                let key_id = key_id(tvb.bytes(data, data_len)?, algorithm);
                l.generated_number(3, "Key ID", key_id.into());
            } else {
                l.expert(
                    3,
                    "Warning",
                    "Protocol",
                    b"Buffer too short to compute a key id",
                );
            }
            rest_bytes(tvb, l, "Public Key", data + 4, data_len as i64 - 4)?;
        }
        26 => {
            l.number(3, "Preference", tvb.u16(data)?.into());
            let used = expand_name(tvb, data + 2, name)?;
            l.field(3, "MAP822", &name_text(name));
            expand_name(tvb, data + 2 + used, name)?;
            l.field(3, "MAPX400", &name_text(name));
        }
        27 => {
            let mut at = data;
            for (length, label) in [
                ("Longitude length", "Longitude"),
                ("Latitude length", "Latitude"),
                ("Altitude length", "Altitude"),
            ] {
                let len = usize::from(tvb.u8(at)?);
                l.number(3, length, len as u64);
                l.string_item(3, label, tvb.bytes(at + 1, len)?);
                at += 1 + len;
            }
        }
        30 => {
            let used = name_field(l, data, "Next Domain Name", ", next domain name ", head)?;
            // One bit per type from type 0, to the record's end (or past it, to an
            // exception, when the name overran the record).
            let mut rest = data_len as i64 - used as i64;
            let mut at = data + used;
            let mut rtype = 0u32;
            while rest != 0 {
                let bits = tvb.u8(at)?;
                for i in 0..8 {
                    if bits & (0x80 >> i) != 0 {
                        bitmap_type_line(l, rtype as u16);
                    }
                    rtype += 1;
                }
                at += 1;
                rest -= 1;
            }
        }
        37 => {
            let cert_type = tvb.u16(data)?;
            let cert_name = match cert_type {
                1 => Some("PKIX"),
                2 => Some("SPKI"),
                3 => Some("PGP"),
                4 => Some("IPKIX"),
                5 => Some("ISPKI"),
                6 => Some("IPGP"),
                7 => Some("ACPKIX"),
                8 => Some("IACPKIX"),
                253 => Some("Private, URI"),
                254 => Some("Private, OID"),
                _ => None,
            };
            l.field(3, "Type", &named(cert_name, cert_type.into()));
            let tag = tvb.u16(data + 2)?;
            l.field_with(3, "Key Tag", |o| super::digits::push_hex16(o, tag));
            l.field(
                3,
                "Algorithm",
                algorithm_value(tvb.u8(data + 4)?).as_bytes(),
            );
            rest_bytes(
                tvb,
                l,
                "Certificate (or CRL)",
                data + 5,
                data_len as i64 - 5,
            )?;
        }
        38 => {
            let prefix_len = tvb.u8(data)?;
            let octets = super::info::a6_suffix_octets(prefix_len);
            // The suffix fills the address from its end (all 16 bytes are read when the
            // prefix length is over 128).
            let mut suffix = [0u8; 16];
            let read = octets.min(16);
            suffix[16 - read..].copy_from_slice(tvb.bytes(data + 1, read)?);
            let (prefix_name, name_used) = if prefix_len > 0 {
                let used = expand_name(tvb, data + 1 + read, name)?;
                (name_text(name), used)
            } else {
                (Vec::new(), 0)
            };
            l.number(3, "Prefix len", prefix_len.into());
            let mut address = Vec::new();
            push_ipv6(&mut address, suffix);
            // An address item is not checked against the message's end; a string
            // item is (where the name would be after the suffix's stated length).
            if octets != 0 {
                l.field(3, "Address Suffix", &address);
            }
            if prefix_len > 0 {
                tvb.bytes(data + 1 + octets, name_used)?;
                l.field(3, "Prefix name", &prefix_name);
            }
            head.extend_from_slice(b", addr ");
            super::digits::push_u64(head, prefix_len.into());
            head.push(b' ');
            head.extend_from_slice(&address);
            head.push(b' ');
            head.extend_from_slice(&prefix_name);
        }
        42 => {
            let mut rest = data_len as i64;
            let mut at = data;
            while rest > 1 {
                let family = tvb.u16(at)?;
                let family_name = match family {
                    1 => Some("IPv4"),
                    2 => Some("IPv6"),
                    _ => None,
                };
                l.field(3, "Address Family", &named(family_name, family.into()));
                l.number(3, "Prefix Length", tvb.u8(at + 2)?.into());
                let byte = tvb.u8(at + 3)?;
                let negation = if byte & 0x80 != 0 {
                    "Yes (!)"
                } else {
                    "No (0)"
                };
                l.bits(3, 8, byte.into(), 0x80, "Negation Flag", negation);
                let len = usize::from(byte & 0x7f);
                l.bits(3, 8, byte.into(), 0x7f, "Address Length", &len.to_string());
                at += 4;
                rest -= 4;
                let part = tvb.bytes(at, len)?;
                if family == 1 && len <= 4 {
                    let mut a = [0u8; 4];
                    a[..len].copy_from_slice(part);
                    l.field_with(3, "Address", |o| push_ipv4(o, a));
                } else if family == 2 && len <= 16 {
                    let mut a = [0u8; 16];
                    a[..len].copy_from_slice(part);
                    l.field_with(3, "Address", |o| push_ipv6(o, a));
                } else {
                    l.field(3, "Address", &hex_field(part));
                }
                at += len;
                rest -= len as i64;
            }
        }
        45 => {
            l.number(3, "Gateway Precedence", tvb.u8(data)?.into());
            let gateway_type = tvb.u8(data + 1)?;
            let type_name = match gateway_type {
                0 => Some("No Gateway"),
                1 => Some("IPv4 Gateway"),
                2 => Some("IPv6 Gateway"),
                3 => Some("DNS Gateway"),
                _ => None,
            };
            l.field(3, "Gateway Type", &named(type_name, gateway_type.into()));
            let algorithm = tvb.u8(data + 2)?;
            let algorithm_name = match algorithm {
                1 => Some("DSA"),
                2 => Some("RSA"),
                _ => None,
            };
            l.field(
                3,
                "Gateway Algorithm",
                &named(algorithm_name, algorithm.into()),
            );
            let mut at = data + 3;
            match gateway_type {
                1 => {
                    let a = tvb.bytes(at, 4)?;
                    l.field_with(3, "IPv4 Gateway", |o| {
                        push_ipv4(o, [a[0], a[1], a[2], a[3]])
                    });
                    at += 4;
                }
                2 => {
                    let a = tvb.bytes(at, 16)?;
                    l.field_with(3, "IPv6 Gateway", |o| {
                        push_ipv6(o, a.try_into().unwrap_or([0; 16]))
                    });
                    at += 16;
                }
                3 => {
                    at += expand_name(tvb, at, name)?;
                    l.field(3, "DNS Gateway", &name_text(name));
                }
                _ => {}
            }
            rest_bytes(
                tvb,
                l,
                "Public Key",
                at,
                (data + data_len) as i64 - at as i64,
            )?;
        }
        49 => l.field(3, "DHCID Data", &hex_field(tvb.bytes(data, data_len)?)),
        23 => {
            expand_name(tvb, data, name)?;
            l.field(3, "Owner", &name_text(name));
        }
        52 => {
            let usage = tvb.u8(data)?;
            let usage_name = match usage {
                0 => Some("CA constraint (PKIX-TA)"),
                1 => Some("Service certificate constraint (PKIX-EE)"),
                2 => Some("Trust anchor assertion (DANE-TA)"),
                3 => Some("Domain-issued certificate (DANE-EE)"),
                _ => None,
            };
            l.field(3, "Certificate Usage", &named(usage_name, usage.into()));
            let selector = tvb.u8(data + 1)?;
            let selector_name = match selector {
                0 => Some("Full certificate (Cert)"),
                1 => Some("SubjectPublicKeyInfo (SPKI)"),
                _ => None,
            };
            l.field(3, "Selector", &named(selector_name, selector.into()));
            let matching = tvb.u8(data + 2)?;
            let matching_name = match matching {
                0 => Some("No Hash Used (Full)"),
                1 => Some("256 bit hash by SHA2 (SHA2-256)"),
                2 => Some("512 bit hash by SHA2 (SHA2-512)"),
                _ => None,
            };
            l.field(3, "Matching Type", &named(matching_name, matching.into()));
            let len = data_len.checked_sub(3).ok_or(OutOfBounds::Malformed)?;
            l.field(
                3,
                "Certificate Association Data",
                &hex_field(tvb.bytes(data + 3, len)?),
            );
        }
        55 => {
            let hit_len = usize::from(tvb.u8(data)?);
            l.number(3, "HIT length", hit_len as u64);
            let algorithm = tvb.u8(data + 1)?;
            let algorithm_name = match algorithm {
                0 => Some("Reserved"),
                1 => Some("DSA"),
                2 => Some("RSA"),
                _ => None,
            };
            // tshark's label for the algorithm is "HIT length" too.
            l.field(3, "HIT length", &named(algorithm_name, algorithm.into()));
            let pk_len = usize::from(tvb.u16(data + 2)?);
            l.number(3, "PK length", pk_len as u64);
            let mut at = data + 4;
            l.field(3, "Host Identity Tag", &hex_field(tvb.bytes(at, hit_len)?));
            at += hit_len;
            l.field(3, "HIP Public Key", &hex_field(tvb.bytes(at, pk_len)?));
            at += pk_len;
            let mut rest = data_len as i64 - 4 - hit_len as i64 - pk_len as i64;
            while rest > 1 {
                let used = expand_name(tvb, at, name)?;
                l.field(3, "Rendezvous Server", &name_text(name));
                at += used;
                rest -= used as i64;
            }
        }
        61 => l.string_item(3, "OpenPGP Key", tvb.bytes(data, data_len)?),
        62 => {
            l.number(3, "SOA", u32_at(tvb, data)?.into());
            let flags = tvb.u16(data + 4)?;
            l.field_with(3, "Flags", |o| super::digits::push_hex16(o, flags));
            let truth = |mask: u16| if flags & mask != 0 { "True" } else { "False" };
            l.bits16(4, flags, 0x0001, "immediate", truth(0x0001));
            l.bits16(4, flags, 0x0002, "soaminimum", truth(0x0002));
            let rest = data_len as i64 - 6;
            let len = usize::try_from(rest).map_err(|_| OutOfBounds::Malformed)?;
            l.field(3, "Type Bitmap", &hex_field(tvb.bytes(data + 6, len)?));
            type_bitmap(tvb, data + 6, rest, l)?;
        }
        63 => {
            l.number(3, "Serial", u32_at(tvb, data)?.into());
            let scheme = tvb.u8(data + 4)?;
            let scheme_name = match scheme {
                1 => "SIMPLE",
                2..=239 => "Unassigned",
                240..=254 => "Private Use",
                _ => "Reserved",
            };
            l.field(3, "Scheme", &named(Some(scheme_name), scheme.into()));
            let algorithm = tvb.u8(data + 5)?;
            let algorithm_name = match algorithm {
                1 => "SHA-384",
                2 => "SHA-512",
                3..=239 => "Unassigned",
                240..=254 => "Private Use",
                _ => "Reserved",
            };
            l.field(
                3,
                "Hash Algorithm",
                &named(Some(algorithm_name), algorithm.into()),
            );
            let len = data_len.checked_sub(6).ok_or(OutOfBounds::Malformed)?;
            l.field(3, "Digest", &hex_field(tvb.bytes(data + 6, len)?));
        }
        249 => {
            let used = expand_name(tvb, data, name)?;
            l.field(3, "Algorithm name", &name_text(name));
            let mut at = data + used;
            l.field(
                3,
                "Signature Inception",
                absolute_time(u32_at(tvb, at)?.into()).as_bytes(),
            );
            l.field(
                3,
                "Signature Expiration",
                absolute_time(u32_at(tvb, at + 4)?.into()).as_bytes(),
            );
            let mode = tvb.u16(at + 8)?;
            let mode_name = match mode {
                1 => Some("Server assigned"),
                2 => Some("Diffie Hellman"),
                3 => Some("GSSAPI"),
                4 => Some("Resolver assigned"),
                5 => Some("Delete"),
                _ => None,
            };
            l.field(3, "Mode", &named(mode_name, mode.into()));
            let error = tvb.u16(at + 10)?;
            l.field(3, "Error", &named(rcode_name(error), error.into()));
            let key_len = usize::from(tvb.u16(at + 12)?);
            l.number(3, "Key Size", key_len as u64);
            at += 14;
            if key_len != 0 {
                // In GSS-API mode tshark hands the key to its GSS-API or NTLMSSP
                // dissector (not reproduced here).
                l.field(3, "Key Data", &hex_field(tvb.bytes(at, key_len)?));
                at += key_len;
            }
            let other_len = usize::from(tvb.u16(at)?);
            l.number(3, "Other Size", other_len as u64);
            if other_len != 0 {
                l.field(3, "Other Data", &hex_field(tvb.bytes(at + 2, other_len)?));
            }
        }
        250 => {
            let used = expand_name(tvb, data, name)?;
            let algorithm = name_text(name);
            l.field(3, "Algorithm Name", &algorithm);
            let mut at = data + used;
            let time = tvb.bytes(at, 6)?;
            let secs = time.iter().fold(0u64, |v, &b| v << 8 | u64::from(b));
            let mut signed = absolute_time(secs).into_bytes();
            if time[0] != 0 || time[1] != 0 {
                signed.extend_from_slice(b" (high bits set)");
            }
            l.field(3, "Time Signed", &signed);
            l.number(3, "Fudge", tvb.u16(at + 6)?.into());
            let mac_len = usize::from(tvb.u16(at + 8)?);
            l.number(3, "MAC Size", mac_len as u64);
            at += 10;
            if mac_len != 0 {
                // The MAC's item is cut to what the message holds, never an error.
                l.text(3, b"MAC");
                // The one MAC dissector tshark has is GSS-API's, for this algorithm.
                if name[..] != b"gss.microsoft.com"[..] {
                    let mut note = b"No dissector for algorithm:".to_vec();
                    note.extend_from_slice(name);
                    l.expert(4, "Warning", "Undecoded", &note);
                }
                at += mac_len;
            }
            l.number(3, "Original Id", tvb.u16(at)?.into());
            let error = tvb.u16(at + 2)?;
            l.field(3, "Error", &named(rcode_name(error), error.into()));
            let other_len = usize::from(tvb.u16(at + 4)?);
            l.number(3, "Other Len", other_len as u64);
            if other_len != 0 {
                l.field(3, "Other Data", &hex_field(tvb.bytes(at + 6, other_len)?));
            }
        }
        65281 | 65282 => {
            let flag = u32_at(tvb, data)?;
            let local = if flag & 1 != 0 { "True" } else { "False" };
            l.bits(3, 32, flag, 1, "Local Flag", local);
            l.number(3, "Lookup timeout", u32_at(tvb, data + 4)?.into());
            l.number(3, "Cache timeout", u32_at(tvb, data + 8)?.into());
            if rtype == 65282 {
                name_field(
                    l,
                    data + 12,
                    "Name Result Domain",
                    ", name result domain ",
                    head,
                )?;
            } else {
                let mut servers = u32_at(tvb, data + 12)?;
                l.number(3, "Number of WINS servers", servers.into());
                // Until the record or the count runs out (the record may run out past
                // zero: then the count decides).
                let mut rest = data_len as i64 - 16;
                let mut at = data + 16;
                while rest != 0 && servers != 0 {
                    let a = tvb.bytes(at, 4)?;
                    l.field_with(3, "WINS Server Address", |o| {
                        push_ipv4(o, [a[0], a[1], a[2], a[3]])
                    });
                    at += 4;
                    rest -= 4;
                    servers -= 1;
                }
            }
        }
        65422 => {
            let version = tvb.u8(data)?;
            let version_name = match version {
                4 => Some("IPv4"),
                6 => Some("IPv6"),
                _ => None,
            };
            l.field(3, "IP Version", &named(version_name, version.into()));
            let address_len = match version {
                4 => 4,
                6 => 16,
                _ => 0,
            };
            if address_len > 0 {
                let protocol = tvb.u8(data + 1)?;
                l.field(
                    3,
                    "Protocol",
                    &named(ip_protocol_name(protocol), protocol.into()),
                );
                let (v4, label_src, label_dst) = if address_len == 4 {
                    (true, "IPv4 Source", "IPv4 Destination")
                } else {
                    (false, "IPv6 Source", "IPv6 Destination")
                };
                for (i, label) in [label_src, label_dst].into_iter().enumerate() {
                    let a = tvb.bytes(data + 2 + i * address_len, address_len)?;
                    l.field_with(3, label, |o| {
                        if v4 {
                            push_ipv4(o, [a[0], a[1], a[2], a[3]])
                        } else {
                            push_ipv6(o, a.try_into().unwrap_or([0; 16]))
                        }
                    });
                }
                let ports = data + 2 + 2 * address_len;
                l.number(3, "Source port", tvb.u16(ports)?.into());
                l.number(3, "Destination port", tvb.u16(ports + 2)?.into());
            }
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
            let converted = String::from_utf8_lossy(text);
            l.stray_note(3, converted.as_bytes(), text.len());
        } else {
            l.string_item(3, label, text);
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
            u32::from(flags),
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
fn absolute_time(secs: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (year, month, day) = Timestamp::new(secs as i64, 0).date();
    let of_day = secs % 86_400;
    format!(
        "{} {day:2}, {year} {:02}:{:02}:{:02}.000000000 UTC",
        MONTHS[month as usize - 1],
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// `Name (42)`, or `Unknown (42)` for a value its table does not name (a value_string
/// field).
fn named(name: Option<&str>, code: u64) -> Vec<u8> {
    let mut v = name.unwrap_or("Unknown").as_bytes().to_vec();
    v.extend_from_slice(b" (");
    super::digits::push_u64(&mut v, code);
    v.push(b')');
    v
}

/// The bytes left of a record from `at` as one field, when any are left: `len` may be
/// negative when fields before overran the record (-1 takes what the message has left, as
/// tshark's "to the end" length; less is an error).
fn rest_bytes(tvb: &Tvb<'_>, l: &mut Lines<'_>, label: &str, at: usize, len: i64) -> Walk<()> {
    let len = match len {
        0 => return Ok(()),
        -1 => tvb.len().checked_sub(at).ok_or(OutOfBounds::Malformed)?,
        _ => usize::try_from(len).map_err(|_| OutOfBounds::Malformed)?,
    };
    l.field(3, label, &hex_field(tvb.bytes(at, len)?));
    Ok(())
}

/// A line of a type bit map: `RR type in bit map: A (Host Address)`.
fn bitmap_type_line(l: &mut Lines<'_>, code: u16) {
    l.field_with(3, "RR type in bit map", |o| match type_description(code) {
        Some(text) => o.extend_from_slice(text.as_bytes()),
        None => {
            o.extend_from_slice(b"Unknown (");
            super::digits::push_u64(o, code.into());
            o.push(b')');
        }
    });
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
                    bitmap_type_line(l, rtype as u16);
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
        if code == 0x50fa {
            l.expert(
                5,
                "Warning",
                "Protocol",
                b"Deprecated opcode. Client subnet OPT assigned as 8.",
            );
        }
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
            13 if len > 0 => l.string_item(4, "Closest Trust Point", bytes),
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

/// IANA's IP protocol numbers as Wireshark names them (its ipproto table).
fn ip_protocol_name(protocol: u8) -> Option<&'static str> {
    Some(match protocol {
        0 => "IPv6 Hop-by-Hop Option",
        1 => "ICMP",
        2 => "IGMP",
        3 => "GGP",
        4 => "IPIP",
        5 => "Stream",
        6 => "TCP",
        7 => "CBT",
        8 => "EGP",
        9 => "IGRP",
        10 => "BBN RCC",
        11 => "Network Voice",
        12 => "PUP",
        13 => "ARGUS",
        14 => "EMCON",
        15 => "XNET",
        16 => "CHAOS",
        17 => "UDP",
        18 => "Multiplex",
        19 => "DCN Measurement",
        20 => "Host Monitoring",
        21 => "Packet radio",
        22 => "IDP",
        23 => "Trunk-1",
        24 => "Trunk-2",
        25 => "Leaf-1",
        26 => "Leaf-2",
        27 => "Reliable Data",
        28 => "IRT",
        29 => "ISO TP4",
        30 => "Bulk Data",
        31 => "MFE NSP",
        32 => "Merit Internodal",
        33 => "Datagram Congestion Control Protocol",
        34 => "3rd Party Connect",
        35 => "Inter-Domain Policy Routing Protocol",
        36 => "XTP",
        37 => "Datagram delivery",
        38 => "Control Message",
        39 => "TP++",
        40 => "IL",
        41 => "IPv6",
        42 => "Source demand routing",
        43 => "Routing Header for IPv6",
        44 => "Fragment Header for IPv6",
        45 => "Inter-Domain Routing Protocol",
        46 => "Reservation Protocol",
        47 => "Generic Routing Encapsulation",
        48 => "Dynamic source routing",
        49 => "BNA",
        50 => "Encap Security Payload",
        51 => "Authentication Header",
        52 => "INSLP",
        53 => "SWIPE",
        54 => "NBMA ARP",
        55 => "IP Mobility",
        56 => "TLSP Kryptonet",
        57 => "SKIP",
        58 => "ICMPv6",
        59 => "No Next Header for IPv6",
        60 => "Destination Options for IPv6",
        61 => "any host internal protocol",
        62 => "Mobile IPv6 (old)",
        63 => "any local network",
        64 => "SATNET EXPAK",
        65 => "Kryptolan",
        66 => "Remote Virtual Disk",
        67 => "IPPC",
        68 => "any distributed file system",
        69 => "SATNET Monitoring",
        70 => "VISA",
        71 => "IPCV",
        72 => "CPNX",
        73 => "CPHB",
        74 => "Wang Span",
        75 => "Packet Video",
        76 => "Backroom SATNET Mon",
        77 => "Sun ND Protocol",
        78 => "Wideband Mon",
        79 => "Wideband Expak",
        80 => "ISO Internet Protocol",
        81 => "VMTP",
        82 => "Secure VMTP",
        83 => "VINES",
        84 => "TTP",
        85 => "NSFNET IGP",
        86 => "Dissimilar Gateway",
        87 => "TCF",
        88 => "EIGRP",
        89 => "OSPF IGP",
        90 => "Sprite RPC",
        91 => "Locus ARP",
        92 => "Multicast Transport",
        93 => "AX.25 Frames",
        94 => "IP in IP",
        95 => "MICP",
        96 => "Semaphore",
        97 => "Ether in IP",
        98 => "ENCAP",
        99 => "any private encryption scheme",
        100 => "GMTP",
        101 => "Ipsilon Flow",
        102 => "PNNI over IP",
        103 => "PIM",
        104 => "ARIS",
        105 => "SCPS",
        106 => "QNX",
        107 => "Active Networks",
        108 => "IPComp",
        109 => "Sitara Networks",
        110 => "Compaq Peer",
        111 => "IPX IN IP",
        112 => "VRRP",
        113 => "PGM",
        114 => "any 0-hop protocol",
        115 => "Layer 2 Tunneling",
        116 => "DDX",
        117 => "IATP",
        118 => "STP",
        119 => "SpectraLink",
        120 => "UTI",
        121 => "SMP",
        122 => "SM",
        123 => "PTP",
        124 => "ISIS over IP",
        125 => "FIRE",
        126 => "CRTP",
        127 => "CRUDP",
        128 => "SSCOPMCE",
        129 => "IPLT",
        130 => "Secure Packet",
        131 => "PIPE",
        132 => "SCTP",
        133 => "Fibre Channel",
        134 => "RSVP E2EI",
        135 => "Mobile IPv6",
        136 => "UDPLite",
        137 => "MPLS in IP",
        138 => "MANET",
        139 => "HIP",
        140 => "Shim6 header",
        141 => "WESP",
        142 => "ROHC",
        143 => "Ethernet",
        144 => "Unassigned",
        145 => "Unassigned",
        146 => "Unassigned",
        147 => "Unassigned",
        148 => "Unassigned",
        149 => "Unassigned",
        150 => "Unassigned",
        151 => "Unassigned",
        152 => "Unassigned",
        153 => "Unassigned",
        154 => "Unassigned",
        155 => "Unassigned",
        156 => "Unassigned",
        157 => "Unassigned",
        158 => "Unassigned",
        159 => "Unassigned",
        160 => "Unassigned",
        161 => "Unassigned",
        162 => "Unassigned",
        163 => "Unassigned",
        164 => "Unassigned",
        165 => "Unassigned",
        166 => "Unassigned",
        167 => "Unassigned",
        168 => "Unassigned",
        169 => "Unassigned",
        170 => "Unassigned",
        171 => "Unassigned",
        172 => "Unassigned",
        173 => "AX/4000 Testframe",
        174 => "Unassigned",
        175 => "Unassigned",
        176 => "Unassigned",
        177 => "Unassigned",
        178 => "Unassigned",
        179 => "Unassigned",
        180 => "Unassigned",
        181 => "Unassigned",
        182 => "Unassigned",
        183 => "Unassigned",
        184 => "Unassigned",
        185 => "Unassigned",
        186 => "Unassigned",
        187 => "Unassigned",
        188 => "Unassigned",
        189 => "Unassigned",
        190 => "Unassigned",
        191 => "Unassigned",
        192 => "Unassigned",
        193 => "Unassigned",
        194 => "Unassigned",
        195 => "Unassigned",
        196 => "Unassigned",
        197 => "Unassigned",
        198 => "Unassigned",
        199 => "Unassigned",
        200 => "Unassigned",
        201 => "Unassigned",
        202 => "Unassigned",
        203 => "Unassigned",
        204 => "Unassigned",
        205 => "Unassigned",
        206 => "Unassigned",
        207 => "Unassigned",
        208 => "Unassigned",
        209 => "Unassigned",
        210 => "Unassigned",
        211 => "Unassigned",
        212 => "Unassigned",
        213 => "Unassigned",
        214 => "Unassigned",
        215 => "Unassigned",
        216 => "Unassigned",
        217 => "Unassigned",
        218 => "Unassigned",
        219 => "Unassigned",
        220 => "Unassigned",
        221 => "Unassigned",
        222 => "Unassigned",
        223 => "Unassigned",
        224 => "Novell NCS Heartbeat",
        _ => return None,
    })
}
