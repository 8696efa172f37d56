//! The table's columns: the schema, the builders a batch of rows fills, and one
//! Parquet file being written from them.

use std::io::{self, Write};
use std::sync::{mpsc, Arc};
use std::thread;

use arrow_array::builder::{
    BooleanBuilder, Int32Builder, Int64Builder, ListBuilder, StringBuilder, StructBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::{Parts, Side, TableConfig, Unmatched, BATCH_ROWS, ROW_GROUP_ROWS};
use crate::dns::view::{dig, digits};
use crate::dns::wire::registry as types;
use crate::dns::wire::{Message, Section};

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
        int("ip_ttl"),
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
        int("tcp_rtt"),
        Field::new("server", Utf8, false),
        Field::new("server_location", Utf8, false),
        Field::new("matched", Boolean, false),
        text("unmatched_reason"),
        long("query_frame"),
        long("response_frame"),
        text("pcap_file"),
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
    ip_ttl: Int32Builder,
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
    tcp_rtt: Int32Builder,
    server: StringBuilder,
    server_location: StringBuilder,
    matched: BooleanBuilder,
    unmatched_reason: StringBuilder,
    query_frame: Int64Builder,
    response_frame: Int64Builder,
    pcap_file: StringBuilder,
    rows: usize,
    /// Reused for text on its way into a builder.
    text: String,
    name: String,
    /// The last source and destination address, as text.
    addresses: [AddressText; 2],
}

/// An address and its text: the next row's address is the same more often than not
/// (a server's, a busy client's), and is then not written again.
struct AddressText {
    address: std::net::IpAddr,
    text: String,
}

impl Default for AddressText {
    fn default() -> Self {
        let address = std::net::IpAddr::from([0, 0, 0, 0]);
        AddressText {
            address,
            text: address.to_string(),
        }
    }
}

impl AddressText {
    fn text(&mut self, address: std::net::IpAddr) -> &str {
        if address != self.address {
            self.address = address;
            self.text.clear();
            digits::push_ip(&mut self.text, address);
        }
        &self.text
    }
}

impl Columns {
    /// Builders with room for a batch: grown from nothing, each batch's would be
    /// copied as they doubled.
    fn new() -> Columns {
        const ROWS: usize = BATCH_ROWS;
        Columns {
            time: TimestampMicrosecondBuilder::with_capacity(ROWS).with_timezone("UTC"),
            id: Int32Builder::with_capacity(ROWS),
            qname: StringBuilder::with_capacity(ROWS, 16 * ROWS),
            qname_full: StringBuilder::with_capacity(ROWS, 16 * ROWS),
            domainname: StringBuilder::with_capacity(ROWS, 16 * ROWS),
            tld: StringBuilder::with_capacity(ROWS, 16 * ROWS),
            labels: Int32Builder::with_capacity(ROWS),
            ip_version: Int32Builder::with_capacity(ROWS),
            ip_ttl: Int32Builder::with_capacity(ROWS),
            prot: Int32Builder::with_capacity(ROWS),
            ip_src: StringBuilder::with_capacity(ROWS, 16 * ROWS),
            src_port: Int32Builder::with_capacity(ROWS),
            ip_dst: StringBuilder::with_capacity(ROWS, 16 * ROWS),
            dst_port: Int32Builder::with_capacity(ROWS),
            flags: std::array::from_fn(|_| BooleanBuilder::with_capacity(ROWS)),
            counts: std::array::from_fn(|_| Int32Builder::with_capacity(ROWS)),
            opcode: Int32Builder::with_capacity(ROWS),
            rcode: Int32Builder::with_capacity(ROWS),
            qtype: Int32Builder::with_capacity(ROWS),
            qclass: Int32Builder::with_capacity(ROWS),
            edns_udp: Int32Builder::with_capacity(ROWS),
            edns_version: Int32Builder::with_capacity(ROWS),
            edns_do: BooleanBuilder::with_capacity(ROWS),
            edns_options: ListBuilder::new(Int32Builder::with_capacity(ROWS)),
            ecs: StringBuilder::with_capacity(ROWS, 16 * ROWS),
            ext_error: ListBuilder::new(Int32Builder::with_capacity(ROWS)),
            nsid: StringBuilder::with_capacity(ROWS, 16 * ROWS),
            rdata: ListBuilder::new(StructBuilder::from_fields(rdata_fields(), 0)),
            cname: ListBuilder::new(StringBuilder::with_capacity(ROWS, 16 * ROWS)),
            proc_time: Int32Builder::with_capacity(ROWS),
            proc_time_us: Int64Builder::with_capacity(ROWS),
            req_len: Int32Builder::with_capacity(ROWS),
            res_len: Int32Builder::with_capacity(ROWS),
            tcp_rtt: Int32Builder::with_capacity(ROWS),
            server: StringBuilder::with_capacity(ROWS, 16 * ROWS),
            server_location: StringBuilder::with_capacity(ROWS, 16 * ROWS),
            matched: BooleanBuilder::with_capacity(ROWS),
            unmatched_reason: StringBuilder::with_capacity(ROWS, 16 * ROWS),
            query_frame: Int64Builder::with_capacity(ROWS),
            response_frame: Int64Builder::with_capacity(ROWS),
            pcap_file: StringBuilder::with_capacity(ROWS, 16 * ROWS),
            text: String::new(),
            name: String::new(),
            addresses: Default::default(),
            rows: 0,
        }
    }

