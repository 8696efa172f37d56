//! The `dns` engine: reads a capture, finds every DNS message in it
//! ([`analysis::find`](crate::dns::analysis::find)), keeps those the [`Filter`]
//! accepts, and hands each to a [`MessageSink`] as a [`Row`].
//!
//! Reading runs on the calling thread, which copies records out in chunks; finding
//! the messages (IP, reassembly: one order, so one thread) on a second; decoding,
//! filtering and the sink on a third (a sink that reads frames, `-V`'s, has reading and
//! finding on one thread). Records and messages travel between them in batches, so the
//! sink sees them in capture order.
//!
//! ```
//! use pcaptool::capture::CaptureReader;
//! use pcaptool::dns::decode::{decode, Config, MessageSink, Row};
//! use pcaptool::gen::{Config as GenConfig, DnsTraffic, IdSpec, Traffic};
//!
//! /// A sink that keeps each message's first question type.
//! #[derive(Default)]
//! struct Types(Vec<u16>);
//! impl MessageSink for Types {
//!     fn message(&mut self, row: &Row<'_>) -> std::io::Result<()> {
//!         let m = row.message.as_ref().expect("decoded");
//!         self.0.push(m.questions[0].qtype);
//!         Ok(())
//!     }
//! }
//!
//! // Two AAAA queries with their responses, as a capture in memory.
//! let traffic = DnsTraffic {
//!     names: vec!["example.com".parse().unwrap()], names_file: None, qtype: 28, class: 1, id: IdSpec::Random,
//!     recursion_desired: true, edns: false, edns_size: None, dnssec_ok: false, tcp: false,
//!     responses: true, answers: vec![], rcode: None, answer_ttl: 300,
//! };
//! let mut config = GenConfig::new(Traffic::Dns(traffic));
//! config.count = Some(2);
//! let mut file = Vec::new();
//! let mut writer = pcaptool::capture::CaptureWriter::new(&mut file,
//!     pcaptool::capture::OutputFormat::Pcap, pcaptool::capture::TsResolution::Micro,
//!     pcaptool::capture::LinkType::ETHERNET, 65535);
//! pcaptool::gen::generate(&config, &mut writer).unwrap();
//! writer.finish().unwrap();
//!
//! let reader = CaptureReader::new(Box::new(std::io::Cursor::new(file))).unwrap();
//! let mut set = pcaptool::capture::CaptureSet::single("memory", reader);
//! let mut sink = Types::default();
//! let report = decode(&mut set, &Config::default(), &mut sink, &mut |_| {}).unwrap();
//! assert_eq!(sink.0, [28, 28, 28, 28]);
//! assert_eq!(report.messages, 4);
//! ```

use std::io;
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::sync::mpsc;

use crate::capture::{
    for_each_record, pcapng_interface_names, pcapng_packet_flags, CaptureSet, LinkType, Pass,
    Record, Timestamp,
};
use crate::dns::analysis::find::{Extractor, Origin, Protocol};
use crate::dns::wire::{Message, MessageLists};
use crate::dns::Name;

/// Which messages to keep. Empty lists and `None` keep everything.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only messages whose first question has one of these types.
    pub qtypes: Vec<u16>,
    /// Only responses with one of these (EDNS-extended) rcodes.
    pub rcodes: Vec<u16>,
    /// Only messages whose first question is this name or below it.
    pub name: Option<Name>,
    pub only_queries: bool,
    pub only_responses: bool,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.qtypes.is_empty()
            && self.rcodes.is_empty()
            && self.name.is_none()
            && !self.only_queries
            && !self.only_responses
    }
}

/// The filter, ready for matching: the name suffix as lower-case wire labels.
#[derive(Clone)]
struct Matcher {
    filter: Filter,
    suffix: Option<Vec<u8>>,
}

impl Matcher {
    fn new(filter: &Filter) -> Matcher {
        let suffix = filter.name.as_ref().map(|name| {
            let mut wire: Vec<u8> = name.as_wire().iter().map(u8::to_ascii_lowercase).collect();
            wire.pop(); // root byte
            wire
        });
        Matcher {
            filter: filter.clone(),
            suffix,
        }
    }

