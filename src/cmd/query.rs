//! `pcaptool query`: a dig-like DNS client over UDP and TCP that can record its own
//! exchange as a capture.
//!
//! A reply counts only if it comes from the server queried (the UDP socket is
//! connected, so the kernel drops datagrams from any other address or port), carries
//! the query's ID and repeats its question; anything else is ignored and counted, and
//! waiting goes on until the timeout.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::dns::OutputFormat as DnsFormat;
use super::{usage, UsageError};
use crate::dns::extract::{Origin, Protocol};
use crate::dns::present::{self, Delivery};
use crate::dns::types;
use crate::dns::wire::{DecodeError, Message as Decoded};
use crate::dns::{Edns, Message, Name};
use crate::packet::record::{now, Recorder};
use crate::packet::tcp_session::Side;
use crate::rng::Rng;

/// Exit statuses, one per way a query can end (documented in --help).
pub mod status {
    pub const ERROR_RCODE: u8 = 3;
    pub const TIMEOUT: u8 = 4;
    pub const REFUSED: u8 = 5;
    pub const MALFORMED: u8 = 6;
}

/// How a query failed; carries its exit status.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct QueryFailure {
    pub status: u8,
    pub message: String,
}

fn failure(status: u8, message: impl Into<String>) -> anyhow::Error {
    QueryFailure {
        status,
        message: message.into(),
    }
    .into()
}

/// Send one DNS query (or a batch) and print the answer, like dig.
///
/// Arguments in any order: the name, optionally a type, optionally @SERVER[:PORT]
/// (IPv6 as @::1 or @[::1]:5353). Without @SERVER, the first nameserver of
/// /etc/resolv.conf.
///
/// Exit status: 0 answered (NOERROR), 2 bad name, type or option, 3 answered with an
/// error rcode (NXDOMAIN, REFUSED, SERVFAIL, ...: printed like any answer), 4 timeout
/// (no reply after all retries), 5 connection refused, 6 malformed reply, 1 other errors.
///
/// Examples:
///   pcaptool query example.com
///   pcaptool query example.com AAAA @9.9.9.9 --do
///   pcaptool query @127.0.0.1:5353 www.example.test MX --tcp --pcap exchange.pcap
///   pcaptool query --batch names.txt @::1 --tcp --format text
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// NAME [TYPE] [@SERVER[:PORT]], in any order. Example: example.com MX @127.0.0.1
    #[arg(required_unless_present = "batch", value_name = "NAME|TYPE|@SERVER")]
    pub query: Vec<String>,
    /// Query class: IN, CH, HS, ANY or a number.
    #[arg(long, default_value = "IN", value_name = "CLASS")]
    pub class: String,
    /// Clear the RD (recursion desired) flag.
    #[arg(long)]
    pub no_rd: bool,
    /// Send no EDNS0 OPT record (plain RFC 1035 query; UDP answers then stop at 512 bytes).
    #[arg(long)]
    pub no_edns: bool,
    /// EDNS0 UDP payload size.
    #[arg(long, default_value_t = 1232, value_name = "BYTES")]
    pub edns_size: u16,
    /// Set the EDNS0 DO (DNSSEC OK) bit.
    #[arg(long = "do")]
    pub dnssec_ok: bool,
    /// Ask for the server's NSID (RFC 5001).
    #[arg(long)]
    pub nsid: bool,
    /// Send a random client cookie (RFC 7873).
    #[arg(long)]
    pub cookie: bool,
    /// EDNS client subnet (RFC 7871). Example: --subnet 192.0.2.0/24
    #[arg(long, value_name = "CIDR")]
    pub subnet: Option<String>,
    /// Use TCP from the start.
    #[arg(long)]
    pub tcp: bool,
    /// Do not retry over TCP when a UDP answer is truncated (TC set).
    #[arg(long)]
    pub no_tcp_fallback: bool,
    /// How long to wait for each answer. Example: --timeout 500ms
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// How many times to resend a UDP query that got no answer.
    #[arg(long, default_value_t = 2)]
    pub retries: u32,
    /// Output: dig (header, sections, query time, server), text (one Info line as
    /// `pcaptool dns` prints) or json (as `pcaptool dns --format json`).
    #[arg(long, value_enum, default_value_t = Style::Dig)]
    pub format: Style,
    /// Record every query and reply (real timestamps) into this capture: Ethernet/IP/UDP,
    /// or a whole TCP connection, with correct checksums. Example: --pcap exchange.pcap
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Names to query, one per line (optionally followed by a type): over UDP one after
    /// the other, or with --tcp pipelined over one connection.
    #[arg(long, value_name = "FILE")]
    pub batch: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    Dig,
    Text,
    Json,
}

