//! `pcaptool dns`: every DNS message in a capture, one line each in Wireshark's words,
//! or JSON lines, or CSV, or a statistics summary.
//!
//! Records go through the link layer and IP (fragments reassembled) to UDP or TCP on
//! the DNS ports (TCP streams reassembled per direction); each message found is
//! filtered and handed to the chosen output.

use foldhash::{HashMap, HashMapExt};
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{warn, Progress};
use crate::capture::{self, Timestamp};
use crate::dns::digits::{push_ip, push_padded, push_u64};
use crate::dns::info;
use crate::dns::rdata::{self, json_str};
use crate::dns::types;
use crate::dns::wire::{Header, Message, Section};
use crate::ip::{self, PROTO_TCP, PROTO_UDP};
use crate::link;
use crate::reassembly::ipfrag::{DatagramKey, Defragmenter, Outcome};
use crate::reassembly::tcp::{Direction, Event, Segment, TcpReassembler};

const DNS_PORT: u16 = 53;
const MDNS_PORT: u16 = 5353;
const LLMNR_PORT: u16 = 5355;
/// Warnings about one capture printed before they are only counted.
const MAX_WARNINGS: u64 = 20;

/// Decode every DNS message in a capture: UDP and TCP (reassembled), IPv4 and IPv6
/// (fragments reassembled), mDNS and LLMNR labelled as such.
///
/// The default output is one line per message: frame number, time since the first
/// packet, source → destination, protocol, and the text of Wireshark's Info column.
///
/// Examples:
///   pcaptool dns capture.pcap
///   pcaptool dns capture.pcapng --format json | jq .questions
///   pcaptool dns big.pcap.gz --stats --top 20
///   pcaptool dns capture.pcap --port 8053 --qtype AAAA --rcode NXDOMAIN --name example.com
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Capture to read ('-' for standard input; gzip is recognised).
    pub input: PathBuf,
    /// Output: text (Wireshark's Info line), json (one object per line), or csv.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Also look for DNS on this UDP/TCP port (repeatable); 53, 5353 (mDNS) and 5355
    /// (LLMNR) are always on. Example: --port 8053
    #[arg(long = "port", value_name = "PORT")]
    pub ports: Vec<u16>,
    /// Print a summary instead of the messages: counts of queries by type, responses by
    /// rcode, messages by opcode, the most asked names, and query/response matching
    /// by (client, server, ports, ID, question) with response times.
    #[arg(long)]
    pub stats: bool,
    /// How many names the --stats summary lists.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
    /// Only messages whose first question has this type (repeatable). Example: --qtype AAAA
    #[arg(long, value_parser = parse_qtype, value_name = "TYPE")]
    pub qtype: Vec<u16>,
    /// Only responses with this rcode, EDNS-extended (repeatable). Example: --rcode NXDOMAIN
    #[arg(long, value_parser = parse_rcode, value_name = "RCODE")]
    pub rcode: Vec<u16>,
    /// Only messages whose first question is this name or below it. Example: --name example.com
    #[arg(long, value_name = "SUFFIX")]
    pub name: Option<String>,
    /// Only queries.
    #[arg(long, conflicts_with = "responses")]
    pub queries: bool,
    /// Only responses.
    #[arg(long)]
    pub responses: bool,
    /// Only the DNS ports: do not also recognise DNS on other UDP ports by its look (as
    /// tshark's heuristic, on by default, does for ports from 1024 up).
    #[arg(long)]
    pub no_heuristic: bool,
    /// No progress bar, no warnings about TCP gaps.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Csv,
}

fn parse_qtype(s: &str) -> Result<u16, String> {
    types::parse_type(s).ok_or_else(|| format!("unknown record type '{s}'"))
}

fn parse_rcode(s: &str) -> Result<u16, String> {
    types::parse_rcode(s).ok_or_else(|| format!("unknown response code '{s}'"))
}

/// Which protocol a message travels as: they share the wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Dns,
    Mdns,
    Llmnr,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Dns => "DNS",
            Protocol::Mdns => "MDNS",
            Protocol::Llmnr => "LLMNR",
        }
    }
}

/// Where a message came from.
#[derive(Clone, Copy, Debug)]
pub struct Origin {
    pub frame: u64,
    pub ts: Timestamp,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub tcp: bool,
    pub protocol: Protocol,
    /// The message's length on the wire (more than the bytes at hand when the capture
    /// cut it short).
    pub reported_len: usize,
}

/// The protocol of a port, as Wireshark registers them (mDNS is UDP only).
fn port_protocol(port: u16, tcp: bool, extra: &[u16]) -> Option<Protocol> {
    match port {
        DNS_PORT => Some(Protocol::Dns),
        MDNS_PORT if !tcp => Some(Protocol::Mdns),
        MDNS_PORT => Some(Protocol::Dns),
        LLMNR_PORT => Some(Protocol::Llmnr),
        p if extra.contains(&p) => Some(Protocol::Dns),
        _ => None,
    }
}

