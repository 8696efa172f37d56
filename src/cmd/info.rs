//! `pcaptool info`: what a capture holds (format, link types, packets, time span),
//! like capinfos. Reads every record, so it also checks that a file is readable.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::capture::{self, LinkType, Timestamp};

/// Summarise capture files: format, packet count, link types, first and last timestamps.
///
/// Example: pcaptool info capture.pcapng
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Capture files (pcap, pcapng, snoop; gzip-compressed or not); '-' reads standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// What one pass over a capture found.
#[derive(Debug, Default)]
pub struct Summary {
    pub packets: u64,
    pub captured_bytes: u64,
    pub link_types: BTreeMap<LinkType, u64>,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

pub fn run(args: &Args) -> Result<()> {
    for path in &args.files {
        let shown = path.display();
        let mut reader = capture::open(path).with_context(|| format!("{shown}"))?;
        let mut summary = Summary::default();
        let outcome = loop {
            match reader.next_record() {
                Ok(Some(record)) => {
                    summary.packets += 1;
                    summary.captured_bytes += record.data.len() as u64;
                    *summary.link_types.entry(record.link_type).or_default() += 1;
                    summary.first = Some(summary.first.map_or(record.ts, |f| f.min(record.ts)));
                    summary.last = Some(summary.last.map_or(record.ts, |l| l.max(record.ts)));
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        println!("file: {shown}");
        let gzip = if reader.is_gzip() {
            ", gzip-compressed"
        } else {
            ""
        };
        println!("format: {}{gzip}", reader.format().name());
        println!("packets: {}", summary.packets);
        println!("captured bytes: {}", summary.captured_bytes);
        let links: Vec<String> = summary
            .link_types
            .iter()
            .map(|(l, n)| format!("{l}: {n}"))
            .collect();
        println!("link types: {}", links.join(", "));
        if let (Some(first), Some(last)) = (summary.first, summary.last) {
            println!("first: {first}");
            println!("last: {last}");
        }
        for w in reader.take_warnings() {
            super::warn(format_args!("{shown}: {w}"));
        }
        match outcome {
            Ok(()) => {}
            Err(e) if e.is_truncation() => super::warn(format_args!("{shown}: {e}")),
            Err(e) => return Err(e).with_context(|| format!("{shown}")),
        }
    }
    Ok(())
}
