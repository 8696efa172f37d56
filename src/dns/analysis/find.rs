//! Finding DNS messages in captured frames: link layer, IP (fragments reassembled),
//! then UDP or TCP on the DNS ports (streams reassembled per direction), or on other
//! UDP ports when the payload looks like DNS (as tshark's heuristic does).

use super::wireshark_ports;
use crate::capture::{LinkType, Timestamp};
use crate::dns::wire::Header;
use crate::ip::{self, PROTO_TCP, PROTO_UDP};
use crate::link;
use crate::reassembly::handshake::Handshakes;
use crate::reassembly::ipfrag::{DatagramKey, Defragmenter, Outcome};
use crate::reassembly::tcp::{Direction, Event, Segment, TcpReassembler};
use std::net::IpAddr;

const DNS_PORT: u16 = 53;
const MDNS_PORT: u16 = 5353;
const LLMNR_PORT: u16 = 5355;
/// Notes kept for the caller; beyond these they are only counted.
const MAX_NOTES: usize = 20;

/// Which protocol a message travels as: they share the wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Dns,
    Mdns,
    Llmnr,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Dns => "DNS",
            Protocol::Mdns => "MDNS",
            Protocol::Llmnr => "LLMNR",
        }
    }
}

/// Where a message came from.
#[derive(Clone, Copy, Debug)]
pub struct Origin {
    pub frame: u64,
    pub ts: Timestamp,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub tcp: bool,
    pub protocol: Protocol,
    /// The message's length on the wire (more than the bytes at hand when the capture
    /// cut it short).
    pub reported_len: usize,
    /// IPv4 TTL or IPv6 hop limit of the packet that brought (or completed) it.
    pub ttl: Option<u8>,
    /// TCP handshake round-trip time of its connection, when the handshake was seen.
    pub handshake_us: Option<u32>,
    /// Rank of the input it came from in a capture set (0 for a single input), and
    /// the frame's number in that input (as Wireshark numbers it when opening it).
    pub file: u32,
    pub file_frame: u64,
    /// The frame's length on the wire and as captured (of the frame that brought or
    /// completed the message), as the capture record says.
    pub frame_len: (u32, u32),
}

impl Origin {
    /// Where a reply to our own query came from (the `query` client's answers): the
    /// server, over UDP or TCP, received at `ts`.
    pub fn reply(server: std::net::SocketAddr, tcp: bool, len: usize, ts: Timestamp) -> Origin {
        Origin {
            frame: 0,
            ts,
            src: server.ip(),
            dst: server.ip(),
            sport: server.port(),
            dport: 0,
            tcp,
            protocol: Protocol::Dns,
            reported_len: len,
            ttl: None,
            handshake_us: None,
            file: 0,
            file_frame: 0,
            frame_len: (0, 0),
        }
    }
}

/// What a packet's ports make of it.
enum Ports {
    /// A DNS port (or one given with --port) comes first.
    Dns(Protocol),
    /// Another dissector's port comes first: tshark would not call it DNS.
    Taken,
    /// No dissector takes it by port: over UDP, the heuristic decides.
    Free,
}

/// The protocol of a port, as Wireshark registers them (mDNS is UDP only).
fn port_protocol(port: u16, tcp: bool, extra: &[u16]) -> Option<Protocol> {
    match port {
        DNS_PORT => Some(Protocol::Dns),
        MDNS_PORT if !tcp => Some(Protocol::Mdns),
        MDNS_PORT => Some(Protocol::Dns),
        LLMNR_PORT => Some(Protocol::Llmnr),
        p if extra.contains(&p) => Some(Protocol::Dns),
        _ => None,
    }
}