/// Wireshark's DNS-over-UDP heuristic (on by default in tshark 4.0), used when neither
/// port is a known one: a standard query or response with plausible counts that fit.
fn looks_like_dns(msg: &[u8]) -> bool {
    let Ok(h) = Header::parse(msg) else {
        return false;
    };
    if msg.len() <= crate::dns::HEADER_LEN || h.opcode() != 0 {
        return false;
    }
    let counts_ok = if h.is_response() {
        h.qdcount <= 1 && h.ancount <= 100 && h.nscount <= 10
    } else {
        h.qdcount == 1 && h.ancount == 0 && h.nscount == 0
    };
    let fits = usize::from(h.qdcount) * 6
        + (usize::from(h.ancount) + usize::from(h.nscount) + usize::from(h.arcount)) * 11
        <= msg.len() - crate::dns::HEADER_LEN;
    counts_ok && h.arcount <= 10 && u32::from(h.qdcount) + u32::from(h.ancount) > 0 && fits
}

/// Finds DNS messages in captured frames: ports, IP fragments, TCP streams.
pub struct Extractor {
    /// Ports given with --port.
    ports: Vec<u16>,
    heuristic: bool,
    defrag: Defragmenter,
    tcp: TcpReassembler,
    /// TCP gaps and dropped fragments seen, and how many were printed.
    pub notes: u64,
    quiet: bool,
}

impl Extractor {
    pub fn new(extra_ports: &[u16], heuristic: bool, quiet: bool) -> Self {
        Extractor {
            ports: extra_ports.to_vec(),
            heuristic,
            defrag: Defragmenter::new(),
            tcp: TcpReassembler::new(),
            notes: 0,
            quiet,
        }
    }

    /// The protocol by port, lower port first (as Wireshark tries them).
    fn by_port(&self, sport: u16, dport: u16, tcp: bool) -> Option<Protocol> {
        let (low, high) = if sport <= dport {
            (sport, dport)
        } else {
            (dport, sport)
        };
        port_protocol(low, tcp, &self.ports).or_else(|| port_protocol(high, tcp, &self.ports))
    }

    fn note(&mut self, message: std::fmt::Arguments<'_>) {
        self.notes += 1;
        if !self.quiet && self.notes <= MAX_WARNINGS {
            warn(message);
        }
    }

    /// Feeds one captured frame; `found` gets each DNS message it completes.
    pub fn frame(
        &mut self,
        frame: u64,
        ts: Timestamp,
        link_type: capture::LinkType,
        data: &[u8],
        found: &mut impl FnMut(Origin, &[u8]),
    ) {
        let network = link::network(link_type, data);
        let Ok(header) = ip::parse(network) else {
            return;
        };
        if header.protocol != PROTO_UDP && header.protocol != PROTO_TCP {
            return;
        }
        let reassembled;
        let payload = match header.fragment {
            None => header.payload,
            Some(fragment) => {
                let key = DatagramKey {
                    src: header.src,
                    dst: header.dst,
                    id: fragment.id,
                    protocol: header.protocol,
                };
                match self.defrag.push(ts, key, fragment, header.payload) {
                    Outcome::Pending => return,
                    Outcome::Complete(datagram) => {
                        reassembled = datagram;
                        &reassembled[..]
                    }
                    Outcome::Dropped(why) => {
                        self.note(format_args!("frame {frame}: IP fragment dropped: {why}"));
                        return;
                    }
                }
            }
        };
        if header.protocol == PROTO_UDP {
            let Some(udp) = ip::udp(payload) else { return };
            let protocol = match self.by_port(udp.sport, udp.dport, false) {
                Some(p) => p,
                // Wireshark's other dissectors own the low ports: only guess above them.
                None if self.heuristic
                    && udp.sport >= 1024
                    && udp.dport >= 1024
                    && looks_like_dns(udp.payload) =>
                {
                    Protocol::Dns
                }
                None => return,
            };
            let origin = Origin {
                frame,
                ts,
                src: header.src,
                dst: header.dst,
                sport: udp.sport,
                dport: udp.dport,
                tcp: false,
                protocol,
                reported_len: udp.reported_len,
            };
            found(origin, udp.payload);
            return;
        }
        let Some(tcp) = ip::tcp(payload) else { return };
        let Some(protocol) = self.by_port(tcp.sport, tcp.dport, true) else {
            return;
        };
        let origin = Origin {
            frame,
            ts,
            src: header.src,
            dst: header.dst,
            sport: tcp.sport,
            dport: tcp.dport,
            tcp: true,
            protocol,
            reported_len: 0,
        };
        let dir = Direction {
            src: header.src,
            sport: tcp.sport,
            dst: header.dst,
            dport: tcp.dport,
        };
        let segment = Segment {
            seq: tcp.seq,
            syn: tcp.syn,
            fin: tcp.fin,
            rst: tcp.rst,
            payload: tcp.payload,
        };
        let mut gaps = Vec::new();
        self.tcp
            .push(ts, dir, segment, |m| found(origin, m), |e| gaps.push(e));
        for Event::Gap { missing, resynced } in gaps {
            let how = if resynced {
                "resynchronised"
            } else {
                "waiting for a message start"
            };
            self.note(format_args!(
                "frame {frame}: TCP {}:{} -> {}:{}: {missing} bytes missing, {how}",
                header.src, tcp.sport, header.dst, tcp.dport
            ));
        }
    }

