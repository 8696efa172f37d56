//! `pcaptool query`: arguments (dig-like NAME TYPE @SERVER in any order, batch files),
//! printing and exit statuses for [`pcaptool::dns::client`].

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use super::{usage, Output, UsageError};
use pcaptool::dns::analysis::find::Origin;
use pcaptool::dns::client::batch::{ask_all, Ending, Event, Tally};
use pcaptool::dns::client::{
    parse_server, parse_subnet, system_server, Answer, Ask, Client, ClientConfig, QuerySpec,
};
use pcaptool::dns::decode::Row;
use pcaptool::dns::view::dig::{self, Delivery};
use pcaptool::dns::view::{info, json};
use pcaptool::dns::wire::registry::{self as types, RecordType};
use pcaptool::names::NamesFile;
use pcaptool::packet::record::now;
use pcaptool::rng::Rng;

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
    /// Send names with non-ASCII characters as their UTF-8 bytes, not converted to IDNA
    /// (by default `café.example` asks for `xn--caf-dma.example`, as dig and kdig do).
    #[arg(long)]
    pub no_idn: bool,
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
    /// How long to wait for each answer: seconds (as dig's +time), or with a unit.
    /// Example: --timeout 1, --timeout 500ms
    #[arg(long, default_value = "2s", value_parser = parse_timeout)]
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

/// `--timeout`: bare seconds (`1`, `0.5`) or a duration with a unit (`500ms`); never 0.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let duration = match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => Duration::from_secs_f64(secs),
        Ok(_) => return Err(format!("'{text}' is not a number of seconds")),
        Err(_) => humantime::parse_duration(text).map_err(|e| format!("'{text}': {e}"))?,
    };
    if duration.is_zero() {
        return Err("a timeout of 0 would never wait for an answer".into());
    }
    Ok(duration)
}

