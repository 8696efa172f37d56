//! DNS over TCP: each direction of a connection is a byte stream of messages, each
//! behind a 2-byte length (RFC 1035 4.2.2, RFC 7766). Segments may arrive out of
//! order, twice, overlapping, or not at all; captures may start mid-connection.
//!
//! Per direction we keep the next expected sequence number and the bytes of the
//! message being assembled (at most 2 + 65,535). A segment beyond a hole is kept
//! (bounded) for when the hole fills, and is also read at once as the start of an
//! "island": a run of contiguous segments beyond the hole, read as messages if it
//! starts like one. That is what tshark does with a lost segment, and it loses
//! nothing when the segment was merely late: the late bytes fill the hole, the island's
//! messages are not read twice, and its unfinished tail carries on. Bytes after a hole
//! that do not start like a DNS message are never read as messages on faith.

use std::collections::BTreeMap;

use foldhash::HashMap;
use std::net::IpAddr;

use crate::capture::Timestamp;

/// Directions tracked at once; beyond this the least recently active is forgotten.
pub const MAX_STREAMS: usize = 4 << 20;
/// Bytes all directions may hold together; beyond this the least recently active are
/// forgotten, so that many half-finished streams cannot add up without limit.
pub const MAX_HELD_BYTES: usize = 256 << 20;
/// What a direction costs besides its buffers (table entry, stream state, its place
/// in the activity order): counted in `MAX_HELD_BYTES`, so the number of directions is
/// bounded by memory (a million idle directions fit; 200,000 interleaved connections
/// are 400,000).
const STREAM_OVERHEAD: usize = 200;
/// Out-of-order bytes kept per direction while waiting for a hole to fill.
const MAX_QUEUED_BYTES: usize = 256 << 10;
const MAX_QUEUED_SEGMENTS: usize = 64;
const HEADER_LEN: usize = 12;

/// One direction of a TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Direction {
    pub src: IpAddr,
    pub sport: u16,
    pub dst: IpAddr,
    pub dport: u16,
}

impl Direction {
    /// The other direction of the same connection.
    pub fn reversed(&self) -> Direction {
        Direction {
            src: self.dst,
            sport: self.dport,
            dst: self.src,
            dport: self.sport,
        }
    }
}

/// The TCP fields reassembly needs.
#[derive(Clone, Copy, Debug)]
pub struct Segment<'a> {
    pub seq: u32,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

impl<'a> Segment<'a> {
    /// A SYN carrying no data: the start of a stream.
    pub fn syn(seq: u32) -> Self {
        Segment {
            seq,
            syn: true,
            fin: false,
            rst: false,
            payload: &[],
        }
    }

    /// A segment carrying `payload` and no flags.
    pub fn data(seq: u32, payload: &'a [u8]) -> Self {
        Segment {
            seq,
            syn: false,
            fin: false,
            rst: false,
            payload,
        }
    }
}

/// What reassembly noticed besides messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// `missing` bytes were never seen; `resynced` says whether reading picked up
    /// again right after them.
    Gap { missing: u32, resynced: bool },
}

/// Contiguous segments beyond a hole, read ahead.
#[derive(Default)]
struct Island {
    /// Sequence number where the island starts, and the next one after it.
    start: u32,
    next: u32,
    /// Bytes of the island not yet a whole message.
    buf: Vec<u8>,
    /// The island's first message start looked like DNS (None: not enough bytes yet).
    plausible: Option<bool>,
}

#[derive(Default)]
struct Stream {
    /// Next sequence number expected; None until the first segment or SYN.
    next_seq: Option<u32>,
    /// Bytes received in order but not yet a whole message.
    buf: Vec<u8>,
    /// Segments beyond a hole, by sequence number.
    queued: BTreeMap<u32, Vec<u8>>,
    queued_bytes: usize,
    island: Option<Island>,
    /// After a gap: ignore data until a plausible message start.
    lost: bool,
    last_seen: u64,
}

