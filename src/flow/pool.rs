//! The writer pool: a thread that owns every output file, so that the system calls
//! (open, write, close) run on the second core while the reader thread parses.
//!
//! Chunks of ready-made capture bytes arrive over a bounded channel. At most `max_open`
//! files are open at once; the least recently used is closed first, and a file that
//! comes back is reopened in append mode (a file is created, truncated, only once).
//! After a failed write the file is cut back to its last complete chunk, so every file
//! stays a valid capture and the statistics describe exactly what is on disk.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use crate::capture::Timestamp;

/// Batches in flight between the threads. Chunks travel in batches so that the two
/// threads wake each other (a futex call each) once per batch, not once per chunk.
const CHANNEL_DEPTH: usize = 4;

/// Capture bytes for one output file, with what they hold.
pub struct Chunk {
    pub file: u32,
    pub data: Vec<u8>,
    pub stats: ChunkStats,
}

/// What a run of records adds to a file's statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChunkStats {
    pub packets: u64,
    /// Sum of the packets' original (wire) lengths.
    pub bytes: u64,
    /// Sum of the captured lengths.
    pub captured_bytes: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

impl ChunkStats {
    pub fn add_packet(&mut self, ts: Timestamp, orig_len: u32, captured: usize) {
        self.packets += 1;
        self.bytes += u64::from(orig_len);
        self.captured_bytes += captured as u64;
        self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
        self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
    }

    pub fn merge(&mut self, other: &ChunkStats) {
        self.packets += other.packets;
        self.bytes += other.bytes;
        self.captured_bytes += other.captured_bytes;
        for ts in [other.first, other.last].into_iter().flatten() {
            self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
            self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
        }
    }
}

enum Message {
    /// Declares output file number `file` (numbers are dense, from 0).
    Register(PathBuf),
    Write(Vec<Chunk>),
}

/// A write that failed, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {cause}")]
pub struct PoolError {
    pub path: PathBuf,
    pub cause: io::Error,
}

/// What the pool wrote: per file, the statistics of the chunks that reached it whole.
pub struct PoolReport {
    pub written: Vec<ChunkStats>,
    pub error: Option<PoolError>,
    /// How often a file was opened again after being closed to stay under `max_open`.
    pub reopens: u64,
}

pub struct WriterPool {
    sender: SyncSender<Message>,
    thread: JoinHandle<PoolReport>,
}

impl WriterPool {
    pub fn new(max_open: usize) -> WriterPool {
        let (sender, receiver) = sync_channel(CHANNEL_DEPTH);
        let thread = std::thread::Builder::new()
            .name("pcaptool-writer".into())
            .spawn(move || Writer::new(max_open.max(1)).run(receiver))
            .expect("cannot start the writer thread");
        WriterPool { sender, thread }
    }

    /// Declares the next output file; returns false once the writer has stopped.
    pub fn register(&self, path: PathBuf) -> bool {
        self.sender.send(Message::Register(path)).is_ok()
    }

    /// Queues chunks, written in order; returns false once the writer has stopped
    /// after an error.
    pub fn write(&self, chunks: Vec<Chunk>) -> bool {
        self.sender.send(Message::Write(chunks)).is_ok()
    }

    /// Waits for every queued chunk to be written.
    pub fn finish(self) -> PoolReport {
        drop(self.sender);
        self.thread.join().expect("the writer thread panicked")
    }
}

struct OutputFile {
    path: PathBuf,
    open: Option<File>,
    created: bool,
    /// Bytes on disk, to cut back to after a failed write.
    len: u64,
    last_use: u64,
    stats: ChunkStats,
}

struct Writer {
    files: Vec<OutputFile>,
    /// Indices of the files that are open now.
    open: Vec<u32>,
    max_open: usize,
    clock: u64,
    reopens: u64,
}

impl Writer {
    fn new(max_open: usize) -> Writer {
        Writer {
            files: Vec::new(),
            open: Vec::new(),
            max_open,
            clock: 0,
            reopens: 0,
        }
    }

