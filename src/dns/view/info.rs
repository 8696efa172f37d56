//! The one-line summary of a DNS message, in exactly the words of Wireshark's Info
//! column (tshark 4.0), so that users can compare the two line by line.
//!
//! This is deliberately not built on the strict decoder: Wireshark reads each record's
//! data with its own rules (not bounded by RDLENGTH, names expanded with its own limits,
//! anything past the end of the message ending the line with `[Malformed Packet]`), and
//! matching its words means walking the bytes the way it does.

use std::io::Write as _;

use crate::dns::view::digits::{push_hex16, push_ipv4, push_ipv6, push_u64, Ascii as _};
use crate::dns::wire::registry as types;

/// Wireshark's MAX_DNAME_LEN: the buffer a name is expanded into (with its final NUL).
const MAX_DNAME_LEN: i32 = 255;
/// Label steps a name may take after its first compression pointer (see expand_name):
/// the hostile forward-pointer captures of the corpus need more than 4096, and at this
/// bound the worst message found by the fuzzer renders in under 100 ms.
const MAX_STEPS_AFTER_POINTER: u32 = 16_384;
/// Wireshark's MIN_DNAME_LEN: shorter names (other than the root) are malformed.
const MIN_DNAME_LEN: usize = 2;
const MALFORMED: &[u8] = b"[Malformed Packet]";
/// Reading past the captured bytes but within the packet's own length.
const CUT_SHORT: &[u8] = b"[Packet size limited during capture]";
/// tshark cuts its columns at 4095 characters (COL_MAX_INFO_LEN less the NUL).
const MAX_INFO_LEN: usize = 4095;

/// Reading past the end of the message (Wireshark's ReportedBoundsError, shown as
/// `[Malformed Packet]`), or past the captured bytes of a message that was longer
/// (its BoundsError, `[Packet size limited during capture]`).
#[derive(Debug)]
pub(super) enum OutOfBounds {
    Malformed,
    CutShort,
    /// The message's names took more label steps than the reader's budget (only the
    /// detail view sets one: its tree, unlike the Info column, has no length limit).
    OverBudget,
}

pub(super) type Walk<T> = Result<T, OutOfBounds>;

/// The message bytes, as Wireshark's tvb sees them: what was captured, and how long
/// the message really was.
pub(super) struct Tvb<'a> {
    pub(super) data: &'a [u8],
    pub(super) reported: usize,
    /// Label steps left for expanding names, when bounded.
    pub(super) budget: Option<std::cell::Cell<u64>>,
}

impl Tvb<'_> {
    pub(super) fn len(&self) -> usize {
        self.reported
    }
    fn check(&self, at: usize, len: usize) -> Walk<()> {
        let end = at.checked_add(len).ok_or(OutOfBounds::Malformed)?;
        if end <= self.data.len() {
            Ok(())
        } else if end <= self.reported {
            Err(OutOfBounds::CutShort)
        } else {
            Err(OutOfBounds::Malformed)
        }
    }
    pub(super) fn u8(&self, at: usize) -> Walk<u8> {
        self.check(at, 1)?;
        Ok(self.data[at])
    }
    pub(super) fn u16(&self, at: usize) -> Walk<u16> {
        Ok(u16::from_be_bytes([self.u8(at)?, self.u8(at + 1)?]))
    }
    pub(super) fn bytes(&self, at: usize, len: usize) -> Walk<&[u8]> {
        self.check(at, len)?;
        Ok(&self.data[at..at + len])
    }
}

/// Writes the Info text for the DNS message `msg` (mDNS adds its QU/QM and
/// cache-flush notes). `reported_len` is the message's length on the wire, more than
/// `msg.len()` when the capture cut it (snap length). The text is bytes, not UTF-8:
/// like tshark, some names are written as they are on the wire.
pub fn write_info(msg: &[u8], reported_len: usize, mdns: bool, out: &mut Vec<u8>) {
    let start = out.len();
    let tvb = Tvb {
        data: msg,
        reported: reported_len.max(msg.len()),
        budget: None,
    };
    match walk_message(&tvb, mdns, out) {
        Ok(()) | Err(OutOfBounds::OverBudget) => {}
        Err(OutOfBounds::Malformed) => out.extend_from_slice(MALFORMED),
        Err(OutOfBounds::CutShort) => out.extend_from_slice(CUT_SHORT),
    }
    out.truncate(start + MAX_INFO_LEN.min(out.len() - start));
}

/// The Info text as a string (bytes that are not UTF-8 become U+FFFD).
pub fn info(msg: &[u8], reported_len: usize, mdns: bool) -> String {
    let mut v = Vec::with_capacity(96);
    write_info(msg, reported_len, mdns, &mut v);
    String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn opcode_name(opcode: u8, out: &mut Vec<u8>) {
    match opcode {
        0 => out.extend_from_slice(b"Standard query"),
        1 => out.extend_from_slice(b"Inverse query"),
        2 => out.extend_from_slice(b"Server status request"),
        4 => out.extend_from_slice(b"Zone change notification"),
        5 => out.extend_from_slice(b"Dynamic update"),
        6 => out.extend_from_slice(b"DNS Stateful operations (DSO)"),
        n => {
            let _ = write!(out, "Unknown operation ({n})");
        }
    }
}

/// packet-dns.c's rcode_vals (16 and up are met only in TSIG and TKEY error fields: the
/// header's code has four bits).
pub(super) fn rcode_name(rcode: u16) -> Option<&'static str> {
    Some(match rcode {
        0 => "No error",
        1 => "Format error",
        2 => "Server failure",
        3 => "No such name",
        4 => "Not implemented",
        5 => "Refused",
        6 => "Name exists",
        7 => "RRset exists",
        8 => "RRset does not exist",
        9 => "Not authoritative",
        10 => "Name out of zone",
        11 => "DSO-Type not implemented",
        16 => "Bad OPT Version or TSIG Signature Failure",
        17 => "Key not recognized",
        18 => "Signature out of time window",
        19 => "Bad TKEY Mode",
        20 => "Duplicate key name",
        21 => "Algorithm not supported",
        22 => "Bad Truncation",
        23 => "Bad/missing Server Cookie",
        _ => return None,
    })
}

