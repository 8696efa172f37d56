//! Building Ethernet frames: Ethernet II (with 0, 1 or 2 VLAN tags), IPv4 or IPv6, TCP
//! or UDP, with every checksum computed and short frames padded to the Ethernet minimum.
//!
//! [`build_frame`] uses etherparse's `PacketBuilder` and is the reference. For floods,
//! [`FrameTemplate`] builds one frame that way and then, per packet, copies it, patches
//! the fields that change and recomputes the checksums: the same bytes (a unit test
//! holds them equal) at a fraction of the cost.

pub mod addr;
pub mod record;
pub mod tcp_session;

use std::net::IpAddr;

use crate::ip::{
    IPV4_CHECKSUM, IPV4_DST, IPV4_ID, IPV4_MIN_HEADER, IPV4_SRC, IPV6_DST, IPV6_HEADER, IPV6_SRC,
    L4_DST_PORT, L4_SRC_PORT, TCP_CHECKSUM, TCP_SEQ, UDP_CHECKSUM,
};
use crate::link::{ETHERNET_HEADER_LEN, VLAN_TAG_LEN};

use etherparse::checksum::Sum16BitWords;
use etherparse::{
    IpHeaders, IpNumber, Ipv4Header, Ipv6FlowLabel, Ipv6Header, PacketBuilder, TcpHeader,
};

pub use addr::{AddrRange, Mac, PortSpec};

/// Shortest Ethernet frame without its 4-byte FCS (which captures do not hold).
pub const ETHERNET_MIN_LEN: usize = 60;
/// Largest IP packet we put in one frame (Ethernet MTU).
pub const MTU: usize = 1500;

/// The Ethernet part of a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkSpec {
    pub src_mac: Mac,
    pub dst_mac: Mac,
    /// VLAN ids, outermost first (at most two: 802.1ad outer, 802.1Q inner).
    pub vlans: Vec<u16>,
}

impl LinkSpec {
    /// The same link seen from the other end (MAC addresses swapped).
    pub fn reversed(&self) -> LinkSpec {
        LinkSpec {
            src_mac: self.dst_mac,
            dst_mac: self.src_mac,
            vlans: self.vlans.clone(),
        }
    }

    fn header_len(&self) -> usize {
        ETHERNET_HEADER_LEN + VLAN_TAG_LEN * self.vlans.len()
    }
}

/// The IP part of a frame. `id` is the IPv4 identification (unused for IPv6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpSpec {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ttl: u8,
    pub id: u16,
}

/// The transport header; TCP takes etherparse's header as is (flags, seq, ack, window).
#[derive(Clone, Debug)]
pub enum Transport {
    Udp { sport: u16, dport: u16 },
    Tcp(TcpHeader),
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("source {0} and destination {1} are not of the same IP version")]
    MixedFamilies(IpAddr, IpAddr),
    #[error("at most two VLAN tags are supported, {0} given")]
    TooManyVlans(usize),
    #[error("VLAN id {0} is out of range (0-4095)")]
    BadVlan(u16),
    #[error("a payload of {0} bytes does not fit in one IP packet")]
    TooLarge(usize),
}

/// Appends one complete frame to `out`: headers, payload, checksums, padding.
pub fn build_frame(
    link: &LinkSpec,
    ip: &IpSpec,
    transport: &Transport,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), BuildError> {
    let ip_headers = match (ip.src, ip.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let mut h = Ipv4Header::new(0, ip.ttl, IpNumber::TCP, src.octets(), dst.octets())
                .map_err(|_| BuildError::TooLarge(payload.len()))?;
            h.identification = ip.id;
            h.dont_fragment = true;
            IpHeaders::Ipv4(h, Default::default())
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => IpHeaders::Ipv6(
            Ipv6Header {
                traffic_class: 0,
                flow_label: Ipv6FlowLabel::ZERO,
                payload_length: 0,
                next_header: IpNumber::TCP,
                hop_limit: ip.ttl,
                source: src.octets(),
                destination: dst.octets(),
            },
            Default::default(),
        ),
        (a, b) => return Err(BuildError::MixedFamilies(a, b)),
    };
    let vlan_id = |id: u16| etherparse::VlanId::try_new(id).map_err(|_| BuildError::BadVlan(id));
    let eth = PacketBuilder::ethernet2(link.src_mac.0, link.dst_mac.0);
    let ip_step = match link.vlans.as_slice() {
        [] => eth.ip(ip_headers),
        [a] => eth.single_vlan(vlan_id(*a)?).ip(ip_headers),
        [a, b] => eth.double_vlan(vlan_id(*a)?, vlan_id(*b)?).ip(ip_headers),
        more => return Err(BuildError::TooManyVlans(more.len())),
    };
    let start = out.len();
    let written = match transport {
        Transport::Udp { sport, dport } => ip_step.udp(*sport, *dport).write(out, payload),
        Transport::Tcp(header) => ip_step.tcp_header(header.clone()).write(out, payload),
    };
    written.map_err(|_| BuildError::TooLarge(payload.len()))?;
    if out.len() - start < ETHERNET_MIN_LEN {
        out.resize(start + ETHERNET_MIN_LEN, 0);
    }
    Ok(())
}

