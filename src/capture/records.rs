//! The one record loop every engine reads through: records in order, a progress
//! callback every few thousand records, and how the input ended (clean, cut short, or
//! damaged at an offset) together with the reader's warnings.

use std::ops::ControlFlow;

use super::{CaptureError, CaptureReader, Record};

/// Records between two calls of the progress callback.
pub const PROGRESS_EVERY: u64 = 8192;

/// How a pass over a capture ended.
#[derive(Debug, Default)]
pub struct Pass {
    /// Records handed to the callback.
    pub records: u64,
    /// Oddities the reader read past (at most the first 100).
    pub warnings: Vec<String>,
    /// `None` at the end of the input (or when the callback stopped early); otherwise
    /// why reading stopped. Every complete record before it was delivered: a
    /// [truncation](CaptureError::is_truncation) is a warning, anything else bad input
    /// or an I/O error.
    pub error: Option<CaptureError>,
}

/// Calls `each` for every record of `reader` until the input ends, `each` breaks, or
/// the input turns out damaged; `progress` gets the input offset reached every
/// [`PROGRESS_EVERY`] records.
///
/// ```
/// use std::ops::ControlFlow;
/// use pcaptool::capture::{for_each_record, CaptureReader};
/// // A pcap header (Ethernet) and one 4-byte record.
/// let mut file = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/// file.extend_from_slice(&[0, 0, 4, 0, 1, 0, 0, 0]);
/// file.extend_from_slice(&[10, 0, 0, 0, 7, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4]);
/// let mut reader = CaptureReader::new(Box::new(std::io::Cursor::new(file))).unwrap();
/// let mut lengths = Vec::new();
/// let pass = for_each_record(&mut reader, &mut |_| {}, |record| {
///     lengths.push(record.data.len());
///     ControlFlow::Continue(())
/// });
/// assert_eq!((pass.records, lengths, pass.error.is_none()), (1, vec![4], true));
/// ```
pub fn for_each_record(
    reader: &mut CaptureReader,
    progress: &mut dyn FnMut(u64),
    mut each: impl FnMut(&Record<'_>) -> ControlFlow<()>,
) -> Pass {
    let mut pass = Pass::default();
    loop {
        match reader.next_record() {
            Ok(Some(record)) => {
                pass.records += 1;
                if pass.records.is_multiple_of(PROGRESS_EVERY) {
                    progress(record.offset);
                }
                if each(&record).is_break() {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                pass.error = Some(e);
                break;
            }
        }
    }
    pass.warnings = reader.take_warnings();
    pass
}
