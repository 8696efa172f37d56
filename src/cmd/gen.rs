//! `pcaptool gen`: crafted traffic into a capture file.
//!
//! Modes: `syn` (a SYN flood), `udp` (datagrams with a chosen payload), `dns` (queries,
//! optionally over TCP and with responses). Every frame carries correct checksums and
//! is padded to the Ethernet minimum; `--seed` and `--start` make runs reproducible.

use std::fs;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use etherparse::TcpHeader;

use super::{usage, Output};
use crate::capture::{CaptureWriter, LinkType, OutputFormat, Timestamp, TsResolution};
use crate::dns::{types, Edns, Message, Name, RData, Record};
use crate::packet::tcp_session::{Endpoint, Side, TcpSession};
use crate::packet::{
    build_frame, AddrRange, FrameTemplate, IpSpec, LinkSpec, Mac, Patch, PortSpec, Transport,
};
use crate::rng::Rng;

/// Snap length written into generated captures (tcpdump's default).
const SNAPLEN: u32 = 262_144;

/// Craft packets into a pcap or pcapng file.
///
/// Examples:
///   pcaptool gen syn --count 100 -o syn.pcap
///   pcaptool gen udp --dst 10.1.0.0/16 --payload-hex deadbeef --count 1000 -o udp.pcap
///   pcaptool gen dns example.com www.example.org -t AAAA --tcp --responses --answer 2001:db8::1 -o dns.pcapng --format pcapng
///   pcaptool gen syn --count 10 -o - | tcpdump -nr -
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    pub mode: Mode,
}

#[derive(Debug, clap::Subcommand)]
pub enum Mode {
    /// TCP SYN flood: by default sources walk up from 192.168.0.1 (carrying across
    /// octets) towards 10.0.0.1:80, random source ports and sequence numbers.
    ///
    /// Example: pcaptool gen syn --count 70000 --src 10.0.0.0/8 --dst 192.0.2.10 --dport 443 -o syn.pcap
    #[command(verbatim_doc_comment)]
    Syn(SynArgs),
    /// UDP datagrams with a payload given as text, hex, a file, or a size.
    ///
    /// Example: pcaptool gen udp --payload "hello" --dport 9999 --count 5 -o udp.pcap
    #[command(verbatim_doc_comment)]
    Udp(UdpArgs),
    /// DNS queries (and, with --responses, answers), over UDP or TCP.
    ///
    /// Example: pcaptool gen dns example.com -t MX --edns --do --responses -o dns.pcap
    #[command(verbatim_doc_comment)]
    Dns(DnsArgs),
    /// Many interleaved TCP and UDP flows with realistic packet sizes (a mix of bare
    /// ACKs, mid-sized and full 1514-byte frames), for exercising `split` and friends.
    /// Flow i runs between the i-th --src address and a --dst address drawn at random;
    /// each flow appears once in order, then packets pick flows with a heavy tail.
    ///
    /// Example: pcaptool gen mix --flows 10000 --count 1500000 -o mix.pcap
    #[command(verbatim_doc_comment)]
    Mix(MixArgs),
}

