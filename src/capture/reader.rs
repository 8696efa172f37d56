//! One reader for every capture format: pcap (both byte orders, micro/nanosecond magic,
//! the "modified" Alexey Kuznetsov variant), pcapng (any number of sections and
//! interfaces, per-interface link type and timestamp resolution), Sun snoop, each
//! optionally gzip-compressed. Detection is by magic bytes only.
//!
//! The reader owns one buffer and lends each record out of it; records are never
//! copied. Every length taken from the file is checked before it is used, so a hostile
//! file yields a `CaptureError` naming the byte offset, never a panic or a huge
//! allocation.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::{CaptureError, LinkType, Timestamp};

/// Largest record or block we believe. Wireshark's own ceiling is 256 KiB for most link
/// types and 128 MiB for a few; anything beyond 64 MiB is a corrupt length field.
const MAX_RECORD_LEN: u64 = 64 << 20;
const READ_CHUNK: usize = 1 << 20;
const MAX_WARNINGS: usize = 100;
/// Interfaces one pcapng section may describe: their descriptions are kept (every
/// packet may refer to any of them), so a hostile file must not grow them forever.
const MAX_INTERFACES: usize = 65_536;

const PCAP_MAGIC_MICRO: u32 = 0xa1b2_c3d4;
const PCAP_MAGIC_NANO: u32 = 0xa1b2_3c4d;
const PCAP_MAGIC_MODIFIED: u32 = 0xa1b2_cd34;
const PCAP_HEADER_LEN: usize = 24;
const PCAPNG_SHB: u32 = 0x0a0d_0d0a;
const PCAPNG_BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
const PCAPNG_IDB: u32 = 0x0000_0001;
const PCAPNG_PB: u32 = 0x0000_0002;
const PCAPNG_SPB: u32 = 0x0000_0003;
const PCAPNG_EPB: u32 = 0x0000_0006;
const PCAPNG_OPT_END: u16 = 0;
const PCAPNG_OPT_IF_TSRESOL: u16 = 9;
const PCAPNG_OPT_IF_TSOFFSET: u16 = 14;
const PCAPNG_OPT_IF_NAME: u16 = 2;
const PCAPNG_OPT_IF_DESCRIPTION: u16 = 3;
const PCAPNG_OPT_IF_HARDWARE: u16 = 15;
const PCAPNG_OPT_EPB_FLAGS: u16 = 2;
/// An enhanced packet block before its data: type, length, interface, timestamp (two
/// words), captured and original lengths.
const PCAPNG_EPB_HEADER_LEN: usize = 28;
const SNOOP_MAGIC: &[u8; 8] = b"snoop\0\0\0";
const SNOOP_HEADER_LEN: usize = 16;
const SNOOP_RECORD_HEADER_LEN: usize = 24;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The container format of a capture, as recognised from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap {
        big_endian: bool,
        nanos: bool,
        /// Kuznetsov's patched libpcap: 8 extra bytes in each record header.
        modified: bool,
    },
    PcapNg,
    Snoop,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Pcap { modified: true, .. } => "pcap (modified)",
            Format::Pcap { nanos: true, .. } => "pcap (nanosecond)",
            Format::Pcap { .. } => "pcap",
            Format::PcapNg => "pcapng",
            Format::Snoop => "snoop",
        }
    }
}

/// One captured packet, borrowed from the reader's buffer.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub ts: Timestamp,
    pub link_type: LinkType,
    /// pcapng interface id (0 for single-interface formats).
    pub interface: u32,
    /// Length of the packet on the wire; `data` may be shorter (snap length).
    pub orig_len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
    /// The whole record or block as it stands in the file (header, data, padding, options).
    pub raw: &'a [u8],
    /// Byte offset of `raw` in the (decompressed) input.
    pub offset: u64,
    /// Counts pcapng sections from 1 (always 1 for other formats): interface ids and
    /// the header below belong to this section. In a [`CaptureSet`](super::CaptureSet)
    /// the input's rank is in the upper 32 bits, so each file's sections are distinct.
    pub section: u64,
    /// The file header this record depends on, verbatim: the pcap global header, or the
    /// pcapng section header with the interface descriptions read so far.
    pub header: &'a [u8],
}

#[derive(Clone, Copy, Debug)]
struct Interface {
    link_type: LinkType,
    snaplen: u32,
    units_per_sec: u64,
    offset_secs: i64,
}