/// Wireshark's DNS-over-UDP heuristic (on by default in tshark 4.0), used when neither
/// port is a known one. Its conditions, as `dissect_dns_heur` in 4.0.17's packet-dns.c
/// states them (read from Debian's source package, written anew): more than a header,
/// opcode 0; a query has one question and no answer or authority records; a response at
/// most one question, 100 answers and 10 authority records; at most 10 additional
/// records. Nothing about whether the records fit: tshark then says the message is
/// malformed.
fn looks_like_dns(msg: &[u8]) -> bool {
    let Ok(h) = Header::parse(msg) else {
        return false;
    };
    if msg.len() <= crate::dns::HEADER_LEN || h.flags.opcode() != 0 {
        return false;
    }
    let counts_ok = if h.flags.is_response() {
        h.qdcount <= 1 && h.ancount <= 100 && h.nscount <= 10
    } else {
        h.qdcount == 1 && h.ancount == 0 && h.nscount == 0
    };
    counts_ok && h.arcount <= 10
}

/// Finds DNS messages in captured frames: ports, IP fragments, TCP streams.
pub struct Extractor {
    /// Ports given with --port.
    ports: Vec<u16>,
    heuristic: bool,
    defrag: Defragmenter,
    tcp: TcpReassembler,
    /// TCP handshake times, when asked for.
    handshakes: Option<Handshakes>,
    /// TCP gaps and dropped fragments seen; the first MAX_NOTES are kept in `notes`.
    pub notes_seen: u64,
    pub notes: Vec<String>,
}

impl Extractor {
    pub fn new(extra_ports: &[u16], heuristic: bool) -> Self {
        Extractor {
            ports: extra_ports.to_vec(),
            heuristic,
            defrag: Defragmenter::new(),
            tcp: TcpReassembler::new(),
            handshakes: None,
            notes_seen: 0,
            notes: Vec::new(),
        }
    }

    /// Measures TCP handshakes: messages over TCP get their connection's time.
    pub fn measure_handshakes(&mut self, on: bool) {
        self.handshakes = on.then(Handshakes::new);
    }

    /// What the ports say, lower port first (as Wireshark tries them; port 0 never).
    fn by_port(&self, sport: u16, dport: u16, tcp: bool) -> Ports {
        let (low, high) = if sport <= dport {
            (sport, dport)
        } else {
            (dport, sport)
        };
        for port in [low, high] {
            if port == 0 {
                continue;
            }
            if let Some(protocol) = port_protocol(port, tcp, &self.ports) {
                return Ports::Dns(protocol);
            }
            // Over TCP tshark tries the server's port first once it has seen the
            // handshake: DNS streams are DNS whatever the client's port.
            if !tcp && wireshark_ports::UDP_TAKEN.binary_search(&port).is_ok() {
                return Ports::Taken;
            }
        }
        Ports::Free
    }

    fn note(&mut self, message: std::fmt::Arguments<'_>) {
        self.notes_seen += 1;
        if self.notes.len() < MAX_NOTES {
            self.notes.push(message.to_string());
        }
    }