    /// At the end of the input: messages found behind holes that never filled.
    pub fn finish(&mut self, last: Origin, found: &mut impl FnMut(Origin, &[u8])) {
        let mut gaps = 0;
        self.tcp.finish(
            |dir, m| {
                let origin = Origin {
                    src: dir.src,
                    dst: dir.dst,
                    sport: dir.sport,
                    dport: dir.dport,
                    tcp: true,
                    protocol: Protocol::Dns,
                    ..last
                };
                found(origin, m)
            },
            |_, _| gaps += 1,
        );
        if gaps > 0 {
            self.note(format_args!(
                "{gaps} TCP gaps never filled at the end of the capture"
            ));
        }
    }
}

/// Message filters from the command line.
struct Filter {
    qtypes: Vec<u16>,
    rcodes: Vec<u16>,
    /// Lower-case wire form of the --name suffix, without the root byte.
    suffix: Option<Vec<u8>>,
    queries: bool,
    responses: bool,
}

impl Filter {
    fn new(args: &Args) -> Result<Filter> {
        let suffix = match &args.name {
            Some(n) => {
                let name: crate::dns::Name = n
                    .parse()
                    .map_err(|e| super::UsageError(format!("--name {n}: {e}")))?;
                let mut wire: Vec<u8> = name.as_wire().iter().map(u8::to_ascii_lowercase).collect();
                wire.pop();
                Some(wire)
            }
            None => None,
        };
        Ok(Filter {
            qtypes: args.qtype.clone(),
            rcodes: args.rcode.clone(),
            suffix,
            queries: args.queries,
            responses: args.responses,
        })
    }

    fn is_empty(&self) -> bool {
        self.qtypes.is_empty()
            && self.rcodes.is_empty()
            && self.suffix.is_none()
            && !self.queries
            && !self.responses
    }

    fn accepts(&self, m: &Message<'_>) -> bool {
        if self.queries && m.header.is_response() || self.responses && !m.header.is_response() {
            return false;
        }
        let rcode_wanted = m.header.is_response() && self.rcodes.contains(&m.rcode());
        if !self.rcodes.is_empty() && !rcode_wanted {
            return false;
        }
        let question = m.questions.first();
        if !self.qtypes.is_empty() && !question.is_some_and(|q| self.qtypes.contains(&q.qtype)) {
            return false;
        }
        if let Some(suffix) = &self.suffix {
            let Some(q) = question else { return false };
            let mut key = q.name.to_lowercase_key(m.bytes);
            key.pop(); // root byte
                       // Label-aligned suffix: walk the labels of the key.
            let mut at = 0;
            let mut matched = suffix.is_empty();
            while !matched && at < key.len() {
                if key[at..] == suffix[..] {
                    matched = true;
                }
                at += 1 + usize::from(key[at]);
            }
            if !matched {
                return false;
            }
        }
        true
    }
}

/// Messages handed from the reading thread to the rendering thread, many at a time.
#[derive(Default)]
struct Batch {
    origins: Vec<Origin>,
    /// End offset of each message in `data`.
    ends: Vec<usize>,
    data: Vec<u8>,
    /// Timestamp of the capture's first packet (for relative times).
    first: Timestamp,
}

impl Batch {
    const MESSAGES: usize = 4096;

    fn push(&mut self, origin: Origin, msg: &[u8]) {
        self.origins.push(origin);
        self.data.extend_from_slice(msg);
        self.ends.push(self.data.len());
    }

    fn is_full(&self) -> bool {
        self.origins.len() >= Self::MESSAGES || self.data.len() >= 4 << 20
    }

    fn clear(&mut self) {
        self.origins.clear();
        self.ends.clear();
        self.data.clear();
    }
}

