//! `pcaptool split`: one capture file per flow (by default the unordered IP pair).
//!
//! The reader thread finds each record's flow and appends the record, byte for byte, to
//! that flow's pending buffer; full buffers go to the writer pool's thread. Pending
//! memory is bounded by a budget: when it is exceeded the largest buffers are handed
//! off first, so busy flows are written in large chunks and quiet ones stay buffered.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indexmap::IndexMap;

/// The flow table: insertion-ordered, with a fast seeded hash (SipHash costs more than
/// the rest of the per-packet work).
type FlowTable = IndexMap<FlowKey, u32, foldhash::fast::RandomState>;

use super::{usage, warn, Progress};
use crate::capture::{self, Format, LinkType, Record};
use crate::flow::manifest::{self, Entry, ManifestFormat};
use crate::flow::pool::{Chunk, ChunkStats, PoolReport, WriterPool};
use crate::flow::{FlowKey, SplitBy};
use crate::link;

/// A flow's buffer is handed to the writer once it holds this much.
const CHUNK_BYTES: usize = 256 << 10;
/// Over budget, the largest buffers are handed off until pending memory is down to this
/// share of the budget: only the fullest buffers go, so writes stay large.
const SHED_TO_PERCENT: usize = 75;
/// Chunks are sent to the writer in batches of about this many bytes.
const BATCH_BYTES: usize = 2 << 20;
/// File descriptors kept back for the input, standard streams and the manifest.
const RESERVED_FDS: u64 = 16;

/// Write one capture file per flow: every packet between two addresses (both
/// directions) in one file, in input order, byte for byte, timestamps and original
/// lengths untouched.
///
/// Output keeps the input's format: pcap in gives pcap out (same magic, byte order,
/// link type, snap length, timestamp resolution); pcapng in gives pcapng out with the
/// section header and interface descriptions of the input, so several link types
/// survive; snoop is written as microsecond pcap. Flows are numbered by first
/// appearance; packets without IP go to non-ip.pcap[ng] (or are dropped with
/// --non-ip drop). A manifest (flows.csv or flows.json) lists every flow.
///
/// Examples:
///   pcaptool split SkypeIRC.cap                  # -> ./SkypeIRC/flow-00000001_..pcap, flows.csv
///   pcaptool split big.pcapng.gz -o flows --by conversation --manifest json
///   tcpdump -w - -c 1000 | pcaptool split - -o live
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Capture to split ('-' for standard input; gzip is recognised).
    pub input: PathBuf,
    /// Output directory (default: the input's file name without extension, in the
    /// current directory; 'stdin' for standard input).
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// What makes a flow: the IP address pair, or the TCP/UDP conversation (5-tuple).
    #[arg(long, value_enum, default_value_t = SplitBy::Pair)]
    pub by: SplitBy,
    /// Packets without IP (ARP, STP, LLDP, ...): write them to one 'non-ip' file, or drop them.
    #[arg(long, value_enum, default_value_t = NonIp::File)]
    pub non_ip: NonIp,
    /// Manifest format: flows.csv or flows.json.
    #[arg(long, value_enum, default_value_t = ManifestFormat::Csv)]
    pub manifest: ManifestFormat,
    /// Most output files open at once (default: the open-file limit less 16). Files
    /// closed to stay under it are reopened in append mode.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_open: Option<u64>,
    /// Memory in MiB for packets waiting to be written (all flows together); the largest
    /// buffers are written first when it runs out. Peak memory is about this plus 20 MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub buffer: u64,
    /// Replace flow files and the manifest in a non-empty output directory.
    #[arg(long)]
    pub force: bool,
    /// No progress bar and no summary line.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum NonIp {
    File,
    Drop,
}

