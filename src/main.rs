//! The `pcaptool` binary: parses arguments, dispatches to a subcommand, and turns the
//! outcome into an exit status (0 ok, 1 runtime or I/O error, 2 bad usage or bad input).

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use pcaptool::capture::CaptureError;
mod cli;
use cli::UsageError;

/// Craft, split and decode packet captures.
///
/// Reads pcap, pcapng and snoop files (gzip-compressed or not, recognised by content)
/// from a path or '-' for standard input.
///
/// Examples:
///   pcaptool gen syn --count 100 -o out.pcap
///   pcaptool info out.pcap
///   pcaptool split SkypeIRC.cap
///   pcaptool dns capture.pcap
///   pcaptool query example.com AAAA @9.9.9.9
///   pcaptool completions bash > /etc/bash_completion.d/pcaptool
#[derive(Debug, Parser)]
#[command(
    name = "pcaptool",
    version,
    about,
    long_about,
    max_term_width = 100,
    verbatim_doc_comment
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    Gen(cli::gen::Args),
    Info(cli::info::Args),
    Split(cli::split::Args),
    Dns(cli::dns::Args),
    Query(cli::query::Args),
    /// Print shell completions.
    ///
    /// Example: pcaptool completions zsh > ~/.zfunc/_pcaptool
    #[command(verbatim_doc_comment)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on standard output.
    ///
    /// Example: pcaptool man > pcaptool.1 && man ./pcaptool.1
    #[command(verbatim_doc_comment)]
    Man,
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| anyhow::Error::new(e).context("cannot write to standard output"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Gen(args) => cli::gen::run(args),
        Command::Info(args) => cli::info::run(args),
        Command::Split(args) => cli::split::run(args),
        Command::Dns(args) => cli::dns::run(args),
        Command::Query(args) => cli::query::run(args),
        // Made in memory, then written: a write error is an error, not a panic.
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "pcaptool", &mut script);
            write_stdout(&script)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(anyhow::Error::from)
                .and_then(|()| write_stdout(&page))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe (`pcaptool ... | head`) is the reader's choice, not an error.
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            if let Some(stop) = e.downcast_ref::<cli::Interrupted>() {
                eprintln!("pcaptool: {stop}");
                return ExitCode::from(stop.status);
            }
            if let Some(failure) = e.downcast_ref::<cli::query::QueryFailure>() {
                eprintln!("pcaptool: {failure}");
                return ExitCode::from(failure.status);
            }
            eprintln!("pcaptool: error: {}", cli::error_line(&e));
            let bad_input = e.chain().any(|c| {
                c.downcast_ref::<UsageError>().is_some()
                    || c.downcast_ref::<cli::InputsEndedEarly>().is_some_and(|e| e.bad_input)
                    || c.downcast_ref::<CaptureError>().is_some_and(CaptureError::is_bad_input)
                    || c.downcast_ref::<pcaptool::capture::OpenError>().is_some_and(|o| {
                        matches!(o, pcaptool::capture::OpenError::Capture(c) if c.is_bad_input())
                    })
            });
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}
