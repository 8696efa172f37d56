//! Many captures as one: files, directories (walked recursively, captures recognised by
//! content) and standard input, merged in time order as `mergecap` merges them.
//!
//! Inputs are ranked by their first record's timestamp, then by file name (the names of
//! a rotated set count up), then by path, so the order of the arguments never matters;
//! records with equal timestamps come from the lower-ranked input first. Only the inputs whose time spans overlap the merge
//! frontier are open at once: a rotated set (`tcpdump -G`, `-C`) is read one file after
//! the other. Frame numbers continue across files. Damage in one input ends that input
//! (every record before it is used) and the others go on; it is reported in the
//! [`Pass`](super::Pass) with the input's name.
//!
//! ```
//! use pcaptool::capture::{CaptureSet, CaptureWriter, LinkType, OutputFormat, Timestamp, TsResolution};
//! let dir = tempfile::tempdir().unwrap();
//! // Two files whose packets interleave in time: 0 s, 2 s in one; 1 s, 3 s in the other.
//! for (name, secs) in [("b.pcap", [1, 3]), ("a.pcap", [0, 2])] {
//!     let file = std::fs::File::create(dir.path().join(name)).unwrap();
//!     let mut w = CaptureWriter::new(file, OutputFormat::Pcap, TsResolution::Micro, LinkType::ETHERNET, 65535);
//!     for s in secs {
//!         w.write_packet(0, Timestamp::new(s, 0), 60, &[s as u8; 60]).unwrap();
//!     }
//!     w.finish().unwrap();
//! }
//! let mut set = CaptureSet::open(&[dir.path().to_path_buf()]).unwrap();
//! let mut seen = Vec::new();
//! while let Some(record) = set.next_record() {
//!     seen.push(record.data[0]);
//! }
//! assert_eq!(seen, [0, 1, 2, 3]);
//! assert_eq!(set.inputs().len(), 2);
//! ```

use std::io;
use std::path::{Path, PathBuf};

use super::reader::{open as open_file, CaptureReader, Format, OpenError, Record};
use super::{CaptureError, Timestamp};

/// Why a set of inputs cannot be read at all (nothing has been processed yet).
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    /// A named input or a directory entry could not be opened or listed.
    #[error("{path}: cannot open: {cause}")]
    Open { path: PathBuf, cause: io::Error },
    /// A file named on the command line is not a capture.
    #[error("{path}: {error}")]
    NotCapture { path: PathBuf, error: CaptureError },
    /// Standard input named more than once.
    #[error("standard input ('-') can be read only once")]
    StdinTwice,
    #[error("no capture among the inputs")]
    Empty,
}

/// One input of a set, in rank order.
#[derive(Debug, Clone)]
pub struct InputInfo {
    /// As shown in messages: the path as given or found, `-` for standard input.
    pub name: String,
    /// Position in the order the inputs were given (directories in path order).
    pub given: usize,
    pub path: PathBuf,
    pub format: Format,
    pub gzip: bool,
    /// Timestamp of its first record (`None` when it has none).
    pub first: Option<Timestamp>,
    /// Size in bytes when it is a regular file (for progress).
    pub size: Option<u64>,
    /// Link type of a single-link-type format (pcap, snoop), or of pcapng interface 0.
    pub link_type: Option<super::LinkType>,
    /// The pcap global header, or the first section header and interface descriptions,
    /// verbatim.
    pub header: Vec<u8>,
}

/// An input in the merge: open, with its next record's timestamp known.
struct Active {
    rank: usize,
    reader: CaptureReader,
    next: Timestamp,
}

/// Several captures read as one, in time order.
pub struct CaptureSet {
    inputs: Vec<InputInfo>,
    /// Ranks of the inputs not opened yet, the next to open last.
    waiting: Vec<usize>,
    /// A reader kept open from the start, by rank: standard input (it cannot be
    /// opened twice) or a capture handed over already open.
    kept: Option<(usize, CaptureReader)>,
    active: Vec<Active>,
    /// The active input whose record was handed out last: it moves on at the next call.
    last: Option<usize>,
    /// Not-a-capture files found while walking directories.
    skipped: Vec<PathBuf>,
    warnings: Vec<String>,
    errors: Vec<(String, CaptureError)>,
    /// Input offsets of the inputs finished so far (for progress over all inputs).
    done_bytes: u64,
}