    /// Takes the notes gathered so far (TCP gaps, dropped fragments).
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// Feeds one captured frame; `found` gets each DNS message it completes.
    pub fn frame(
        &mut self,
        frame: u64,
        ts: Timestamp,
        link_type: LinkType,
        data: &[u8],
        found: &mut impl FnMut(Origin, &[u8]),
    ) {
        let network = link::network(link_type, data);
        let Ok(header) = ip::parse(network) else {
            return;
        };
        if header.protocol != PROTO_UDP && header.protocol != PROTO_TCP {
            return;
        }
        let reassembled;
        let (payload, payload_len) = match header.fragment {
            None => (header.payload, header.reported_payload_len),
            Some(fragment) => {
                let key = DatagramKey {
                    src: header.src,
                    dst: header.dst,
                    id: fragment.id,
                    protocol: header.protocol,
                };
                match self.defrag.push(ts, key, fragment, header.payload) {
                    Outcome::Pending => return,
                    Outcome::Complete(datagram) => {
                        reassembled = datagram;
                        (&reassembled[..], reassembled.len())
                    }
                    Outcome::Dropped(why) => {
                        self.note(format_args!("frame {frame}: IP fragment dropped: {why}"));
                        return;
                    }
                }
            }
        };
        if header.protocol == PROTO_UDP {
            let Some(udp) = ip::udp(payload, payload_len) else {
                return;
            };
            let protocol = match self.by_port(udp.sport, udp.dport, false) {
                Ports::Dns(p) => p,
                Ports::Free if self.heuristic && looks_like_dns(udp.payload) => Protocol::Dns,
                Ports::Free | Ports::Taken => return,
            };
            let origin = Origin {
                frame,
                ts,
                src: header.src,
                dst: header.dst,
                sport: udp.sport,
                dport: udp.dport,
                tcp: false,
                protocol,
                reported_len: udp.reported_len,
                ttl: Some(header.ttl),
                handshake_us: None,
                file: 0,
                file_frame: frame,
                frame_len: (data.len() as u32, data.len() as u32),
            };
            found(origin, udp.payload);
            return;
        }
        let Some(tcp) = ip::tcp(payload) else { return };
        let Ports::Dns(protocol) = self.by_port(tcp.sport, tcp.dport, true) else {
            return;
        };
        let dir = Direction {
            src: header.src,
            sport: tcp.sport,
            dst: header.dst,
            dport: tcp.dport,
        };
        if let Some(h) = self.handshakes.as_mut() {
            h.segment(ts, dir, tcp.syn, tcp.ack);
        }
        let origin = Origin {
            frame,
            ts,
            src: header.src,
            dst: header.dst,
            sport: tcp.sport,
            dport: tcp.dport,
            tcp: true,
            protocol,
            reported_len: 0,
            ttl: Some(header.ttl),
            handshake_us: None,
            file: 0,
            file_frame: frame,
            frame_len: (data.len() as u32, data.len() as u32),
        };
        let segment = Segment {
            seq: tcp.seq,
            syn: tcp.syn,
            fin: tcp.fin,
            rst: tcp.rst,
            payload: tcp.payload,
        };
        let mut gaps = Vec::new();
        let handshakes = self.handshakes.as_ref();
        // The handshake time is looked up only for segments that complete a message.
        let with_handshake = |m: &[u8]| {
            let handshake_us = handshakes.and_then(|h| h.rtt_us(&dir));
            found(
                Origin {
                    handshake_us,
                    ..origin
                },
                m,
            )
        };
        self.tcp
            .push(ts, dir, segment, with_handshake, |e| gaps.push(e));
        for Event::Gap { missing, resynced } in gaps {
            let how = if resynced {
                "resynchronised"
            } else {
                "waiting for a message start"
            };
            self.note(format_args!(
                "frame {frame}: TCP {}:{} -> {}:{}: {missing} bytes missing, {how}",
                header.src, tcp.sport, header.dst, tcp.dport
            ));
        }
    }

    /// At the end of the input: messages found behind holes that never filled.
    pub fn finish(&mut self, last: Origin, found: &mut impl FnMut(Origin, &[u8])) {
        let mut gaps = 0;
        let handshakes = self.handshakes.as_ref();
        self.tcp.finish(
            |dir, m| {
                let origin = Origin {
                    src: dir.src,
                    dst: dir.dst,
                    sport: dir.sport,
                    dport: dir.dport,
                    tcp: true,
                    protocol: Protocol::Dns,
                    ttl: None,
                    handshake_us: handshakes.and_then(|h| h.rtt_us(&dir)),
                    ..last
                };
                found(origin, m)
            },
            |_, _| gaps += 1,
        );
        if gaps > 0 {
            self.note(format_args!(
                "{gaps} TCP gaps never filled at the end of the capture"
            ));
        }
        // What the memory bounds cost, always said (not subject to the note limit).
        let mut always = |text: String| {
            self.notes_seen += 1;
            self.notes.push(text);
        };
        if self.tcp.evicted > 0 {
            always(format!(
                "{} TCP directions forgotten to stay within {} MiB of reassembly memory (messages in them may be missing)",
                self.tcp.evicted,
                crate::reassembly::tcp::MAX_HELD_BYTES >> 20
            ));
        }
        if self.defrag.evicted > 0 {
            always(format!(
                "{} IP datagrams forgotten while their fragments were missing, to stay within {} MiB",
                self.defrag.evicted,
                crate::reassembly::ipfrag::MAX_HELD_BYTES >> 20
            ));
        }
        if self.defrag.expired > 0 {
            always(format!(
                "{} IP datagrams dropped: fragments still missing 30 s after the first",
                self.defrag.expired
            ));
        }
    }
}
