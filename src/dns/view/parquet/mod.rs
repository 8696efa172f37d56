//! DNS as a table: one Parquet row per query joined with its response (matched as
//! `--stats` matches them), one row for each query or response left alone, with
//! ENTRADA2's column names and types (SIDN/entrada2 `SCHEMA.md`) and a few more
//! (`dns_proc_time_us`, `matched`, `query_frame`, `response_frame`).
//!
//! Memory is bounded: rows go to the Parquet writer in batches of [`BATCH_ROWS`]
//! (a row group of about a million rows is held encoded and compressed until it is
//! full), and queries waiting for a response are held within a byte budget; the oldest
//! leave as unanswered rows when it is spent, the rest at the end.
//!
//! ```
//! use pcaptool::dns::decode::MessageSink;
//! use pcaptool::dns::view::parquet::{ParquetSink, TableConfig};
//! let mut sink = ParquetSink::new(Vec::new(), TableConfig::default()).unwrap();
//! sink.finish().unwrap();
//! let file = sink.into_output().unwrap();
//! assert_eq!(&file[..4], b"PAR1");
//! ```

use std::io::{self, Write};
use std::net::IpAddr;
use std::path::PathBuf;

mod columns;
pub mod dataset;

use columns::Table;
use dataset::{Dataset, Layout};

use crate::capture::Timestamp;
use crate::dns::analysis::find::{Origin, Protocol};
use crate::dns::analysis::matching::{MatchKey, Pending};
use crate::dns::decode::{MessageSink, Row};
use crate::dns::view::dig;
use crate::dns::wire::registry as types;
use crate::dns::wire::{walk_name, Flags, Message, Section};

/// Rows handed to the Parquet writer at a time.
pub const BATCH_ROWS: usize = 65_536;
/// Rows per row group (readers skip whole groups by their statistics).
pub const ROW_GROUP_ROWS: usize = 1 << 20;

/// How long a query waits for its response by default: resolvers give up well before.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Why a row holds one message only (the `unmatched_reason` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unmatched {
    /// A query whose key (client, server, ID, question) already waited: the first
    /// waits on.
    Retransmission,
    /// No response within the timeout.
    Timeout,
    /// Left to keep the waiting queries within their memory budget.
    Memory,
    /// Still waiting when the input ended: the response may start the next capture
    /// (a dataset built file by file joins these with `NoQuery` rows of the next).
    EndOfInput,
    /// A response with no query waiting for it.
    NoQuery,
    /// Shorter than a DNS header: nothing to match with.
    Short,
}

impl Unmatched {
    pub fn name(self) -> &'static str {
        match self {
            Unmatched::Retransmission => "retransmission",
            Unmatched::Timeout => "timeout",
            Unmatched::Memory => "memory",
            Unmatched::EndOfInput => "end_of_input",
            Unmatched::NoQuery => "no_query",
            Unmatched::Short => "short",
        }
    }
}

/// The parts of one row: a query, its response, or both.
#[derive(Clone, Copy)]
struct Parts<'a> {
    query: Option<&'a Side>,
    response: Option<&'a Side>,
    /// The message just decoded when it is the response, or the query of a row
    /// without response: its records are written from it directly (a waiting query
    /// keeps owned copies of its own).
    live: Option<&'a Message<'a>>,
    unmatched: Option<Unmatched>,
}

/// What the table says about where it was captured, and how long queries may wait.
#[derive(Clone, Debug)]
pub struct TableConfig {
    /// The `server` column: the name server the capture was taken at.
    pub server: String,
    /// The `server_location` column.
    pub server_location: String,
    /// Memory for queries waiting for their response; beyond it the oldest are written
    /// as unanswered rows.
    pub pending_bytes: usize,
    /// How long (capture time) a query waits for its response before it is written as
    /// unanswered.
    pub timeout: std::time::Duration,
    /// The `pcap_file` column: each input's file name, by rank in the capture set.
    pub files: Vec<String>,
}

impl Default for TableConfig {
    fn default() -> Self {
        TableConfig {
            server: String::new(),
            server_location: String::new(),
            pending_bytes: 32 << 20,
            timeout: DEFAULT_TIMEOUT,
            files: Vec::new(),
        }
    }
}

