//! One module per subcommand: its `Args` (clap derive) and its `run`. Shared plumbing
//! for the command line lives here: output files, errors that mean "bad usage".

pub mod dns;
pub mod gen;
pub mod info;
pub mod query;
pub mod split;

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

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

    /// Updates the bar every 8192 packets with the input offset reached.
    pub fn tick(&self, packets: u64, offset: u64) {
        if let Some(bar) = &self.0 {
            if packets.is_multiple_of(8192) {
                bar.set_position(offset);
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
