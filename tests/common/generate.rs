//! Generated captures for the differential tests against tshark: UDP frames from
//! payloads, DNS headers and questions, and where our Info column differs from tshark's.

use std::path::Path;

use pcaptool::capture::{CaptureWriter, LinkType, OutputFormat, TsResolution};
use pcaptool::packet::{build_frame, IpSpec, LinkSpec, Mac, Transport};

use super::{run, tshark};

/// A new Ethernet pcap file (microseconds) at `path`.
pub fn ethernet_pcap(path: &Path) -> CaptureWriter<std::fs::File> {
    let file = std::fs::File::create(path).unwrap();
    CaptureWriter::new(
        file,
        OutputFormat::Pcap,
        TsResolution::Micro,
        LinkType::ETHERNET,
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
