//! IPv4 and IPv6 headers, read as far as the flow table and the DNS decoder need them:
//! addresses, the upper-layer protocol (after IPv6 extension headers), fragmentation,
//! and the payload trimmed to the header's own length (Ethernet padding cut off).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::link::Network;

// Field offsets, shared with the frame builder in `packet` (which writes what this reads).
pub(crate) const IPV4_MIN_HEADER: usize = 20;
const IPV4_TOTAL_LEN: usize = 2;
pub(crate) const IPV4_ID: usize = 4;
const IPV4_FRAGMENT: usize = 6;
const IPV4_TTL: usize = 8;
const IPV4_PROTOCOL: usize = 9;
pub(crate) const IPV4_CHECKSUM: usize = 10;
pub(crate) const IPV4_SRC: usize = 12;
pub(crate) const IPV4_DST: usize = 16;
pub(crate) const IPV6_HEADER: usize = 40;
const IPV6_PAYLOAD_LEN: usize = 4;
const IPV6_NEXT_HEADER: usize = 6;
const IPV6_HOP_LIMIT: usize = 7;
pub(crate) const IPV6_SRC: usize = 8;
pub(crate) const IPV6_DST: usize = 24;
pub(crate) const L4_SRC_PORT: usize = 0;
pub(crate) const L4_DST_PORT: usize = 2;
const UDP_HEADER: usize = 8;
const UDP_LENGTH: usize = 4;
pub(crate) const UDP_CHECKSUM: usize = 6;
const TCP_MIN_HEADER: usize = 20;
pub(crate) const TCP_SEQ: usize = 4;
const TCP_DATA_OFFSET: usize = 12;
const TCP_FLAGS: usize = 13;
pub(crate) const TCP_CHECKSUM: usize = 16;

pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;
const EXT_HOP_BY_HOP: u8 = 0;
const EXT_ROUTING: u8 = 43;
const EXT_FRAGMENT: u8 = 44;
const EXT_AUTH: u8 = 51;
const EXT_DEST_OPTS: u8 = 60;
/// Extension headers we walk before giving up (a hostile chain cannot loop us).
const MAX_EXTENSIONS: usize = 16;

/// Where a fragment belongs: (id, offset in bytes, more fragments follow).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fragment {
    pub id: u32,
    pub offset: u32,
    pub more: bool,
}

/// One parsed IP header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpHeader<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Upper-layer protocol (after IPv6 extension headers).
    pub protocol: u8,
    /// IPv4's time to live, IPv6's hop limit.
    pub ttl: u8,
    /// Set when this packet is a fragment (not the whole datagram).
    pub fragment: Option<Fragment>,
    /// The payload's length as the header says it (more than `payload` holds when
    /// the capture cut the packet).
    pub reported_payload_len: usize,
    /// The payload after all headers, as far as both the header's length and the
    /// captured bytes go.
    pub payload: &'a [u8],
    /// True when fewer bytes were captured than the header says the packet holds.
    pub cut: bool,
}

/// Why an IP header could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IpError {
    #[error("IPv4 header length {0} is below 20 or beyond the captured bytes")]
    BadIpv4HeaderLength(usize),
    #[error("IPv6 extension header runs past the captured bytes")]
    BadExtension,
    #[error("not an IP packet")]
    NotIp,
}

/// The two addresses only: the cheapest look, for splitting by pair.
pub fn addresses(network: Network<'_>) -> Option<(IpAddr, IpAddr)> {
    let four = |b: &[u8], at: usize| -> Option<IpAddr> {
        Some(IpAddr::V4(Ipv4Addr::from(
            <[u8; 4]>::try_from(b.get(at..at + 4)?).ok()?,
        )))
    };
    let sixteen = |b: &[u8], at: usize| -> Option<IpAddr> {
        Some(IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(b.get(at..at + 16)?).ok()?,
        )))
    };
    match network {
        Network::Ipv4(b) if b.len() >= IPV4_MIN_HEADER => {
            Some((four(b, IPV4_SRC)?, four(b, IPV4_DST)?))
        }
        Network::Ipv6(b) if b.len() >= IPV6_HEADER => {
            Some((sixteen(b, IPV6_SRC)?, sixteen(b, IPV6_DST)?))
        }
        _ => None,
    }
}