pub fn run(args: &Args) -> Result<()> {
    let shown = args.input.display().to_string();
    let mut reader = capture::open(&args.input).with_context(|| shown.clone())?;
    let mut output = Output::new(args, Filter::new(args)?);
    let progress = Progress::new(&args.input, args.quiet, reader.is_gzip());
    // Reading and reassembly on this thread, rendering and writing on another: the
    // two halves cost about the same, and the machine has two cores.
    let (to_renderer, batches) = std::sync::mpsc::sync_channel::<Batch>(4);
    let (recycle, recycled) = std::sync::mpsc::channel::<Batch>();
    let renderer = std::thread::Builder::new()
        .name("pcaptool-render".into())
        .spawn(move || -> io::Result<()> {
            let stdout = io::stdout();
            let mut out = BufWriter::with_capacity(256 << 10, stdout.lock());
            output.start(&mut out)?;
            for mut batch in batches {
                let mut start = 0;
                for (origin, &end) in batch.origins.iter().zip(&batch.ends) {
                    output.message(&mut out, *origin, batch.first, &batch.data[start..end])?;
                    start = end;
                }
                batch.clear();
                let _ = recycle.send(batch);
            }
            output.finish(&mut out)?;
            out.flush()
        })
        .context("cannot start the rendering thread")?;
    let mut extractor = Extractor::new(&args.ports, !args.no_heuristic, args.quiet);
    let mut batch = Batch::default();
    let mut renderer_gone = false;
    let send = |batch: &mut Batch, renderer_gone: &mut bool| {
        let fresh = recycled.try_recv().unwrap_or_default();
        let full = std::mem::replace(batch, fresh);
        batch.first = full.first;
        if to_renderer.send(full).is_err() {
            *renderer_gone = true;
        }
    };
    let mut frame = 0u64;
    let mut last = None;
    let outcome = loop {
        match reader.next_record() {
            Ok(Some(record)) => {
                frame += 1;
                progress.tick(frame, record.offset);
                if frame == 1 {
                    batch.first = record.ts;
                }
                extractor.frame(
                    frame,
                    record.ts,
                    record.link_type,
                    record.data,
                    &mut |origin, msg| batch.push(origin, msg),
                );
                last = Some((frame, record.ts));
                if batch.is_full() {
                    send(&mut batch, &mut renderer_gone);
                    if renderer_gone {
                        break Ok(());
                    }
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    if let Some((frame, ts)) = last {
        let end = Origin {
            frame,
            ts,
            src: IpAddr::from([0, 0, 0, 0]),
            dst: IpAddr::from([0, 0, 0, 0]),
            sport: 0,
            dport: 0,
            tcp: true,
            protocol: Protocol::Dns,
            reported_len: 0,
        };
        extractor.finish(end, &mut |origin, msg| batch.push(origin, msg));
    }
    if !renderer_gone {
        send(&mut batch, &mut renderer_gone);
    }
    drop(to_renderer);
    progress.finish();
    renderer.join().expect("the rendering thread panicked")?;
    for w in reader.take_warnings() {
        warn(format_args!("{shown}: {w}"));
    }
    if extractor.notes > MAX_WARNINGS && !args.quiet {
        warn(format_args!(
            "{} more notes about TCP gaps and fragments not shown",
            extractor.notes - MAX_WARNINGS
        ));
    }
    match outcome {
        Err(e) if e.is_truncation() => {
            warn(format_args!("{shown}: {e}"));
            Ok(())
        }
        Err(e) => Err(anyhow::Error::new(e).context(shown)),
        Ok(()) => Ok(()),
    }
}

/// One message rendered as `pcaptool dns` prints it (a line of text, JSON or CSV), for
/// other subcommands that show messages the same way.
pub fn render_one(format: OutputFormat, origin: Origin, msg: &[u8]) -> Vec<u8> {
    let mut output = Output {
        format,
        stats: None,
        filter: Filter {
            qtypes: Vec::new(),
            rcodes: Vec::new(),
            suffix: None,
            queries: false,
            responses: false,
        },
        line: String::new(),
        text: Vec::new(),
    };
    let mut out = Vec::new();
    let _ = output.message(&mut out, origin, origin.ts, msg);
    out
}

/// The chosen rendering, with its reusable buffers.
struct Output {
    format: OutputFormat,
    stats: Option<Stats>,
    filter: Filter,
    line: String,
    text: Vec<u8>,
}

impl Output {
    fn new(args: &Args, filter: Filter) -> Self {
        Output {
            format: args.format,
            stats: args.stats.then(|| Stats::new(args.top)),
            filter,
            line: String::with_capacity(1024),
            text: Vec::with_capacity(1024),
        }
    }

    fn start(&mut self, out: &mut impl Write) -> io::Result<()> {
        if self.stats.is_none() && self.format == OutputFormat::Csv {
            writeln!(out, "{CSV_HEADER}")?;
        }
        Ok(())
    }

    fn message(
        &mut self,
        out: &mut impl Write,
        origin: Origin,
        first: Timestamp,
        msg: &[u8],
    ) -> io::Result<()> {
        let needs_decoding =
            self.stats.is_some() || self.format != OutputFormat::Text || !self.filter.is_empty();
        let decoded = if needs_decoding {
            Message::parse(msg).ok()
        } else {
            None
        };
        if !self.filter.is_empty() {
            match &decoded {
                Some(m) if self.filter.accepts(m) => {}
                _ => return Ok(()),
            }
        }
        if let Some(stats) = &mut self.stats {
            stats.add(origin, msg, decoded.as_ref());
            return Ok(());
        }
        let rel = origin.ts.as_nanos() - first.as_nanos();
        if self.format == OutputFormat::Text {
            let text = &mut self.text;
            text.clear();
            push_u64(text, origin.frame);
            text.push(b' ');
            push_u64(text, rel.div_euclid(1_000_000_000).max(0) as u64);
            text.push(b'.');
            push_padded(text, (rel.rem_euclid(1_000_000_000) / 1000) as u64, 6);
            text.push(b' ');
            push_ip(text, origin.src);
            text.extend_from_slice(" → ".as_bytes());
            push_ip(text, origin.dst);
            text.push(b' ');
            text.extend_from_slice(origin.protocol.name().as_bytes());
            text.push(b' ');
            info::write_info(
                msg,
                origin.reported_len,
                origin.protocol == Protocol::Mdns,
                text,
            );
            text.push(b'\n');
            return out.write_all(text);
        }
        let line = &mut self.line;
        line.clear();
        match self.format {
            OutputFormat::Json => {
                write_json(line, &mut self.text, origin, rel, msg, decoded.as_ref())
            }
            _ => write_csv(line, origin, msg, decoded.as_ref()),
        }
        line.push('\n');
        out.write_all(line.as_bytes())
    }

    fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        match &self.stats {
            Some(stats) => stats.report(out, self.format),
            None => Ok(()),
        }
    }
}

fn flags_json(line: &mut String, h: &Header) {
    let b = |v: bool| if v { "true" } else { "false" };
    let _ = write!(
        line,
        "{{\"qr\":{},\"opcode\":{},\"aa\":{},\"tc\":{},\"rd\":{},\"ra\":{},\"z\":{},\"ad\":{},\"cd\":{}}}",
        b(h.is_response()),
        h.opcode(),
        b(h.authoritative()),
        b(h.truncated()),
        b(h.recursion_desired()),
        b(h.recursion_available()),
        b(h.z()),
        b(h.authentic_data()),
        b(h.checking_disabled())
    );
}

fn type_json(line: &mut String, code: u16) {
    match types::type_name(code) {
        Some(n) => json_str(line, n),
        None => json_str(line, &format!("TYPE{code}")),
    }
}

/// Appends a name from the message as a JSON string, through a reusable buffer.
fn name_json(line: &mut String, scratch: &mut String, msg: &[u8], name: crate::dns::wire::NameRef) {
    scratch.clear();
    name.write_to(msg, scratch);
    json_str(line, scratch);
}

fn write_json(
    line: &mut String,
    text: &mut Vec<u8>,
    origin: Origin,
    rel: i128,
    msg: &[u8],
    decoded: Option<&Message<'_>>,
) {
    let _ = write!(
        line,
        "{{\"frame\":{},\"time\":\"{}\",\"relative_time\":{}.{:09},\"src\":\"{}\",\"sport\":{},\"dst\":\"{}\",\"dport\":{},\"transport\":\"{}\",\"protocol\":\"{}\",\"size\":{},",
        origin.frame,
        origin.ts,
        rel.div_euclid(1_000_000_000),
        rel.rem_euclid(1_000_000_000),
        origin.src,
        origin.sport,
        origin.dst,
        origin.dport,
        if origin.tcp { "tcp" } else { "udp" },
        origin.protocol.name().to_ascii_lowercase(),
        msg.len()
    );
    line.push_str("\"info\":");
    text.clear();
    info::write_info(
        msg,
        origin.reported_len,
        origin.protocol == Protocol::Mdns,
        text,
    );
    json_str(line, &String::from_utf8_lossy(text));
    let mut scratch = String::new();
    let Some(m) = decoded else {
        line.push_str(",\"error\":{\"what\":\"shorter than a DNS header\",\"offset\":0}}");
        return;
    };
    let _ = write!(line, ",\"id\":{},\"flags\":", m.header.id);
    flags_json(line, &m.header);
    let rcode = m.rcode();
    let _ = write!(line, ",\"rcode\":{rcode},\"rcode_name\":");
    match types::rcode_name(rcode) {
        Some(n) => json_str(line, n),
        None => json_str(line, &format!("RCODE{rcode}")),
    }
    let _ = write!(
        line,
        ",\"counts\":{{\"questions\":{},\"answers\":{},\"authority\":{},\"additional\":{}}},\"questions\":[",
        m.header.qdcount, m.header.ancount, m.header.nscount, m.header.arcount
    );
    let mdns = origin.protocol == Protocol::Mdns;
    for (i, q) in m.questions.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str("{\"name\":");
        name_json(line, &mut scratch, msg, q.name);
        line.push_str(",\"type\":");
        type_json(line, q.qtype);
        let class = if mdns { q.qclass & 0x7fff } else { q.qclass };
        let _ = write!(line, ",\"class\":{class}");
        if mdns {
            let _ = write!(line, ",\"unicast_response\":{}", q.qclass & 0x8000 != 0);
        }
        line.push('}');
    }
    line.push(']');
    for section in [Section::Answer, Section::Authority, Section::Additional] {
        let _ = write!(line, ",\"{}\":[", section.name());
        let records = match section {
            Section::Answer => &m.answers,
            Section::Authority => &m.authority,
            Section::Additional => &m.additional,
        };
        for (i, r) in records.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str("{\"name\":");
            name_json(line, &mut scratch, msg, r.name);
            line.push_str(",\"type\":");
            type_json(line, r.rtype);
            if r.rtype == types::TYPE_OPT {
                line.push_str(",\"data\":");
            } else {
                let class = if mdns { r.class & 0x7fff } else { r.class };
                let _ = write!(line, ",\"class\":{class},\"ttl\":{}", r.ttl);
                if mdns {
                    let _ = write!(line, ",\"cache_flush\":{}", r.class & 0x8000 != 0);
                }
                line.push_str(",\"data\":");
            }
            rdata::write_json(msg, r, line);
            line.push('}');
        }
        line.push(']');
    }
    match &m.error {
        Some(e) => {
            line.push_str(",\"error\":{\"what\":");
            json_str(line, &e.to_string());
            let _ = write!(line, ",\"offset\":{}}}", e.offset());
        }
        None => line.push_str(",\"error\":null"),
    }
    if m.trailing > 0 {
        let _ = write!(line, ",\"trailing_bytes\":{}", m.trailing);
    }
    line.push('}');
}

const CSV_HEADER: &str = "frame,time,src,sport,dst,dport,transport,protocol,id,qr,opcode,rcode,qname,qtype,qclass,answers,authority,additional,error";

/// A CSV field, quoted when it holds a comma, quote, or any control or non-ASCII byte
/// (RFC 4180: quotes doubled inside).
fn csv_field(line: &mut String, value: &str) {
    if value
        .bytes()
        .any(|b| b == b',' || b == b'"' || b < 0x20 || b == 0x7f)
    {
        line.push('"');
        for c in value.chars() {
            if c == '"' {
                line.push('"');
            }
            line.push(c);
        }
        line.push('"');
    } else {
        line.push_str(value);
    }
}

fn write_csv(line: &mut String, origin: Origin, msg: &[u8], decoded: Option<&Message<'_>>) {
    let _ = write!(
        line,
        "{},{},{},{},{},{},{},{},",
        origin.frame,
        origin.ts,
        origin.src,
        origin.sport,
        origin.dst,
        origin.dport,
        if origin.tcp { "tcp" } else { "udp" },
        origin.protocol.name().to_ascii_lowercase()
    );
    let Some(m) = decoded else {
        line.push_str(",,,,,,,,,,,shorter than a DNS header");
        return;
    };
    let h = &m.header;
    let _ = write!(
        line,
        "{},{},{},{},",
        h.id,
        u8::from(h.is_response()),
        h.opcode(),
        m.rcode()
    );
    match m.questions.first() {
        Some(q) => {
            // Names can hold commas and quotes (escaped as \, in presentation form
            // they are not): quote them.
            csv_field(line, &q.name.to_string(msg));
            line.push(',');
            match types::type_name(q.qtype) {
                Some(n) => line.push_str(n),
                None => {
                    let _ = write!(line, "TYPE{}", q.qtype);
                }
            }
            let _ = write!(line, ",{}", q.qclass);
        }
        None => line.push_str(",,"),
    }
    let _ = write!(
        line,
        ",{},{},{},",
        m.answers.len(),
        m.authority.len(),
        m.additional.len()
    );
    if let Some(e) = &m.error {
        csv_field(line, &e.to_string());
    }
}

/// Query/response matching key: client and server endpoints, id and question.
#[derive(Clone, PartialEq, Eq, Hash)]
struct MatchKey {
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    id: u16,
    question: Option<(Vec<u8>, u16, u16)>,
}

/// Most queries waiting for an answer that --stats remembers; beyond that the oldest
/// are counted as unanswered.
const MAX_PENDING: usize = 1_000_000;
/// Most distinct names counted for the top list.
const MAX_NAMES: usize = 1_000_000;

/// Response times in a log-linear histogram (32 steps per power of two: quantiles
/// within about 2%), so memory stays constant however many pairs there are.
struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    min: u64,
    max: u64,
}