/// One question to ask.
struct Ask {
    name: Name,
    qtype: u16,
}

fn parse_server(text: &str) -> Result<SocketAddr> {
    let bad = || {
        UsageError(format!(
            "'@{text}' is not an IPv4 or IPv6 server address (with an optional :PORT)"
        ))
    };
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Some(stripped) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let ip: IpAddr = stripped.parse().map_err(|_| bad())?;
        return Ok(SocketAddr::new(ip, 53));
    }
    Err(bad().into())
}

/// The first `nameserver` of /etc/resolv.conf.
fn system_server() -> Result<SocketAddr> {
    let text = std::fs::read_to_string("/etc/resolv.conf")
        .context("no @SERVER given and cannot read /etc/resolv.conf")?;
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .find_map(|rest| {
            rest.split_whitespace()
                .next()?
                .split('%')
                .next()?
                .parse::<IpAddr>()
                .ok()
        })
        .map(|ip| SocketAddr::new(ip, 53))
        .context("no @SERVER given and /etc/resolv.conf names no nameserver")
}

fn parse_ask(name: &str, qtype: Option<&str>) -> Result<Ask> {
    let name = name
        .parse::<Name>()
        .map_err(|e| UsageError(format!("bad name '{name}': {e}")))?;
    let qtype = match qtype {
        Some(t) => {
            types::parse_type(t).ok_or_else(|| UsageError(format!("unknown query type '{t}'")))?
        }
        None => types::TYPE_A,
    };
    Ok(Ask { name, qtype })
}

pub fn run(args: &Args) -> Result<()> {
    let mut server = None;
    let mut words = Vec::new();
    for word in &args.query {
        match word.strip_prefix('@') {
            Some(s) => server = Some(parse_server(s)?),
            None => words.push(word.as_str()),
        }
    }
    let mut asks = Vec::new();
    match words.as_slice() {
        [] => {}
        [name] => asks.push(parse_ask(name, None)?),
        [name, qtype] => {
            // dig accepts TYPE NAME too: take whichever reads as a type.
            if types::parse_type(name).is_some() && types::parse_type(qtype).is_none() {
                asks.push(parse_ask(qtype, Some(name))?)
            } else {
                asks.push(parse_ask(name, Some(qtype))?)
            }
        }
        more => {
            return usage(format!(
                "expected NAME [TYPE] [@SERVER], got {}",
                more.join(" ")
            ))
        }
    }
    if let Some(path) = &args.batch {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            let mut parts = line.split_whitespace();
            if let Some(name) = parts.next() {
                asks.push(
                    parse_ask(name, parts.next())
                        .map_err(|e| UsageError(format!("{}:{}: {e}", path.display(), i + 1)))?,
                );
            }
        }
    }
    if asks.is_empty() {
        return usage("nothing to ask: give a NAME or --batch FILE");
    }
    let class = types::parse_class(&args.class)
        .ok_or_else(|| UsageError(format!("unknown class '{}'", args.class)))?;
    let subnet = args.subnet.as_deref().map(parse_subnet).transpose()?;
    let server = match server {
        Some(s) => s,
        None => system_server()?,
    };
    let mut rng = Rng::from_entropy();
    let queries: Vec<Message> = asks
        .iter()
        .map(|ask| build_query(args, ask, class, subnet.as_ref(), &mut rng))
        .collect();
    let mut recorder = args.pcap.as_ref().map(|_| Recorder::default());
    let results = if args.tcp && queries.len() > 1 {
        exchange_tcp(server, &queries, args.timeout, recorder.as_mut())
    } else {
        queries
            .iter()
            .map(|q| exchange(args, server, q, recorder.as_mut()))
            .collect::<Result<Vec<Reply>>>()
    };
    // The capture is written whatever happened, so a failed exchange can be inspected.
    if let (Some(path), Some(recorder)) = (&args.pcap, &recorder) {
        recorder.write(path, server)?;
    }
    let results = results?;
    let mut worst = None;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for reply in &results {
        print_reply(&mut out, args.format, server, reply)?;
        let rcode = reply.decoded().rcode();
        if rcode != 0 {
            worst = Some(rcode);
        }
    }
    out.flush()?;
    if let Some(rcode) = worst {
        let name = types::rcode_name(rcode).map_or_else(|| format!("RCODE{rcode}"), str::to_string);
        return Err(failure(
            status::ERROR_RCODE,
            format!("the server answered {name}"),
        ));
    }
    Ok(())
}