pub fn run(args: &Args) -> Result<()> {
    let shown = args.input.display().to_string();
    let mut reader = capture::open(&args.input).with_context(|| shown.clone())?;
    let dir = args
        .output
        .clone()
        .unwrap_or_else(|| default_dir(&args.input));
    let max_open = max_open(args.max_open)?;
    let previous = prepare_dir(&dir, args.force)?;

    let framing = match reader.format() {
        Format::Pcap { .. } => Framing::Verbatim { extension: "pcap" },
        Format::PcapNg => Framing::Verbatim {
            extension: "pcapng",
        },
        Format::Snoop => Framing::ReencodePcap {
            header: pcap_header(reader.link_type().unwrap_or(LinkType::ETHERNET)),
        },
    };
    let progress = Progress::new(&args.input, args.quiet, reader.is_gzip());
    let mut splitter = Splitter::new(args, &dir, framing, WriterPool::new(max_open));
    let outcome = loop {
        match reader.next_record() {
            Ok(Some(record)) => {
                progress.tick(splitter.packets, record.offset);
                if !splitter.add(&record) {
                    break Ok(()); // the writer stopped: its error is reported below
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    progress.finish();
    for w in reader.take_warnings() {
        warn(format_args!("{shown}: {w}"));
    }
    let (summary, written) = splitter.finish(&dir, args.manifest)?;
    remove_stale(previous, &written)?;
    if !args.quiet {
        eprintln!("{summary}");
    }
    match outcome {
        Err(e) if e.is_truncation() => {
            warn(format_args!(
                "{shown}: {e}; every complete packet before it was split"
            ));
            Ok(())
        }
        Err(e) => Err(anyhow::Error::new(e).context(shown)),
        Ok(()) => Ok(()),
    }
}

/// How records become output bytes.
enum Framing {
    /// Records copied verbatim after the input's own file header (pcap, pcapng).
    Verbatim { extension: &'static str },
    /// Records rewritten as microsecond pcap (for snoop input).
    ReencodePcap { header: Vec<u8> },
}

struct FlowState {
    pending: Vec<u8>,
    stats: ChunkStats,
    /// Input section whose header this file has, and how many header bytes it has.
    section: u32,
    header_len: usize,
    file_name: String,
}

struct Splitter {
    by: SplitBy,
    non_ip: NonIp,
    framing: Framing,
    dir: PathBuf,
    pool: WriterPool,
    /// Flow key -> output file id; the index + 1 is the flow number.
    table: FlowTable,
    /// Per output file id.
    files: Vec<FlowState>,
    non_ip_file: Option<u32>,
    pending_capacity: usize,
    /// Chunks handed off but not yet sent to the writer thread.
    outbox: Vec<Chunk>,
    outbox_bytes: usize,
    /// Budget for `pending_capacity`, from --buffer.
    pending_budget: usize,
    packets: u64,
    non_ip_packets: u64,
    writer_stopped: bool,
}

impl Splitter {
    fn new(args: &Args, dir: &Path, framing: Framing, pool: WriterPool) -> Splitter {
        Splitter {
            by: args.by,
            non_ip: args.non_ip,
            framing,
            dir: dir.to_path_buf(),
            pool,
            table: FlowTable::default(),
            files: Vec::new(),
            non_ip_file: None,
            pending_capacity: 0,
            outbox: Vec::new(),
            outbox_bytes: 0,
            pending_budget: (args.buffer as usize) << 20,
            packets: 0,
            non_ip_packets: 0,
            writer_stopped: false,
        }
    }

    fn extension(&self) -> &'static str {
        match self.framing {
            Framing::Verbatim { extension } => extension,
            Framing::ReencodePcap { .. } => "pcap",
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
            file_name,
        });
        id
    }

    /// Adds one record; false once the writer has stopped after an error.
    fn add(&mut self, record: &Record<'_>) -> bool {
        self.packets += 1;
        let network = link::network(record.link_type, record.data);
        let file = match FlowKey::of(network, self.by) {
            Some(key) => match self.table.get(&key) {
                Some(&id) => id,
                None => {
                    let name = format!(
                        "{}.{}",
                        key.file_stem(self.table.len() as u64 + 1),
                        self.extension()
                    );
                    let id = self.new_file(name);
                    self.table.insert(key, id);
                    id
                }
            },
            None => {
                self.non_ip_packets += 1;
                if self.non_ip == NonIp::Drop {
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
        let state = &mut self.files[file as usize];
        let before = state.pending.capacity();
        match &self.framing {
            Framing::Verbatim { .. } => {
                if state.section != record.section {
                    state.pending.extend_from_slice(record.header);
                    state.section = record.section;
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
        }
        state
            .stats
            .add_packet(record.ts, record.orig_len, record.data.len());
        self.pending_capacity += state.pending.capacity() - before;
        if state.pending.len() >= CHUNK_BYTES {
            self.hand_off(file);
        }
        if self.pending_capacity > self.pending_budget {
            self.shed();
        }
        !self.writer_stopped
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
            if self.pending_capacity <= self.pending_budget * SHED_TO_PERCENT / 100 {
                break;
            }
            self.hand_off(file);
        }
    }

    /// Flushes everything, writes the manifest, and returns the summary line and the
    /// paths written (or the writer's error, after the manifest is written).
    fn finish(
        mut self,
        dir: &Path,
        format: ManifestFormat,
    ) -> Result<(String, std::collections::HashSet<PathBuf>)> {
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
        let manifest_name = match format {
            ManifestFormat::Csv => "flows.csv",
            ManifestFormat::Json => "flows.json",
        };
        let manifest_path = dir.join(manifest_name);
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
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&manifest_path)
                .with_context(|| format!("cannot create {}", manifest_path.display()))?,
        );
        manifest::write(&mut out, format, entries)
            .and_then(|()| std::io::Write::flush(&mut out))
            .with_context(|| format!("cannot write {}", manifest_path.display()))?;
        if let Some(e) = error {
            return Err(e).context("split stopped; the manifest lists what was written");
        }
        let non_ip = match (self.non_ip_packets, self.non_ip) {
            (0, _) => String::new(),
            (n, NonIp::File) => format!(", {n} without IP (in non-ip.{extension})"),
            (n, NonIp::Drop) => format!(", {n} without IP (dropped)"),
        };
        let mut paths: std::collections::HashSet<PathBuf> =
            self.files.iter().map(|f| dir.join(&f.file_name)).collect();
        paths.insert(manifest_path);
        let summary = format!(
            "pcaptool split: {} packets, {} flows{non_ip} -> {}/ ({} reopens)",
            self.packets,
            self.table.len(),
            dir.display(),
            reopens
        );
        Ok((summary, paths))
    }
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

/// `captures/SkypeIRC.cap` -> `SkypeIRC`; `x.pcap.gz` -> `x`; `-` -> `stdin`.
fn default_dir(input: &Path) -> PathBuf {
    if input.as_os_str() == "-" {
        return PathBuf::from("stdin");
    }
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "split".into());
    let mut stem = name.as_str();
    for ext in [".gz", ".pcapng", ".pcap", ".cap", ".ntar", ".snoop"] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    let stem = if stem.is_empty() || stem == name {
        format!("{name}.flows")
    } else {
        stem.to_string()
    };
    PathBuf::from(stem)
}

/// Creates the output directory; a non-empty one only with `--force`. Returns the
/// flow files and manifests a previous split left there: they are overwritten in place
/// (truncated when reopened) and whatever this run does not produce again is removed
/// at the end, since deleting thousands of files just before creating thousands makes
/// ext4 slow.
fn prepare_dir(dir: &Path, force: bool) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .collect::<std::io::Result<_>>()?;
    if !entries.is_empty() && !force {
        return usage(format!(
            "output directory {} is not empty (use --force to replace the flow files in it)",
            dir.display()
        ));
    }
    let mut previous = Vec::new();
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with("flow-")
            || name.starts_with("non-ip.")
            || name == "flows.csv"
            || name == "flows.json";
        if ours && entry.file_type()?.is_file() {
            previous.push(entry.path());
        }
    }
    Ok(previous)
}

/// Removes the files of a previous split that this one did not write again.
fn remove_stale(
    previous: Vec<PathBuf>,
    written: &std::collections::HashSet<PathBuf>,
) -> Result<()> {
    for path in previous {
        if !written.contains(&path) {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Ok(())
}

/// The process's soft limit on open files, from /proc (Linux), if known.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line.split_whitespace().nth(3)?;
    if soft == "unlimited" {
        return Some(u64::MAX);
    }
    soft.parse().ok()
}

fn max_open(requested: Option<u64>) -> Result<usize> {
    let limit = open_file_limit();
    let available = limit.map(|l| l.saturating_sub(RESERVED_FDS).max(1));
    match (requested, available) {
        (Some(n), Some(avail)) if n > avail => usage(format!(
            "--max-open {n} needs more file descriptors than the open-file limit allows ({} with {RESERVED_FDS} kept back); lower it or raise `ulimit -n`",
            limit.unwrap_or(0)
        )),
        (Some(n), _) => Ok(n as usize),
        (None, Some(avail)) => Ok(avail.min(65_536) as usize),
        (None, None) => Ok(240),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_directories() {
        assert_eq!(
            default_dir(Path::new("/x/SkypeIRC.cap")),
            PathBuf::from("SkypeIRC")
        );
        assert_eq!(default_dir(Path::new("a.pcapng.gz")), PathBuf::from("a"));
        assert_eq!(default_dir(Path::new("-")), PathBuf::from("stdin"));
        assert_eq!(
            default_dir(Path::new("noext")),
            PathBuf::from("noext.flows")
        );
    }
}
