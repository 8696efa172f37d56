//! Flows: the key a packet belongs to, the table that numbers flows by first
//! appearance, the pool of writers behind it, and the manifest that describes them.

pub mod manifest;
pub mod pool;
pub mod table;

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::net::IpAddr;

use crate::ip;
use crate::link::Network;

/// What puts packets into the same output file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitBy {
    /// The unordered pair of IP addresses.
    Pair,
    /// The unordered pair of (address, port) plus protocol for TCP and UDP; the address
    /// pair plus protocol for everything else (and for non-first fragments).
    Conversation,
    /// One file per address; a packet goes into the files of both its addresses
    /// (SplitCap's host mode).
    Host,
    /// One file per server port (PcapSplitter's semantics): a TCP conversation's server
    /// port is the destination of its SYN, or the source of its SYN/ACK, else (and for
    /// UDP) the lower port, decided at the conversation's first packet. IP packets
    /// without ports go to one other file.
    ServerPort,
    /// Chunks of this many records (editcap -c).
    Packets(u64),
    /// Chunks of at most this many bytes of capture file, unless one record alone is
    /// larger (tcpdump -C writes one more packet past the size).
    Bytes(u64),
    /// Chunks of this many seconds from the first record's time (editcap -i): a chunk
    /// holds the records with `first + k*S <= ts < first + (k+1)*S`; empty intervals
    /// give no file.
    Seconds(u64),
}

impl SplitBy {
    /// Chunks of the capture rather than flows.
    pub fn is_chunks(self) -> bool {
        matches!(
            self,
            SplitBy::Packets(_) | SplitBy::Bytes(_) | SplitBy::Seconds(_)
        )
    }
}

impl std::str::FromStr for SplitBy {
    type Err = String;

    /// `pair`, `conversation`, `host`, `server-port`, `packets:N`, `bytes:SIZE` or
    /// `seconds:S`.
    fn from_str(text: &str) -> Result<SplitBy, String> {
        parse_by(text)
    }
}

fn parse_by(text: &str) -> Result<SplitBy, String> {
    let number = |n: &str| {
        n.parse::<u64>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("'{n}' is not a positive whole number"))
    };
    match text.split_once(':') {
        None => match text {
            "pair" => Ok(SplitBy::Pair),
            "conversation" => Ok(SplitBy::Conversation),
            "host" => Ok(SplitBy::Host),
            "server-port" => Ok(SplitBy::ServerPort),
            _ => Err(format!(
                "'{text}': expected pair, conversation, host, server-port, packets:N, bytes:SIZE or seconds:S"
            )),
        },
        Some(("packets", n)) => Ok(SplitBy::Packets(number(n)?)),
        Some(("seconds", n)) => Ok(SplitBy::Seconds(number(n)?)),
        Some(("bytes", size)) => parse_size(size).map(SplitBy::Bytes),
        Some((key, _)) => Err(format!("'{key}:': expected packets:N, bytes:SIZE or seconds:S")),
    }
}

/// `100`, `100kB`, `64KiB`, `100MB`, `1GiB`, `2G`: decimal units as tcpdump -C, binary
/// ones with `i`.
fn parse_size(text: &str) -> Result<u64, String> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let factor: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "'{text}': unknown size unit '{unit}' (use kB, MB, GB, KiB, MiB, GiB)"
            ))
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("'{text}' is not a size such as 100MB"))
}

/// What an output file holds: a flow, a host, a server port, or a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputKey {
    Flow(FlowKey),
    Host(IpAddr),
    ServerPort(u16),
    /// IP packets without TCP or UDP ports, in server-port mode.
    NoPort,
    Chunk(u64),
}

impl OutputKey {
    /// The file name stem for output `number`, sorting in number order where there is
    /// one; safe on every common file system.
    pub fn file_stem(&self, number: u64) -> String {
        match self {
            OutputKey::Flow(key) => key.file_stem(number),
            OutputKey::Host(addr) => format!("host-{number:08}_{}", safe_addr(*addr)),
            OutputKey::ServerPort(port) => format!("port-{port:05}"),
            OutputKey::NoPort => "port-none".to_string(),
            OutputKey::Chunk(n) => format!("chunk-{n:08}"),
        }
    }
}

/// A flow's identity. Endpoints are ordered (`a` <= `b`), so both directions map to one
/// key; the key holds the exact addresses, never a hash of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowKey {
    pub a: IpAddr,
    pub b: IpAddr,
    /// Set in conversation mode.
    pub protocol: Option<u8>,
    /// (port of a, port of b) for TCP and UDP in conversation mode.
    pub ports: Option<(u16, u16)>,
}

