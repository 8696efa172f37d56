//! Generated captures for the differential tests against tshark: UDP frames from
//! payloads, DNS headers and questions, and where our Info column differs from tshark's.

use std::path::Path;

use pcaptool::capture::{CaptureWriter, LinkType, OutputFormat, TsResolution};
use pcaptool::packet::{build_frame, IpSpec, LinkSpec, Mac, Transport};

use super::{run, tshark};

/// A new Ethernet pcap file (microseconds) at `path`.
pub fn ethernet_pcap(path: &Path) -> CaptureWriter<std::fs::File> {
    pcap_of(path, LinkType::ETHERNET)
}

/// A new pcap file (microseconds) of `link_type` at `path`.
pub fn pcap_of(path: &Path, link_type: LinkType) -> CaptureWriter<std::fs::File> {
    let file = std::fs::File::create(path).unwrap();
    CaptureWriter::new(
        file,
        OutputFormat::Pcap,
        TsResolution::Micro,
        link_type,
        65535,
    )
}

/// A capture holding the given UDP payloads to port 53.
pub fn udp_capture(path: &Path, payloads: &[Vec<u8>]) {
    udp_capture_on(path, payloads, |i| (4000 + i as u16, 53));
}

/// A capture holding the given UDP payloads, the i-th between the ports `ports(i)`.
pub fn udp_capture_on(path: &Path, payloads: &[Vec<u8>], ports: impl Fn(usize) -> (u16, u16)) {
    let mut w = ethernet_pcap(path);
    let link = LinkSpec {
        src_mac: Mac([2, 0, 0, 0, 0, 1]),
        dst_mac: Mac([2, 0, 0, 0, 0, 2]),
        vlans: vec![],
    };
    let ip = IpSpec {
        src: "10.0.0.1".parse().unwrap(),
        dst: "10.0.0.2".parse().unwrap(),
        ttl: 64,
        id: 1,
    };
    for (i, p) in payloads.iter().enumerate() {
        let mut frame = Vec::new();
        build_frame(
            &link,
            &ip,
            &Transport::Udp {
                sport: ports(i).0,
                dport: ports(i).1,
            },
            p,
            &mut frame,
        )
        .unwrap();
        w.write_packet(
            0,
            pcaptool::capture::Timestamp::new(i as i64, 0),
            frame.len() as u32,
            &frame,
        )
        .unwrap();
    }
    w.finish().unwrap();
}

