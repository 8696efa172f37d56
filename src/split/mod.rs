//! The split engine: one capture file per flow, records copied byte for byte.
//!
//! The calling thread finds each record's flow ([`FlowKey`]) and appends the record to
//! that flow's pending buffer; full buffers go to the [`WriterPool`]'s thread. Pending
//! memory is bounded by a budget: when it is exceeded the largest buffers are handed
//! off first, so busy flows are written in large chunks and quiet ones stay buffered.
//! At the end a manifest lists every flow with what was written for it.
//!
//! File-system policy (which directory, whether to replace what is there) and the
//! open-file budget belong to the caller.
//!
//! ```
//! use pcaptool::capture::{CaptureReader, CaptureWriter, LinkType, OutputFormat, Timestamp, TsResolution};
//! use pcaptool::packet::{build_frame, IpSpec, LinkSpec, Mac, Transport};
//! use pcaptool::split::{split, Config};
//! // Two packets of one pair, one of another.
//! let mut file = Vec::new();
//! let mut writer = CaptureWriter::new(&mut file, OutputFormat::Pcap, TsResolution::Micro, LinkType::ETHERNET, 65535);
//! let link = LinkSpec { src_mac: Mac([2, 0, 0, 0, 0, 1]), dst_mac: Mac([2, 0, 0, 0, 0, 2]), vlans: vec![] };
//! for (i, (src, dst)) in [("10.0.0.1", "10.0.0.2"), ("10.0.0.2", "10.0.0.1"), ("10.0.0.1", "10.0.0.3")].iter().enumerate() {
//!     let ip = IpSpec { src: src.parse().unwrap(), dst: dst.parse().unwrap(), ttl: 64, id: 0 };
//!     let mut frame = Vec::new();
//!     build_frame(&link, &ip, &Transport::Udp { sport: 1000, dport: 53 }, b"hi", &mut frame).unwrap();
//!     writer.write_packet(0, Timestamp::new(i as i64, 0), frame.len() as u32, &frame).unwrap();
//! }
//! writer.finish().unwrap();
//!
//! let dir = tempfile::tempdir().unwrap();
//! let reader = CaptureReader::new(Box::new(std::io::Cursor::new(file))).unwrap();
//! let mut set = pcaptool::capture::CaptureSet::single("memory", reader);
//! let report = split(&mut set, dir.path(), &Config::default(), &mut |_| {}).unwrap();
//! assert_eq!((report.packets, report.flows, report.non_ip_packets), (3, 2, 0));
//! assert!(dir.path().join("flow-00000001_10.0.0.1_10.0.0.2.pcap").exists());
//! assert!(dir.path().join("flows.csv").exists());
//! ```

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::capture::{
    for_each_record, pcapng_big_endian, pcapng_blocks, push_interface, push_packet_with,
    push_section_header, set_pcapng_interface, CaptureSet, Format, InputInfo, LinkType, Pass,
    Record, TsResolution,
};
use crate::flow::manifest::{self, Entry, ManifestFormat};
use crate::flow::pool::{Chunk, ChunkStats, PoolError, PoolReport, WriterPool};
use crate::flow::table::OutputTable;
use crate::flow::{FlowKey, OutputKey, SplitBy};
use crate::ip;
use crate::link;

/// A flow's buffer is handed to the writer once it holds this much.
const CHUNK_BYTES: usize = 256 << 10;
/// Over budget, the largest buffers are handed off until pending memory is down to this
/// share of the budget: only the fullest buffers go, so writes stay large.
const SHED_TO_PERCENT: usize = 75;
/// Chunks are sent to the writer in batches of about this many bytes.
const BATCH_BYTES: usize = 2 << 20;

/// What to do with packets that carry no IP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonIp {
    /// Into one file, `non-ip.pcap` (or `.pcapng`).
    File,
    Drop,
}