/// One message's part of a row: everything the row takes from it, owned (a query
/// waits for its response after its bytes are gone).
#[derive(Clone, Debug)]
struct Side {
    /// Frame number within its input file (what Wireshark shows when opening it).
    frame: u64,
    ts: Timestamp,
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    tcp: bool,
    ttl: Option<u8>,
    handshake_us: Option<u32>,
    file: u32,
    len: usize,
    id: u16,
    flags: Option<Flags>,
    counts: Option<[u16; 4]>,
    /// First question: name as sent, its label count, type, class.
    question: Option<(String, i32, u16, u16)>,
    /// The rcode with EDNS's high bits.
    rcode: Option<u16>,
    /// UDP size, version, DO bit, option codes.
    edns: Option<(u16, u8, bool, Vec<u16>)>,
    /// Client subnet as `address/source prefix`, extended DNS error codes, NSID.
    ecs: Option<String>,
    ext_errors: Vec<u16>,
    nsid: Option<String>,
    /// Records of every section but OPT: section (1 answer, 2 authority, 3
    /// additional), type, owner name, TTL, data in presentation format.
    records: Vec<(i32, u16, String, u32, String)>,
    /// Targets of the answer section's CNAME records, in order.
    cnames: Vec<String>,
}

impl Side {
    /// `keep_records`: copy the records (a query that may wait); else they are read
    /// from the message when the row is written. `with_question`: the first question
    /// (a response's is not shown when its query has one).
    fn of(
        origin: &Origin,
        bytes: &[u8],
        message: Option<&Message<'_>>,
        keep_records: bool,
        with_question: bool,
    ) -> Side {
        // A message too short for its header still has the ID and flags it has.
        let word = |at: usize| {
            bytes
                .get(at..at + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
        };
        let mut side = Side {
            frame: origin.file_frame,
            ts: origin.ts,
            src: origin.src,
            dst: origin.dst,
            sport: origin.sport,
            dport: origin.dport,
            tcp: origin.tcp,
            ttl: origin.ttl,
            handshake_us: origin.handshake_us,
            file: origin.file,
            len: bytes.len(),
            id: word(0).unwrap_or(0),
            flags: word(2).map(Flags),
            counts: None,
            question: None,
            rcode: None,
            edns: None,
            ecs: None,
            ext_errors: Vec::new(),
            nsid: None,
            records: Vec::new(),
            cnames: Vec::new(),
        };
        if let Some(m) = message {
            let h = &m.header;
            side.counts = Some([h.qdcount, h.ancount, h.nscount, h.arcount]);
            let first = m.questions.first().filter(|_| with_question);
            side.question = first.map(|q| {
                let mut labels = 0;
                let mut end = None;
                let _ = walk_name(m.bytes, q.name.offset, |_| labels += 1, &mut end);
                // mDNS uses the class's top bit for "unicast response", as JSON says.
                let class = if origin.protocol == Protocol::Mdns {
                    q.qclass & 0x7fff
                } else {
                    q.qclass
                };
                (q.name.to_string(m.bytes), labels, q.qtype, class)
            });
            side.rcode = Some(m.rcode());
            if let Some(e) = m.edns() {
                for (code, value) in e.options.iter() {
                    match code {
                        OPTION_NSID => side.nsid = Some(nsid_text(value)),
                        OPTION_ECS => side.ecs = ecs_text(value),
                        OPTION_EDE if value.len() >= 2 => side
                            .ext_errors
                            .push(u16::from_be_bytes([value[0], value[1]])),
                        _ => {}
                    }
                }
                let codes = e.options.iter().map(|(code, _)| code).collect();
                side.edns = Some((e.udp_size, e.version, e.dnssec_ok, codes));
            }
            let records = m.records().filter(|(_, r)| r.rtype != types::TYPE_OPT);
            for (section, r) in records.take(if keep_records { usize::MAX } else { 0 }) {
                let data = dig::rdata(m.bytes, r);
                if section == Section::Answer && r.rtype == types::TYPE_CNAME {
                    side.cnames.push(data.trim_end_matches('.').to_string());
                }
                side.records.push((
                    section_number(section),
                    r.rtype,
                    r.name.to_string(m.bytes),
                    r.ttl,
                    data,
                ));
            }
        }
        side
    }

    fn is_response(&self) -> bool {
        self.flags.is_some_and(|f| f.is_response())
    }

    /// Bytes it holds beyond its size.
    fn heap(&self) -> usize {
        let text = |s: &Option<String>| s.as_ref().map_or(0, |s| s.capacity() + 16);
        self.question.as_ref().map_or(0, |q| q.0.capacity() + 16)
            + self.edns.as_ref().map_or(0, |e| 2 * e.3.len() + 16)
            + text(&self.ecs)
            + text(&self.nsid)
            + 2 * self.ext_errors.len()
            + self
                .records
                .iter()
                .map(|r| std::mem::size_of_val(r) + r.2.len() + r.4.len() + 32)
                .sum::<usize>()
            + self.cnames.iter().map(|c| c.len() + 40).sum::<usize>()
    }
}

/// ENTRADA's section numbers: 1 answer, 2 authority, 3 additional.
fn section_number(section: Section) -> i32 {
    match section {
        Section::Answer => 1,
        Section::Authority => 2,
        Section::Additional => 3,
    }
}

const OPTION_NSID: u16 = 3;
const OPTION_ECS: u16 = 8;
const OPTION_EDE: u16 = 15;

/// An NSID as text when it is printable ASCII (as servers set it), else as hex.
fn nsid_text(value: &[u8]) -> String {
    if !value.is_empty() && value.iter().all(|b| (0x20..0x7f).contains(b)) {
        String::from_utf8_lossy(value).into_owned()
    } else {
        value.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A client subnet option (RFC 7871) as `address/source prefix`; `None` when it is not
/// one (unknown family, address longer than the family's).
fn ecs_text(value: &[u8]) -> Option<String> {
    let (head, address) = value.split_at_checked(4)?;
    let family = u16::from_be_bytes([head[0], head[1]]);
    let prefix = head[2];
    let ip: IpAddr = match family {
        1 if address.len() <= 4 => {
            let mut octets = [0u8; 4];
            octets[..address.len()].copy_from_slice(address);
            octets.into()
        }
        2 if address.len() <= 16 => {
            let mut octets = [0u8; 16];
            octets[..address.len()].copy_from_slice(address);
            octets.into()
        }
        _ => return None,
    };
    Some(format!("{ip}/{prefix}"))
}

/// Writes the transaction table of the messages it gets as Parquet: into one file,
/// or into a dataset of part files by day ([`ParquetSink::dataset`]).
pub struct ParquetSink<W: Write + Send + 'static> {
    config: TableConfig,
    out: Destination<W>,
    pending: Pending<Side>,
    /// Rows written (or in the batch being filled), and of them matched.
    pub rows: u64,
    pub matched: u64,
}

enum Destination<W: Write + Send + 'static> {
    File(Option<Box<Table<W>>>),
    /// The file's output once the table is finished.
    Written(W),
    Dataset(Dataset),
}

impl<W: Write + Send + 'static> ParquetSink<W> {
    /// A sink writing one Parquet file into `out`.
    pub fn new(out: W, config: TableConfig) -> io::Result<ParquetSink<W>> {
        let table = Table::new(out, &[])?;
        Ok(Self::with(Destination::File(Some(Box::new(table))), config))
    }