/// tshark's Info column for each frame of `path` (holding `messages` DNS messages, one
/// per frame), and where ours differs from it.
pub fn info_differences(path: &Path, messages: usize) -> (Vec<String>, Vec<String>) {
    let theirs: Vec<String> = tshark(path, &["-T", "fields", "-e", "_ws.col.Info"])
        .lines()
        .map(str::to_string)
        .collect();
    let out = run(&["dns", "--format", "json", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["info"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!((ours.len(), theirs.len()), (messages, messages));
    let differences = theirs
        .iter()
        .zip(&ours)
        .enumerate()
        .filter(|(_, (t, o))| t != o)
        .map(|(i, (t, o))| format!("frame {}: tshark {t:?}, pcaptool {o:?}", i + 1))
        .collect();
    (theirs, differences)
}

/// A query for `example.com` of type `qtype`, with `opcode`; or a response with `rcode`.
pub fn header_and_question(id: u16, flags: u16, qtype: u16) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    m.extend_from_slice(b"\x07example\x03com\x00");
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    m
}

/// Well-formed record data for `rtype` (names point at the question's name).
pub fn sample_rdata(rtype: u16) -> Vec<u8> {
    let name = [0xc0, 12];
    let cat = |parts: &[&[u8]]| parts.concat();
    match rtype {
        1 => vec![192, 0, 2, 1],
        28 => [0x20, 0x01, 0x0d, 0xb8]
            .into_iter()
            .chain([0; 11])
            .chain([1])
            .collect(),
        2..=5 | 7..=9 | 12 | 39 => name.to_vec(),
        6 => cat(&[
            &name,
            &name,
            &[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5],
        ]),
        11 => vec![192, 0, 2, 1, 6, 0x40, 0, 0, 1],
        13 => b"\x03cpu\x02os".to_vec(),
        14 | 17 => cat(&[&name, &name]),
        15 | 18 | 21 | 36 | 107 => cat(&[&[0, 10], &name]),
        16 | 99 => b"\x05hello\x05world".to_vec(),
        19 => b"\x0a1234567890".to_vec(),
        20 => b"\x0a1234567890\x03004".to_vec(),
        22 => vec![0x47, 0, 5, 0x80, 0, 0x51],
        24 | 46 => cat(&[
            &[0, 1, 8, 2, 0, 0, 14, 16],
            &[0x6a, 0, 0, 0, 0x69, 0, 0, 0, 0x30, 0x39],
            &name,
            &[1, 2, 3, 4],
        ]),
        25 | 48 | 60 => vec![1, 1, 3, 8, 3, 1, 0, 1, 0xaa, 0xbb],
        26 => cat(&[&[0, 10], &name, &name]),
        27 => b"\x03-32\x03116\x0210".to_vec(),
        29 => vec![
            0, 0x12, 0x16, 0x13, 0x89, 0x17, 0x2d, 0xd0, 0x70, 0xbe, 0x15, 0xf0, 0x00, 0x98, 0x8d,
            0x20,
        ],
        30 => cat(&[&name, &[0x40, 0x01, 0, 0, 0, 3]]),
        33 => cat(&[&[0, 1, 0, 2, 0, 53], &name]),
        35 => cat(&[&[0, 100, 0, 10], b"\x01S\x07SIP+D2U\x00", &name]),
        37 => vec![0, 1, 0x30, 0x39, 8, 1, 2, 3, 4],
        38 => cat(&[&[64], &[0; 8], &name]),
        42 => vec![
            0, 1, 24, 3, 192, 0, 2, 0, 2, 32, 0x84, 0x20, 0x01, 0x0d, 0xb8,
        ],
        43 | 59 | 32768 | 32769 => vec![0x30, 0x39, 8, 2, 0xde, 0xad, 0xbe, 0xef],
        44 => vec![4, 2, 0x12, 0x34, 0x56, 0x78],
        45 => vec![10, 1, 2, 192, 0, 2, 38, 1, 3, 1, 0, 1],
        47 => cat(&[&name, &[0, 6, 0x40, 0x01, 0, 0, 0, 3]]),
        49 | 61 => vec![0, 2, 1, 0x63, 0x6f, 0xc0],
        50 => vec![1, 1, 0, 12, 2, 0xaa, 0xbb, 4, 1, 2, 3, 4, 0, 2, 0x40, 0x01],
        51 => vec![1, 0, 0, 12, 2, 0xaa, 0xbb],
        52 | 53 => vec![3, 1, 1, 0x0c, 0x72, 0xac, 0x70],
        55 => cat(&[&[2, 2, 0, 4], &[0xaa, 0xbb], &[1, 2, 3, 4], &name]),
        62 => vec![0, 0, 0, 66, 0, 3, 0, 1, 0x60],
        63 => vec![0, 0, 0, 1, 1, 1, 0xab, 0xcd],
        64 | 65 => cat(&[
            &[0, 1],
            &name,
            &[0, 1, 0, 3, 2, b'h', b'2', 0, 3, 0, 2, 0x20, 0xfb],
        ]),
        104 | 106 => vec![0, 10, 0, 0x14, 0x4f, 0xff, 0xff, 0x20, 0xee, 0x64],
        105 => vec![0, 10, 10, 1, 2, 0],
        108 => vec![0, 0, 0x5e, 0, 0x53, 0x2a],
        109 => vec![0, 0, 0x5e, 0xef, 0x10, 0, 0, 0x2a],
        // TKEY in mode 2 (Diffie-Hellman): in mode 3 tshark hands the key to its GSS-API
        // or NTLMSSP dissectors, which this crate does not reproduce.
        249 => cat(&[
            &name,
            &[0, 0, 0, 1, 0, 0, 0, 2, 0, 2, 0, 0, 0, 2, 0xaa, 0xbb, 0, 0],
        ]),
        250 => cat(&[
            &name,
            &[
                0, 0, 0x5f, 0x5e, 0x10, 0, 1, 44, 0, 4, 1, 2, 3, 4, 0x12, 0x34, 0, 0, 0, 0,
            ],
        ]),
        256 => b"\x00\x0a\x00\x01ftp://ftp.example.com/".to_vec(),
        257 => b"\x00\x05issueca.example.net".to_vec(),
        65281 => vec![
            0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0x0e, 0x10, 0, 0, 0, 1, 192, 0, 2, 1,
        ],
        65282 => cat(&[&[0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0x0e, 0x10], &name]),
        _ => vec![1, 2, 3, 4, 5, 6],
    }
}

/// A response to `example.com` (type `qtype`) with one answer of `rtype`, `class` and
/// `data`.
pub fn response_with(id: u16, qtype: u16, rtype: u16, class: u16, data: &[u8]) -> Vec<u8> {
    let mut m = header_and_question(id, 0x8180, qtype);
    m[7] = 1;
    m.extend_from_slice(&[0xc0, 12]);
    m.extend_from_slice(&rtype.to_be_bytes());
    m.extend_from_slice(&class.to_be_bytes());
    m.extend_from_slice(&[0, 0, 1, 44]);
    m.extend_from_slice(&(data.len() as u16).to_be_bytes());
    m.extend_from_slice(data);
    m
}

/// An OPT record (root owner) with the extended rcode bits, version 0 and `options`.
pub fn opt_record(rcode_high: u8, options: &[u8]) -> Vec<u8> {
    let mut r = vec![0, 0, 41, 0x04, 0xd0, rcode_high, 0, 0x80, 0];
    r.extend_from_slice(&(options.len() as u16).to_be_bytes());
    r.extend_from_slice(options);
    r
}

/// One message per case of one kind of input, labelled for the report.
pub struct Cases {
    pub payloads: Vec<Vec<u8>>,
    pub labels: Vec<String>,
}

impl Cases {
    pub fn push(&mut self, label: String, payload: Vec<u8>) {
        self.labels.push(label);
        self.payloads.push(payload);
    }
}

/// Names in the question of a query, as raw wire bytes after the header.
pub fn query_with_name(id: u16, name: &[u8]) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    m.extend_from_slice(name);
    m.extend_from_slice(&[0, 1, 0, 1]);
    m
}

/// The capture that walks the input space (tests/fidelity.rs says what it holds), one
/// message per frame between port 53 and a port of its own; returns each message's
/// label.
pub fn walk_capture(path: &Path) -> Cases {
    let mut c = Cases {
        payloads: Vec::new(),
        labels: Vec::new(),
    };
    let types: Vec<u16> = (0u16..=300)
        .chain(32768..=32769)
        .chain(65270..=65535)
        .chain((301..32768).step_by(331))
        .chain((32770..65270).step_by(617))
        .collect();
    for &t in &types {
        let good = sample_rdata(t);
        let id = c.payloads.len() as u16;
        c.push(
            format!("type {t} well-formed"),
            response_with(id, t.max(1), t, 1, &good),
        );
        let mut long = good.clone();
        long.extend_from_slice(&[0xee, 0xee, 0xee]);
        let id = c.payloads.len() as u16;
        c.push(
            format!("type {t} overlong"),
            response_with(id, t.max(1), t, 1, &long),
        );
    }
    for rcode in 0u16..4096 {
        let mut m = response_with(rcode, 1, 1, 1, &[192, 0, 2, 1]);
        m[3] = (m[3] & 0xf0) | (rcode & 15) as u8;
        m[11] = 1;
        m.extend_from_slice(&opt_record((rcode >> 4) as u8, &[]));
        c.push(format!("rcode {rcode}"), m);
    }
    for class in (0u16..=300).chain([0x8001, 0xfe00, 0xffff]) {
        let mut q = header_and_question(class, 0x0100, 1);
        let len = q.len();
        q[len - 2..].copy_from_slice(&class.to_be_bytes());
        c.push(format!("class {class} question"), q);
        let id = c.payloads.len() as u16;
        c.push(
            format!("class {class} answer"),
            response_with(id, 1, 1, class, &[192, 0, 2, 1]),
        );
        let id = c.payloads.len() as u16;
        c.push(
            format!("class {class} TXT answer"),
            response_with(id, 16, 16, class, b"\x02hi"),
        );
    }
    // EDNS options: 16 codes per message with a value that fits each known option.
    let option_value = |code: u16| -> Vec<u8> {
        match code {
            5..=7 => vec![8, 13, 15],
            8 => vec![0, 1, 24, 0, 192, 0, 2],
            9 => vec![0, 0, 14, 16],
            10 => vec![1, 2, 3, 4, 5, 6, 7, 8],
            11 => vec![0, 100],
            12 => vec![0; 4],
            13 => b"\x07example\x03com\x00".to_vec(),
            14 => vec![0x30, 0x39],
            15 => b"\x00\x06bogus".to_vec(),
            _ => vec![0xa1, 0xb2, 0xc3, 0xd4],
        }
    };
    for first in (0u32..65536).step_by(16) {
        let mut options = Vec::new();
        for code in first..first + 16 {
            let code = code as u16;
            let value = option_value(code);
            options.extend_from_slice(&code.to_be_bytes());
            options.extend_from_slice(&(value.len() as u16).to_be_bytes());
            options.extend_from_slice(&value);
        }
        let mut q = header_and_question(first as u16, 0x0100, 1);
        q[11] = 1;
        q.extend_from_slice(&opt_record(0, &options));
        c.push(format!("options {first}-{}", first + 15), q);
    }
    for code in (0u16..=20).chain([26946, 65001, 65535]) {
        for len in [0usize, 1, 2, 3, 5, 7, 9, 17, 33] {
            let value: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(37)).collect();
            let mut options = code.to_be_bytes().to_vec();
            options.extend_from_slice(&(len as u16).to_be_bytes());
            options.extend_from_slice(&value);
            let mut q = header_and_question(code, 0x0100, 1);
            q[11] = 1;
            q.extend_from_slice(&opt_record(0, &options));
            c.push(format!("option {code} length {len}"), q.clone());
            // The same option claiming more bytes than the record holds.
            let mut cut = q.clone();
            let at = cut.len() - value.len() - 2;
            cut[at..at + 2].copy_from_slice(&(len as u16 + 4).to_be_bytes());
            c.push(format!("option {code} length {len} overrun"), cut);
        }
    }
    // Label kinds.
    for byte in 0u8..=255 {
        let name = [&[3, b'a', byte, b'b'][..], b"\x07example\x00"].concat();
        c.push(
            format!("label byte {byte}"),
            query_with_name(byte.into(), &name),
        );
    }
    let long63 = [&[63][..], &[b'x'; 63], b"\x03com\x00"].concat();
    let mut names: Vec<(&str, Vec<u8>)> = vec![
        ("dot in label", b"\x03a.b\x03com\x00".to_vec()),
        ("space in label", b"\x03a b\x03com\x00".to_vec()),
        ("63-byte label", long63),
        ("root", vec![0]),
        ("reserved label type 0x80", b"\x03www\x80\x00".to_vec()),
        ("extended label 0x40", b"\x03www\x40\x00".to_vec()),
        ("pointer to itself", vec![0xc0, 12]),
        (
            "pointer forward",
            vec![0xc0, 14, 0, 1, 0, 1, 3, b'f', b'w', b'd', 0],
        ),
        ("pointer beyond the message", vec![0xc0, 0xff]),
        (
            "pointer into the header",
            vec![3, b'w', b'w', b'w', 0xc0, 2],
        ),
        ("label past the end", vec![9, b'a', b'b']),
    ];
    for bits in [1u8, 7, 8, 9, 24, 32, 100, 255, 0] {
        let bytes = if bits == 0 {
            32
        } else {
            usize::from(bits).div_ceil(8)
        };
        let mut name = vec![0x41, bits];
        name.extend((0..bytes).map(|i| 0xa5u8.wrapping_add(i as u8)));
        name.extend_from_slice(b"\x07example\x00");
        names.push(("bitstring label", name));
    }
    // Over 255 bytes: five 63-byte labels.
    let mut huge = Vec::new();
    for _ in 0..5 {
        huge.push(63);
        huge.extend_from_slice(&[b'h'; 63]);
    }
    huge.push(0);
    names.push(("name over 255 bytes", huge));
    for (label, name) in names {
        let id = c.payloads.len() as u16;
        c.push(label.to_string(), query_with_name(id, &name));
    }
    // A two-pointer loop in an answer's owner and in its data.
    let mut looped = header_and_question(7, 0x8180, 1);
    looped[7] = 2;
    let a = looped.len();
    looped.extend_from_slice(&[0xc0, (a + 12) as u8, 0, 5, 0, 1, 0, 0, 0, 1, 0, 2]);
    looped.extend_from_slice(&[0xc0, a as u8]);
    looped.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 192, 0, 2, 1]);
    c.push("pointer loop".into(), looped);
    udp_capture_on(path, &c.payloads, |i| (53, 1024 + (i % 60000) as u16));
    c
}