    fn accepts(&self, m: &Message<'_>) -> bool {
        let f = &self.filter;
        let response = m.header.flags.is_response();
        if f.only_queries && response || f.only_responses && !response {
            return false;
        }
        let rcode_wanted = response && f.rcodes.contains(&m.rcode());
        if !f.rcodes.is_empty() && !rcode_wanted {
            return false;
        }
        let question = m.questions.first();
        if !f.qtypes.is_empty() && !question.is_some_and(|q| f.qtypes.contains(&q.qtype)) {
            return false;
        }
        if let Some(suffix) = &self.suffix {
            let Some(q) = question else { return false };
            let mut key = q.name.to_lowercase_key(m.bytes);
            key.pop(); // root byte
            if !is_label_suffix(&key, suffix) {
                return false;
            }
        }
        true
    }
}

/// Is `suffix` (wire labels) `key` itself or its ending at a label boundary?
fn is_label_suffix(key: &[u8], suffix: &[u8]) -> bool {
    if suffix.is_empty() {
        return true;
    }
    let mut at = 0;
    while at < key.len() {
        if key[at..] == suffix[..] {
            return true;
        }
        at += 1 + usize::from(key[at]);
    }
    false
}

/// How to look for DNS.
#[derive(Clone, Debug)]
pub struct Config {
    /// Ports besides 53, 5353 (mDNS) and 5355 (LLMNR) that carry DNS.
    pub ports: Vec<u16>,
    /// Recognise DNS on other UDP ports (both from 1024 up) by its look, as tshark does.
    pub heuristic: bool,
    pub filter: Filter,
    /// Measure TCP handshakes (the `tcp_rtt` of the Parquet table); off, messages have
    /// no handshake time and TCP segments cost no look-up.
    pub handshake_times: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ports: Vec::new(),
            heuristic: true,
            filter: Filter::default(),
            handshake_times: false,
        }
    }
}

/// One DNS message with where it came from: what every view shows.
#[derive(Debug)]
pub struct Row<'a> {
    pub origin: Origin,
    /// Timestamp of the capture's first record (times are shown relative to it).
    pub first: Timestamp,
    /// The message as it was on the wire (after reassembly).
    pub bytes: &'a [u8],
    /// The decoded message; `None` when it is shorter than a DNS header, or when the
    /// sink said it needs no decoding (and no filter did).
    pub message: Option<Message<'a>>,
    /// The captured frame that brought (or completed) the message, when the sink asked
    /// for frames ([`MessageSink::wants_frames`]) and there was one (not for messages
    /// found behind a TCP gap at the end of the capture).
    pub frame: Option<Frame<'a>>,
}

/// A captured frame as the capture holds it: what views of the layers below DNS read.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    pub link_type: LinkType,
    /// The captured bytes, from the link layer's first byte.
    pub data: &'a [u8],
    /// For pcapng: the interface's id and its name, if it has one
    /// ([`pcapng_interface_names`]).
    pub interface: Option<(u32, Option<&'a [u8]>)>,
    /// For pcapng: the packet's `epb_flags`, if it has them ([`pcapng_packet_flags`]).
    pub flags: Option<u32>,
}

impl Row<'_> {
    /// Nanoseconds since the capture's first record.
    pub fn relative_ns(&self) -> i128 {
        self.origin.ts.as_nanos() - self.first.as_nanos()
    }

    /// Whole seconds (at least 0) and nanoseconds since the capture's first record, as
    /// the views show them; without 128-bit division when the span fits 64 bits
    /// (always, in practice).
    pub fn relative_parts(&self) -> (u64, u32) {
        let rel = self.relative_ns();
        match u64::try_from(rel) {
            Ok(ns) => (ns / 1_000_000_000, (ns % 1_000_000_000) as u32),
            Err(_) => (
                rel.div_euclid(1_000_000_000).max(0) as u64,
                rel.rem_euclid(1_000_000_000) as u32,
            ),
        }
    }
}

