//! The `gen` engine: traffic plans (a SYN flood, UDP datagrams, DNS over UDP or TCP
//! with responses, a mix of many flows) written as Ethernet frames into a
//! [`FrameSink`]: a capture writer, or memory for tests.
//!
//! Every frame carries correct checksums and is padded to the Ethernet minimum; a
//! `seed` and a `start` make runs reproducible byte for byte.
//!
//! ```
//! use pcaptool::capture::Timestamp;
//! use pcaptool::gen::{generate, Config, Frames, Traffic};
//! let mut config = Config::new(Traffic::Syn { window: 64240, seq: pcaptool::gen::IdSpec::Random });
//! config.count = Some(3);
//! config.seed = Some(7);
//! config.start = Some(Timestamp::new(1_700_000_000, 0));
//! let mut frames = Frames::default();
//! generate(&config, &mut frames).unwrap();
//! assert_eq!(frames.0.len(), 3);
//! // 14 Ethernet + 20 IPv4 + 20 TCP bytes, padded to the 60-byte minimum.
//! assert!(frames.0.iter().all(|(_, f)| f.len() == 60 && f[47] == 0x02)); // SYN flag
//! assert_eq!(frames.0[1].0, Timestamp::new(1_700_000_000, 1_000_000)); // 1000 packets/s
//! ```

use std::io;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use etherparse::TcpHeader;

use crate::capture::{CaptureWriter, Timestamp};
use crate::dns::wire::registry as types;
use crate::dns::wire::Flags;
use crate::dns::{Edns, Message, Name, RData, Record};
use crate::packet::tcp_session::{Endpoint, Side, TcpSession};
use crate::packet::{
    build_frame, AddrRange, BuildError, FrameTemplate, IpSpec, LinkSpec, Mac, Patch, PortSpec,
    Transport,
};
use crate::rng::Rng;