/// More record data for the types whose fields branch on their values (flags, kinds,
/// families, modes, lengths), besides [`sample_rdata`].
pub fn rdata_variants(rtype: u16) -> Vec<Vec<u8>> {
    let name = [0xc0u8, 12];
    let cat = |parts: &[&[u8]]| parts.concat();
    match rtype {
        11 => vec![
            vec![192, 0, 2, 1, 17, 0, 0x80, 0x01],
            vec![192, 0, 2, 1, 99],
        ],
        13 => vec![b"\x00\x00".to_vec(), b"\x04c\x00pu\x03o\xffs".to_vec()],
        16 => vec![
            b"\x05he\x00lo".to_vec(),
            b"\x00".to_vec(),
            b"\x03\xc3\xa9x".to_vec(),
        ],
        19 => vec![
            b"\x051\x0023".to_vec(),
            b"\x00".to_vec(),
            b"\x03\xff12".to_vec(),
        ],
        20 => vec![
            b"\x0a1234567890".to_vec(),
            b"\x0a1234567890\x00".to_vec(),
            b"\x0a1234567890\x01".to_vec(),
            b"\x021\x00\x00".to_vec(),
        ],
        25 => vec![
            vec![0xc0, 0x00, 3, 1],
            vec![0x3f, 0xff, 3, 1, 0, 1, 0xab, 0xcd, 0xef],
            vec![0x80, 0x00, 2, 5, 1, 2, 3],
            vec![0x40, 0x00, 3, 8],
        ],
        26 => vec![cat(&[&[0xff, 0xff], b"\x00\x00"])],
        27 => vec![b"\x00\x00\x00".to_vec(), b"\x01-\x02+1\x03\x001x".to_vec()],
        30 => vec![
            cat(&[&name, &[0xff, 0xff, 0x80]]),
            name.to_vec(),
            cat(&[&name, &[0, 0, 0, 0, 0x01]]),
        ],
        37 => vec![
            vec![0, 253, 0x12, 0x34, 253, 0xaa],
            vec![0, 254, 0, 0, 1],
            vec![0, 9, 0xff, 0xff, 200, 1, 2],
            vec![0xff, 0xff, 0, 1, 16, 0],
        ],
        38 => vec![
            cat(&[&[0], &[0x20, 0x01, 0x0d, 0xb8], &[0; 11], &[1]]),
            cat(&[&[128], &name]),
            cat(&[&[1], &[0x7f], &[0xff; 14], &name]),
            cat(&[&[120], &[0xab], &name]),
            cat(&[&[200], &[0; 16], &name]),
        ],
        42 => vec![
            vec![0, 1, 32, 4, 10, 0, 0, 1],
            vec![0, 1, 8, 0x80],
            vec![0, 1, 32, 5, 1, 2, 3, 4, 5],
            vec![
                0, 2, 128, 16, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
            ],
            vec![
                0, 2, 64, 17, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
            ],
            vec![0, 3, 24, 2, 0xab, 0xcd],
            vec![0, 1, 24, 3, 192, 0, 2, 0],
        ],
        43 => vec![vec![0xff, 0xff, 253, 5, 1], vec![0, 1, 1, 0]],
        44 => vec![vec![6, 3, 0xab], vec![0, 0]],
        45 => vec![
            vec![0, 0, 1, 1, 2, 3],
            vec![
                20, 2, 2, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xaa,
            ],
            cat(&[&[30, 3, 3], &name, &[0xbb]]),
            vec![40, 4, 9, 1, 2, 3, 4],
            cat(&[&[30, 3, 1], &name]),
            vec![1, 1, 2, 192, 0, 2, 1],
        ],
        48 => vec![
            vec![1, 0, 3, 1, 3, 1, 0, 1, 0xaa, 0xbb, 0xcc],
            vec![0xff, 0xff, 3, 253],
        ],
        50 => vec![vec![1, 1, 0, 0, 0, 4, 1, 2, 3, 4, 0]],
        52 => vec![
            vec![4, 2, 3, 0xaa],
            vec![0, 0, 0],
            vec![255, 255, 255, 1, 2],
        ],
        55 => vec![
            cat(&[&[1, 1, 0, 1], &[0xaa], &[1], &name, &name]),
            vec![0, 3, 0, 0],
            cat(&[&[1, 0, 0, 0], &[0xaa], &name]),
        ],
        61 => vec![b"mQENBFZ".to_vec(), b"ab\x00\x00".to_vec()],
        62 => vec![
            vec![0xff, 0xff, 0xff, 0xff, 0, 0],
            vec![0, 0, 0, 1, 0xff, 0xfc, 0, 1, 0x40],
        ],
        63 => [0u8, 2, 240, 255]
            .iter()
            .zip([0u8, 2, 3, 250])
            .map(|(&s, h)| vec![0xff, 0xff, 0xff, 0xff, s, h, 0x12])
            .chain([vec![0, 0, 0, 1, 1, 1]])
            .collect(),
        109 => vec![vec![0xff; 8]],
        249 => [1u16, 3, 4, 5, 6]
            .iter()
            .map(|&mode| {
                cat(&[
                    &name,
                    &[0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
                    &mode.to_be_bytes(),
                    &[0, 18, 0, 0, 0, 3, 1, 2, 3],
                ])
            })
            .chain([cat(&[&name, &[0; 8], &[0, 2, 0, 16, 0, 1, 0xaa, 0, 0]])])
            .collect(),
        250 => vec![
            cat(&[
                &name,
                &[
                    0xff, 0xff, 0x5f, 0x5e, 0x10, 0, 0, 10, 0, 0, 0x12, 0x34, 0, 16, 0, 2, 1, 2,
                ],
            ]),
            cat(&[
                b"\x08hmac-md5\x07sig-alg\x03reg\x03int\x00",
                &[0, 0, 0, 0, 0, 1, 0, 1, 0, 2, 0xab, 0xcd, 0, 7, 0, 18, 0, 6],
                &[0, 0, 0x5f, 0x5e, 0x10, 0],
            ]),
        ],
        257 => vec![
            b"\x80\x09issuewildca.example".to_vec(),
            b"\x00\x05iodefmailto:a@example.com".to_vec(),
            b"\x00\x03fooba\x00r".to_vec(),
            b"\x01\x00".to_vec(),
            b"\x00\x05issue".to_vec(),
        ],
        65281 => vec![
            vec![0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0x0e, 0x10, 0, 0, 0, 0],
            vec![
                0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0x0e, 0x10, 0, 0, 0, 2, 192, 0, 2, 1, 192, 0, 2, 2,
            ],
            vec![
                0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0x0e, 0x10, 0, 0, 0, 9, 192, 0, 2, 1,
            ],
        ],
        65282 => vec![cat(&[&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], b"\x00"])],
        65422 => vec![
            vec![4, 6, 192, 0, 2, 1, 198, 51, 100, 1, 0x30, 0x39, 0, 53],
            [
                &[6u8, 17][..],
                &[0x20, 1, 0x0d, 0xb8],
                &[0; 12],
                &[0x20, 1, 0x0d, 0xb8],
                &[0; 11],
                &[1],
                &[0, 1, 0, 53],
            ]
            .concat(),
            vec![4, 99, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2],
        ],
        _ => Vec::new(),
    }
}

