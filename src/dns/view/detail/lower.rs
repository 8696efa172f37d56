//! The layers below DNS in `dns -V`: the frame line, then Ethernet II (and 802.1Q
//! tags), IPv4 or IPv6, and UDP or TCP, each with the header fields `tshark -n -V`
//! shows for it, in its words and order (learned from Wireshark 4.0.17's
//! packet-frame.c, packet-eth.c, packet-vlan.c, packet-ip.c, packet-ipv6.c,
//! packet-udp.c and packet-tcp.c; written anew).
//!
//! What the header holds is shown; what tshark works out across packets (stream
//! indexes, timestamps, relative sequence numbers, SEQ/ACK analysis, reassembly) and
//! the options of IP and TCP are left out, so each layer's lines are an in-order part
//! of tshark's. Without `-n` tshark would name hardware vendors; like `tshark -n`, we
//! print addresses as they are.

use std::net::IpAddr;

use super::{ip_protocol_name, Lines};
use crate::capture::LinkType;
use crate::dns::decode::{Frame, Row};
use crate::dns::view::digits::{push_hex, push_hex16, push_ip, push_u64};
use crate::link::{self, Network};

const IP_PROTO_TCP: u8 = 6;
const IP_PROTO_UDP: u8 = 17;

/// Writes the frame line and the layers below DNS of the frame `row` came in.
pub(super) fn frame_lines(row: &Row<'_>, out: &mut Vec<u8>) {
    frame_line(row, out);
    let mut lines = Lines { out };
    let shown = row
        .frame
        .is_some_and(|frame| layers(row, frame, &mut lines));
    if !shown {
        headlines_only(row, &mut lines);
    }
}

/// `Frame 8: 123 bytes on wire (984 bits), 123 bytes captured (984 bits)`, and for
/// pcapng ` on interface eth0, id 0` (tshark names an interface by its name, else its
/// description, else its hardware, else `unknown`) and ` (inbound)` or ` (outbound)`
/// when the packet's flags say so.
fn frame_line(row: &Row<'_>, out: &mut Vec<u8>) {
    let o = &row.origin;
    let (wire, captured) = o.frame_len;
    out.extend_from_slice(b"Frame ");
    push_u64(out, o.file_frame);
    out.extend_from_slice(b": ");
    for (bytes, what) in [(wire, &b" on wire ("[..]), (captured, b" captured (")] {
        push_u64(out, bytes.into());
        out.extend_from_slice(if bytes == 1 { b" byte" } else { b" bytes" });
        out.extend_from_slice(what);
        push_u64(out, u64::from(bytes) * 8);
        out.extend_from_slice(if what.starts_with(b" on") {
            b" bits), "
        } else {
            b" bits)"
        });
    }
    if let Some((id, name)) = row.frame.and_then(|f| f.interface) {
        out.extend_from_slice(b" on interface ");
        out.extend_from_slice(name.unwrap_or(b"unknown"));
        out.extend_from_slice(b", id ");
        push_u64(out, id.into());
    }
    // The direction pcapng's packet flags give.
    match row.frame.and_then(|f| f.flags).map(|flags| flags & 3) {
        Some(1) => out.extend_from_slice(b" (inbound)"),
        Some(2) => out.extend_from_slice(b" (outbound)"),
        _ => {}
    }
    out.push(b'\n');
}

/// The layers of a frame read from its bytes; false (nothing written) when its IP
/// header is not the one the message came in (a tunnel, say).
fn layers(row: &Row<'_>, frame: Frame<'_>, l: &mut Lines<'_>) -> bool {
    let o = &row.origin;
    let network = link::network(frame.link_type, frame.data);
    let Ok(ip) = crate::ip::parse(network) else {
        return false;
    };
    let expected = if o.tcp { IP_PROTO_TCP } else { IP_PROTO_UDP };
    if (ip.src, ip.dst) != (o.src, o.dst) || ip.protocol != expected {
        return false;
    }
    if frame.link_type == LinkType::ETHERNET {
        ethernet(frame.data, l);
    }
    match network {
        Network::Ipv4(header) => ipv4(header, l),
        Network::Ipv6(header) => ipv6(header, l),
        Network::NotIp => return false,
    }
    if ip.fragment.is_some() {
        // The transport header is in the first fragment: tshark shows it from the
        // reassembled datagram; the ports are what we know of it here.
        transport_headline(row, l);
        ports(row, l);
    } else if o.tcp {
        tcp(row, ip.payload, l);
    } else {
        // The IP payload's length as tshark takes it: the header's, unless it runs past
        // the frame's length on the wire.
        let offset = (ip.payload.as_ptr() as usize)
            .checked_sub(frame.data.as_ptr() as usize)
            .filter(|&at| at <= frame.data.len())
            .unwrap_or(frame.data.len() - ip.payload.len().min(frame.data.len()));
        let on_wire = (o.frame_len.0 as usize).saturating_sub(offset);
        udp(row, ip.payload, ip.reported_payload_len.min(on_wire), l);
    }
    true
}