    /// Appends the row of a query and its response (either may be missing, not both).
    fn push(&mut self, config: &TableConfig, parts: Parts<'_>) {
        let Parts {
            query,
            response,
            live,
            unmatched,
        } = parts;
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
                let mut lower = std::mem::take(&mut self.name);
                lower.clear();
                lower.push_str(full);
                lower.make_ascii_lowercase();
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
                self.name = lower;
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
        self.ip_ttl.append_option(first.ttl.map(i32::from));
        self.prot.append_value(if first.tcp { 6 } else { 17 });
        let [src, dst] = &mut self.addresses;
        self.ip_src.append_value(src.text(first.src));
        self.src_port.append_value(i32::from(first.sport));
        self.ip_dst.append_value(dst.text(first.dst));
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
            Some(_) if live.is_some() => {
                let m = live.expect("live");
                self.live_records(m);
            }
            Some(s) if s.counts.is_some() => {
                for (section, rtype, name, ttl, data) in &s.records {
                    self.record(*section, *rtype, name, *ttl, data);
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
        self.tcp_rtt.append_option(
            query
                .and_then(|q| q.handshake_us)
                .or_else(|| response.and_then(|r| r.handshake_us))
                .map(|us| (us / 1000) as i32),
        );
        self.server.append_value(&config.server);
        self.server_location.append_value(&config.server_location);
        self.matched
            .append_value(query.is_some() && response.is_some());
        self.unmatched_reason
            .append_option(unmatched.map(Unmatched::name));
        self.query_frame
            .append_option(query.map(|q| q.frame as i64));
        self.response_frame
            .append_option(response.map(|r| r.frame as i64));
        self.pcap_file
            .append_option(config.files.get(first.file as usize));
        self.rows += 1;
    }

    /// One `dns_rdata` entry.
    fn record(&mut self, section: i32, rtype: u16, name: &str, ttl: u32, data: &str) {
        let entry = self.rdata.values();
        entry
            .field_builder::<Int32Builder>(0)
            .expect("section")
            .append_value(section);
        entry
            .field_builder::<Int32Builder>(1)
            .expect("type")
            .append_value(i32::from(rtype));
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
            .append_value(i64::from(ttl));
        entry.append(true);
    }

    /// The records and CNAME chain of the message being written, read from it (as
    /// [`Side::of`] copies them for a query that waits).
    fn live_records(&mut self, m: &Message<'_>) {
        let (mut text, mut name) = (
            std::mem::take(&mut self.text),
            std::mem::take(&mut self.name),
        );
        // Where the labels of the owner name in `name` start: records of one owner
        // (pointers to one name) share its text.
        let mut owner_at = None;
        for (section, r) in m.records() {
            if r.rtype == types::TYPE_OPT {
                continue;
            }
            text.clear();
            dig::write_rdata(&mut text, m.bytes, r);
            let at = plain_labels_at(m.bytes, r.name.offset);
            if at.is_none() || at != owner_at {
                name.clear();
                r.name.write_to(m.bytes, &mut name);
                owner_at = at;
            }
            self.record(super::section_number(section), r.rtype, &name, r.ttl, &text);
            if section == Section::Answer && r.rtype == types::TYPE_CNAME {
                self.cname.values().append_value(text.trim_end_matches('.'));
            }
        }
        self.rdata.append(true);
        self.cname.append(true);
        (self.text, self.name) = (text, name);
    }

    /// The rows so far as a batch; the builders start again empty.
    fn take(&mut self, schema: &Arc<Schema>) -> io::Result<RecordBatch> {
        let mut full = std::mem::replace(self, Columns::new());
        self.text = std::mem::take(&mut full.text);
        self.name = std::mem::take(&mut full.name);
        self.addresses = std::mem::take(&mut full.addresses);
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(full.time.finish()),
            Arc::new(full.id.finish()),
            Arc::new(full.qname.finish()),
            Arc::new(full.qname_full.finish()),
            Arc::new(full.domainname.finish()),
            Arc::new(full.tld.finish()),
            Arc::new(full.labels.finish()),
            Arc::new(full.ip_version.finish()),
            Arc::new(full.ip_ttl.finish()),
            Arc::new(full.prot.finish()),
            Arc::new(full.ip_src.finish()),
            Arc::new(full.src_port.finish()),
            Arc::new(full.ip_dst.finish()),
            Arc::new(full.dst_port.finish()),
        ];
        for b in &mut full.flags {
            columns.push(Arc::new(b.finish()));
        }
        for b in &mut full.counts {
            columns.push(Arc::new(b.finish()));
        }
        columns.extend([
            Arc::new(full.opcode.finish()) as ArrayRef,
            Arc::new(full.rcode.finish()),
            Arc::new(full.qtype.finish()),
            Arc::new(full.qclass.finish()),
            Arc::new(full.edns_udp.finish()),
            Arc::new(full.edns_version.finish()),
            Arc::new(full.edns_do.finish()),
            Arc::new(full.edns_options.finish()),
            Arc::new(full.ecs.finish()),
            Arc::new(full.ext_error.finish()),
            Arc::new(full.nsid.finish()),
            Arc::new(full.rdata.finish()),
            Arc::new(full.cname.finish()),
            Arc::new(full.proc_time.finish()),
            Arc::new(full.proc_time_us.finish()),
            Arc::new(full.req_len.finish()),
            Arc::new(full.res_len.finish()),
            Arc::new(full.tcp_rtt.finish()),
            Arc::new(full.server.finish()),
            Arc::new(full.server_location.finish()),
            Arc::new(full.matched.finish()),
            Arc::new(full.unmatched_reason.finish()),
            Arc::new(full.query_frame.finish()),
            Arc::new(full.response_frame.finish()),
            Arc::new(full.pcap_file.finish()),
        ]);
        RecordBatch::try_new(schema.clone(), columns).map_err(io::Error::other)
    }
}

/// Where the labels of the name at `at` start, when they are plain labels to the root
/// there, reached directly or through one pointer: names with the same start read the
/// same. `None` for any other name.
fn plain_labels_at(msg: &[u8], at: usize) -> Option<usize> {
    let first = *msg.get(at)?;
    let start = if first & 0xc0 == 0xc0 {
        (usize::from(first & 0x3f) << 8) | usize::from(*msg.get(at + 1)?)
    } else {
        at
    };
    let mut label = start;
    loop {
        match *msg.get(label)? {
            0 => return Some(start),
            len @ 1..0x40 => label += 1 + usize::from(len),
            _ => return None,
        }
    }
}

/// Text columns with a value of their own in most rows: min/max statistics would cost
/// time (a comparison of strings per value) and prune nothing. Also the columns with
/// one value per run (server, location, capture file): comparing equal strings reads
/// them whole, which made their statistics a fifth of the time of writing a table,
/// and the hive path (`--partition-by server`) or the file name already says them.
const WITHOUT_STATISTICS: &[&str] = &[
    "server",
    "server_location",
    "pcap_file",
    "dns_qname_full",
    "ip_src",
    "ip_dst",
    "edns_ecs",
    "edns_nsid",
    "dns_rdata.list.item.data",
    "dns_rdata.list.item.name",
    "dns_cname.list.item",
];

/// Names and addresses: dictionary-encoded (a resolver asks the same names, a server
/// hears the same clients). Other columns are plain: run-length and bit-packed levels
/// and ZSTD already make them small, and a dictionary per column costs hashing every
/// value (12% of the time of writing a table).
const WITH_DICTIONARY: &[&str] = &[
    "dns_qname",
    "dns_qname_full",
    "dns_domainname",
    "dns_tld",
    "ip_src",
    "ip_dst",
    "dns_rdata.list.item.name",
    "dns_cname.list.item",
    "server",
    "server_location",
    "pcap_file",
];

/// One Parquet file being written: the rows being gathered on the caller's thread, the
/// encoding and compression on a thread of its own (batches go to it through a short
/// queue, so memory stays bounded).
pub(super) struct Table<W: Write + Send + 'static> {
    columns: Columns,
    schema: Arc<Schema>,
    /// The columns the file holds, by index, when not all (a partition's path holds
    /// the others).
    keep: Option<Vec<usize>>,
    to_encoder: Option<mpsc::SyncSender<RecordBatch>>,
    encoder: Option<thread::JoinHandle<io::Result<W>>>,
}