#[derive(Debug)]
enum State {
    Pcap {
        big_endian: bool,
        nanos: bool,
        record_header_len: usize,
        link_type: LinkType,
    },
    PcapNg {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
    Snoop {
        link_type: LinkType,
    },
}

/// Reads records from any supported capture. Not an `Iterator` because each record
/// borrows the reader's buffer: call [`CaptureReader::next_record`] in a loop.
pub struct CaptureReader {
    input: Box<dyn Read + Send>,
    buf: Vec<u8>,
    /// Unconsumed bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    buf_offset: u64,
    eof: bool,
    gzip: bool,
    format: Format,
    state: State,
    /// The pcap global header or the current pcapng section's SHB and IDBs, verbatim,
    /// so that writers can reproduce the input's framing.
    header: Vec<u8>,
    done: bool,
    /// A record parsed by [`CaptureReader::peek_timestamp`] and not yet handed out.
    pending: Option<(usize, usize, Meta)>,
    warnings: Vec<String>,
    section: u32,
}

/// Opens a capture file, or standard input for `-`.
pub fn open(path: &Path) -> Result<CaptureReader, OpenError> {
    let input: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path).map_err(OpenError::Open)?)
    };
    CaptureReader::new(input).map_err(OpenError::Capture)
}

/// Why [`open`] failed: the file could not be opened, or it is not a capture we read.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open: {0}")]
    Open(io::Error),
    #[error(transparent)]
    Capture(CaptureError),
}

impl CaptureReader {
    /// Detects the format from the first bytes of `input` and reads its file header.
    pub fn new(input: Box<dyn Read + Send>) -> Result<Self, CaptureError> {
        let mut reader = CaptureReader {
            input,
            buf: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            buf_offset: 0,
            eof: false,
            gzip: false,
            format: Format::PcapNg,
            state: State::Snoop {
                link_type: LinkType(0),
            },
            header: Vec::new(),
            done: false,
            pending: None,
            warnings: Vec::new(),
            section: 0,
        };
        reader.fill_to(2)?;
        if reader.available() >= 2 && reader.peek(2) == GZIP_MAGIC {
            reader.unwrap_gzip();
        }
        // A file too short for its own header is not a readable capture at all.
        reader.read_file_header().map_err(|e| match e {
            CaptureError::Truncated {
                offset,
                needed,
                available,
            } => CaptureError::Corrupt {
                what: format!(
                    "file ends inside its {needed}-byte header ({available} bytes present)"
                ),
                offset,
            },
            other => other,
        })?;
        Ok(reader)
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// The pcap global header, or the current pcapng section header and the interface
    /// descriptions read so far, exactly as in the input.
    pub fn header_bytes(&self) -> &[u8] {
        &self.header
    }

    /// The link type of a single-link-type format, or of pcapng interface 0 once known.
    pub fn link_type(&self) -> Option<LinkType> {
        match &self.state {
            State::Pcap { link_type, .. } | State::Snoop { link_type } => Some(*link_type),
            State::PcapNg { interfaces, .. } => interfaces.first().map(|i| i.link_type),
        }
    }

    /// Stream offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.buf_offset + self.start as u64
    }

    fn available(&self) -> usize {
        self.end - self.start
    }

    fn peek(&self, n: usize) -> &[u8] {
        &self.buf[self.start..self.start + n]
    }

    /// Re-routes the bytes already buffered plus the rest of the input through a gzip
    /// decoder (several concatenated members are one stream, like `zcat`).
    fn unwrap_gzip(&mut self) {
        let already = self.buf[self.start..self.end].to_vec();
        let rest = std::mem::replace(&mut self.input, Box::new(io::empty()));
        let chained = io::Cursor::new(already).chain(rest);
        self.input = Box::new(flate2::read::MultiGzDecoder::new(chained));
        self.start = 0;
        self.end = 0;
        self.eof = false;
        self.gzip = true;
    }

    /// Makes at least `n` unconsumed bytes available unless the input ends first.
    /// Returns whether `n` bytes are there.
    #[inline]
    fn fill_to(&mut self, n: usize) -> Result<bool, CaptureError> {
        if self.available() >= n {
            return Ok(true);
        }
        self.refill(n)
    }

    #[inline(never)]
    fn refill(&mut self, n: usize) -> Result<bool, CaptureError> {
        if self.start + n > self.buf.len() {
            // Move the partial record to the front.
            self.buf.copy_within(self.start..self.end, 0);
            self.buf_offset += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        while self.available() < n && !self.eof {
            if self.end == self.buf.len() {
                // Grow for a record larger than the buffer (bounded by MAX_RECORD_LEN,
                // checked by the callers) as its bytes arrive, doubling: a length field
                // claiming 64 MiB in a 1 KiB file costs no 64 MiB.
                let grown = (self.buf.len() * 2).min(n.next_power_of_two().max(self.buf.len() + 1));
                self.buf.resize(grown, 0);
            }
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A gzip stream cut short reports UnexpectedEof: that is a truncation.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => self.eof = true,
                Err(cause) => {
                    return Err(CaptureError::Io {
                        offset: self.buf_offset + self.end as u64,
                        cause,
                    })
                }
            }
        }
        Ok(self.available() >= n)
    }