/// The headlines and addresses when the frame's bytes are not at hand.
fn headlines_only(row: &Row<'_>, l: &mut Lines<'_>) {
    let o = &row.origin;
    ip_headline(o.src, o.dst, l);
    address_lines(o.src, o.dst, l);
    transport_headline(row, l);
    ports(row, l);
}

fn ip_headline(src: IpAddr, dst: IpAddr, l: &mut Lines<'_>) {
    l.out.extend_from_slice(if src.is_ipv4() {
        b"Internet Protocol Version 4, Src: "
    } else {
        b"Internet Protocol Version 6, Src: "
    });
    push_ip(l.out, src);
    l.out.extend_from_slice(b", Dst: ");
    push_ip(l.out, dst);
    l.out.push(b'\n');
}

fn address_lines(src: IpAddr, dst: IpAddr, l: &mut Lines<'_>) {
    l.field_with(1, "Source Address", |out| push_ip(out, src));
    l.field_with(1, "Destination Address", |out| push_ip(out, dst));
}

fn transport_headline(row: &Row<'_>, l: &mut Lines<'_>) {
    let o = &row.origin;
    l.out.extend_from_slice(if o.tcp {
        b"Transmission Control Protocol, Src Port: "
    } else {
        b"User Datagram Protocol, Src Port: "
    });
    push_u64(l.out, o.sport.into());
    l.out.extend_from_slice(b", Dst Port: ");
    push_u64(l.out, o.dport.into());
    l.out.push(b'\n');
}

fn ports(row: &Row<'_>, l: &mut Lines<'_>) {
    l.number(1, "Source Port", row.origin.sport.into());
    l.number(1, "Destination Port", row.origin.dport.into());
}

// ---- Ethernet II and 802.1Q ----

const ETHERTYPE_IPV4: u16 = link::ETHERTYPE_IPV4;
const ETHERTYPE_IPV6: u16 = link::ETHERTYPE_IPV6;
const ETHERTYPE_VLAN: u16 = link::ETHERTYPE_VLAN;
const ETH_DST: usize = 0;
const ETH_SRC: usize = 6;
const ETH_TYPE: usize = 12;
/// Below this the type field is an 802.3 length (tshark then shows "IEEE 802.3
/// Ethernet", a layer we do not write).
const ETHERTYPE_MIN: u16 = 0x0600;

fn ethertype_name(ethertype: u16) -> Option<&'static str> {
    Some(match ethertype {
        ETHERTYPE_IPV4 => "IPv4",
        ETHERTYPE_IPV6 => "IPv6",
        ETHERTYPE_VLAN => "802.1Q Virtual LAN",
        _ => return None,
    })
}