/// How to split.
#[derive(Clone, Debug)]
pub struct Config {
    pub by: SplitBy,
    pub non_ip: NonIp,
    pub manifest: ManifestFormat,
    /// Most output files open at once; others are closed and reopened to append.
    pub max_open: usize,
    /// Memory for packets waiting to be written, all flows together.
    pub buffer_bytes: usize,
    /// Set from elsewhere (a signal handler) to stop reading: what was read is
    /// written, with a true manifest, and the report says it was interrupted.
    pub stop: Option<Arc<AtomicBool>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            by: SplitBy::Pair,
            non_ip: NonIp::File,
            manifest: ManifestFormat::Csv,
            max_open: 240,
            buffer_bytes: 64 << 20,
            stop: None,
        }
    }
}

/// What a split did.
#[derive(Debug)]
pub struct Report {
    /// Records read.
    pub packets: u64,
    pub flows: u64,
    /// Records without IP (written to the non-IP file or dropped, as configured).
    pub non_ip_packets: u64,
    /// The non-IP file's name, when there is one.
    pub non_ip_file: Option<String>,
    /// How often a file was opened again after being closed to stay under `max_open`.
    pub reopens: u64,
    /// Every file written (outputs, non-IP file, manifest), by name.
    pub written: Outputs,
    /// How reading the input ended.
    pub pass: Pass,
    /// Stopped early by [`Config::stop`].
    pub interrupted: bool,
}

/// Why a split stopped.
#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    /// Writing an output file failed (disk full, quota, read-only, I/O error): the
    /// file is cut back to its last whole record (removed if that leaves it empty),
    /// and the manifest lists what is on disk, unless it could not be written either.
    #[error("{}", write_failure(write, manifest))]
    Write {
        write: PoolError,
        /// The manifest's own failure, if it failed too.
        manifest: Option<(PathBuf, io::Error)>,
    },
    #[error("cannot write {path}: {cause}")]
    Manifest { path: PathBuf, cause: io::Error },
}

fn write_failure(write: &PoolError, manifest: &Option<(PathBuf, io::Error)>) -> String {
    match manifest {
        None => format!("{write}; split stopped, the manifest lists what was written"),
        Some((path, cause)) => format!(
            "{write}; split stopped, and the manifest could not be written either ({}: {cause})",
            path.display()
        ),
    }
}

/// Splits `set` into `dir` (which must exist), one file per flow, plus the manifest;
/// `progress` gets the bytes read every few thousand records.
pub fn split(
    set: &mut CaptureSet,
    dir: &Path,
    config: &Config,
    progress: &mut dyn FnMut(u64),
) -> Result<Report, SplitError> {
    let mut splitter = Splitter::new(config, dir, Framing::for_inputs(set.inputs()));
    let stopped = || {
        config
            .stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
    };
    let pass = for_each_record(set, progress, |record| {
        if stopped() {
            return ControlFlow::Break(());
        }
        if splitter.add(record) {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(()) // the writer stopped: its error is reported below
        }
    });
    // Stopped while reading, or while waiting for input that then ended.
    let interrupted = stopped();
    let mut report = splitter.finish(pass)?;
    report.interrupted = interrupted;
    Ok(report)
}

/// How records become output bytes.
enum Framing {
    /// Records copied verbatim after the pcap header all inputs share.
    VerbatimPcap,
    /// pcapng records copied verbatim but for their interface id: a file gets its
    /// input's section header (again when its records come from another section), the
    /// description of interface 0 (which simple packet blocks refer to), and those of
    /// the other interfaces its records use, numbered in order of first use. A section
    /// of 10,000 interfaces does not put 10,000 descriptions into every file.
    VerbatimPcapng,
    /// Records rewritten as microsecond pcap (one snoop input).
    ReencodePcap { header: Vec<u8> },
    /// Records rewritten as nanosecond pcapng, one interface per link type a flow uses:
    /// inputs of different formats or pcap headers.
    ReencodePcapng,
}

impl Framing {
    fn for_inputs(inputs: &[InputInfo]) -> Framing {
        let first = &inputs[0];
        let all = |f: &dyn Fn(&InputInfo) -> bool| inputs.iter().all(f);
        if all(&|i| matches!(i.format, Format::Pcap { .. }) && i.header == first.header) {
            Framing::VerbatimPcap
        } else if all(&|i| i.format == Format::PcapNg) {
            Framing::VerbatimPcapng
        } else if inputs.len() == 1 {
            Framing::ReencodePcap {
                header: pcap_header(first.link_type.unwrap_or(LinkType::ETHERNET)),
            }
        } else {
            Framing::ReencodePcapng
        }
    }
}