/// (family, source prefix, address bytes) of --subnet.
fn parse_subnet(text: &str) -> Result<(u16, u8, Vec<u8>)> {
    let bad = || {
        UsageError(format!(
            "--subnet {text}: expected ADDRESS/PREFIX, e.g. 192.0.2.0/24"
        ))
    };
    let (addr, prefix) = text.split_once('/').unwrap_or((text, ""));
    let ip: IpAddr = addr.parse().map_err(|_| bad())?;
    let (family, bits, octets) = match ip {
        IpAddr::V4(a) => (1u16, 32u8, a.octets().to_vec()),
        IpAddr::V6(a) => (2u16, 128u8, a.octets().to_vec()),
    };
    let prefix: u8 = if prefix.is_empty() {
        bits
    } else {
        prefix.parse().map_err(|_| bad())?
    };
    if prefix > bits {
        return Err(bad().into());
    }
    let keep = usize::from(prefix).div_ceil(8);
    Ok((family, prefix, octets[..keep].to_vec()))
}

fn build_query(
    args: &Args,
    ask: &Ask,
    class: u16,
    subnet: Option<&(u16, u8, Vec<u8>)>,
    rng: &mut Rng,
) -> Message {
    let mut q = Message::query(rng.next_u16(), ask.name.clone(), ask.qtype);
    q.questions[0].qclass = class;
    q.recursion_desired = !args.no_rd;
    if !args.no_edns {
        let mut options = Vec::new();
        if args.nsid {
            options.push((3, Vec::new()));
        }
        if let Some((family, prefix, address)) = subnet {
            let mut data = family.to_be_bytes().to_vec();
            data.extend_from_slice(&[*prefix, 0]);
            data.extend_from_slice(address);
            options.push((8, data));
        }
        if args.cookie {
            options.push((10, rng.next_u64().to_be_bytes().to_vec()));
        }
        q.edns = Some(Edns {
            udp_size: args.edns_size,
            dnssec_ok: args.dnssec_ok,
            options,
            ..Default::default()
        });
    }
    q
}

/// A reply that passed every check, with how it came.
struct Reply {
    bytes: Vec<u8>,
    tcp: bool,
    elapsed: Duration,
    /// Datagrams ignored for a wrong ID or question.
    ignored: u32,
}

impl Reply {
    fn decoded(&self) -> Decoded<'_> {
        Decoded::parse(&self.bytes).expect("checked when received")
    }
}

