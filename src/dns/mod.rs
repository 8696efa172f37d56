//! DNS: the wire format ([`wire`]), finding and analysing messages in captures
//! ([`analysis`]), and the ways of showing them ([`view`]).

pub mod analysis;
pub mod client;
pub mod decode;
pub mod view;
pub mod wire;

pub use wire::encode::{Edns, Message, Question, RData, Record};
pub use wire::name::{Name, NameError};

/// DNS header length (RFC 1035 4.1.1).
pub const HEADER_LEN: usize = 12;