#[derive(Debug, clap::Args)]
pub struct Common {
    /// Output file; '-' writes to standard output (e.g. piped into tcpdump -r -).
    #[arg(short, long, default_value = "-", value_name = "FILE")]
    pub output: PathBuf,
    /// Capture format: pcap (one link type, the classic) or pcapng.
    #[arg(long, value_enum, default_value_t = OutputFormat::Pcap)]
    pub format: OutputFormat,
    /// Nanosecond timestamps (pcap magic a1b23c4d, or pcapng if_tsresol 9) instead of microseconds.
    #[arg(long)]
    pub nanos: bool,
    /// Number of packets (syn, udp) or of queries (dns; default: one per name).
    #[arg(short = 'c', long, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Source addresses: one address, a range A-B, or a CIDR block (IPv4 or IPv6).
    /// Walked in order with carry across octets, wrapping inside the range.
    /// Example: --src 10.0.0.0/8, --src 192.168.0.1-192.168.3.255, --src 2001:db8::1
    #[arg(long, value_name = "ADDRS")]
    pub src: Option<AddrRange>,
    /// Destination addresses, in the same forms as --src. Example: --dst 192.0.2.0/24
    #[arg(long, value_name = "ADDRS")]
    pub dst: Option<AddrRange>,
    /// Draw each source address at random from --src instead of walking it.
    #[arg(long)]
    pub random_src: bool,
    /// Draw each destination address at random from --dst instead of walking it.
    #[arg(long)]
    pub random_dst: bool,
    /// Use IPv6 default addresses (2001:db8::/32) when --src/--dst are not given.
    #[arg(short = '6', long)]
    pub ipv6: bool,
    /// Source port: N, a range A-B (walked), 'random' (1024-65535) or 'random:A-B'.
    #[arg(long, value_name = "PORTS")]
    pub sport: Option<PortSpec>,
    /// Destination port, in the same forms as --sport. Example: --dport 8000-8099
    #[arg(long, value_name = "PORTS")]
    pub dport: Option<PortSpec>,
    /// Source MAC address. Example: --src-mac 00:11:22:33:44:55
    #[arg(long, default_value = "02:00:00:00:00:01", value_name = "MAC")]
    pub src_mac: Mac,
    /// Destination MAC address.
    #[arg(long, default_value = "02:00:00:00:00:02", value_name = "MAC")]
    pub dst_mac: Mac,
    /// IPv4 TTL / IPv6 hop limit.
    #[arg(long, default_value_t = 64)]
    pub ttl: u8,
    /// IPv4 identification: 'inc' (counting up from a random start), 'random', or a number.
    #[arg(long, default_value = "inc", value_name = "ID")]
    pub ip_id: IdSpec,
    /// VLAN id (0-4095); give twice for QinQ (outer 802.1ad tag first). Example: --vlan 100
    #[arg(long = "vlan", value_name = "ID", value_parser = clap::value_parser!(u16).range(0..=4095))]
    pub vlans: Vec<u16>,
    /// Packets per second, spacing the timestamps (default 1000). Example: --rate 250000
    #[arg(long, conflicts_with = "interval")]
    pub rate: Option<f64>,
    /// Fixed time between packets instead of --rate. Example: --interval 20ms
    #[arg(long, value_parser = humantime::parse_duration)]
    pub interval: Option<Duration>,
    /// Timestamp of the first packet: RFC 3339 (2024-01-01T00:00:00Z) or Unix seconds
    /// (1700000000.5). Default: now.
    #[arg(long, value_parser = parse_start, value_name = "TIME")]
    pub start: Option<Timestamp>,
    /// Seed for every random choice; the same arguments with --seed and --start give
    /// byte-identical files.
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Debug, clap::Args)]
pub struct SynArgs {
    #[command(flatten)]
    pub common: Common,
    /// TCP window size.
    #[arg(long, default_value_t = 64240)]
    pub window: u16,
    /// Initial sequence number of each SYN: 'random' or a number.
    #[arg(long, default_value = "random")]
    pub seq: IdSpec,
}