/// The chunk being written in a chunk mode.
struct ChunkState {
    file: u32,
    number: u64,
    records: u64,
    /// Bytes of capture file written into it (headers included).
    bytes: u64,
    /// Seconds mode: the first record's time, in nanoseconds.
    start_ns: i128,
    /// Seconds mode: the interval this chunk covers.
    interval: i128,
}

/// Records waiting to be written to one output, with what they hold.
struct Pending {
    data: Vec<u8>,
    stats: ChunkStats,
}

/// What the budget counts for a pending buffer beyond its bytes: the struct and two
/// allocations' bookkeeping.
const PENDING_OVERHEAD: usize = std::mem::size_of::<Pending>() + 32;

/// Per output file, 24 bytes: whatever waits to be written, and which header and
/// interfaces the file has. The name is derived from the table when needed.
struct FlowState {
    pending: Option<Box<Pending>>,
    /// Input section whose header this file has (0: none yet).
    section: u64,
    /// pcapng: the input interface (other than 0) the file describes as its interface
    /// 1, if any; further ones are in `Splitter::more_interfaces`.
    other_interface: u32,
}

const NO_INTERFACE: u32 = u32::MAX;

impl Default for FlowState {
    fn default() -> Self {
        FlowState {
            pending: None,
            section: 0,
            other_interface: NO_INTERFACE,
        }
    }
}

/// Where each block of a pcapng section's header is, per section (a few sections
/// are current at once when several inputs are merged), extended as late interface
/// descriptions arrive.
#[derive(Default)]
struct HeaderBlocks {
    sections: foldhash::HashMap<u64, (usize, Vec<std::ops::Range<usize>>)>,
}

/// Sections remembered at once; past this the index starts again (rebuilt on demand).
const MAX_INDEXED_SECTIONS: usize = 64;

impl HeaderBlocks {
    fn of(&mut self, section: u64, header: &[u8]) -> &[std::ops::Range<usize>] {
        if self.sections.len() >= MAX_INDEXED_SECTIONS && !self.sections.contains_key(&section) {
            self.sections.clear();
        }
        let (indexed, blocks) = self.sections.entry(section).or_default();
        if *indexed != header.len() {
            // A new header, or the same one with interfaces described since.
            let from = if *indexed < header.len() { *indexed } else { 0 };
            if from == 0 {
                blocks.clear();
            }
            blocks.extend(pcapng_blocks(header, pcapng_big_endian(header), from));
            *indexed = header.len();
        }
        blocks
    }
}
struct Splitter {
    config: Config,
    framing: Framing,
    dir: PathBuf,
    pool: WriterPool,
    /// Output key -> output file id; the index + 1 is the output's number.
    table: OutputTable,
    /// Server-port mode: each conversation's server port (or none), fixed at its
    /// first packet.
    server_ports: foldhash::HashMap<FlowKey, Option<u16>>,
    /// Chunk modes: the current chunk's file, records, bytes and interval number.
    chunk: Option<ChunkState>,
    /// Per output file id: the table's outputs in order, with the non-IP file at the
    /// id it got when its first packet came.
    files: Vec<FlowState>,
    /// Re-encoded pcapng: per file id, the link type of each interface described so far.
    interfaces: foldhash::HashMap<u32, Vec<LinkType>>,
    /// Verbatim pcapng: per file id using three or more interfaces of its section,
    /// input interface -> the file's (from 2).
    more_interfaces: foldhash::HashMap<u32, foldhash::HashMap<u32, u32>>,
    header_blocks: HeaderBlocks,
    non_ip_file: Option<u32>,
    pending_capacity: usize,
    /// Chunks handed off but not yet sent to the writer thread.
    outbox: Vec<Chunk>,
    outbox_bytes: usize,
    packets: u64,
    non_ip_packets: u64,
    writer_stopped: bool,
}