/// Where generated frames go.
pub trait FrameSink {
    /// Appends a frame of `len` bytes that `fill` writes in place (into zeros).
    fn frame_with(
        &mut self,
        ts: Timestamp,
        len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> io::Result<()>;

    /// Appends a finished frame.
    fn frame(&mut self, ts: Timestamp, data: &[u8]) -> io::Result<()> {
        self.frame_with(ts, data.len(), |out| out.copy_from_slice(data))
    }
}

/// Frames are written whole (original length = captured length) on interface 0.
impl<W: io::Write> FrameSink for CaptureWriter<W> {
    fn frame_with(
        &mut self,
        ts: Timestamp,
        len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> io::Result<()> {
        self.write_packet_with(0, ts, len as u32, len, fill)
    }
}

/// Frames kept in memory with their timestamps.
#[derive(Debug, Default)]
pub struct Frames(pub Vec<(Timestamp, Vec<u8>)>);

impl FrameSink for Frames {
    fn frame_with(
        &mut self,
        ts: Timestamp,
        len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> io::Result<()> {
        let mut frame = vec![0; len];
        fill(&mut frame);
        self.0.push((ts, frame));
        Ok(())
    }
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// The configuration asks for something impossible (checked before any frame).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error("cannot write a frame: {0}")]
    Io(#[from] io::Error),
}

/// What traffic to generate.
#[derive(Clone, Debug)]
pub enum Traffic {
    /// TCP SYNs: `window`, and each SYN's sequence number.
    Syn { window: u16, seq: IdSpec },
    /// UDP datagrams carrying `payload`.
    Udp { payload: Vec<u8> },
    /// DNS queries, optionally answered.
    Dns(DnsTraffic),
    /// Many interleaved TCP and UDP flows with realistic packet sizes.
    Mix { flows: u64 },
}

/// DNS queries (names used in turn) and their responses.
#[derive(Clone, Debug)]
pub struct DnsTraffic {
    /// Names to ask, used in turn; then those of `names_file`, when given.
    pub names: Vec<Name>,
    /// A file of names, one per line, read as it is needed (and again from its start
    /// when `count` asks for more): memory does not grow with it. Standard input
    /// cannot be read twice: put its names in `names`.
    pub names_file: Option<PathBuf>,
    pub qtype: u16,
    pub class: u16,
    pub id: IdSpec,
    pub recursion_desired: bool,
    /// Add an OPT record (also implied by `edns_size` and `dnssec_ok`).
    pub edns: bool,
    pub edns_size: Option<u16>,
    pub dnssec_ok: bool,
    /// Each query in its own TCP connection (handshake, data, close).
    pub tcp: bool,
    /// Add responses (also implied by `answers` and `rcode`).
    pub responses: bool,
    /// A or AAAA answers, by address family.
    pub answers: Vec<IpAddr>,
    /// Response code (EDNS-extended above 15); NXDOMAIN adds the parent zone's SOA.
    pub rcode: Option<u16>,
    pub answer_ttl: u32,
}

/// A traffic plan: what and how, with every default resolved by [`generate`] from the
/// kind of traffic (see `pcaptool gen --help`).
#[derive(Clone, Debug)]
pub struct Config {
    pub traffic: Traffic,
    /// Packets (syn, udp, mix) or queries (dns); defaults depend on the traffic.
    pub count: Option<u64>,
    pub src: Option<AddrRange>,
    pub dst: Option<AddrRange>,
    pub random_src: bool,
    pub random_dst: bool,
    /// IPv6 default addresses.
    pub ipv6: bool,
    pub sport: Option<PortSpec>,
    pub dport: Option<PortSpec>,
    pub src_mac: Mac,
    pub dst_mac: Mac,
    pub ttl: u8,
    pub ip_id: IdSpec,
    /// At most two: 802.1ad outer, 802.1Q inner.
    pub vlans: Vec<u16>,
    /// Packets per second (default 1000), or a fixed `interval`.
    pub rate: Option<f64>,
    pub interval: Option<Duration>,
    /// Timestamp of the first packet (default: now).
    pub start: Option<Timestamp>,
    /// Seed for every random choice (default: from the system).
    pub seed: Option<u64>,
}

impl Config {
    /// `traffic` with every other setting at its default.
    pub fn new(traffic: Traffic) -> Config {
        Config {
            traffic,
            count: None,
            src: None,
            dst: None,
            random_src: false,
            random_dst: false,
            ipv6: false,
            sport: None,
            dport: None,
            src_mac: Mac([2, 0, 0, 0, 0, 1]),
            dst_mac: Mac([2, 0, 0, 0, 0, 2]),
            ttl: 64,
            ip_id: IdSpec::Increment,
            vlans: Vec::new(),
            rate: None,
            interval: None,
            start: None,
            seed: None,
        }
    }
}

/// The names of `traffic` in turn, for ever: the list, then the file (read again from
/// its start each time round).
struct NameCycle<'a> {
    list: &'a [Name],
    file: Option<&'a std::path::Path>,
    at: usize,
    reading: Option<crate::names::NamesFile>,
}

impl<'a> NameCycle<'a> {
    fn new(traffic: &'a DnsTraffic) -> Result<Self, GenError> {
        Ok(NameCycle {
            list: &traffic.names,
            file: traffic.names_file.as_deref(),
            at: 0,
            reading: None,
        })
    }

    fn next(&mut self) -> Result<Name, GenError> {
        // Bounded: a round with no name at all is an error, found by `plan`.
        for _ in 0..3 {
            if let Some(name) = self.list.get(self.at) {
                self.at += 1;
                return Ok(name.clone());
            }
            if let Some(path) = self.file {
                if self.reading.is_none() {
                    self.reading = Some(
                        crate::names::NamesFile::open(path)
                            .map_err(|e| GenError::Invalid(e.to_string()))?,
                    );
                }
                if let Some(file) = self.reading.as_mut() {
                    match file.next_line() {
                        Some(Ok((line, text))) => {
                            return text.parse::<Name>().map_err(|e| {
                                GenError::Invalid(format!(
                                    "{}:{line}: bad name '{text}': {e}",
                                    file.name()
                                ))
                            })
                        }
                        Some(Err(e)) => return Err(GenError::Invalid(e.to_string())),
                        None => self.reading = None,
                    }
                }
            }
            self.at = 0;
        }
        Err(GenError::Invalid("no names to ask".into()))
    }
}

/// Reads a names file through once: every line must be a name; returns how many.
fn count_names(path: &std::path::Path) -> Result<u64, GenError> {
    let mut file =
        crate::names::NamesFile::open(path).map_err(|e| GenError::Invalid(e.to_string()))?;
    let mut count = 0;
    while let Some(line) = file.next_line() {
        let (line, text) = line.map_err(|e| GenError::Invalid(e.to_string()))?;
        text.parse::<Name>().map_err(|e| {
            GenError::Invalid(format!("{}:{line}: bad name '{text}': {e}", file.name()))
        })?;
        count += 1;
    }
    Ok(count)
}

/// Checks `config` and resolves its defaults, before anything is written.
/// Bytes written as hex digits, with optional spaces, colons and `0x` (`de ad:be ef`),
/// for payloads given on a command line.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    let digits = digits.strip_prefix("0x").unwrap_or(&digits);
    if !digits.len().is_multiple_of(2) {
        return Err("odd number of hex digits".into());
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&digits[i..i + 2], 16)
                .map_err(|_| format!("'{}' is not a hex byte", &digits[i..i + 2]))
        })
        .collect()
}