    /// Like `fill_to`, but running out is a truncation of the record starting here.
    fn require(&mut self, n: usize) -> Result<(), CaptureError> {
        if self.fill_to(n)? {
            Ok(())
        } else {
            Err(CaptureError::Truncated {
                offset: self.offset(),
                needed: n as u64,
                available: self.available() as u64,
            })
        }
    }

    fn read_file_header(&mut self) -> Result<(), CaptureError> {
        self.fill_to(SNOOP_MAGIC.len())?;
        let n = self.available().min(8);
        let magic = self.peek(n).to_vec();
        if n < 4 {
            return Err(CaptureError::UnknownFormat { magic });
        }
        let le = u32::from_le_bytes(magic[..4].try_into().unwrap());
        let be = u32::from_be_bytes(magic[..4].try_into().unwrap());
        for (value, big_endian) in [(le, false), (be, true)] {
            let (nanos, modified) = match value {
                PCAP_MAGIC_MICRO => (false, false),
                PCAP_MAGIC_NANO => (true, false),
                PCAP_MAGIC_MODIFIED => (false, true),
                _ => continue,
            };
            return self.read_pcap_header(big_endian, nanos, modified);
        }
        if le == PCAPNG_SHB {
            self.format = Format::PcapNg;
            self.state = State::PcapNg {
                big_endian: false,
                interfaces: Vec::new(),
            };
            // The SHB itself is read by the block loop, which handles every section.
            return Ok(());
        }
        if magic.as_slice() == SNOOP_MAGIC {
            return self.read_snoop_header();
        }
        Err(CaptureError::UnknownFormat { magic })
    }

    fn read_pcap_header(
        &mut self,
        big_endian: bool,
        nanos: bool,
        modified: bool,
    ) -> Result<(), CaptureError> {
        self.require(PCAP_HEADER_LEN)?;
        let h = self.peek(PCAP_HEADER_LEN);
        let major = u16_at(h, 4, big_endian);
        let minor = u16_at(h, 6, big_endian);
        let link_field = u32_at(h, 20, big_endian);
        if major != 2 {
            return Err(CaptureError::Unsupported {
                what: format!("pcap version {major}.{minor} (only 2.x is defined)"),
                offset: 4,
            });
        }
        // Bits 16..26 of the link-type field are reserved and must be zero; the top
        // bits carry the FCS length, which we do not need.
        if link_field & 0x03ff_0000 != 0 {
            return Err(CaptureError::Unsupported {
                what: format!("pcap link-type field 0x{link_field:08x} has reserved bits set"),
                offset: 20,
            });
        }
        self.header = h.to_vec();
        self.section = 1;
        self.start += PCAP_HEADER_LEN;
        self.format = Format::Pcap {
            big_endian,
            nanos,
            modified,
        };
        self.state = State::Pcap {
            big_endian,
            nanos,
            record_header_len: if modified { 24 } else { 16 },
            link_type: LinkType(link_field as u16),
        };
        Ok(())
    }

    fn read_snoop_header(&mut self) -> Result<(), CaptureError> {
        self.require(SNOOP_HEADER_LEN)?;
        let h = self.peek(SNOOP_HEADER_LEN);
        let version = u32_at(h, 8, true);
        let datalink = u32_at(h, 12, true);
        if version != 2 {
            return Err(CaptureError::Unsupported {
                what: format!("snoop version {version}"),
                offset: 8,
            });
        }
        let link_type = match datalink {
            0 | 4 => LinkType::ETHERNET,
            2 => LinkType(6),  // IEEE 802.5 token ring
            8 => LinkType(10), // FDDI
            other => {
                return Err(CaptureError::Unsupported {
                    what: format!("snoop datalink type {other}"),
                    offset: 12,
                })
            }
        };
        self.header = h.to_vec();
        self.section = 1;
        self.start += SNOOP_HEADER_LEN;
        self.format = Format::Snoop;
        self.state = State::Snoop { link_type };
        Ok(())
    }

