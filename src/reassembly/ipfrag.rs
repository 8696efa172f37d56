//! IPv4 and IPv6 fragment reassembly, bounded by memory: datagrams in progress hold at
//! most `MAX_HELD_BYTES` together (their pieces plus `DATAGRAM_OVERHEAD` each), each at
//! most 65,535 bytes from at most `MAX_PIECES` fragments (tshark's 8,191 and one more)
//! holding at most twice that (overlaps included). Beyond the budget the datagram begun
//! first is forgotten, in constant time; a datagram whose first fragment is older than
//! the timeout (in capture time) is dropped. Every drop is counted.

use foldhash::HashMap;
use std::net::IpAddr;

use crate::capture::Timestamp;
use crate::ip::Fragment;

/// Memory for all datagrams in progress: room for 10,000 concurrent 3 KiB datagrams
/// many times over.
pub const MAX_HELD_BYTES: usize = 64 << 20;
/// What a datagram in progress costs besides its bytes (table entry, piece list).
const DATAGRAM_OVERHEAD: usize = 192;
/// Fragments per datagram: 65,535 bytes in 8-byte fragments need 8,192.
const MAX_PIECES: usize = 8192;
/// Completeness checks that may fail for one datagram before it is given up: overlaps
/// that keep a datagram from completing cannot make its work grow without bound.
const MAX_CHECKS: u32 = 64;
const MAX_DATAGRAM_LEN: u32 = 65_535;
/// Linux's default ipfrag_time.
pub const TIMEOUT_NS: i128 = 30_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DatagramKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub id: u32,
    pub protocol: u8,
}

struct Pending {
    first_seen: Timestamp,
    /// Its place in the arrival order (for eviction).
    seq: u64,
    checks: u32,
    /// (offset, bytes) in arrival order.
    pieces: Vec<(u32, Vec<u8>)>,
    /// Known once the last fragment (no "more" flag) arrived.
    total: Option<u32>,
    /// Bytes held in `pieces`.
    bytes: usize,
}

/// What happened to a fragment.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stored; the datagram is not complete yet.
    Pending,
    /// The datagram is complete: its payload, from the transport header on.
    Complete(Vec<u8>),
    /// Refused: beyond 65,535 bytes or too many pieces (reported, then forgotten).
    Dropped(&'static str),
}

#[derive(Default)]
pub struct Defragmenter {
    pending: HashMap<DatagramKey, Pending>,
    /// Datagrams in the order they began; entries of datagrams gone are skipped (and
    /// compacted away).
    order: std::collections::VecDeque<(u64, DatagramKey)>,
    next_seq: u64,
    /// Bytes held: pieces plus the overhead of each datagram.
    held: usize,
    /// Datagrams dropped for the timeout.
    pub expired: u64,
    /// Datagrams forgotten to stay within `MAX_HELD_BYTES`.
    pub evicted: u64,
}