impl CaptureSet {
    /// Opens `paths` (files, directories, `-`): every capture is checked readable up to
    /// its first record before anything else happens, so that a missing input stops
    /// the run before any output is written.
    pub fn open(paths: &[PathBuf]) -> Result<CaptureSet, SetError> {
        let mut files = Vec::new();
        let mut skipped = Vec::new();
        let mut stdin_seen = false;
        for path in paths {
            if path.as_os_str() == "-" {
                if stdin_seen {
                    return Err(SetError::StdinTwice);
                }
                stdin_seen = true;
                files.push((path.clone(), true));
            } else if path.is_dir() {
                let mut found = Vec::new();
                walk(path, &mut found)?;
                found.sort();
                files.extend(found.into_iter().map(|p| (p, false)));
            } else {
                files.push((path.clone(), true));
            }
        }
        let mut scanned = Vec::new();
        let mut warnings = Vec::new();
        let mut errors = Vec::new();
        for (path, named) in files {
            let mut reader = match open_file(&path) {
                Ok(r) => r,
                Err(OpenError::Open(cause)) => return Err(SetError::Open { path, cause }),
                Err(OpenError::Capture(error)) if named => {
                    return Err(SetError::NotCapture { path, error })
                }
                Err(OpenError::Capture(_)) => {
                    skipped.push(path);
                    continue;
                }
            };
            let name = path.display().to_string();
            let mut failed = false;
            let first = match reader.peek_timestamp() {
                Ok(ts) => ts,
                Err(e) => {
                    // Damaged before its first record: nothing to merge, but said.
                    errors.push((name.clone(), e));
                    failed = true;
                    None
                }
            };
            let size = std::fs::metadata(&path)
                .ok()
                .filter(|m| m.is_file() && !reader.is_gzip())
                .map(|m| m.len());
            let info = InputInfo {
                name,
                given: scanned.len(),
                path: path.clone(),
                format: reader.format(),
                gzip: reader.is_gzip(),
                first,
                size,
                link_type: reader.link_type(),
                header: reader.header_bytes().to_vec(),
            };
            let keep = path.as_os_str() == "-" && !failed;
            // Warnings come again when the input is read for real; only an input that
            // is never read again says them now.
            if failed {
                warnings.extend(
                    reader
                        .take_warnings()
                        .into_iter()
                        .map(|w| format!("{}: {w}", info.name)),
                );
            }
            scanned.push((info, keep.then_some(reader), failed));
        }
        if scanned.is_empty() {
            return Err(SetError::Empty);
        }
        // Rank: first timestamp (inputs without records first, they hold nothing to
        // merge), then file name (a rotated set's names count up), then the whole path.
        scanned.sort_by(|a, b| rank_key(&a.0).cmp(&rank_key(&b.0)));
        let mut inputs = Vec::new();
        let mut waiting = Vec::new();
        let mut kept = None;
        for (rank, (info, reader, failed)) in scanned.into_iter().enumerate() {
            inputs.push(info);
            if !failed {
                waiting.push(rank);
            }
            if let Some(reader) = reader {
                kept = Some((rank, reader));
            }
        }
        waiting.reverse();
        Ok(CaptureSet {
            inputs,
            waiting,
            kept,
            active: Vec::new(),
            last: None,
            skipped,
            warnings,
            errors,
            done_bytes: 0,
        })
    }

    /// One capture that is already open (standard input, memory) as a set of one.
    pub fn single(name: &str, reader: CaptureReader) -> CaptureSet {
        let info = InputInfo {
            name: name.to_string(),
            given: 0,
            path: PathBuf::from(name),
            format: reader.format(),
            gzip: reader.is_gzip(),
            first: None,
            size: None,
            link_type: reader.link_type(),
            header: reader.header_bytes().to_vec(),
        };
        CaptureSet {
            inputs: vec![info],
            waiting: vec![0],
            kept: Some((0, reader)),
            active: Vec::new(),
            last: None,
            skipped: Vec::new(),
            warnings: Vec::new(),
            errors: Vec::new(),
            done_bytes: 0,
        }
    }

    /// Each input as a set of its own, in the order they were given (for work done
    /// per file: `info`, or files processed in parallel).
    pub fn into_inputs(self) -> Vec<CaptureSet> {
        let mut kept = self.kept;
        let mut errors = self.errors;
        let mut warnings = self.warnings;
        let mut sets: Vec<CaptureSet> = self
            .inputs
            .into_iter()
            .enumerate()
            .map(|(rank, info)| {
                let prefix = format!("{}: ", info.name);
                let (mine, others): (Vec<_>, Vec<_>) =
                    errors.drain(..).partition(|(name, _)| *name == info.name);
                errors = others;
                let (my_warnings, other_warnings): (Vec<_>, Vec<_>) =
                    warnings.drain(..).partition(|w| w.starts_with(&prefix));
                warnings = other_warnings;
                CaptureSet {
                    waiting: if self.waiting.contains(&rank) {
                        vec![0]
                    } else {
                        vec![]
                    },
                    kept: match kept.take() {
                        Some((r, reader)) if r == rank => Some((0, reader)),
                        other => {
                            kept = other;
                            None
                        }
                    },
                    inputs: vec![info],
                    active: Vec::new(),
                    last: None,
                    skipped: Vec::new(),
                    warnings: my_warnings,
                    errors: mine,
                    done_bytes: 0,
                }
            })
            .collect();
        sets.sort_by_key(|s| s.inputs[0].given);
        sets
    }

