//! Link layers: from a captured frame to its first IP header.
//!
//! Everything that is not recognisably IPv4 or IPv6 is [`Network::NotIp`], never an
//! error: a capture may hold ARP, STP, LLDP or link types we do not know.

use crate::capture::LinkType;

/// The network layer found inside a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network<'a> {
    /// Bytes from the IPv4 header to the end of the captured frame.
    Ipv4(&'a [u8]),
    /// Bytes from the IPv6 header to the end of the captured frame.
    Ipv6(&'a [u8]),
    NotIp,
}

impl<'a> Network<'a> {
    /// The IP bytes, whatever the version.
    pub fn ip(self) -> Option<&'a [u8]> {
        match self {
            Network::Ipv4(b) | Network::Ipv6(b) => Some(b),
            Network::NotIp => None,
        }
    }
}

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const ETHERTYPE_VLAN: u16 = 0x8100;
pub const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
pub(crate) const ETHERNET_HEADER_LEN: usize = 14;
pub(crate) const VLAN_TAG_LEN: usize = 4;
const SLL_HEADER_LEN: usize = 16;
const SLL_PROTOCOL: usize = 14;
const SLL2_HEADER_LEN: usize = 20;
const SLL2_PROTOCOL: usize = 0;
const PPP_IPV4: u16 = 0x0021;
const PPP_IPV6: u16 = 0x0057;
/// BSD address families that mean IPv6: NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30,
/// and Linux 10 (seen in captures written on Linux with DLT_NULL).
const AF_INET: u32 = 2;
const AF_INET6: [u32; 4] = [24, 28, 30, 10];
const NFLOG_TLV_PAYLOAD: u16 = 9;

/// Finds the first IP header in `frame`, a packet of link type `link_type`.
pub fn network(link_type: LinkType, frame: &[u8]) -> Network<'_> {
    match link_type {
        LinkType::ETHERNET => ethernet(frame),
        LinkType::LINUX_SLL => after_ethertype(frame, SLL_PROTOCOL, SLL_HEADER_LEN),
        LinkType::LINUX_SLL2 => after_ethertype(frame, SLL2_PROTOCOL, SLL2_HEADER_LEN),
        LinkType::RAW | LinkType::RAW_OPENBSD | LinkType::RAW_BSDOS => raw_ip(frame),
        // Wireshark follows the version nibble here too: IPv6 under LINKTYPE_IPV4 is
        // seen in real captures.
        LinkType::IPV4 | LinkType::IPV6 => raw_ip(frame),
        LinkType::NULL | LinkType::LOOP => null_loopback(frame),
        LinkType::PPP | LinkType::PPP_HDLC => ppp(frame),
        LinkType::PPP_WITH_DIR => frame.get(1..).map_or(Network::NotIp, ppp),
        LinkType::C_HDLC => after_ethertype(frame, 2, 4),
        LinkType::NFLOG => nflog(frame),
        LinkType::FDDI => fddi(frame),
        LinkType::IEEE802_11 => ieee802_11(frame),
        LinkType::RADIOTAP => radiotap(frame),
        LinkType::PPI => ppi(frame),
        _ => Network::NotIp,
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn ethernet(frame: &[u8]) -> Network<'_> {
    let Some(type_or_len) = be16(frame, 12) else {
        return Network::NotIp;
    };
    if type_or_len < 0x0600 {
        // IEEE 802.3 length field: IP only behind LLC/SNAP (AA AA 03, OUI 00 00 00).
        if frame.get(14..20) == Some(&[0xaa, 0xaa, 0x03, 0, 0, 0]) {
            return after_ethertype(frame, 20, 22);
        }
        return Network::NotIp;
    }
    after_ethertype(frame, 12, ETHERNET_HEADER_LEN)
}

/// Reads the EtherType at `type_at`, skipping any stack of VLAN tags and a PPPoE
/// session header, and returns the IP packet that starts after it.
fn after_ethertype(frame: &[u8], mut type_at: usize, mut payload_at: usize) -> Network<'_> {
    loop {
        let Some(ethertype) = be16(frame, type_at) else {
            return Network::NotIp;
        };
        match ethertype {
            ETHERTYPE_IPV4 => {
                return frame
                    .get(payload_at..)
                    .map_or(Network::NotIp, |b| ip_of_version(b, 4))
            }
            ETHERTYPE_IPV6 => {
                return frame
                    .get(payload_at..)
                    .map_or(Network::NotIp, |b| ip_of_version(b, 6))
            }
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => {
                // The tag's own EtherType sits in its last two bytes.
                type_at = payload_at + 2;
                payload_at += VLAN_TAG_LEN;
            }
            ETHERTYPE_PPPOE_SESSION => {
                // 6-byte PPPoE header, then a 2-byte PPP protocol.
                return frame.get(payload_at + 6..).map_or(Network::NotIp, ppp);
            }
            _ => return Network::NotIp,
        }
    }
}