/// Does `reply` answer `query`: same ID, a response, the same question (name without
/// regard to ASCII case)? Err for a matching reply that does not decode.
fn matches(query: &Message, reply: &[u8]) -> Result<bool, DecodeError> {
    if reply.len() < 2 || u16::from_be_bytes([reply[0], reply[1]]) != query.id {
        return Ok(false);
    }
    let m = Decoded::parse(reply)?;
    if !m.header.is_response() {
        return Ok(false);
    }
    if let Some(e) = m.error {
        return Err(e);
    }
    let q = &query.questions[0];
    let same_question = match m.questions.first() {
        Some(r) => {
            let mine = q.name.as_wire().to_ascii_lowercase();
            r.name.to_lowercase_key(reply) == mine && r.qtype == q.qtype && r.qclass == q.qclass
        }
        // Some servers leave the question out of error replies (FORMERR, NOTIMP).
        None => m.header.rcode() != 0,
    };
    Ok(same_question)
}

fn malformed(e: DecodeError) -> anyhow::Error {
    failure(status::MALFORMED, format!("malformed reply: {e}"))
}

fn exchange(
    args: &Args,
    server: SocketAddr,
    query: &Message,
    mut recorder: Option<&mut Recorder>,
) -> Result<Reply> {
    let wire = query.encode();
    if !args.tcp {
        let reply = exchange_udp(server, query, &wire, args, recorder.as_deref_mut())?;
        let wants_tcp = reply.decoded().header.truncated() && !args.no_tcp_fallback;
        if !wants_tcp {
            return Ok(reply);
        }
    }
    let mut replies = exchange_tcp(server, std::slice::from_ref(query), args.timeout, recorder)?;
    Ok(replies.remove(0))
}

fn exchange_udp(
    server: SocketAddr,
    query: &Message,
    wire: &[u8],
    args: &Args,
    mut recorder: Option<&mut Recorder>,
) -> Result<Reply> {
    let local: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse()?
    } else {
        "[::]:0".parse()?
    };
    let socket = UdpSocket::bind(local).context("cannot open a UDP socket")?;
    socket
        .connect(server)
        .with_context(|| format!("cannot reach {server}"))?;
    let local = socket.local_addr()?;
    let mut buf = vec![0u8; 65_535];
    let mut ignored = 0;
    for _attempt in 0..=args.retries {
        let sent = Instant::now();
        socket
            .send(wire)
            .with_context(|| format!("cannot send to {server}"))?;
        if let Some(r) = recorder.as_deref_mut() {
            r.udp(local, server, wire);
        }
        let deadline = sent + args.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            socket.set_read_timeout(Some(left))?;
            match socket.recv(&mut buf) {
                Ok(n) => {
                    let reply = &buf[..n];
                    if let Some(r) = recorder.as_deref_mut() {
                        r.udp(server, local, reply);
                    }
                    match matches(query, reply) {
                        Ok(true) => {
                            return Ok(Reply {
                                bytes: reply.to_vec(),
                                tcp: false,
                                elapsed: sent.elapsed(),
                                ignored,
                            })
                        }
                        Ok(false) => ignored += 1,
                        Err(e) => return Err(malformed(e)),
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    return Err(failure(
                        status::REFUSED,
                        format!("{server}: connection refused (nothing listens on that UDP port)"),
                    ));
                }
                Err(e) => return Err(e).with_context(|| format!("cannot receive from {server}")),
            }
        }
    }
    let note = if ignored > 0 {
        format!(" ({ignored} unmatched replies ignored)")
    } else {
        String::new()
    };
    Err(failure(
        status::TIMEOUT,
        format!(
            "{server}: no answer after {} tries of {:?}{note}",
            args.retries + 1,
            args.timeout
        ),
    ))
}

