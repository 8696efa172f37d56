//! The DNS wire format: names, parameter registries and the message encoder.

pub mod encode;
pub mod name;
pub mod types;

pub use encode::{Edns, Message, Question, RData, Record};
pub use name::{Name, NameError};

/// DNS header length and field offsets (RFC 1035 4.1.1).
pub const HEADER_LEN: usize = 12;
