//! A dataset in the hive layout that Spark, DuckDB and Trino read as one table:
//! `DIR/date=YYYY-MM-DD[/server=NAME]/part-….parquet`, one directory per day of the
//! rows' `time` (UTC), optionally one below it per server. The partition columns are in
//! the paths, not in the files (as Spark writes them). A run only ever adds files: each
//! part is written under a hidden temporary name and linked to a name no other part
//! has, so a cron job can add each rotated capture as it closes and readers never see
//! half a file.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::PathBuf;

use super::columns::Table;
use super::{Parts, TableConfig};

/// Days whose files are open at once; a row of another day closes the least recently
/// used (a later row of that day starts a new part file). Each open day holds up to a
/// row group in memory.
pub const MAX_OPEN_DAYS: usize = 4;

/// Where and how a dataset is laid out.
#[derive(Clone, Debug)]
pub struct Layout {
    pub dir: PathBuf,
    /// A `server=NAME` level below each date (the `server` column then lives in paths).
    pub by_server: bool,
}

/// A part file being written.
struct Part {
    day: i64,
    /// Its number in this run.
    number: u32,
    table: Table<BufWriter<File>>,
    temp: PathBuf,
    dir: PathBuf,
    last_used: u64,
}

/// The open parts of a dataset being written.
pub(super) struct Dataset {
    layout: Layout,
    server_dir: Option<String>,
    open: Vec<Part>,
    clock: u64,
    /// Part files written so far, in order.
    pub(super) written: Vec<PathBuf>,
    /// Unique to this run: its start (ns since the epoch) and process ID.
    stamp: String,
    parts: u32,
}

impl Dataset {
    pub(super) fn new(layout: Layout, config: &TableConfig) -> io::Result<Dataset> {
        fs::create_dir_all(&layout.dir)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Ok(Dataset {
            server_dir: layout
                .by_server
                .then(|| format!("server={}", escape_path_value(&config.server))),
            layout,
            open: Vec::new(),
            clock: 0,
            written: Vec::new(),
            stamp: format!("{}-{}", now.as_nanos(), std::process::id()),
            parts: 0,
        })
    }

    /// Appends a row to the part of the day of its time.
    pub(super) fn push(&mut self, config: &TableConfig, parts: Parts<'_>) -> io::Result<()> {
        let Some(first) = parts.query.or(parts.response) else {
            return Ok(());
        };
        let day = first.ts.secs.div_euclid(86_400);
        self.clock += 1;
        let at = match self.open.iter().position(|p| p.day == day) {
            Some(at) => at,
            None => self.open_part(day, first.ts)?,
        };
        let part = &mut self.open[at];
        part.last_used = self.clock;
        part.table.push(config, parts)
    }

    fn open_part(&mut self, day: i64, ts: crate::capture::Timestamp) -> io::Result<usize> {
        if self.open.len() >= MAX_OPEN_DAYS {
            let oldest = (0..self.open.len())
                .min_by_key(|&i| self.open[i].last_used)
                .expect("open parts");
            let part = self.open.swap_remove(oldest);
            self.close(part)?;
        }
        let (year, month, date) = ts.date();
        let mut dir = self
            .layout
            .dir
            .join(format!("date={year:04}-{month:02}-{date:02}"));
        if let Some(server) = &self.server_dir {
            dir.push(server);
        }
        fs::create_dir_all(&dir)?;
        self.parts += 1;
        let temp = dir.join(format!(".part-{}-{}.parquet.tmp", self.stamp, self.parts));
        let file = File::options().write(true).create_new(true).open(&temp)?;
        let without: &[&str] = if self.server_dir.is_some() {
            &["server"]
        } else {
            &[]
        };
        let table = match Table::new(BufWriter::with_capacity(1 << 20, file), without) {
            Ok(t) => t,
            Err(e) => {
                let _ = fs::remove_file(&temp);
                return Err(e);
            }
        };
        self.open.push(Part {
            day,
            number: self.parts,
            table,
            temp,
            dir,
            last_used: self.clock,
        });
        Ok(self.open.len() - 1)
    }

    /// Finishes a part and gives it a name no file has: linking never replaces.
    fn close(&mut self, part: Part) -> io::Result<()> {
        let Part {
            table,
            temp,
            dir,
            number,
            ..
        } = part;
        let written = table
            .close()
            .and_then(|out| out.into_inner().map_err(|e| e.into_error()))
            .and_then(|file| file.sync_all());
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        let mut n = 0u32;
        loop {
            let name = dir.join(format!("part-{}-{:05}.parquet", self.stamp, number + n));
            match fs::hard_link(&temp, &name) {
                Ok(()) => {
                    fs::remove_file(&temp)?;
                    self.written.push(name);
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                Err(e) => {
                    let _ = fs::remove_file(&temp);
                    return Err(e);
                }
            }
        }
    }

    /// Finishes every open part.
    pub(super) fn finish(&mut self) -> io::Result<()> {
        let mut result = Ok(());
        for part in std::mem::take(&mut self.open) {
            let closed = self.close(part);
            if result.is_ok() {
                result = closed;
            }
        }
        result
    }
}

impl Drop for Dataset {
    /// A run that stops early leaves no half-written part behind.
    fn drop(&mut self) {
        for part in &self.open {
            let _ = fs::remove_file(&part.temp);
        }
    }
}

/// A partition value as Spark and Hive write it in a path: characters that paths or
/// the `key=value` syntax would take otherwise as `%XX`, the empty value as Hive's
/// default partition.
pub fn escape_path_value(value: &str) -> String {
    if value.is_empty() {
        return "__HIVE_DEFAULT_PARTITION__".into();
    }
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_control() || "\"#%'*/:=?\\\u{7f}{[]^".contains(c) {
            let mut utf8 = [0; 4];
            for b in c.encode_utf8(&mut utf8).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}
