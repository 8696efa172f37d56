//! The manifest written beside split output: one row per flow with its endpoints,
//! counts, time span and file name, as CSV (default) or JSON.

use std::io::{self, Write};

use super::pool::ChunkStats;
use super::FlowKey;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestFormat {
    Csv,
    Json,
}

/// One flow as the manifest lists it.
pub struct Entry<'a> {
    pub number: u64,
    pub key: &'a FlowKey,
    pub file_name: &'a str,
    pub stats: &'a ChunkStats,
}

const CSV_HEADER: &str =
    "flow,address_a,address_b,protocol,port_a,port_b,packets,bytes,captured_bytes,first_ts,last_ts,file";

/// Writes the manifest; file names and addresses hold no commas or quotes, so CSV
/// fields need no quoting.
pub fn write<'a>(
    out: &mut impl Write,
    format: ManifestFormat,
    entries: impl Iterator<Item = Entry<'a>>,
) -> io::Result<()> {
    let ts = |t: Option<crate::capture::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    match format {
        ManifestFormat::Csv => {
            writeln!(out, "{CSV_HEADER}")?;
            for e in entries {
                let opt = |v: Option<String>| v.unwrap_or_default();
                writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{},{},{}",
                    e.number,
                    e.key.a,
                    e.key.b,
                    opt(e.key.protocol.map(|p| p.to_string())),
                    opt(e.key.ports.map(|p| p.0.to_string())),
                    opt(e.key.ports.map(|p| p.1.to_string())),
                    e.stats.packets,
                    e.stats.bytes,
                    e.stats.captured_bytes,
                    ts(e.stats.first),
                    ts(e.stats.last),
                    e.file_name
                )?;
            }
        }
        ManifestFormat::Json => {
            let rows: Vec<serde_json::Value> = entries
                .map(|e| {
                    serde_json::json!({
                        "flow": e.number,
                        "address_a": e.key.a.to_string(),
                        "address_b": e.key.b.to_string(),
                        "protocol": e.key.protocol,
                        "port_a": e.key.ports.map(|p| p.0),
                        "port_b": e.key.ports.map(|p| p.1),
                        "packets": e.stats.packets,
                        "bytes": e.stats.bytes,
                        "captured_bytes": e.stats.captured_bytes,
                        "first_ts": ts(e.stats.first),
                        "last_ts": ts(e.stats.last),
                        "file": e.file_name,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
    }
    Ok(())
}