    /// The next record, `Ok(None)` at the clean end of the input. After an error the
    /// reader is finished and returns `Ok(None)`.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, CaptureError> {
        let next = match self.pending.take() {
            Some(parsed) => parsed,
            None => match self.parse_next()? {
                Some(parsed) => parsed,
                None => return Ok(None),
            },
        };
        let (header_len, total_len, meta) = next;
        let raw_start = self.start;
        self.start += total_len;
        let raw = &self.buf[raw_start..raw_start + total_len];
        Ok(Some(Record {
            ts: meta.ts,
            link_type: meta.link_type,
            interface: meta.interface,
            orig_len: meta.orig_len,
            data: &raw[header_len..header_len + meta.caplen],
            raw,
            offset: self.buf_offset + raw_start as u64,
            section: u64::from(self.section),
            header: &self.header,
        }))
    }

    /// The timestamp of the next record without handing it out (the next call of
    /// [`CaptureReader::next_record`] does), `Ok(None)` at the end: what a merge of
    /// several inputs in time order needs.
    pub fn peek_timestamp(&mut self) -> Result<Option<Timestamp>, CaptureError> {
        if self.pending.is_none() {
            self.pending = self.parse_next()?;
        }
        Ok(self.pending.as_ref().map(|(_, _, meta)| meta.ts))
    }

    /// Parses the next record's header (reading past other blocks); the reader is
    /// finished at the end or after an error.
    fn parse_next(&mut self) -> Result<Option<(usize, usize, Meta)>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let result = match self.state {
            State::Pcap { .. } => self.next_pcap(),
            State::PcapNg { .. } => self.next_pcapng(),
            State::Snoop { .. } => self.next_snoop(),
        };
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result
    }

    /// True when the input is exhausted: a clean end between records.
    fn at_clean_end(&mut self) -> Result<bool, CaptureError> {
        Ok(!self.fill_to(1)?)
    }

    fn corrupt(&self, what: String, offset_in_record: u64) -> CaptureError {
        CaptureError::Corrupt {
            what,
            offset: self.offset() + offset_in_record,
        }
    }

    fn check_len(&self, len: u64, what: &str) -> Result<usize, CaptureError> {
        if len > MAX_RECORD_LEN {
            return Err(self.corrupt(format!("{what} claims {len} bytes"), 0));
        }
        Ok(len as usize)
    }

    fn next_pcap(&mut self) -> Result<Option<(usize, usize, Meta)>, CaptureError> {
        let State::Pcap {
            big_endian,
            nanos,
            record_header_len,
            link_type,
        } = self.state
        else {
            unreachable!("next_pcap on a pcap reader")
        };
        if self.at_clean_end()? {
            return Ok(None);
        }
        self.require(record_header_len)?;
        let h = self.peek(record_header_len);
        let secs = u32_at(h, 0, big_endian);
        let frac = u32_at(h, 4, big_endian);
        let caplen = u32_at(h, 8, big_endian);
        let orig_len = u32_at(h, 12, big_endian);
        let caplen = self.check_len(u64::from(caplen), "record")?;
        self.require(record_header_len + caplen)?;
        let nanos_part = if nanos { frac } else { frac.wrapping_mul(1000) };
        let ts = if nanos || frac < 1_000_000 {
            Timestamp::new(i64::from(secs), nanos_part)
        } else {
            // An out-of-range microsecond field: carry it rather than wrap.
            Timestamp::new(
                i64::from(secs) + i64::from(frac / 1_000_000),
                (frac % 1_000_000) * 1000,
            )
        };
        Ok(Some((
            record_header_len,
            record_header_len + caplen,
            Meta {
                ts,
                link_type,
                interface: 0,
                orig_len,
                caplen,
            },
        )))
    }

    fn next_snoop(&mut self) -> Result<Option<(usize, usize, Meta)>, CaptureError> {
        let State::Snoop { link_type } = self.state else {
            unreachable!("next_snoop on a snoop reader")
        };
        if self.at_clean_end()? {
            return Ok(None);
        }
        self.require(SNOOP_RECORD_HEADER_LEN)?;
        let h = self.peek(SNOOP_RECORD_HEADER_LEN);
        let orig_len = u32_at(h, 0, true);
        let caplen = u32_at(h, 4, true);
        let rec_len = u32_at(h, 8, true);
        let secs = u32_at(h, 16, true);
        let micros = u32_at(h, 20, true);
        let rec_len = self.check_len(u64::from(rec_len), "snoop record")?;
        let caplen = caplen as usize;
        if rec_len < SNOOP_RECORD_HEADER_LEN + caplen {
            return Err(self.corrupt(
                format!(
                    "snoop record length {rec_len} is shorter than its {caplen} captured bytes"
                ),
                8,
            ));
        }
        self.require(rec_len)?;
        Ok(Some((
            SNOOP_RECORD_HEADER_LEN,
            rec_len,
            Meta {
                ts: Timestamp::new(i64::from(secs), micros.saturating_mul(1000)),
                link_type,
                interface: 0,
                orig_len,
                caplen,
            },
        )))
    }

    fn next_pcapng(&mut self) -> Result<Option<(usize, usize, Meta)>, CaptureError> {
        loop {
            if self.at_clean_end()? {
                return Ok(None);
            }
            self.require(12)?;
            let big_endian = match &self.state {
                State::PcapNg { big_endian, .. } => *big_endian,
                _ => unreachable!("next_pcapng on a pcapng reader"),
            };
            let h = self.peek(12);
            let block_type = u32_at(h, 0, big_endian);
            if block_type == PCAPNG_SHB || u32_at(h, 0, !big_endian) == PCAPNG_SHB {
                self.read_section_header()?;
                continue;
            }
            let total = u64::from(u32_at(h, 4, big_endian));
            let total = self.check_block_len(total)?;
            self.require(total)?;
            let block = &self.buf[self.start..self.start + total];
            let trailer = u32_at(block, total - 4, big_endian) as usize;
            if trailer.next_multiple_of(4) != total {
                return Err(self.corrupt(
                    format!("block length {total} but trailer says {trailer}"),
                    (total - 4) as u64,
                ));
            }
            let body = &block[8..total - 4];
            match block_type {
                PCAPNG_IDB => {
                    let interface = parse_idb(body, big_endian)
                        .map_err(|(what, at)| self.corrupt(what, 8 + at as u64))?;
                    let State::PcapNg { interfaces, .. } = &mut self.state else {
                        unreachable!()
                    };
                    if interfaces.len() >= MAX_INTERFACES {
                        return Err(self.corrupt(
                            format!("more than {MAX_INTERFACES} interfaces in one section"),
                            0,
                        ));
                    }
                    interfaces.push(interface);
                    self.header
                        .extend_from_slice(&self.buf[self.start..self.start + total]);
                }
                PCAPNG_EPB | PCAPNG_PB => {
                    let meta = self.packet_block(block_type, body, big_endian)?;
                    // Both layouts put 20 bytes of fields after the 8-byte block header.
                    return Ok(Some((28, total, meta)));
                }
                PCAPNG_SPB => {
                    let meta = self.simple_packet_block(body, big_endian)?;
                    return Ok(Some((12, total, meta)));
                }
                // Name resolution, statistics, journal, custom and unknown blocks carry no
                // packet: skip them whole.
                _ => {}
            }
            self.start += total;
        }
    }

    /// The number of bytes a block occupies. A length that is not a multiple of 4 is
    /// taken as padded up to one, as Wireshark does (some old writers left out the pad).
    fn check_block_len(&mut self, total: u64) -> Result<usize, CaptureError> {
        if total < 12 {
            return Err(self.corrupt(format!("block length {total} is less than 12"), 4));
        }
        if !total.is_multiple_of(4) {
            self.warn(format!(
                "pcapng block at offset {}: length {total} is not a multiple of 4 (read as padded)",
                self.offset()
            ));
        }
        self.check_len(total.next_multiple_of(4), "block")
    }

    fn warn(&mut self, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(message);
        }
    }

    /// Oddities the reader read past (at most the first 100), oldest first; each call
    /// returns the ones not yet taken.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    fn read_section_header(&mut self) -> Result<(), CaptureError> {
        self.require(12)?;
        let bom = self.peek(12)[8..12].try_into().unwrap();
        let big_endian = if u32::from_le_bytes(bom) == PCAPNG_BYTE_ORDER_MAGIC {
            false
        } else if u32::from_be_bytes(bom) == PCAPNG_BYTE_ORDER_MAGIC {
            true
        } else {
            return Err(self.corrupt(format!("section header byte-order magic {bom:02x?}"), 8));
        };
        let total = u64::from(u32_at(self.peek(12), 4, big_endian));
        if total < 28 {
            return Err(self.corrupt(format!("section header length {total}"), 4));
        }
        let total = self.check_block_len(total)?;
        self.require(total)?;
        let block = &self.buf[self.start..self.start + total];
        let major = u16_at(block, 12, big_endian);
        let minor = u16_at(block, 14, big_endian);
        // 1.0 is the only defined version; 1.2 was written by some libpcap releases and
        // is read the same way (as Wireshark and libpcap do).
        if major != 1 || (minor != 0 && minor != 2) {
            return Err(CaptureError::Unsupported {
                what: format!("pcapng version {major}.{minor}"),
                offset: self.offset() + 12,
            });
        }
        let trailer = u32_at(block, total - 4, big_endian) as usize;
        if trailer != total {
            return Err(self.corrupt(
                format!("section header length {total} but trailer says {trailer}"),
                (total - 4) as u64,
            ));
        }
        walk_options(&block[24..total - 4], big_endian, |_, _| {})
            .map_err(|(what, at)| self.corrupt(what, 24 + at as u64))?;
        self.header.clear();
        self.header.extend_from_slice(block);
        self.section += 1;
        self.format = Format::PcapNg;
        self.state = State::PcapNg {
            big_endian,
            interfaces: Vec::new(),
        };
        self.start += total;
        Ok(())
    }

    fn interface(&self, id: u32) -> Result<Interface, CaptureError> {
        let State::PcapNg { interfaces, .. } = &self.state else {
            unreachable!()
        };
        interfaces.get(id as usize).copied().ok_or_else(|| {
            self.corrupt(
                format!(
                    "packet for interface {id}, but only {} interfaces are described",
                    interfaces.len()
                ),
                8,
            )
        })
    }

    fn packet_block(&self, block_type: u32, body: &[u8], be: bool) -> Result<Meta, CaptureError> {
        if body.len() < 20 {
            return Err(self.corrupt(format!("packet block body of {} bytes", body.len()), 8));
        }
        let interface_id = if block_type == PCAPNG_EPB {
            u32_at(body, 0, be)
        } else {
            u32::from(u16_at(body, 0, be))
        };
        let interface = self.interface(interface_id)?;
        let ts_units = (u64::from(u32_at(body, 4, be)) << 32) | u64::from(u32_at(body, 8, be));
        let caplen = u32_at(body, 12, be) as usize;
        let orig_len = u32_at(body, 16, be);
        if caplen > body.len() - 20 {
            return Err(self.corrupt(
                format!(
                    "packet claims {caplen} captured bytes in a block with room for {}",
                    body.len() - 20
                ),
                20,
            ));
        }
        let ts = Timestamp::from_units(ts_units, interface.units_per_sec);
        Ok(Meta {
            ts: Timestamp {
                secs: ts.secs.saturating_add(interface.offset_secs),
                ..ts
            },
            link_type: interface.link_type,
            interface: interface_id,
            orig_len,
            caplen,
        })
    }

    fn simple_packet_block(&self, body: &[u8], be: bool) -> Result<Meta, CaptureError> {
        if body.len() < 4 {
            return Err(self.corrupt("simple packet block without length".into(), 8));
        }
        let interface = self.interface(0)?;
        let orig_len = u32_at(body, 0, be);
        let mut caplen = (orig_len as usize).min(body.len() - 4);
        if interface.snaplen != 0 {
            caplen = caplen.min(interface.snaplen as usize);
        }
        Ok(Meta {
            ts: Timestamp::default(),
            link_type: interface.link_type,
            interface: 0,
            orig_len,
            caplen,
        })
    }
}