/// Receives the messages of a capture, in order, on a thread of the engine's own.
pub trait MessageSink: Send {
    /// False when the sink reads only the raw bytes (saves decoding each message).
    fn wants_decoded(&self) -> bool {
        true
    }
    /// True when the sink reads the frame each message came in ([`Row::frame`]): each
    /// frame's bytes are then copied along with its messages.
    fn wants_frames(&self) -> bool {
        false
    }
    fn start(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn message(&mut self, row: &Row<'_>) -> io::Result<()>;
    /// After the last message.
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a run found.
#[derive(Debug)]
pub struct Report {
    /// Records read.
    pub frames: u64,
    /// Messages found (before filtering).
    pub messages: u64,
    /// Notes about TCP gaps and dropped fragments: the first few, and how many in all.
    pub notes: Vec<String>,
    pub notes_seen: u64,
    /// How reading the input ended.
    pub pass: Pass,
}

/// Messages handed from the reading thread to the sink's thread, many at a time.
#[derive(Default)]
struct Batch {
    origins: Vec<Origin>,
    /// End offset of each message in `data`.
    ends: Vec<usize>,
    data: Vec<u8>,
    first: Timestamp,
    /// When frames are kept: each message's frame (several messages of one frame
    /// share one copy of it), its bytes and interface name in `frame_data`.
    frames: Vec<Option<StoredFrame>>,
    frame_data: Vec<u8>,
    /// The global number of the last frame copied into `frame_data`.
    last_frame: Option<u64>,
}

/// A [`Frame`] copied into a byte arena: its bytes (and interface name) as spans of it.
#[derive(Clone, Copy, Debug)]
pub struct StoredFrame {
    link_type: LinkType,
    data: (usize, usize),
    interface: Option<(u32, Option<(usize, usize)>)>,
    flags: Option<u32>,
}

impl StoredFrame {
    /// Copies `frame`'s bytes to the end of `arena`.
    ///
    /// ```
    /// use pcaptool::dns::decode::{Frame, StoredFrame};
    /// let frame = Frame {
    ///     link_type: pcaptool::capture::LinkType::ETHERNET,
    ///     data: &[1, 2, 3],
    ///     interface: Some((0, Some(b"eth0"))),
    ///     flags: Some(1),
    /// };
    /// let mut arena = Vec::new();
    /// let stored = StoredFrame::store(&frame, &mut arena);
    /// assert_eq!(arena.len(), 7);
    /// let again = stored.get(&arena);
    /// assert_eq!((again.data, again.interface), (&[1, 2, 3][..], Some((0, Some(&b"eth0"[..])))));
    /// ```
    pub fn store(frame: &Frame<'_>, arena: &mut Vec<u8>) -> StoredFrame {
        let mut span = |bytes: &[u8]| {
            let start = arena.len();
            arena.extend_from_slice(bytes);
            (start, arena.len())
        };
        StoredFrame {
            link_type: frame.link_type,
            data: span(frame.data),
            interface: frame.interface.map(|(id, name)| (id, name.map(&mut span))),
            flags: frame.flags,
        }
    }

    /// The frame, read from the arena it was stored in.
    pub fn get<'a>(&self, arena: &'a [u8]) -> Frame<'a> {
        let bytes = |(start, end): (usize, usize)| &arena[start..end];
        Frame {
            link_type: self.link_type,
            data: bytes(self.data),
            interface: self.interface.map(|(id, name)| (id, name.map(bytes))),
            flags: self.flags,
        }
    }
}

impl Batch {
    const MESSAGES: usize = 4096;

    fn push(&mut self, origin: Origin, msg: &[u8]) {
        self.origins.push(origin);
        self.data.extend_from_slice(msg);
        self.ends.push(self.data.len());
    }