impl Splitter {
    fn new(config: &Config, dir: &Path, framing: Framing) -> Splitter {
        Splitter {
            config: config.clone(),
            framing,
            dir: dir.to_path_buf(),
            pool: WriterPool::new(config.max_open),
            table: OutputTable::default(),
            server_ports: Default::default(),
            chunk: None,
            files: Vec::new(),
            interfaces: Default::default(),
            more_interfaces: Default::default(),
            header_blocks: HeaderBlocks::default(),
            non_ip_file: None,
            pending_capacity: 0,
            outbox: Vec::new(),
            outbox_bytes: 0,
            packets: 0,
            non_ip_packets: 0,
            writer_stopped: false,
        }
    }

    fn extension(&self) -> &'static str {
        match self.framing {
            Framing::VerbatimPcap | Framing::ReencodePcap { .. } => "pcap",
            Framing::VerbatimPcapng | Framing::ReencodePcapng => "pcapng",
        }
    }

    fn new_file(&mut self) -> u32 {
        self.files.push(FlowState::default());
        self.files.len() as u32 - 1
    }

    /// The output of `key`, made when first needed.
    fn output(&mut self, key: OutputKey) -> u32 {
        let (index, new) = self.table.insert(key);
        if new {
            self.new_file()
        } else {
            self.id_of(index)
        }
    }

    fn id_of(&self, index: usize) -> u32 {
        id_of(self.non_ip_file, index)
    }

    /// The file name of file `id`.
    fn file_name(&self, id: u32) -> String {
        let index = match self.non_ip_file {
            Some(non_ip) if non_ip == id => return non_ip_name(self.extension()),
            Some(non_ip) if non_ip < id => id - 1,
            _ => id,
        };
        file_name(&self.table, index as usize, self.extension())
    }

    /// The bytes `record` takes in an output file (its header aside).
    fn record_len(&self, record: &Record<'_>) -> u64 {
        match self.framing {
            Framing::VerbatimPcap | Framing::VerbatimPcapng => record.raw.len() as u64,
            Framing::ReencodePcap { .. } => 16 + record.data.len() as u64,
            Framing::ReencodePcapng => 32 + record.data.len().next_multiple_of(4) as u64,
        }
    }

    /// The chunk `record` goes into, starting a new one at a boundary.
    fn chunk_for(&mut self, record: &Record<'_>) -> u32 {
        let ts = record.ts.as_nanos();
        let len = self.record_len(record);
        // As editcap -i: interval k holds (start + kS, start + (k+1)S], the first one
        // its start too.
        let interval_of = |start: i128, seconds: u64| {
            let since = ts - start;
            if since <= 0 {
                0
            } else {
                (since - 1).div_euclid(i128::from(seconds) * 1_000_000_000)
            }
        };
        let next = match &self.chunk {
            None => Some((1, ts, 0)),
            Some(c) => {
                let (boundary, interval) = match self.config.by {
                    SplitBy::Packets(n) => (c.records >= n, 0),
                    SplitBy::Bytes(max) => (c.records > 0 && c.bytes + len > max, 0),
                    SplitBy::Seconds(seconds) => {
                        let interval = interval_of(c.start_ns, seconds);
                        // An earlier record stays where it is (editcap only moves on).
                        (interval > c.interval, interval)
                    }
                    _ => (false, 0),
                };
                boundary.then_some((c.number + 1, c.start_ns, interval))
            }
        };
        if let Some((number, start_ns, interval)) = next {
            if let Some(old) = self.chunk.take() {
                self.hand_off(old.file);
            }
            let file = self.output(OutputKey::Chunk(number));
            self.chunk = Some(ChunkState {
                file,
                number,
                records: 0,
                bytes: 0,
                start_ns,
                interval,
            });
        }
        match self.chunk.as_mut() {
            Some(c) => {
                c.records += 1;
                c.file
            }
            None => 0, // unreachable: a chunk was just made
        }
    }

    /// The server port of the conversation of an IP packet (or none).
    fn server_port(&mut self, network: crate::link::Network<'_>) -> OutputKey {
        let Some(conversation) = FlowKey::of(network, SplitBy::Conversation) else {
            return OutputKey::NoPort;
        };
        if let Some(known) = self.server_ports.get(&conversation) {
            return known.map_or(OutputKey::NoPort, OutputKey::ServerPort);
        }
        let port = ip::parse(network).ok().and_then(|h| {
            let first_fragment = h.fragment.is_none_or(|f| f.offset == 0);
            if !first_fragment {
                return None;
            }
            if h.protocol == ip::PROTO_TCP {
                let t = ip::tcp(h.payload)?;
                Some(match (t.syn, t.ack) {
                    (true, false) => t.dport,
                    (true, true) => t.sport,
                    _ => t.sport.min(t.dport),
                })
            } else {
                ip::ports(h.protocol, h.payload).map(|(a, b)| a.min(b))
            }
        });
        self.server_ports.insert(conversation, port);
        port.map_or(OutputKey::NoPort, OutputKey::ServerPort)
    }

    /// Adds one record; false once the writer has stopped after an error.
    fn add(&mut self, record: &Record<'_>) -> bool {
        self.packets += 1;
        if self.config.by.is_chunks() {
            let file = self.chunk_for(record);
            let added = self.append(file, record);
            if let Some(c) = self.chunk.as_mut() {
                c.bytes += added;
            }
            return !self.writer_stopped;
        }
        let network = link::network(record.link_type, record.data);
        let mut second = None;
        let key = match self.config.by {
            SplitBy::Host => ip::addresses(network).map(|(src, dst)| {
                if src != dst {
                    second = Some(OutputKey::Host(dst));
                }
                OutputKey::Host(src)
            }),
            SplitBy::ServerPort => ip::addresses(network).map(|_| self.server_port(network)),
            by => FlowKey::of(network, by).map(OutputKey::Flow),
        };
        let file = match key {
            Some(key) => self.output(key),
            None => {
                self.non_ip_packets += 1;
                if self.config.non_ip == NonIp::Drop {
                    return !self.writer_stopped;
                }
                match self.non_ip_file {
                    Some(id) => id,
                    None => {
                        let id = self.new_file();
                        self.non_ip_file = Some(id);
                        id
                    }
                }
            }
        };
        if let Some(key) = second {
            let other = self.output(key);
            self.append(other, record);
        }
        self.append(file, record);
        !self.writer_stopped
    }

    /// Appends `record` to output `file`'s pending bytes, handing them to the writer
    /// when full or when memory is over budget; returns the bytes added to the file.
    fn append(&mut self, file: u32, record: &Record<'_>) -> u64 {
        let state = &mut self.files[file as usize];
        let pending = state.pending.get_or_insert_with(|| {
            self.pending_capacity += PENDING_OVERHEAD;
            Box::new(Pending {
                data: Vec::new(),
                stats: ChunkStats::default(),
            })
        });
        let out = &mut pending.data;
        let capacity_before = out.capacity();
        let len_before = out.len();
        match &self.framing {
            Framing::VerbatimPcap => {
                if state.section == 0 {
                    out.extend_from_slice(record.header);
                    state.section = 1;
                }
                out.extend_from_slice(record.raw);
            }
            Framing::VerbatimPcapng => {
                let header = record.header;
                let blocks = self.header_blocks.of(record.section, header);
                let idb = |id: u32| {
                    blocks
                        .get(id as usize + 1)
                        .map_or(&[][..], |b| &header[b.clone()])
                };
                if state.section != record.section {
                    out.extend_from_slice(blocks.first().map_or(header, |b| &header[b.clone()]));
                    out.extend_from_slice(idb(0));
                    state.section = record.section;
                    state.other_interface = NO_INTERFACE;
                    self.more_interfaces.remove(&file);
                }
                let input = record.interface;
                let output = if input == 0 {
                    0
                } else if state.other_interface == input {
                    1
                } else if state.other_interface == NO_INTERFACE {
                    state.other_interface = input;
                    out.extend_from_slice(idb(input));
                    1
                } else {
                    let more = self.more_interfaces.entry(file).or_default();
                    let next = more.len() as u32 + 2;
                    *more.entry(input).or_insert_with(|| {
                        out.extend_from_slice(idb(input));
                        next
                    })
                };
                let start = out.len();
                out.extend_from_slice(record.raw);
                if output != input {
                    set_pcapng_interface(&mut out[start..], pcapng_big_endian(header), output);
                }
            }
            Framing::ReencodePcap { header } => {
                if state.section == 0 {
                    out.extend_from_slice(header);
                    state.section = 1;
                }
                let secs = record.ts.secs.clamp(0, i64::from(u32::MAX)) as u32;
                for field in [
                    secs,
                    record.ts.nanos / 1000,
                    record.data.len() as u32,
                    record.orig_len,
                ] {
                    out.extend_from_slice(&field.to_le_bytes());
                }
                out.extend_from_slice(record.data);
            }
            Framing::ReencodePcapng => {
                if state.section == 0 {
                    push_section_header(out);
                    state.section = 1;
                }
                let interfaces = self.interfaces.entry(file).or_default();
                let interface = match interfaces.iter().position(|&l| l == record.link_type) {
                    Some(i) => i,
                    None => {
                        push_interface(out, record.link_type, 0, TsResolution::Nano);
                        interfaces.push(record.link_type);
                        interfaces.len() - 1
                    }
                };
                push_packet_with(
                    out,
                    interface as u32,
                    record.ts,
                    TsResolution::Nano,
                    record.orig_len,
                    record.data.len(),
                    |out| out.copy_from_slice(record.data),
                );
            }
        }
        pending
            .stats
            .add_packet(record.ts, record.orig_len, record.data.len());
        let added = (out.len() - len_before) as u64;
        let full = out.len() >= CHUNK_BYTES;
        self.pending_capacity += out.capacity() - capacity_before;
        if full {
            self.hand_off(file);
        }
        if self.pending_capacity > self.config.buffer_bytes {
            self.shed();
        }
        added
    }

    /// Sends a file's pending bytes to the writer.
    fn hand_off(&mut self, file: u32) {
        let Some(pending) = self.files[file as usize].pending.take() else {
            return;
        };
        let Pending { data, stats } = *pending;
        self.pending_capacity -= data.capacity() + PENDING_OVERHEAD;
        self.outbox_bytes += data.len();
        let path = self.dir.join(self.file_name(file));
        self.outbox.push(Chunk {
            file,
            path,
            data,
            stats,
        });
        if self.outbox_bytes >= BATCH_BYTES {
            self.send_outbox();
        }
    }

    fn send_outbox(&mut self) {
        self.outbox_bytes = 0;
        if !self.outbox.is_empty() && !self.pool.write(std::mem::take(&mut self.outbox)) {
            self.writer_stopped = true;
        }
    }

    /// Over budget: hand off the largest buffers until a quarter of the budget is free.
    fn shed(&mut self) {
        let mut by_size: Vec<(usize, u32)> = self
            .files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((f.pending.as_ref()?.data.capacity(), i as u32)))
            .collect();
        by_size.sort_unstable_by(|a, b| b.cmp(a));
        for (_, file) in by_size {
            if self.pending_capacity <= self.config.buffer_bytes * SHED_TO_PERCENT / 100 {
                break;
            }
            self.hand_off(file);
        }
    }

    /// Flushes everything and writes the manifest (also after a write error, so that
    /// it lists exactly what is on disk).
    fn finish(mut self, pass: Pass) -> Result<Report, SplitError> {
        for file in 0..self.files.len() as u32 {
            self.hand_off(file);
        }
        self.send_outbox();
        let extension = self.extension();
        let PoolReport {
            written,
            error,
            reopens,
        } = self.pool.finish();
        let manifest_name = match self.config.manifest {
            ManifestFormat::Csv => "flows.csv",
            ManifestFormat::Json => "flows.json",
        };
        let manifest_path = self.dir.join(manifest_name);
        let nothing = ChunkStats::default();
        let non_ip = self.non_ip_file;
        let entries = self
            .table
            .keys()
            .iter()
            .enumerate()
            .map(|(index, key)| {
                let id = id_of(non_ip, index) as usize;
                (index, key, written.get(id).unwrap_or(&nothing))
            })
            .filter(|(_, _, stats)| stats.packets > 0)
            .map(|(index, key, stats)| Entry {
                number: index as u64 + 1,
                key,
                file_name: file_name(&self.table, index, extension),
                stats,
            });
        let manifest = write_atomically(&manifest_path, |out| {
            manifest::write(out, self.config.manifest, entries)
        });
        drop(written);
        match (error, manifest) {
            (Some(write), manifest) => {
                let manifest = manifest.err().map(|cause| (manifest_path.clone(), cause));
                return Err(SplitError::Write { write, manifest });
            }
            (None, Err(cause)) => {
                return Err(SplitError::Manifest {
                    path: manifest_path,
                    cause,
                })
            }
            (None, Ok(())) => {}
        }
        let non_ip_file = self.non_ip_file.map(|_| non_ip_name(extension));
        Ok(Report {
            packets: self.packets,
            flows: self.table.len() as u64,
            non_ip_packets: self.non_ip_packets,
            non_ip_file: non_ip_file.clone(),
            reopens,
            written: Outputs {
                table: self.table,
                extension,
                non_ip_file,
                manifest: manifest_name,
            },
            pass,
            interrupted: false,
        })
    }
}