struct Meta {
    ts: Timestamp,
    link_type: LinkType,
    interface: u32,
    orig_len: u32,
    caplen: usize,
}

/// Parses an interface description block body; errors carry an offset into `body`.
fn parse_idb(body: &[u8], be: bool) -> Result<Interface, (String, usize)> {
    if body.len() < 8 {
        return Err((format!("interface description of {} bytes", body.len()), 0));
    }
    let mut interface = Interface {
        link_type: LinkType(u16_at(body, 0, be)),
        snaplen: u32_at(body, 4, be),
        units_per_sec: 1_000_000,
        offset_secs: 0,
    };
    let mut bad_resolution = None;
    walk_options(&body[8..], be, |code, value| match code {
        PCAPNG_OPT_IF_TSRESOL if !value.is_empty() => {
            let v = value[0];
            let exponent = u32::from(v & 0x7f);
            let units = if v & 0x80 == 0 {
                10u64.checked_pow(exponent)
            } else {
                2u64.checked_pow(exponent)
            };
            match units {
                Some(u) if u > 0 => interface.units_per_sec = u,
                _ => bad_resolution = Some(v),
            }
        }
        PCAPNG_OPT_IF_TSOFFSET if value.len() >= 8 => {
            interface.offset_secs = u64_at(value, 0, be) as i64;
        }
        _ => {}
    })
    .map_err(|(what, at)| (what, at + 8))?;
    if let Some(v) = bad_resolution {
        return Err((format!("if_tsresol 0x{v:02x} is out of range"), 8));
    }
    Ok(interface)
}