/// The record types tshark 4.0.17 names in its Info column (packet-dns.c's
/// `dns_types_vals`), where its table differs from IANA's registry: it names 0 `Unused`,
/// the WINS types and XPF; it does not know SMIMEA (53), NINFO (56), AVC (258), DOA
/// (259), AMTRELAY (260), which it calls `Unknown (N)`; and it has MAILA and MAILB
/// the other way round (253 is `MAILA`).
pub(super) fn wireshark_knows(code: u16) -> Option<&'static str> {
    match code {
        0 => Some("Unused"),
        253 => Some("MAILA"),
        254 => Some("MAILB"),
        65281 => Some("WINS"),
        65282 => Some("WINS-R"),
        65422 => Some("XPF"),
        53 | 56 | 258..=260 => None,
        // The rest of its table is IANA's, up to CAA (257), and TA and DLV.
        1..=257 | 32768 | 32769 => types::type_name(code),
        _ => None,
    }
}

/// Wireshark's name for a record type, `Unknown (N)` for those it does not know.
pub fn type_name(code: u16, out: &mut Vec<u8>) {
    // The usual types' names, padded to a fixed size: a copy without `memcpy`.
    static SHORT: std::sync::OnceLock<Vec<([u8; 16], u8)>> = std::sync::OnceLock::new();
    let short = SHORT.get_or_init(|| {
        (0..=257)
            .map(|code| {
                let mut padded = [0u8; 16];
                let name = wireshark_knows(code).unwrap_or("").as_bytes();
                let len = if name.len() <= 16 { name.len() } else { 0 };
                padded[..len].copy_from_slice(&name[..len]);
                (padded, len as u8)
            })
            .collect()
    });
    if let Some(&(padded, len @ 1..)) = short.get(usize::from(code)) {
        out.push_first(&padded, usize::from(len));
        return;
    }
    match wireshark_knows(code) {
        Some(name) => out.extend_from_slice(name.as_bytes()),
        None => {
            let _ = write!(out, "Unknown ({code})");
        }
    }
}

thread_local! {
    /// Each thread's name buffers, made once (zeroing them for every message cost more
    /// than some messages' whole walk).
    static NAMES: std::cell::RefCell<Names> = std::cell::RefCell::default();
}

fn walk_message(tvb: &Tvb<'_>, mdns: bool, out: &mut Vec<u8>) -> Walk<()> {
    NAMES.with_borrow_mut(|names| walk_message_with(tvb, mdns, out, names))
}

fn walk_message_with(tvb: &Tvb<'_>, mdns: bool, out: &mut Vec<u8>, names: &mut Names) -> Walk<()> {
    let start = out.len();
    let id = tvb.u16(0)?;
    let flags = tvb.u16(2)?;
    let response = flags & 0x8000 != 0;
    opcode_name(((flags >> 11) & 0xf) as u8, out);
    if response {
        out.extend_from_slice(b" response");
    }
    out.push(b' ');
    push_hex16(out, id);
    if response && flags & 0xf != 0 {
        let rcode = flags & 0xf;
        match rcode_name(rcode) {
            Some(name) => {
                out.push(b' ');
                out.extend_from_slice(name.as_bytes());
            }
            None => {
                let _ = write!(out, " Unknown error ({rcode})");
            }
        }
    }
    let questions = tvb.u16(4)?;
    let answers = tvb.u16(6)?;
    let authority = tvb.u16(8)?;
    let additional = tvb.u16(10)?;
    let mut offset = 12;
    // Past tshark's column width nothing more shows, not even a final
    // "[Malformed Packet]": stop there (and a hostile message cannot make us walk
    // 65,535 names of 65 KB each).
    let full = |out: &Vec<u8>| out.len() - start > MAX_INFO_LEN;
    for _ in 0..questions {
        offset += walk_question(tvb, offset, mdns, out, names)?;
        if full(out) {
            return Ok(());
        }
    }
    for _ in 0..u32::from(answers) + u32::from(authority) + u32::from(additional) {
        offset += walk_record(tvb, offset, mdns, out, names)?;
        if full(out) {
            return Ok(());
        }
    }
    Ok(())
}

/// Wireshark's expand_dns_name + get_dns_name: the raw bytes of the name (or one of its
/// placeholders) and the bytes it occupies in place.
/// An expanded name: at most MAX_DNAME_LEN bytes, so it lives on the stack (no
/// allocation per name on the hot path).
#[derive(Clone)]
pub(super) struct NameBuf {
    bytes: [u8; MAX_DNAME_LEN as usize + 1],
    /// Where the next byte goes.
    len: usize,
    /// How many bytes count as the name: bitstring labels are written without being
    /// counted (as Wireshark 4.0.17 does), so the name shown is cut by their length.
    shown: usize,
}

impl Default for NameBuf {
    fn default() -> Self {
        NameBuf {
            bytes: [0; MAX_DNAME_LEN as usize + 1],
            len: 0,
            shown: 0,
        }
    }
}

impl NameBuf {
    fn push(&mut self, b: u8) {
        if self.len < self.bytes.len() {
            self.bytes[self.len] = b;
            self.len += 1;
            self.shown += 1;
        }
    }
    /// Writes `more`, counted in the name unless `uncounted`.
    fn write(&mut self, more: &[u8], uncounted: bool) {
        let n = more.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&more[..n]);
        self.len += n;
        if !uncounted {
            self.shown += n;
        }
    }
    fn extend(&mut self, more: &[u8]) {
        self.write(more, false);
    }
    fn set(&mut self, text: &[u8]) {
        self.len = 0;
        self.shown = 0;
        self.extend(text);
    }
}

