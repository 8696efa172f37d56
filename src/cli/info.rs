//! `pcaptool info`: arguments and printing for [`pcaptool::info`].

use std::path::PathBuf;

use anyhow::Result;

use super::{input_ended, open_input};

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

pub fn run(args: &Args) -> Result<()> {
    for path in &args.files {
        let mut reader = open_input(path)?;
        let summary = pcaptool::info::summarize(&mut reader, &mut |_| {});
        let gzip = if summary.gzip {
            ", gzip-compressed"
        } else {
            ""
        };
        let links: Vec<String> = summary
            .link_types
            .iter()
            .map(|(l, n)| format!("{l}: {n}"))
            .collect();
        let mut text = format!(
            "file: {}\nformat: {}{gzip}\npackets: {}\ncaptured bytes: {}\nlink types: {}\n",
            path.display(),
            summary.format.name(),
            summary.packets,
            summary.captured_bytes,
            links.join(", ")
        );
        if let (Some(first), Some(last)) = (summary.first, summary.last) {
            text.push_str(&format!("first: {first}\nlast: {last}\n"));
        }
        super::print(&text)?;
        input_ended(path, summary.pass, "")?;
    }
    Ok(())
}
