//! The writer pool: a thread that owns every output file, so that the system calls
//! (open, write, close) run on the second core while the reader thread parses.
//!
//! Chunks of ready-made capture bytes arrive over a bounded channel. At most `max_open`
//! files are open at once; the least recently used is closed first, and a file that
//! comes back is reopened in append mode (a file is created, truncated, only once).
//! After a failed write the file is cut back to its last complete chunk, so every file
//! stays a valid capture and the statistics describe exactly what is on disk.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use crate::capture::Timestamp;

/// Batches in flight between the threads. Chunks travel in batches so that the two
/// threads wake each other (a futex call each) once per batch, not once per chunk.
const CHANNEL_DEPTH: usize = 4;

/// Capture bytes for one output file, with what they hold. The path travels with the
/// bytes so that the pool keeps no names: it needs one only to create or reopen a file.
pub struct Chunk {
    pub file: u32,
    pub path: PathBuf,
    pub data: Vec<u8>,
    pub stats: ChunkStats,
}

/// What a run of records adds to a file's statistics (56 bytes: one per output file is
/// kept for the whole run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChunkStats {
    pub packets: u64,
    /// Sum of the packets' original (wire) lengths.
    pub bytes: u64,
    /// Sum of the captured lengths.
    pub captured_bytes: u64,
    /// Earliest and latest timestamps; meaningful only when `packets > 0`.
    earliest: Timestamp,
    latest: Timestamp,
}

impl ChunkStats {
    pub fn add_packet(&mut self, ts: Timestamp, orig_len: u32, captured: usize) {
        self.include(ts, ts);
        self.packets += 1;
        self.bytes += u64::from(orig_len);
        self.captured_bytes += captured as u64;
    }

    pub fn merge(&mut self, other: &ChunkStats) {
        if other.packets == 0 {
            return;
        }
        self.include(other.earliest, other.latest);
        self.packets += other.packets;
        self.bytes += other.bytes;
        self.captured_bytes += other.captured_bytes;
    }

    fn include(&mut self, earliest: Timestamp, latest: Timestamp) {
        if self.packets == 0 {
            (self.earliest, self.latest) = (earliest, latest);
        } else {
            self.earliest = self.earliest.min(earliest);
            self.latest = self.latest.max(latest);
        }
    }

    /// The earliest timestamp, if there was a packet.
    pub fn first(&self) -> Option<Timestamp> {
        (self.packets > 0).then_some(self.earliest)
    }

    /// The latest timestamp, if there was a packet.
    pub fn last(&self) -> Option<Timestamp> {
        (self.packets > 0).then_some(self.latest)
    }
}

/// A write that failed, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {cause}")]
pub struct PoolError {
    pub path: PathBuf,
    pub cause: io::Error,
}

/// What the pool wrote: per file (by number), the statistics of the chunks that reached
/// it whole.
pub struct PoolReport {
    pub written: Vec<ChunkStats>,
    pub error: Option<PoolError>,
    /// How often a file was opened again after being closed to stay under `max_open`.
    pub reopens: u64,
}

pub struct WriterPool {
    sender: SyncSender<Vec<Chunk>>,
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

    /// Queues chunks, written in order; returns false once the writer has stopped
    /// after an error. File numbers are dense from 0: a file's first chunk creates
    /// (truncates) it.
    pub fn write(&self, chunks: Vec<Chunk>) -> bool {
        self.sender.send(chunks).is_ok()
    }

    /// Waits for every queued chunk to be written.
    pub fn finish(self) -> PoolReport {
        drop(self.sender);
        self.thread.join().expect("the writer thread panicked")
    }
}

/// A file open now, when it was last used, and its length (to cut back to after a
/// failed write).
struct OpenFile {
    file: u32,
    handle: File,
    last_use: u64,
    len: u64,
}

/// No slot: the file is closed.
const CLOSED: u32 = u32::MAX;

/// Per output file the pool keeps 60 bytes and a bit (statistics, open slot, whether
/// created); handles and lengths only for the open files.
struct Writer {
    stats: Vec<ChunkStats>,
    /// One bit per file: created (so reopened to append, never truncated again).
    created: Vec<u64>,
    /// Per file, its index in `open`, or CLOSED.
    slots: Vec<u32>,
    open: Vec<OpenFile>,
    /// (file, use time) in order of use; entries whose time is no longer the file's
    /// last use are stale and skipped. Finds the least recently used file in O(1)
    /// amortized, however many files are open.
    recency: VecDeque<(u32, u64)>,
    max_open: usize,
    clock: u64,
    reopens: u64,
}

impl Writer {
    fn new(max_open: usize) -> Writer {
        Writer {
            stats: Vec::new(),
            created: Vec::new(),
            slots: Vec::new(),
            open: Vec::new(),
            recency: VecDeque::new(),
            max_open,
            clock: 0,
            reopens: 0,
        }
    }

    fn run(mut self, receiver: Receiver<Vec<Chunk>>) -> PoolReport {
        let mut error = None;
        for chunks in receiver {
            if let Some(e) = chunks.iter().find_map(|c| self.write(c).err()) {
                error = Some(e);
                break; // dropping the receiver tells the reader thread to stop
            }
        }
        PoolReport {
            written: self.stats,
            error,
            reopens: self.reopens,
        }
    }

