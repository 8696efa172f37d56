//! `pcaptool info`: arguments and printing for [`pcaptool::info`], one summary per
//! capture, files read in parallel.

use std::path::PathBuf;

use anyhow::Result;

use super::{input_ended, open_inputs};
use pcaptool::capture::Pass;
use pcaptool::parallel::{default_jobs, map_in_order};

/// Summarise capture files: format, packet count, link types, first and last timestamps.
///
/// Directories are walked recursively (captures recognised by content).
///
/// Example: pcaptool info capture.pcapng rotated/
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Capture files or directories (pcap, pcapng, snoop; gzip-compressed or not); '-'
    /// reads standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Files read at once (default: the number of cores).
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub jobs: Option<u64>,
}

pub fn run(args: &Args) -> Result<()> {
    let set = open_inputs(&args.files)?;
    let jobs = args.jobs.map_or_else(default_jobs, |j| j as usize);
    let summaries = map_in_order(set.into_inputs(), jobs, |mut one| {
        let name = one.inputs()[0].name.clone();
        (name, pcaptool::info::summarize(&mut one, &mut |_| {}))
    });
    let mut ended = Pass::default();
    for (name, summary) in summaries {
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
            "file: {name}\nformat: {}{gzip}\npackets: {}\ncaptured bytes: {}\nlink types: {}\n",
            summary.format.name(),
            summary.packets,
            summary.captured_bytes,
            links.join(", ")
        );
        if let (Some(first), Some(last)) = (summary.first, summary.last) {
            // The least and greatest timestamps (records need not be in order), as
            // capinfos names them.
            text.push_str(&format!("earliest: {first}\nlatest: {last}\n"));
        }
        super::print(&text)?;
        ended.warnings.extend(summary.pass.warnings);
        ended.errors.extend(summary.pass.errors);
    }
    input_ended(ended, "")
}
