//! Putting payloads back together before DNS sees them: IP fragments
//! ([`ipfrag`]) and TCP byte streams cut into length-prefixed messages ([`tcp`]).
//! Both are bounded in memory and in the number of things they track.

pub mod ipfrag;
pub mod tcp;