fn push_mac(out: &mut Vec<u8>, mac: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0xf)]);
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Ethernet II with its addresses' LG and IG bits, then any 802.1Q tags.
fn ethernet(frame: &[u8], l: &mut Lines<'_>) {
    let Some(ethertype) = be16(frame, ETH_TYPE).filter(|&t| t >= ETHERTYPE_MIN) else {
        return;
    };
    let (dst, src) = (&frame[ETH_DST..ETH_SRC], &frame[ETH_SRC..ETH_TYPE]);
    l.out.extend_from_slice(b"Ethernet II, Src: ");
    push_mac(l.out, src);
    l.out.extend_from_slice(b", Dst: ");
    push_mac(l.out, dst);
    l.out.push(b'\n');
    for (name, mac) in [("Destination", dst), ("Source", src)] {
        l.field_with(1, name, |out| push_mac(out, mac));
        l.field_with(2, "Address", |out| push_mac(out, mac));
        let first = u32::from(mac[0]) << 16;
        l.bits(
            2,
            24,
            first,
            0x02_0000,
            "LG bit",
            if mac[0] & 0x02 != 0 {
                "Locally administered address (this is NOT the factory default)"
            } else {
                "Globally unique address (factory default)"
            },
        );
        l.bits(
            2,
            24,
            first,
            0x01_0000,
            "IG bit",
            if mac[0] & 0x01 != 0 {
                "Group address (multicast/broadcast)"
            } else {
                "Individual address (unicast)"
            },
        );
    }
    let mut ethertype = ethertype;
    let mut at = ETH_TYPE;
    loop {
        let Some(name) = ethertype_name(ethertype) else {
            return;
        };
        l.field_with(1, "Type", |out| {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(format!(" (0x{ethertype:04x})").as_bytes());
        });
        if ethertype != ETHERTYPE_VLAN {
            return;
        }
        // An 802.1Q tag: priority, drop eligibility and VLAN id, then the next type.
        let (Some(tci), Some(next)) = (be16(frame, at + 2), be16(frame, at + 4)) else {
            return;
        };
        let (priority, dei, id) = (tci >> 13, (tci >> 12) & 1, tci & 0x0fff);
        l.text(
            0,
            format!("802.1Q Virtual LAN, PRI: {priority}, DEI: {dei}, ID: {id}").as_bytes(),
        );
        l.bits16(
            1,
            tci,
            0xe000,
            "Priority",
            &format!("{} ({priority})", vlan_priority_name(priority)),
        );
        l.bits16(
            1,
            tci,
            0x1000,
            "DEI",
            if dei == 1 { "Eligible" } else { "Ineligible" },
        );
        l.bits16(1, tci, 0x0fff, "ID", &id.to_string());
        if next < ETHERTYPE_MIN {
            return;
        }
        ethertype = next;
        at += link::VLAN_TAG_LEN;
    }
}

/// 802.1Q-2005's priority names (Wireshark's default, eight priorities, none
/// drop-eligible).
fn vlan_priority_name(priority: u16) -> &'static str {
    match priority {
        0 => "Best Effort (default)",
        1 => "Background",
        2 => "Excellent Effort",
        3 => "Critical Applications",
        4 => "Video, < 100ms latency and jitter",
        5 => "Voice, < 10ms latency and jitter",
        6 => "Internetwork Control",
        _ => "Network Control",
    }
}

// ---- IPv4 and IPv6 ----

const IPV4_TOS: usize = 1;
const IPV4_TOTAL_LEN: usize = 2;
const IPV4_ID: usize = 4;
const IPV4_FLAGS_OFFSET: usize = 6;
const IPV4_TTL: usize = 8;
const IPV4_PROTOCOL: usize = 9;
const IPV4_CHECKSUM: usize = 10;
const IPV6_PAYLOAD_LEN: usize = 4;
const IPV6_NEXT_HEADER: usize = 6;
const IPV6_HOP_LIMIT: usize = 7;

/// The short and long names of a differentiated services codepoint.
fn dscp_names(dscp: u8) -> Option<(&'static str, &'static str)> {
    Some(match dscp {
        0 => ("CS0", "Default"),
        1 => ("LE", "Lower Effort"),
        8 => ("CS1", "Class Selector 1"),
        10 => ("AF11", "Assured Forwarding 11"),
        12 => ("AF12", "Assured Forwarding 12"),
        14 => ("AF13", "Assured Forwarding 13"),
        16 => ("CS2", "Class Selector 2"),
        18 => ("AF21", "Assured Forwarding 21"),
        20 => ("AF22", "Assured Forwarding 22"),
        22 => ("AF23", "Assured Forwarding 23"),
        24 => ("CS3", "Class Selector 3"),
        26 => ("AF31", "Assured Forwarding 31"),
        28 => ("AF32", "Assured Forwarding 32"),
        30 => ("AF33", "Assured Forwarding 33"),
        32 => ("CS4", "Class Selector 4"),
        34 => ("AF41", "Assured Forwarding 41"),
        36 => ("AF42", "Assured Forwarding 42"),
        38 => ("AF43", "Assured Forwarding 43"),
        40 => ("CS5", "Class Selector 5"),
        44 => ("VOICE-ADMIT", "Voice Admit"),
        46 => ("EF PHB", "Expedited Forwarding"),
        48 => ("CS6", "Class Selector 6"),
        56 => ("CS7", "Class Selector 7"),
        _ => return None,
    })
}

