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

use pcaptool::capture::{self, CaptureReader, Pass};

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
    Stdout(io::StdoutLock<'static>),
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
            return Ok(Output::Stdout(stdout.lock()));
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
    /// A bar sized by the input file (a spinner for standard input and gzip).
    pub fn new(input: &Path, quiet: bool, gzip: bool) -> Progress {
        if quiet || !io::stderr().is_terminal() {
            return Progress(None);
        }
        let size = std::fs::metadata(input)
            .ok()
            .filter(|m| m.is_file() && !gzip)
            .map(|m| m.len());
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

/// Opens a capture input (`-` is standard input); errors name the path.
pub fn open_input(path: &Path) -> Result<CaptureReader> {
    capture::open(path).with_context(|| path.display().to_string())
}

/// Reports how reading `path` ended: the reader's warnings, a cut-short file as a
/// warning (with `after_cut`, what was still done), damage as an error.
pub fn input_ended(path: &Path, pass: Pass, after_cut: &str) -> Result<()> {
    let shown = path.display();
    for w in &pass.warnings {
        warn(format_args!("{shown}: {w}"));
    }
    match pass.error {
        None => Ok(()),
        Some(e) if e.is_truncation() => {
            warn(format_args!("{shown}: {e}{after_cut}"));
            Ok(())
        }
        Some(e) => Err(anyhow::Error::new(e).context(shown.to_string())),
    }
}

/// Writes text to standard output; a write error (a closed pipe included) is returned,
/// never a panic.
pub fn print(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
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