/// The file id of the table's `index`th output: the non-IP file, when there is one,
/// has the id it got when its first packet came.
fn id_of(non_ip_file: Option<u32>, index: usize) -> u32 {
    let index = index as u32;
    match non_ip_file {
        Some(non_ip) if non_ip <= index => index + 1,
        _ => index,
    }
}

fn non_ip_name(extension: &str) -> String {
    format!("non-ip.{extension}")
}

/// The file name of the table's `index`th output.
fn file_name(table: &OutputTable, index: usize, extension: &str) -> String {
    format!(
        "{}.{extension}",
        table.keys()[index].file_stem(index as u64 + 1)
    )
}

/// The names of the files a split wrote, answered from its table of outputs rather
/// than from a list (a million flows would need a hundred megabytes of names).
#[derive(Debug)]
pub struct Outputs {
    table: OutputTable,
    extension: &'static str,
    non_ip_file: Option<String>,
    manifest: &'static str,
}

impl Outputs {
    /// Whether the split wrote a file of this name into its directory.
    pub fn contains(&self, name: &str) -> bool {
        if name == self.manifest || self.non_ip_file.as_deref() == Some(name) {
            return true;
        }
        // Flow, host and chunk names carry their number; server-port names their port.
        let Some((kind, rest)) = name.split_once('-') else {
            return false;
        };
        let field = rest.split(['_', '.']).next().unwrap_or("");
        let index = match (kind, field) {
            ("port", "none") => self.table.place_of(&OutputKey::NoPort),
            ("port", port) => port
                .parse()
                .ok()
                .and_then(|p| self.table.place_of(&OutputKey::ServerPort(p))),
            _ => field
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .filter(|&i| i < self.table.len()),
        };
        index.is_some_and(|i| file_name(&self.table, i, self.extension) == name)
    }
}

/// Writes a file whole or not at all: under a temporary name beside it, renamed when
/// complete, removed after a failure.
fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut io::BufWriter<std::fs::File>) -> io::Result<()>,
) -> io::Result<()> {
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(path.file_name().unwrap_or_default());
    temp_name.push(format!(".partial-{}", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let result = std::fs::File::create(&temp).and_then(|file| {
        let mut out = io::BufWriter::new(file);
        fill(&mut out)?;
        out.flush()?;
        out.get_ref().sync_data()?;
        drop(out);
        std::fs::rename(&temp, path)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// A microsecond little-endian pcap header for re-encoded output.
fn pcap_header(link_type: LinkType) -> Vec<u8> {
    let mut h = Vec::with_capacity(24);
    h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&262_144u32.to_le_bytes());
    h.extend_from_slice(&u32::from(link_type.0).to_le_bytes());
    h
}
