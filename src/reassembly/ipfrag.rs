//! IPv4 and IPv6 fragment reassembly, bounded: at most `MAX_DATAGRAMS` datagrams in
//! progress, each at most 65,535 bytes from at most `MAX_PIECES` fragments holding at
//! most twice that (overlaps included), dropped when their first fragment is older
//! than the timeout (in capture time). At most 128 MiB in all, whatever the input.

use foldhash::HashMap;
use std::net::IpAddr;

use crate::capture::Timestamp;
use crate::ip::Fragment;

const MAX_DATAGRAMS: usize = 1024;
const MAX_PIECES: usize = 128;
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
    pushes: u64,
    /// Datagrams dropped for the timeout or the table limit.
    pub expired: u64,
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
        self.pushes += 1;
        if self.pushes.is_multiple_of(1024) {
            self.expire(ts);
        }
        let end = fragment.offset + payload.len() as u32;
        if end > MAX_DATAGRAM_LEN {
            self.pending.remove(&key);
            return Outcome::Dropped("fragments beyond 65,535 bytes");
        }
        if !self.pending.contains_key(&key) && self.pending.len() >= MAX_DATAGRAMS {
            // Full: forget the oldest datagram in progress.
            if let Some(oldest) = self
                .pending
                .iter()
                .min_by_key(|(_, p)| p.first_seen)
                .map(|(k, _)| *k)
            {
                self.pending.remove(&oldest);
                self.expired += 1;
            }
        }
        let entry = self.pending.entry(key).or_insert_with(|| Pending {
            first_seen: ts,
            pieces: Vec::new(),
            total: None,
            bytes: 0,
        });
        if entry.pieces.len() >= MAX_PIECES {
            self.pending.remove(&key);
            return Outcome::Dropped("more than 128 fragments");
        }
        if entry.bytes + payload.len() > 2 * MAX_DATAGRAM_LEN as usize {
            self.pending.remove(&key);
            return Outcome::Dropped("overlapping fragments carrying more than twice a datagram");
        }
        entry.bytes += payload.len();
        entry.pieces.push((fragment.offset, payload.to_vec()));
        if !fragment.more {
            entry.total = Some(end);
        }
        let Some(total) = entry.total else {
            return Outcome::Pending;
        };
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
        let pending = self.pending.remove(&key).expect("present");
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

    fn expire(&mut self, now: Timestamp) {
        let before = self.pending.len();
        self.pending
            .retain(|_, p| now.as_nanos() - p.first_seen.as_nanos() <= TIMEOUT_NS);
        self.expired += (before - self.pending.len()) as u64;
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
        for i in 0..MAX_DATAGRAMS as u32 + 10 {
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
        assert!(d.in_progress() <= MAX_DATAGRAMS);
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