impl FlowKey {
    /// The flow of an IP packet, or `None` for packets without IP. `by` is a pair or a
    /// conversation (any other mode is read as a conversation).
    pub fn of(network: Network<'_>, by: SplitBy) -> Option<FlowKey> {
        let (src, dst) = ip::addresses(network)?;
        if by == SplitBy::Pair {
            let (a, b) = if src <= dst { (src, dst) } else { (dst, src) };
            return Some(FlowKey {
                a,
                b,
                protocol: None,
                ports: None,
            });
        }
        let Ok(header) = ip::parse(network) else {
            // An unreadable header still has its addresses: keep it with its pair.
            return FlowKey::of(network, SplitBy::Pair);
        };
        let first_fragment = header.fragment.is_none_or(|f| f.offset == 0);
        let ports = first_fragment
            .then(|| ip::ports(header.protocol, header.payload))
            .flatten();
        let (sport, dport) = ports.unwrap_or((0, 0));
        let swap = match src.cmp(&dst) {
            Ordering::Less => false,
            Ordering::Greater => true,
            Ordering::Equal => sport > dport,
        };
        let (a, b, pa, pb) = if swap {
            (dst, src, dport, sport)
        } else {
            (src, dst, sport, dport)
        };
        Some(FlowKey {
            a,
            b,
            protocol: Some(header.protocol),
            ports: ports.map(|_| (pa, pb)),
        })
    }

    /// The file name stem for flow `number`: a pure function of the flow, sorting in
    /// flow order (8 digits), safe on every common file system (IPv6 colons become `-`).
    pub fn file_stem(&self, number: u64) -> String {
        let mut s = format!("flow-{number:08}");
        if let Some(protocol) = self.protocol {
            match protocol {
                ip::PROTO_TCP => s.push_str("_tcp"),
                ip::PROTO_UDP => s.push_str("_udp"),
                p => {
                    let _ = write!(s, "_proto{p}");
                }
            }
        }
        for (addr, port) in [
            (self.a, self.ports.map(|p| p.0)),
            (self.b, self.ports.map(|p| p.1)),
        ] {
            let _ = write!(s, "_{}", safe_addr(addr));
            if let Some(port) = port {
                let _ = write!(s, ".{port}");
            }
        }
        s
    }
}

fn safe_addr(addr: IpAddr) -> String {
    addr.to_string().replace(':', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_sizes() {
        assert_eq!(parse_by("host"), Ok(SplitBy::Host));
        assert_eq!(parse_by("packets:10"), Ok(SplitBy::Packets(10)));
        assert_eq!(parse_by("bytes:100MB"), Ok(SplitBy::Bytes(100_000_000)));
        assert_eq!(parse_by("bytes:64KiB"), Ok(SplitBy::Bytes(65_536)));
        assert_eq!(parse_by("seconds:300"), Ok(SplitBy::Seconds(300)));
        for bad in [
            "packets:0",
            "bytes:1XB",
            "seconds:",
            "hosts",
            "bytes:99999999999999TB",
        ] {
            assert!(parse_by(bad).is_err(), "{bad}");
        }
    }

    fn v4(src: [u8; 4], dst: [u8; 4], proto: u8, sport: u16, dport: u16) -> Vec<u8> {
        let mut p = vec![0x45, 0, 0, 28, 0, 0, 0, 0, 64, proto, 0, 0];
        p.extend_from_slice(&src);
        p.extend_from_slice(&dst);
        p.extend_from_slice(&sport.to_be_bytes());
        p.extend_from_slice(&dport.to_be_bytes());
        p.extend_from_slice(&[0, 8, 0, 0]);
        p
    }

    #[test]
    fn both_directions_share_a_key() {
        let ab = v4([10, 0, 0, 2], [10, 0, 0, 1], 17, 5353, 53);
        let ba = v4([10, 0, 0, 1], [10, 0, 0, 2], 17, 53, 5353);
        for by in [SplitBy::Pair, SplitBy::Conversation] {
            let k1 = FlowKey::of(Network::Ipv4(&ab), by).unwrap();
            let k2 = FlowKey::of(Network::Ipv4(&ba), by).unwrap();
            assert_eq!(k1, k2);
            assert_eq!(k1.a.to_string(), "10.0.0.1");
        }
        let k = FlowKey::of(Network::Ipv4(&ab), SplitBy::Conversation).unwrap();
        assert_eq!(
            k.file_stem(7),
            "flow-00000007_udp_10.0.0.1.53_10.0.0.2.5353"
        );
        let other_port = v4([10, 0, 0, 2], [10, 0, 0, 1], 17, 5354, 53);
        assert_ne!(
            k,
            FlowKey::of(Network::Ipv4(&other_port), SplitBy::Conversation).unwrap()
        );
    }

    #[test]
    fn names_are_file_system_safe() {
        let k = FlowKey {
            a: "2001:db8::1".parse().unwrap(),
            b: "fe80::2".parse().unwrap(),
            protocol: None,
            ports: None,
        };
        let stem = k.file_stem(1);
        assert_eq!(stem, "flow-00000001_2001-db8--1_fe80--2");
        assert!(!stem.contains([':', '/', '\\', '%']));
    }
}