#[derive(Debug, clap::Args)]
#[group(id = "payload_source", multiple = false)]
pub struct UdpArgs {
    #[command(flatten)]
    pub common: Common,
    /// Payload as text. Example: --payload "hello world"
    #[arg(long, group = "payload_source")]
    pub payload: Option<String>,
    /// Payload as hex digits (spaces and colons allowed). Example: --payload-hex "de ad be ef"
    #[arg(long, group = "payload_source", value_parser = parse_hex)]
    pub payload_hex: Option<Bytes>,
    /// Payload read from a file.
    #[arg(long, group = "payload_source", value_name = "FILE")]
    pub payload_file: Option<PathBuf>,
    /// Payload of N bytes (a repeating 0x00..0xff pattern). Default: 18 bytes, the
    /// smallest payload that fills a minimum Ethernet frame.
    #[arg(long, group = "payload_source", value_name = "N")]
    pub size: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct DnsArgs {
    #[command(flatten)]
    pub common: Common,
    /// Names to query, e.g. example.com (used in turn when --count is larger).
    pub names: Vec<String>,
    /// Read names from a file, one per line ('#' starts a comment); '-' for standard input.
    #[arg(long, value_name = "FILE")]
    pub names_file: Option<PathBuf>,
    /// Query type: a mnemonic (A, AAAA, MX, TXT, HTTPS, ...), a number, or TYPEnnn.
    #[arg(short = 't', long = "type", default_value = "A", value_parser = parse_qtype, value_name = "TYPE")]
    pub qtype: u16,
    /// Query class: IN, CH, HS, ANY or a number.
    #[arg(long, default_value = "IN", value_parser = parse_qclass)]
    pub class: u16,
    /// Query ID: 'random' or a fixed number (0-65535).
    #[arg(long, default_value = "random", value_name = "ID")]
    pub id: IdSpec,
    /// Clear the RD (recursion desired) flag.
    #[arg(long)]
    pub no_rd: bool,
    /// Add an EDNS0 OPT record.
    #[arg(long)]
    pub edns: bool,
    /// EDNS0 UDP payload size (implies --edns).
    #[arg(long, value_name = "BYTES")]
    pub edns_size: Option<u16>,
    /// Set the EDNS0 DO (DNSSEC OK) bit (implies --edns).
    #[arg(long = "do")]
    pub dnssec_ok: bool,
    /// Send each query over TCP (2-byte length prefix) in its own complete connection:
    /// handshake, data, close.
    #[arg(long)]
    pub tcp: bool,
    /// Add a response to each query.
    #[arg(long)]
    pub responses: bool,
    /// Answer for the responses: an IPv4 address (A record) or IPv6 address (AAAA);
    /// repeat for several. Implies --responses. Example: --answer 192.0.2.1
    #[arg(long = "answer", value_name = "ADDR")]
    pub answers: Vec<IpAddr>,
    /// Response code of the responses: NOERROR, NXDOMAIN, SERVFAIL, REFUSED, or a
    /// number. Implies --responses; NXDOMAIN adds the parent zone's SOA.
    #[arg(long, value_parser = parse_rcode)]
    pub rcode: Option<u16>,
    /// TTL of answer records.
    #[arg(long, default_value_t = 300)]
    pub answer_ttl: u32,
}

#[derive(Debug, clap::Args)]
pub struct MixArgs {
    #[command(flatten)]
    pub common: Common,
    /// Number of flows (distinct address pairs with the default addresses).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    pub flows: u64,
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
    fn pick(self, index: u64, base: u32, rng: &mut Rng) -> u32 {
        match self {
            IdSpec::Increment => base.wrapping_add(index as u32),
            IdSpec::Random => rng.next_u32(),
            IdSpec::Fixed(v) => v,
        }
    }
}

/// Raw bytes from `--payload-hex`.
#[derive(Clone, Debug)]
pub struct Bytes(pub Vec<u8>);

fn parse_hex(s: &str) -> Result<Bytes, String> {
    let digits: String = s
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
        .collect::<Result<Vec<u8>, String>>()
        .map(Bytes)
}

fn parse_qtype(s: &str) -> Result<u16, String> {
    types::parse_type(s)
        .ok_or_else(|| format!("unknown query type '{s}' (try A, AAAA, MX, TXT, or a number)"))
}

fn parse_qclass(s: &str) -> Result<u16, String> {
    types::parse_class(s).ok_or_else(|| format!("unknown class '{s}'"))
}

fn parse_rcode(s: &str) -> Result<u16, String> {
    types::parse_rcode(s).ok_or_else(|| format!("unknown response code '{s}'"))
}

/// `--start`: RFC 3339 date-time, or Unix seconds with an optional fraction.
fn parse_start(s: &str) -> Result<Timestamp, String> {
    if let Some((secs, frac)) = s.split_once('.').or(Some((s, ""))) {
        if let Ok(secs) = secs.parse::<i64>() {
            if frac.len() <= 9 && frac.chars().all(|c| c.is_ascii_digit()) {
                let nanos = if frac.is_empty() {
                    0
                } else {
                    format!("{frac:0<9}").parse::<u32>().unwrap()
                };
                if secs >= 0 {
                    return Ok(Timestamp::new(secs, nanos));
                }
            }
        }
    }
    let t = humantime::parse_rfc3339_weak(s).map_err(|e| {
        format!("'{s}' is neither RFC 3339 (2024-01-01T00:00:00Z) nor Unix seconds: {e}")
    })?;
    let d = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| format!("'{s}' is before 1970"))?;
    Ok(Timestamp::new(d.as_secs() as i64, d.subsec_nanos()))
}

