//! Query/response matching: which response answers which query. A response matches a
//! query with the same client and server endpoints, ID and question (name without
//! regard to ASCII case, type, class), as `--stats` counts them and `query` checks
//! replies.

use std::net::IpAddr;

use crate::dns::analysis::find::Origin;
use crate::dns::wire::Message;

/// The first question of a message, for comparisons: lower-cased wire name (with the
/// root byte), type and class.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QuestionKey {
    pub name: Vec<u8>,
    pub qtype: u16,
    pub qclass: u16,
}

impl QuestionKey {
    /// The key of a decoded message's first question.
    pub fn of(m: &Message<'_>) -> Option<QuestionKey> {
        m.questions.first().map(|q| QuestionKey {
            name: q.name.to_lowercase_key(m.bytes),
            qtype: q.qtype,
            qclass: q.qclass,
        })
    }

    /// The key of a message being built.
    pub fn of_query(m: &crate::dns::Message) -> Option<QuestionKey> {
        m.questions.first().map(|q| QuestionKey {
            name: q.name.as_wire().to_ascii_lowercase(),
            qtype: q.qtype,
            qclass: q.qclass,
        })
    }
}

/// What a query and its response share: client and server endpoints, ID, question.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MatchKey {
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    pub id: u16,
    pub question: Option<QuestionKey>,
}

impl MatchKey {
    /// The key of a message seen going from `origin.src` to `origin.dst`: a query's
    /// source is the client, a response's the server.
    pub fn of(origin: &Origin, m: &Message<'_>) -> MatchKey {
        let src = (origin.src, origin.sport);
        let dst = (origin.dst, origin.dport);
        let (client, server) = if m.header.flags.is_response() {
            (dst, src)
        } else {
            (src, dst)
        };
        MatchKey {
            client,
            server,
            id: m.header.id,
            question: QuestionKey::of(m),
        }
    }
}

/// Queries waiting for their response, within a budget of bytes (the keys, names and
/// values held, with the tables' bookkeeping): the oldest (first inserted) leave first
/// when it is spent, in constant time per query however many wait.
///
/// ```
/// use pcaptool::dns::analysis::matching::{MatchKey, Pending};
/// let key = |id| MatchKey {
///     client: ("192.0.2.1".parse().unwrap(), 5353),
///     server: ("192.0.2.53".parse().unwrap(), 53),
///     id,
///     question: None,
/// };
/// // Room for two entries.
/// let mut pending = Pending::new(2 * Pending::<&str>::entry_bytes(&key(0)));
/// assert!(pending.insert(key(1), "first").is_none());
/// assert!(pending.insert(key(2), "second").is_none());
/// assert_eq!(pending.insert(key(3), "third").map(|(k, v)| (k.id, v)), Some((1, "first")));
/// assert_eq!(pending.remove(&key(2)), Some("second"));
/// assert_eq!((pending.len(), pending.evicted), (1, 1));
/// ```
pub struct Pending<V> {
    /// Each waiting entry with its place in arrival order and what it costs.
    waiting: foldhash::HashMap<MatchKey, (V, u64, usize)>,
    /// Insertion order; entries answered since are skipped (and compacted away).
    order: std::collections::VecDeque<(u64, MatchKey)>,
    next: u64,
    /// Bytes the waiting entries may take, and take now.
    limit: usize,
    bytes: usize,
    /// How many left because the table was full.
    pub evicted: u64,
}