impl<W: Write + Send + 'static> Table<W> {
    /// A table of every column but those named in `without`.
    pub(super) fn new(out: W, without: &[&str]) -> io::Result<Table<W>> {
        let schema = Arc::new(schema());
        let keep: Vec<usize> = (0..schema.fields().len())
            .filter(|&i| !without.contains(&schema.field(i).name().as_str()))
            .collect();
        let (file_schema, keep) = if keep.len() == schema.fields().len() {
            (schema.clone(), None)
        } else {
            (
                Arc::new(schema.project(&keep).map_err(io::Error::other)?),
                Some(keep),
            )
        };
        let mut properties = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_dictionary_enabled(false)
            .set_column_bloom_filter_enabled("dns_domainname".into(), true)
            .set_created_by(format!("pcaptool {}", env!("CARGO_PKG_VERSION")));
        for column in WITH_DICTIONARY {
            properties = properties.set_column_dictionary_enabled(
                ColumnPath::new(column.split('.').map(String::from).collect()),
                true,
            );
        }
        for column in WITHOUT_STATISTICS {
            properties = properties.set_column_statistics_enabled(
                ColumnPath::new(column.split('.').map(String::from).collect()),
                EnabledStatistics::None,
            );
        }
        let mut writer = ArrowWriter::try_new(out, file_schema, Some(properties.build()))
            .map_err(io::Error::other)?;
        let (to_encoder, batches) = mpsc::sync_channel::<RecordBatch>(2);
        let encoder = thread::Builder::new()
            .name("pcaptool-parquet".into())
            .spawn(move || {
                for batch in batches {
                    writer.write(&batch).map_err(io::Error::other)?;
                }
                writer.into_inner().map_err(io::Error::other)
            })?;
        Ok(Table {
            columns: Columns::new(),
            schema,
            keep,
            to_encoder: Some(to_encoder),
            encoder: Some(encoder),
        })
    }

    /// Appends a row; a full batch goes to the encoder.
    pub(super) fn push(&mut self, config: &TableConfig, parts: Parts<'_>) -> io::Result<()> {
        self.columns.push(config, parts);
        if self.columns.rows >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.columns.rows == 0 {
            return Ok(());
        }
        let mut batch = self.columns.take(&self.schema)?;
        if let Some(keep) = &self.keep {
            batch = batch.project(keep).map_err(io::Error::other)?;
        }
        let sent = self.to_encoder.as_ref().map(|to| to.send(batch));
        match sent {
            Some(Ok(())) => Ok(()),
            // The encoder stopped: its error says why.
            _ => self.join().map(drop),
        }
    }

    /// Waits for the encoder to finish what it was given; its output or its error.
    fn join(&mut self) -> io::Result<W> {
        self.to_encoder = None;
        match self.encoder.take().map(thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Err(io::Error::other("the Parquet encoder stopped earlier")),
        }
    }

    /// Writes what is left and the footer; gives the output back.
    pub(super) fn close(mut self) -> io::Result<W> {
        self.flush()?;
        self.join()
    }
}
