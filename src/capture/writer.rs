//! Writing captures: pcap (micro- or nanosecond) and pcapng (one interface per link
//! type, `if_tsresol` set to match), always little-endian, through one large buffer so
//! that packets can be built in place and reach the disk in big writes.

use std::io::{self, Write};

use super::{LinkType, Timestamp};

/// Flush to the underlying writer once this much is buffered.
const FLUSH_AT: usize = 1 << 20;
const PCAP_RECORD_HEADER_LEN: usize = 16;
const EPB_HEADER_LEN: usize = 28;
const EPB_TRAILER_LEN: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Pcap,
    Pcapng,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsResolution {
    Micro,
    Nano,
}

impl TsResolution {
    fn units_per_sec(self) -> u64 {
        match self {
            TsResolution::Micro => 1_000_000,
            TsResolution::Nano => 1_000_000_000,
        }
    }

    /// The sub-second part of `ts` in this resolution (truncated, as libpcap does).
    fn fraction(self, ts: Timestamp) -> u32 {
        match self {
            TsResolution::Micro => ts.nanos / 1000,
            TsResolution::Nano => ts.nanos,
        }
    }
}

/// Writes packets into a pcap or pcapng stream.
pub struct CaptureWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    format: OutputFormat,
    resolution: TsResolution,
    /// Link type of each interface, by interface id (pcap has exactly one).
    interfaces: Vec<LinkType>,
    snaplen: u32,
}

impl<W: Write> CaptureWriter<W> {
    /// Starts a capture whose first (for pcap: only) interface has `link_type`.
    pub fn new(
        out: W,
        format: OutputFormat,
        resolution: TsResolution,
        link_type: LinkType,
        snaplen: u32,
    ) -> Self {
        let mut writer = CaptureWriter {
            out,
            buf: Vec::with_capacity(FLUSH_AT + (64 << 10)),
            format,
            resolution,
            interfaces: Vec::new(),
            snaplen,
        };
        match format {
            OutputFormat::Pcap => {
                let magic: u32 = match resolution {
                    TsResolution::Micro => 0xa1b2_c3d4,
                    TsResolution::Nano => 0xa1b2_3c4d,
                };
                writer.buf.extend_from_slice(&magic.to_le_bytes());
                writer.buf.extend_from_slice(&2u16.to_le_bytes());
                writer.buf.extend_from_slice(&4u16.to_le_bytes());
                writer.buf.extend_from_slice(&0i32.to_le_bytes()); // thiszone
                writer.buf.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
                writer.buf.extend_from_slice(&snaplen.to_le_bytes());
                writer
                    .buf
                    .extend_from_slice(&u32::from(link_type.0).to_le_bytes());
                writer.interfaces.push(link_type);
            }
            OutputFormat::Pcapng => {
                writer.write_section_header();
                writer.add_interface(link_type);
            }
        }
        writer
    }

    fn write_section_header(&mut self) {
        push_section_header(&mut self.buf);
    }

    /// Adds an interface (pcapng only) and returns its id; for pcap, the one interface
    /// is returned when the link type matches and `None` otherwise.
    pub fn add_interface(&mut self, link_type: LinkType) -> Option<u32> {
        if let Some(id) = self.interfaces.iter().position(|&l| l == link_type) {
            return Some(id as u32);
        }
        if self.format == OutputFormat::Pcap {
            return None;
        }
        push_interface(&mut self.buf, link_type, self.snaplen, self.resolution);
        self.interfaces.push(link_type);
        Some(self.interfaces.len() as u32 - 1)
    }

    /// Appends one packet captured whole (`orig_len` = `data.len()`) or cut (`orig_len`
    /// larger) on `interface`.
    pub fn write_packet(
        &mut self,
        interface: u32,
        ts: Timestamp,
        orig_len: u32,
        data: &[u8],
    ) -> io::Result<()> {
        self.write_packet_with(interface, ts, orig_len, data.len(), |out| {
            out.copy_from_slice(data)
        })
    }