    /// Keeps the frame of the message just pushed: `record`, the capture's frame
    /// number `frame`, whose interface (for pcapng) has the name `name`.
    fn push_frame(&mut self, frame: u64, record: &Record<'_>, name: Option<Option<&[u8]>>) {
        if self.last_frame == Some(frame) {
            if let Some(&last) = self.frames.last() {
                self.frames.push(last);
                return;
            }
        }
        let captured = Frame {
            link_type: record.link_type,
            data: record.data,
            interface: name.map(|name| (record.interface, name)),
            flags: pcapng_packet_flags(record),
        };
        let stored = StoredFrame::store(&captured, &mut self.frame_data);
        self.frames.push(Some(stored));
        self.last_frame = Some(frame);
    }

    fn is_full(&self) -> bool {
        self.origins.len() >= Self::MESSAGES
            || self.data.len() >= 4 << 20
            || self.frame_data.len() >= 4 << 20
    }

    fn clear(&mut self) {
        self.origins.clear();
        self.ends.clear();
        self.data.clear();
        self.frames.clear();
        self.frame_data.clear();
        self.last_frame = None;
    }

    /// The frame of the `i`-th message, if frames are kept and it had one.
    fn frame(&self, i: usize) -> Option<Frame<'_>> {
        Some((*self.frames.get(i)?)?.get(&self.frame_data))
    }
}

/// The interface names of each input's pcapng sections, in the order their
/// descriptions came, gathered as the records go by.
#[derive(Default)]
struct InterfaceNames {
    inputs: Vec<InputInterfaces>,
}

#[derive(Default)]
struct InputInterfaces {
    section: u64,
    /// The length of the section's header when last read (it grows with each
    /// interface description).
    header_len: usize,
    /// Descriptions of the current section already in `names`.
    listed: usize,
    names: Vec<Option<Vec<u8>>>,
}

impl InterfaceNames {
    /// The interface of `record` as tshark 4.0 names it: `None` for formats without
    /// interfaces; else the name at the interface's id in the input's list of
    /// descriptions (Wireshark lists them across sections, and looks them up with the
    /// id a packet gives, which counts within its section).
    fn of(&mut self, file: usize, record: &Record<'_>) -> Option<Option<&[u8]>> {
        if self.inputs.len() <= file {
            self.inputs.resize_with(file + 1, Default::default);
        }
        let input = &mut self.inputs[file];
        if input.section != record.section {
            input.section = record.section;
            input.header_len = 0;
            input.listed = 0;
        }
        if input.header_len != record.header.len() {
            input.header_len = record.header.len();
            let all = pcapng_interface_names(record.header);
            for name in all.iter().skip(input.listed) {
                input.names.push(name.map(<[u8]>::to_vec));
            }
            input.listed = input.listed.max(all.len());
        }
        if input.names.is_empty() {
            return None;
        }
        Some(
            input
                .names
                .get(record.interface as usize)
                .and_then(|n| n.as_deref()),
        )
    }
}

