//! Ways of showing a DNS message, each a [`MessageSink`](crate::dns::decode::MessageSink)
//! where it shows many: Wireshark's Info text ([`info`], the oracle's own words) in the
//! [`text`] line, dig's presentation format ([`dig`]), [`json`] (with typed record data
//! from [`json_rdata`]), [`csv`], and the [`stats`] summary.

pub mod csv;
pub mod dig;
pub mod digits;
pub mod info;
pub mod json;
pub mod json_rdata;
pub mod stats;
pub mod text;