/// The fields a flood changes from one packet to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Patch {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    /// IPv4 identification; ignored for IPv6.
    pub ip_id: u16,
    /// TCP sequence number; ignored for UDP.
    pub seq: u32,
}

/// A frame built once, then stamped out with [`FrameTemplate::write`].
#[derive(Clone, Debug)]
pub struct FrameTemplate {
    frame: Vec<u8>,
    l3: usize,
    l4: usize,
    /// Transport header plus payload, without Ethernet padding.
    l4_len: usize,
    ipv6: bool,
    tcp: bool,
}

impl FrameTemplate {
    pub fn new(
        link: &LinkSpec,
        ip: &IpSpec,
        transport: &Transport,
        payload: &[u8],
    ) -> Result<Self, BuildError> {
        let mut frame = Vec::new();
        build_frame(link, ip, transport, payload, &mut frame)?;
        let l3 = link.header_len();
        let ipv6 = ip.src.is_ipv6();
        let l4 = l3 + if ipv6 { IPV6_HEADER } else { IPV4_MIN_HEADER };
        let tcp = matches!(transport, Transport::Tcp(_));
        let header_len = if tcp {
            match transport {
                Transport::Tcp(h) => h.header_len(),
                Transport::Udp { .. } => unreachable!(),
            }
        } else {
            8
        };
        Ok(FrameTemplate {
            frame,
            l3,
            l4,
            l4_len: header_len + payload.len(),
            ipv6,
            tcp,
        })
    }

    /// Length of every frame this template writes.
    pub fn len(&self) -> usize {
        self.frame.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frame.is_empty()
    }