impl Stream {
    /// Memory this direction holds.
    fn held(&self) -> usize {
        self.buf.capacity()
            + self.queued_bytes
            + self.island.as_ref().map_or(0, |i| i.buf.capacity())
    }
}

#[derive(Default)]
pub struct TcpReassembler {
    streams: HashMap<Direction, Stream>,
    /// Directions by last activity, least recent first; entries of directions active
    /// again since, or gone, are skipped (and compacted away).
    activity: std::collections::VecDeque<(u64, Direction)>,
    clock: u64,
    /// Bytes held by all streams together (partial messages, queues, islands).
    held: usize,
    /// Directions forgotten to stay under MAX_STREAMS or MAX_HELD_BYTES.
    pub evicted: u64,
}

/// Sequence-number comparison modulo 2^32.
fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// Does `bytes` start like a length-prefixed DNS message (a length of at least a
/// header, and a header whose question count is modest)?
fn plausible_start(bytes: &[u8]) -> bool {
    if bytes.len() < 2 + HEADER_LEN {
        return false;
    }
    let len = usize::from(u16::from_be_bytes([bytes[0], bytes[1]]));
    let qdcount = u16::from_be_bytes([bytes[6], bytes[7]]);
    len >= HEADER_LEN && qdcount <= 16
}

/// Cuts whole length-prefixed messages off the front of `buf`.
fn take_messages(buf: &mut Vec<u8>, message: &mut impl FnMut(&[u8])) {
    let mut at = 0;
    while buf.len() - at >= 2 {
        let len = usize::from(u16::from_be_bytes([buf[at], buf[at + 1]]));
        if buf.len() - at < 2 + len {
            break;
        }
        message(&buf[at + 2..at + 2 + len]);
        at += 2 + len;
    }
    buf.drain(..at);
}

impl TcpReassembler {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn streams(&self) -> usize {
        self.streams.len()
    }

    /// Feeds one segment; calls `message` for each DNS message it completes and
    /// `event` for gaps.
    pub fn push(
        &mut self,
        _ts: Timestamp,
        dir: Direction,
        seg: Segment<'_>,
        mut message: impl FnMut(&[u8]),
        mut event: impl FnMut(Event),
    ) {
        self.clock += 1;
        if !self.streams.contains_key(&dir) {
            if seg.payload.is_empty() && !seg.syn {
                // A direction that has sent nothing yet: nothing to remember (the last
                // ACK of every connection would otherwise open a direction that waits
                // to be evicted).
                return;
            }
            while (self.streams.len() >= MAX_STREAMS
                || self.held + STREAM_OVERHEAD > MAX_HELD_BYTES)
                && self.evict()
            {}
            self.held += STREAM_OVERHEAD;
        }
        self.activity.push_back((self.clock, dir));
        let stream = self.streams.entry(dir).or_default();
        let held_before = stream.held();
        stream.last_seen = self.clock;
        if seg.syn {
            *stream = Stream {
                next_seq: Some(seg.seq.wrapping_add(1)),
                last_seen: self.clock,
                ..Stream::default()
            };
        }
        if !seg.payload.is_empty() {
            let data_seq = if seg.syn {
                seg.seq.wrapping_add(1)
            } else {
                seg.seq
            };
            Self::receive(stream, data_seq, seg.payload, &mut message, &mut event);
        }
        self.held = self.held - held_before + stream.held();
        if (seg.rst || seg.fin) && stream.queued.is_empty() {
            // Nothing more can complete in this direction.
            self.remove(&dir);
        }
        while self.held > MAX_HELD_BYTES && self.evict() {}
        if self.activity.len() > 2 * self.streams.len() + 1024 {
            let streams = &self.streams;
            self.activity
                .retain(|(t, d)| streams.get(d).is_some_and(|s| s.last_seen == *t));
        }
    }

    fn remove(&mut self, dir: &Direction) {
        if let Some(stream) = self.streams.remove(dir) {
            self.held -= stream.held() + STREAM_OVERHEAD;
        }
    }

