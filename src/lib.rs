//! pcaptool: craft, split and decode packet captures.
//!
//! Data flow: [`capture`] reads records from any pcap/pcapng/snoop file (gzip or not),
//! [`link`] finds the IP header inside each frame, and the subcommands in [`cmd`] do
//! their work on top; [`packet`] and [`dns`] build frames and DNS messages for `gen`.
#![forbid(unsafe_code)]

pub mod capture;
pub mod cmd;
pub mod dns;
pub mod flow;
pub mod ip;
pub mod link;
pub mod packet;
pub mod reassembly;
pub mod rng;
