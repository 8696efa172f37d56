//! The `info` engine: what a capture holds (format, packets, bytes, link types, time
//! span), found in one pass over every record, like capinfos.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use crate::capture::{for_each_record, CaptureSet, Format, LinkType, Pass, Timestamp};

/// What one pass over a capture found.
#[derive(Debug)]
pub struct Summary {
    pub format: Format,
    pub gzip: bool,
    pub packets: u64,
    pub captured_bytes: u64,
    pub link_types: BTreeMap<LinkType, u64>,
    /// Earliest and latest timestamps (records need not be in time order).
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// How reading ended: the summary covers every record before any damage.
    pub pass: Pass,
}

/// Reads every record of `set` (format and compression are the first input's).
///
/// ```
/// use pcaptool::capture::{CaptureReader, CaptureWriter, LinkType, OutputFormat, Timestamp, TsResolution};
/// let mut file = Vec::new();
/// let mut writer = CaptureWriter::new(&mut file, OutputFormat::Pcapng, TsResolution::Micro, LinkType::ETHERNET, 65535);
/// writer.write_packet(0, Timestamp::new(5, 0), 60, &[0; 60]).unwrap();
/// writer.write_packet(0, Timestamp::new(3, 0), 60, &[0; 60]).unwrap();
/// writer.finish().unwrap();
/// let reader = CaptureReader::new(Box::new(std::io::Cursor::new(file))).unwrap();
/// let mut set = pcaptool::capture::CaptureSet::single("memory", reader);
/// let summary = pcaptool::info::summarize(&mut set, &mut |_| {});
/// assert_eq!((summary.packets, summary.captured_bytes), (2, 120));
/// assert_eq!((summary.first, summary.last), (Some(Timestamp::new(3, 0)), Some(Timestamp::new(5, 0))));
/// ```
pub fn summarize(set: &mut CaptureSet, progress: &mut dyn FnMut(u64)) -> Summary {
    let mut packets = 0;
    let mut captured_bytes = 0;
    let mut link_types = BTreeMap::new();
    let mut first: Option<Timestamp> = None;
    let mut last: Option<Timestamp> = None;
    let pass = for_each_record(set, progress, |record| {
        packets += 1;
        captured_bytes += record.data.len() as u64;
        *link_types.entry(record.link_type).or_default() += 1;
        first = Some(first.map_or(record.ts, |f| f.min(record.ts)));
        last = Some(last.map_or(record.ts, |l| l.max(record.ts)));
        ControlFlow::Continue(())
    });
    Summary {
        format: set.inputs()[0].format,
        gzip: set.inputs()[0].gzip,
        packets,
        captured_bytes,
        link_types,
        first,
        last,
        pass,
    }
}
