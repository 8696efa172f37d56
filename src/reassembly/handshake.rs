//! TCP handshake round-trip times, as ENTRADA measures them at a server: from the
//! client's SYN to the client's ACK of the server's SYN-ACK. Connections are held in a
//! bounded table (a SYN flood forgets its oldest entries, never grows memory).
//!
//! ```
//! use pcaptool::capture::Timestamp;
//! use pcaptool::reassembly::handshake::Handshakes;
//! use pcaptool::reassembly::tcp::Direction;
//! let client = Direction {
//!     src: "192.0.2.1".parse().unwrap(), sport: 40000,
//!     dst: "192.0.2.53".parse().unwrap(), dport: 53,
//! };
//! let server = client.reversed();
//! let mut h = Handshakes::new();
//! h.segment(Timestamp::new(1, 0), client, true, false);
//! h.segment(Timestamp::new(1, 10_000_000), server, true, true);
//! h.segment(Timestamp::new(1, 25_000_000), client, false, true);
//! assert_eq!(h.rtt_us(&client), Some(25_000));
//! assert_eq!(h.rtt_us(&server), Some(25_000));
//! ```

use std::collections::VecDeque;

use foldhash::HashMap;

use crate::capture::Timestamp;
use crate::reassembly::tcp::Direction;

/// Connections remembered at once (about 100 bytes each).
pub const MAX_CONNECTIONS: usize = 1 << 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// The client's SYN was seen at this time.
    Syn(Timestamp),
    /// And the server's SYN-ACK.
    SynAck(Timestamp),
    /// The handshake completed: its round-trip time in microseconds.
    Done(u32),
}

/// Handshakes by connection, keyed by the client's direction.
#[derive(Default)]
pub struct Handshakes {
    connections: HashMap<Direction, State>,
    /// Connections in the order their SYN came, for forgetting the oldest.
    order: VecDeque<Direction>,
    /// Connections whose SYN-ACK came and whose ACK has not: while there are none, an
    /// ACK (every data segment has one) needs no look-up.
    awaiting_ack: usize,
    /// Connections whose handshake completed: while there are none, no message has a
    /// handshake time.
    done: usize,
}

impl Handshakes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one segment's flags; `dir` is the direction it travels.
    pub fn segment(&mut self, ts: Timestamp, dir: Direction, syn: bool, ack: bool) {
        match (syn, ack) {
            (true, false) => {
                // A new connection (or the same ports again): start over.
                match self.connections.insert(dir, State::Syn(ts)) {
                    Some(old) => self.forget(old),
                    None => {
                        self.order.push_back(dir);
                        while self.connections.len() > MAX_CONNECTIONS {
                            let Some(oldest) = self.order.pop_front() else {
                                break;
                            };
                            if let Some(old) = self.connections.remove(&oldest) {
                                self.forget(old);
                            }
                        }
                    }
                }
            }
            (true, true) => {
                if let Some(state) = self.connections.get_mut(&dir.reversed()) {
                    if let State::Syn(syn) = *state {
                        *state = State::SynAck(syn);
                        self.awaiting_ack += 1;
                    }
                }
            }
            (false, true) if self.awaiting_ack > 0 => {
                if let Some(state) = self.connections.get_mut(&dir) {
                    if let State::SynAck(syn) = *state {
                        let micros = (ts.as_nanos() - syn.as_nanos()) / 1000;
                        *state = State::Done(micros.clamp(0, i128::from(u32::MAX)) as u32);
                        self.awaiting_ack -= 1;
                        self.done += 1;
                    }
                }
            }
            (false, true) => {}
            (false, false) => {}
        }
        // The order queue keeps no more than twice the table (entries of connections
        // already forgotten are dropped as they reach the front).
        if self.order.len() > 2 * MAX_CONNECTIONS {
            let connections = &self.connections;
            self.order.retain(|d| connections.contains_key(d));
        }
    }

    /// Keeps the counts right when a connection's state leaves the table.
    fn forget(&mut self, state: State) {
        match state {
            State::SynAck(_) => self.awaiting_ack -= 1,
            State::Done(_) => self.done -= 1,
            State::Syn(_) => {}
        }
    }

    /// The handshake time of the connection a segment in either direction belongs to,
    /// when its handshake was seen whole.
    pub fn rtt_us(&self, dir: &Direction) -> Option<u32> {
        if self.done == 0 {
            return None;
        }
        [dir, &dir.reversed()]
            .into_iter()
            .find_map(|d| match self.connections.get(d) {
                Some(State::Done(us)) => Some(*us),
                _ => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(port: u16) -> Direction {
        Direction {
            src: "192.0.2.1".parse().unwrap(),
            sport: port,
            dst: "192.0.2.53".parse().unwrap(),
            dport: 53,
        }
    }

    #[test]
    fn incomplete_or_out_of_order_handshakes_have_no_time() {
        let mut h = Handshakes::new();
        let t = |ms: u32| Timestamp::new(0, ms * 1_000_000);
        // No SYN-ACK: no time.
        h.segment(t(0), dir(1), true, false);
        h.segment(t(5), dir(1), false, true);
        assert_eq!(h.rtt_us(&dir(1)), None);
        // An ACK before the SYN-ACK does not count; the one after does.
        h.segment(t(0), dir(2), true, false);
        h.segment(t(1), dir(2), false, true);
        h.segment(t(2), dir(2).reversed(), true, true);
        h.segment(t(7), dir(2), false, true);
        assert_eq!(h.rtt_us(&dir(2)), Some(7000));
        // Later ACKs leave it as it was.
        h.segment(t(50), dir(2), false, true);
        assert_eq!(h.rtt_us(&dir(2)), Some(7000));
    }

    #[test]
    fn a_syn_flood_keeps_the_table_bounded() {
        let mut h = Handshakes::new();
        for i in 0..(MAX_CONNECTIONS as u32 + 1000) {
            let d = Direction {
                src: std::net::IpAddr::from(i.to_be_bytes()),
                sport: 1,
                dst: "192.0.2.53".parse().unwrap(),
                dport: 53,
            };
            h.segment(Timestamp::default(), d, true, false);
        }
        assert_eq!(h.connections.len(), MAX_CONNECTIONS);
        assert!(h.order.len() <= 2 * MAX_CONNECTIONS);
    }
}