pub fn plan(config: &Config) -> Result<Plan, GenError> {
    Plan::new(config)
}

/// Writes the traffic of `config` into `sink`.
pub fn generate(config: &Config, sink: &mut impl FrameSink) -> Result<(), GenError> {
    plan(config)?.run(&config.traffic, sink)
}

/// A 16- or 32-bit field that is counted up, random, or fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdSpec {
    Increment,
    Random,
    Fixed(u32),
}

impl std::str::FromStr for IdSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "inc" => Ok(IdSpec::Increment),
            "random" => Ok(IdSpec::Random),
            n => n
                .parse()
                .map(IdSpec::Fixed)
                .map_err(|_| format!("'{n}' is not 'inc', 'random' or a number")),
        }
    }
}

impl IdSpec {
    /// The value for the `index`-th packet; `base` is a random start for `Increment`.
    pub fn pick(self, index: u64, base: u32, rng: &mut Rng) -> u32 {
        match self {
            IdSpec::Increment => base.wrapping_add(index as u32),
            IdSpec::Random => rng.next_u32(),
            IdSpec::Fixed(v) => v,
        }
    }
}

/// Everything decided before writing: addresses, ports, timing, randomness.
pub struct Plan {
    link: LinkSpec,
    src: AddrRange,
    dst: AddrRange,
    random_src: bool,
    random_dst: bool,
    sport: PortSpec,
    dport: PortSpec,
    ttl: u8,
    ip_id: IdSpec,
    ip_id_base: u32,
    count: Option<u64>,
    start: Timestamp,
    interval_ns: i128,
    rng: Rng,
    /// DNS: how many names there are (the default count).
    names_total: u64,
}

impl Plan {
    /// Writes the frames of `traffic` (the one this plan was made for).
    pub fn run(mut self, traffic: &Traffic, sink: &mut impl FrameSink) -> Result<(), GenError> {
        match traffic {
            Traffic::Syn { window, seq } => self.syn(*window, *seq, sink),
            Traffic::Udp { payload } => self.udp(payload, sink),
            Traffic::Dns(dns) => self.dns(dns, sink),
            Traffic::Mix { flows } => self.mix(*flows, sink),
        }
    }

