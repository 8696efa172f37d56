//! The text view: one line per message, `FRAME TIME SRC → DST PROTOCOL INFO`, with
//! the time relative to the capture's first record and Wireshark's Info column, as
//! `pcaptool dns` prints it by default.

use crate::dns::analysis::find::Protocol;
use crate::dns::decode::{Render, Row};
use crate::dns::view::digits::{push_ip, push_padded, push_u64};
use crate::dns::view::info;

/// Appends `row` as one line (with its newline).
pub fn write_line(text: &mut Vec<u8>, row: &Row<'_>) {
    let origin = row.origin;
    let (secs, nanos) = row.relative_parts();
    push_u64(text, origin.frame);
    text.push(b' ');
    push_u64(text, secs);
    text.push(b'.');
    push_padded(text, u64::from(nanos / 1000), 6);
    text.push(b' ');
    push_ip(text, origin.src);
    text.extend_from_slice(" → ".as_bytes());
    push_ip(text, origin.dst);
    text.push(b' ');
    text.extend_from_slice(origin.protocol.name().as_bytes());
    text.push(b' ');
    info::write_info(
        row.bytes,
        origin.reported_len,
        origin.protocol == Protocol::Mdns,
        text,
    );
    text.push(b'\n');
}

/// One line per message; needs no decoded messages (the Info text walks the bytes
/// itself, as Wireshark does).
#[derive(Clone, Copy, Debug, Default)]
pub struct TextRender;

impl Render for TextRender {
    fn wants_decoded(&self) -> bool {
        false
    }

    fn render(&mut self, row: &Row<'_>, out: &mut Vec<u8>) {
        write_line(out, row);
    }
}
