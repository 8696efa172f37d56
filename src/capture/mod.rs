//! Capture files: reading (pcap, pcapng, snoop, gzip-wrapped) and writing (pcap, pcapng).
//!
//! Formats are recognised by their magic bytes, never by file name. The reader hands out
//! borrowed [`Record`]s from one reusable buffer, so the hot path copies no packet bytes.

mod reader;
mod records;
mod set;
mod writer;

pub use reader::{
    open, pcapng_big_endian, pcapng_blocks, pcapng_interface_names, pcapng_packet_flags,
    set_pcapng_interface, CaptureReader, Format, OpenError, Record,
};
pub use records::{for_each_record, Pass, PROGRESS_EVERY};
pub use set::{CaptureSet, InputInfo, SetError};
pub use writer::{
    push_interface, push_packet_with, push_section_header, CaptureWriter, OutputFormat,
    TsResolution,
};

use std::fmt;

/// A link-layer header type (LINKTYPE_* value from the tcpdump.org registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u16);

impl LinkType {
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    pub const PPP: LinkType = LinkType(9);
    pub const FDDI: LinkType = LinkType(10);
    pub const RAW_OPENBSD: LinkType = LinkType(12);
    pub const RAW_BSDOS: LinkType = LinkType(14);
    pub const PPP_HDLC: LinkType = LinkType(50);
    pub const RAW: LinkType = LinkType(101);
    pub const C_HDLC: LinkType = LinkType(104);
    pub const LOOP: LinkType = LinkType(108);
    pub const IEEE802_11: LinkType = LinkType(105);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const RADIOTAP: LinkType = LinkType(127);
    pub const PPI: LinkType = LinkType(192);
    pub const PPP_WITH_DIR: LinkType = LinkType(204);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const NFLOG: LinkType = LinkType(239);
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// The registry's short name, for `info` output and diagnostics.
    pub fn name(self) -> &'static str {
        match self {
            LinkType::NULL => "NULL",
            LinkType::ETHERNET => "ETHERNET",
            LinkType::PPP => "PPP",
            LinkType::FDDI => "FDDI",
            LinkType::RAW_OPENBSD | LinkType::RAW_BSDOS | LinkType::RAW => "RAW",
            LinkType::PPP_HDLC => "PPP_HDLC",
            LinkType::C_HDLC => "C_HDLC",
            LinkType::LOOP => "LOOP",
            LinkType::IEEE802_11 => "IEEE802_11",
            LinkType::LINUX_SLL => "LINUX_SLL",
            LinkType::RADIOTAP => "IEEE802_11_RADIOTAP",
            LinkType::PPI => "PPI",
            LinkType::PPP_WITH_DIR => "PPP_WITH_DIR",
            LinkType::IPV4 => "IPV4",
            LinkType::IPV6 => "IPV6",
            LinkType::NFLOG => "NFLOG",
            LinkType::LINUX_SLL2 => "LINUX_SLL2",
            _ => "OTHER",
        }
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

/// A point in time as seconds and nanoseconds since the Unix epoch (UTC).
///
/// Kept as a pair rather than one `i64` of nanoseconds because pcapng allows 64-bit
/// timestamps in any unit, which can lie past the year 2262.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub secs: i64,
    /// Always below 1_000_000_000.
    pub nanos: u32,
}

impl std::str::FromStr for Timestamp {
    type Err = String;

    /// An RFC 3339 date-time (`2024-01-01T00:00:00Z`), or Unix seconds with an optional
    /// fraction (`1700000000.5`), not before 1970.
    fn from_str(s: &str) -> Result<Timestamp, String> {
        let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
        if let Ok(secs) = secs.parse::<i64>() {
            if frac.len() <= 9 && frac.chars().all(|c| c.is_ascii_digit()) && secs >= 0 {
                let nanos = format!("{frac:0<9}").parse::<u32>().unwrap_or(0);
                return Ok(Timestamp::new(secs, nanos));
            }
        }
        let t = humantime::parse_rfc3339_weak(s).map_err(|e| {
            format!("'{s}' is neither RFC 3339 (2024-01-01T00:00:00Z) nor Unix seconds: {e}")
        })?;
        let d = t
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| format!("'{s}' is before 1970"))?;
        Ok(Timestamp::new(d.as_secs() as i64, d.subsec_nanos()))
    }
}

impl Timestamp {
    pub fn new(secs: i64, nanos: u32) -> Self {
        Timestamp {
            secs: secs + i64::from(nanos / 1_000_000_000),
            nanos: nanos % 1_000_000_000,
        }
    }

