//! `pcaptool dns`: arguments, the choice of sink and the notes printed for
//! [`pcaptool::dns::decode`].

use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use super::{input_ended, open_inputs, warn, Output, Progress, UsageError};
use pcaptool::dns::decode::{decode, render, Config, Filter};
use pcaptool::dns::view::dig::DigRender;
use pcaptool::dns::view::parquet::{dataset::Layout, ParquetSink, TableConfig};
use pcaptool::dns::view::stats::{StatsFormat, StatsSink};
use pcaptool::dns::view::text::TextRender;
use pcaptool::dns::view::LineRender;
use pcaptool::dns::wire::registry as types;
use pcaptool::dns::Name;
use pcaptool::parallel::default_jobs;

/// Decode every DNS message in a capture: UDP and TCP (reassembled), IPv4 and IPv6
/// (fragments reassembled), mDNS and LLMNR labelled as such.
///
/// The default output is one line per message: frame number, time since the first
/// packet, source → destination, protocol, and the text of Wireshark's Info column.
///
/// Examples:
///   pcaptool dns capture.pcap
///   pcaptool dns capture.pcapng --format json | jq .questions
///   pcaptool dns capture.pcap --format dig --qtype MX
///   pcaptool dns big.pcap.gz --stats --top 20
///   pcaptool dns capture.pcap --port 8053 --qtype AAAA --rcode NXDOMAIN --name example.com
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Captures to read as one, merged in time order: files, directories (walked, captures
    /// recognised by content), '-' for standard input; gzip is recognised.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Threads that render messages (default: the number of cores); the output is the
    /// same for every number.
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub jobs: Option<u64>,
    /// Output: text (Wireshark's Info line), json (one object per line), csv, dig
    /// (every message as dig shows a reply, after a line saying where it came from), or
    /// parquet (one row per query joined with its response, ENTRADA's columns; needs -o).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// The file --format parquet writes (`-` for standard output), whole or not at all;
    /// with --partition-by, the dataset's directory.
    #[arg(short, long, value_name = "FILE|DIR")]
    pub output: Option<PathBuf>,
    /// Replace an existing -o file.
    #[arg(long)]
    pub force: bool,
    /// Write -o DIR as a dataset in the hive layout: DIR/date=YYYY-MM-DD/part-….parquet,
    /// with `date,server` a server=NAME level below (NAME from --server). Runs only add
    /// part files, never replace one.
    #[arg(long, value_name = "date|date,server", value_parser = ["date", "date,server"])]
    pub partition_by: Option<String>,
    /// Seconds a query waits for its response (capture time) before --format parquet
    /// writes it as unanswered.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub match_timeout: f64,
    /// The `server` column of --format parquet: the name server the capture was taken at.
    #[arg(long, value_name = "NAME", default_value = "")]
    pub server: String,
    /// The `server_location` column of --format parquet.
    #[arg(long, value_name = "LOCATION", default_value = "")]
    pub server_location: String,
    /// Also look for DNS on this UDP/TCP port (repeatable); 53, 5353 (mDNS) and 5355
    /// (LLMNR) are always on. Example: --port 8053
    #[arg(long = "port", value_name = "PORT")]
    pub ports: Vec<u16>,
    /// Print a summary instead of the messages: counts of queries by type, responses by
    /// rcode, messages by opcode, the most asked names, and query/response matching
    /// by (client, server, ports, ID, question) with response times.
    #[arg(long)]
    pub stats: bool,
    /// Every field of every message, as tshark -n -V (Wireshark's packet details) shows
    /// it: the frame, Ethernet, IP and UDP/TCP headers field by field, then the DNS
    /// part: flags bit by bit, each question and record with its typed fields.
    #[arg(short = 'V', long, conflicts_with_all = ["stats", "format"])]
    pub verbose: bool,
    /// How many names the --stats summary lists.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
    /// Only messages whose first question has this type (repeatable). Example: --qtype AAAA
    #[arg(long, value_parser = types::type_from_text, value_name = "TYPE")]
    pub qtype: Vec<u16>,
    /// Only responses with this rcode, EDNS-extended (repeatable). Example: --rcode NXDOMAIN
    #[arg(long, value_parser = types::rcode_from_text, value_name = "RCODE")]
    pub rcode: Vec<u16>,
    /// Only messages whose first question is this name or below it. Example: --name example.com
    #[arg(long, value_name = "SUFFIX")]
    pub name: Option<String>,
    /// Only queries.
    #[arg(long, conflicts_with = "responses")]
    pub queries: bool,
    /// Only responses.
    #[arg(long)]
    pub responses: bool,
    /// Only the DNS ports: do not also recognise DNS on other UDP ports by its look (as
    /// tshark's heuristic, on by default, does for ports from 1024 up).
    #[arg(long)]
    pub no_heuristic: bool,
    /// No progress bar, no warnings about TCP gaps.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Csv,
    Dig,
    Parquet,
}

