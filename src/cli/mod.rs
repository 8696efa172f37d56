//! The command line: one module per subcommand with its `Args` (clap derive) and its
//! `run`, which turns the arguments into an engine's config, applies file-system policy,
//! shows progress and prints. Shared plumbing lives here: opening inputs, output files,
//! warnings, errors that mean "bad usage". No protocol, flow or DNS logic.

pub mod dns;
pub mod gen;
pub mod info;
pub mod query;
pub mod split;

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use pcaptool::capture::{CaptureError, CaptureSet, Pass, SetError};

/// An error in what the user asked for (exit status 2), found after argument parsing.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Shorthand for returning a [`UsageError`].
pub fn usage<T>(message: impl Into<String>) -> Result<T> {
    Err(UsageError(message.into()).into())
}

/// Where a produced capture goes: standard output, or a file written under a temporary
/// name and renamed into place by [`Output::commit`], so that a failed run never leaves
/// a half-written file behind.
pub enum Output {
    Stdout(io::Stdout),
    File {
        file: File,
        temp: PathBuf,
        target: PathBuf,
    },
}

impl Output {
    /// Opens `path` (`-` is standard output, refused when it is a terminal).
    pub fn create(path: &Path) -> Result<Output> {
        if path.as_os_str() == "-" {
            let stdout = io::stdout();
            if stdout.is_terminal() {
                return usage("refusing to write a binary capture to a terminal: give -o FILE or pipe the output");
            }
            return Ok(Output::Stdout(stdout));
        }
        if path.is_dir() {
            return usage(format!(
                "{} is a directory: -o names the capture file to write",
                path.display()
            ));
        }
        let name = path
            .file_name()
            .with_context(|| format!("{}: not a file name", path.display()))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".partial-{}", std::process::id()));
        let temp = path.with_file_name(temp_name);
        let file =
            File::create(&temp).with_context(|| format!("cannot create {}", temp.display()))?;
        Ok(Output::File {
            file,
            temp,
            target: path.to_path_buf(),
        })
    }

    /// Moves a finished file into place (no-op for standard output).
    pub fn commit(self) -> Result<()> {
        match self {
            Output::Stdout(mut s) => Ok(s.flush()?),
            Output::File { file, temp, target } => {
                drop(file);
                std::fs::rename(&temp, &target).with_context(|| {
                    format!("cannot rename {} to {}", temp.display(), target.display())
                })
            }
        }
    }

    /// The temporary file being written, if any (to remove after a failure when the
    /// output itself is gone).
    pub fn temp_path(&self) -> Option<PathBuf> {
        match self {
            Output::Stdout(_) => None,
            Output::File { temp, .. } => Some(temp.clone()),
        }
    }

    /// Removes the partial file after a failure.
    pub fn abandon(self) {
        if let Output::File { temp, .. } = self {
            let _ = std::fs::remove_file(temp);
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(s) => s.write(buf),
            Output::File { file, .. } => file.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(s) => s.write_all(buf),
            Output::File { file, .. } => file.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(s) => s.flush(),
            Output::File { file, .. } => file.flush(),
        }
    }
}

/// Prints a warning on standard error in the one format every subcommand uses.
pub fn warn(message: impl std::fmt::Display) {
    eprintln!("pcaptool: warning: {message}");
}

/// A progress bar on stderr, only when it is a terminal.
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    /// A bar sized by all inputs (a spinner when a size is unknown: standard input,
    /// gzip).
    pub fn new(set: &CaptureSet, quiet: bool) -> Progress {
        if quiet || !io::stderr().is_terminal() {
            return Progress(None);
        }
        let size: Option<u64> = set.inputs().iter().map(|i| i.size).sum();
        let bar = match size {
            Some(len) => indicatif::ProgressBar::new(len).with_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            ),
            None => indicatif::ProgressBar::new_spinner(),
        };
        Progress(Some(bar))
    }

    /// Moves the bar to the input offset reached (the record loop calls this every
    /// few thousand records).
    pub fn set(&self, offset: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(offset);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Opens every input (files, directories walked recursively, `-`) as one capture
/// set, before any work: a missing input is an I/O error (exit 1), a named file that is
/// not a capture bad input (exit 2). Files in directories that are not captures are
/// skipped and counted on stderr.
pub fn open_inputs(paths: &[PathBuf]) -> Result<CaptureSet> {
    let set = CaptureSet::open(paths).map_err(|e| match e {
        SetError::NotCapture { path, error } => {
            anyhow::Error::new(error).context(path.display().to_string())
        }
        SetError::StdinTwice | SetError::Empty => UsageError(e.to_string()).into(),
        other => other.into(),
    })?;
    if !set.skipped().is_empty() {
        warn(format_args!(
            "{} files in the directories given are not captures and were skipped (the first: {})",
            set.skipped().len(),
            set.skipped()[0].display()
        ));
    }
    Ok(set)
}

/// A run stopped by a signal after finishing what it could: exit status 128 + signal.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub struct Interrupted {
    pub what: String,
    pub status: u8,
}

/// A damaged input among several: printed as it is met; the run goes on and exits 2.
#[derive(Debug, thiserror::Error)]
#[error("{count} inputs ended early (each said above)")]
pub struct InputsEndedEarly {
    pub count: usize,
    /// Some of them are not (or no longer) captures: exit status 2, else 1.
    pub bad_input: bool,
}

/// Reports how reading ended: the readers' warnings, a cut-short input as a warning
/// (with `after_cut`, what was still done), damage as an error (each damaged input
/// named; with several, one line each and a summary).
pub fn input_ended(pass: Pass, after_cut: &str) -> Result<()> {
    for w in &pass.warnings {
        warn(w);
    }
    let mut bad: Vec<anyhow::Error> = Vec::new();
    for (name, e) in pass.errors {
        if e.is_truncation() {
            warn(format_args!("{name}: {e}{after_cut}"));
        } else {
            bad.push(anyhow::Error::new(e).context(name));
        }
    }
    match bad.len() {
        0 => Ok(()),
        1 => Err(bad.remove(0)),
        n => {
            let bad_input = bad.iter().any(|e| {
                e.downcast_ref::<CaptureError>()
                    .is_some_and(CaptureError::is_bad_input)
            });
            for e in &bad {
                eprintln!("pcaptool: error: {}", error_line(e));
            }
            Err(InputsEndedEarly {
                count: n,
                bad_input,
            }
            .into())
        }
    }
}

/// Writes text to standard output; a write error (a closed pipe included) is returned,
/// never a panic.
pub fn print(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to standard output")
}

/// An error and its causes on one line, each said once: a cause whose text the line
/// already holds (an error that prints its source itself) is left out.
pub fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}