    fn with(out: Destination<W>, config: TableConfig) -> ParquetSink<W> {
        ParquetSink {
            pending: Pending::new(config.pending_bytes),
            config,
            out,
            rows: 0,
            matched: 0,
        }
    }

    /// The part files written (a dataset's, once finished).
    pub fn written(&self) -> &[PathBuf] {
        match &self.out {
            Destination::Dataset(d) => &d.written,
            _ => &[],
        }
    }

    /// The output [`ParquetSink::new`] was given, once [`MessageSink::finish`] wrote
    /// the file whole.
    pub fn into_output(self) -> Option<W> {
        match self.out {
            Destination::Written(out) => Some(out),
            _ => None,
        }
    }

    fn row(&mut self, parts: Parts<'_>) -> io::Result<()> {
        self.rows += 1;
        if parts.unmatched.is_none() {
            self.matched += 1;
        }
        let config = &self.config;
        match &mut self.out {
            Destination::File(Some(table)) => table.push(config, parts),
            Destination::File(None) | Destination::Written(_) => Ok(()),
            Destination::Dataset(d) => d.push(config, parts),
        }
    }

    /// A row of a query alone, after its bytes are gone.
    fn unanswered(&mut self, query: &Side, why: Unmatched) -> io::Result<()> {
        self.row(Parts {
            query: Some(query),
            response: None,
            live: None,
            unmatched: Some(why),
        })
    }