    /// From a count of `units` (units per second: 10^k or 2^k, as pcapng's `if_tsresol`).
    pub fn from_units(count: u64, units_per_sec: u64) -> Self {
        let secs = count / units_per_sec;
        let frac = count % units_per_sec;
        // frac < units_per_sec, so frac * 1e9 fits in u128 without loss.
        let nanos = (u128::from(frac) * 1_000_000_000 / u128::from(units_per_sec)) as u32;
        Timestamp {
            secs: secs.min(i64::MAX as u64) as i64,
            nanos,
        }
    }

    /// Adds a number of nanoseconds (may be negative).
    pub fn add_nanos(self, delta: i128) -> Self {
        let total = i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos) + delta;
        Timestamp {
            secs: total.div_euclid(1_000_000_000) as i64,
            nanos: total.rem_euclid(1_000_000_000) as u32,
        }
    }

    /// Nanoseconds since the epoch, for arithmetic over differences.
    pub fn as_nanos(self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos)
    }

    /// The UTC calendar date (year, month, day), proleptic Gregorian.
    ///
    /// ```
    /// use pcaptool::capture::Timestamp;
    /// assert_eq!(Timestamp::new(0, 0).date(), (1970, 1, 1));
    /// assert_eq!(Timestamp::new(951_782_400, 0).date(), (2000, 2, 29));
    /// assert_eq!(Timestamp::new(-1, 0).date(), (1969, 12, 31));
    /// ```
    pub fn date(self) -> (i64, u32, u32) {
        // Days to a date by 400-year eras of 146,097 days, each starting on 1 March so
        // that the leap day ends the year (H. Hinnant's civil-from-days method).
        let days = self.secs.div_euclid(86_400) + 719_468;
        let era = days.div_euclid(146_097);
        let day_of_era = days.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        } as u32;
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        (year, month, day)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs, self.nanos)
    }
}

/// What can go wrong while reading a capture. Offsets are byte offsets into the
/// (decompressed) capture stream.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The input does not start like any capture format we know.
    #[error("{}", unknown_format(magic))]
    UnknownFormat { magic: Vec<u8> },
    /// A recognised format, but a version or header field we cannot read.
    #[error("unsupported capture: {what} at offset {offset}")]
    Unsupported { what: String, offset: u64 },
    /// A record or block header that cannot be right (length, alignment, trailer).
    #[error("corrupt capture: {what} at offset {offset}")]
    Corrupt { what: String, offset: u64 },
    /// The input ended inside a record: every record before it is complete.
    #[error("capture cut short: the record at offset {offset} needs {needed} bytes, only {available} remain")]
    Truncated {
        offset: u64,
        needed: u64,
        available: u64,
    },
    // The cause is in the text, so it is not also a `source` (it would print twice).
    #[error("read error at offset {offset}: {cause}")]
    Io { offset: u64, cause: std::io::Error },
}

fn unknown_format(magic: &[u8]) -> String {
    if magic.is_empty() {
        "not a capture file: the input is empty".to_string()
    } else {
        format!("not a capture file: unknown magic {magic:02x?} at offset 0")
    }
}

impl CaptureError {
    /// True for "the file ended early": all complete records were delivered, so callers
    /// warn and carry on with what they have.
    pub fn is_truncation(&self) -> bool {
        matches!(self, CaptureError::Truncated { .. })
    }

    /// True when the input is not (or no longer) a readable capture: exit status 2.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            CaptureError::UnknownFormat { .. }
                | CaptureError::Unsupported { .. }
                | CaptureError::Corrupt { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_units() {
        assert_eq!(
            Timestamp::from_units(1_500_000, 1_000_000),
            Timestamp::new(1, 500_000_000)
        );
        assert_eq!(Timestamp::from_units(3, 2), Timestamp::new(1, 500_000_000));
        assert_eq!(
            Timestamp::new(1, 1_500_000_000),
            Timestamp::new(2, 500_000_000)
        );
        assert_eq!(
            Timestamp::new(1, 0).add_nanos(-1),
            Timestamp::new(0, 999_999_999)
        );
    }

    #[test]
    fn timestamps_from_text() {
        let parse = |s: &str| s.parse::<Timestamp>();
        assert_eq!(
            parse("1700000000.5"),
            Ok(Timestamp::new(1_700_000_000, 500_000_000))
        );
        assert_eq!(parse("1700000000"), Ok(Timestamp::new(1_700_000_000, 0)));
        assert_eq!(parse("0.000000001"), Ok(Timestamp::new(0, 1)));
        assert_eq!(
            parse("2024-01-01T00:00:00Z"),
            Ok(Timestamp::new(1_704_067_200, 0))
        );
        assert!(parse("yesterday").is_err());
        assert!(parse("-5").is_err());
        assert!(parse("1.0000000001").is_err());
    }
}