pub fn run(args: &Args) -> Result<()> {
    let name = match &args.name {
        Some(n) => Some(
            n.parse::<Name>()
                .map_err(|e| UsageError(format!("--name {n}: {e}")))?,
        ),
        None => None,
    };
    if args.stats
        && matches!(
            args.format,
            OutputFormat::Csv | OutputFormat::Dig | OutputFormat::Parquet
        )
    {
        return Err(UsageError(
            "--stats prints its summary as text (the default) or json, not csv, dig or parquet"
                .into(),
        )
        .into());
    }
    if args.partition_by.is_some() && args.format != OutputFormat::Parquet {
        return Err(UsageError("--partition-by is for --format parquet".into()).into());
    }
    if !(args.match_timeout >= 0.0 && args.match_timeout <= 1e9) {
        return Err(UsageError(format!(
            "--match-timeout {}: give seconds, 0 or more",
            args.match_timeout
        ))
        .into());
    }
    let parquet_output = match (&args.output, args.format) {
        (Some(path), OutputFormat::Parquet) if args.partition_by.is_some() => {
            if path.as_os_str() == "-" || (path.exists() && !path.is_dir()) {
                return Err(UsageError(format!(
                    "--partition-by writes a directory of files: {} is not one",
                    path.display()
                ))
                .into());
            }
            Some(path)
        }
        (Some(path), OutputFormat::Parquet) => {
            if path.as_os_str() != "-" && path.exists() && !args.force {
                return Err(UsageError(format!(
                    "{} exists (use --force to replace it)",
                    path.display()
                ))
                .into());
            }
            Some(path)
        }
        (None, OutputFormat::Parquet) => {
            return Err(UsageError("--format parquet writes a file: give -o FILE".into()).into())
        }
        (Some(_), _) => {
            return Err(UsageError(
                "-o is for --format parquet; other formats go to standard output".into(),
            )
            .into())
        }
        (None, _) => None,
    };
    let config = Config {
        ports: args.ports.clone(),
        heuristic: !args.no_heuristic,
        filter: Filter {
            qtypes: args.qtype.clone(),
            rcodes: args.rcode.clone(),
            name,
            only_queries: args.queries,
            only_responses: args.responses,
        },
        handshake_times: args.format == OutputFormat::Parquet,
    };
    let mut set = open_inputs(&args.inputs)?;
    let progress = Progress::new(&set, args.quiet);
    let out = BufWriter::with_capacity(256 << 10, io::stdout());
    let mut tick = |offset| progress.set(offset);
    let jobs = args.jobs.map_or_else(default_jobs, |j| j as usize);
    let result = if let Some(path) = parquet_output {
        let table = TableConfig {
            server: args.server.clone(),
            server_location: args.server_location.clone(),
            timeout: Duration::from_secs_f64(args.match_timeout),
            files: set.inputs().iter().map(|i| file_name(&i.path)).collect(),
            ..TableConfig::default()
        };
        if let Some(by) = &args.partition_by {
            let layout = Layout {
                dir: path.clone(),
                by_server: by == "date,server",
            };
            let mut sink = ParquetSink::dataset(layout, table)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let report = decode(&mut set, &config, &mut sink, &mut tick)
                .with_context(|| format!("cannot write {}", path.display()))?;
            if !args.quiet {
                eprintln!(
                    "pcaptool: {} rows ({} matched) in {} new part files under {}",
                    sink.rows,
                    sink.matched,
                    sink.written().len(),
                    path.display()
                );
            }
            Ok(report)
        } else {
            let output = Output::create(path)?;
            let temp = output.temp_path();
            let written = ParquetSink::new(output, table).and_then(|mut sink| {
                let report = decode(&mut set, &config, &mut sink, &mut tick)?;
                Ok((report, sink.into_output()))
            });
            match written {
                Ok((report, Some(output))) => {
                    output.commit()?;
                    Ok(report)
                }
                Ok((_, None)) => unreachable!("a finished sink gives its output back"),
                Err(e) => {
                    if let Some(temp) = temp {
                        let _ = std::fs::remove_file(temp);
                    }
                    return Err(
                        anyhow::Error::new(e).context(format!("cannot write {}", path.display()))
                    );
                }
            }
        }
    } else if args.verbose {
        decode(
            &mut set,
            &config,
            &mut pcaptool::dns::view::detail::DetailSink::new(out),
            &mut tick,
        )
    } else if args.stats {
        let format = match args.format {
            OutputFormat::Json => StatsFormat::Json,
            _ => StatsFormat::Text,
        };
        decode(
            &mut set,
            &config,
            &mut StatsSink::new(out, format, args.top),
            &mut tick,
        )
    } else {
        let set = &mut set;
        match args.format {
            OutputFormat::Text => render(set, &config, TextRender, out, jobs, &mut tick),
            OutputFormat::Json => render(set, &config, LineRender::json(), out, jobs, &mut tick),
            OutputFormat::Csv => render(set, &config, LineRender::csv(), out, jobs, &mut tick),
            OutputFormat::Dig => render(set, &config, DigRender, out, jobs, &mut tick),
            OutputFormat::Parquet => unreachable!("parquet has -o, checked above"),
        }
    };
    progress.finish();
    let mut report = result.context("cannot write to standard output")?;
    for w in std::mem::take(&mut report.pass.warnings) {
        warn(w);
    }
    if !args.quiet {
        for note in &report.notes {
            warn(note);
        }
        if report.notes_seen > report.notes.len() as u64 {
            warn(format_args!(
                "{} more notes about TCP gaps and fragments not shown",
                report.notes_seen - report.notes.len() as u64
            ));
        }
    }
    input_ended(report.pass, "")
}

/// The `pcap_file` column: an input's file name (`-` for standard input).
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