    fn receive(
        stream: &mut Stream,
        seq: u32,
        payload: &[u8],
        message: &mut impl FnMut(&[u8]),
        event: &mut impl FnMut(Event),
    ) {
        let next = *stream.next_seq.get_or_insert_with(|| {
            // Mid-connection start: read on only from something that looks like a
            // message start.
            stream.lost = true;
            seq
        });
        if !seq_lt(next, seq) {
            // In order, or a retransmission that may carry some new bytes at its end.
            let already = next.wrapping_sub(seq) as usize;
            if already < payload.len() {
                Self::append(stream, &payload[already..], message);
                Self::drain_queue(stream, message);
            }
            return;
        }
        if stream.queued.contains_key(&seq) {
            return; // a retransmission of a segment beyond the hole
        }
        if stream.queued.len() >= MAX_QUEUED_SEGMENTS
            || stream.queued_bytes + payload.len() > MAX_QUEUED_BYTES
        {
            // The hole did not fill within the budget: give it up. Draining past it
            // shrinks the queue, so this recursion ends.
            Self::skip_gap(stream, message, event);
            Self::receive(stream, seq, payload, message, event);
            return;
        }
        stream.queued_bytes += payload.len();
        stream.queued.insert(seq, payload.to_vec());
        Self::read_ahead(stream, seq, payload, message, event, next);
    }

    /// Reads a segment beyond the hole as part of an island.
    fn read_ahead(
        stream: &mut Stream,
        seq: u32,
        payload: &[u8],
        message: &mut impl FnMut(&[u8]),
        event: &mut impl FnMut(Event),
        next: u32,
    ) {
        match &mut stream.island {
            Some(island) if island.next == seq => {
                island.buf.extend_from_slice(payload);
                island.next = seq.wrapping_add(payload.len() as u32);
            }
            Some(island) if seq_lt(seq, island.next) && !seq_lt(seq, island.start) => return,
            _ => {
                event(Event::Gap {
                    missing: seq.wrapping_sub(next),
                    resynced: true,
                });
                stream.island = Some(Island {
                    start: seq,
                    next: seq.wrapping_add(payload.len() as u32),
                    buf: payload.to_vec(),
                    plausible: None,
                });
            }
        }
        let island = stream.island.as_mut().expect("set above");
        if island.plausible.is_none() && island.buf.len() >= 2 + HEADER_LEN {
            island.plausible = Some(plausible_start(&island.buf));
        }
        if island.plausible == Some(true) {
            take_messages(&mut island.buf, message);
        }
    }

    /// Gives up on the hole: reading carries on from the earliest segment beyond it.
    fn skip_gap(
        stream: &mut Stream,
        message: &mut impl FnMut(&[u8]),
        event: &mut impl FnMut(Event),
    ) {
        let Some((&seq, first)) = stream.queued.iter().next() else {
            return;
        };
        let island_here = stream.island.as_ref().is_some_and(|i| i.start == seq);
        if !island_here {
            let next = stream.next_seq.unwrap_or(seq);
            event(Event::Gap {
                missing: seq.wrapping_sub(next),
                resynced: plausible_start(first),
            });
        }
        stream.buf.clear();
        stream.lost = !island_here;
        stream.next_seq = Some(seq);
        Self::drain_queue(stream, message);
    }

    fn append(stream: &mut Stream, bytes: &[u8], message: &mut impl FnMut(&[u8])) {
        stream.next_seq = Some(
            stream
                .next_seq
                .unwrap_or(0)
                .wrapping_add(bytes.len() as u32),
        );
        if stream.lost {
            if stream.buf.is_empty() && !plausible_start(bytes) && bytes.len() >= 2 + HEADER_LEN {
                return; // still not a message start
            }
            stream.lost = false;
        }
        stream.buf.extend_from_slice(bytes);
        take_messages(&mut stream.buf, message);
    }

