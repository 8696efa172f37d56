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

use std::collections::HashSet;
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::capture::{
    for_each_record, push_interface, push_packet_with, push_section_header, CaptureSet, Format,
    InputInfo, LinkType, Pass, Record, TsResolution,
};
use crate::flow::manifest::{self, Entry, ManifestFormat};
use crate::flow::pool::{Chunk, ChunkStats, PoolError, PoolReport, WriterPool};
use crate::flow::{FlowKey, OutputKey, SplitBy};
use crate::ip;
use crate::link;

/// The table of outputs: insertion-ordered, with a fast seeded hash (SipHash costs more
/// than the rest of the per-packet work).
type FlowTable = IndexMap<OutputKey, u32, foldhash::fast::RandomState>;

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
    /// Every file written (flows, non-IP file, manifest).
    pub written: HashSet<PathBuf>,
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
    /// Records copied verbatim after their input's own file header: pcap inputs that
    /// all have the same header (`one_header`: written once per file), or pcapng inputs
    /// (a file gets another section when its records come from another input).
    Verbatim {
        extension: &'static str,
        one_header: bool,
    },
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
            Framing::Verbatim {
                extension: "pcap",
                one_header: true,
            }
        } else if all(&|i| i.format == Format::PcapNg) {
            Framing::Verbatim {
                extension: "pcapng",
                one_header: false,
            }
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

struct FlowState {
    pending: Vec<u8>,
    stats: ChunkStats,
    /// Input section whose header this file has, and how many header bytes it has.
    section: u64,
    header_len: usize,
    /// Re-encoded pcapng: the link type of each interface described so far.
    interfaces: Vec<LinkType>,
    /// Bytes of capture file made for it so far (headers included).
    bytes_out: u64,
    file_name: String,
}

struct Splitter {
    config: Config,
    framing: Framing,
    dir: PathBuf,
    pool: WriterPool,
    /// Output key -> output file id; the index + 1 is the output's number.
    table: FlowTable,
    /// Server-port mode: each conversation's server port (or none), fixed at its
    /// first packet.
    server_ports: foldhash::HashMap<FlowKey, Option<u16>>,
    /// Chunk modes: the current chunk's file, records, bytes and interval number.
    chunk: Option<ChunkState>,
    /// Per output file id.
    files: Vec<FlowState>,
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
            table: FlowTable::default(),
            server_ports: Default::default(),
            chunk: None,
            files: Vec::new(),
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
            Framing::Verbatim { extension, .. } => extension,
            Framing::ReencodePcap { .. } => "pcap",
            Framing::ReencodePcapng => "pcapng",
        }
    }

    fn new_file(&mut self, file_name: String) -> u32 {
        let id = self.files.len() as u32;
        if !self.pool.register(self.dir.join(&file_name)) {
            self.writer_stopped = true;
        }
        self.files.push(FlowState {
            pending: Vec::new(),
            stats: ChunkStats::default(),
            section: 0,
            header_len: 0,
            interfaces: Vec::new(),
            bytes_out: 0,
            file_name,
        });
        id
    }

    /// The output of `key`, made when first needed.
    fn output(&mut self, key: OutputKey) -> u32 {
        if let Some(&id) = self.table.get(&key) {
            return id;
        }
        let name = format!(
            "{}.{}",
            key.file_stem(self.table.len() as u64 + 1),
            self.extension()
        );
        let id = self.new_file(name);
        self.table.insert(key, id);
        id
    }

    /// The bytes `record` takes in an output file (its header aside).
    fn record_len(&self, record: &Record<'_>) -> u64 {
        match self.framing {
            Framing::Verbatim { .. } => record.raw.len() as u64,
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
            let before = self.files[file as usize].bytes_out;
            self.append(file, record);
            let after = self.files[file as usize].bytes_out;
            if let Some(c) = self.chunk.as_mut() {
                c.bytes += after - before;
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
                        let id = self.new_file(format!("non-ip.{}", self.extension()));
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
    /// when full or when memory is over budget.
    fn append(&mut self, file: u32, record: &Record<'_>) {
        let state = &mut self.files[file as usize];
        let before = state.pending.capacity();
        let len_before = state.pending.len();
        match &self.framing {
            Framing::Verbatim { one_header, .. } => {
                // With one header for all inputs, only the first record writes it.
                let section = if *one_header { 1 } else { record.section };
                if state.section != section {
                    state.pending.extend_from_slice(record.header);
                    state.section = section;
                    state.header_len = record.header.len();
                } else if record.header.len() > state.header_len {
                    // Interfaces described since this file's header was written.
                    state
                        .pending
                        .extend_from_slice(&record.header[state.header_len..]);
                    state.header_len = record.header.len();
                }
                state.pending.extend_from_slice(record.raw);
            }
            Framing::ReencodePcap { header } => {
                if state.section == 0 {
                    state.pending.extend_from_slice(header);
                    state.section = 1;
                }
                let secs = record.ts.secs.clamp(0, i64::from(u32::MAX)) as u32;
                for field in [
                    secs,
                    record.ts.nanos / 1000,
                    record.data.len() as u32,
                    record.orig_len,
                ] {
                    state.pending.extend_from_slice(&field.to_le_bytes());
                }
                state.pending.extend_from_slice(record.data);
            }
            Framing::ReencodePcapng => {
                if state.section == 0 {
                    push_section_header(&mut state.pending);
                    state.section = 1;
                }
                let interface = match state.interfaces.iter().position(|&l| l == record.link_type) {
                    Some(i) => i,
                    None => {
                        push_interface(&mut state.pending, record.link_type, 0, TsResolution::Nano);
                        state.interfaces.push(record.link_type);
                        state.interfaces.len() - 1
                    }
                };
                push_packet_with(
                    &mut state.pending,
                    interface as u32,
                    record.ts,
                    TsResolution::Nano,
                    record.orig_len,
                    record.data.len(),
                    |out| out.copy_from_slice(record.data),
                );
            }
        }
        state
            .stats
            .add_packet(record.ts, record.orig_len, record.data.len());
        state.bytes_out += (state.pending.len() - len_before) as u64;
        self.pending_capacity += state.pending.capacity() - before;
        if state.pending.len() >= CHUNK_BYTES {
            self.hand_off(file);
        }
        if self.pending_capacity > self.config.buffer_bytes {
            self.shed();
        }
    }

    /// Sends a file's pending bytes to the writer.
    fn hand_off(&mut self, file: u32) {
        let state = &mut self.files[file as usize];
        if state.pending.is_empty() {
            return;
        }
        self.pending_capacity -= state.pending.capacity();
        self.outbox_bytes += state.pending.len();
        self.outbox.push(Chunk {
            file,
            data: std::mem::take(&mut state.pending),
            stats: std::mem::take(&mut state.stats),
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
            .filter(|(_, f)| !f.pending.is_empty())
            .map(|(i, f)| (f.pending.capacity(), i as u32))
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
        let entries = self
            .table
            .iter()
            .enumerate()
            .filter(|(_, (_, &id))| written[id as usize].packets > 0)
            .map(|(i, (key, &id))| Entry {
                number: i as u64 + 1,
                key,
                file_name: &self.files[id as usize].file_name,
                stats: &written[id as usize],
            });
        let manifest = write_atomically(&manifest_path, |out| {
            manifest::write(out, self.config.manifest, entries)
        });
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
        let mut paths: HashSet<PathBuf> = self
            .files
            .iter()
            .map(|f| self.dir.join(&f.file_name))
            .collect();
        paths.insert(manifest_path);
        Ok(Report {
            packets: self.packets,
            flows: self.table.len() as u64,
            non_ip_packets: self.non_ip_packets,
            non_ip_file: self.non_ip_file.map(|_| format!("non-ip.{extension}")),
            reopens,
            written: paths,
            pass,
            interrupted: false,
        })
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
