//! Statistics over many messages: counts by type, rcode and opcode, the most asked
//! names, and query/response matching with response times, in bounded memory. The
//! summary is printed by [`view::stats`](crate::dns::view::stats).

use foldhash::{HashMap, HashMapExt};

use crate::capture::Timestamp;
use crate::dns::analysis::find::Origin;
use crate::dns::analysis::matching::{MatchKey, Pending};
use crate::dns::wire::Message;

/// Memory for queries waiting for an answer (about 450 bytes each with a short name:
/// some 600,000 of them); beyond that the oldest are counted as unanswered.
pub const PENDING_BYTES: usize = 256 << 20;
/// Most distinct names counted for the top list.
pub const MAX_NAMES: usize = 1_000_000;

/// Response times in a log-linear histogram (32 steps per power of two: quantiles
/// within about 2%), so memory stays constant however many pairs there are.
pub struct Histogram {
    buckets: Vec<u64>,
    pub count: u64,
    pub min: u64,
    pub max: u64,
}

impl Histogram {
    const SUB: u32 = 5;

    fn new() -> Self {
        Histogram {
            buckets: vec![0; 64 << Self::SUB],
            count: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    fn bucket(v: u64) -> usize {
        if v < (1 << Self::SUB) {
            return v as usize;
        }
        let msb = 63 - v.leading_zeros();
        let shift = msb - Self::SUB;
        (((msb - Self::SUB + 1) << Self::SUB) as usize)
            + ((v >> shift) as usize & ((1 << Self::SUB) - 1))
    }

    fn lower_bound(b: usize) -> u64 {
        if b < (1 << Self::SUB) {
            return b as u64;
        }
        let group = (b >> Self::SUB) as u32 - 1;
        let msb = group + Self::SUB;
        (1u64 << msb) | (((b & ((1 << Self::SUB) - 1)) as u64) << (msb - Self::SUB))
    }

    fn add(&mut self, v: u64) {
        self.buckets[Self::bucket(v)] += 1;
        self.count += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// The value below which a share `q` of the samples lie (within about 2%).
    pub fn quantile(&self, q: f64) -> u64 {
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (b, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Self::lower_bound(b).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

/// What `--stats` counts.
pub struct Stats {
    pub top: usize,
    pub messages: u64,
    pub queries: u64,
    pub responses: u64,
    pub malformed: u64,
    pub qtypes: HashMap<u16, u64>,
    pub rcodes: HashMap<u16, u64>,
    pub opcodes: HashMap<u8, u64>,
    pub names: HashMap<Vec<u8>, u64>,
    pub names_overflow: u64,
    /// Queries waiting for a response, with when they were asked.
    pub pending: Pending<Timestamp>,
    pub answered: u64,
    pub unsolicited: u64,
    pub retransmitted: u64,
    pub rtt: Histogram,
}

impl Stats {
    pub fn new(top: usize) -> Self {
        Stats {
            top,
            messages: 0,
            queries: 0,
            responses: 0,
            malformed: 0,
            qtypes: HashMap::new(),
            rcodes: HashMap::new(),
            opcodes: HashMap::new(),
            names: HashMap::new(),
            names_overflow: 0,
            pending: Pending::new(PENDING_BYTES),
            answered: 0,
            unsolicited: 0,
            retransmitted: 0,
            rtt: Histogram::new(),
        }
    }

    pub fn add(&mut self, origin: Origin, decoded: Option<&Message<'_>>) {
        self.messages += 1;
        let Some(m) = decoded else {
            self.malformed += 1;
            return;
        };
        if m.error.is_some() {
            self.malformed += 1;
        }
        *self.opcodes.entry(m.header.flags.opcode()).or_default() += 1;
        let key = MatchKey::of(&origin, m);
        if let (Some(q), false) = (&key.question, m.header.flags.is_response()) {
            *self.qtypes.entry(q.qtype).or_default() += 1;
            if let Some(n) = self.names.get_mut(&q.name) {
                *n += 1;
            } else if self.names.len() < MAX_NAMES {
                self.names.insert(q.name.clone(), 1);
            } else {
                self.names_overflow += 1;
            }
        }
        if m.header.flags.is_response() {
            self.responses += 1;
            *self.rcodes.entry(m.rcode()).or_default() += 1;
            match self.pending.remove(&key) {
                Some(asked) => {
                    self.answered += 1;
                    self.rtt
                        .add((origin.ts.as_nanos() - asked.as_nanos()).max(0) as u64);
                }
                None => self.unsolicited += 1,
            }
        } else {
            self.queries += 1;
            if self.pending.contains(&key) {
                self.retransmitted += 1;
                return;
            }
            self.pending.insert(key, origin.ts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles() {
        let mut h = Histogram::new();
        for v in 1..=1000u64 {
            h.add(v * 1000);
        }
        let median = h.quantile(0.5) as f64;
        assert!((median - 500_000.0).abs() / 500_000.0 < 0.04, "{median}");
        let p99 = h.quantile(0.99) as f64;
        assert!((p99 - 990_000.0).abs() / 990_000.0 < 0.04, "{p99}");
        assert_eq!((h.min, h.max), (1000, 1_000_000));
        for v in [0u64, 1, 31, 32, 33, 1 << 40, u64::MAX / 2] {
            assert!(Histogram::lower_bound(Histogram::bucket(v)) <= v, "{v}");
        }
    }
}