impl Defragmenter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn in_progress(&self) -> usize {
        self.pending.len()
    }

    pub fn push(
        &mut self,
        ts: Timestamp,
        key: DatagramKey,
        fragment: Fragment,
        payload: &[u8],
    ) -> Outcome {
        self.expire(ts);
        let end = fragment.offset + payload.len() as u32;
        if end > MAX_DATAGRAM_LEN {
            self.forget(&key);
            return Outcome::Dropped("fragments beyond 65,535 bytes");
        }
        if !self.pending.contains_key(&key) {
            while self.held + DATAGRAM_OVERHEAD + payload.len() > MAX_HELD_BYTES
                && self.evict_oldest()
            {}
            let seq = self.next_seq;
            self.next_seq += 1;
            self.order.push_back((seq, key));
            self.held += DATAGRAM_OVERHEAD;
            self.pending.insert(
                key,
                Pending {
                    first_seen: ts,
                    seq,
                    checks: 0,
                    pieces: Vec::new(),
                    total: None,
                    bytes: 0,
                },
            );
        } else {
            while self.held + payload.len() > MAX_HELD_BYTES && self.evict_oldest_but(&key) {}
        }
        let Some(entry) = self.pending.get_mut(&key) else {
            return Outcome::Pending;
        };
        if entry.pieces.len() >= MAX_PIECES {
            self.forget(&key);
            return Outcome::Dropped("more than 8,192 fragments");
        }
        if entry.bytes + payload.len() > 2 * MAX_DATAGRAM_LEN as usize {
            self.forget(&key);
            return Outcome::Dropped("overlapping fragments carrying more than twice a datagram");
        }
        entry.bytes += payload.len();
        self.held += payload.len();
        entry.pieces.push((fragment.offset, payload.to_vec()));
        if !fragment.more {
            entry.total = Some(end);
        }
        let Some(total) = entry.total else {
            return Outcome::Pending;
        };
        if entry.bytes < total as usize {
            return Outcome::Pending; // not enough bytes yet to cover it
        }
        entry.checks += 1;
        if entry.checks > MAX_CHECKS {
            self.forget(&key);
            return Outcome::Dropped("overlapping fragments that never cover the datagram");
        }
        // Complete when the pieces cover 0..total without a hole.
        let mut spans: Vec<(u32, u32)> = entry
            .pieces
            .iter()
            .map(|(o, b)| (*o, *o + b.len() as u32))
            .collect();
        spans.sort_unstable();
        let mut covered = 0;
        for (start, stop) in spans {
            if start > covered {
                return Outcome::Pending;
            }
            covered = covered.max(stop);
        }
        if covered < total {
            return Outcome::Pending;
        }
        let Some(pending) = self.take(&key) else {
            return Outcome::Pending;
        };
        let mut datagram = vec![0u8; total as usize];
        // Later arrivals first, so that where fragments overlap the first one wins.
        for (offset, bytes) in pending.pieces.iter().rev() {
            let start = *offset as usize;
            let stop = (start + bytes.len()).min(datagram.len());
            if start < stop {
                datagram[start..stop].copy_from_slice(&bytes[..stop - start]);
            }
        }
        Outcome::Complete(datagram)
    }

    /// Removes a datagram in progress, giving back what it held.
    fn take(&mut self, key: &DatagramKey) -> Option<Pending> {
        let pending = self.pending.remove(key)?;
        self.held -= pending.bytes + DATAGRAM_OVERHEAD;
        if self.order.len() > 2 * self.pending.len() + 1024 {
            let live = &self.pending;
            self.order
                .retain(|(seq, k)| live.get(k).is_some_and(|p| p.seq == *seq));
        }
        Some(pending)
    }

    fn forget(&mut self, key: &DatagramKey) {
        self.take(key);
    }

    /// Forgets the datagram begun first; false when there is none.
    fn evict_oldest(&mut self) -> bool {
        while let Some((seq, key)) = self.order.pop_front() {
            if self.pending.get(&key).is_some_and(|p| p.seq == seq) {
                self.take(&key);
                self.evicted += 1;
                return true;
            }
        }
        false
    }

    /// As [`Self::evict_oldest`], but never `keep` (the datagram being added to).
    fn evict_oldest_but(&mut self, keep: &DatagramKey) -> bool {
        while let Some(&(seq, key)) = self.order.front() {
            if key == *keep {
                // Oldest itself: put it at the back, and stop if it is alone.
                self.order.pop_front();
                self.order.push_back((seq, key));
                if self.pending.len() <= 1 {
                    return false;
                }
                continue;
            }
            return self.evict_oldest();
        }
        false
    }

    /// Drops the datagrams begun more than the timeout before `now`, oldest first (in
    /// the order they began: constant time per datagram).
    fn expire(&mut self, now: Timestamp) {
        while let Some(&(seq, key)) = self.order.front() {
            match self.pending.get(&key) {
                Some(p) if p.seq == seq => {
                    if now.as_nanos() - p.first_seen.as_nanos() <= TIMEOUT_NS {
                        break;
                    }
                    self.order.pop_front();
                    self.take(&key);
                    self.expired += 1;
                }
                _ => {
                    self.order.pop_front();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DatagramKey {
        DatagramKey {
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            id: 7,
            protocol: 17,
        }
    }

    #[test]
    fn any_order_and_first_wins_on_overlap() {
        let mut d = Defragmenter::new();
        let t = Timestamp::new(1, 0);
        let f = |offset, more| Fragment {
            id: 7,
            offset,
            more,
        };
        assert_eq!(d.push(t, key(), f(16, false), b"cccc"), Outcome::Pending);
        assert_eq!(d.push(t, key(), f(0, true), b"aaaaaaaa"), Outcome::Pending);
        let done = d.push(t, key(), f(4, true), b"bbbbbbbbbbbb");
        assert_eq!(done, Outcome::Complete(b"aaaaaaaabbbbbbbbcccc".to_vec()));
        assert_eq!(d.in_progress(), 0);
    }

    #[test]
    fn bounded() {
        let mut d = Defragmenter::new();
        let t = Timestamp::new(1, 0);
        let f = Fragment {
            id: 7,
            offset: 65_530,
            more: true,
        };
        assert!(matches!(d.push(t, key(), f, &[0; 10]), Outcome::Dropped(_)));
        for i in 0..MAX_HELD_BYTES as u32 / DATAGRAM_OVERHEAD as u32 + 10 {
            let k = DatagramKey { id: i, ..key() };
            d.push(
                t,
                k,
                Fragment {
                    id: i,
                    offset: 0,
                    more: true,
                },
                b"x",
            );
        }
        assert!(d.held <= MAX_HELD_BYTES, "{}", d.held);
        assert!(d.evicted > 0);
        let later = Timestamp::new(100, 0);
        for _ in 0..1024 {
            d.push(
                later,
                key(),
                Fragment {
                    id: 7,
                    offset: 8,
                    more: true,
                },
                b"y",
            );
        }
        assert!(d.in_progress() < 10, "{}", d.in_progress());
    }
}