impl<V> Pending<V> {
    /// A table whose entries may take `limit_bytes` (one entry always fits).
    pub fn new(limit_bytes: usize) -> Self {
        Pending {
            waiting: Default::default(),
            order: Default::default(),
            next: 0,
            limit: limit_bytes,
            bytes: 0,
            evicted: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// What one entry costs, as measured: the question's name twice (in the table and
    /// in the arrival queue, with the allocator's 16 bytes each), and the table's and
    /// the queue's slots twice over (hash tables and queues grow by doubling: on
    /// average half again as much room as they hold, up to twice).
    pub fn entry_bytes(key: &MatchKey) -> usize {
        let name = key.question.as_ref().map_or(0, |q| q.name.len() + 16);
        2 * name
            + 2 * (std::mem::size_of::<(MatchKey, (V, u64, usize))>() + 1)
            + 2 * std::mem::size_of::<(u64, MatchKey)>()
    }

    /// Bytes the waiting entries take now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    pub fn contains(&self, key: &MatchKey) -> bool {
        self.waiting.contains_key(key)
    }

    /// Adds a query (replacing one with the same key); when the budget is spent, the
    /// oldest leaves and is returned (names differ in length, so now and then two or
    /// more leave: the last of them is returned, all are counted in `evicted`).
    pub fn insert(&mut self, key: MatchKey, value: V) -> Option<(MatchKey, V)> {
        let mut gone = None;
        self.insert_sized(key, value, 0, |k, v| gone = Some((k, v)));
        gone
    }

    /// Adds a query whose value holds `heap` bytes of its own beyond its size (counted
    /// against the budget while it waits); `evicted` gets each entry that leaves to
    /// make room, oldest first.
    pub fn insert_sized(
        &mut self,
        key: MatchKey,
        value: V,
        heap: usize,
        mut evicted: impl FnMut(MatchKey, V),
    ) {
        let cost = Self::entry_bytes(&key) + heap;
        while self.bytes + cost > self.limit && !self.waiting.is_empty() {
            let Some((seq, oldest)) = self.order.pop_front() else {
                break;
            };
            if self.waiting.get(&oldest).is_some_and(|(_, s, _)| *s == seq) {
                if let Some((v, _, cost)) = self.waiting.remove(&oldest) {
                    self.bytes -= cost;
                    self.evicted += 1;
                    evicted(oldest, v);
                }
            }
        }
        let seq = self.next;
        self.next += 1;
        self.order.push_back((seq, key.clone()));
        self.bytes += cost;
        if let Some((_, _, replaced)) = self.waiting.insert(key, (value, seq, cost)) {
            self.bytes -= replaced;
        }
    }

    /// The query `key` answers, if it waits.
    pub fn remove(&mut self, key: &MatchKey) -> Option<V> {
        let (value, _, cost) = self.waiting.remove(key)?;
        self.bytes -= cost;
        // Answered entries stay in the order queue until passed; keep it within twice
        // the table (amortised constant time).
        if self.order.len() > 2 * self.waiting.len() + 1024 {
            let waiting = &self.waiting;
            self.order
                .retain(|(seq, k)| waiting.get(k).is_some_and(|(_, s, _)| s == seq));
        }
        Some(value)
    }

    /// Takes the oldest entries out while `old` says they are too old (arrival order is
    /// time order in a capture: the first young one stops it).
    pub fn expire(&mut self, old: impl Fn(&V) -> bool, mut each: impl FnMut(MatchKey, V)) {
        while let Some((seq, key)) = self.order.front() {
            match self.waiting.get(key) {
                Some((v, s, _)) if s == seq => {
                    if !old(v) {
                        return;
                    }
                    let (_, key) = self.order.pop_front().expect("front");
                    if let Some((v, _, cost)) = self.waiting.remove(&key) {
                        self.bytes -= cost;
                        each(key, v);
                    }
                }
                _ => {
                    self.order.pop_front();
                }
            }
        }
    }

    /// Takes every waiting entry out, oldest first.
    pub fn drain(&mut self, mut each: impl FnMut(MatchKey, V)) {
        while let Some((seq, key)) = self.order.pop_front() {
            if self.waiting.get(&key).is_some_and(|(_, s, _)| *s == seq) {
                if let Some((v, _, _)) = self.waiting.remove(&key) {
                    each(key, v);
                }
            }
        }
        self.bytes = 0;
    }
}