/// Raw IP: the version nibble decides.
fn raw_ip(frame: &[u8]) -> Network<'_> {
    match frame.first().map(|b| b >> 4) {
        Some(4) => ip_of_version(frame, 4),
        Some(6) => ip_of_version(frame, 6),
        _ => Network::NotIp,
    }
}

/// Accepts `b` as IP of `version` only if the header's version nibble agrees and the
/// fixed header is there.
fn ip_of_version(b: &[u8], version: u8) -> Network<'_> {
    match (version, b.first().map(|v| v >> 4)) {
        (4, Some(4)) if b.len() >= 20 => Network::Ipv4(b),
        (6, Some(6)) if b.len() >= 40 => Network::Ipv6(b),
        _ => Network::NotIp,
    }
}

/// BSD loopback: a 4-byte address family in the capturing host's byte order
/// (DLT_NULL) or network order (DLT_LOOP); either is accepted.
fn null_loopback(frame: &[u8]) -> Network<'_> {
    let Some(family) = frame.get(..4) else {
        return Network::NotIp;
    };
    let family: [u8; 4] = family.try_into().unwrap();
    let le = u32::from_le_bytes(family);
    let be = u32::from_be_bytes(family);
    let payload = &frame[4..];
    if le == AF_INET || be == AF_INET {
        ip_of_version(payload, 4)
    } else if AF_INET6.contains(&le) || AF_INET6.contains(&be) {
        ip_of_version(payload, 6)
    } else {
        // Some writers put an EtherType in the low half (as Wireshark also accepts).
        after_ethertype(frame, 2, 4)
    }
}

/// IEEE 802.11 data frames carrying LLC/SNAP; management, control and protected
/// (encrypted) frames are not IP.
fn ieee802_11(frame: &[u8]) -> Network<'_> {
    let Some(&[fc0, fc1]) = frame.get(..2).map(|b| <&[u8; 2]>::try_from(b).unwrap()) else {
        return Network::NotIp;
    };
    let frame_type = (fc0 >> 2) & 3;
    let qos = frame_type == 2 && fc0 & 0x80 != 0;
    let (to_ds, from_ds, protected, order) =
        (fc1 & 1 != 0, fc1 & 2 != 0, fc1 & 0x40 != 0, fc1 & 0x80 != 0);
    if frame_type != 2 || protected || fc0 & 0x40 != 0 {
        return Network::NotIp; // not data, encrypted, or a null-data subtype
    }
    let mut header = 24;
    if to_ds && from_ds {
        header += 6;
    }
    if qos {
        header += 2;
        if order {
            header += 4;
        }
    }
    llc_snap(frame, header)
}

/// FDDI: frame control, two 6-byte addresses, then LLC/SNAP for LLC frames.
fn fddi(frame: &[u8]) -> Network<'_> {
    match frame.first() {
        Some(fc) if fc & 0xf0 == 0x50 => llc_snap(frame, 13),
        _ => Network::NotIp,
    }
}

/// LLC/SNAP (AA AA 03, OUI 00 00 00 or 00 00 F8) at `at`, then an EtherType.
fn llc_snap(frame: &[u8], at: usize) -> Network<'_> {
    match frame.get(at..at + 6) {
        Some([0xaa, 0xaa, 0x03, 0, 0, 0]) | Some([0xaa, 0xaa, 0x03, 0, 0, 0xf8]) => {
            after_ethertype(frame, at + 6, at + 8)
        }
        _ => Network::NotIp,
    }
}

/// Radiotap: a little-endian header length at offset 2, then an 802.11 frame.
fn radiotap(frame: &[u8]) -> Network<'_> {
    let Some(len) = frame
        .get(2..4)
        .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    else {
        return Network::NotIp;
    };
    frame.get(len..).map_or(Network::NotIp, ieee802_11)
}