    fn new(c: &Config) -> Result<Plan, GenError> {
        let mode = &c.traffic;
        let v6 = c.ipv6 || c.src.is_some_and(|s| s.is_ipv6()) || c.dst.is_some_and(|d| d.is_ipv6());
        let (default_src, default_dst, default_sport, default_dport) = match (mode, v6) {
            (Traffic::Syn { .. }, false) => {
                ("192.168.0.1-192.255.255.254", "10.0.0.1", "random", "80")
            }
            (Traffic::Syn { .. }, true) => (
                "2001:db8:1::1-2001:db8:1::ffff:ffff",
                "2001:db8::1",
                "random",
                "80",
            ),
            (Traffic::Udp { .. }, false) => ("192.168.0.1", "10.0.0.1", "random", "9"),
            (Traffic::Udp { .. }, true) => ("2001:db8:1::1", "2001:db8::1", "random", "9"),
            (Traffic::Dns { .. }, false) => {
                ("192.168.0.1", "10.0.0.53", "random:49152-65535", "53")
            }
            (Traffic::Dns { .. }, true) => {
                ("2001:db8:1::1", "2001:db8::53", "random:49152-65535", "53")
            }
            (Traffic::Mix { .. }, false) => {
                ("10.0.0.1-10.255.255.254", "192.0.2.0/24", "random", "443")
            }
            (Traffic::Mix { .. }, true) => (
                "2001:db8:1::1-2001:db8:1::ffff:ffff",
                "2001:db8::/120",
                "random",
                "443",
            ),
        };
        let src = c.src.unwrap_or_else(|| default_src.parse().unwrap());
        let dst = c.dst.unwrap_or_else(|| default_dst.parse().unwrap());
        if src.is_ipv6() != dst.is_ipv6() {
            return Err(GenError::Invalid(format!(
                "--src {src} and --dst {dst} are not of the same IP version"
            )));
        }
        if c.vlans.len() > 2 {
            return Err(GenError::Invalid(format!(
                "at most two --vlan tags (QinQ), {} given",
                c.vlans.len()
            )));
        }
        let interval_ns = match (c.rate, c.interval) {
            (Some(rate), _) if !(rate.is_finite() && rate > 0.0) => {
                return Err(GenError::Invalid(format!(
                    "--rate {rate} must be a positive number of packets per second"
                )))
            }
            (Some(rate), _) => (1e9 / rate).round() as i128,
            (None, Some(d)) => d.as_nanos() as i128,
            (None, None) => 1_000_000,
        };
        let start = c.start.unwrap_or_else(|| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            Timestamp::new(now.as_secs() as i64, now.subsec_micros() * 1000)
        });
        let mut rng = c.seed.map_or_else(Rng::from_entropy, Rng::new);
        let ip_id_base = rng.next_u32();
        let names_total = match mode {
            Traffic::Dns(t) => {
                let in_file = match &t.names_file {
                    Some(path) => count_names(path)?,
                    None => 0,
                };
                let total = t.names.len() as u64 + in_file;
                if total == 0 {
                    return Err(GenError::Invalid(
                        "gen dns needs at least one name (on the command line or with --names-file)"
                            .into(),
                    ));
                }
                total
            }
            _ => 0,
        };
        Ok(Plan {
            names_total,
            link: LinkSpec {
                src_mac: c.src_mac,
                dst_mac: c.dst_mac,
                vlans: c.vlans.clone(),
            },
            src,
            dst,
            random_src: c.random_src,
            random_dst: c.random_dst || (matches!(mode, Traffic::Mix { .. }) && c.dst.is_none()),
            sport: c.sport.unwrap_or_else(|| default_sport.parse().unwrap()),
            dport: c.dport.unwrap_or_else(|| default_dport.parse().unwrap()),
            ttl: c.ttl,
            ip_id: c.ip_id,
            ip_id_base,
            count: c.count,
            start,
            interval_ns,
            rng,
        })
    }

    /// The timestamp of the last packet (a bound: TCP sessions add a few packets each).
    pub fn last_timestamp(&self) -> Timestamp {
        let count = self.count.unwrap_or(10).saturating_mul(12);
        self.timestamp(count)
    }

    fn timestamp(&self, tick: u64) -> Timestamp {
        self.start.add_nanos(self.interval_ns * i128::from(tick))
    }

    fn addresses(&mut self, index: u64) -> (IpAddr, IpAddr) {
        let src = if self.random_src {
            self.src.random(&mut self.rng)
        } else {
            self.src.nth(u128::from(index))
        };
        let dst = if self.random_dst {
            self.dst.random(&mut self.rng)
        } else {
            self.dst.nth(u128::from(index))
        };
        (src, dst)
    }

    /// The per-packet fields of packet `index`, drawn in a fixed order so that a seed
    /// always gives the same packets.
    fn patch(&mut self, index: u64, seq: IdSpec) -> Patch {
        let (src, dst) = self.addresses(index);
        let sport = self.sport.pick(index, &mut self.rng);
        let dport = self.dport.pick(index, &mut self.rng);
        let ip_id = self.ip_id.pick(index, self.ip_id_base, &mut self.rng) as u16;
        let seq = seq.pick(index, 0, &mut self.rng);
        Patch {
            src,
            dst,
            sport,
            dport,
            ip_id,
            seq,
        }
    }

    fn first_ip(&self) -> IpSpec {
        IpSpec {
            src: self.src.first(),
            dst: self.dst.first(),
            ttl: self.ttl,
            id: 0,
        }
    }

    /// Writes `count` copies of `template`, each patched.
    fn flood<S: FrameSink>(
        &mut self,
        template: &FrameTemplate,
        seq: IdSpec,
        sink: &mut S,
    ) -> Result<(), GenError> {
        let count = self.count.unwrap_or(10);
        let len = template.len();
        for i in 0..count {
            let patch = self.patch(i, seq);
            sink.frame_with(self.timestamp(i), len, |out| template.write(out, &patch))?;
        }
        Ok(())
    }

    fn syn<S: FrameSink>(
        &mut self,
        window: u16,
        seq: IdSpec,
        sink: &mut S,
    ) -> Result<(), GenError> {
        let mut header = TcpHeader::new(0, 0, 0, window);
        header.syn = true;
        let template =
            FrameTemplate::new(&self.link, &self.first_ip(), &Transport::Tcp(header), &[])?;
        self.flood(&template, seq, sink)
    }

    fn udp<S: FrameSink>(&mut self, payload: &[u8], sink: &mut S) -> Result<(), GenError> {
        let transport = Transport::Udp { sport: 0, dport: 0 };
        let template = FrameTemplate::new(&self.link, &self.first_ip(), &transport, payload)?;
        self.flood(&template, IdSpec::Fixed(0), sink)
    }

    fn dns<S: FrameSink>(&mut self, a: &DnsTraffic, sink: &mut S) -> Result<(), GenError> {
        let mut names = NameCycle::new(a)?;
        let count = self.count.unwrap_or(self.names_total);
        let with_responses = a.responses || !a.answers.is_empty() || a.rcode.is_some();
        let mut tick = 0u64;
        let mut frame = Vec::with_capacity(2048);
        for i in 0..count {
            let name = &names.next()?;
            let id = a.id.pick(i, 0, &mut self.rng) as u16;
            let query = self.dns_query(a, id, name);
            let response = with_responses.then(|| dns_response(a, &query));
            let patch = self.patch(i, IdSpec::Random);
            if a.tcp {
                let client = Endpoint {
                    addr: patch.src,
                    port: patch.sport,
                    isn: patch.seq,
                };
                let server = Endpoint {
                    addr: patch.dst,
                    port: patch.dport,
                    isn: self.rng.next_u32(),
                };
                let mut session =
                    TcpSession::new(self.link.clone(), client, server, self.ttl, 64240);
                let mut frames: Vec<Vec<u8>> = Vec::new();
                let mut emit = |f: &[u8]| frames.push(f.to_vec());
                session.open(&mut emit)?;
                session.send(Side::Client, &query.encode_tcp(), &mut emit)?;
                match &response {
                    Some(r) => session.send(Side::Server, &r.encode_tcp(), &mut emit)?,
                    None => session.ack(Side::Server, &mut emit)?,
                }
                session.close(&mut emit)?;
                for f in frames {
                    sink.frame(self.timestamp(tick), &f)?;
                    tick += 1;
                }
            } else {
                let ip = IpSpec {
                    src: patch.src,
                    dst: patch.dst,
                    ttl: self.ttl,
                    id: patch.ip_id,
                };
                let udp = Transport::Udp {
                    sport: patch.sport,
                    dport: patch.dport,
                };
                frame.clear();
                build_frame(&self.link, &ip, &udp, &query.encode(), &mut frame)?;
                sink.frame(self.timestamp(tick), &frame)?;
                tick += 1;
                if let Some(r) = &response {
                    let ip = IpSpec {
                        src: patch.dst,
                        dst: patch.src,
                        ttl: self.ttl,
                        id: patch.ip_id.wrapping_add(0x8000),
                    };
                    let udp = Transport::Udp {
                        sport: patch.dport,
                        dport: patch.sport,
                    };
                    frame.clear();
                    build_frame(&self.link.reversed(), &ip, &udp, &r.encode(), &mut frame)?;
                    sink.frame(self.timestamp(tick), &frame)?;
                    tick += 1;
                }
            }
        }
        Ok(())
    }

    fn mix<S: FrameSink>(&mut self, flows: u64, sink: &mut S) -> Result<(), GenError> {
        struct MixFlow {
            patch: Patch,
            tcp: bool,
            /// Next sequence number from the client and from the server.
            seq: [u32; 2],
        }
        let mut table: Vec<MixFlow> = Vec::with_capacity(flows as usize);
        for i in 0..flows {
            let patch = self.patch(i, IdSpec::Random);
            let tcp = self.rng.below(5) != 0; // 80% TCP, 20% UDP
            let seq = [patch.seq, self.rng.next_u32()];
            table.push(MixFlow { patch, tcp, seq });
        }
        let count = self.count.unwrap_or(flows * 10);
        let payload = [0u8; crate::packet::MTU];
        let mut frame = Vec::with_capacity(crate::packet::MTU + 22);
        let ip_header = if self.src.is_ipv6() { 40 } else { 20 };
        let links = [self.link.clone(), self.link.reversed()];
        for i in 0..count {
            // Every flow once, in order; then a heavy tail: flow = flows * u^2.
            let index = if i < flows {
                i as usize
            } else {
                let u = self.rng.next_u64() as f64 / u64::MAX as f64;
                ((flows as f64 * u * u) as usize).min(flows as usize - 1)
            };
            let from_server = self.rng.below(2) == 1;
            let transport_header = if table[index].tcp { 20 } else { 8 };
            let max_payload = crate::packet::MTU - ip_header - transport_header;
            let size = match self.rng.below(100) {
                0..=39 => 0,                                  // bare ACKs
                40..=54 => 64 + self.rng.below(512) as usize, // requests, small records
                _ => max_payload,                             // full frames
            };
            let size = if table[index].tcp { size } else { size.max(16) };
            let flow = &mut table[index];
            let p = flow.patch;
            let (src, dst, sport, dport) = if from_server {
                (p.dst, p.src, p.dport, p.sport)
            } else {
                (p.src, p.dst, p.sport, p.dport)
            };
            let transport = if flow.tcp {
                let side = usize::from(from_server);
                let mut h = TcpHeader::new(sport, dport, flow.seq[side], 64240);
                h.ack = true;
                h.psh = size > 0;
                h.acknowledgment_number = flow.seq[1 - side];
                flow.seq[side] = flow.seq[side].wrapping_add(size as u32);
                Transport::Tcp(h)
            } else {
                Transport::Udp { sport, dport }
            };
            let ip = IpSpec {
                src,
                dst,
                ttl: self.ttl,
                id: i as u16,
            };
            frame.clear();
            build_frame(
                &links[usize::from(from_server)],
                &ip,
                &transport,
                &payload[..size],
                &mut frame,
            )?;
            sink.frame(self.timestamp(i), &frame)?;
        }
        Ok(())
    }

    fn dns_query(&self, a: &DnsTraffic, id: u16, name: &Name) -> Message {
        let mut q = Message::query(id, name.clone(), a.qtype);
        q.questions[0].qclass = a.class;
        q.flags.set(Flags::RD, a.recursion_desired);
        if a.edns || a.edns_size.is_some() || a.dnssec_ok {
            q.edns = Some(Edns {
                udp_size: a.edns_size.unwrap_or(1232),
                dnssec_ok: a.dnssec_ok,
                ..Default::default()
            });
        }
        q
    }
}