pub fn run(args: &Args) -> Result<()> {
    let mut server = None;
    let mut words = Vec::new();
    for word in &args.query {
        match word.strip_prefix('@') {
            Some(s) => server = Some(parse_server(s).map_err(UsageError)?),
            None => words.push(word.as_str()),
        }
    }
    let asks: Vec<Ask> = Ask::from_words(&words, !args.no_idn)
        .map_err(UsageError)?
        .into_iter()
        .collect();
    let mut batch = match &args.batch {
        Some(path) => Some(NamesFile::open(path)?),

        None => None,
    };
    if asks.is_empty() && batch.is_none() {
        return usage("nothing to ask: give a NAME or --batch FILE");
    }
    let class = types::parse_class(&args.class)
        .ok_or_else(|| UsageError(format!("unknown class '{}'", args.class)))?;
    let subnet = args
        .subnet
        .as_deref()
        .map(parse_subnet)
        .transpose()
        .map_err(UsageError)?;
    let server = match server {
        Some(s) => s,
        None => system_server().map_err(anyhow::Error::msg)?,
    };
    let mut rng = Rng::from_entropy();
    let mut build = |ask: Ask| {
        let text = format!("{} {}", ask.name, RecordType(ask.qtype));
        let query = QuerySpec {
            name: ask.name,
            qtype: ask.qtype,
            class,
            recursion_desired: !args.no_rd,
            edns_size: (!args.no_edns).then_some(args.edns_size),
            dnssec_ok: args.dnssec_ok,
            nsid: args.nsid,
            cookie: args.cookie,
            subnet: subnet.clone(),
        }
        .build(&mut rng);
        (text, query)
    };
    let mut client = Client::new(ClientConfig {
        server,
        tcp: args.tcp,
        tcp_fallback: !args.no_tcp_fallback,
        timeout: args.timeout,
        retries: args.retries,
        record: args.pcap.is_some(),
    });
    // Names go in windows (pipelined over one connection each with --tcp), read from
    // the batch file as they are needed; each answer is printed when it comes and each
    // failure said with its name (at once in a batch, at the end for one query), and the
    // worst outcome is the exit status.
    let batch_mode = batch.is_some();
    let mut asks = asks.into_iter();
    let source = || match asks.next() {
        Some(ask) => Some(Ok(build(ask))),
        None => next_ask(batch.as_mut()?, !args.no_idn).map(|next| next.map(&mut build)),
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let tally = ask_all(&mut client, source, |event| match event {
        Event::Answered(_, answer) => {
            print_answer(&mut out, args.format, server, &answer)?;
            out.flush()
        }
        Event::Failed(what) => {
            if batch_mode {
                eprintln!("pcaptool: {what}");
            }
            Ok(())
        }
    })
    .map_err(|e| anyhow::anyhow!("cannot write to standard output: {e}"))?;
    // The capture is written whatever happened, so a failed exchange can be inspected.
    if let (Some(path), Some(recording)) = (&args.pcap, client.recording()) {
        let mut output = Output::create(path)?;
        match recording.write_pcap(server, &mut output) {
            Ok(_) => output.commit()?,
            Err(e) => {
                output.abandon();
                return Err(
                    anyhow::Error::new(e).context(format!("cannot write {}", path.display()))
                );
            }
        }
    }
    finish(tally, batch_mode)
}

/// The exit status of an ending (documented in --help).
fn status_of(ending: Ending) -> u8 {
    match ending {
        Ending::Answered => 0,
        Ending::ErrorRcode => status::ERROR_RCODE,
        Ending::Timeout => status::TIMEOUT,
        Ending::Refused => status::REFUSED,
        Ending::Malformed => status::MALFORMED,
        Ending::BadInput => 2,
        Ending::Failed => 1,
    }
}

/// The run's result: a single query says what went wrong; a batch (which said each
/// failure as it came) how many failed.
fn finish(tally: Tally, batch: bool) -> Result<()> {
    let status = status_of(tally.worst);
    let message = match tally.worst {
        Ending::Answered => return Ok(()),
        Ending::ErrorRcode if tally.failures == 0 => tally.last,
        _ if !batch => tally.last,
        _ => format!(
            "{} quer{} failed (each said above)",
            tally.failures,
            if tally.failures == 1 { "y" } else { "ies" }
        ),
    };
    Err(QueryFailure { status, message }.into())
}

/// The next name (and type) of a batch file; `Err` says which line is wrong and why.
fn next_ask(file: &mut NamesFile, idna: bool) -> Option<Result<Ask, String>> {
    Some(match file.next_line()? {
        Err(e) => Err(e.to_string()),
        Ok((line, text)) => {
            let words: Vec<&str> = text.split_whitespace().take(2).collect();
            match Ask::from_words(&words, idna) {
                Ok(Some(ask)) => Ok(ask),
                Ok(None) => Err(format!("{}:{line}: no name", file.name())),
                Err(e) => Err(format!("{}:{line}: {e}", file.name())),
            }
        }
    })
}

fn print_answer(
    out: &mut impl Write,
    style: Style,
    server: SocketAddr,
    answer: &Answer,
) -> io::Result<()> {
    match style {
        Style::Text => {
            // Only the Info text: frame, time and addresses mean little here.
            let mut line = Vec::new();
            info::write_info(&answer.bytes, answer.bytes.len(), false, &mut line);
            line.push(b'\n');
            out.write_all(&line)?;
        }
        Style::Json => {
            let origin = Origin::reply(server, answer.tcp, answer.bytes.len(), now());
            let row = Row {
                origin,
                first: origin.ts,
                bytes: &answer.bytes,
                message: Some(answer.message()),
                frame: None,
            };
            let mut line = String::new();
            json::write_json(&mut line, &mut Vec::new(), &row);
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        Style::Dig => {
            let delivery = Delivery {
                server,
                tcp: answer.tcp,
                elapsed: answer.elapsed,
                ignored: answer.ignored,
            };
            dig::dig(out, &answer.bytes, &answer.message(), &delivery)?
        }
    }
    Ok(())
}