    /// The inputs in rank order (the order of a merge of equal timestamps).
    pub fn inputs(&self) -> &[InputInfo] {
        &self.inputs
    }

    /// Files found in directories that are not captures (skipped).
    pub fn skipped(&self) -> &[PathBuf] {
        &self.skipped
    }

    /// Bytes read so far over all inputs (decompressed bytes for gzip).
    pub fn offset(&self) -> u64 {
        self.done_bytes + self.active.iter().map(|a| a.reader.offset()).sum::<u64>()
    }

    /// The next record in time order over all inputs, `None` when every input is done.
    pub fn next_record(&mut self) -> Option<Record<'_>> {
        if let Some(i) = self.last.take() {
            self.refresh(i);
        }
        let i = loop {
            let best = self.earliest();
            // Open the next waiting input if nothing is open, or if its first record
            // is due no later than the earliest open one's.
            let due = match (self.waiting.last(), best) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(&rank), Some(i)) => self.inputs[rank]
                    .first
                    .is_none_or(|f| f <= self.active[i].next),
            };
            if !due {
                break best?;
            }
            if let Some(rank) = self.waiting.pop() {
                self.activate(rank);
            }
        };
        self.last = Some(i);
        let active = &mut self.active[i];
        let rank = active.rank as u64;
        match active.reader.next_record() {
            Ok(Some(mut record)) => {
                record.section |= rank << 32;
                Some(record)
            }
            // Unreachable in practice: the timestamp was peeked, so the record is parsed.
            _ => None,
        }
    }

    /// The open input whose next record comes first (ties: the lower rank).
    fn earliest(&self) -> Option<usize> {
        match self.active.len() {
            0 => None,
            1 => Some(0),
            n => (0..n).min_by_key(|&i| (self.active[i].next, self.active[i].rank)),
        }
    }

    /// Opens the input of `rank` and adds it to the merge (or records why not).
    fn activate(&mut self, rank: usize) {
        let info = &self.inputs[rank];
        let reader = if self.kept.as_ref().is_some_and(|(r, _)| *r == rank) {
            self.kept.take().map(|(_, reader)| reader)
        } else {
            match open_file(&info.path) {
                Ok(r) => Some(r),
                Err(OpenError::Capture(e)) => {
                    self.errors.push((info.name.clone(), e));
                    None
                }
                Err(OpenError::Open(cause)) => {
                    let offset = 0;
                    self.errors
                        .push((info.name.clone(), CaptureError::Io { offset, cause }));
                    None
                }
            }
        };
        if let Some(reader) = reader {
            self.active.push(Active {
                rank,
                reader,
                next: Timestamp::default(),
            });
            let i = self.active.len() - 1;
            self.refresh(i);
        }
    }

    /// Peeks the next timestamp of active input `i`; an input at its end or damaged
    /// leaves the merge.
    fn refresh(&mut self, i: usize) {
        let active = &mut self.active[i];
        match active.reader.peek_timestamp() {
            Ok(Some(ts)) => active.next = ts,
            outcome => {
                let name = self.inputs[active.rank].name.clone();
                if let Err(e) = outcome {
                    self.errors.push((name.clone(), e));
                }
                let mut gone = self.active.swap_remove(i);
                self.done_bytes += gone.reader.offset();
                self.warnings.extend(
                    gone.reader
                        .take_warnings()
                        .into_iter()
                        .map(|w| format!("{name}: {w}")),
                );
            }
        }
    }

    /// Warnings gathered so far, each starting with its input's name.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Inputs that ended early, with why (every record before was delivered).
    pub fn take_errors(&mut self) -> Vec<(String, CaptureError)> {
        std::mem::take(&mut self.errors)
    }
}

/// The order of inputs: first timestamp, file name, path (standard input is `-`).
fn rank_key(info: &InputInfo) -> (Option<Timestamp>, Option<&std::ffi::OsStr>, &str) {
    (info.first, info.path.file_name(), &info.name)
}

/// Every regular file below `dir` (links to files included, to directories not).
fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), SetError> {
    let entries = std::fs::read_dir(dir).map_err(|cause| SetError::Open {
        path: dir.to_path_buf(),
        cause,
    })?;
    for entry in entries {
        let entry = entry.map_err(|cause| SetError::Open {
            path: dir.to_path_buf(),
            cause,
        })?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|cause| SetError::Open {
            path: path.clone(),
            cause,
        })?;
        if kind.is_dir() {
            walk(&path, found)?;
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            found.push(path);
        }
    }
    Ok(())
}
