//! The one record loop every engine reads through: records of a [`CaptureSet`] in time
//! order, a progress callback every few thousand records, and how the inputs ended
//! (clean, cut short, or damaged at an offset) together with the readers' warnings.

use std::ops::ControlFlow;

use super::{CaptureError, CaptureSet, Record};

/// Records between two calls of the progress callback.
pub const PROGRESS_EVERY: u64 = 8192;

/// How a pass over a set of captures ended.
#[derive(Debug, Default)]
pub struct Pass {
    /// Records handed to the callback.
    pub records: u64,
    /// Oddities the readers read past (at most the first 100 per input), each starting
    /// with its input's name.
    pub warnings: Vec<String>,
    /// Inputs that ended early, with why. Every complete record before was delivered:
    /// a [truncation](CaptureError::is_truncation) is a warning, anything else bad input
    /// or an I/O error.
    pub errors: Vec<(String, CaptureError)>,
}

/// Calls `each` for every record of `set`, in time order, until the inputs end or
/// `each` breaks; `progress` gets the bytes read over all inputs every
/// [`PROGRESS_EVERY`] records.
///
/// ```
/// use std::ops::ControlFlow;
/// use pcaptool::capture::{for_each_record, CaptureReader, CaptureSet};
/// // A pcap header (Ethernet) and one 4-byte record.
/// let mut file = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/// file.extend_from_slice(&[0, 0, 4, 0, 1, 0, 0, 0]);
/// file.extend_from_slice(&[10, 0, 0, 0, 7, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4]);
/// let reader = CaptureReader::new(Box::new(std::io::Cursor::new(file))).unwrap();
/// let mut set = CaptureSet::single("memory", reader);
/// let mut lengths = Vec::new();
/// let pass = for_each_record(&mut set, &mut |_| {}, |record| {
///     lengths.push(record.data.len());
///     ControlFlow::Continue(())
/// });
/// assert_eq!((pass.records, lengths, pass.errors.is_empty()), (1, vec![4], true));
/// ```
pub fn for_each_record(
    set: &mut CaptureSet,
    progress: &mut dyn FnMut(u64),
    mut each: impl FnMut(&Record<'_>) -> ControlFlow<()>,
) -> Pass {
    let mut pass = Pass::default();
    loop {
        if pass.records.is_multiple_of(PROGRESS_EVERY) && pass.records > 0 {
            progress(set.offset());
        }
        let Some(record) = set.next_record() else {
            break;
        };
        pass.records += 1;
        if each(&record).is_break() {
            break;
        }
    }
    pass.warnings = set.take_warnings();
    pass.errors = set.take_errors();
    pass
}