/// Parses the IP header that `network` starts with.
pub fn parse(network: Network<'_>) -> Result<IpHeader<'_>, IpError> {
    match network {
        Network::Ipv4(b) => parse_ipv4(b),
        Network::Ipv6(b) => parse_ipv6(b),
        Network::NotIp => Err(IpError::NotIp),
    }
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn parse_ipv4(b: &[u8]) -> Result<IpHeader<'_>, IpError> {
    let (src, dst) = addresses(Network::Ipv4(b)).ok_or(IpError::NotIp)?;
    let header_len = usize::from(b[0] & 0x0f) * 4;
    if header_len < IPV4_MIN_HEADER || header_len > b.len() {
        return Err(IpError::BadIpv4HeaderLength(header_len));
    }
    let total = usize::from(be16(b, IPV4_TOTAL_LEN));
    // A zero total length is seen with TSO captures: take what was captured.
    let end = if total == 0 {
        b.len()
    } else {
        total.max(header_len)
    };
    let cut = end > b.len();
    let flags = be16(b, IPV4_FRAGMENT);
    let offset = u32::from(flags & 0x1fff) * 8;
    let more = flags & 0x2000 != 0;
    let fragment = (offset != 0 || more).then_some(Fragment {
        id: u32::from(be16(b, IPV4_ID)),
        offset,
        more,
    });
    Ok(IpHeader {
        src,
        dst,
        protocol: b[IPV4_PROTOCOL],
        ttl: b[IPV4_TTL],
        fragment,
        reported_payload_len: end - header_len,
        payload: &b[header_len..end.min(b.len())],
        cut,
    })
}

fn parse_ipv6(b: &[u8]) -> Result<IpHeader<'_>, IpError> {
    let (src, dst) = addresses(Network::Ipv6(b)).ok_or(IpError::NotIp)?;
    let payload_len = usize::from(be16(b, IPV6_PAYLOAD_LEN));
    // Payload length 0 means a jumbogram (or TSO): take what was captured.
    let end = if payload_len == 0 {
        b.len()
    } else {
        IPV6_HEADER + payload_len
    };
    let cut = end > b.len();
    let packet = &b[..end.min(b.len())];
    let mut next = b[IPV6_NEXT_HEADER];
    let mut at = IPV6_HEADER;
    let mut fragment = None;
    for _ in 0..MAX_EXTENSIONS {
        match next {
            EXT_HOP_BY_HOP | EXT_ROUTING | EXT_DEST_OPTS => {
                let len = packet
                    .get(at + 1)
                    .map(|l| (usize::from(*l) + 1) * 8)
                    .ok_or(IpError::BadExtension)?;
                next = packet[at];
                at += len;
            }
            EXT_AUTH => {
                let len = packet
                    .get(at + 1)
                    .map(|l| (usize::from(*l) + 2) * 4)
                    .ok_or(IpError::BadExtension)?;
                next = packet[at];
                at += len;
            }
            EXT_FRAGMENT => {
                let h = packet.get(at..at + 8).ok_or(IpError::BadExtension)?;
                let field = be16(h, 2);
                fragment = Some(Fragment {
                    id: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
                    offset: u32::from(field & 0xfff8),
                    more: field & 1 != 0,
                });
                next = h[0];
                at += 8;
            }
            _ => break,
        }
        if at > packet.len() {
            return Err(IpError::BadExtension);
        }
    }
    // A first fragment with offset 0 and no "more" flag is an atomic fragment: whole.
    let fragment = fragment.filter(|f| f.offset != 0 || f.more);
    Ok(IpHeader {
        src,
        dst,
        protocol: next,
        ttl: b[IPV6_HOP_LIMIT],
        fragment,
        reported_payload_len: end.saturating_sub(at).max(packet.len() - at),
        payload: &packet[at..],
        cut,
    })
}

/// The ports of a TCP or UDP header at the start of `payload`.
pub fn ports(protocol: u8, payload: &[u8]) -> Option<(u16, u16)> {
    if (protocol == PROTO_TCP || protocol == PROTO_UDP) && payload.len() >= 4 {
        Some((be16(payload, 0), be16(payload, 2)))
    } else {
        None
    }
}

/// A UDP datagram: ports and payload (trimmed to the UDP length when it fits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Udp<'a> {
    pub sport: u16,
    pub dport: u16,
    pub payload: &'a [u8],
    /// The payload length the UDP header claims (at least the bytes at hand).
    pub reported_len: usize,
}