/// Responses with one answer of each type code 0–300 (and the meta and private types
/// with their own dissectors): the sample data and each variant of
/// [`rdata_variants`], whole, and cut at every length (the record and the message
/// ending there), so that each field's reading past the end is met.
pub fn record_capture(path: &Path) -> Cases {
    let mut c = Cases {
        payloads: Vec::new(),
        labels: Vec::new(),
    };
    let types = (0u16..=300).chain([32768, 32769, 65281, 65282, 65422]);
    for rtype in types {
        let mut datas = vec![sample_rdata(rtype)];
        datas.extend(rdata_variants(rtype));
        for (v, data) in datas.iter().enumerate() {
            for len in (0..=data.len()).rev() {
                let id = c.payloads.len() as u16;
                let label = if len == data.len() {
                    format!("type {rtype} variant {v}")
                } else {
                    format!("type {rtype} variant {v} cut to {len}")
                };
                c.push(
                    label,
                    response_with(id, rtype.max(1), rtype, 1, &data[..len]),
                );
                // Cuts are many for long data: every length up to 12, then a few.
                if len > 12 && len % 5 != 0 && len != data.len() {
                    c.payloads.pop();
                    c.labels.pop();
                }
            }
        }
    }
    udp_capture_on(path, &c.payloads, |i| (53, 1024 + (i % 60000) as u16));
    c
}

