//! `--stats`: counts by type, rcode and opcode, the most asked names, and
//! query/response matching with response times, in bounded memory.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;

use foldhash::{HashMap, HashMapExt};

use crate::capture::Timestamp;
use crate::dns::extract::Origin;
use crate::dns::rdata::json_str;
use crate::dns::types;
use crate::dns::wire::Message;

/// How the summary is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsFormat {
    Text,
    Json,
}

/// Query/response matching key: client and server endpoints, id and question.
#[derive(Clone, PartialEq, Eq, Hash)]
struct MatchKey {
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    id: u16,
    question: Option<(Vec<u8>, u16, u16)>,
}

/// Most queries waiting for an answer that --stats remembers; beyond that the oldest
/// are counted as unanswered.
const MAX_PENDING: usize = 1_000_000;
/// Most distinct names counted for the top list.
const MAX_NAMES: usize = 1_000_000;

/// Response times in a log-linear histogram (32 steps per power of two: quantiles
/// within about 2%), so memory stays constant however many pairs there are.
struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    min: u64,
    max: u64,
}

impl Histogram {
    const SUB: u32 = 5;

    fn new() -> Self {
        Histogram {
            buckets: vec![0; 64 << Self::SUB],
            count: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    fn bucket(v: u64) -> usize {
        if v < (1 << Self::SUB) {
            return v as usize;
        }
        let msb = 63 - v.leading_zeros();
        let shift = msb - Self::SUB;
        (((msb - Self::SUB + 1) << Self::SUB) as usize)
            + ((v >> shift) as usize & ((1 << Self::SUB) - 1))
    }

    fn lower_bound(b: usize) -> u64 {
        if b < (1 << Self::SUB) {
            return b as u64;
        }
        let group = (b >> Self::SUB) as u32 - 1;
        let msb = group + Self::SUB;
        (1u64 << msb) | (((b & ((1 << Self::SUB) - 1)) as u64) << (msb - Self::SUB))
    }

    fn add(&mut self, v: u64) {
        self.buckets[Self::bucket(v)] += 1;
        self.count += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    fn quantile(&self, q: f64) -> u64 {
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (b, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Self::lower_bound(b).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

pub struct Stats {
    top: usize,
    messages: u64,
    queries: u64,
    responses: u64,
    malformed: u64,
    qtypes: HashMap<u16, u64>,
    rcodes: HashMap<u16, u64>,
    opcodes: HashMap<u8, u64>,
    names: HashMap<Vec<u8>, u64>,
    names_overflow: u64,
    pending: HashMap<MatchKey, Timestamp>,
    pending_evicted: u64,
    answered: u64,
    unsolicited: u64,
    retransmitted: u64,
    rtt: Histogram,
}

impl Stats {
    pub fn new(top: usize) -> Self {
        Stats {
            top,
            messages: 0,
            queries: 0,
            responses: 0,
            malformed: 0,
            qtypes: HashMap::new(),
            rcodes: HashMap::new(),
            opcodes: HashMap::new(),
            names: HashMap::new(),
            names_overflow: 0,
            pending: HashMap::new(),
            pending_evicted: 0,
            answered: 0,
            unsolicited: 0,
            retransmitted: 0,
            rtt: Histogram::new(),
        }
    }

    pub fn add(&mut self, origin: Origin, msg: &[u8], decoded: Option<&Message<'_>>) {
        self.messages += 1;
        let Some(m) = decoded else {
            self.malformed += 1;
            return;
        };
        if m.error.is_some() {
            self.malformed += 1;
        }
        *self.opcodes.entry(m.header.opcode()).or_default() += 1;
        let question = m.questions.first().map(|q| {
            let key = q.name.to_lowercase_key(msg);
            (key, q.qtype, q.qclass)
        });
        if let (Some((name, qtype, _)), false) = (&question, m.header.is_response()) {
            *self.qtypes.entry(*qtype).or_default() += 1;
            if let Some(n) = self.names.get_mut(name) {
                *n += 1;
            } else if self.names.len() < MAX_NAMES {
                self.names.insert(name.clone(), 1);
            } else {
                self.names_overflow += 1;
            }
        }
        let src = (origin.src, origin.sport);
        let dst = (origin.dst, origin.dport);
        if m.header.is_response() {
            self.responses += 1;
            *self.rcodes.entry(m.rcode()).or_default() += 1;
            let key = MatchKey {
                client: dst,
                server: src,
                id: m.header.id,
                question,
            };
            match self.pending.remove(&key) {
                Some(asked) => {
                    self.answered += 1;
                    self.rtt
                        .add((origin.ts.as_nanos() - asked.as_nanos()).max(0) as u64);
                }
                None => self.unsolicited += 1,
            }
        } else {
            self.queries += 1;
            let key = MatchKey {
                client: src,
                server: dst,
                id: m.header.id,
                question,
            };
            if self.pending.contains_key(&key) {
                self.retransmitted += 1;
                return;
            }
            if self.pending.len() >= MAX_PENDING {
                if let Some(oldest) = self
                    .pending
                    .iter()
                    .min_by_key(|(_, t)| **t)
                    .map(|(k, _)| k.clone())
                {
                    self.pending.remove(&oldest);
                    self.pending_evicted += 1;
                }
            }
            self.pending.insert(key, origin.ts);
        }
    }

    fn sorted<K: Copy + Ord>(map: &HashMap<K, u64>) -> Vec<(K, u64)> {
        let mut v: Vec<(K, u64)> = map.iter().map(|(k, n)| (*k, *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    fn top_names(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(&Vec<u8>, u64)> = self.names.iter().map(|(k, n)| (k, *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(self.top);
        v.into_iter()
            .map(|(wire, n)| {
                let text = crate::dns::wire::NameRef { offset: 0 }.to_string(wire);
                (text, n)
            })
            .collect()
    }

    pub fn report(&self, out: &mut impl Write, format: StatsFormat) -> io::Result<()> {
        let unanswered = self.pending.len() as u64 + self.pending_evicted;
        let ms = |ns: u64| ns as f64 / 1e6;
        let type_label =
            |t: u16| types::type_name(t).map_or_else(|| format!("TYPE{t}"), str::to_string);
        let rcode_label =
            |r: u16| types::rcode_name(r).map_or_else(|| format!("RCODE{r}"), str::to_string);
        let opcode_label = |o: u8| match o {
            0 => "QUERY".to_string(),
            1 => "IQUERY".to_string(),
            2 => "STATUS".to_string(),
            4 => "NOTIFY".to_string(),
            5 => "UPDATE".to_string(),
            6 => "DSO".to_string(),
            n => format!("OPCODE{n}"),
        };
        if format == StatsFormat::Json {
            let mut s = String::new();
            let _ = write!(
                s,
                "{{\"messages\":{},\"queries\":{},\"responses\":{},\"malformed\":{},\"answered\":{},\"unanswered\":{},\"unsolicited\":{},\"retransmitted_queries\":{}",
                self.messages, self.queries, self.responses, self.malformed, self.answered, unanswered, self.unsolicited, self.retransmitted
            );
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
                Self::sorted(&self.qtypes)
                    .into_iter()
                    .map(|(k, n)| (type_label(k), n))
                    .collect(),
            );
            obj(
                &mut s,
                "rcodes",
                Self::sorted(&self.rcodes)
                    .into_iter()
                    .map(|(k, n)| (rcode_label(k), n))
                    .collect(),
            );
            obj(
                &mut s,
                "opcodes",
                Self::sorted(&self.opcodes)
                    .into_iter()
                    .map(|(k, n)| (opcode_label(k), n))
                    .collect(),
            );
            s.push_str(",\"top_names\":[");
            for (i, (name, n)) in self.top_names().iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                s.push_str("{\"name\":");
                json_str(&mut s, name);
                let _ = write!(s, ",\"count\":{n}}}");
            }
            s.push(']');
            if self.rtt.count > 0 {
                let _ = write!(
                    s,
                    ",\"response_time_ms\":{{\"min\":{},\"median\":{},\"p99\":{},\"max\":{}}}",
                    ms(self.rtt.min),
                    ms(self.rtt.quantile(0.5)),
                    ms(self.rtt.quantile(0.99)),
                    ms(self.rtt.max)
                );
            }
            s.push('}');
            return writeln!(out, "{s}");
        }
        writeln!(
            out,
            "messages: {} ({} queries, {} responses, {} malformed)",
            self.messages, self.queries, self.responses, self.malformed
        )?;
        writeln!(
            out,
            "matching: {} answered, {} unanswered, {} unsolicited responses, {} retransmitted queries",
            self.answered, unanswered, self.unsolicited, self.retransmitted
        )?;
        if self.rtt.count > 0 {
            writeln!(
                out,
                "response time (ms): min {:.3}, median {:.3}, p99 {:.3}, max {:.3}",
                ms(self.rtt.min),
                ms(self.rtt.quantile(0.5)),
                ms(self.rtt.quantile(0.99)),
                ms(self.rtt.max)
            )?;
        }
        writeln!(out, "query types:")?;
        for (t, n) in Self::sorted(&self.qtypes) {
            writeln!(out, "  {:<10} {n}", type_label(t))?;
        }
        writeln!(out, "rcodes:")?;
        for (r, n) in Self::sorted(&self.rcodes) {
            writeln!(out, "  {:<10} {n}", rcode_label(r))?;
        }
        writeln!(out, "opcodes:")?;
        for (o, n) in Self::sorted(&self.opcodes) {
            writeln!(out, "  {:<10} {n}", opcode_label(o))?;
        }
        writeln!(out, "top names:")?;
        for (name, n) in self.top_names() {
            writeln!(out, "  {n:>8} {name}")?;
        }
        if self.names_overflow > 0 {
            writeln!(
                out,
                "  ({} questions for names beyond the first {MAX_NAMES} distinct ones not ranked)",
                self.names_overflow
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles() {
        let mut h = Histogram::new();
        for v in 1..=1000u64 {
            h.add(v * 1000);
        }
        let median = h.quantile(0.5) as f64;
        assert!((median - 500_000.0).abs() / 500_000.0 < 0.04, "{median}");
        let p99 = h.quantile(0.99) as f64;
        assert!((p99 - 990_000.0).abs() / 990_000.0 < 0.04, "{p99}");
        assert_eq!((h.min, h.max), (1000, 1_000_000));
        for v in [0u64, 1, 31, 32, 33, 1 << 40, u64::MAX / 2] {
            assert!(Histogram::lower_bound(Histogram::bucket(v)) <= v, "{v}");
        }
    }
}