/// The response to `query` that the user described with --answer / --rcode.
fn dns_response(a: &DnsTraffic, query: &Message) -> Message {
    let mut r = query.clone();
    r.flags.set(Flags::QR, true);
    r.flags.set(Flags::RA, true);
    let rcode = a.rcode.unwrap_or(0);
    r.flags.set_rcode((rcode & 0xf) as u8);
    if let Some(edns) = &mut r.edns {
        edns.extended_rcode = (rcode >> 4) as u8;
    }
    let question = &query.questions[0];
    if rcode == 0 {
        for addr in &a.answers {
            let (rtype, data) = match addr {
                IpAddr::V4(v4) => (types::TYPE_A, RData::A(*v4)),
                IpAddr::V6(v6) => (types::TYPE_AAAA, RData::Aaaa(*v6)),
            };
            r.answers.push(Record {
                name: question.name.clone(),
                rtype,
                class: question.qclass,
                ttl: a.answer_ttl,
                data,
            });
        }
    }
    if rcode == types::RCODE_NXDOMAIN {
        let zone = question.name.parent();
        let ns = zone.prepend(b"ns1").unwrap_or_else(|_| zone.clone());
        let mailbox = zone.prepend(b"hostmaster").unwrap_or_else(|_| zone.clone());
        r.authority.push(Record {
            name: zone,
            rtype: types::TYPE_SOA,
            class: question.qclass,
            ttl: a.answer_ttl,
            data: RData::Soa {
                mname: ns,
                rname: mailbox,
                serial: 1,
                refresh: 7200,
                retry: 3600,
                expire: 1_209_600,
                minimum: 300,
            },
        });
    }
    r
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_payloads() {
        assert_eq!(
            super::parse_hex("de ad:BE ef").unwrap(),
            [0xde, 0xad, 0xbe, 0xef]
        );
        assert_eq!(super::parse_hex("0x0102").unwrap(), [1, 2]);
        assert!(super::parse_hex("abc").is_err());
        assert!(super::parse_hex("zz").is_err());
    }
}