/// The short and long names of an ECN codepoint.
fn ecn_names(ecn: u8) -> (&'static str, &'static str) {
    match ecn & 3 {
        0 => ("Not-ECT", "Not ECN-Capable Transport"),
        1 => ("ECT(1)", "ECN-Capable Transport codepoint '01'"),
        2 => ("ECT(0)", "ECN-Capable Transport codepoint '10'"),
        _ => ("CE", "Congestion Experienced"),
    }
}

/// `0x00 (DSCP: CS0, ECN: Not-ECT)`: the value of the DS field or traffic class.
fn push_ds_summary(out: &mut Vec<u8>, ds: u8) {
    push_hex(out, ds.into(), 2);
    out.extend_from_slice(b" (DSCP: ");
    out.extend_from_slice(dscp_names(ds >> 2).map_or("Unknown", |n| n.0).as_bytes());
    out.extend_from_slice(b", ECN: ");
    out.extend_from_slice(ecn_names(ds).0.as_bytes());
    out.push(b')');
}

/// `Name (value)`, as tshark shows a value with a name.
fn push_named(out: &mut Vec<u8>, name: &str, value: u64) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b" (");
    push_u64(out, value);
    out.push(b')');
}

/// The DSCP and ECN lines under the DS field, whose byte sits at `shift` in a word of
/// `width` bits.
fn ds_bits(l: &mut Lines<'_>, width: u32, word: u32, shift: u32, ds: u8) {
    let dscp = ds >> 2;
    let name = dscp_names(dscp).map_or("Unknown", |n| n.1);
    l.bits_with(
        2,
        width,
        word,
        0xfc << shift,
        "Differentiated Services Codepoint",
        |out| push_named(out, name, dscp.into()),
    );
    l.bits_with(
        2,
        width,
        word,
        0x03 << shift,
        "Explicit Congestion Notification",
        |out| push_named(out, ecn_names(ds).1, (ds & 3).into()),
    );
}

fn push_protocol(out: &mut Vec<u8>, protocol: u8) {
    let name = ip_protocol_name(protocol).unwrap_or("Unknown");
    push_named(out, name, protocol.into());
}

/// `20 bytes (5)`: a header length field of `words` 32-bit words.
fn push_header_len(out: &mut Vec<u8>, words: u8) {
    push_u64(out, u64::from(words) * 4);
    out.extend_from_slice(b" bytes (");
    push_u64(out, words.into());
    out.push(b')');
}

/// `0x1234 [unverified]` and the like: a checksum and a note.
fn push_checksum(out: &mut Vec<u8>, checksum: u16, note: &[u8]) {
    push_hex16(out, checksum);
    out.extend_from_slice(note);
}

fn ipv4(h: &[u8], l: &mut Lines<'_>) {
    let src = IpAddr::from(<[u8; 4]>::try_from(&h[12..16]).unwrap_or_default());
    let dst = IpAddr::from(<[u8; 4]>::try_from(&h[16..20]).unwrap_or_default());
    ip_headline(src, dst, l);
    let first = h[0];
    l.bits(1, 8, first.into(), 0xf0, "Version", "4");
    l.bits_with(1, 8, first.into(), 0x0f, "Header Length", |out| {
        push_header_len(out, first & 0x0f)
    });
    let ds = h[IPV4_TOS];
    l.field_with(1, "Differentiated Services Field", |out| {
        push_ds_summary(out, ds)
    });
    ds_bits(l, 8, ds.into(), 0, ds);
    let total = u16::from_be_bytes([h[IPV4_TOTAL_LEN], h[IPV4_TOTAL_LEN + 1]]);
    // A zero length (TCP segmentation offload) tshark shows as a presumed length.
    if total != 0 {
        l.number(1, "Total Length", total.into());
    }
    let id = u16::from_be_bytes([h[IPV4_ID], h[IPV4_ID + 1]]);
    l.field_with(1, "Identification", |out| {
        push_hex16(out, id);
        out.extend_from_slice(b" (");
        push_u64(out, id.into());
        out.push(b')');
    });
    let word = u16::from_be_bytes([h[IPV4_FLAGS_OFFSET], h[IPV4_FLAGS_OFFSET + 1]]);
    let flags = h[IPV4_FLAGS_OFFSET];
    let names = [
        (0x80, "Reserved bit"),
        (0x40, "Don't fragment"),
        (0x20, "More fragments"),
    ];
    l.bits_with(1, 8, flags.into(), 0xe0, "Flags", |out| {
        push_hex(out, (flags >> 5).into(), 1);
        for (bit, name) in names {
            if flags & bit != 0 {
                out.extend_from_slice(b", ");
                out.extend_from_slice(name.as_bytes());
            }
        }
    });
    for (bit, name) in names {
        let set = set_or_not(flags & bit != 0);
        l.bits(2, 8, flags.into(), bit.into(), name, set);
    }
    l.bits_with(1, 16, word.into(), 0x1fff, "Fragment Offset", |out| {
        push_u64(out, u64::from(word & 0x1fff) * 8)
    });
    l.number(1, "Time to Live", h[IPV4_TTL].into());
    l.field_with(1, "Protocol", |out| push_protocol(out, h[IPV4_PROTOCOL]));
    let checksum = u16::from_be_bytes([h[IPV4_CHECKSUM], h[IPV4_CHECKSUM + 1]]);
    l.field_with(1, "Header Checksum", |out| {
        push_checksum(out, checksum, b" [validation disabled]")
    });
    l.text(1, b"[Header checksum status: Unverified]");
    address_lines(src, dst, l);
}

