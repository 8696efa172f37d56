//! Many queries through one [`Client`]: read from a source a window at a time (so a
//! names file of any size is never held whole), each outcome handed on as soon as it is
//! known, a failed query never stopping the others, and a tally of the worst ending.
//!
//! ```no_run
//! use pcaptool::dns::client::batch::{ask_all, Event};
//! use pcaptool::dns::client::{Client, ClientConfig, QuerySpec};
//! let mut client = Client::new(ClientConfig::new("127.0.0.1:53".parse().unwrap()));
//! let mut rng = pcaptool::rng::Rng::new(1);
//! let mut names = ["a.example", "b.example"].into_iter();
//! let tally = ask_all(
//!     &mut client,
//!     || {
//!         let name = names.next()?;
//!         Some(Ok((name.to_string(), QuerySpec::new(name.parse().unwrap()).build(&mut rng))))
//!     },
//!     |event| {
//!         match event {
//!             Event::Answered(what, answer) => println!("{what}: {} bytes", answer.bytes.len()),
//!             Event::Failed(what) => eprintln!("{what}"),
//!         }
//!         Ok(())
//!     },
//! )
//! .unwrap();
//! println!("worst: {:?}", tally.worst);
//! ```

use std::io;

use super::{Answer, Client, QueryError};
use crate::dns::wire::registry::Rcode;
use crate::dns::Message;

/// Queries sent together (pipelined over one connection with TCP); also how many
/// names a source is read ahead.
pub const WINDOW: usize = 256;

/// How a query ended, from best to worst.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ending {
    #[default]
    Answered,
    /// Answered with an error rcode (NXDOMAIN, SERVFAIL, ...).
    ErrorRcode,
    Timeout,
    Refused,
    Malformed,
    /// The source could not say what to ask (a bad line of a names file).
    BadInput,
    /// Sockets or the system failed.
    Failed,
}

impl QueryError {
    pub fn ending(&self) -> Ending {
        match self {
            QueryError::Timeout(_) => Ending::Timeout,
            QueryError::Refused(_) => Ending::Refused,
            QueryError::Malformed { .. } => Ending::Malformed,
            QueryError::Io { .. } => Ending::Failed,
        }
    }
}

/// The worst ending of a run, how many queries failed, and what went wrong last.
#[derive(Debug, Default)]
pub struct Tally {
    pub worst: Ending,
    pub failures: usize,
    pub last: String,
}

impl Tally {
    fn worse(&mut self, ending: Ending) {
        self.worst = self.worst.max(ending);
    }

    fn failed(&mut self, ending: Ending, what: &str) {
        self.failures += 1;
        self.last = what.to_string();
        self.worse(ending);
    }
}

/// What `ask_all` hands on, one per query.
pub enum Event<'a> {
    /// An answer (whatever its rcode), with the source's description of the query.
    Answered(&'a str, Answer),
    /// A query that failed, or a source entry that could not be asked: what and why.
    Failed(&'a str),
}

/// Asks every query `source` yields (a description and the query, or why an entry
/// cannot be asked), a window at a time; `each` gets every outcome as it comes, and
/// an error from it (a closed output) stops the run.
pub fn ask_all(
    client: &mut Client,
    mut source: impl FnMut() -> Option<Result<(String, Message), String>>,
    mut each: impl FnMut(Event<'_>) -> io::Result<()>,
) -> io::Result<Tally> {
    let mut tally = Tally::default();
    let mut exhausted = false;
    loop {
        let mut window: Vec<(String, Message)> = Vec::new();
        while !exhausted && window.len() < WINDOW {
            match source() {
                Some(Ok(query)) => window.push(query),
                Some(Err(bad)) => {
                    tally.failed(Ending::BadInput, &bad);
                    each(Event::Failed(&bad))?;
                }
                None => exhausted = true,
            }
        }
        if window.is_empty() {
            return Ok(tally);
        }
        let queries: Vec<Message> = window.iter().map(|(_, q)| q.clone()).collect();
        let mut written = Ok(());
        client.batch(&queries, |i, result| {
            let what = &window[i].0;
            let event = match result {
                Ok(answer) => {
                    let rcode = answer.message().rcode();
                    if rcode != 0 {
                        tally.last = format!("{what}: the server answered {}", Rcode(rcode));
                        tally.worse(Ending::ErrorRcode);
                    }
                    Event::Answered(what, answer)
                }
                Err(e) => {
                    let said = format!("{what}: {e}");
                    tally.failed(e.ending(), &said);
                    if written.is_ok() {
                        written = each(Event::Failed(&said));
                    }
                    return;
                }
            };
            if written.is_ok() {
                written = each(event);
            }
        });
        written?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::client::ClientConfig;

    #[test]
    fn endings_order_from_best_to_worst() {
        use Ending::*;
        let order = [
            Answered, ErrorRcode, Timeout, Refused, Malformed, BadInput, Failed,
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn entries_that_cannot_be_asked_are_said_and_counted() {
        // No query is sent: every entry of the source is bad.
        let mut client = Client::new(ClientConfig::new("127.0.0.1:9".parse().unwrap()));
        let mut bad = ["names:1: bad name", "names:2: unknown type"].into_iter();
        let mut said = Vec::new();
        let tally = ask_all(
            &mut client,
            || bad.next().map(|b| Err(b.to_string())),
            |event| {
                if let Event::Failed(what) = event {
                    said.push(what.to_string());
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(said, ["names:1: bad name", "names:2: unknown type"]);
        assert_eq!((tally.worst, tally.failures), (Ending::BadInput, 2));
        assert_eq!(tally.last, "names:2: unknown type");
    }
}