    /// Writes the template into `out` (exactly `self.len()` bytes) with `patch` applied
    /// and the IPv4 header and TCP/UDP checksums recomputed.
    pub fn write(&self, out: &mut [u8], patch: &Patch) {
        out.copy_from_slice(&self.frame);
        let (l3, l4) = (self.l3, self.l4);
        let pseudo = match (patch.src, patch.dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) if !self.ipv6 => {
                let ip = &mut out[l3..l4];
                ip[IPV4_SRC..IPV4_SRC + 4].copy_from_slice(&src.octets());
                ip[IPV4_DST..IPV4_DST + 4].copy_from_slice(&dst.octets());
                ip[IPV4_ID..IPV4_ID + 2].copy_from_slice(&patch.ip_id.to_be_bytes());
                ip[IPV4_CHECKSUM..IPV4_CHECKSUM + 2].fill(0);
                // Sum16BitWords adds native-endian words: its result goes out as native bytes.
                let sum = Sum16BitWords::new().add_slice(ip).ones_complement();
                ip[IPV4_CHECKSUM..IPV4_CHECKSUM + 2].copy_from_slice(&sum.to_ne_bytes());
                Sum16BitWords::new()
                    .add_4bytes(src.octets())
                    .add_4bytes(dst.octets())
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) if self.ipv6 => {
                let ip = &mut out[l3..l4];
                ip[IPV6_SRC..IPV6_SRC + 16].copy_from_slice(&src.octets());
                ip[IPV6_DST..IPV6_DST + 16].copy_from_slice(&dst.octets());
                Sum16BitWords::new()
                    .add_16bytes(src.octets())
                    .add_16bytes(dst.octets())
            }
            _ => panic!("patch addresses must match the template's IP version"),
        };
        let proto = if self.tcp { 6u8 } else { 17u8 };
        let segment = &mut out[l4..l4 + self.l4_len];
        segment[L4_SRC_PORT..L4_SRC_PORT + 2].copy_from_slice(&patch.sport.to_be_bytes());
        segment[L4_DST_PORT..L4_DST_PORT + 2].copy_from_slice(&patch.dport.to_be_bytes());
        let checksum_at = if self.tcp {
            segment[TCP_SEQ..TCP_SEQ + 4].copy_from_slice(&patch.seq.to_be_bytes());
            TCP_CHECKSUM
        } else {
            UDP_CHECKSUM
        };
        segment[checksum_at..checksum_at + 2].fill(0);
        let sum = pseudo
            .add_2bytes([0, proto])
            .add_4bytes((self.l4_len as u32).to_be_bytes())
            .add_slice(segment);
        // UDP sends a computed zero as all ones (zero means "no checksum").
        let checksum = if self.tcp {
            sum.ones_complement()
        } else {
            sum.to_ones_complement_with_no_zero()
        };
        segment[checksum_at..checksum_at + 2].copy_from_slice(&checksum.to_ne_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(vlans: Vec<u16>) -> LinkSpec {
        LinkSpec {
            src_mac: Mac([2, 0, 0, 0, 0, 1]),
            dst_mac: Mac([2, 0, 0, 0, 0, 2]),
            vlans,
        }
    }

    #[test]
    fn template_matches_reference_builder() {
        let families: [(IpAddr, IpAddr, IpAddr, IpAddr); 2] = [
            (
                "192.168.0.1".parse().unwrap(),
                "10.0.0.1".parse().unwrap(),
                "192.168.7.9".parse().unwrap(),
                "10.9.9.9".parse().unwrap(),
            ),
            (
                "2001:db8::1".parse().unwrap(),
                "2001:db8::2".parse().unwrap(),
                "2001:db8::ffff:1".parse().unwrap(),
                "2001:db8:1::2".parse().unwrap(),
            ),
        ];
        for (src, dst, new_src, new_dst) in families {
            for vlans in [vec![], vec![7], vec![100, 200]] {
                for tcp in [false, true] {
                    for payload in [&b""[..], b"0123456789abcdef0123456789abcdef0123"] {
                        let transport = |sport, dport, seq| {
                            if tcp {
                                let mut h = TcpHeader::new(sport, dport, seq, 1024);
                                h.syn = true;
                                Transport::Tcp(h)
                            } else {
                                Transport::Udp { sport, dport }
                            }
                        };
                        let ip = IpSpec {
                            src,
                            dst,
                            ttl: 64,
                            id: 1,
                        };
                        let t = FrameTemplate::new(
                            &link(vlans.clone()),
                            &ip,
                            &transport(1, 2, 3),
                            payload,
                        )
                        .unwrap();
                        let patch = Patch {
                            src: new_src,
                            dst: new_dst,
                            sport: 40000,
                            dport: 53,
                            ip_id: 777,
                            seq: 0xdead_beef,
                        };
                        let mut fast = vec![0; t.len()];
                        t.write(&mut fast, &patch);
                        let mut reference = Vec::new();
                        let ip = IpSpec {
                            src: new_src,
                            dst: new_dst,
                            ttl: 64,
                            id: 777,
                        };
                        build_frame(
                            &link(vlans.clone()),
                            &ip,
                            &transport(40000, 53, 0xdead_beef),
                            payload,
                            &mut reference,
                        )
                        .unwrap();
                        assert_eq!(fast, reference, "tcp={tcp} vlans={vlans:?} src={src}");
                        assert!(fast.len() >= ETHERNET_MIN_LEN);
                    }
                }
            }
        }
    }

    #[test]
    fn short_frames_are_padded_and_ip_length_kept() {
        let ip = IpSpec {
            src: "1.2.3.4".parse().unwrap(),
            dst: "5.6.7.8".parse().unwrap(),
            ttl: 64,
            id: 0,
        };
        let mut out = Vec::new();
        build_frame(
            &link(vec![]),
            &ip,
            &Transport::Udp { sport: 1, dport: 2 },
            b"x",
            &mut out,
        )
        .unwrap();
        assert_eq!(out.len(), ETHERNET_MIN_LEN);
        assert_eq!(u16::from_be_bytes([out[16], out[17]]), 20 + 8 + 1);
    }

    #[test]
    fn bad_specs_are_errors() {
        let ip = IpSpec {
            src: "1.2.3.4".parse().unwrap(),
            dst: "::1".parse().unwrap(),
            ttl: 64,
            id: 0,
        };
        let mut out = Vec::new();
        let udp = Transport::Udp { sport: 1, dport: 2 };
        assert!(build_frame(&link(vec![]), &ip, &udp, b"", &mut out).is_err());
        let ip = IpSpec {
            dst: "5.6.7.8".parse().unwrap(),
            ..ip
        };
        assert!(build_frame(&link(vec![5000]), &ip, &udp, b"", &mut out).is_err());
        assert!(build_frame(&link(vec![1, 2, 3]), &ip, &udp, b"", &mut out).is_err());
        assert!(build_frame(&link(vec![]), &ip, &udp, &vec![0; 70000], &mut out).is_err());
    }
}
