//! The `query` engine: a DNS client over UDP and TCP, with reply checks, retries,
//! TC fallback, pipelined TCP batches and an optional recording of the exchange.
//!
//! A reply counts only if it comes from the server queried (the UDP socket is
//! connected, so the kernel drops datagrams from any other address or port), carries
//! the query's ID and repeats its question; anything else is ignored and counted, and
//! waiting goes on until the timeout.
//!
//! ```no_run
//! use pcaptool::dns::client::{Client, ClientConfig, QuerySpec};
//! let spec = QuerySpec { qtype: 28, ..QuerySpec::new("example.com".parse().unwrap()) };
//! let mut client = Client::new(ClientConfig::new("127.0.0.1:53".parse().unwrap()));
//! let answer = client.query(&spec.build(&mut pcaptool::rng::Rng::from_entropy())).unwrap();
//! println!("{} answers", answer.message().answers.len());
//! ```

pub mod batch;

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use crate::dns::analysis::matching::QuestionKey;
use crate::dns::wire::{DecodeError, Flags, Message as Decoded};
use crate::dns::{Edns, Message, Name};
use crate::packet::record::Recorder;
use crate::packet::tcp_session::Side;
use crate::rng::Rng;

/// Where and how to ask.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub server: SocketAddr,
    /// TCP from the start.
    pub tcp: bool,
    /// Ask again over TCP when a UDP answer is truncated (TC set).
    pub tcp_fallback: bool,
    /// How long to wait for each answer.
    pub timeout: Duration,
    /// How many times to resend a UDP query that got no answer.
    pub retries: u32,
    /// Keep every query and reply for [`Client::recording`].
    pub record: bool,
}

impl ClientConfig {
    /// UDP with TC fallback, 2 s timeout, 2 retries, no recording.
    pub fn new(server: SocketAddr) -> Self {
        ClientConfig {
            server,
            tcp: false,
            tcp_fallback: true,
            timeout: Duration::from_secs(2),
            retries: 2,
            record: false,
        }
    }
}

/// One question and the options of the query that carries it.
#[derive(Clone, Debug)]
pub struct QuerySpec {
    pub name: Name,
    pub qtype: u16,
    pub class: u16,
    pub recursion_desired: bool,
    /// EDNS0 UDP payload size; `None` sends no OPT record (and none of what follows).
    pub edns_size: Option<u16>,
    pub dnssec_ok: bool,
    /// Ask for the server's NSID (RFC 5001).
    pub nsid: bool,
    /// Send a random client cookie (RFC 7873).
    pub cookie: bool,
    /// EDNS client subnet (RFC 7871): family, source prefix, address bytes.
    pub subnet: Option<(u16, u8, Vec<u8>)>,
}

impl QuerySpec {
    /// An `A` query in class IN with RD set and EDNS0 (1232 bytes).
    pub fn new(name: Name) -> Self {
        QuerySpec {
            name,
            qtype: crate::dns::wire::registry::TYPE_A,
            class: crate::dns::wire::registry::CLASS_IN,
            recursion_desired: true,
            edns_size: Some(1232),
            dnssec_ok: false,
            nsid: false,
            cookie: false,
            subnet: None,
        }
    }

    /// The query message, with a random ID (and cookie) from `rng`.
    pub fn build(&self, rng: &mut Rng) -> Message {
        let mut q = Message::query(rng.next_u16(), self.name.clone(), self.qtype);
        q.questions[0].qclass = self.class;
        q.flags.set(Flags::RD, self.recursion_desired);
        if let Some(udp_size) = self.edns_size {
            let mut options = Vec::new();
            if self.nsid {
                options.push((3, Vec::new()));
            }
            if let Some((family, prefix, address)) = &self.subnet {
                let mut data = family.to_be_bytes().to_vec();
                data.extend_from_slice(&[*prefix, 0]);
                data.extend_from_slice(address);
                options.push((8, data));
            }
            if self.cookie {
                options.push((10, rng.next_u64().to_be_bytes().to_vec()));
            }
            q.edns = Some(Edns {
                udp_size,
                dnssec_ok: self.dnssec_ok,
                options,
                ..Default::default()
            });
        }
        q
    }
}

/// A reply that passed every check, with how it came.
#[derive(Clone, Debug)]
pub struct Answer {
    pub bytes: Vec<u8>,
    pub tcp: bool,
    pub elapsed: Duration,
    /// Replies ignored for a wrong ID or question.
    pub ignored: u32,
}

impl Answer {
    /// The decoded reply (it decoded when it was received).
    pub fn message(&self) -> Decoded<'_> {
        match Decoded::parse(&self.bytes) {
            Ok(m) => m,
            // Unreachable: replies shorter than a header are never accepted.
            Err(_) => unreachable!("an accepted reply has a header"),
        }
    }
}

