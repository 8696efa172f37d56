//! Ways of showing a DNS message, each a [`MessageSink`](crate::dns::decode::MessageSink)
//! where it shows many: Wireshark's Info text ([`info`], the oracle's own words) in the
//! [`text`] line, dig's presentation format ([`dig`]), [`json`] (with typed record data
//! from [`json_rdata`]) and [`csv`] through a [`LineSink`], and the [`stats`] summary.

pub mod csv;
pub mod dig;
pub mod digits;
pub mod info;
pub mod json;
pub mod json_rdata;
pub mod stats;
pub mod text;

use std::io::{self, Write};

use crate::dns::decode::{MessageSink, Row};

/// Writes each message as one line of text made by a view's line writer (JSON, CSV),
/// after an optional header line.
pub struct LineSink<W> {
    out: W,
    header: Option<&'static str>,
    write_line: fn(&mut String, &mut Vec<u8>, &Row<'_>),
    line: String,
    scratch: Vec<u8>,
}

impl<W: Write> LineSink<W> {
    /// One JSON object per line (`pcaptool dns --format json`).
    pub fn json(out: W) -> Self {
        Self::new(out, None, json::write_json)
    }

    /// A header line, then one CSV line per message (`pcaptool dns --format csv`).
    pub fn csv(out: W) -> Self {
        Self::new(out, Some(csv::CSV_HEADER), csv::write_csv)
    }

    fn new(
        out: W,
        header: Option<&'static str>,
        write_line: fn(&mut String, &mut Vec<u8>, &Row<'_>),
    ) -> Self {
        LineSink {
            out,
            header,
            write_line,
            line: String::with_capacity(1024),
            scratch: Vec::with_capacity(1024),
        }
    }
}

impl<W: Write + Send> MessageSink for LineSink<W> {
    fn start(&mut self) -> io::Result<()> {
        match self.header {
            Some(header) => writeln!(self.out, "{header}"),
            None => Ok(()),
        }
    }

    fn message(&mut self, row: &Row<'_>) -> io::Result<()> {
        self.line.clear();
        (self.write_line)(&mut self.line, &mut self.scratch, row);
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
