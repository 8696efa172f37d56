//! pcaptool: craft, split and decode packet captures.
//!
//! Data flow: [`capture`] reads records from any pcap/pcapng/snoop file (gzip or not),
//! [`link`] finds the IP header inside each frame, and the engines work on top:
//! [`split`] writes one file per flow, [`gen`] crafts traffic into a [`gen::FrameSink`],
//! [`dns`] finds and decodes DNS messages and hands them to a sink, and
//! [`dns::client`] asks servers questions. The command line (`src/cli/`) only turns
//! arguments into these engines' configurations.
#![forbid(unsafe_code)]

pub mod capture;
pub mod dns;
pub mod flow;
pub mod gen;
pub mod info;
pub mod ip;
pub mod link;
pub mod names;
pub mod packet;
pub mod parallel;
pub mod reassembly;
pub mod rng;
pub mod split;