/// Sends every query over one TCP connection (pipelined), then reads the replies,
/// each a 2-byte length and exactly that many bytes, matched to queries by ID.
fn exchange_tcp(
    server: SocketAddr,
    queries: &[Message],
    timeout: Duration,
    mut recorder: Option<&mut Recorder>,
) -> Result<Vec<Reply>> {
    let started = Instant::now();
    let mut stream = TcpStream::connect_timeout(&server, timeout).map_err(|e| match e.kind() {
        io::ErrorKind::ConnectionRefused => {
            failure(status::REFUSED, format!("{server}: connection refused"))
        }
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => failure(
            status::TIMEOUT,
            format!("{server}: TCP connection timed out"),
        ),
        _ => anyhow::Error::new(e).context(format!("cannot connect to {server}")),
    })?;
    let local = stream.local_addr()?;
    if let Some(r) = recorder.as_deref_mut() {
        r.tcp_open(local, server);
    }
    stream.set_read_timeout(Some(timeout))?;
    let mut out = Vec::new();
    for q in queries {
        out.extend_from_slice(&q.encode_tcp());
    }
    stream
        .write_all(&out)
        .with_context(|| format!("cannot send to {server}"))?;
    if let Some(r) = recorder.as_deref_mut() {
        r.tcp_data(Side::Client, &out);
    }
    let timed_out = |e: io::Error| match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => failure(
            status::TIMEOUT,
            format!("{server}: no answer over TCP within {timeout:?}"),
        ),
        io::ErrorKind::UnexpectedEof => failure(
            status::MALFORMED,
            format!("{server}: connection closed in the middle of a reply"),
        ),
        _ => anyhow::Error::new(e).context(format!("cannot read from {server}")),
    };
    let mut replies: Vec<Option<Reply>> = queries.iter().map(|_| None).collect();
    let mut ignored = 0;
    while replies.iter().any(Option::is_none) {
        let mut len = [0u8; 2];
        stream.read_exact(&mut len).map_err(timed_out)?;
        let mut bytes = vec![0u8; usize::from(u16::from_be_bytes(len))];
        stream.read_exact(&mut bytes).map_err(timed_out)?;
        if let Some(r) = recorder.as_deref_mut() {
            let mut framed = len.to_vec();
            framed.extend_from_slice(&bytes);
            r.tcp_data(Side::Server, &framed);
        }
        let mut taken = false;
        for (q, slot) in queries.iter().zip(replies.iter_mut()) {
            if slot.is_none() && matches(q, &bytes).map_err(malformed)? {
                *slot = Some(Reply {
                    bytes: std::mem::take(&mut bytes),
                    tcp: true,
                    elapsed: started.elapsed(),
                    ignored,
                });
                taken = true;
                break;
            }
        }
        if !taken {
            ignored += 1;
        }
    }
    if let Some(r) = recorder {
        r.tcp_close();
    }
    Ok(replies
        .into_iter()
        .map(|r| r.expect("all answered"))
        .collect())
}

fn print_reply(
    out: &mut impl Write,
    style: Style,
    server: SocketAddr,
    reply: &Reply,
) -> Result<()> {
    let origin = Origin {
        frame: 0,
        ts: now(),
        src: server.ip(),
        dst: server.ip(),
        sport: server.port(),
        dport: 0,
        tcp: reply.tcp,
        protocol: Protocol::Dns,
        reported_len: reply.bytes.len(),
    };
    match style {
        Style::Text => {
            let line = super::dns::render_one(DnsFormat::Text, origin, &reply.bytes);
            // Keep only the Info text: frame, time and addresses mean little here.
            let text = String::from_utf8_lossy(&line);
            let info = text.splitn(7, ' ').nth(6).unwrap_or(&text);
            write!(out, "{info}")?;
        }
        Style::Json => out.write_all(&super::dns::render_one(
            DnsFormat::Json,
            origin,
            &reply.bytes,
        ))?,
        Style::Dig => {
            let delivery = Delivery {
                server,
                tcp: reply.tcp,
                elapsed: reply.elapsed,
                ignored: reply.ignored,
            };
            present::dig(out, &reply.bytes, &reply.decoded(), &delivery)?
        }
    }
    Ok(())
}
