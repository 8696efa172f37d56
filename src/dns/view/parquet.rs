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
//! let mut file = Vec::new();
//! let mut sink = ParquetSink::new(&mut file, TableConfig::default()).unwrap();
//! sink.finish().unwrap();
//! drop(sink);
//! assert_eq!(&file[..4], b"PAR1");
//! ```

use std::io::{self, Write};
use std::net::IpAddr;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int32Builder, Int64Builder, ListBuilder, StringBuilder, StructBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

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
}

impl Default for TableConfig {
    fn default() -> Self {
        TableConfig {
            server: String::new(),
            server_location: String::new(),
            pending_bytes: 64 << 20,
        }
    }
}

/// One message's part of a row: everything the row takes from it, owned (a query
/// waits for its response after its bytes are gone).
#[derive(Clone, Debug)]
struct Side {
    frame: u64,
    ts: Timestamp,
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    tcp: bool,
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
    fn of(origin: &Origin, bytes: &[u8], message: Option<&Message<'_>>) -> Side {
        // A message too short for its header still has the ID and flags it has.
        let word = |at: usize| {
            bytes
                .get(at..at + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
        };
        let mut side = Side {
            frame: origin.frame,
            ts: origin.ts,
            src: origin.src,
            dst: origin.dst,
            sport: origin.sport,
            dport: origin.dport,
            tcp: origin.tcp,
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
            side.question = m.questions.first().map(|q| {
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
            for (section, r) in m.records() {
                if r.rtype == types::TYPE_OPT {
                    continue;
                }
                let data = dig::rdata(m.bytes, r);
                if section == Section::Answer && r.rtype == types::TYPE_CNAME {
                    side.cnames.push(data.trim_end_matches('.').to_string());
                }
                let number = match section {
                    Section::Answer => 1,
                    Section::Authority => 2,
                    Section::Additional => 3,
                };
                side.records
                    .push((number, r.rtype, r.name.to_string(m.bytes), r.ttl, data));
            }
        }
        side
    }

    fn is_response(&self) -> bool {
        self.flags.is_some_and(|f| f.is_response())
    }

    /// Bytes it holds beyond its size.
    fn heap(&self) -> usize {
        let text = |s: &Option<String>| s.as_ref().map_or(0, |s| s.len() + 16);
        self.question.as_ref().map_or(0, |q| q.0.len() + 16)
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

/// The columns, in order, with their types.
fn schema() -> Schema {
    use DataType::*;
    let int = |name: &str| Field::new(name, Int32, true);
    let long = |name: &str| Field::new(name, Int64, true);
    let flag = |name: &str| Field::new(name, Boolean, true);
    let text = |name: &str| Field::new(name, Utf8, true);
    Schema::new(vec![
        Field::new(
            "time",
            Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("dns_id", Int32, false),
        text("dns_qname"),
        text("dns_qname_full"),
        text("dns_domainname"),
        text("dns_tld"),
        int("dns_labels"),
        int("ip_version"),
        int("prot"),
        text("ip_src"),
        int("prot_src_port"),
        text("ip_dst"),
        int("prot_dst_port"),
        flag("dns_aa"),
        flag("dns_tc"),
        flag("dns_rd"),
        flag("dns_ra"),
        flag("dns_ad"),
        flag("dns_cd"),
        int("dns_qdcount"),
        int("dns_ancount"),
        int("dns_nscount"),
        int("dns_arcount"),
        int("dns_opcode"),
        int("dns_rcode"),
        int("dns_qtype"),
        int("dns_qclass"),
        int("edns_udp"),
        int("edns_version"),
        flag("edns_do"),
        Field::new(
            "edns_options",
            List(Arc::new(Field::new("item", Int32, true))),
            true,
        ),
        text("edns_ecs"),
        Field::new(
            "edns_ext_error",
            List(Arc::new(Field::new("item", Int32, true))),
            true,
        ),
        text("edns_nsid"),
        Field::new(
            "dns_rdata",
            List(Arc::new(Field::new("item", Struct(rdata_fields()), true))),
            true,
        ),
        Field::new(
            "dns_cname",
            List(Arc::new(Field::new("item", Utf8, true))),
            true,
        ),
        int("dns_proc_time"),
        long("dns_proc_time_us"),
        int("dns_req_len"),
        int("dns_res_len"),
        Field::new("server", Utf8, false),
        Field::new("server_location", Utf8, false),
        Field::new("matched", Boolean, false),
        long("query_frame"),
        long("response_frame"),
    ])
}

/// The fields of each `dns_rdata` entry: ENTRADA's section, type and data, and the
/// owner name and TTL.
fn rdata_fields() -> arrow_schema::Fields {
    vec![
        Field::new("section", DataType::Int32, true),
        Field::new("type", DataType::Int32, true),
        Field::new("data", DataType::Utf8, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("ttl", DataType::Int64, true),
    ]
    .into()
}

/// The columns being filled for the next batch.
struct Columns {
    time: TimestampMicrosecondBuilder,
    id: Int32Builder,
    qname: StringBuilder,
    qname_full: StringBuilder,
    domainname: StringBuilder,
    tld: StringBuilder,
    labels: Int32Builder,
    ip_version: Int32Builder,
    prot: Int32Builder,
    ip_src: StringBuilder,
    src_port: Int32Builder,
    ip_dst: StringBuilder,
    dst_port: Int32Builder,
    /// aa, tc, rd, ra, ad, cd.
    flags: [BooleanBuilder; 6],
    /// qd, an, ns, ar.
    counts: [Int32Builder; 4],
    opcode: Int32Builder,
    rcode: Int32Builder,
    qtype: Int32Builder,
    qclass: Int32Builder,
    edns_udp: Int32Builder,
    edns_version: Int32Builder,
    edns_do: BooleanBuilder,
    edns_options: ListBuilder<Int32Builder>,
    ecs: StringBuilder,
    ext_error: ListBuilder<Int32Builder>,
    nsid: StringBuilder,
    rdata: ListBuilder<StructBuilder>,
    cname: ListBuilder<StringBuilder>,
    proc_time: Int32Builder,
    proc_time_us: Int64Builder,
    req_len: Int32Builder,
    res_len: Int32Builder,
    server: StringBuilder,
    server_location: StringBuilder,
    matched: BooleanBuilder,
    query_frame: Int64Builder,
    response_frame: Int64Builder,
    rows: usize,
}

impl Columns {
    fn new() -> Columns {
        Columns {
            time: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            id: Int32Builder::new(),
            qname: StringBuilder::new(),
            qname_full: StringBuilder::new(),
            domainname: StringBuilder::new(),
            tld: StringBuilder::new(),
            labels: Int32Builder::new(),
            ip_version: Int32Builder::new(),
            prot: Int32Builder::new(),
            ip_src: StringBuilder::new(),
            src_port: Int32Builder::new(),
            ip_dst: StringBuilder::new(),
            dst_port: Int32Builder::new(),
            flags: Default::default(),
            counts: Default::default(),
            opcode: Int32Builder::new(),
            rcode: Int32Builder::new(),
            qtype: Int32Builder::new(),
            qclass: Int32Builder::new(),
            edns_udp: Int32Builder::new(),
            edns_version: Int32Builder::new(),
            edns_do: BooleanBuilder::new(),
            edns_options: ListBuilder::new(Int32Builder::new()),
            ecs: StringBuilder::new(),
            ext_error: ListBuilder::new(Int32Builder::new()),
            nsid: StringBuilder::new(),
            rdata: ListBuilder::new(StructBuilder::from_fields(rdata_fields(), 0)),
            cname: ListBuilder::new(StringBuilder::new()),
            proc_time: Int32Builder::new(),
            proc_time_us: Int64Builder::new(),
            req_len: Int32Builder::new(),
            res_len: Int32Builder::new(),
            server: StringBuilder::new(),
            server_location: StringBuilder::new(),
            matched: BooleanBuilder::new(),
            query_frame: Int64Builder::new(),
            response_frame: Int64Builder::new(),
            rows: 0,
        }
    }

    /// Appends the row of a query and its response (either may be missing, not both).
    fn push(&mut self, config: &TableConfig, query: Option<&Side>, response: Option<&Side>) {
        let Some(first) = query.or(response) else {
            return;
        };
        // ENTRADA's choices: the client's view (query) for what it asks, the server's
        // (response) for what it answers, each falling back on the other.
        let asked =
            |f: fn(&Side) -> Option<u16>| query.and_then(f).or_else(|| response.and_then(f));
        let micros = first.ts.secs.saturating_mul(1_000_000) + i64::from(first.ts.nanos / 1000);
        self.time.append_value(micros);
        self.id.append_value(i32::from(first.id));
        let question = query
            .and_then(|q| q.question.as_ref())
            .or_else(|| response.and_then(|r| r.question.as_ref()));
        match question {
            Some((full, labels, qtype, qclass)) => {
                let lower = full.to_ascii_lowercase();
                let registered = psl::domain_str(&lower);
                self.domainname.append_option(registered);
                let tld = if lower == "." {
                    None
                } else {
                    lower.rsplit('.').next()
                };
                self.tld.append_option(tld);
                self.qname.append_value(&lower);
                self.qname_full.append_value(full);
                self.labels.append_value(*labels);
                self.qtype.append_value(i32::from(*qtype));
                self.qclass.append_value(i32::from(*qclass));
            }
            None => {
                for b in [
                    &mut self.qname,
                    &mut self.qname_full,
                    &mut self.domainname,
                    &mut self.tld,
                ] {
                    b.append_null();
                }
                for b in [&mut self.labels, &mut self.qtype, &mut self.qclass] {
                    b.append_null();
                }
            }
        }
        self.ip_version
            .append_value(if first.src.is_ipv4() { 4 } else { 6 });
        self.prot.append_value(if first.tcp { 6 } else { 17 });
        self.ip_src.append_value(first.src.to_string());
        self.src_port.append_value(i32::from(first.sport));
        self.ip_dst.append_value(first.dst.to_string());
        self.dst_port.append_value(i32::from(first.dport));
        let flag = |first: Option<&Side>, second: Option<&Side>, mask: u16| {
            first
                .and_then(|s| s.flags)
                .or_else(|| second.and_then(|s| s.flags))
                .map(|f| f.0 & mask != 0)
        };
        let flag_values = [
            flag(response, query, 0x0400), // AA
            flag(response, query, 0x0200), // TC
            flag(query, response, 0x0100), // RD
            flag(response, query, 0x0080), // RA
            flag(response, query, 0x0020), // AD
            flag(query, response, 0x0010), // CD
        ];
        for (builder, value) in self.flags.iter_mut().zip(flag_values) {
            builder.append_option(value);
        }
        let counts = response.or(query).and_then(|s| s.counts);
        let qdcount = asked(|s| s.counts.map(|c| c[0]));
        for (i, builder) in self.counts.iter_mut().enumerate() {
            let value = if i == 0 {
                qdcount
            } else {
                counts.map(|c| c[i])
            };
            builder.append_option(value.map(i32::from));
        }
        self.opcode
            .append_option(asked(|s| s.flags.map(|f| u16::from(f.opcode()))).map(i32::from));
        self.rcode
            .append_option(response.and_then(|r| r.rcode).map(i32::from));
        let edns = query
            .and_then(|q| q.edns.as_ref())
            .or_else(|| response.and_then(|r| r.edns.as_ref()));
        match edns {
            Some((udp, version, dnssec_ok, codes)) => {
                self.edns_udp.append_value(i32::from(*udp));
                self.edns_version.append_value(i32::from(*version));
                self.edns_do.append_value(*dnssec_ok);
                for &code in codes {
                    self.edns_options.values().append_value(i32::from(code));
                }
                self.edns_options.append(true);
            }
            None => {
                self.edns_udp.append_null();
                self.edns_version.append_null();
                self.edns_do.append_null();
                self.edns_options.append(false);
            }
        }
        // What the client sent: its subnet; what the server said: errors, NSID, records.
        self.ecs.append_option(
            query
                .and_then(|q| q.ecs.as_deref())
                .or_else(|| response.and_then(|r| r.ecs.as_deref())),
        );
        let said = response.or(query);
        match said.filter(|s| s.edns.is_some()) {
            Some(s) => {
                for &code in &s.ext_errors {
                    self.ext_error.values().append_value(i32::from(code));
                }
                self.ext_error.append(true);
            }
            None => self.ext_error.append(false),
        }
        self.nsid
            .append_option(said.and_then(|s| s.nsid.as_deref()));
        match said {
            Some(s) if s.counts.is_some() => {
                for (section, rtype, name, ttl, data) in &s.records {
                    let entry = self.rdata.values();
                    entry
                        .field_builder::<Int32Builder>(0)
                        .expect("section")
                        .append_value(*section);
                    entry
                        .field_builder::<Int32Builder>(1)
                        .expect("type")
                        .append_value(i32::from(*rtype));
                    entry
                        .field_builder::<StringBuilder>(2)
                        .expect("data")
                        .append_value(data);
                    entry
                        .field_builder::<StringBuilder>(3)
                        .expect("name")
                        .append_value(name);
                    entry
                        .field_builder::<Int64Builder>(4)
                        .expect("ttl")
                        .append_value(i64::from(*ttl));
                    entry.append(true);
                }
                self.rdata.append(true);
                for cname in &s.cnames {
                    self.cname.values().append_value(cname);
                }
                self.cname.append(true);
            }
            _ => {
                self.rdata.append(false);
                self.cname.append(false);
            }
        }
        match (query, response) {
            (Some(q), Some(r)) => {
                let micros = ((r.ts.as_nanos() - q.ts.as_nanos()) / 1000).max(0) as i64;
                self.proc_time
                    .append_value((micros / 1000).min(i64::from(i32::MAX)) as i32);
                self.proc_time_us.append_value(micros);
            }
            _ => {
                self.proc_time.append_null();
                self.proc_time_us.append_null();
            }
        }
        let len = |s: Option<&Side>| s.map(|s| s.len.min(i32::MAX as usize) as i32);
        self.req_len.append_option(len(query));
        self.res_len.append_option(len(response));
        self.server.append_value(&config.server);
        self.server_location.append_value(&config.server_location);
        self.matched
            .append_value(query.is_some() && response.is_some());
        self.query_frame
            .append_option(query.map(|q| q.frame as i64));
        self.response_frame
            .append_option(response.map(|r| r.frame as i64));
        self.rows += 1;
    }

    /// The rows so far as a batch; the builders start again empty.
    fn take(&mut self, schema: &Arc<Schema>) -> io::Result<RecordBatch> {
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.time.finish()),
            Arc::new(self.id.finish()),
            Arc::new(self.qname.finish()),
            Arc::new(self.qname_full.finish()),
            Arc::new(self.domainname.finish()),
            Arc::new(self.tld.finish()),
            Arc::new(self.labels.finish()),
            Arc::new(self.ip_version.finish()),
            Arc::new(self.prot.finish()),
            Arc::new(self.ip_src.finish()),
            Arc::new(self.src_port.finish()),
            Arc::new(self.ip_dst.finish()),
            Arc::new(self.dst_port.finish()),
        ];
        for b in &mut self.flags {
            columns.push(Arc::new(b.finish()));
        }
        for b in &mut self.counts {
            columns.push(Arc::new(b.finish()));
        }
        columns.extend([
            Arc::new(self.opcode.finish()) as ArrayRef,
            Arc::new(self.rcode.finish()),
            Arc::new(self.qtype.finish()),
            Arc::new(self.qclass.finish()),
            Arc::new(self.edns_udp.finish()),
            Arc::new(self.edns_version.finish()),
            Arc::new(self.edns_do.finish()),
            Arc::new(self.edns_options.finish()),
            Arc::new(self.ecs.finish()),
            Arc::new(self.ext_error.finish()),
            Arc::new(self.nsid.finish()),
            Arc::new(self.rdata.finish()),
            Arc::new(self.cname.finish()),
            Arc::new(self.proc_time.finish()),
            Arc::new(self.proc_time_us.finish()),
            Arc::new(self.req_len.finish()),
            Arc::new(self.res_len.finish()),
            Arc::new(self.server.finish()),
            Arc::new(self.server_location.finish()),
            Arc::new(self.matched.finish()),
            Arc::new(self.query_frame.finish()),
            Arc::new(self.response_frame.finish()),
        ]);
        self.rows = 0;
        RecordBatch::try_new(schema.clone(), columns).map_err(io::Error::other)
    }
}

/// Writes the transaction table of the messages it gets, as Parquet, into `out`.
pub struct ParquetSink<W: Write + Send> {
    config: TableConfig,
    schema: Arc<Schema>,
    writer: Option<ArrowWriter<W>>,
    columns: Columns,
    pending: Pending<Side>,
    /// Rows written (or in the batch being filled), and of them matched.
    pub rows: u64,
    pub matched: u64,
}

impl<W: Write + Send> ParquetSink<W> {
    pub fn new(out: W, config: TableConfig) -> io::Result<ParquetSink<W>> {
        let schema = Arc::new(schema());
        let properties = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_column_bloom_filter_enabled("dns_domainname".into(), true)
            .set_created_by(format!("pcaptool {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(properties))
            .map_err(io::Error::other)?;
        Ok(ParquetSink {
            pending: Pending::new(config.pending_bytes),
            config,
            schema,
            writer: Some(writer),
            columns: Columns::new(),
            rows: 0,
            matched: 0,
        })
    }

    fn row(&mut self, query: Option<&Side>, response: Option<&Side>) -> io::Result<()> {
        self.columns.push(&self.config, query, response);
        self.rows += 1;
        if query.is_some() && response.is_some() {
            self.matched += 1;
        }
        if self.columns.rows >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.columns.rows == 0 {
            return Ok(());
        }
        let batch = self.columns.take(&self.schema)?;
        match self.writer.as_mut() {
            Some(w) => w.write(&batch).map_err(io::Error::other),
            None => Ok(()),
        }
    }
}

impl<W: Write + Send> MessageSink for ParquetSink<W> {
    fn message(&mut self, row: &Row<'_>) -> io::Result<()> {
        let side = Side::of(&row.origin, row.bytes, row.message.as_ref());
        let Some(m) = row.message.as_ref() else {
            // Shorter than a header: a row of its own, by the QR bit it has, if any.
            return if side.is_response() {
                self.row(None, Some(&side))
            } else {
                self.row(Some(&side), None)
            };
        };
        let key = MatchKey::of(&row.origin, m);
        if m.header.flags.is_response() {
            match self.pending.remove(&key) {
                Some(query) => self.row(Some(&query), Some(&side)),
                None => self.row(None, Some(&side)),
            }
        } else if self.pending.contains(&key) {
            // A retransmission: the first query waits on; this one is a row alone.
            self.row(Some(&side), None)
        } else {
            let heap = side.heap();
            let mut gone = Vec::new();
            self.pending
                .insert_sized(key, side, heap, |_, query| gone.push(query));
            for query in gone {
                self.row(Some(&query), None)?;
            }
            Ok(())
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        let mut left = Vec::new();
        self.pending.drain(|_, query| left.push(query));
        for query in left {
            self.row(Some(&query), None)?;
        }
        self.flush()?;
        if let Some(writer) = self.writer.take() {
            writer.close().map_err(io::Error::other)?;
        }
        Ok(())
    }
}