pub fn run(args: &Args) -> Result<()> {
    let common = match &args.mode {
        Mode::Syn(a) => &a.common,
        Mode::Udp(a) => &a.common,
        Mode::Dns(a) => &a.common,
        Mode::Mix(a) => &a.common,
    };
    // Everything that can be wrong with the arguments is checked before the output
    // file is created.
    let plan = Plan::new(common, &args.mode)?;
    let udp_payload = match &args.mode {
        Mode::Udp(a) => Some(udp_payload(a)?),
        _ => None,
    };
    let dns_queries = match &args.mode {
        Mode::Dns(a) => Some(dns_names(a)?),
        _ => None,
    };
    let mut output = Output::create(&common.output)?;
    let result = (|| -> Result<()> {
        let resolution = if common.nanos {
            TsResolution::Nano
        } else {
            TsResolution::Micro
        };
        let mut writer = CaptureWriter::new(
            &mut output,
            common.format,
            resolution,
            LinkType::ETHERNET,
            SNAPLEN,
        );
        let mut plan = plan;
        match &args.mode {
            Mode::Syn(a) => plan.syn(a, &mut writer)?,
            Mode::Udp(_) => plan.udp(udp_payload.as_deref().unwrap_or_default(), &mut writer)?,
            Mode::Dns(a) => plan.dns(a, dns_queries.as_deref().unwrap_or_default(), &mut writer)?,
            Mode::Mix(a) => plan.mix(a.flows, &mut writer)?,
        }
        writer.finish()?;
        Ok(())
    })();
    match result {
        Ok(()) => output.commit(),
        Err(e) => {
            output.abandon();
            Err(e).context("while writing the capture")
        }
    }
}

fn udp_payload(a: &UdpArgs) -> Result<Vec<u8>> {
    Ok(if let Some(text) = &a.payload {
        text.as_bytes().to_vec()
    } else if let Some(Bytes(bytes)) = &a.payload_hex {
        bytes.clone()
    } else if let Some(path) = &a.payload_file {
        fs::read(path).with_context(|| format!("cannot read payload file {}", path.display()))?
    } else {
        let size = a.size.unwrap_or(18);
        (0..size).map(|i| i as u8).collect()
    })
}

fn dns_names(a: &DnsArgs) -> Result<Vec<Name>> {
    let mut texts: Vec<(String, String)> = a
        .names
        .iter()
        .map(|n| (n.clone(), "command line".to_string()))
        .collect();
    if let Some(path) = &a.names_file {
        let content = if path.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin())
                .context("cannot read names from standard input")?
        } else {
            fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
        };
        for (i, line) in content.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if !line.is_empty() {
                texts.push((line.to_string(), format!("{}:{}", path.display(), i + 1)));
            }
        }
    }
    if texts.is_empty() {
        return usage("gen dns needs at least one name (on the command line or with --names-file)");
    }
    texts
        .iter()
        .map(|(text, origin)| {
            text.parse::<Name>()
                .map_err(|e| super::UsageError(format!("bad name '{text}' ({origin}): {e}")).into())
        })
        .collect()
}

/// Everything decided before writing: addresses, ports, timing, randomness.
struct Plan {
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
}