impl std::ops::Deref for NameBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..self.shown]
    }
}

pub(super) fn expand_name(tvb: &Tvb<'_>, start: usize, name: &mut NameBuf) -> Walk<usize> {
    if let Some(used) = expand_plain_name(tvb, start, name) {
        return Ok(used);
    }
    expand_any_name(tvb, start, name)
}

/// Wireshark's walk for every name, however odd.
fn expand_any_name(tvb: &Tvb<'_>, start: usize, name: &mut NameBuf) -> Walk<usize> {
    name.len = 0;
    name.shown = 0;
    let mut maxname = MAX_DNAME_LEN;
    let mut offset = start;
    let mut len: Option<usize> = None;
    let mut pointers = 0;
    // Labels read after following a pointer. Wireshark has no limit here, so a hostile
    // message (pointers into long label chains, 255 times over, for every record) costs
    // it minutes; we call such a name the loop it effectively is once it has cost more
    // than any real name could.
    let mut steps_after_pointer = 0u32;
    loop {
        let component = tvb.u8(offset)?;
        offset += 1;
        if component == 0 {
            break;
        }
        if let Some(budget) = &tvb.budget {
            let left = budget.get();
            if left == 0 {
                return Err(OutOfBounds::OverBudget);
            }
            budget.set(left - 1);
        }
        if pointers > 0 {
            steps_after_pointer += 1;
            if steps_after_pointer > MAX_STEPS_AFTER_POINTER {
                name.set(b"<Name contains a pointer that loops>");
                return Ok(len.unwrap_or(0));
            }
        }
        match component & 0xc0 {
            0x00 => {
                if name.len > 0 {
                    if maxname > 0 {
                        name.push(b'.');
                        maxname -= 1;
                    }
                } else {
                    maxname -= 1;
                }
                let label = tvb.bytes(offset, usize::from(component))?;
                let room = label.len().min(maxname.max(0) as usize);
                name.extend(&label[..room]);
                maxname -= room as i32;
                offset += label.len();
            }
            0x40 => {
                if component & 0x3f != 0x01 {
                    // Wireshark measures from the start even after a pointer, and
                    // rejects what comes out shorter than a minimal name.
                    if offset < start + MIN_DNAME_LEN {
                        return Err(OutOfBounds::Malformed);
                    }
                    name.set(b"<Unknown extended label>");
                    return Ok(offset - start);
                }
                // Bitstring label (RFC 2673): \[x<hex>/<bits>], written piece by piece
                // while each piece fits, as snprintf into the remaining space does, and
                // not counted in the name's length. (C's (0 - 1) / 8 + 1 is 1.)
                let bits = tvb.u8(offset)?;
                offset += 1;
                let label_len = if bits == 0 {
                    1
                } else {
                    (usize::from(bits) - 1) / 8 + 1
                };
                let mut piece = |name: &mut NameBuf, text: &[u8]| {
                    if maxname > 0 && text.len() as i32 <= maxname {
                        name.write(text, true);
                        maxname -= text.len() as i32;
                    } else {
                        maxname = 0;
                    }
                };
                piece(name, b"\\[x");
                const HEX: &[u8; 16] = b"0123456789abcdef";
                for _ in 0..label_len {
                    let b = tvb.u8(offset)?;
                    piece(name, &[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
                    offset += 1;
                }
                let mut end = [0u8; 6];
                let n = {
                    let mut cursor = std::io::Cursor::new(&mut end[..]);
                    let _ = write!(cursor, "/{bits}]");
                    cursor.position() as usize
                };
                piece(name, &end[..n]);
            }
            0x80 => return Err(OutOfBounds::Malformed),
            _ => {
                let low = tvb.u8(offset)?;
                let target = (usize::from(component & 0x3f) << 8) | usize::from(low);
                offset += 1;
                pointers += 1;
                if len.is_none() {
                    len = Some(offset - start);
                }
                if target == offset + 2 || pointers > MAX_DNAME_LEN {
                    let used = len.unwrap_or(0);
                    if used < MIN_DNAME_LEN {
                        return Err(OutOfBounds::Malformed);
                    }
                    name.set(b"<Name contains a pointer that loops>");
                    return Ok(used);
                }
                offset = target;
            }
        }
    }
    let used = len.unwrap_or_else(|| offset - start);
    if maxname <= 0 {
        name.set(b"<Name too long>");
    }
    if name.len == 0 && used <= MIN_DNAME_LEN {
        name.set(b"<Root>");
        return Ok(used);
    }
    if used < MIN_DNAME_LEN || (used > MIN_DNAME_LEN && name.is_empty()) {
        return Err(OutOfBounds::Malformed);
    }
    Ok(used)
}

/// Names longer than this take the general walk, which knows Wireshark's limits.
const PLAIN_NAME_LIMIT: usize = 200;

/// [`expand_name`] for the names nearly every message holds: labels, and pointers each
/// to before the last one's target (so the walk ends), all within the captured bytes and
/// shorter than [`PLAIN_NAME_LIMIT`]. The result is the general walk's, found with a
/// copy per run of labels instead of work per byte; `None` leaves the name to the
/// general walk (which starts afresh: nothing here is kept).
#[inline]
fn expand_plain_name(tvb: &Tvb<'_>, start: usize, name: &mut NameBuf) -> Option<usize> {
    let data = tvb.data;
    let mut offset = start;
    let mut used = None;
    let mut len = 0;
    let mut steps = 0u64;
    let mut lowest_target = start;
    loop {
        let component = *data.get(offset)?;
        if component == 0 {
            offset += 1;
            break;
        }
        if component < 0x40 {
            // Labels stored one after another read as their bytes with each length
            // byte but the first turned into a dot.
            let run = offset;
            while let Some(&label) = data.get(offset) {
                if label == 0 || label >= 0x40 {
                    break;
                }
                offset += 1 + usize::from(label);
                steps += 1;
            }
            if offset > data.len() {
                return None;
            }
            let text = &data[run + 1..offset];
            let dot = usize::from(len > 0);
            if len + dot + text.len() > PLAIN_NAME_LIMIT {
                return None;
            }
            if dot == 1 {
                name.bytes[len] = b'.';
                len += 1;
            }
            name.bytes[len..len + text.len()].copy_from_slice(text);
            let mut inner = run + 1 + usize::from(data[run]);
            while inner < offset {
                name.bytes[len + inner - run - 1] = b'.';
                inner += 1 + usize::from(data[inner]);
            }
            len += text.len();
            continue;
        }
        if component < 0xc0 {
            return None;
        }
        let target = (usize::from(component & 0x3f) << 8) | usize::from(*data.get(offset + 1)?);
        if target >= lowest_target {
            return None;
        }
        lowest_target = target;
        steps += 1;
        if used.is_none() {
            used = Some(offset + 2 - start);
        }
        offset = target;
    }
    let used = used.unwrap_or_else(|| offset - start);
    if len == 0 || used < MIN_DNAME_LEN {
        return None;
    }
    if let Some(budget) = &tvb.budget {
        let left = budget.get();
        if left < steps {
            return None;
        }
        budget.set(left - steps);
    }
    name.len = len;
    name.shown = len;
    Some(used)
}

/// The bytes a name occupies, read as Wireshark reads it (its text is not needed).
fn skip_name(tvb: &Tvb<'_>, at: usize, scratch: &mut NameBuf) -> Walk<usize> {
    expand_name(tvb, at, scratch)
}

/// Appends ` name` for the name at `at`; returns the bytes it occupies.
fn name_at(tvb: &Tvb<'_>, at: usize, scratch: &mut NameBuf, out: &mut Vec<u8>) -> Walk<usize> {
    let used = expand_name(tvb, at, scratch)?;
    out.push(b' ');
    format_text(scratch, out);
    Ok(used)
}

/// Name buffers for one message, made once (they are 256 bytes each).
#[derive(Default)]
struct Names {
    question: NameBuf,
    owner: NameBuf,
    data: NameBuf,
}

/// Wireshark's format_text: printable ASCII as is, C escapes and octal for other
/// control bytes, printable UTF-8 kept. An invalid sequence (a lead byte and the
/// continuation bytes that follow it, up to the length it announces) becomes one
/// U+FFFD, as Wireshark decodes it.
pub fn format_text(bytes: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < bytes.len() {
        // Runs of printable ASCII (nearly every name) are copied whole.
        let run = bytes[i..]
            .iter()
            .take_while(|b| (b' '..=b'~').contains(b))
            .count();
        out.extend_from_slice(&bytes[i..i + run]);
        i += run;
        if i == bytes.len() {
            break;
        }
        let lead = bytes[i];
        let len = match lead {
            0x00..=0x7f => {
                push_escaped_char(char::from(lead), out);
                i += 1;
                continue;
            }
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            // Old-style 5- and 6-byte sequences: never valid, but they swallow their
            // continuation bytes into one replacement character.
            0xf8..=0xfb => 5,
            0xfc..=0xfd => 6,
            _ => {
                out.extend_from_slice("\u{fffd}".as_bytes());
                i += 1;
                continue;
            }
        };
        let mut end = i + 1;
        while end < i + len && end < bytes.len() && bytes[end] & 0xc0 == 0x80 {
            end += 1;
        }
        match std::str::from_utf8(&bytes[i..end])
            .ok()
            .and_then(|s| s.chars().next())
        {
            Some(c) if end == i + len => push_escaped_char(c, out),
            _ => out.extend_from_slice("\u{fffd}".as_bytes()),
        }
        i = end;
    }
}

fn push_escaped_char(c: char, out: &mut Vec<u8>) {
    match c {
        ' '..='~' => out.push(c as u8),
        '\u{7}' => out.extend_from_slice(b"\\a"),
        '\u{8}' => out.extend_from_slice(b"\\b"),
        '\u{c}' => out.extend_from_slice(b"\\f"),
        '\n' => out.extend_from_slice(b"\\n"),
        '\r' => out.extend_from_slice(b"\\r"),
        '\t' => out.extend_from_slice(b"\\t"),
        '\u{b}' => out.extend_from_slice(b"\\v"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\{:03o}", c as u32);
        }
        c if c.is_control() => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        c => {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
}

fn walk_question(
    tvb: &Tvb<'_>,
    offset: usize,
    mdns: bool,
    out: &mut Vec<u8>,
    names: &mut Names,
) -> Walk<usize> {
    let name = &mut names.question;
    let used = expand_name(tvb, offset, name)?;
    let qtype = tvb.u16(offset + used)?;
    let class = tvb.u16(offset + used + 2)?;
    out.push(b' ');
    type_name(qtype, out);
    out.push(b' ');
    format_text(name, out);
    if mdns {
        out.extend_from_slice(if class & 0x8000 != 0 {
            b", \"QU\" question"
        } else {
            b", \"QM\" question"
        });
    }
    Ok(used + 4)
}

fn walk_record(
    tvb: &Tvb<'_>,
    offset: usize,
    mdns: bool,
    out: &mut Vec<u8>,
    names: &mut Names,
) -> Walk<usize> {
    let Names { owner, data: n, .. } = names;
    let used = expand_name(tvb, offset, owner)?;
    let rtype = tvb.u16(offset + used)?;
    let class = tvb.u16(offset + used + 2)?;
    let data_len = usize::from(tvb.u16(offset + used + 8)?);
    let flush = mdns && class & 0x8000 != 0;
    out.push(b' ');
    type_name(rtype, out);
    if flush {
        out.extend_from_slice(b", cache flush");
    }
    let total = used + 10 + data_len;
    if data_len == 0 {
        return Ok(total);
    }
    let data = offset + used + 10;

    // These types show the record's own name as it is on the wire (unformatted).
    let owner_name = |out: &mut Vec<u8>| {
        out.push(b' ');
        out.extend_from_slice(owner);
    };
    match rtype {
        // An IPv4 address whatever the class (4.0.17 has no Chaos address form).
        1 => {
            let a = tvb.bytes(data, 4)?;
            out.push(b' ');
            push_ipv4(out, [a[0], a[1], a[2], a[3]]);
        }
        // NS, CNAME, PTR, DNAME, NXT and NSEC show the name in their data.
        2 | 5 | 12 | 39 | 30 => {
            name_at(tvb, data, n, out)?;
        }
        47 => {
            let used = name_at(tvb, data, n, out)?;
            walk_type_bitmap(tvb, data + used, data_len as i64 - used as i64)?;
        }
        // MD MF MB MG MR NULL MINFO RP AFSDB X25 ISDN RT NSAP NSAP-PTR PX GPOS DHCID
        // NSEC3PARAM TLSA HIP show the record's own name, then read their data.
        3 | 4 | 7 | 8 | 9 | 14 | 17 => {
            owner_name(out);
            let used = skip_name(tvb, data, n)?;
            if rtype == 14 || rtype == 17 {
                skip_name(tvb, data + used, n)?;
            }
        }
        18 | 21 => {
            owner_name(out);
            skip_name(tvb, data + 2, n)?;
        }
        26 => {
            owner_name(out);
            let used = skip_name(tvb, data + 2, &mut NameBuf::default())?;
            skip_name(tvb, data + 2 + used, n)?;
        }
        10 | 22 | 49 => owner_name(out),
        19 => {
            owner_name(out);
            let len = usize::from(tvb.u8(data)?);
            tvb.bytes(data + 1, len)?;
        }
        20 => {
            owner_name(out);
            let len = usize::from(tvb.u8(data)?);
            tvb.bytes(data + 1, len)?;
            let rest = data_len as i64 - 1 - len as i64;
            if rest > 1 {
                let sa = usize::from(tvb.u8(data + 1 + len)?);
                tvb.bytes(data + 2 + len, sa)?;
            }
        }
        23 => {
            owner_name(out);
            skip_name(tvb, data, n)?;
        }
        27 => {
            owner_name(out);
            let mut at = data;
            for _ in 0..3 {
                let len = usize::from(tvb.u8(at)?);
                tvb.bytes(at + 1, len)?;
                at += 1 + len;
            }
        }
        51 => {
            owner_name(out);
            tvb.bytes(data, 4)?;
            let salt = usize::from(tvb.u8(data + 4)?);
            tvb.bytes(data + 5, salt)?;
        }
        52 => {
            owner_name(out);
            tvb.bytes(data, 3)?;
            tvb.bytes(data + 3, data_len.saturating_sub(3))?;
        }
        55 => {
            owner_name(out);
            let hit = usize::from(tvb.u8(data)?);
            let pk = usize::from(tvb.u16(data + 2)?);
            tvb.bytes(data + 4, hit + pk)?;
            let mut at = data + 4 + hit + pk;
            let mut rest = data_len as i64 - 4 - hit as i64 - pk as i64;
            while rest > 1 {
                let used = skip_name(tvb, at, n)?;
                at += used;
                rest -= used as i64;
            }
        }
        6 => {
            let used = name_at(tvb, data, n, out)?;
            let used2 = skip_name(tvb, data + used, n)?;
            tvb.bytes(data + used + used2, 20)?;
        }
        11 => {
            let a = tvb.bytes(data, 4)?;
            let _ = write!(out, " {}.{}.{}.{}", a[0], a[1], a[2], a[3]);
            tvb.u8(data + 4)?;
            tvb.bytes(data + 5, data_len.saturating_sub(5))?;
        }
        13 => {
            let cpu_len = usize::from(tvb.u8(data)?);
            let cpu = tvb.bytes(data + 1, cpu_len)?;
            let os_len = usize::from(tvb.u8(data + 1 + cpu_len)?);
            let os = tvb.bytes(data + 2 + cpu_len, os_len)?;
            // Each as C's `%.*s`: the ASCII-read string to its length or first NUL.
            for text in [cpu, os] {
                let mut read = Vec::with_capacity(text.len());
                push_ascii(text, &mut read);
                read.truncate(text.len());
                let end = read.iter().position(|&b| b == 0).unwrap_or(read.len());
                out.push(b' ');
                out.extend_from_slice(&read[..end]);
            }
        }
        15 | 36 => {
            let preference = tvb.u16(data)?;
            expand_name(tvb, data + 2, n)?;
            out.push(b' ');
            push_u64(out, u64::from(preference));
            out.push(b' ');
            format_text(n, out);
        }
        28 => {
            let a: [u8; 16] = tvb.bytes(data, 16)?.try_into().unwrap_or([0; 16]);
            out.push(b' ');
            push_ipv6(out, a);
        }
        33 => {
            let priority = tvb.u16(data)?;
            let weight = tvb.u16(data + 2)?;
            let port = tvb.u16(data + 4)?;
            expand_name(tvb, data + 6, n)?;
            let _ = write!(out, " {priority} {weight} {port} ");
            format_text(n, out);
        }
        35 => {
            let order = tvb.u16(data)?;
            let preference = tvb.u16(data + 2)?;
            let flags_len = usize::from(tvb.u8(data + 4)?);
            let flags = tvb.bytes(data + 5, flags_len)?;
            let mut at = data + 5 + flags_len;
            for _ in 0..2 {
                let len = usize::from(tvb.u8(at)?);
                tvb.bytes(at + 1, len)?;
                at += 1 + len;
            }
            skip_name(tvb, at, n)?;
            let _ = write!(out, " {order} {preference} ");
            push_ascii(flags, out);
        }
        38 => {
            let prefix_len = tvb.u8(data)?;
            let octets = a6_suffix_octets(prefix_len);
            let read = octets.min(16);
            let mut suffix = [0u8; 16];
            suffix[16 - read..].copy_from_slice(tvb.bytes(data + 1, read)?);
            let name_used = if prefix_len > 0 {
                expand_name(tvb, data + 1 + read, n)?
            } else {
                n.set(b"");
                0
            };
            let name = &*n;
            out.push(b' ');
            push_u64(out, u64::from(prefix_len));
            out.push(b' ');
            push_ipv6(out, suffix);
            out.push(b' ');
            format_text(name, out);
            // The tree's name item sits after the suffix's stated length: past the
            // message's end when that length wrapped.
            if prefix_len > 0 {
                tvb.bytes(data + 1 + octets, name_used)?;
            }
        }
        // TXT and SPF: character-strings until RDLENGTH is used up, exactly (a length
        // that overshoots makes Wireshark read on until the message ends).
        16 | 99 => {
            let mut rest = data_len as i64;
            let mut at = data;
            while rest != 0 {
                let len = usize::from(tvb.u8(at)?);
                tvb.bytes(at + 1, len)?;
                at += 1 + len;
                rest -= 1 + len as i64;
            }
        }
        29 if tvb.u8(data)? == 0 => {
            tvb.bytes(data, 16)?;
        }
        41 => walk_opt(tvb, data, data_len)?,
        64 | 65 => walk_svcb(tvb, data, data_len, n)?,
        // The fixed fields Wireshark's dissectors read first, whatever RDLENGTH says
        // (packet-dns.c, 4.0.17): a record too short at the end of the message is
        // malformed. KEY/DNSKEY/CDNSKEY: flags, protocol, algorithm; DS/CDS/DLV: tag,
        // algorithm, digest type; SSHFP; CERT; ZONEMD; the ILNP types; EUI48/64.
        25 | 48 | 60 | 43 | 59 | 32769 => {
            tvb.bytes(data, 4)?;
        }
        44 => {
            tvb.bytes(data, 2)?;
        }
        37 => {
            tvb.bytes(data, 5)?;
        }
        63 | 105 | 108 => {
            tvb.bytes(data, 6)?;
        }
        104 | 106 => {
            tvb.bytes(data, 10)?;
        }
        109 => {
            tvb.bytes(data, 8)?;
        }
        // SIG and RRSIG: 18 bytes of fields, then the signer's name.
        24 | 46 => {
            tvb.bytes(data, 18)?;
            skip_name(tvb, data + 18, n)?;
        }
        // LP: preference, then a name.
        107 => {
            tvb.bytes(data, 2)?;
            skip_name(tvb, data + 2, n)?;
        }
        // APL: the record's own name, then (family, prefix, length, address) items while
        // more than one byte is left.
        42 => {
            owner_name(out);
            let mut rest = data_len as i64;
            let mut at = data;
            while rest > 1 {
                tvb.bytes(at, 3)?;
                let len = usize::from(tvb.u8(at + 3)? & 0x7f);
                tvb.bytes(at + 4, len)?;
                at += 4 + len;
                rest -= 4 + len as i64;
            }
        }
        // IPSECKEY: precedence, gateway type, algorithm, the gateway by its type.
        45 => {
            tvb.bytes(data, 3)?;
            match tvb.u8(data + 1)? {
                1 => {
                    tvb.bytes(data + 3, 4)?;
                }
                2 => {
                    tvb.bytes(data + 3, 16)?;
                }
                3 => {
                    skip_name(tvb, data + 3, n)?;
                }
                _ => {}
            }
        }
        // NSEC3: algorithm, flags, iterations, salt, hash, then the type bitmap.
        50 => {
            tvb.bytes(data, 4)?;
            let salt = usize::from(tvb.u8(data + 4)?);
            tvb.bytes(data + 5, salt)?;
            let hash = usize::from(tvb.u8(data + 5 + salt)?);
            tvb.bytes(data + 6 + salt, base32_read_len(hash))?;
            let head = 6 + salt + hash;
            walk_type_bitmap(tvb, data + head, data_len as i64 - head as i64)?;
        }
        // CSYNC: serial, flags, then the type bitmap.
        62 => {
            tvb.bytes(data, 6)?;
            walk_type_bitmap(tvb, data + 6, data_len as i64 - 6)?;
        }
        // TKEY: algorithm name, inception, expiration, mode, error, key, other data.
        249 => {
            let mut at = data + skip_name(tvb, data, n)?;
            tvb.bytes(at, 12)?;
            at += 12;
            for _ in 0..2 {
                let len = usize::from(tvb.u16(at)?);
                tvb.bytes(at + 2, len)?;
                at += 2 + len;
            }
        }
        // TSIG: algorithm name, time signed, fudge, MAC, original ID, error, other data.
        250 => {
            let mut at = data + skip_name(tvb, data, n)?;
            tvb.bytes(at, 10)?;
            let mac = usize::from(tvb.u16(at + 8)?);
            tvb.bytes(at + 10, mac)?;
            at += 10 + mac;
            tvb.bytes(at, 6)?;
            let other = usize::from(tvb.u16(at + 4)?);
            tvb.bytes(at + 6, other)?;
        }
        // WINS: flags and timeouts, a server count, then that many servers (while any of
        // RDLENGTH is left, counting down past zero); WINS-R: the same three, then the
        // name it shows.
        65281 => {
            tvb.bytes(data, 16)?;
            let count = tvb.bytes(data + 12, 4)?;
            let mut count = u32::from_be_bytes([count[0], count[1], count[2], count[3]]);
            let (mut at, mut rest) = (data + 16, data_len as i64 - 16);
            while rest != 0 && count != 0 {
                tvb.bytes(at, 4)?;
                at += 4;
                rest -= 4;
                count -= 1;
            }
        }
        65282 => {
            tvb.bytes(data, 12)?;
            name_at(tvb, data + 12, n, out)?;
        }
        // XPF: IP version, then protocol, addresses and ports for versions 4 and 6.
        65422 => match tvb.u8(data)? {
            4 => drop(tvb.bytes(data + 1, 13)?),
            6 => drop(tvb.bytes(data + 1, 37)?),
            _ => {}
        },
        // CAA: flags, tag length, tag, then a value whose 16-bit length wraps when the
        // tag claims more than RDLENGTH holds.
        257 => {
            tvb.u8(data)?;
            let tag = usize::from(tvb.u8(data + 1)?);
            tvb.bytes(data + 2, tag)?;
            let value = (data_len as u16).wrapping_sub(tag as u16 + 2);
            tvb.bytes(data + 2 + tag, usize::from(value))?;
        }
        _ => {}
    }
    // Every other type shows its data in Wireshark's tree, which reads all of it.
    if data + data_len > tvb.len() && !READS_FIELDS_ONLY.contains(&rtype) {
        return Err(OutOfBounds::Malformed);
    }
    Ok(total)
}

/// An NSEC-style type bitmap as Wireshark walks it: (window, length, bits) blocks until
/// the remaining length is exactly used up (one that overshoots reads on to the end).
/// The bytes Wireshark reads to write a hash of `len` bytes in base32: five bits at a
/// time from each multiple of five bits inside the hash, the last group reaching into
/// the byte after it when eight times `len` is not a multiple of five.
pub(super) fn base32_read_len(len: usize) -> usize {
    ((len * 8).div_ceil(5) * 5).div_ceil(8)
}

fn walk_type_bitmap(tvb: &Tvb<'_>, mut at: usize, mut rest: i64) -> Walk<()> {
    while rest != 0 {
        tvb.u8(at)?;
        let len = usize::from(tvb.u8(at + 1)?);
        tvb.bytes(at + 2, len)?;
        at += 2 + len;
        rest -= 2 + len as i64;
    }
    Ok(())
}

/// EDNS options as Wireshark walks them (client subnet reads its address by its own
/// arithmetic, even when the option length disagrees).
fn walk_opt(tvb: &Tvb<'_>, data: usize, data_len: usize) -> Walk<()> {
    let mut rest = data_len as i64;
    let mut at = data as i64;
    while rest > 0 {
        let cur = usize::try_from(at).map_err(|_| OutOfBounds::Malformed)?;
        let code = tvb.u16(cur)?;
        let len = tvb.u16(cur + 2)?;
        rest -= 4;
        tvb.bytes(cur, 4 + usize::from(len))?;
        let value = cur + 4;
        match code {
            // Client subnet (and its draft code 0x50fa): family, prefix lengths, then an
            // address of at most 16 bytes, however short the option.
            8 | 0x50fa => {
                tvb.bytes(value, 4)?;
                let addr_len = usize::from(len.wrapping_sub(4)).min(16);
                tvb.bytes(value + 4, addr_len)?;
                at = value as i64 + 4 + (i64::from(len) - 4);
            }
            // Cookie: an 8-byte client cookie, then the rest as the server's; shorter
            // than 8, the rest's length wraps around and runs past any message.
            10 => {
                tvb.bytes(value, 8)?;
                if len < 8 {
                    return Err(OutOfBounds::Malformed);
                }
                at = value as i64 + i64::from(len);
            }
            // Extended error shorter than its 2-byte code: the dissector does not move on,
            // and reads the next option from the value's first byte.
            15 if len < 2 => {
                at = value as i64;
                continue;
            }
            _ => at = value as i64 + i64::from(len),
        }
        rest -= i64::from(len);
    }
    Ok(())
}

/// SVCB/HTTPS parameters as Wireshark walks them: each key reads its own layout,
/// whatever the parameter length says.
fn walk_svcb(tvb: &Tvb<'_>, data: usize, data_len: usize, scratch: &mut NameBuf) -> Walk<()> {
    let used = skip_name(tvb, data + 2, scratch)?;
    let mut cur = data + 2 + used;
    while data_len > cur - data {
        let key = tvb.u16(cur)?;
        let len = usize::from(tvb.u16(cur + 2)?);
        cur += 4;
        match key {
            0 => {
                for _ in (0..len).step_by(2) {
                    tvb.u16(cur)?;
                    cur += 2;
                }
            }
            1 => {
                let mut off = 0;
                while off < len {
                    let id = usize::from(tvb.u8(cur)?);
                    tvb.bytes(cur + 1, id)?;
                    cur += 1 + id;
                    off += 1 + id;
                }
            }
            2 => {}
            3 => {
                tvb.u16(cur)?;
                cur += 2;
            }
            4 => {
                for _ in (0..len).step_by(4) {
                    tvb.bytes(cur, 4)?;
                    cur += 4;
                }
            }
            6 => {
                for _ in (0..len).step_by(16) {
                    tvb.bytes(cur, 16)?;
                    cur += 16;
                }
            }
            _ => {
                tvb.bytes(cur, len)?;
                cur += len;
            }
        }
    }
    Ok(())
}

/// Types whose Wireshark dissection reads only their fields, not necessarily the whole
/// RDLENGTH: A NS MD MF CNAME SOA MB MG MR PTR MINFO MX RP AFSDB X25 ISDN RT NSAP-PTR PX
/// GPOS AAAA SRV NAPTR KX A6 DNAME.
const READS_FIELDS_ONLY: [u16; 26] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 14, 15, 17, 18, 19, 20, 21, 23, 26, 27, 28, 33, 35, 36, 38, 39,
];

/// Text read as ASCII (ENC_ASCII): bytes above 0x7f become U+FFFD.
fn push_ascii(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        if b < 0x80 {
            out.push(b);
        } else {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
}

/// The octets of an A6 record's address suffix after a prefix of `prefix_len` bits, as
/// Wireshark counts them: its suffix length is unsigned 16-bit, so a prefix over 128
/// wraps it to thousands of octets (of which it reads the 16 of an address).
pub(super) fn a6_suffix_octets(prefix_len: u8) -> usize {
    let suffix_len = 128u16.wrapping_sub(prefix_len.into());
    if suffix_len == 0 {
        0
    } else {
        usize::from((suffix_len - 1) / 8 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::wire::encode::{Edns, Message, RData, Record};

    #[test]
    fn query_and_nxdomain_response() {
        let name: crate::dns::Name = "nx.example.com".parse().unwrap();
        let mut q = Message::query(0x1234, name.clone(), 1);
        q.edns = Some(Edns::default());
        assert_eq!(
            info(&q.encode(), 0, false),
            "Standard query 0x1234 A nx.example.com OPT"
        );
        let mut r = q.clone();
        r.flags.set(crate::dns::wire::Flags::QR, true);
        r.flags.set_rcode(3);
        r.edns = None;
        r.authority.push(Record {
            name: "example.com".parse().unwrap(),
            rtype: 6,
            class: 1,
            ttl: 60,
            data: RData::Soa {
                mname: "ns1.example.com".parse().unwrap(),
                rname: "h.example.com".parse().unwrap(),
                serial: 1,
                refresh: 2,
                retry: 3,
                expire: 4,
                minimum: 5,
            },
        });
        assert_eq!(
            info(&r.encode(), 0, false),
            "Standard query response 0x1234 No such name A nx.example.com SOA ns1.example.com"
        );
    }

    #[test]
    fn malformed_keeps_what_was_said() {
        let name: crate::dns::Name = "example.com".parse().unwrap();
        let q = Message::query(0xabcd, name, 28).encode();
        assert_eq!(
            info(&q[..q.len() - 2], 0, false),
            "Standard query 0xabcd[Malformed Packet]"
        );
        assert_eq!(info(&q[..3], 0, false), "[Malformed Packet]");
        assert_eq!(
            info(&q[..q.len() - 2], q.len(), false),
            "Standard query 0xabcd[Packet size limited during capture]"
        );
    }

    #[test]
    fn mdns_notes_and_root() {
        let mut m = Message::query(0, crate::dns::Name::root(), 6);
        m.questions[0].qclass = 0x8001;
        assert_eq!(
            info(&m.encode(), 0, true),
            "Standard query 0x0000 SOA <Root>, \"QU\" question"
        );
    }

    #[test]
    fn text_is_formatted_like_wireshark() {
        let mut s = Vec::new();
        format_text(b"a\x01b\tc\xffd\xe2\x80\x99", &mut s);
        assert_eq!(
            String::from_utf8(s).unwrap(),
            "a\\001b\\tc\u{fffd}d\u{2019}"
        );
    }

    /// The quick walk of plain names gives the general walk's answer (name, length,
    /// label steps) whenever it answers: names made of random labels, pointers back,
    /// forward, into themselves and out of the bytes, and odd label types.
    #[test]
    fn plain_names_read_as_the_general_walk_reads_them() {
        let mut rng = crate::rng::Rng::new(11);
        let (mut answered, mut compared) = (0, 0);
        for _ in 0..20_000 {
            let mut msg = vec![0u8; 12];
            while msg.len() < 12 + rng.below(120) as usize {
                match rng.below(12) {
                    0 => msg.push(0),
                    1 => {
                        let target = rng.below(msg.len() as u128 + 8) as u16;
                        msg.extend_from_slice(&(0xc000 | target).to_be_bytes());
                    }
                    2 => msg.push(0x40 | rng.below(0x80) as u8),
                    _ => {
                        let longest = if rng.below(8) == 0 { 64 } else { 10 };
                        let len = rng.below(longest) as u8;
                        msg.push(len);
                        for _ in 0..len {
                            msg.push(if rng.below(6) == 0 {
                                rng.below(256) as u8
                            } else {
                                b'a' + rng.below(26) as u8
                            });
                        }
                    }
                }
            }
            let reported = msg.len() + rng.below(3) as usize;
            for start in 12..msg.len() {
                let budget = |n: u64| Some(std::cell::Cell::new(n));
                let steps = if rng.below(2) == 0 {
                    None
                } else {
                    budget(rng.below(12) as u64)
                };
                let tvb = Tvb {
                    data: &msg,
                    reported,
                    budget: steps.clone(),
                };
                let mut quick = NameBuf::default();
                let Some(used) = expand_plain_name(&tvb, start, &mut quick) else {
                    continue;
                };
                answered += 1;
                let general_tvb = Tvb {
                    data: &msg,
                    reported,
                    budget: steps,
                };
                let mut general = NameBuf::default();
                let walked = expand_any_name(&general_tvb, start, &mut general);
                assert_eq!(walked.ok(), Some(used), "{msg:?} at {start}");
                assert_eq!(&quick[..], &general[..], "{msg:?} at {start}");
                assert_eq!(quick.len, general.len);
                assert_eq!(
                    tvb.budget.map(|b| b.get()),
                    general_tvb.budget.map(|b| b.get())
                );
                compared += 1;
            }
        }
        assert!(
            answered > 10_000 && compared == answered,
            "{answered} answered"
        );
    }
}
