//! The statistics view: the summary of [`Stats`] as text or one JSON object, and the
//! sink that counts every message into it.

use std::fmt::Write as _;
use std::io::{self, Write};

use foldhash::HashMap;

use crate::dns::analysis::stats::{Stats, MAX_NAMES, PENDING_BYTES};
use crate::dns::decode::{MessageSink, Row};
use crate::dns::view::json::json_str;
use crate::dns::wire::registry::{Opcode, Rcode, RecordType};

/// How the summary is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsFormat {
    Text,
    Json,
}

/// Counts every message, prints the summary at the end.
pub struct StatsSink<W> {
    out: W,
    format: StatsFormat,
    pub stats: Stats,
}

impl<W: Write> StatsSink<W> {
    /// `top`: how many names the summary lists.
    pub fn new(out: W, format: StatsFormat, top: usize) -> Self {
        StatsSink {
            out,
            format,
            stats: Stats::new(top),
        }
    }
}

impl<W: Write + Send> MessageSink for StatsSink<W> {
    fn message(&mut self, row: &Row<'_>) -> io::Result<()> {
        self.stats.add(row.origin, row.message.as_ref());
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        report(&self.stats, &mut self.out, self.format)?;
        self.out.flush()
    }
}

fn sorted<K: Copy + Ord>(map: &HashMap<K, u64>) -> Vec<(K, u64)> {
    let mut v: Vec<(K, u64)> = map.iter().map(|(k, n)| (*k, *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

fn top_names(stats: &Stats) -> Vec<(String, u64)> {
    let mut v: Vec<(&Vec<u8>, u64)> = stats.names.iter().map(|(k, n)| (k, *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.truncate(stats.top);
    v.into_iter()
        .map(|(wire, n)| {
            let text = crate::dns::wire::NameRef { offset: 0 }.to_string(wire);
            (text, n)
        })
        .collect()
}

/// Prints the summary of `stats`.
pub fn report(stats: &Stats, out: &mut impl Write, format: StatsFormat) -> io::Result<()> {
    let unanswered = stats.pending.len() as u64 + stats.pending.evicted;
    let ms = |ns: u64| ns as f64 / 1e6;
    let type_label = |t: u16| RecordType(t).to_string();
    let rcode_label = |r: u16| Rcode(r).to_string();
    let opcode_label = |o: u8| Opcode(o).to_string();
    if format == StatsFormat::Json {
        let mut s = String::new();
        let _ = write!(
            s,
            "{{\"messages\":{},\"queries\":{},\"responses\":{},\"malformed\":{},\"answered\":{},\"unanswered\":{},\"unsolicited\":{},\"retransmitted_queries\":{}",
            stats.messages, stats.queries, stats.responses, stats.malformed, stats.answered, unanswered, stats.unsolicited, stats.retransmitted
        );
        if stats.pending.evicted > 0 {
            let _ = write!(s, ",\"unanswered_evicted\":{}", stats.pending.evicted);
        }
        let obj = |s: &mut String, key: &str, items: Vec<(String, u64)>| {
            let _ = write!(s, ",\"{key}\":{{");
            for (i, (k, n)) in items.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                json_str(s, k);
                let _ = write!(s, ":{n}");
            }
            s.push('}');
        };
        obj(
            &mut s,
            "qtypes",
            sorted(&stats.qtypes)
                .into_iter()
                .map(|(k, n)| (type_label(k), n))
                .collect(),
        );
        obj(
            &mut s,
            "rcodes",
            sorted(&stats.rcodes)
                .into_iter()
                .map(|(k, n)| (rcode_label(k), n))
                .collect(),
        );
        obj(
            &mut s,
            "opcodes",
            sorted(&stats.opcodes)
                .into_iter()
                .map(|(k, n)| (opcode_label(k), n))
                .collect(),
        );
        s.push_str(",\"top_names\":[");
        for (i, (name, n)) in top_names(stats).iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str("{\"name\":");
            json_str(&mut s, name);
            let _ = write!(s, ",\"count\":{n}}}");
        }
        s.push(']');
        if stats.rtt.count > 0 {
            let _ = write!(
                s,
                ",\"response_time_ms\":{{\"min\":{},\"median\":{},\"p99\":{},\"max\":{}}}",
                ms(stats.rtt.min),
                ms(stats.rtt.quantile(0.5)),
                ms(stats.rtt.quantile(0.99)),
                ms(stats.rtt.max)
            );
        }
        s.push('}');
        return writeln!(out, "{s}");
    }
    writeln!(
        out,
        "messages: {} ({} queries, {} responses, {} malformed)",
        stats.messages, stats.queries, stats.responses, stats.malformed
    )?;
    writeln!(
        out,
        "matching: {} answered, {} unanswered, {} unsolicited responses, {} retransmitted queries",
        stats.answered, unanswered, stats.unsolicited, stats.retransmitted
    )?;
    if stats.pending.evicted > 0 {
        writeln!(
            out,
            "  ({} of the unanswered left the {} MiB table of waiting queries before their time was up)",
            stats.pending.evicted,
            PENDING_BYTES >> 20
        )?;
    }
    if stats.rtt.count > 0 {
        writeln!(
            out,
            "response time (ms): min {:.3}, median {:.3}, p99 {:.3}, max {:.3}",
            ms(stats.rtt.min),
            ms(stats.rtt.quantile(0.5)),
            ms(stats.rtt.quantile(0.99)),
            ms(stats.rtt.max)
        )?;
    }
    writeln!(out, "query types:")?;
    for (t, n) in sorted(&stats.qtypes) {
        writeln!(out, "  {:<10} {n}", type_label(t))?;
    }
    writeln!(out, "rcodes:")?;
    for (r, n) in sorted(&stats.rcodes) {
        writeln!(out, "  {:<10} {n}", rcode_label(r))?;
    }
    writeln!(out, "opcodes:")?;
    for (o, n) in sorted(&stats.opcodes) {
        writeln!(out, "  {:<10} {n}", opcode_label(o))?;
    }
    writeln!(out, "top names:")?;
    for (name, n) in top_names(stats) {
        writeln!(out, "  {n:>8} {name}")?;
    }
    if stats.names_overflow > 0 {
        writeln!(
            out,
            "  ({} questions for names beyond the first {MAX_NAMES} distinct ones not ranked)",
            stats.names_overflow
        )?;
    }
    Ok(())
}