/// Calls `f(code, value)` for each option until opt_endofopt or the end; an option
/// running past the end is an error (offset into `options`).
fn walk_options<'a>(
    options: &'a [u8],
    be: bool,
    mut f: impl FnMut(u16, &'a [u8]),
) -> Result<(), (String, usize)> {
    let mut at = 0;
    while at + 4 <= options.len() {
        let code = u16_at(options, at, be);
        let len = u16_at(options, at + 2, be) as usize;
        if code == PCAPNG_OPT_END {
            return Ok(());
        }
        let value_end = at + 4 + len;
        if value_end > options.len() {
            return Err((
                format!("option {code} of {len} bytes runs past the end of its block"),
                at,
            ));
        }
        f(code, &options[at + 4..value_end]);
        at = value_end.next_multiple_of(4);
    }
    Ok(())
}

fn u16_at(b: &[u8], at: usize, big_endian: bool) -> u16 {
    let bytes = [b[at], b[at + 1]];
    if big_endian {
        u16::from_be_bytes(bytes)
    } else {
        u16::from_le_bytes(bytes)
    }
}

fn u32_at(b: &[u8], at: usize, big_endian: bool) -> u32 {
    let bytes = b[at..at + 4].try_into().unwrap();
    if big_endian {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    }
}

fn u64_at(b: &[u8], at: usize, big_endian: bool) -> u64 {
    let bytes = b[at..at + 8].try_into().unwrap();
    if big_endian {
        u64::from_be_bytes(bytes)
    } else {
        u64::from_le_bytes(bytes)
    }
}