fn ipv6(h: &[u8], l: &mut Lines<'_>) {
    let src = IpAddr::from(<[u8; 16]>::try_from(&h[8..24]).unwrap_or_default());
    let dst = IpAddr::from(<[u8; 16]>::try_from(&h[24..40]).unwrap_or_default());
    ip_headline(src, dst, l);
    let word = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    l.bits(1, 8, h[0].into(), 0xf0, "Version", "6");
    let class = (word >> 20) as u8;
    l.bits_with(1, 32, word, 0x0ff0_0000, "Traffic Class", |out| {
        push_ds_summary(out, class)
    });
    ds_bits(l, 32, word, 20, class);
    let flow = word & 0x000f_ffff;
    l.bits_with(
        1,
        24,
        word & 0x00ff_ffff,
        0x000f_ffff,
        "Flow Label",
        |out| push_hex(out, flow, 5),
    );
    let payload_len = u16::from_be_bytes([h[IPV6_PAYLOAD_LEN], h[IPV6_PAYLOAD_LEN + 1]]);
    // Zero: a jumbogram or TCP segmentation offload, which tshark words otherwise.
    if payload_len != 0 {
        l.number(1, "Payload Length", payload_len.into());
    }
    l.field_with(1, "Next Header", |out| {
        push_protocol(out, h[IPV6_NEXT_HEADER])
    });
    l.number(1, "Hop Limit", h[IPV6_HOP_LIMIT].into());
    address_lines(src, dst, l);
}

fn set_or_not(set: bool) -> &'static str {
    if set {
        "Set"
    } else {
        "Not set"
    }
}

// ---- UDP and TCP ----

const UDP_HEADER_LEN: usize = 8;
const UDP_LENGTH: usize = 4;
const UDP_CHECKSUM: usize = 6;
const TCP_SEQ: usize = 4;
const TCP_ACK: usize = 8;
const TCP_DATA_OFFSET: usize = 12;
const TCP_WINDOW: usize = 14;
const TCP_CHECKSUM: usize = 16;
const TCP_URGENT: usize = 18;
const TCP_MIN_HEADER_LEN: usize = 20;

