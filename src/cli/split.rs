//! `pcaptool split`: arguments, the output directory's policy (default name, `--force`,
//! stale files) and the open-file budget for [`pcaptool::split`].

use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;

use super::{input_ended, open_inputs, usage, Progress};
use pcaptool::capture::CaptureSet;
use pcaptool::flow::manifest::ManifestFormat;
use pcaptool::flow::SplitBy;
use pcaptool::split::{split, Config, NonIp, Outputs};

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
    /// Captures to split as one, merged in time order: files, directories (walked,
    /// captures recognised by content), '-' for standard input; gzip is recognised.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output directory (default: the first input's file name without extension, in the
    /// current directory; 'stdin' for standard input).
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// What goes into one file: 'pair' (the IP address pair), 'conversation' (the
    /// TCP/UDP 5-tuple), 'host' (each address; a packet goes into both its addresses'
    /// files), 'server-port' (the server's port of each conversation, as PcapSplitter),
    /// or chunks of the merged capture: 'packets:N' (editcap -c), 'bytes:SIZE' (at most
    /// SIZE bytes per file, e.g. 100MB, 1GiB; like tcpdump -C), 'seconds:S' (editcap -i).
    #[arg(long, default_value = "pair", value_parser = clap::value_parser!(SplitBy), value_name = "KEY")]
    pub by: SplitBy,
    /// Packets without IP (ARP, STP, LLDP, ...): write them to one 'non-ip' file, or drop them.
    #[arg(long, value_enum, default_value_t = NonIpArg::File)]
    pub non_ip: NonIpArg,
    /// Manifest format: flows.csv or flows.json.
    #[arg(long, value_enum, default_value_t = Manifest::Csv)]
    pub manifest: Manifest,
    /// Most output files open at once (default: the open-file limit less 16). Files
    /// closed to stay under it are reopened in append mode.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_open: Option<u64>,
    /// Memory in MiB for packets waiting to be written (all flows together); the largest
    /// buffers are written first when it runs out. Peak memory is about this plus 20 MiB,
    /// plus about 180 bytes per flow (1 M flows: 64 + 20 + 170 MiB).
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
pub enum NonIpArg {
    File,
    Drop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Manifest {
    Csv,
    Json,
}

pub fn run(args: &Args) -> Result<()> {
    let mut set = open_inputs(&args.inputs)?;
    let dir = args
        .output
        .clone()
        .unwrap_or_else(|| default_dir(&args.inputs[0]));
    let config = Config {
        by: args.by,
        non_ip: match args.non_ip {
            NonIpArg::File => NonIp::File,
            NonIpArg::Drop => NonIp::Drop,
        },
        manifest: match args.manifest {
            Manifest::Csv => ManifestFormat::Csv,
            Manifest::Json => ManifestFormat::Json,
        },
        max_open: max_open(args.max_open)?,
        buffer_bytes: (args.buffer as usize) << 20,
        stop: None,
    };
    let replacing = prepare_dir(&dir, args.force)?;
    if replacing {
        refuse_inputs_among(&set, &dir)?;
    }
    // Ctrl-C or SIGTERM: stop reading, write what was read and a true manifest, say
    // so, and exit 130 (143). A second Ctrl-C ends the process at once.
    let stop = Arc::new(AtomicBool::new(false));
    let terminated = Arc::new(AtomicBool::new(false));
    // Handlers run in the order registered: the shutdown checks the flag before this
    // signal's own handlers set it.
    for signal in [SIGINT, SIGTERM] {
        flag::register_conditional_shutdown(signal, 128 + signal, stop.clone())
            .context("cannot install the signal handlers")?;
    }
    for (signal, flag) in [(SIGINT, &stop), (SIGTERM, &terminated), (SIGTERM, &stop)] {
        flag::register(signal, flag.clone()).context("cannot install the signal handlers")?;
    }
    let config = Config {
        stop: Some(stop),
        ..config
    };
    let progress = Progress::new(&set, args.quiet);
    let result = split(&mut set, &dir, &config, &mut |offset| progress.set(offset));
    progress.finish();
    let mut report = result?;
    for w in std::mem::take(&mut report.pass.warnings) {
        super::warn(w);
    }
    if report.interrupted {
        input_ended(report.pass, "")?;
        let signal = if terminated.load(Ordering::Relaxed) {
            SIGTERM
        } else {
            SIGINT
        };
        return Err(super::Interrupted {
            what: format!(
                "interrupted after {} packets: the files and {} hold everything read until then",
                report.packets,
                dir.display()
            ),
            status: 128 + signal as u8,
        }
        .into());
    }
    if replacing {
        remove_stale(&dir, &report.written)?;
    }
    if !args.quiet {
        let non_ip = match (report.non_ip_packets, &report.non_ip_file) {
            (0, _) => String::new(),
            (n, Some(file)) => format!(", {n} without IP (in {file})"),
            (n, None) => format!(", {n} without IP (dropped)"),
        };
        let files = match args.by {
            SplitBy::Pair | SplitBy::Conversation => "flows",
            SplitBy::Host => "hosts",
            SplitBy::ServerPort => "server ports",
            _ => "chunks",
        };
        eprintln!(
            "pcaptool split: {} packets, {} {files}{non_ip} -> {}/ ({} reopens)",
            report.packets,
            report.flows,
            dir.display(),
            report.reopens
        );
    }
    input_ended(report.pass, "; every complete packet before it was split")
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

/// Creates the output directory; a non-empty one only with `--force`, and then returns
/// true: the flow files and manifests a previous split left there are overwritten in
/// place (truncated when reopened) and whatever this run does not produce again is
/// removed at the end, since deleting thousands of files just before creating
/// thousands makes ext4 slow. The directory is read again rather than remembered: a
/// million names would take a hundred megabytes.
fn prepare_dir(dir: &Path, force: bool) -> Result<bool> {
    if dir.exists() && !dir.is_dir() {
        return usage(format!(
            "{} is not a directory: -o names the directory the files go into",
            dir.display()
        ));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    let empty = entries.next().transpose()?.is_none();
    if !empty && !force {
        return usage(format!(
            "output directory {} is not empty (use --force to replace the flow files in it)",
            dir.display()
        ));
    }
    Ok(!empty)
}

/// The files of `dir` a split may replace or remove: regular files with the names it
/// gives.
fn split_files(dir: &Path) -> Result<impl Iterator<Item = Result<std::fs::DirEntry>>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    Ok(entries.filter_map(|entry| {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => return Some(Err(e.into())),
        };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = ["flow-", "host-", "port-", "chunk-", "non-ip."]
            .iter()
            .any(|prefix| name.starts_with(prefix))
            || name == "flows.csv"
            || name == "flows.json";
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        (ours && regular).then_some(Ok(entry))
    }))
}

/// Refuses to start when an input is one of the files a split into this directory
/// would replace or remove (the same file: device and inode), whatever `--force` says.
fn refuse_inputs_among(set: &CaptureSet, dir: &Path) -> Result<()> {
    use std::os::unix::fs::{DirEntryExt, MetadataExt};
    let identity = |p: &Path| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
    let inputs: std::collections::HashMap<u64, (u64, &str)> = set
        .inputs()
        .iter()
        .filter_map(|input| {
            let (dev, ino) = identity(&input.path)?;
            Some((ino, (dev, input.name.as_str())))
        })
        .collect();
    for entry in split_files(dir)? {
        let entry = entry?;
        // The inode number comes with the directory entry; only a match costs a stat.
        let Some(&(dev, name)) = inputs.get(&entry.ino()) else {
            continue;
        };
        if identity(&entry.path()) == Some((dev, entry.ino())) {
            return usage(format!(
                "input {name} is {}, which this split would overwrite: choose another output directory",
                entry.path().display()
            ));
        }
    }
    Ok(())
}

/// Removes the files of a previous split that this one did not write again.
fn remove_stale(dir: &Path, written: &Outputs) -> Result<()> {
    for entry in split_files(dir)? {
        let entry = entry?;
        if !written.contains(&entry.file_name().to_string_lossy()) {
            let path = entry.path();
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