    /// Feeds queued segments that are now in order. Reaching the island hands over to
    /// it: its messages were read already, its unfinished tail is the stream's buffer.
    fn drain_queue(stream: &mut Stream, message: &mut impl FnMut(&[u8])) {
        while let Some(next) = stream.next_seq {
            let Some((&seq, _)) = stream.queued.iter().next() else {
                return;
            };
            if seq_lt(next, seq) {
                return; // still a hole
            }
            if stream
                .island
                .as_ref()
                .is_some_and(|i| i.start == seq && i.plausible == Some(true))
            {
                let island = stream.island.take().expect("checked");
                while let Some((&s, _)) = stream.queued.iter().next() {
                    if seq_lt(s, island.next) {
                        let bytes = stream.queued.remove(&s).expect("present");
                        stream.queued_bytes -= bytes.len();
                    } else {
                        break;
                    }
                }
                stream.buf = island.buf;
                stream.lost = false;
                stream.next_seq = Some(island.next);
                continue;
            }
            if stream.island.as_ref().is_some_and(|i| i.start == seq) {
                stream.island = None; // an island that never looked like DNS
            }
            let bytes = stream.queued.remove(&seq).expect("present");
            stream.queued_bytes -= bytes.len();
            let already = next.wrapping_sub(seq) as usize;
            if already < bytes.len() {
                Self::append(stream, &bytes[already..], message);
            }
        }
    }

    /// At the end of the capture: holes that never filled are given up, and whatever
    /// is beyond them read.
    pub fn finish(
        &mut self,
        mut message: impl FnMut(Direction, &[u8]),
        mut event: impl FnMut(Direction, Event),
    ) {
        for (dir, stream) in self.streams.iter_mut() {
            while !stream.queued.is_empty() {
                Self::skip_gap(stream, &mut |m: &[u8]| message(*dir, m), &mut |e| {
                    event(*dir, e)
                });
            }
        }
        self.streams.clear();
        self.activity.clear();
        self.held = 0;
    }