/// Reads the UDP header at the start of an IP payload of `ip_payload_len` bytes on the
/// wire (`payload` holds those captured).
pub fn udp(payload: &[u8], ip_payload_len: usize) -> Option<Udp<'_>> {
    if payload.len() < UDP_HEADER {
        return None;
    }
    // A UDP length beyond the IP payload is bogus: the IP payload's length counts, as
    // Wireshark takes it.
    let length = usize::from(be16(payload, UDP_LENGTH)).min(ip_payload_len.max(payload.len()));
    // A length below the header or beyond the packet is wrong: take what is there.
    let end = if (UDP_HEADER..=payload.len()).contains(&length) {
        length
    } else {
        payload.len()
    };
    Some(Udp {
        sport: be16(payload, L4_SRC_PORT),
        dport: be16(payload, L4_DST_PORT),
        payload: &payload[UDP_HEADER..end],
        reported_len: length.saturating_sub(UDP_HEADER).max(end - UDP_HEADER),
    })
}

/// A TCP segment: the fields stream reassembly needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tcp<'a> {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

/// Reads the TCP header at the start of an IP payload.
pub fn tcp(payload: &[u8]) -> Option<Tcp<'_>> {
    if payload.len() < TCP_MIN_HEADER {
        return None;
    }
    let header_len = usize::from(payload[TCP_DATA_OFFSET] >> 4) * 4;
    if header_len < TCP_MIN_HEADER || header_len > payload.len() {
        return None;
    }
    let flags = payload[TCP_FLAGS];
    Some(Tcp {
        sport: be16(payload, L4_SRC_PORT),
        dport: be16(payload, L4_DST_PORT),
        seq: u32::from_be_bytes([
            payload[TCP_SEQ],
            payload[TCP_SEQ + 1],
            payload[TCP_SEQ + 2],
            payload[TCP_SEQ + 3],
        ]),
        fin: flags & 0x01 != 0,
        syn: flags & 0x02 != 0,
        rst: flags & 0x04 != 0,
        ack: flags & 0x10 != 0,
        payload: &payload[header_len..],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_payload_excludes_padding() {
        let mut p = vec![
            0x45, 0, 0, 24, 0, 1, 0x20, 0, 64, 17, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
        ];
        p.extend_from_slice(&[9, 9, 9, 9, 0, 0, 0, 0]);
        let h = parse(Network::Ipv4(&p)).unwrap();
        assert_eq!(h.payload, &[9, 9, 9, 9]);
        assert_eq!(h.protocol, 17);
        assert_eq!(
            h.fragment,
            Some(Fragment {
                id: 1,
                offset: 0,
                more: true
            })
        );
        assert_eq!(h.src.to_string(), "1.2.3.4");
        assert!(!h.cut);
    }

    #[test]
    fn ipv6_walks_extensions() {
        let mut p = vec![0x60, 0, 0, 0, 0, 20, EXT_FRAGMENT, 64];
        p.extend_from_slice(&[0; 32]);
        p.extend_from_slice(&[17, 0, 0, 8 | 1, 0, 0, 0, 42]);
        p.extend_from_slice(&[0, 53, 0, 53, 0, 0, 0, 0, 0, 0, 0, 0]);
        let h = parse(Network::Ipv6(&p)).unwrap();
        assert_eq!(h.protocol, 17);
        assert_eq!(
            h.fragment,
            Some(Fragment {
                id: 42,
                offset: 8,
                more: true
            })
        );
        assert_eq!(h.payload.len(), 12);
        assert_eq!(ports(h.protocol, h.payload), Some((53, 53)));
    }

    #[test]
    fn short_slices_are_not_ip() {
        for len in 0..40 {
            let b = vec![0x45u8; len];
            let _ = parse(Network::Ipv4(&b));
            let _ = parse(Network::Ipv6(&b));
        }
    }

    #[test]
    fn hostile_headers_are_errors() {
        let mut p = vec![0x4f; 20];
        assert!(parse(Network::Ipv4(&p)).is_err());
        p[0] = 0x44;
        assert!(parse(Network::Ipv4(&p)).is_err());
        let mut v6 = vec![0x60, 0, 0, 0, 0, 0, EXT_HOP_BY_HOP, 64];
        v6.extend_from_slice(&[0; 32]);
        v6.extend_from_slice(&[EXT_HOP_BY_HOP, 200]);
        assert_eq!(parse(Network::Ipv6(&v6)), Err(IpError::BadExtension));
    }
}
