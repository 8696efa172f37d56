//! Ways of showing a DNS message, each a [`Render`] (or, for the statistics, a
//! [`MessageSink`](crate::dns::decode::MessageSink)) where it shows many: Wireshark's Info text ([`info`], the oracle's own words) in the
//! [`text`] line, dig's presentation format ([`dig`]), [`json`] (with typed record data
//! from [`json_rdata`]) and [`csv`] through a [`LineRender`], the [`stats`] summary,
//! and tshark's packet details ([`detail`], `dns -V`).

pub mod csv;
pub mod detail;
pub mod dig;
pub mod digits;
pub mod info;
pub mod json;
pub mod json_rdata;
pub mod parquet;
pub mod stats;
pub mod text;

use crate::dns::decode::{Render, Row};

/// Each message as one line of text made by a view's line writer (JSON, CSV), after
/// an optional header line.
#[derive(Clone)]
pub struct LineRender {
    header: Option<&'static str>,
    write_line: fn(&mut String, &mut Vec<u8>, &Row<'_>),
    line: String,
    scratch: Vec<u8>,
}

impl LineRender {
    /// One JSON object per line (`pcaptool dns --format json`).
    pub fn json() -> Self {
        Self::new(None, json::write_json)
    }

    /// A header line, then one CSV line per message (`pcaptool dns --format csv`).
    pub fn csv() -> Self {
        Self::new(Some(csv::CSV_HEADER), csv::write_csv)
    }

    fn new(
        header: Option<&'static str>,
        write_line: fn(&mut String, &mut Vec<u8>, &Row<'_>),
    ) -> Self {
        LineRender {
            header,
            write_line,
            line: String::with_capacity(1024),
            scratch: Vec::with_capacity(1024),
        }
    }
}

impl Render for LineRender {
    fn start(&self, out: &mut Vec<u8>) {
        if let Some(header) = self.header {
            out.extend_from_slice(header.as_bytes());
            out.push(b'\n');
        }
    }

    fn render(&mut self, row: &Row<'_>, out: &mut Vec<u8>) {
        self.line.clear();
        (self.write_line)(&mut self.line, &mut self.scratch, row);
        out.extend_from_slice(self.line.as_bytes());
        out.push(b'\n');
    }
}
