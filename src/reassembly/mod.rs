//! Putting payloads back together before DNS sees them: IP fragments
//! ([`ipfrag`]) and TCP byte streams cut into length-prefixed messages ([`tcp`]),
//! with the handshake times of those connections ([`handshake`]).
//! Both are bounded in memory and in the number of things they track.

pub mod handshake;
pub mod ipfrag;
pub mod tcp;