impl Histogram {
    const SUB: u32 = 5;

    fn new() -> Self {
        Histogram {
            buckets: vec![0; 64 << Self::SUB],
            count: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    fn bucket(v: u64) -> usize {
        if v < (1 << Self::SUB) {
            return v as usize;
        }
        let msb = 63 - v.leading_zeros();
        let shift = msb - Self::SUB;
        (((msb - Self::SUB + 1) << Self::SUB) as usize)
            + ((v >> shift) as usize & ((1 << Self::SUB) - 1))
    }

    fn lower_bound(b: usize) -> u64 {
        if b < (1 << Self::SUB) {
            return b as u64;
        }
        let group = (b >> Self::SUB) as u32 - 1;
        let msb = group + Self::SUB;
        (1u64 << msb) | (((b & ((1 << Self::SUB) - 1)) as u64) << (msb - Self::SUB))
    }

    fn add(&mut self, v: u64) {
        self.buckets[Self::bucket(v)] += 1;
        self.count += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    fn quantile(&self, q: f64) -> u64 {
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (b, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Self::lower_bound(b).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

struct Stats {
    top: usize,
    messages: u64,
    queries: u64,
    responses: u64,
    malformed: u64,
    qtypes: HashMap<u16, u64>,
    rcodes: HashMap<u16, u64>,
    opcodes: HashMap<u8, u64>,
    names: HashMap<Vec<u8>, u64>,
    names_overflow: u64,
    pending: HashMap<MatchKey, Timestamp>,
    pending_evicted: u64,
    answered: u64,
    unsolicited: u64,
    retransmitted: u64,
    rtt: Histogram,
}

impl Stats {
    fn new(top: usize) -> Self {
        Stats {
            top,
            messages: 0,
            queries: 0,
            responses: 0,
            malformed: 0,
            qtypes: HashMap::new(),
            rcodes: HashMap::new(),
            opcodes: HashMap::new(),
            names: HashMap::new(),
            names_overflow: 0,
            pending: HashMap::new(),
            pending_evicted: 0,
            answered: 0,
            unsolicited: 0,
            retransmitted: 0,
            rtt: Histogram::new(),
        }
    }

    fn add(&mut self, origin: Origin, msg: &[u8], decoded: Option<&Message<'_>>) {
        self.messages += 1;
        let Some(m) = decoded else {
            self.malformed += 1;
            return;
        };
        if m.error.is_some() {
            self.malformed += 1;
        }
        *self.opcodes.entry(m.header.opcode()).or_default() += 1;
        let question = m.questions.first().map(|q| {
            let key = q.name.to_lowercase_key(msg);
            (key, q.qtype, q.qclass)
        });
        if let (Some((name, qtype, _)), false) = (&question, m.header.is_response()) {
            *self.qtypes.entry(*qtype).or_default() += 1;
            if let Some(n) = self.names.get_mut(name) {
                *n += 1;
            } else if self.names.len() < MAX_NAMES {
                self.names.insert(name.clone(), 1);
            } else {
                self.names_overflow += 1;
            }
        }
        let src = (origin.src, origin.sport);
        let dst = (origin.dst, origin.dport);
        if m.header.is_response() {
            self.responses += 1;
            *self.rcodes.entry(m.rcode()).or_default() += 1;
            let key = MatchKey {
                client: dst,
                server: src,
                id: m.header.id,
                question,
            };
            match self.pending.remove(&key) {
                Some(asked) => {
                    self.answered += 1;
                    self.rtt
                        .add((origin.ts.as_nanos() - asked.as_nanos()).max(0) as u64);
                }
                None => self.unsolicited += 1,
            }
        } else {
            self.queries += 1;
            let key = MatchKey {
                client: src,
                server: dst,
                id: m.header.id,
                question,
            };
            if self.pending.contains_key(&key) {
                self.retransmitted += 1;
                return;
            }
            if self.pending.len() >= MAX_PENDING {
                if let Some(oldest) = self
                    .pending
                    .iter()
                    .min_by_key(|(_, t)| **t)
                    .map(|(k, _)| k.clone())
                {
                    self.pending.remove(&oldest);
                    self.pending_evicted += 1;
                }
            }
            self.pending.insert(key, origin.ts);
        }
    }

    fn sorted<K: Copy + Ord>(map: &HashMap<K, u64>) -> Vec<(K, u64)> {
        let mut v: Vec<(K, u64)> = map.iter().map(|(k, n)| (*k, *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    fn top_names(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(&Vec<u8>, u64)> = self.names.iter().map(|(k, n)| (k, *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(self.top);
        v.into_iter()
            .map(|(wire, n)| {
                let text = crate::dns::wire::NameRef { offset: 0 }.to_string(wire);
                (text, n)
            })
            .collect()
    }

    fn report(&self, out: &mut impl Write, format: OutputFormat) -> io::Result<()> {
        let unanswered = self.pending.len() as u64 + self.pending_evicted;
        let ms = |ns: u64| ns as f64 / 1e6;
        let type_label =
            |t: u16| types::type_name(t).map_or_else(|| format!("TYPE{t}"), str::to_string);
        let rcode_label =
            |r: u16| types::rcode_name(r).map_or_else(|| format!("RCODE{r}"), str::to_string);
        let opcode_label = |o: u8| match o {
            0 => "QUERY".to_string(),
            1 => "IQUERY".to_string(),
            2 => "STATUS".to_string(),
            4 => "NOTIFY".to_string(),
            5 => "UPDATE".to_string(),
            6 => "DSO".to_string(),
            n => format!("OPCODE{n}"),
        };
        if format == OutputFormat::Json {
            let mut s = String::new();
            let _ = write!(
                s,
                "{{\"messages\":{},\"queries\":{},\"responses\":{},\"malformed\":{},\"answered\":{},\"unanswered\":{},\"unsolicited\":{},\"retransmitted_queries\":{}",
                self.messages, self.queries, self.responses, self.malformed, self.answered, unanswered, self.unsolicited, self.retransmitted
            );
            let obj = |s: &mut String, key: &str, items: Vec<(String, u64)>| {
                let _ = write!(s, ",\"{key}\":{{");
                for (i, (k, n)) in items.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    json_str(s, k);
                    let _ = write!(s, ":{n}");
                }
                s.push('}');
            };
            obj(
                &mut s,
                "qtypes",
                Self::sorted(&self.qtypes)
                    .into_iter()
                    .map(|(k, n)| (type_label(k), n))
                    .collect(),
            );
            obj(
                &mut s,
                "rcodes",
                Self::sorted(&self.rcodes)
                    .into_iter()
                    .map(|(k, n)| (rcode_label(k), n))
                    .collect(),
            );
            obj(
                &mut s,
                "opcodes",
                Self::sorted(&self.opcodes)
                    .into_iter()
                    .map(|(k, n)| (opcode_label(k), n))
                    .collect(),
            );
            s.push_str(",\"top_names\":[");
            for (i, (name, n)) in self.top_names().iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                s.push_str("{\"name\":");
                json_str(&mut s, name);
                let _ = write!(s, ",\"count\":{n}}}");
            }
            s.push(']');
            if self.rtt.count > 0 {
                let _ = write!(
                    s,
                    ",\"response_time_ms\":{{\"min\":{},\"median\":{},\"p99\":{},\"max\":{}}}",
                    ms(self.rtt.min),
                    ms(self.rtt.quantile(0.5)),
                    ms(self.rtt.quantile(0.99)),
                    ms(self.rtt.max)
                );
            }
            s.push('}');
            return writeln!(out, "{s}");
        }
        writeln!(
            out,
            "messages: {} ({} queries, {} responses, {} malformed)",
            self.messages, self.queries, self.responses, self.malformed
        )?;
        writeln!(
            out,
            "matching: {} answered, {} unanswered, {} unsolicited responses, {} retransmitted queries",
            self.answered, unanswered, self.unsolicited, self.retransmitted
        )?;
        if self.rtt.count > 0 {
            writeln!(
                out,
                "response time (ms): min {:.3}, median {:.3}, p99 {:.3}, max {:.3}",
                ms(self.rtt.min),
                ms(self.rtt.quantile(0.5)),
                ms(self.rtt.quantile(0.99)),
                ms(self.rtt.max)
            )?;
        }
        writeln!(out, "query types:")?;
        for (t, n) in Self::sorted(&self.qtypes) {
            writeln!(out, "  {:<10} {n}", type_label(t))?;
        }
        writeln!(out, "rcodes:")?;
        for (r, n) in Self::sorted(&self.rcodes) {
            writeln!(out, "  {:<10} {n}", rcode_label(r))?;
        }
        writeln!(out, "opcodes:")?;
        for (o, n) in Self::sorted(&self.opcodes) {
            writeln!(out, "  {:<10} {n}", opcode_label(o))?;
        }
        writeln!(out, "top names:")?;
        for (name, n) in self.top_names() {
            writeln!(out, "  {n:>8} {name}")?;
        }
        if self.names_overflow > 0 {
            writeln!(
                out,
                "  ({} questions for names beyond the first {MAX_NAMES} distinct ones not ranked)",
                self.names_overflow
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles() {
        let mut h = Histogram::new();
        for v in 1..=1000u64 {
            h.add(v * 1000);
        }
        let median = h.quantile(0.5) as f64;
        assert!((median - 500_000.0).abs() / 500_000.0 < 0.04, "{median}");
        let p99 = h.quantile(0.99) as f64;
        assert!((p99 - 990_000.0).abs() / 990_000.0 < 0.04, "{p99}");
        assert_eq!((h.min, h.max), (1000, 1_000_000));
        for v in [0u64, 1, 31, 32, 33, 1 << 40, u64::MAX / 2] {
            assert!(Histogram::lower_bound(Histogram::bucket(v)) <= v, "{v}");
        }
    }

    #[test]
    fn csv_quoting() {
        let mut s = String::new();
        csv_field(&mut s, "a,b\"c");
        assert_eq!(s, "\"a,b\"\"c\"");
    }
}
