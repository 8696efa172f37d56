//! Recording a live exchange (what a client sent and received, with real timestamps,
//! addresses and ports) as Ethernet frames in a capture: UDP datagrams as they were, a
//! TCP connection as a whole session (handshake, data at the MSS, close).

use std::net::SocketAddr;
use std::time::SystemTime;

use super::tcp_session::{Endpoint, Side, TcpSession};
use super::{build_frame, IpSpec, LinkSpec, Mac, Transport};
use crate::capture::Timestamp;
use crate::gen::{FrameSink, GenError};
use crate::rng::Rng;

/// The current time as a capture timestamp.
pub fn now() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::new(d.as_secs() as i64, d.subsec_nanos())
}

/// What went over the wire, to be written as a capture.
#[derive(Default)]
pub struct Recorder {
    events: Vec<Event>,
}

enum Event {
    Udp {
        ts: Timestamp,
        from: SocketAddr,
        to: SocketAddr,
        payload: Vec<u8>,
    },
    TcpOpen {
        ts: Timestamp,
        client: SocketAddr,
        server: SocketAddr,
    },
    TcpData {
        ts: Timestamp,
        side: Side,
        bytes: Vec<u8>,
    },
    TcpClose {
        ts: Timestamp,
    },
}

impl Recorder {
    pub fn udp(&mut self, from: SocketAddr, to: SocketAddr, payload: &[u8]) {
        self.events.push(Event::Udp {
            ts: now(),
            from,
            to,
            payload: payload.to_vec(),
        });
    }
    pub fn tcp_open(&mut self, client: SocketAddr, server: SocketAddr) {
        self.events.push(Event::TcpOpen {
            ts: now(),
            client,
            server,
        });
    }
    pub fn tcp_data(&mut self, side: Side, bytes: &[u8]) {
        self.events.push(Event::TcpData {
            ts: now(),
            side,
            bytes: bytes.to_vec(),
        });
    }
    pub fn tcp_close(&mut self) {
        self.events.push(Event::TcpClose { ts: now() });
    }

    /// Writes the exchange into `out` as a pcap file (microseconds, Ethernet): what
    /// `query --pcap` saves.
    pub fn write_pcap<W: std::io::Write>(&self, server: SocketAddr, out: W) -> Result<W, GenError> {
        use crate::capture::{CaptureWriter, LinkType, OutputFormat, TsResolution};
        let mut writer = CaptureWriter::new(
            out,
            OutputFormat::Pcap,
            TsResolution::Micro,
            LinkType::ETHERNET,
            262_144,
        );
        self.replay(server, &mut writer)?;
        Ok(writer.finish()?)
    }

    /// Writes the exchange as Ethernet frames (locally administered MACs; the real
    /// addresses and ports), checksums computed.
    pub fn replay(&self, server: SocketAddr, sink: &mut impl FrameSink) -> Result<(), GenError> {
        let client_mac = Mac([2, 0, 0, 0, 0, 1]);
        let server_mac = Mac([2, 0, 0, 0, 0, 2]);
        let link = LinkSpec {
            src_mac: client_mac,
            dst_mac: server_mac,
            vlans: vec![],
        };
        let mut session: Option<TcpSession> = None;
        let mut rng = Rng::from_entropy();
        let mut frames: Vec<(Timestamp, Vec<u8>)> = Vec::new();
        let mut ip_id = 1u16;
        for event in &self.events {
            match event {
                Event::Udp {
                    ts,
                    from,
                    to,
                    payload,
                } => {
                    let outbound = from.ip() != server.ip() || from.port() != server.port();
                    let link = if outbound {
                        link.clone()
                    } else {
                        link.reversed()
                    };
                    let ip = IpSpec {
                        src: from.ip(),
                        dst: to.ip(),
                        ttl: 64,
                        id: ip_id,
                    };
                    ip_id = ip_id.wrapping_add(1);
                    let mut frame = Vec::new();
                    build_frame(
                        &link,
                        &ip,
                        &Transport::Udp {
                            sport: from.port(),
                            dport: to.port(),
                        },
                        payload,
                        &mut frame,
                    )?;
                    frames.push((*ts, frame));
                }
                Event::TcpOpen { ts, client, server } => {
                    let c = Endpoint {
                        addr: client.ip(),
                        port: client.port(),
                        isn: rng.next_u32(),
                    };
                    let s = Endpoint {
                        addr: server.ip(),
                        port: server.port(),
                        isn: rng.next_u32(),
                    };
                    let mut sess = TcpSession::new(link.clone(), c, s, 64, 65_535);
                    sess.open(&mut |f| frames.push((*ts, f.to_vec())))?;
                    session = Some(sess);
                }
                Event::TcpData { ts, side, bytes } => {
                    if let Some(sess) = session.as_mut() {
                        sess.send(*side, bytes, &mut |f| frames.push((*ts, f.to_vec())))?;
                    }
                }
                Event::TcpClose { ts } => {
                    if let Some(mut sess) = session.take() {
                        sess.close(&mut |f| frames.push((*ts, f.to_vec())))?;
                    }
                }
            }
        }
        for (ts, frame) in frames {
            sink.frame(ts, &frame)?;
        }
        Ok(())
    }
}
