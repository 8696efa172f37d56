//! The DNS wire format: names, parameter registries, the encoder, the decoder, record
//! data, and the renderers (Wireshark's Info text, JSON, CSV).

pub mod digits;
pub mod encode;
pub mod extract;
pub mod info;
pub mod name;
pub mod present;
pub mod rdata;
pub mod render;
pub mod stats;
pub mod types;
pub mod wire;

pub use encode::{Edns, Message, Question, RData, Record};
pub use name::{Name, NameError};

/// DNS header length (RFC 1035 4.1.1).
pub const HEADER_LEN: usize = 12;
