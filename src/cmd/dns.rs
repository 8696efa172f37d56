//! `pcaptool dns`: every DNS message in a capture, one line each in Wireshark's words,
//! or JSON lines, or CSV, or a statistics summary.
//!
//! Records go through the link layer and IP (fragments reassembled) to UDP or TCP on
//! the DNS ports (TCP streams reassembled per direction); each message found is
//! filtered and handed to the chosen output.

use std::io::{self, BufWriter, Write};
use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{warn, Progress};
use crate::capture::{self, Timestamp};
use crate::dns::digits::{push_ip, push_padded, push_u64};
use crate::dns::extract::{Extractor, Origin, Protocol};
use crate::dns::info;
use crate::dns::render::{write_csv, write_json, CSV_HEADER};
use crate::dns::stats::{Stats, StatsFormat};
use crate::dns::types;
use crate::dns::wire::Message;

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
#[command(verbatim_doc_comment)]
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
    let mut extractor = Extractor::new(&args.ports, !args.no_heuristic);
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
    if !args.quiet {
        let notes = extractor.take_notes();
        for note in &notes {
            warn(note);
        }
        if extractor.notes_seen > notes.len() as u64 {
            warn(format_args!(
                "{} more notes about TCP gaps and fragments not shown",
                extractor.notes_seen - notes.len() as u64
            ));
        }
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
            Some(stats) => stats.report(
                out,
                if self.format == OutputFormat::Json {
                    StatsFormat::Json
                } else {
                    StatsFormat::Text
                },
            ),
            None => Ok(()),
        }
    }
}