/// The blocks of pcapng `bytes` from offset `from` (a block boundary) as byte ranges:
/// for a [`Record::header`] from 0, the section header and then the interface
/// descriptions in id order. Stops at the first block whose length does not fit (the
/// reader checked them).
pub fn pcapng_blocks(
    bytes: &[u8],
    big_endian: bool,
    from: usize,
) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut at = from;
    std::iter::from_fn(move || {
        if at + 12 > bytes.len() {
            return None;
        }
        let len = (u32_at(bytes, at + 4, big_endian) as usize).next_multiple_of(4);
        if len < 12 || at + len > bytes.len() {
            return None;
        }
        at += len;
        Some(at - len..at)
    })
}

/// The name of each interface that a pcapng section header (as [`Record::header`]
/// holds it: the section header block, then the interface descriptions read so far)
/// describes, in order: its `if_name`, else its `if_description`, else its
/// `if_hardware` (as Wireshark names an interface); `None` for an interface with none of
/// them. Empty for any other header (pcap, snoop).
///
/// ```
/// let mut header = Vec::new();
/// pcaptool::capture::push_section_header(&mut header);
/// use pcaptool::capture::{push_interface, LinkType, TsResolution};
/// push_interface(&mut header, LinkType::ETHERNET, 65535, TsResolution::Micro);
/// assert_eq!(pcaptool::capture::pcapng_interface_names(&header), [None]);
/// ```
pub fn pcapng_interface_names(header: &[u8]) -> Vec<Option<&[u8]>> {
    if header.len() < 12 || u32_at(header, 0, false) != PCAPNG_SHB {
        return Vec::new();
    }
    let be = pcapng_big_endian(header);
    pcapng_blocks(header, be, 0)
        .filter(|block| u32_at(header, block.start, be) == PCAPNG_IDB)
        .map(|block| {
            let body = header
                .get(block.start + 8..block.end - 4)
                .unwrap_or_default();
            let mut found: [Option<&[u8]>; 3] = [None; 3];
            let options = body.get(8..).unwrap_or_default();
            let _ = walk_options(options, be, |code, value| {
                let slot = match code {
                    PCAPNG_OPT_IF_NAME => 0,
                    PCAPNG_OPT_IF_DESCRIPTION => 1,
                    PCAPNG_OPT_IF_HARDWARE => 2,
                    _ => return,
                };
                found[slot].get_or_insert(value);
            });
            found.into_iter().flatten().next()
        })
        .collect()
}

/// The `epb_flags` option of a pcapng enhanced packet block (its direction in the low
/// two bits: 1 inbound, 2 outbound; then reception type, FCS length, link errors);
/// `None` for other records and blocks without it.
///
/// ```
/// let mut header = Vec::new();
/// pcaptool::capture::push_section_header(&mut header);
/// // An enhanced packet block of no data with epb_flags 1 (inbound).
/// let block = [
///     6, 0, 0, 0, 44, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
///     2, 0, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 44, 0, 0, 0,
/// ];
/// let record = pcaptool::capture::Record {
///     ts: Default::default(),
///     link_type: pcaptool::capture::LinkType::ETHERNET,
///     interface: 0,
///     orig_len: 0,
///     data: &[],
///     raw: &block,
///     offset: 0,
///     section: 1,
///     header: &header,
/// };
/// assert_eq!(pcaptool::capture::pcapng_packet_flags(&record), Some(1));
/// ```
pub fn pcapng_packet_flags(record: &Record<'_>) -> Option<u32> {
    let raw = record.raw;
    let header = record.header;
    if header.len() < 12 || u32_at(header, 0, false) != PCAPNG_SHB || raw.len() < 12 {
        return None;
    }
    let be = pcapng_big_endian(header);
    if u32_at(raw, 0, be) != PCAPNG_EPB {
        return None;
    }
    let caplen = u32_at(raw, 20, be) as usize;
    let options_start = PCAPNG_EPB_HEADER_LEN.checked_add(caplen.next_multiple_of(4))?;
    let options = raw.get(options_start..raw.len().saturating_sub(4))?;
    let mut flags = None;
    let _ = walk_options(options, be, |code, value| {
        if code == PCAPNG_OPT_EPB_FLAGS && value.len() == 4 {
            flags = Some(u32_at(value, 0, be));
        }
    });
    flags
}

