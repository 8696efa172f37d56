//! The manifest written beside split output: one row per output file (flow, host,
//! server port or chunk) with what identifies it (addresses, protocol, ports: empty
//! where the mode has none), counts, time span and file name, as CSV or JSON.

use std::io::{self, Write};
use std::net::IpAddr;

use super::pool::ChunkStats;
use super::OutputKey;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestFormat {
    Csv,
    Json,
}

/// One output file as the manifest lists it.
pub struct Entry<'a> {
    pub number: u64,
    pub key: &'a OutputKey,
    pub file_name: String,
    pub stats: &'a ChunkStats,
}

const CSV_HEADER: &str =
    "flow,address_a,address_b,protocol,port_a,port_b,packets,bytes,captured_bytes,first_ts,last_ts,file";

/// Address a, address b, protocol, port a, port b: what identifies an output, where
/// its kind has them.
type Columns = (
    Option<IpAddr>,
    Option<IpAddr>,
    Option<u8>,
    Option<u16>,
    Option<u16>,
);

/// Writes the manifest; file names and addresses hold no commas or quotes, so CSV
/// fields need no quoting.
pub fn write<'a>(
    out: &mut impl Write,
    format: ManifestFormat,
    entries: impl Iterator<Item = Entry<'a>>,
) -> io::Result<()> {
    let ts = |t: Option<crate::capture::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    let columns = |key: &OutputKey| -> Columns {
        match *key {
            OutputKey::Flow(k) => (
                Some(k.a),
                Some(k.b),
                k.protocol,
                k.ports.map(|p| p.0),
                k.ports.map(|p| p.1),
            ),
            OutputKey::Host(a) => (Some(a), None, None, None, None),
            OutputKey::ServerPort(p) => (None, None, None, Some(p), None),
            OutputKey::NoPort | OutputKey::Chunk(_) => (None, None, None, None, None),
        }
    };
    match format {
        ManifestFormat::Csv => {
            writeln!(out, "{CSV_HEADER}")?;
            for e in entries {
                let opt = |v: Option<String>| v.unwrap_or_default();
                let (a, b, protocol, port_a, port_b) = columns(e.key);
                writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{},{},{}",
                    e.number,
                    opt(a.map(|a| a.to_string())),
                    opt(b.map(|b| b.to_string())),
                    opt(protocol.map(|p| p.to_string())),
                    opt(port_a.map(|p| p.to_string())),
                    opt(port_b.map(|p| p.to_string())),
                    e.stats.packets,
                    e.stats.bytes,
                    e.stats.captured_bytes,
                    ts(e.stats.first()),
                    ts(e.stats.last()),
                    e.file_name
                )?;
            }
        }
        ManifestFormat::Json => {
            // One row at a time, laid out as serde_json's pretty printer lays out the
            // whole array, so memory does not grow with the number of rows.
            let mut rows = 0u64;
            for e in entries {
                let (a, b, protocol, port_a, port_b) = columns(e.key);
                let row = serde_json::json!({
                    "flow": e.number,
                    "address_a": a.map(|a| a.to_string()),
                    "address_b": b.map(|b| b.to_string()),
                    "protocol": protocol,
                    "port_a": port_a,
                    "port_b": port_b,
                    "packets": e.stats.packets,
                    "bytes": e.stats.bytes,
                    "captured_bytes": e.stats.captured_bytes,
                    "first_ts": ts(e.stats.first()),
                    "last_ts": ts(e.stats.last()),
                    "file": e.file_name,
                });
                out.write_all(if rows == 0 { b"[\n  " } else { b",\n  " })?;
                // Strings are escaped, so every newline in the text is layout.
                let text = serde_json::to_string_pretty(&row)?;
                out.write_all(text.replace('\n', "\n  ").as_bytes())?;
                rows += 1;
            }
            out.write_all(if rows == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::flow::FlowKey;

    /// Streamed rows read back as the array serde_json would have written whole.
    #[test]
    fn json_rows_are_laid_out_as_one_pretty_array() {
        let keys = [
            OutputKey::Flow(FlowKey {
                a: "10.0.0.1".parse().unwrap(),
                b: "2001:db8::1".parse().unwrap(),
                protocol: Some(17),
                ports: Some((53, 4000)),
            }),
            OutputKey::Host("10.0.0.1".parse().unwrap()),
            OutputKey::ServerPort(443),
            OutputKey::Chunk(3),
        ];
        let mut stats = ChunkStats::default();
        stats.add_packet(Timestamp::new(1, 5), 100, 60);
        for count in 0..=keys.len() {
            let entries = || {
                keys[..count].iter().enumerate().map(|(i, key)| Entry {
                    number: i as u64 + 1,
                    key,
                    file_name: format!("f \"{i}\"\n.pcap"),
                    stats: &stats,
                })
            };
            let mut streamed = Vec::new();
            write(&mut streamed, ManifestFormat::Json, entries()).unwrap();
            let parsed: serde_json::Value = serde_json::from_slice(&streamed).unwrap();
            let mut whole = serde_json::to_vec_pretty(&parsed).unwrap();
            whole.push(b'\n');
            assert_eq!(
                String::from_utf8(streamed).unwrap(),
                String::from_utf8(whole).unwrap()
            );
            assert_eq!(parsed.as_array().unwrap().len(), count);
        }
    }
}