/// The UDP layer of an IP payload `u` of `reported` bytes on the wire.
fn udp(row: &Row<'_>, u: &[u8], reported: usize, l: &mut Lines<'_>) {
    transport_headline(row, l);
    ports(row, l);
    let (Some(length), Some(checksum)) = (be16(u, UDP_LENGTH), be16(u, UDP_CHECKSUM)) else {
        return;
    };
    let v6 = row.origin.src.is_ipv6();
    let length = usize::from(length);
    if length == 0 && v6 {
        // A jumbogram's length, which tshark words otherwise.
    } else if length < UDP_HEADER_LEN {
        l.field(
            1,
            "Length",
            format!("{length} (bogus, must be >= 8)").as_bytes(),
        );
        return;
    } else if length > reported {
        l.field(
            1,
            "Length",
            format!("{length} (bogus, payload length {reported})").as_bytes(),
        );
    } else {
        l.number(1, "Length", length as u64);
    }
    if checksum == 0 {
        // Over IPv4 a zero checksum means none; over IPv6 it is not allowed.
        let (note, status) = if v6 {
            ("illegal", "Illegal")
        } else {
            ("ignored", "Not present")
        };
        l.field(
            1,
            "Checksum",
            format!("0x0000 [zero-value {note}]").as_bytes(),
        );
        l.text(2, format!("[Checksum Status: {status}]").as_bytes());
    } else {
        l.field_with(1, "Checksum", |out| {
            push_checksum(out, checksum, b" [unverified]")
        });
        l.text(1, b"[Checksum Status: Unverified]");
    }
    // What was captured of the payload, as far as the UDP length goes.
    let mut payload = u.len().saturating_sub(UDP_HEADER_LEN);
    if length >= UDP_HEADER_LEN {
        payload = payload.min(length - UDP_HEADER_LEN);
    }
    l.indent(1);
    l.out.extend_from_slice(b"UDP payload (");
    push_u64(l.out, payload as u64);
    l.out.extend_from_slice(if payload == 1 {
        b" byte)\n"
    } else {
        b" bytes)\n"
    });
}

/// TCP's flag bits, low bit first, as its flags summary names them.
const TCP_FLAG_NAMES: [&str; 9] = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"];
const TCP_RESERVED: u16 = 0x0e00;
/// AE, CWR and ECE: with Accurate ECN negotiated tshark shows them as one counter,
/// which only the connection's handshake tells; we leave the flags out then.
const TCP_ECN_BITS: u16 = 0x01c0;

fn tcp(row: &Row<'_>, t: &[u8], l: &mut Lines<'_>) {
    transport_headline(row, l);
    ports(row, l);
    if t.len() < TCP_MIN_HEADER_LEN {
        return;
    }
    let u32_at = |at: usize| u32::from_be_bytes([t[at], t[at + 1], t[at + 2], t[at + 3]]);
    let u16_at = |at: usize| u16::from_be_bytes([t[at], t[at + 1]]);
    l.number(1, "Sequence Number (raw)", u32_at(TCP_SEQ).into());
    l.number(1, "Acknowledgment number (raw)", u32_at(TCP_ACK).into());
    let offset = t[TCP_DATA_OFFSET];
    l.bits_with(1, 8, offset.into(), 0xf0, "Header Length", |out| {
        push_header_len(out, offset >> 4)
    });
    let flags = u16_at(TCP_DATA_OFFSET) & 0x0fff;
    if flags & TCP_ECN_BITS == 0 {
        l.field_with(1, "Flags", |out| {
            push_hex(out, flags.into(), 3);
            out.extend_from_slice(b" (");
            let start = out.len();
            let names = TCP_FLAG_NAMES.iter().enumerate();
            let set = names
                .filter(|(i, _)| flags & (1 << i) != 0)
                .map(|(_, n)| *n);
            let reserved = (flags & TCP_RESERVED != 0).then_some("Reserved");
            for name in set.chain(reserved) {
                if out.len() > start {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(name.as_bytes());
            }
            if out.len() == start {
                out.extend_from_slice(b"<None>");
            }
            out.push(b')');
        });
        let bits: [(u16, &str); 10] = [
            (TCP_RESERVED, "Reserved"),
            (0x100, "Accurate ECN"),
            (0x080, "Congestion Window Reduced"),
            (0x040, "ECN-Echo"),
            (0x020, "Urgent"),
            (0x010, "Acknowledgment"),
            (0x008, "Push"),
            (0x004, "Reset"),
            (0x002, "Syn"),
            (0x001, "Fin"),
        ];
        for (mask, name) in bits {
            l.bits(
                2,
                12,
                flags.into(),
                mask.into(),
                name,
                set_or_not(flags & mask != 0),
            );
        }
    }
    l.number(1, "Window", u16_at(TCP_WINDOW).into());
    l.field_with(1, "Checksum", |out| {
        push_checksum(out, u16_at(TCP_CHECKSUM), b" [unverified]")
    });
    l.text(1, b"[Checksum Status: Unverified]");
    l.number(1, "Urgent Pointer", u16_at(TCP_URGENT).into());
}