/// Whether the section whose header (starting with its section header block) is given
/// is big-endian.
pub fn pcapng_big_endian(header: &[u8]) -> bool {
    header.len() >= 12 && u32_at(header, 8, true) == PCAPNG_BYTE_ORDER_MAGIC
}

/// Sets the interface id of a pcapng packet block (enhanced or obsolete) in place;
/// false for blocks without one (simple packet blocks refer to interface 0).
pub fn set_pcapng_interface(block: &mut [u8], big_endian: bool, id: u32) -> bool {
    if block.len() < 12 {
        return false;
    }
    match u32_at(block, 0, big_endian) {
        PCAPNG_EPB => {
            let bytes = if big_endian {
                id.to_be_bytes()
            } else {
                id.to_le_bytes()
            };
            block[8..12].copy_from_slice(&bytes);
            true
        }
        PCAPNG_PB => {
            let id = id as u16;
            let bytes = if big_endian {
                id.to_be_bytes()
            } else {
                id.to_le_bytes()
            };
            block[8..10].copy_from_slice(&bytes);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(bytes: Vec<u8>) -> Result<CaptureReader, CaptureError> {
        CaptureReader::new(Box::new(io::Cursor::new(bytes)))
    }

    fn pcap_bytes(records: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&PCAP_MAGIC_MICRO.to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&4u16.to_le_bytes());
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&1u32.to_le_bytes());
        for (i, r) in records.iter().enumerate() {
            v.extend_from_slice(&(i as u32).to_le_bytes());
            v.extend_from_slice(&7u32.to_le_bytes());
            v.extend_from_slice(&(r.len() as u32).to_le_bytes());
            v.extend_from_slice(&(r.len() as u32 + 10).to_le_bytes());
            v.extend_from_slice(r);
        }
        v
    }

    #[test]
    fn reads_pcap_records() {
        let mut r = reader(pcap_bytes(&[b"abc", b"defg"])).unwrap();
        let a = r.next_record().unwrap().unwrap();
        assert_eq!(a.data, b"abc");
        assert_eq!(a.orig_len, 13);
        assert_eq!(a.ts, Timestamp::new(0, 7000));
        assert_eq!(a.offset, 24);
        let b = r.next_record().unwrap().unwrap();
        assert_eq!(b.data, b"defg");
        assert_eq!(b.raw.len(), 20);
        assert!(r.next_record().unwrap().is_none());
    }

    #[test]
    fn truncated_pcap_keeps_complete_records() {
        let mut bytes = pcap_bytes(&[b"abc", b"defg"]);
        bytes.truncate(bytes.len() - 2);
        let mut r = reader(bytes).unwrap();
        assert!(r.next_record().unwrap().is_some());
        let err = r.next_record().unwrap_err();
        assert!(err.is_truncation(), "{err}");
        assert!(err.to_string().contains("offset 43"), "{err}");
        assert!(r.next_record().unwrap().is_none());
    }

    #[test]
    fn impossible_length_is_corrupt() {
        let mut bytes = pcap_bytes(&[b"abc"]);
        bytes[32..36].copy_from_slice(&0x5100_0000u32.to_le_bytes());
        let mut r = reader(bytes).unwrap();
        let err = r.next_record().unwrap_err();
        assert!(err.is_bad_input(), "{err}");
        assert!(err.to_string().contains("offset 24"), "{err}");
    }

    #[test]
    fn not_a_capture() {
        let err = reader(b"hello world".to_vec()).err().unwrap();
        assert!(err.is_bad_input());
        let err = reader(Vec::new()).err().unwrap();
        assert!(err.is_bad_input());
    }

    #[test]
    fn gzip_is_detected_by_magic() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&pcap_bytes(&[b"xyz"])).unwrap();
        let mut r = reader(gz.finish().unwrap()).unwrap();
        assert!(r.is_gzip());
        assert_eq!(r.next_record().unwrap().unwrap().data, b"xyz");
    }

    #[test]
    fn tsresol_decoding() {
        let mut body = vec![1, 0, 0, 0, 0, 0, 0, 0];
        body.extend_from_slice(&[9, 0, 1, 0, 0x89, 0, 0, 0, 0, 0, 0, 0]);
        let i = parse_idb(&body, false).unwrap();
        assert_eq!(i.units_per_sec, 512);
        body[12] = 0x7f;
        assert!(parse_idb(&body, false).is_err());
    }
}
