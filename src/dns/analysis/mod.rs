//! Finding DNS messages in captured frames and what is learned from many of them:
//! query/response matching and statistics.

pub mod find;
pub mod matching;
pub mod stats;
mod wireshark_ports;