    fn write(&mut self, chunk: &Chunk) -> Result<(), PoolError> {
        let index = chunk.file as usize;
        if index >= self.stats.len() {
            self.stats.resize(index + 1, ChunkStats::default());
            self.slots.resize(index + 1, CLOSED);
            self.created.resize(index / 64 + 1, 0);
        }
        let slot = self.ensure_open(chunk)?;
        let open = &mut self.open[slot];
        match open.handle.write_all(&chunk.data) {
            Ok(()) => {
                open.len += chunk.data.len() as u64;
                self.stats[index].merge(&chunk.stats);
                Ok(())
            }
            Err(cause) => {
                // Keep the file a valid capture: drop the partial chunk; a file left
                // with nothing in it goes.
                let _ = open.handle.set_len(open.len);
                if open.len == 0 {
                    self.close(slot);
                    let _ = std::fs::remove_file(&chunk.path);
                }
                Err(PoolError {
                    path: chunk.path.clone(),
                    cause,
                })
            }
        }
    }

    /// The slot in `open` of the chunk's file, opened (created, or reopened to append)
    /// when it is not open.
    fn ensure_open(&mut self, chunk: &Chunk) -> Result<usize, PoolError> {
        self.clock += 1;
        let file = chunk.file;
        let slot = self.slots[file as usize];
        if slot != CLOSED {
            let open = &mut self.open[slot as usize];
            // Only a change of the most recent file is worth a queue entry.
            if self.recency.back().map(|&(f, _)| f) != Some(file) {
                self.recency.push_back((file, self.clock));
                open.last_use = self.clock;
                self.compact_recency();
            }
            return Ok(slot as usize);
        }
        if self.open.len() >= self.max_open {
            self.close_least_recent();
        }
        let created = self.created[file as usize / 64] & (1 << (file % 64)) != 0;
        let opened = loop {
            let result = if created {
                OpenOptions::new().append(true).open(&chunk.path)
            } else {
                File::create(&chunk.path)
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
        let handle = opened.map_err(|source| PoolError {
            path: chunk.path.clone(),
            cause: if is_too_many_open_files(&source) {
                io::Error::new(
                    source.kind(),
                    format!("{source}: the open-file limit leaves no descriptor free (raise `ulimit -n` or lower --max-open)"),
                )
            } else {
                source
            },
        })?;
        // Appends start at the end of what is there.
        let len = if created {
            self.reopens += 1;
            handle
                .metadata()
                .map_err(|cause| PoolError {
                    path: chunk.path.clone(),
                    cause,
                })?
                .len()
        } else {
            self.created[file as usize / 64] |= 1 << (file % 64);
            0
        };
        self.slots[file as usize] = self.open.len() as u32;
        self.open.push(OpenFile {
            file,
            handle,
            last_use: self.clock,
            len,
        });
        self.recency.push_back((file, self.clock));
        self.compact_recency();
        Ok(self.open.len() - 1)
    }

    /// Closes the file in `slot` (the last open file takes its slot).
    fn close(&mut self, slot: usize) {
        let closed = self.open.swap_remove(slot);
        self.slots[closed.file as usize] = CLOSED;
        if let Some(moved) = self.open.get(slot) {
            self.slots[moved.file as usize] = slot as u32;
        }
    }

    fn close_least_recent(&mut self) {
        while let Some((file, time)) = self.recency.pop_front() {
            let slot = self.slots[file as usize];
            if slot != CLOSED && self.open[slot as usize].last_use == time {
                self.close(slot as usize);
                return;
            }
        }
    }

    /// Keeps the queue within a few entries per open file: rebuilt from the open files
    /// when stale entries dominate.
    fn compact_recency(&mut self) {
        if self.recency.len() <= 4 * self.open.len() + 1024 {
            return;
        }
        let mut live: Vec<(u64, u32)> = self.open.iter().map(|o| (o.last_use, o.file)).collect();
        live.sort_unstable();
        self.recency = live.into_iter().map(|(time, file)| (file, time)).collect();
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
        for round in 0..3u8 {
            for i in 0..5u32 {
                let mut stats = ChunkStats::default();
                stats.add_packet(Timestamp::new(i64::from(round), 0), 1, 1);
                assert!(pool.write(vec![Chunk {
                    file: i,
                    path: dir.path().join(format!("f{i}")),
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
            assert_eq!(report.written[i].last(), Some(Timestamp::new(2, 0)));
        }
    }

    #[test]
    fn the_least_recently_used_file_is_closed() {
        let dir = tempfile::tempdir().unwrap();
        let pool = WriterPool::new(2);
        // 0 and 1 open; 0 used again; 2 closes 1 (not 0); 0 stays open; 1 reopens.
        for i in [0u32, 1, 0, 2, 0, 0, 1] {
            let mut stats = ChunkStats::default();
            stats.add_packet(Timestamp::new(1, 0), 1, 1);
            assert!(pool.write(vec![Chunk {
                file: i,
                path: dir.path().join(format!("f{i}")),
                data: vec![b'x'],
                stats,
            }]));
        }
        let report = pool.finish();
        assert!(report.error.is_none());
        assert_eq!(report.reopens, 1);
        assert_eq!(report.written[0].packets, 4);
        assert_eq!(std::fs::read(dir.path().join("f1")).unwrap(), b"xx");
    }

    #[test]
    fn stats_merge_keeps_the_time_span() {
        let mut a = ChunkStats::default();
        assert_eq!(a.first(), None);
        let mut b = ChunkStats::default();
        b.add_packet(Timestamp::new(5, 0), 10, 8);
        b.add_packet(Timestamp::new(3, 0), 10, 8);
        a.merge(&ChunkStats::default());
        a.merge(&b);
        let mut c = ChunkStats::default();
        c.add_packet(Timestamp::new(9, 1), 1, 1);
        a.merge(&c);
        assert_eq!((a.packets, a.bytes, a.captured_bytes), (3, 21, 17));
        assert_eq!(a.first(), Some(Timestamp::new(3, 0)));
        assert_eq!(a.last(), Some(Timestamp::new(9, 1)));
    }
}