impl Plan {
    fn new(c: &Common, mode: &Mode) -> Result<Plan> {
        let v6 = c.ipv6 || c.src.is_some_and(|s| s.is_ipv6()) || c.dst.is_some_and(|d| d.is_ipv6());
        let (default_src, default_dst, default_sport, default_dport) = match (mode, v6) {
            (Mode::Syn(_), false) => ("192.168.0.1-192.255.255.254", "10.0.0.1", "random", "80"),
            (Mode::Syn(_), true) => (
                "2001:db8:1::1-2001:db8:1::ffff:ffff",
                "2001:db8::1",
                "random",
                "80",
            ),
            (Mode::Udp(_), false) => ("192.168.0.1", "10.0.0.1", "random", "9"),
            (Mode::Udp(_), true) => ("2001:db8:1::1", "2001:db8::1", "random", "9"),
            (Mode::Dns(_), false) => ("192.168.0.1", "10.0.0.53", "random:49152-65535", "53"),
            (Mode::Dns(_), true) => ("2001:db8:1::1", "2001:db8::53", "random:49152-65535", "53"),
            (Mode::Mix(_), false) => ("10.0.0.1-10.255.255.254", "192.0.2.0/24", "random", "443"),
            (Mode::Mix(_), true) => (
                "2001:db8:1::1-2001:db8:1::ffff:ffff",
                "2001:db8::/120",
                "random",
                "443",
            ),
        };
        let src = c.src.unwrap_or_else(|| default_src.parse().unwrap());
        let dst = c.dst.unwrap_or_else(|| default_dst.parse().unwrap());
        if src.is_ipv6() != dst.is_ipv6() {
            return usage(format!(
                "--src {src} and --dst {dst} are not of the same IP version"
            ));
        }
        if c.vlans.len() > 2 {
            return usage(format!(
                "at most two --vlan tags (QinQ), {} given",
                c.vlans.len()
            ));
        }
        let interval_ns = match (c.rate, c.interval) {
            (Some(rate), _) if !(rate.is_finite() && rate > 0.0) => {
                return usage(format!(
                    "--rate {rate} must be a positive number of packets per second"
                ))
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
        Ok(Plan {
            link: LinkSpec {
                src_mac: c.src_mac,
                dst_mac: c.dst_mac,
                vlans: c.vlans.clone(),
            },
            src,
            dst,
            random_src: c.random_src,
            random_dst: c.random_dst || (matches!(mode, Mode::Mix(_)) && c.dst.is_none()),
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
    fn flood<W: std::io::Write>(
        &mut self,
        template: &FrameTemplate,
        seq: IdSpec,
        writer: &mut CaptureWriter<W>,
    ) -> Result<()> {
        let count = self.count.unwrap_or(10);
        let len = template.len();
        for i in 0..count {
            let patch = self.patch(i, seq);
            writer.write_packet_with(0, self.timestamp(i), len as u32, len, |out| {
                template.write(out, &patch)
            })?;
        }
        Ok(())
    }

    fn syn<W: std::io::Write>(&mut self, a: &SynArgs, writer: &mut CaptureWriter<W>) -> Result<()> {
        let mut header = TcpHeader::new(0, 0, 0, a.window);
        header.syn = true;
        let template =
            FrameTemplate::new(&self.link, &self.first_ip(), &Transport::Tcp(header), &[])?;
        self.flood(&template, a.seq, writer)
    }

    fn udp<W: std::io::Write>(
        &mut self,
        payload: &[u8],
        writer: &mut CaptureWriter<W>,
    ) -> Result<()> {
        let transport = Transport::Udp { sport: 0, dport: 0 };
        let template = FrameTemplate::new(&self.link, &self.first_ip(), &transport, payload)?;
        self.flood(&template, IdSpec::Fixed(0), writer)
    }

    fn dns<W: std::io::Write>(
        &mut self,
        a: &DnsArgs,
        names: &[Name],
        writer: &mut CaptureWriter<W>,
    ) -> Result<()> {
        let count = self.count.unwrap_or(names.len() as u64);
        let with_responses = a.responses || !a.answers.is_empty() || a.rcode.is_some();
        let mut tick = 0u64;
        let mut frame = Vec::with_capacity(2048);
        for i in 0..count {
            let name = &names[(i % names.len() as u64) as usize];
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
                    writer.write_packet(0, self.timestamp(tick), f.len() as u32, &f)?;
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
                writer.write_packet(0, self.timestamp(tick), frame.len() as u32, &frame)?;
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
                    writer.write_packet(0, self.timestamp(tick), frame.len() as u32, &frame)?;
                    tick += 1;
                }
            }
        }
        Ok(())
    }

    fn mix<W: std::io::Write>(&mut self, flows: u64, writer: &mut CaptureWriter<W>) -> Result<()> {
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
        let count = self.count.unwrap_or(flows * 10).max(flows);
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
            writer.write_packet(0, self.timestamp(i), frame.len() as u32, &frame)?;
        }
        Ok(())
    }

    fn dns_query(&self, a: &DnsArgs, id: u16, name: &Name) -> Message {
        let mut q = Message::query(id, name.clone(), a.qtype);
        q.questions[0].qclass = a.class;
        q.recursion_desired = !a.no_rd;
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
fn dns_response(a: &DnsArgs, query: &Message) -> Message {
    let mut r = query.clone();
    r.response = true;
    r.recursion_available = true;
    let rcode = a.rcode.unwrap_or(0);
    r.rcode = (rcode & 0xf) as u8;
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
    use super::*;

    #[test]
    fn start_times() {
        assert_eq!(
            parse_start("1700000000.5").unwrap(),
            Timestamp::new(1_700_000_000, 500_000_000)
        );
        assert_eq!(
            parse_start("1700000000").unwrap(),
            Timestamp::new(1_700_000_000, 0)
        );
        assert_eq!(
            parse_start("2024-01-01T00:00:00Z").unwrap(),
            Timestamp::new(1_704_067_200, 0)
        );
        assert!(parse_start("yesterday").is_err());
    }

    #[test]
    fn hex_payloads() {
        assert_eq!(
            parse_hex("de ad:BE ef").unwrap().0,
            [0xde, 0xad, 0xbe, 0xef]
        );
        assert!(parse_hex("abc").is_err());
        assert!(parse_hex("zz").is_err());
    }
}