/// How a query failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    Refused(String),
    #[error("{what}")]
    Malformed { offset: usize, what: String },
    #[error("{what}: {cause}")]
    Io { what: String, cause: io::Error },
}

impl QueryError {
    /// The same failure again (for every query a broken connection leaves unanswered).
    pub fn again(&self) -> QueryError {
        match self {
            QueryError::Timeout(s) => QueryError::Timeout(s.clone()),
            QueryError::Refused(s) => QueryError::Refused(s.clone()),
            QueryError::Malformed { offset, what } => QueryError::Malformed {
                offset: *offset,
                what: what.clone(),
            },
            QueryError::Io { what, cause } => QueryError::Io {
                what: what.clone(),
                cause: io::Error::new(cause.kind(), cause.to_string()),
            },
        }
    }
}

/// Reads exactly `buf.len()` bytes before `deadline`, however the bytes trickle in:
/// each read waits only for what is left of the time.
fn read_exact_by(stream: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buf[filled..]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn io_error(what: String) -> impl FnOnce(io::Error) -> QueryError {
    move |cause| QueryError::Io { what, cause }
}

fn malformed(e: DecodeError) -> QueryError {
    QueryError::Malformed {
        offset: e.offset(),
        what: format!("malformed reply: {e}"),
    }
}

/// Does `reply` answer `query`: same ID, a response, the same question (name without
/// regard to ASCII case)? Err for a matching reply that does not decode.
pub fn answers(query: &Message, reply: &[u8]) -> Result<bool, DecodeError> {
    if reply.len() < 2 || u16::from_be_bytes([reply[0], reply[1]]) != query.id {
        return Ok(false);
    }
    let m = Decoded::parse(reply)?;
    if !m.header.flags.is_response() {
        return Ok(false);
    }
    if let Some(e) = m.error {
        return Err(e);
    }
    let same_question = match QuestionKey::of(&m) {
        Some(theirs) => QuestionKey::of_query(query) == Some(theirs),
        // Some servers leave the question out of error replies (FORMERR, NOTIMP).
        None => m.header.flags.rcode() != 0,
    };
    Ok(same_question)
}

/// A DNS client for one server.
pub struct Client {
    config: ClientConfig,
    recorder: Option<Recorder>,
}

impl Client {
    pub fn new(config: ClientConfig) -> Self {
        let recorder = config.record.then(Recorder::default);
        Client { config, recorder }
    }

    /// What went over the wire so far, when recording.
    pub fn recording(&self) -> Option<&Recorder> {
        self.recorder.as_ref()
    }

    /// Asks one query: over UDP (retried, then over TCP if truncated), or over TCP.
    pub fn query(&mut self, query: &Message) -> Result<Answer, QueryError> {
        if !self.config.tcp {
            let reply = self.exchange_udp(query)?;
            let wants_tcp = reply.message().header.flags.truncated() && self.config.tcp_fallback;
            if !wants_tcp {
                return Ok(reply);
            }
        }
        let mut replies = self.exchange_tcp(std::slice::from_ref(query))?;
        Ok(replies.remove(0))
    }

    /// Asks every query: pipelined over one TCP connection with `tcp`, else one after
    /// the other; `each` gets every query's outcome (by index) as soon as it is known,
    /// and a failed query does not stop the others.
    pub fn batch(
        &mut self,
        queries: &[Message],
        mut each: impl FnMut(usize, Result<Answer, QueryError>),
    ) {
        if self.config.tcp && queries.len() > 1 {
            self.pipeline(queries, &mut each);
        } else {
            for (i, q) in queries.iter().enumerate() {
                each(i, self.query(q));
            }
        }
    }

    fn exchange_udp(&mut self, query: &Message) -> Result<Answer, QueryError> {
        let server = self.config.server;
        let wire = query.encode();
        let local: SocketAddr = if server.is_ipv4() {
            (IpAddr::from([0u8; 4]), 0).into()
        } else {
            (IpAddr::from([0u16; 8]), 0).into()
        };
        let socket = UdpSocket::bind(local).map_err(io_error("cannot open a UDP socket".into()))?;
        socket
            .connect(server)
            .map_err(io_error(format!("cannot reach {server}")))?;
        let local = socket
            .local_addr()
            .map_err(io_error("cannot read the local address".into()))?;
        let mut buf = vec![0u8; 65_535];
        let mut ignored = 0;
        for _attempt in 0..=self.config.retries {
            let sent = Instant::now();
            socket
                .send(&wire)
                .map_err(io_error(format!("cannot send to {server}")))?;
            if let Some(r) = self.recorder.as_mut() {
                r.udp(local, server, &wire);
            }
            let deadline = sent + self.config.timeout;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                socket
                    .set_read_timeout(Some(left))
                    .map_err(io_error("cannot set a timeout".into()))?;
                match socket.recv(&mut buf) {
                    Ok(n) => {
                        let reply = &buf[..n];
                        if let Some(r) = self.recorder.as_mut() {
                            r.udp(server, local, reply);
                        }
                        match answers(query, reply) {
                            Ok(true) => {
                                return Ok(Answer {
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
                        return Err(QueryError::Refused(format!(
                            "{server}: connection refused (nothing listens on that UDP port)"
                        )));
                    }
                    Err(e) => return Err(io_error(format!("cannot receive from {server}"))(e)),
                }
            }
        }
        let note = if ignored > 0 {
            format!(" ({ignored} unmatched replies ignored)")
        } else {
            String::new()
        };
        Err(QueryError::Timeout(format!(
            "{server}: no answer after {} tries of {:?}{note}",
            self.config.retries + 1,
            self.config.timeout
        )))
    }

    /// One query over TCP.
    fn exchange_tcp(&mut self, queries: &[Message]) -> Result<Vec<Answer>, QueryError> {
        let mut answers = Vec::new();
        let mut failed = None;
        self.pipeline(queries, &mut |_, outcome| match outcome {
            Ok(a) => answers.push(a),
            Err(e) => failed = Some(e),
        });
        match failed {
            Some(e) => Err(e),
            None => Ok(answers),
        }
    }

    /// Sends every query over one TCP connection (pipelined), then reads the replies,
    /// each a 2-byte length and exactly that many bytes, matched to queries by ID,
    /// within one deadline (the timeout from the sending) that no incoming data
    /// extends. A connection that fails fails every query still unanswered.
    fn pipeline(
        &mut self,
        queries: &[Message],
        each: &mut dyn FnMut(usize, Result<Answer, QueryError>),
    ) {
        let mut answered = vec![false; queries.len()];
        if let Err(e) = self.pipeline_inner(queries, &mut answered, each) {
            for (i, done) in answered.iter().enumerate() {
                if !done {
                    each(i, Err(e.again()));
                }
            }
        }
    }

    fn pipeline_inner(
        &mut self,
        queries: &[Message],
        answered: &mut [bool],
        each: &mut dyn FnMut(usize, Result<Answer, QueryError>),
    ) -> Result<(), QueryError> {
        let server = self.config.server;
        let timeout = self.config.timeout;
        let started = Instant::now();
        let mut stream =
            TcpStream::connect_timeout(&server, timeout).map_err(|e| match e.kind() {
                io::ErrorKind::ConnectionRefused => {
                    QueryError::Refused(format!("{server}: connection refused"))
                }
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                    QueryError::Timeout(format!("{server}: TCP connection timed out"))
                }
                _ => io_error(format!("cannot connect to {server}"))(e),
            })?;
        let local = stream
            .local_addr()
            .map_err(io_error("cannot read the local address".into()))?;
        if let Some(r) = self.recorder.as_mut() {
            r.tcp_open(local, server);
        }
        let mut out = Vec::new();
        for q in queries {
            out.extend_from_slice(&q.encode_tcp());
        }
        stream
            .write_all(&out)
            .map_err(io_error(format!("cannot send to {server}")))?;
        if let Some(r) = self.recorder.as_mut() {
            r.tcp_data(Side::Client, &out);
        }
        let deadline = Instant::now() + timeout;
        let failed = |e: io::Error| match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                QueryError::Timeout(format!("{server}: no answer over TCP within {timeout:?}"))
            }
            io::ErrorKind::UnexpectedEof => QueryError::Malformed {
                offset: 0,
                what: format!("{server}: connection closed in the middle of a reply"),
            },
            _ => io_error(format!("cannot read from {server}"))(e),
        };
        let mut ignored = 0;
        let mut left = queries.len();
        while left > 0 {
            let mut len = [0u8; 2];
            read_exact_by(&mut stream, &mut len, deadline).map_err(failed)?;
            let mut bytes = vec![0u8; usize::from(u16::from_be_bytes(len))];
            read_exact_by(&mut stream, &mut bytes, deadline).map_err(failed)?;
            if let Some(r) = self.recorder.as_mut() {
                let mut framed = len.to_vec();
                framed.extend_from_slice(&bytes);
                r.tcp_data(Side::Server, &framed);
            }
            let mut taken = false;
            for (i, q) in queries.iter().enumerate() {
                if answered[i] {
                    continue;
                }
                match answers(q, &bytes) {
                    Ok(true) => {
                        answered[i] = true;
                        left -= 1;
                        each(
                            i,
                            Ok(Answer {
                                bytes: std::mem::take(&mut bytes),
                                tcp: true,
                                elapsed: started.elapsed(),
                                ignored,
                            }),
                        );
                        taken = true;
                        break;
                    }
                    Ok(false) => {}
                    Err(e) => {
                        answered[i] = true;
                        left -= 1;
                        each(i, Err(malformed(e)));
                        taken = true;
                        break;
                    }
                }
            }
            if !taken {
                ignored += 1;
            }
        }
        if let Some(r) = self.recorder.as_mut() {
            r.tcp_close();
        }
        Ok(())
    }
}

/// A server as dig's `@SERVER` names it: an IPv4 or IPv6 address, with an optional port
/// (`192.0.2.1:5353`, `[::1]:5353`; `::1` alone), port 53 by default.
pub fn parse_server(text: &str) -> Result<SocketAddr, String> {
    let bad =
        || format!("'@{text}' is not an IPv4 or IPv6 server address (with an optional :PORT)");
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
    Err(bad())
}

/// The first `nameserver` of /etc/resolv.conf (a zone index such as `%eth0` dropped).
pub fn system_server() -> Result<SocketAddr, String> {
    let text = std::fs::read_to_string("/etc/resolv.conf")
        .map_err(|e| format!("no @SERVER given and cannot read /etc/resolv.conf: {e}"))?;
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
        .ok_or_else(|| "no @SERVER given and /etc/resolv.conf names no nameserver".to_string())
}

/// An EDNS client subnet (RFC 7871) from `ADDRESS/PREFIX` (the whole address without a
/// prefix): (family, source prefix, the address bytes the prefix covers).
pub fn parse_subnet(text: &str) -> Result<(u16, u8, Vec<u8>), String> {
    let bad = || format!("--subnet {text}: expected ADDRESS/PREFIX, e.g. 192.0.2.0/24");
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
        return Err(bad());
    }
    let keep = usize::from(prefix).div_ceil(8);
    Ok((family, prefix, octets[..keep].to_vec()))
}