/// Per-Packet Information: version, flags, little-endian header length and DLT, then
/// a frame of that DLT.
fn ppi(frame: &[u8]) -> Network<'_> {
    let Some(h) = frame.get(..8) else {
        return Network::NotIp;
    };
    let len = usize::from(u16::from_le_bytes([h[2], h[3]]));
    let dlt = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    match (frame.get(len..), u16::try_from(dlt)) {
        // PPI inside PPI would let a hostile frame recurse: refuse it.
        (Some(inner), Ok(dlt)) if LinkType(dlt) != LinkType::PPI => network(LinkType(dlt), inner),
        _ => Network::NotIp,
    }
}

/// PPP, with or without the HDLC-like address and control bytes (FF 03).
fn ppp(frame: &[u8]) -> Network<'_> {
    let frame = if frame.starts_with(&[0xff, 0x03]) {
        &frame[2..]
    } else {
        frame
    };
    // The protocol field may be compressed to one byte (odd first byte).
    let (protocol, rest) = match frame.first() {
        Some(&b) if b & 1 == 1 => (u16::from(b), &frame[1..]),
        Some(_) => match be16(frame, 0) {
            Some(p) => (p, &frame[2..]),
            None => return Network::NotIp,
        },
        None => return Network::NotIp,
    };
    match protocol {
        PPP_IPV4 => ip_of_version(rest, 4),
        PPP_IPV6 => ip_of_version(rest, 6),
        _ => Network::NotIp,
    }
}

/// Linux NFLOG: a 4-byte header (family, version, resource id), then TLVs with
/// host-order 16-bit lengths and types; the packet is the NFULA_PAYLOAD TLV.
fn nflog(frame: &[u8]) -> Network<'_> {
    let Some(&family) = frame.first() else {
        return Network::NotIp;
    };
    let mut at = 4;
    while at + 4 <= frame.len() {
        let len = usize::from(u16::from_le_bytes([frame[at], frame[at + 1]]));
        let tlv_type = u16::from_le_bytes([frame[at + 2], frame[at + 3]]) & 0x7fff;
        if len < 4 || at + len > frame.len() {
            return Network::NotIp;
        }
        if tlv_type == NFLOG_TLV_PAYLOAD {
            let payload = &frame[at + 4..at + len];
            return match u32::from(family) {
                AF_INET => ip_of_version(payload, 4),
                10 => ip_of_version(payload, 6),
                _ => raw_ip(payload),
            };
        }
        at += len.next_multiple_of(4);
    }
    Network::NotIp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4() -> Vec<u8> {
        let mut v = vec![0x45u8];
        v.resize(20, 0);
        v
    }

    #[test]
    fn ethernet_with_stacked_tags() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2, 0x08, 0x00]);
        f.extend(ipv4());
        assert_eq!(network(LinkType::ETHERNET, &f), Network::Ipv4(&f[22..]));
    }

    #[test]
    fn arp_is_not_ip() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x06]);
        f.extend(ipv4());
        assert_eq!(network(LinkType::ETHERNET, &f), Network::NotIp);
    }

    #[test]
    fn null_both_orders() {
        let mut f = vec![2, 0, 0, 0];
        f.extend(ipv4());
        assert!(matches!(network(LinkType::NULL, &f), Network::Ipv4(_)));
        f[..4].copy_from_slice(&[0, 0, 0, 2]);
        assert!(matches!(network(LinkType::LOOP, &f), Network::Ipv4(_)));
    }

    #[test]
    fn short_frames_are_not_ip() {
        for lt in [0u16, 1, 9, 101, 113, 228, 229, 239, 276] {
            for len in 0..24 {
                let f = vec![0x45u8; len];
                let _ = network(LinkType(lt), &f);
            }
        }
    }

    #[test]
    fn wifi_data_frame_through_ppi() {
        let mut f = vec![0, 0, 8, 0, 105, 0, 0, 0]; // PPI: 8 bytes, DLT 105
        f.extend_from_slice(&[0x08, 0x01]); // data, to-DS
        f.extend_from_slice(&[0; 22]);
        f.extend_from_slice(&[0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00]);
        f.extend(ipv4());
        assert_eq!(network(LinkType::PPI, &f), Network::Ipv4(&f[40..]));
        f[9] |= 0x40; // protected
        assert_eq!(network(LinkType::PPI, &f), Network::NotIp);
    }

    #[test]
    fn version_mismatch_is_not_ip() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x86, 0xdd]);
        f.extend(ipv4());
        f.resize(80, 0);
        assert_eq!(network(LinkType::ETHERNET, &f), Network::NotIp);
    }
}