    /// Writes the queries that waited longer than the timeout before `now`.
    fn expire(&mut self, now: Timestamp) -> io::Result<()> {
        let limit = now.as_nanos() - self.config.timeout.as_nanos() as i128;
        let mut gone = Vec::new();
        self.pending
            .expire(|q| q.ts.as_nanos() < limit, |_, q| gone.push(q));
        for query in gone {
            self.unanswered(&query, Unmatched::Timeout)?;
        }
        Ok(())
    }
}

impl ParquetSink<std::fs::File> {
    /// A sink adding part files to the dataset `layout` describes (created if need be);
    /// see [`dataset`].
    ///
    /// ```
    /// use pcaptool::dns::decode::MessageSink;
    /// use pcaptool::dns::view::parquet::{dataset::Layout, ParquetSink, TableConfig};
    /// let dir = std::env::temp_dir().join(format!("pcaptool-doc-{}", std::process::id()));
    /// let layout = Layout { dir: dir.clone(), by_server: true };
    /// let mut sink = ParquetSink::dataset(layout, TableConfig::default()).unwrap();
    /// sink.finish().unwrap();
    /// assert!(sink.written().is_empty()); // no rows, no parts
    /// std::fs::remove_dir_all(dir).unwrap();
    /// ```
    pub fn dataset(layout: Layout, config: TableConfig) -> io::Result<Self> {
        let dataset = Dataset::new(layout, &config)?;
        Ok(Self::with(Destination::Dataset(dataset), config))
    }
}

impl<W: Write + Send + 'static> MessageSink for ParquetSink<W> {
    fn message(&mut self, row: &Row<'_>) -> io::Result<()> {
        self.expire(row.origin.ts)?;
        let Some(m) = row.message.as_ref() else {
            // Shorter than a header: a row of its own, by the QR bit it has, if any.
            let side = Side::of(&row.origin, row.bytes, None, false, true);
            let alone = Some(&side);
            return self.row(Parts {
                query: alone.filter(|s| !s.is_response()),
                response: alone.filter(|s| s.is_response()),
                live: None,
                unmatched: Some(Unmatched::Short),
            });
        };
        let key = MatchKey::of(&row.origin, m);
        if m.header.flags.is_response() {
            let query = self.pending.remove(&key);
            // Records come from `m` as the row is written; the question from the query.
            let question = query.as_ref().is_none_or(|q| q.question.is_none());
            let side = Side::of(&row.origin, row.bytes, Some(m), false, question);
            return self.row(Parts {
                query: query.as_ref(),
                response: Some(&side),
                live: Some(m),
                unmatched: query.is_none().then_some(Unmatched::NoQuery),
            });
        }
        // A query may wait: it keeps its records.
        let side = Side::of(&row.origin, row.bytes, Some(m), true, true);
        if self.pending.contains(&key) {
            // A retransmission: the first query waits on; this one is a row alone.
            self.row(Parts {
                query: Some(&side),
                response: None,
                live: Some(m),
                unmatched: Some(Unmatched::Retransmission),
            })
        } else {
            let heap = side.heap();
            let mut gone = Vec::new();
            self.pending
                .insert_sized(key, side, heap, |_, query| gone.push(query));
            for query in gone {
                self.unanswered(&query, Unmatched::Memory)?;
            }
            Ok(())
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        let mut left = Vec::new();
        self.pending.drain(|_, query| left.push(query));
        for query in left {
            self.unanswered(&query, Unmatched::EndOfInput)?;
        }
        match &mut self.out {
            Destination::File(table) => {
                if let Some(t) = table.take() {
                    self.out = Destination::Written(t.close()?);
                }
                Ok(())
            }
            Destination::Written(_) => Ok(()),
            Destination::Dataset(d) => d.finish(),
        }
    }
}