/// Shows messages one at a time, independently of each other, as bytes: what can be
/// spread over threads ([`render`]). Text, JSON, CSV and the dig view are renderers.
pub trait Render: Clone + Send {
    /// False when the renderer reads only the raw bytes (saves decoding each message).
    fn wants_decoded(&self) -> bool {
        true
    }
    /// What comes before the first message (a CSV header line).
    fn start(&self, _out: &mut Vec<u8>) {}
    /// Appends one message.
    fn render(&mut self, row: &Row<'_>, out: &mut Vec<u8>);
}

/// A [`Render`] writing into `out` on the sink's thread: a renderer as a [`MessageSink`].
pub struct RenderSink<R, W> {
    renderer: R,
    out: W,
    buf: Vec<u8>,
}

impl<R: Render, W: io::Write + Send> RenderSink<R, W> {
    pub fn new(renderer: R, out: W) -> Self {
        RenderSink {
            renderer,
            out,
            buf: Vec::with_capacity(64 << 10),
        }
    }
}

impl<R: Render, W: io::Write + Send> MessageSink for RenderSink<R, W> {
    fn wants_decoded(&self) -> bool {
        self.renderer.wants_decoded()
    }
    fn start(&mut self) -> io::Result<()> {
        self.renderer.start(&mut self.buf);
        Ok(())
    }
    fn message(&mut self, row: &Row<'_>) -> io::Result<()> {
        self.renderer.render(row, &mut self.buf);
        if self.buf.len() >= 64 << 10 {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }
}

/// Hands each message of a batch that the filter keeps to `each`.
fn for_each_row(
    batch: &Batch,
    decode_all: bool,
    matcher: Option<&Matcher>,
    mut each: impl FnMut(&Row<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let mut start = 0;
    // The lists of the message before, to decode the next into (no allocation).
    let mut lists = MessageLists::default();
    for (i, (origin, &end)) in batch.origins.iter().zip(&batch.ends).enumerate() {
        let bytes = &batch.data[start..end];
        start = end;
        let message = if decode_all {
            Message::parse_reusing(bytes, std::mem::take(&mut lists)).ok()
        } else {
            None
        };
        if let Some(matcher) = matcher {
            if !message.as_ref().is_some_and(|m| matcher.accepts(m)) {
                if let Some(m) = message {
                    lists = m.into_lists();
                }
                continue;
            }
        }
        let row = Row {
            origin: *origin,
            first: batch.first,
            bytes,
            message,
            frame: batch.frame(i),
        };
        each(&row)?;
        if let Some(m) = row.message {
            lists = m.into_lists();
        }
    }
    Ok(())
}

/// The reading half's state: records in, through the extractor, out as batches of
/// messages.
struct Gatherer {
    extractor: Extractor,
    keep_frames: bool,
    batch: Batch,
    messages: u64,
    /// Records seen, over all inputs.
    frame: u64,
    /// Records seen in each input so far, by rank.
    frames_in_file: Vec<u64>,
    /// The last record's frame number, time, input and number in its input.
    last: Option<(u64, Timestamp, u32, u64)>,
    interface_names: InterfaceNames,
}

impl Gatherer {
    fn new(config: &Config, keep_frames: bool) -> Gatherer {
        let mut extractor = Extractor::new(&config.ports, config.heuristic);
        extractor.measure_handshakes(config.handshake_times);
        Gatherer {
            extractor,
            keep_frames,
            batch: Batch::default(),
            messages: 0,
            frame: 0,
            frames_in_file: Vec::new(),
            last: None,
            interface_names: InterfaceNames::default(),
        }
    }

    /// Feeds one record; true when the batch is full.
    fn record(&mut self, record: &Record<'_>) -> bool {
        self.frame += 1;
        let frame = self.frame;
        if frame == 1 {
            self.batch.first = record.ts;
        }
        let file = (record.section >> 32) as u32;
        let file_frame = match self.frames_in_file.get_mut(file as usize) {
            Some(n) => {
                *n += 1;
                *n
            }
            None => {
                self.frames_in_file.resize(file as usize + 1, 0);
                self.frames_in_file[file as usize] = 1;
                1
            }
        };
        let Gatherer {
            extractor,
            keep_frames,
            batch,
            messages,
            interface_names,
            ..
        } = self;
        extractor.frame(
            frame,
            record.ts,
            record.link_type,
            record.data,
            &mut |origin, msg| {
                *messages += 1;
                batch.push(
                    Origin {
                        file,
                        file_frame,
                        frame_len: (record.orig_len, record.data.len() as u32),
                        ..origin
                    },
                    msg,
                );
                if *keep_frames {
                    let name = interface_names.of(file as usize, record);
                    batch.push_frame(frame, record, name);
                }
            },
        );
        self.last = Some((frame, record.ts, file, file_frame));
        self.batch.is_full()
    }

    /// Hands the batch to `emit` (false: the other half has gone), and starts a new one
    /// in a batch that came back, if any.
    fn send(
        &mut self,
        emit: &mut impl FnMut(Batch) -> bool,
        recycled: &mpsc::Receiver<Batch>,
    ) -> bool {
        let mut fresh = recycled.try_recv().unwrap_or_default();
        fresh.clear();
        let full = std::mem::replace(&mut self.batch, fresh);
        self.batch.first = full.first;
        emit(full)
    }

    /// After the last record: messages found behind TCP holes that never filled.
    fn finish(&mut self) {
        let Some((frame, ts, file, file_frame)) = self.last else {
            return;
        };
        let end = Origin {
            frame,
            ts,
            src: IpAddr::from([0, 0, 0, 0]),
            dst: IpAddr::from([0, 0, 0, 0]),
            sport: 0,
            dport: 0,
            tcp: true,
            protocol: Protocol::Dns,
            reported_len: 0,
            ttl: None,
            handshake_us: None,
            file,
            file_frame,
            frame_len: (0, 0),
        };
        let Gatherer {
            extractor,
            keep_frames,
            batch,
            messages,
            ..
        } = self;
        extractor.finish(end, &mut |origin, msg| {
            *messages += 1;
            batch.push(origin, msg);
            if *keep_frames {
                batch.frames.push(None);
            }
        });
    }

    fn report(mut self, pass: Pass) -> Report {
        Report {
            frames: self.frame,
            messages: self.messages,
            notes: self.extractor.take_notes(),
            notes_seen: self.extractor.notes_seen,
            pass,
        }
    }
}

/// The reading half: records of `set` through the extractor into batches, each handed
/// to `emit` (false stops the reading: the other half has gone).
fn read_batches(
    set: &mut CaptureSet,
    config: &Config,
    keep_frames: bool,
    progress: &mut dyn FnMut(u64),
    mut emit: impl FnMut(Batch) -> bool,
    recycled: &mpsc::Receiver<Batch>,
) -> Report {
    let mut gatherer = Gatherer::new(config, keep_frames);
    let mut gone = false;
    let pass = for_each_record(set, progress, |record| {
        if gatherer.record(record) && !gatherer.send(&mut emit, recycled) {
            gone = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    gatherer.finish();
    if !gone && !gatherer.batch.origins.is_empty() {
        gatherer.send(&mut emit, recycled);
    }
    gatherer.report(pass)
}

/// Records copied out of the reader's buffer, many at a time: what the reading thread
/// hands to the extracting one when the reading half runs on two threads.
#[derive(Default)]
struct RecordChunk {
    /// Each record's fields, and where its bytes end in `data`.
    records: Vec<(Timestamp, LinkType, u32, u32, u64, usize)>,
    data: Vec<u8>,
}

impl RecordChunk {
    const RECORDS: usize = 4096;
    const BYTES: usize = 1 << 20;

    fn push(&mut self, r: &Record<'_>) {
        self.data.extend_from_slice(r.data);
        let end = self.data.len();
        self.records
            .push((r.ts, r.link_type, r.interface, r.orig_len, r.section, end));
    }

    fn is_full(&self) -> bool {
        self.records.len() >= Self::RECORDS || self.data.len() >= Self::BYTES
    }

    /// Each record again, as the reader gave it (without the raw block and the file
    /// header, which only frame-keeping sinks read: they read on one thread).
    fn each(&self, mut f: impl FnMut(&Record<'_>) -> bool) -> bool {
        let mut start = 0;
        for &(ts, link_type, interface, orig_len, section, end) in &self.records {
            let data = &self.data[start..end];
            start = end;
            let record = Record {
                ts,
                link_type,
                interface,
                orig_len,
                data,
                raw: data,
                offset: 0,
                section,
                header: &[],
            };
            if !f(&record) {
                return false;
            }
        }
        true
    }
}

/// [`read_batches`] on two threads: this one reads records and copies them out in
/// chunks; a second one runs the extractor (reassembly needs one order, so only one)
/// and fills the batches. Reading a record and extracting its message cost about the
/// same, and the reading half was the slowest stage of `render`.
fn read_batches_on_two_threads(
    set: &mut CaptureSet,
    config: &Config,
    progress: &mut dyn FnMut(u64),
    mut emit: impl FnMut(Batch) -> bool + Send,
    recycled: mpsc::Receiver<Batch>,
) -> io::Result<Report> {
    let (to_gatherer, chunks) = mpsc::sync_channel::<RecordChunk>(4);
    let (chunk_back, spare_chunks) = mpsc::channel::<RecordChunk>();
    std::thread::scope(|scope| {
        let gathering = std::thread::Builder::new()
            .name("pcaptool-dns-extract".into())
            .spawn_scoped(scope, move || {
                let mut gatherer = Gatherer::new(config, false);
                let mut gone = false;
                for chunk in chunks {
                    gone = !chunk.each(|record| {
                        !gatherer.record(record) || gatherer.send(&mut emit, &recycled)
                    });
                    let _ = chunk_back.send(chunk);
                    if gone {
                        // Dropping `chunks` stops the reading.
                        break;
                    }
                }
                gatherer.finish();
                if !gone && !gatherer.batch.origins.is_empty() {
                    gatherer.send(&mut emit, &recycled);
                }
                gatherer
            })?;
        let mut chunk = RecordChunk::default();
        let mut gone = false;
        let pass = for_each_record(set, progress, |record| {
            chunk.push(record);
            if chunk.is_full() {
                let mut fresh = spare_chunks.try_recv().unwrap_or_default();
                fresh.records.clear();
                fresh.data.clear();
                if to_gatherer
                    .send(std::mem::replace(&mut chunk, fresh))
                    .is_err()
                {
                    gone = true;
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        if !gone && !chunk.records.is_empty() {
            let _ = to_gatherer.send(chunk);
        }
        drop(to_gatherer);
        match gathering.join() {
            Ok(gatherer) => Ok(gatherer.report(pass)),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Finds every DNS message of `set` and hands those `config.filter` accepts to
/// `sink`, on a second thread. An error from the sink (a closed pipe, a full disk)
/// stops the run and is returned; `progress` gets the bytes read every few thousand
/// records.
pub fn decode<S: MessageSink>(
    set: &mut CaptureSet,
    config: &Config,
    sink: &mut S,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Report> {
    let matcher = Matcher::new(&config.filter);
    let filtering = !config.filter.is_empty();
    let decode_all = sink.wants_decoded() || filtering;
    let keep_frames = sink.wants_frames();
    let (to_sink, batches) = mpsc::sync_channel::<Batch>(4);
    let (recycle, recycled) = mpsc::channel::<Batch>();
    std::thread::scope(|scope| {
        let consumer = std::thread::Builder::new()
            .name("pcaptool-dns-sink".into())
            .spawn_scoped(scope, move || -> io::Result<()> {
                sink.start()?;
                for batch in batches {
                    for_each_row(&batch, decode_all, filtering.then_some(&matcher), |row| {
                        sink.message(row)
                    })?;
                    let _ = recycle.send(batch);
                }
                sink.finish()
            })?;
        let report = if keep_frames {
            read_batches(
                set,
                config,
                keep_frames,
                progress,
                move |b| to_sink.send(b).is_ok(),
                &recycled,
            )
        } else {
            read_batches_on_two_threads(
                set,
                config,
                progress,
                move |b| to_sink.send(b).is_ok(),
                recycled,
            )?
        };
        // The channel to the sink closed with the closure that held it.
        match consumer.join() {
            Ok(result) => result?,
            Err(panic) => std::panic::resume_unwind(panic),
        }
        Ok(report)
    })
}

/// Like [`decode`] with a [`RenderSink`], but the rendering is spread over `jobs`
/// threads (reading and finding messages stay on two threads of their own, as DNS over
/// TCP and fragments need one order); the output is the same bytes in the same order
/// for every `jobs`. With `jobs` 1 everything runs on the calling thread.
pub fn render<R: Render, W: io::Write + Send>(
    set: &mut CaptureSet,
    config: &Config,
    renderer: R,
    mut out: W,
    jobs: usize,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Report> {
    let matcher = Matcher::new(&config.filter);
    let filtering = !config.filter.is_empty();
    let decode_all = renderer.wants_decoded() || filtering;
    let (recycle, recycled) = mpsc::channel::<Batch>();
    if jobs <= 1 {
        let mut sink = RenderSink::new(renderer, &mut out);
        sink.start()?;
        let mut failed = None;
        let report = read_batches(
            set,
            config,
            false,
            progress,
            |batch| {
                let result =
                    for_each_row(&batch, decode_all, filtering.then_some(&matcher), |row| {
                        sink.message(row)
                    });
                let _ = recycle.send(batch);
                match result {
                    Ok(()) => true,
                    Err(e) => {
                        failed = Some(e);
                        false
                    }
                }
            },
            &recycled,
        );
        if let Some(e) = failed {
            return Err(e);
        }
        sink.finish()?;
        return Ok(report);
    }
    let mut head = Vec::new();
    renderer.start(&mut head);
    out.write_all(&head)?;
    // Batches numbered in reading order go to the workers; their renderings come back
    // to the writer, which puts them back in that order.
    let (to_workers, work) = mpsc::sync_channel::<(u64, Batch)>(jobs);
    // Shared by the workers only: when the last one leaves (the writer failed), the
    // channel closes and the reading stops instead of waiting forever.
    let work = std::sync::Arc::new(std::sync::Mutex::new(work));
    let (to_writer, rendered) = mpsc::sync_channel::<(u64, Vec<u8>)>(jobs);
    // At most `window` batches between the reader and the writer, rendered or not: a
    // worker that falls behind cannot let the others pile up renderings in memory.
    let window = 2 * jobs;
    let (slot_back, slots) = mpsc::sync_channel::<()>(window);
    for _ in 0..window {
        let _ = slot_back.send(());
    }
    std::thread::scope(|scope| {
        // Rendered buffers go back from the writer to the workers, so that their memory
        // is reused rather than allocated (and faulted in) again for every batch.
        let (spare_back, spares) = mpsc::channel::<Vec<u8>>();
        let spares = std::sync::Arc::new(std::sync::Mutex::new(spares));
        for _ in 0..jobs {
            let (work, to_writer, recycle) = (work.clone(), to_writer.clone(), recycle.clone());
            let spares = spares.clone();
            let mut renderer = renderer.clone();
            let matcher = &matcher;
            std::thread::Builder::new()
                .name("pcaptool-dns-render".into())
                .spawn_scoped(scope, move || loop {
                    let next = match work.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, batch)) = next else { return };
                    let spare = spares.lock().ok().and_then(|s| s.try_recv().ok());
                    let mut text = spare.unwrap_or_default();
                    text.clear();
                    let _ = for_each_row(&batch, decode_all, filtering.then_some(matcher), |row| {
                        renderer.render(row, &mut text);
                        Ok(())
                    });
                    let _ = recycle.send(batch);
                    if to_writer.send((seq, text)).is_err() {
                        return;
                    }
                })?;
        }
        drop(to_writer);
        drop(work);
        let writer = std::thread::Builder::new()
            .name("pcaptool-dns-write".into())
            .spawn_scoped(scope, move || -> io::Result<()> {
                let mut waiting = std::collections::BTreeMap::new();
                let mut next = 0u64;
                for (seq, text) in rendered {
                    waiting.insert(seq, text);
                    while let Some(text) = waiting.remove(&next) {
                        out.write_all(&text)?;
                        next += 1;
                        let _ = spare_back.send(text);
                        let _ = slot_back.send(());
                    }
                }
                out.flush()
            })?;
        let mut seq = 0u64;
        let report = read_batches_on_two_threads(
            set,
            config,
            progress,
            move |batch| {
                seq += 1;
                slots.recv().is_ok() && to_workers.send((seq - 1, batch)).is_ok()
            },
            recycled,
        )?;
        // The batches' channel closed when the extracting thread ended.
        match writer.join() {
            Ok(result) => result?,
            Err(panic) => std::panic::resume_unwind(panic),
        }
        Ok(report)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_match_whole_labels() {
        let key = b"\x03www\x07example\x03com";
        assert!(is_label_suffix(key, b"\x07example\x03com"));
        assert!(is_label_suffix(key, b"\x03com"));
        assert!(is_label_suffix(key, key));
        assert!(is_label_suffix(key, b""));
        assert!(!is_label_suffix(key, b"\x06xample\x03com"));
        assert!(!is_label_suffix(b"\x03com", b"\x07example\x03com"));
    }
}
