//! Files of names, one per line (`query --batch`, `gen dns --names-file`), read a line
//! at a time: memory does not grow with the file, `#` starts a comment, blank lines are
//! skipped, and a line longer than [`MAX_LINE`] ends the reading with an error naming
//! it (a device or a binary file is not a names file).

use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

/// The longest line a names file may have.
pub const MAX_LINE: usize = 4096;

/// What is wrong with a names file, and where.
#[derive(Debug, thiserror::Error)]
pub enum NamesError {
    #[error("{file}: cannot read: {cause}")]
    Read { file: String, cause: io::Error },
    #[error(
        "{file}:{line}: a line longer than {MAX_LINE} bytes: the rest of the file is not read"
    )]
    LineTooLong { file: String, line: usize },
}

/// A names file being read.
pub struct NamesFile {
    name: String,
    path: PathBuf,
    input: Box<dyn BufRead + Send>,
    line: usize,
    done: bool,
}

impl NamesFile {
    /// Opens `path` (`-` is standard input).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("names.txt");
    /// std::fs::write(&path, "example.com  # a comment\n\nwww.example.org AAAA\n").unwrap();
    /// let mut names = pcaptool::names::NamesFile::open(&path).unwrap();
    /// let lines: Vec<(usize, String)> = std::iter::from_fn(|| names.next_line())
    ///     .map(Result::unwrap)
    ///     .collect();
    /// assert_eq!(lines, [(1, "example.com".to_string()), (3, "www.example.org AAAA".to_string())]);
    /// ```
    pub fn open(path: &Path) -> Result<NamesFile, NamesError> {
        let name = path.display().to_string();
        let input: Box<dyn BufRead + Send> = if path.as_os_str() == "-" {
            Box::new(io::BufReader::new(io::stdin()))
        } else {
            let file = std::fs::File::open(path).map_err(|cause| NamesError::Read {
                file: name.clone(),
                cause,
            })?;
            Box::new(io::BufReader::new(file))
        };
        Ok(NamesFile {
            name,
            path: path.to_path_buf(),
            input,
            line: 0,
            done: false,
        })
    }

    /// Is this standard input (which cannot be read twice)?
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == "-"
    }

    /// The next line with something on it (comment removed, trimmed), with its line
    /// number; `None` at the end or after an error.
    pub fn next_line(&mut self) -> Option<Result<(usize, String), NamesError>> {
        while !self.done {
            let mut bytes = Vec::new();
            self.line += 1;
            let read = (&mut self.input)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut bytes);
            match read {
                Err(cause) => {
                    self.done = true;
                    return Some(Err(NamesError::Read {
                        file: self.name.clone(),
                        cause,
                    }));
                }
                Ok(0) => self.done = true,
                Ok(_) if bytes.len() > MAX_LINE && !bytes.ends_with(b"\n") => {
                    self.done = true;
                    return Some(Err(NamesError::LineTooLong {
                        file: self.name.clone(),
                        line: self.line,
                    }));
                }
                Ok(_) => {
                    let text = String::from_utf8_lossy(&bytes);
                    let text = text.split('#').next().unwrap_or("").trim();
                    if !text.is_empty() {
                        return Some(Ok((self.line, text.to_string())));
                    }
                }
            }
        }
        None
    }

    /// The file's name as given, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }
}