    /// Forgets the least recently active direction, in constant time (amortised);
    /// false when there is none.
    fn evict(&mut self) -> bool {
        while let Some((t, dir)) = self.activity.pop_front() {
            if self.streams.get(&dir).is_some_and(|s| s.last_seen == t) {
                self.remove(&dir);
                self.evicted += 1;
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> Direction {
        Direction {
            src: "10.0.0.1".parse().unwrap(),
            sport: 5000,
            dst: "10.0.0.2".parse().unwrap(),
            dport: 53,
        }
    }

    fn msg(id: u8, len: usize) -> Vec<u8> {
        let mut m = vec![0u8; len.max(12)];
        m[1] = id;
        m[5] = 1; // one question
        let mut framed = (m.len() as u16).to_be_bytes().to_vec();
        framed.extend(m);
        framed
    }

    fn run(segments: &[(u32, &[u8], bool)]) -> (Vec<u8>, Vec<Event>) {
        let mut r = TcpReassembler::new();
        let mut ids = Vec::new();
        let mut events = Vec::new();
        for &(seq, payload, syn) in segments {
            r.push(
                Timestamp::default(),
                dir(),
                Segment {
                    seq,
                    syn,
                    fin: false,
                    rst: false,
                    payload,
                },
                |m| ids.push(m[1]),
                |e| events.push(e),
            );
        }
        r.finish(|_, m| ids.push(m[1]), |_, e| events.push(e));
        (ids, events)
    }

    #[test]
    fn several_messages_in_one_segment_and_one_over_several() {
        let mut both = msg(1, 20);
        both.extend(msg(2, 30));
        let big = msg(3, 3000);
        let (ids, events) = run(&[
            (100, &[], true),
            (101, &both, false),
            (155, &big[..1000], false),
            (1155, &big[1000..], false),
        ]);
        assert_eq!(ids, [1, 2, 3]);
        assert!(events.is_empty());
    }

    #[test]
    fn out_of_order_and_retransmitted() {
        let big = msg(7, 100);
        let (ids, _) = run(&[
            (1, &[], true),
            (52, &big[50..], false),
            (2, &big[..50], false),
            (2, &big[..60], false),
        ]);
        assert_eq!(ids, [7]);
    }

    #[test]
    fn gap_resyncs_on_a_message_start() {
        let first = msg(1, 40);
        let second = msg(2, 40);
        // The first message's second half is lost; the second message starts cleanly.
        let (ids, events) = run(&[
            (1, &[], true),
            (2, &first[..20], false),
            (2 + 42, &second, false),
        ]);
        assert_eq!(ids, [2]);
        assert_eq!(
            events,
            [Event::Gap {
                missing: 22,
                resynced: true
            }]
        );
        // A length prefix alone beyond the hole, then the message: read when complete.
        let (ids, _) = run(&[
            (1, &[], true),
            (2, &first[..20], false),
            (44, &second[..2], false),
            (46, &second[2..], false),
        ]);
        assert_eq!(ids, [2]);
    }

    #[test]
    fn garbage_after_a_gap_is_not_a_message() {
        let first = msg(1, 40);
        let junk = [0xffu8; 60];
        let (ids, events) = run(&[
            (1, &[], true),
            (2, &first[..20], false),
            (100, &junk, false),
        ]);
        assert!(ids.is_empty());
        assert!(!events.is_empty());
    }

    #[test]
    fn whole_messages_beyond_a_hole_are_read_at_once_and_not_twice() {
        let one = msg(1, 40);
        let two = msg(2, 40);
        let mut r = TcpReassembler::new();
        let mut ids = Vec::new();
        let d = dir();
        let seg = |seq, payload| Segment {
            seq,
            syn: false,
            fin: false,
            rst: false,
            payload,
        };
        r.push(Timestamp::default(), d, Segment::syn(0), |_| {}, |_| {});
        r.push(
            Timestamp::default(),
            d,
            seg(1 + 42, &two),
            |m| ids.push(m[1]),
            |_| {},
        );
        assert_eq!(ids, [2]);
        r.push(
            Timestamp::default(),
            d,
            seg(1, &one),
            |m| ids.push(m[1]),
            |_| {},
        );
        r.finish(|_, m| ids.push(m[1]), |_, _| {});
        assert_eq!(ids, [2, 1]);
    }

    #[test]
    fn late_segment_fills_the_hole_and_the_island_tail_carries_on() {
        let one = msg(1, 40);
        let two = msg(2, 40);
        let three = msg(3, 40);
        let mut tail = two.clone();
        tail.extend_from_slice(&three[..10]);
        let (ids, _) = run(&[
            (0, &[], true),
            (1 + 42, &tail, false), // island: message 2 and the start of 3
            (1, &one, false),       // the late segment
            (1 + 84 + 10, &three[10..], false),
        ]);
        assert_eq!(ids, [2, 1, 3]);
    }

    #[test]
    fn memory_held_by_all_streams_is_bounded() {
        // Thousands of directions, each stuck in the middle of a 64 KB message.
        let mut r = TcpReassembler::new();
        let mut partial = vec![0xffu8, 0xff];
        partial.extend(std::iter::repeat_n(0u8, 60_000));
        for i in 0..6000u32 {
            let d = Direction {
                src: std::net::IpAddr::from(i.to_be_bytes()),
                sport: 1,
                dst: "10.0.0.2".parse().unwrap(),
                dport: 53,
            };
            let syn = Segment::syn(0);
            r.push(Timestamp::default(), d, syn, |_| {}, |_| {});
            let data = Segment::data(1, &partial);
            r.push(Timestamp::default(), d, data, |_| {}, |_| {});
            assert!(
                r.held <= MAX_HELD_BYTES + 2 * partial.len(),
                "{} bytes held",
                r.held
            );
        }
        assert!(r.evicted > 0);
    }

    #[test]
    fn mid_connection_start() {
        let m = msg(9, 30);
        let (ids, _) = run(&[(5000, &m, false)]);
        assert_eq!(ids, [9]);
    }
}
