//! Query/response matching: which response answers which query. A response matches a
//! query with the same client and server endpoints, ID and question (name without
//! regard to ASCII case, type, class), as `--stats` counts them and `query` checks
//! replies.

use std::net::IpAddr;

use crate::dns::analysis::find::Origin;
use crate::dns::wire::Message;

/// The first question of a message, for comparisons: lower-cased wire name (with the
/// root byte), type and class.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QuestionKey {
    pub name: Vec<u8>,
    pub qtype: u16,
    pub qclass: u16,
}

impl QuestionKey {
    /// The key of a decoded message's first question.
    pub fn of(m: &Message<'_>) -> Option<QuestionKey> {
        m.questions.first().map(|q| QuestionKey {
            name: q.name.to_lowercase_key(m.bytes),
            qtype: q.qtype,
            qclass: q.qclass,
        })
    }

    /// The key of a message being built.
    pub fn of_query(m: &crate::dns::Message) -> Option<QuestionKey> {
        m.questions.first().map(|q| QuestionKey {
            name: q.name.as_wire().to_ascii_lowercase(),
            qtype: q.qtype,
            qclass: q.qclass,
        })
    }
}

/// What a query and its response share: client and server endpoints, ID, question.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MatchKey {
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    pub id: u16,
    pub question: Option<QuestionKey>,
}

impl MatchKey {
    /// The key of a message seen going from `origin.src` to `origin.dst`: a query's
    /// source is the client, a response's the server.
    pub fn of(origin: &Origin, m: &Message<'_>) -> MatchKey {
        let src = (origin.src, origin.sport);
        let dst = (origin.dst, origin.dport);
        let (client, server) = if m.header.flags.is_response() {
            (dst, src)
        } else {
            (src, dst)
        };
        MatchKey {
            client,
            server,
            id: m.header.id,
            question: QuestionKey::of(m),
        }
    }
}