/// One question to ask: a name and a query type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    pub name: Name,
    pub qtype: u16,
}

impl Ask {
    /// A name and an optional type (`A` when none). With `idna`, a name holding
    /// non-ASCII characters is converted as dig and kdig do (UTS #46, non-transitional:
    /// `café.example` asks for `xn--caf-dma.example`); without, its UTF-8 bytes are sent
    /// as given.
    ///
    /// ```
    /// use pcaptool::dns::client::Ask;
    /// assert_eq!(Ask::parse("example.com", Some("MX"), true).unwrap().qtype, 15);
    /// assert!(Ask::parse("example.com", Some("NOPE"), true).is_err());
    /// let idn = Ask::parse("Café.example", None, true).unwrap();
    /// assert_eq!(idn.name.to_string(), "xn--caf-dma.example");
    /// let raw = Ask::parse("café.example", None, false).unwrap();
    /// assert_eq!(raw.name.as_wire(), b"\x05caf\xc3\xa9\x07example\x00");
    /// ```
    pub fn parse(name: &str, qtype: Option<&str>, idna: bool) -> Result<Ask, String> {
        let ascii;
        let text = if idna && !name.is_ascii() {
            ascii = idna::domain_to_ascii(name)
                .map_err(|_| format!("bad name '{name}': not a valid internationalised name (IDNA); --no-idn sends it as given"))?;
            ascii.as_str()
        } else {
            name
        };
        let name = text
            .parse::<Name>()
            .map_err(|e| format!("bad name '{name}': {e}"))?;
        let qtype = match qtype {
            Some(t) => crate::dns::wire::registry::parse_type(t)
                .ok_or_else(|| format!("unknown query type '{t}'"))?,
            None => crate::dns::wire::registry::TYPE_A,
        };
        Ok(Ask { name, qtype })
    }

    /// The question of a command line or a batch line, as dig reads them: `NAME`,
    /// `NAME TYPE` or `TYPE NAME`; `None` for no words.
    ///
    /// ```
    /// use pcaptool::dns::client::Ask;
    /// let ask = Ask::from_words(&["AAAA", "example.com"], true).unwrap().unwrap();
    /// assert_eq!((ask.name.to_string(), ask.qtype), ("example.com".into(), 28));
    /// ```
    pub fn from_words(words: &[&str], idna: bool) -> Result<Option<Ask>, String> {
        use crate::dns::wire::registry::parse_type;
        match words {
            [] => Ok(None),
            [name] => Ask::parse(name, None, idna).map(Some),
            [first, second] => {
                // dig accepts TYPE NAME too: take whichever reads as a type.
                if parse_type(first).is_some() && parse_type(second).is_none() {
                    Ask::parse(second, Some(first), idna).map(Some)
                } else {
                    Ask::parse(first, Some(second), idna).map(Some)
                }
            }
            more => Err(format!("expected NAME [TYPE], got {}", more.join(" "))),
        }
    }
}