/// A DNS query frame over UDP or TCP (length-prefixed) between the given endpoints,
/// built whole (checksums right) before a case changes its header bytes.
fn dns_frame(link: &LinkSpec, ip: &IpSpec, tcp: Option<(u32, u16)>, ports: (u16, u16)) -> Vec<u8> {
    let query = header_and_question(ports.0, 0x0100, 1);
    let (transport, payload) = match tcp {
        None => (
            Transport::Udp {
                sport: ports.0,
                dport: ports.1,
            },
            query,
        ),
        Some((seq, window)) => {
            let mut header = etherparse::TcpHeader::new(ports.0, ports.1, seq, window);
            header.ack = true;
            header.psh = true;
            header.acknowledgment_number = seq ^ 0x5555_5555;
            let mut payload = (query.len() as u16).to_be_bytes().to_vec();
            payload.extend_from_slice(&query);
            (Transport::Tcp(header), payload)
        }
    };
    let mut frame = Vec::new();
    build_frame(link, ip, &transport, &payload, &mut frame).unwrap();
    frame
}

/// Captures whose headers below DNS cover what `-V` shows of them: every DS byte of
/// IPv4 and traffic class of IPv6, flow labels, the IPv4 flag bits, TTLs and ids,
/// MAC addresses with each LG and IG bit, 802.1Q tags of every priority with and
/// without DEI, UDP zero checksums over IPv4 and IPv6, UDP lengths past the packet,
/// TCP flag combinations, windows and urgent pointers, raw IP frames, and pcapng
/// interfaces named by name, description, hardware or nothing, over two sections, with
/// and without packet flags. Returns the files and the DNS messages each holds.
pub fn lower_layer_captures(dir: &Path) -> Vec<(std::path::PathBuf, usize)> {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let link = |first: u8, vlans: Vec<u16>| LinkSpec {
        src_mac: Mac([first, 0x11, 0x22, 0x33, 0x44, 0x55]),
        dst_mac: Mac([first ^ 3, 0x66, 0x77, 0x88, 0x99, 0xaa]),
        vlans,
    };
    let v4 = |ttl: u8, id: u16| IpSpec {
        src: "192.0.2.1".parse().unwrap(),
        dst: "198.51.100.2".parse().unwrap(),
        ttl,
        id,
    };
    let v6 = |ttl: u8| IpSpec {
        src: "2001:db8::1".parse().unwrap(),
        dst: "2001:db8:0:1::53".parse().unwrap(),
        ttl,
        id: 0,
    };
    let mut frames: Vec<Vec<u8>> = Vec::new();
    // Ports differ frame by frame: each is a conversation of its own.
    let mut port = 20000u16;
    let mut ports = || {
        port += 1;
        (port, 53)
    };
    const ETH: usize = 14;
    for ds in 0..=255u8 {
        // IPv4: the DS byte, the reserved and don't-fragment bits, TTL and id.
        let mut f = dns_frame(&link(ds & 3, vec![]), &v4(ds, next() as u16), None, ports());
        f[ETH + 1] = ds;
        f[ETH + 6] = (ds & 0xc0) | (f[ETH + 6] & 0x1f);
        frames.push(f);
        // IPv6: the traffic class and a flow label.
        let mut f = dns_frame(&link(2, vec![]), &v6(255 - ds), None, ports());
        let flow = next() as u32 & 0x000f_ffff;
        let word = 0x6000_0000 | u32::from(ds) << 20 | flow;
        f[ETH..ETH + 4].copy_from_slice(&word.to_be_bytes());
        frames.push(f);
    }
    for tci in 0..16u16 {
        // 802.1Q: every priority, with and without DEI.
        let mut f = dns_frame(&link(0, vec![100]), &v4(64, 1), None, ports());
        let tci = (tci << 12) | (next() as u16 & 0x0fff);
        f[ETH..ETH + 2].copy_from_slice(&tci.to_be_bytes());
        frames.push(f);
    }
    for (i, spec) in [v4(64, 7), v6(64)].iter().enumerate() {
        let ip_len = if i == 0 { 20 } else { 40 };
        // A zero UDP checksum; UDP lengths past the packet and short of it.
        let mut f = dns_frame(&link(0, vec![]), spec, None, ports());
        f[ETH + ip_len + 6..ETH + ip_len + 8].fill(0);
        frames.push(f);
        for delta in [1i32, 100, -1, -5] {
            let mut f = dns_frame(&link(0, vec![]), spec, None, ports());
            let at = ETH + ip_len + 4;
            let length = i32::from(u16::from_be_bytes([f[at], f[at + 1]])) + delta;
            f[at..at + 2].copy_from_slice(&(length as u16).to_be_bytes());
            frames.push(f);
        }
    }
    for bits in 0..512u16 {
        // TCP: ACK with each combination of the other flags but SYN and RST, and of
        // the reserved bits; windows, urgent pointers and sequence numbers.
        const OPTIONAL: [u16; 9] = [
            0x001, 0x008, 0x020, 0x040, 0x080, 0x100, 0x200, 0x400, 0x800,
        ];
        let flags = OPTIONAL
            .iter()
            .enumerate()
            .filter(|(i, _)| bits >> i & 1 == 1)
            .fold(0x010, |flags, (_, bit)| flags | bit);
        let spec = if bits % 2 == 0 { v4(64, 9) } else { v6(64) };
        let ip_len = if bits % 2 == 0 { 20 } else { 40 };
        let mut f = dns_frame(
            &link(0, vec![]),
            &spec,
            Some((next() as u32, next() as u16)),
            ports(),
        );
        let t = ETH + ip_len;
        f[t + 12] = (f[t + 12] & 0xf0) | (flags >> 8) as u8;
        f[t + 13] = flags as u8;
        f[t + 18..t + 20].copy_from_slice(&(next() as u16).to_be_bytes());
        frames.push(f);
    }
    let mut out = Vec::new();
    // Ethernet, as pcap.
    let path = dir.join("lower-ethernet.pcap");
    let mut w = ethernet_pcap(&path);
    for (i, f) in frames.iter().enumerate() {
        let ts = pcaptool::capture::Timestamp::new(i as i64, 0);
        w.write_packet(0, ts, f.len() as u32, f).unwrap();
    }
    w.finish().unwrap();
    out.push((path, frames.len()));
    // Raw IP: the same packets without their Ethernet header.
    let path = dir.join("lower-raw.pcap");
    let mut w = pcap_of(&path, LinkType::RAW);
    let raw: Vec<&Vec<u8>> = frames.iter().filter(|f| f[12..14] != [0x81, 0]).collect();
    for (i, f) in raw.iter().enumerate() {
        let ip = &f[ETH..];
        let ts = pcaptool::capture::Timestamp::new(i as i64, 0);
        w.write_packet(0, ts, ip.len() as u32, ip).unwrap();
    }
    w.finish().unwrap();
    out.push((path, raw.len()));
    // pcapng: interfaces named each way, in two sections.
    let path = dir.join("lower-interfaces.pcapng");
    let named: [&[(u16, &[u8])]; 4] = [
        &[(2, b"eth0"), (3, b"first port")],
        &[(3, b"Wi-Fi")],
        &[(15, b"Example NIC")],
        &[],
    ];
    let mut b = Vec::new();
    let mut count = 0;
    for section in 0..2 {
        pcapng_block(&mut b, 0x0a0d_0d0a, &{
            let mut body = 0x1a2b_3c4du32.to_le_bytes().to_vec();
            body.extend_from_slice(&[1, 0, 0, 0]);
            body.extend_from_slice(&(-1i64).to_le_bytes());
            body
        });
        let interfaces: &[&[(u16, &[u8])]] = if section == 0 {
            &named
        } else {
            &[&[(2, b"lo")], &[]]
        };
        for options in interfaces {
            let mut body = 1u16.to_le_bytes().to_vec();
            body.extend_from_slice(&[0, 0]);
            body.extend_from_slice(&65535u32.to_le_bytes());
            for (code, value) in options.iter() {
                body.extend_from_slice(&code.to_le_bytes());
                body.extend_from_slice(&(value.len() as u16).to_le_bytes());
                body.extend_from_slice(value);
                body.resize(body.len().next_multiple_of(4), 0);
            }
            if !options.is_empty() {
                body.extend_from_slice(&[0; 4]);
            }
            pcapng_block(&mut b, 1, &body);
        }
        for (i, f) in frames.iter().take(40).enumerate() {
            let mut body = ((i % interfaces.len()) as u32).to_le_bytes().to_vec();
            body.extend_from_slice(&0u32.to_le_bytes());
            body.extend_from_slice(&(count as u32 * 1000).to_le_bytes());
            body.extend_from_slice(&(f.len() as u32).to_le_bytes());
            body.extend_from_slice(&(f.len() as u32).to_le_bytes());
            body.extend_from_slice(f);
            body.resize(body.len().next_multiple_of(4), 0);
            // epb_flags: none, each direction, the undefined one, with other bits.
            let flags = [None, Some(1u32), Some(2), Some(3), Some(0x0001_0005)][i % 5];
            if let Some(flags) = flags {
                body.extend_from_slice(&[2, 0, 4, 0]);
                body.extend_from_slice(&flags.to_le_bytes());
                body.extend_from_slice(&[0; 4]);
            }
            pcapng_block(&mut b, 6, &body);
            count += 1;
        }
    }
    std::fs::write(&path, b).unwrap();
    out.push((path, count));
    out
}

/// Appends a pcapng block (little-endian) of type `kind` with `body`.
fn pcapng_block(b: &mut Vec<u8>, kind: u32, body: &[u8]) {
    let total = (12 + body.len()) as u32;
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(body);
    b.extend_from_slice(&total.to_le_bytes());
}
