//! A complete TCP connection as frames: three-way handshake, data in both directions
//! with correct sequence and acknowledgement numbers (split at the MSS), and an orderly
//! close. Used for DNS over TCP in `gen dns --tcp` and for recording `query` exchanges.

use std::net::IpAddr;

use etherparse::TcpHeader;

use super::{build_frame, BuildError, IpSpec, LinkSpec, Transport, MTU};

/// One side of the connection.
#[derive(Clone, Copy, Debug)]
pub struct Endpoint {
    pub addr: IpAddr,
    pub port: u16,
    /// Initial sequence number.
    pub isn: u32,
}

/// Which side sends a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

struct SideState {
    end: Endpoint,
    /// Next sequence number this side sends.
    next_seq: u32,
    ip_id: u16,
}

/// Builds the frames of one connection; each method appends whole frames via `emit`.
pub struct TcpSession {
    link: LinkSpec,
    client: SideState,
    server: SideState,
    ttl: u8,
    window: u16,
}

impl TcpSession {
    pub fn new(link: LinkSpec, client: Endpoint, server: Endpoint, ttl: u8, window: u16) -> Self {
        let side = |end: Endpoint| SideState {
            end,
            next_seq: end.isn,
            ip_id: (end.isn >> 16) as u16,
        };
        TcpSession {
            link,
            client: side(client),
            server: side(server),
            ttl,
            window,
        }
    }

    /// Largest segment payload that keeps a frame within the Ethernet MTU.
    fn mss(&self) -> usize {
        let ip_header = if self.client.end.addr.is_ipv6() {
            40
        } else {
            20
        };
        MTU - ip_header - 20
    }

    fn segment(
        &mut self,
        from: Side,
        flags: Flags,
        payload: &[u8],
        emit: &mut dyn FnMut(&[u8]),
    ) -> Result<(), BuildError> {
        let (me, peer, link) = match from {
            Side::Client => (&mut self.client, &self.server, self.link.clone()),
            Side::Server => (&mut self.server, &self.client, self.link.reversed()),
        };
        let mut header = TcpHeader::new(me.end.port, peer.end.port, me.next_seq, self.window);
        header.syn = flags.syn;
        header.fin = flags.fin;
        header.psh = flags.psh;
        if flags.ack {
            header.ack = true;
            header.acknowledgment_number = peer.next_seq;
        }
        let ip = IpSpec {
            src: me.end.addr,
            dst: peer.end.addr,
            ttl: self.ttl,
            id: me.ip_id,
        };
        let mut frame = Vec::with_capacity(MTU + 22);
        build_frame(&link, &ip, &Transport::Tcp(header), payload, &mut frame)?;
        me.ip_id = me.ip_id.wrapping_add(1);
        // SYN and FIN each take one sequence number.
        me.next_seq = me
            .next_seq
            .wrapping_add(payload.len() as u32 + u32::from(flags.syn) + u32::from(flags.fin));
        emit(&frame);
        Ok(())
    }

    /// SYN, SYN-ACK, ACK.
    pub fn open(&mut self, emit: &mut dyn FnMut(&[u8])) -> Result<(), BuildError> {
        self.segment(Side::Client, Flags::SYN, &[], emit)?;
        self.segment(Side::Server, Flags::SYN_ACK, &[], emit)?;
        self.segment(Side::Client, Flags::ACK, &[], emit)
    }

    /// Sends `data` from one side, in MSS-sized PSH/ACK segments.
    pub fn send(
        &mut self,
        from: Side,
        data: &[u8],
        emit: &mut dyn FnMut(&[u8]),
    ) -> Result<(), BuildError> {
        let mss = self.mss();
        for chunk in data.chunks(mss) {
            self.segment(from, Flags::PSH_ACK, chunk, emit)?;
        }
        Ok(())
    }

    /// A bare acknowledgement from one side.
    pub fn ack(&mut self, from: Side, emit: &mut dyn FnMut(&[u8])) -> Result<(), BuildError> {
        self.segment(from, Flags::ACK, &[], emit)
    }

    /// FIN-ACK from the client, FIN-ACK from the server, final ACK from the client.
    pub fn close(&mut self, emit: &mut dyn FnMut(&[u8])) -> Result<(), BuildError> {
        self.segment(Side::Client, Flags::FIN_ACK, &[], emit)?;
        self.segment(Side::Server, Flags::FIN_ACK, &[], emit)?;
        self.segment(Side::Client, Flags::ACK, &[], emit)
    }
}

#[derive(Clone, Copy)]
struct Flags {
    syn: bool,
    ack: bool,
    psh: bool,
    fin: bool,
}

impl Flags {
    const SYN: Flags = Flags {
        syn: true,
        ack: false,
        psh: false,
        fin: false,
    };
    const SYN_ACK: Flags = Flags {
        syn: true,
        ack: true,
        psh: false,
        fin: false,
    };
    const ACK: Flags = Flags {
        syn: false,
        ack: true,
        psh: false,
        fin: false,
    };
    const PSH_ACK: Flags = Flags {
        syn: false,
        ack: true,
        psh: true,
        fin: false,
    };
    const FIN_ACK: Flags = Flags {
        syn: false,
        ack: true,
        psh: false,
        fin: true,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::Mac;
    use etherparse::{SlicedPacket, TransportSlice};

    #[test]
    fn sequence_numbers_follow_the_data() {
        let link = LinkSpec {
            src_mac: Mac([2, 0, 0, 0, 0, 1]),
            dst_mac: Mac([2, 0, 0, 0, 0, 2]),
            vlans: vec![],
        };
        let client = Endpoint {
            addr: "10.0.0.1".parse().unwrap(),
            port: 5000,
            isn: 100,
        };
        let server = Endpoint {
            addr: "10.0.0.2".parse().unwrap(),
            port: 53,
            isn: 9000,
        };
        let mut s = TcpSession::new(link, client, server, 64, 65535);
        let mut frames: Vec<Vec<u8>> = Vec::new();
        let mut emit = |f: &[u8]| frames.push(f.to_vec());
        s.open(&mut emit).unwrap();
        s.send(Side::Client, &[1; 3000], &mut emit).unwrap();
        s.send(Side::Server, &[2; 10], &mut emit).unwrap();
        s.close(&mut emit).unwrap();
        let tcp: Vec<(u32, u32, usize)> = frames
            .iter()
            .map(|f| {
                let p = SlicedPacket::from_ethernet(f).unwrap();
                let Some(TransportSlice::Tcp(t)) = p.transport else {
                    panic!()
                };
                (
                    t.sequence_number(),
                    t.acknowledgment_number(),
                    t.payload().len(),
                )
            })
            .collect();
        assert_eq!(
            tcp,
            [
                (100, 0, 0),
                (9000, 101, 0),
                (101, 9001, 0),
                (101, 9001, 1460),
                (1561, 9001, 1460),
                (3021, 9001, 80),
                (9001, 3101, 10),
                (3101, 9011, 0),
                (9011, 3102, 0),
                (3102, 9012, 0),
            ]
        );
        assert!(frames.iter().all(|f| f.len() <= 1514));
    }
}