    fn run(mut self, receiver: Receiver<Message>) -> PoolReport {
        let mut error = None;
        for message in receiver {
            match message {
                Message::Register(path) => self.files.push(OutputFile {
                    path,
                    open: None,
                    created: false,
                    len: 0,
                    last_use: 0,
                    stats: ChunkStats::default(),
                }),
                Message::Write(chunks) => {
                    if let Some(e) = chunks.iter().find_map(|c| self.write(c).err()) {
                        error = Some(e);
                        break; // dropping the receiver tells the reader thread to stop
                    }
                }
            }
        }
        PoolReport {
            written: self.files.iter().map(|f| f.stats).collect(),
            error,
            reopens: self.reopens,
        }
    }

    fn write(&mut self, chunk: &Chunk) -> Result<(), PoolError> {
        let index = chunk.file as usize;
        self.ensure_open(index)?;
        let file = &mut self.files[index];
        let handle = file.open.as_mut().expect("opened above");
        match handle.write_all(&chunk.data) {
            Ok(()) => {
                file.len += chunk.data.len() as u64;
                file.stats.merge(&chunk.stats);
                Ok(())
            }
            Err(cause) => {
                // Keep the file a valid capture: drop the partial chunk; a file left
                // with nothing in it goes.
                let _ = handle.set_len(file.len);
                if file.len == 0 {
                    file.open = None;
                    let _ = std::fs::remove_file(&file.path);
                    self.open.retain(|&f| f as usize != index);
                }
                Err(PoolError {
                    path: file.path.clone(),
                    cause,
                })
            }
        }
    }

    fn ensure_open(&mut self, index: usize) -> Result<(), PoolError> {
        self.clock += 1;
        self.files[index].last_use = self.clock;
        if self.files[index].open.is_some() {
            return Ok(());
        }
        if self.open.len() >= self.max_open {
            self.close_least_recent();
        }
        let opened = loop {
            let file = &self.files[index];
            let result = if file.created {
                OpenOptions::new().append(true).open(&file.path)
            } else {
                File::create(&file.path)
            };
            match result {
                // Out of descriptors although under max_open (other descriptors in use):
                // close another file and try again while there is one to close.
                Err(e) if is_too_many_open_files(&e) && !self.open.is_empty() => {
                    self.close_least_recent();
                    self.max_open = self.open.len().max(1);
                }
                other => break other,
            }
        };
        let file = &mut self.files[index];
        let handle = opened.map_err(|source| PoolError {
            path: file.path.clone(),
            cause: if is_too_many_open_files(&source) {
                io::Error::new(
                    source.kind(),
                    format!("{source}: the open-file limit leaves no descriptor free (raise `ulimit -n` or lower --max-open)"),
                )
            } else {
                source
            },
        })?;
        if file.created {
            self.reopens += 1;
        }
        file.created = true;
        file.open = Some(handle);
        self.open.push(index as u32);
        Ok(())
    }

    fn close_least_recent(&mut self) {
        let Some((slot, _)) = self
            .open
            .iter()
            .enumerate()
            .min_by_key(|(_, &f)| self.files[f as usize].last_use)
        else {
            return;
        };
        let index = self.open.swap_remove(slot);
        self.files[index as usize].open = None;
    }
}

fn is_too_many_open_files(e: &io::Error) -> bool {
    // EMFILE (per process) and ENFILE (system-wide) on Linux.
    matches!(e.raw_os_error(), Some(24) | Some(23))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reopening_appends_instead_of_truncating() {
        let dir = tempfile::tempdir().unwrap();
        let pool = WriterPool::new(2);
        for i in 0..5 {
            assert!(pool.register(dir.path().join(format!("f{i}"))));
        }
        for round in 0..3u8 {
            for i in 0..5u32 {
                let mut stats = ChunkStats::default();
                stats.add_packet(Timestamp::new(i64::from(round), 0), 1, 1);
                assert!(pool.write(vec![Chunk {
                    file: i,
                    data: vec![b'a' + round],
                    stats,
                }]));
            }
        }
        let report = pool.finish();
        assert!(report.error.is_none());
        assert!(report.reopens >= 10, "{}", report.reopens);
        for i in 0..5 {
            assert_eq!(
                std::fs::read(dir.path().join(format!("f{i}"))).unwrap(),
                b"abc"
            );
            assert_eq!(report.written[i].packets, 3);
            assert_eq!(report.written[i].last, Some(Timestamp::new(2, 0)));
        }
    }
}
