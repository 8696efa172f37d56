//! `pcaptool gen`: arguments, names and payload files, and the output file for
//! [`pcaptool::gen`].

use std::fs;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};

use super::{usage, Output, UsageError};
use pcaptool::capture::{CaptureWriter, LinkType, OutputFormat, Timestamp, TsResolution};
use pcaptool::dns::wire::registry as types;
use pcaptool::dns::Name;
use pcaptool::gen::{self, Config, DnsTraffic, GenError, IdSpec, Traffic};
use pcaptool::names::NamesFile;
use pcaptool::packet::{AddrRange, Mac, PortSpec};

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
    /// each flow appears once in order (the first --count flows, when --count is
    /// smaller), then packets pick flows with a heavy tail.
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
    #[arg(long, value_enum, default_value_t = CaptureFormat::Pcap)]
    pub format: CaptureFormat,
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
    #[arg(long, value_parser = clap::value_parser!(Timestamp), value_name = "TIME")]
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
    #[arg(short = 't', long = "type", default_value = "A", value_parser = types::type_from_text, value_name = "TYPE")]
    pub qtype: u16,
    /// Query class: IN, CH, HS, ANY or a number.
    #[arg(long, default_value = "IN", value_parser = types::class_from_text)]
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
    #[arg(long, value_parser = types::rcode_from_text)]
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

/// Raw bytes from `--payload-hex`.
#[derive(Clone, Debug)]
pub struct Bytes(pub Vec<u8>);

fn parse_hex(s: &str) -> Result<Bytes, String> {
    gen::parse_hex(s).map(Bytes)
}

pub fn run(args: &Args) -> Result<()> {
    let (common, traffic) = match &args.mode {
        Mode::Syn(a) => (
            &a.common,
            Traffic::Syn {
                window: a.window,
                seq: a.seq,
            },
        ),
        Mode::Udp(a) => (
            &a.common,
            Traffic::Udp {
                payload: udp_payload(a)?,
            },
        ),
        Mode::Dns(a) => (&a.common, Traffic::Dns(dns_traffic(a)?)),
        Mode::Mix(a) => (&a.common, Traffic::Mix { flows: a.flows }),
    };
    let c = common;
    let config = Config {
        traffic,
        count: c.count,
        src: c.src,
        dst: c.dst,
        random_src: c.random_src,
        random_dst: c.random_dst,
        ipv6: c.ipv6,
        sport: c.sport,
        dport: c.dport,
        src_mac: c.src_mac,
        dst_mac: c.dst_mac,
        ttl: c.ttl,
        ip_id: c.ip_id,
        vlans: c.vlans.clone(),
        rate: c.rate,
        interval: c.interval,
        start: c.start,
        seed: c.seed,
    };
    // Everything that can be wrong with the arguments is checked before the output
    // file is created.
    let plan = gen::plan(&config).map_err(|e| match e {
        GenError::Invalid(what) => UsageError(what).into(),
        other => anyhow::Error::new(other),
    })?;
    // pcap keeps seconds in 32 bits: later than 2106-02-07 it cannot say.
    let last_secs = plan.last_timestamp().secs;
    if common.format == CaptureFormat::Pcap && last_secs > i64::from(u32::MAX) {
        return usage(format!(
            "pcap timestamps end at {} (2106-02-07); these packets reach {last_secs}: use --format pcapng",
            u32::MAX
        ));
    }
    let mut output = Output::create(&common.output)?;
    let result = (|| -> Result<()> {
        let resolution = if common.nanos {
            TsResolution::Nano
        } else {
            TsResolution::Micro
        };
        let format = match common.format {
            CaptureFormat::Pcap => OutputFormat::Pcap,
            CaptureFormat::Pcapng => OutputFormat::Pcapng,
        };
        let mut writer =
            CaptureWriter::new(&mut output, format, resolution, LinkType::ETHERNET, SNAPLEN);
        plan.run(&config.traffic, &mut writer)?;
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

/// Capture format of the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CaptureFormat {
    /// One link type, the classic.
    Pcap,
    Pcapng,
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

fn dns_traffic(a: &DnsArgs) -> Result<DnsTraffic> {
    Ok(DnsTraffic {
        names: dns_names(a)?,
        names_file: a.names_file.clone().filter(|p| p.as_os_str() != "-"),
        qtype: a.qtype,
        class: a.class,
        id: a.id,
        recursion_desired: !a.no_rd,
        edns: a.edns,
        edns_size: a.edns_size,
        dnssec_ok: a.dnssec_ok,
        tcp: a.tcp,
        responses: a.responses,
        answers: a.answers.clone(),
        rcode: a.rcode,
        answer_ttl: a.answer_ttl,
    })
}

/// The names of the command line; those of standard input too (it cannot be read
/// twice, so they are kept), with their line numbers in errors.
fn dns_names(a: &DnsArgs) -> Result<Vec<Name>> {
    let mut names: Vec<Name> = a
        .names
        .iter()
        .map(|text| {
            text.parse::<Name>()
                .map_err(|e| UsageError(format!("bad name '{text}' (command line): {e}")))
        })
        .collect::<Result<_, _>>()?;
    if a.names_file.as_ref().is_some_and(|p| p.as_os_str() == "-") {
        let mut file = NamesFile::open(std::path::Path::new("-"))?;
        while let Some(line) = file.next_line() {
            let (line, text) = line.map_err(|e| UsageError(e.to_string()))?;
            names.push(text.parse::<Name>().map_err(|e| {
                UsageError(format!("bad name '{text}' (standard input:{line}): {e}"))
            })?);
        }
    }
    Ok(names)
}