    /// Appends a packet of `len` captured bytes that `fill` writes straight into the
    /// output buffer (which holds zeros when `fill` is called).
    pub fn write_packet_with(
        &mut self,
        interface: u32,
        ts: Timestamp,
        orig_len: u32,
        len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> io::Result<()> {
        let caplen = u32::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet over 4 GiB"))?;
        let at = self.buf.len();
        match self.format {
            OutputFormat::Pcap => {
                let secs = ts.secs.clamp(0, i64::from(u32::MAX)) as u32;
                let mut header = [0u8; PCAP_RECORD_HEADER_LEN];
                header[0..4].copy_from_slice(&secs.to_le_bytes());
                header[4..8].copy_from_slice(&self.resolution.fraction(ts).to_le_bytes());
                header[8..12].copy_from_slice(&caplen.to_le_bytes());
                header[12..16].copy_from_slice(&orig_len.to_le_bytes());
                self.buf.extend_from_slice(&header);
                self.buf.resize(at + PCAP_RECORD_HEADER_LEN + len, 0);
                fill(&mut self.buf[at + PCAP_RECORD_HEADER_LEN..]);
            }
            OutputFormat::Pcapng => {
                push_packet_with(
                    &mut self.buf,
                    interface,
                    ts,
                    self.resolution,
                    orig_len,
                    len,
                    fill,
                );
            }
        }
        if self.buf.len() >= FLUSH_AT {
            self.flush_buffer()?;
        }
        Ok(())
    }

    fn flush_buffer(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// Writes out everything buffered and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.flush_buffer()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Appends a pcapng section header block (little-endian, section length unknown).
pub fn push_section_header(b: &mut Vec<u8>) {
    let app = b"pcaptool";
    let options_len = 4 + app.len().next_multiple_of(4) + 4;
    let total = 28 + options_len;
    b.extend_from_slice(&0x0a0d_0d0au32.to_le_bytes());
    b.extend_from_slice(&(total as u32).to_le_bytes());
    b.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&(-1i64).to_le_bytes()); // section length unknown
    push_option(b, 4, app); // shb_userappl
    b.extend_from_slice(&[0; 4]); // opt_endofopt
    b.extend_from_slice(&(total as u32).to_le_bytes());
}

/// Appends a pcapng interface description block with `if_tsresol` for `resolution`.
pub fn push_interface(
    b: &mut Vec<u8>,
    link_type: LinkType,
    snaplen: u32,
    resolution: TsResolution,
) {
    let tsresol: u8 = match resolution {
        TsResolution::Micro => 6,
        TsResolution::Nano => 9,
    };
    let total = 20 + 8 + 4;
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&(total as u32).to_le_bytes());
    b.extend_from_slice(&link_type.0.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&snaplen.to_le_bytes());
    push_option(b, 9, &[tsresol]); // if_tsresol
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&(total as u32).to_le_bytes());
}

/// Appends a pcapng enhanced packet block of `len` captured bytes that `fill` writes
/// in place (into zeros).
pub fn push_packet_with(
    b: &mut Vec<u8>,
    interface: u32,
    ts: Timestamp,
    resolution: TsResolution,
    orig_len: u32,
    len: usize,
    fill: impl FnOnce(&mut [u8]),
) {
    let at = b.len();
    let padded = len.next_multiple_of(4);
    let total = (EPB_HEADER_LEN + padded + EPB_TRAILER_LEN) as u32;
    let units = u64::try_from(ts.secs.max(0)).unwrap_or(0) * resolution.units_per_sec()
        + u64::from(resolution.fraction(ts));
    let mut header = [0u8; EPB_HEADER_LEN];
    header[0..4].copy_from_slice(&6u32.to_le_bytes());
    header[4..8].copy_from_slice(&total.to_le_bytes());
    header[8..12].copy_from_slice(&interface.to_le_bytes());
    header[12..16].copy_from_slice(&((units >> 32) as u32).to_le_bytes());
    header[16..20].copy_from_slice(&(units as u32).to_le_bytes());
    header[20..24].copy_from_slice(&(len as u32).to_le_bytes());
    header[24..28].copy_from_slice(&orig_len.to_le_bytes());
    b.extend_from_slice(&header);
    b.resize(at + EPB_HEADER_LEN + padded, 0);
    fill(&mut b[at + EPB_HEADER_LEN..at + EPB_HEADER_LEN + len]);
    b.extend_from_slice(&total.to_le_bytes());
}

fn push_option(b: &mut Vec<u8>, code: u16, value: &[u8]) {
    b.extend_from_slice(&code.to_le_bytes());
    b.extend_from_slice(&(value.len() as u16).to_le_bytes());
    b.extend_from_slice(value);
    b.resize(b.len().next_multiple_of(4), 0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::CaptureReader;

    fn round_trip(format: OutputFormat, resolution: TsResolution) {
        let mut w = CaptureWriter::new(Vec::new(), format, resolution, LinkType::ETHERNET, 65535);
        let ts = Timestamp::new(1_700_000_000, 123_456_789);
        w.write_packet(0, ts, 100, b"hello").unwrap();
        w.write_packet(0, ts.add_nanos(1000), 3, b"abc").unwrap();
        let bytes = w.finish().unwrap();
        let mut r = CaptureReader::new(Box::new(io::Cursor::new(bytes))).unwrap();
        let a = r.next_record().unwrap().unwrap();
        assert_eq!(a.data, b"hello");
        assert_eq!(a.orig_len, 100);
        assert_eq!(a.link_type, LinkType::ETHERNET);
        let expect_nanos = match resolution {
            TsResolution::Micro => 123_456_000,
            TsResolution::Nano => 123_456_789,
        };
        assert_eq!(a.ts, Timestamp::new(1_700_000_000, expect_nanos));
        assert_eq!(r.next_record().unwrap().unwrap().data, b"abc");
        assert!(r.next_record().unwrap().is_none());
    }

    #[test]
    fn pcap_round_trips() {
        round_trip(OutputFormat::Pcap, TsResolution::Micro);
        round_trip(OutputFormat::Pcap, TsResolution::Nano);
    }

    #[test]
    fn pcapng_round_trips() {
        round_trip(OutputFormat::Pcapng, TsResolution::Micro);
        round_trip(OutputFormat::Pcapng, TsResolution::Nano);
    }
}
