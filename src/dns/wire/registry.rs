//! DNS parameter registries (IANA): record types, classes, opcodes and response codes,
//! one table each, and newtypes whose `Display` gives the mnemonic or the RFC 3597
//! generic form (`TYPE65280`, `CLASS3`, `OPCODE3`, `RCODE12`). Every view but
//! Wireshark's Info text (which keeps the oracle's own words in `view::info`) names
//! codes through these.
//!
//! ```
//! use pcaptool::dns::wire::registry::{Class, Opcode, Rcode, RecordType};
//! assert_eq!(RecordType(28).to_string(), "AAAA");
//! assert_eq!(RecordType(65280).to_string(), "TYPE65280");
//! assert_eq!(Class(3).to_string(), "CH");
//! assert_eq!(Class(2).to_string(), "CLASS2");
//! assert_eq!(Rcode(3).to_string(), "NXDOMAIN");
//! assert_eq!(Rcode(4095).to_string(), "RCODE4095");
//! assert_eq!(Opcode(5).to_string(), "UPDATE");
//! ```

use std::fmt;

/// Record types by code, with the mnemonic Wireshark and dig use.
const TYPES: &[(u16, &str)] = &[
    (1, "A"),
    (2, "NS"),
    (3, "MD"),
    (4, "MF"),
    (5, "CNAME"),
    (6, "SOA"),
    (7, "MB"),
    (8, "MG"),
    (9, "MR"),
    (10, "NULL"),
    (11, "WKS"),
    (12, "PTR"),
    (13, "HINFO"),
    (14, "MINFO"),
    (15, "MX"),
    (16, "TXT"),
    (17, "RP"),
    (18, "AFSDB"),
    (19, "X25"),
    (20, "ISDN"),
    (21, "RT"),
    (22, "NSAP"),
    (23, "NSAP-PTR"),
    (24, "SIG"),
    (25, "KEY"),
    (26, "PX"),
    (27, "GPOS"),
    (28, "AAAA"),
    (29, "LOC"),
    (30, "NXT"),
    (31, "EID"),
    (32, "NIMLOC"),
    (33, "SRV"),
    (34, "ATMA"),
    (35, "NAPTR"),
    (36, "KX"),
    (37, "CERT"),
    (38, "A6"),
    (39, "DNAME"),
    (40, "SINK"),
    (41, "OPT"),
    (42, "APL"),
    (43, "DS"),
    (44, "SSHFP"),
    (45, "IPSECKEY"),
    (46, "RRSIG"),
    (47, "NSEC"),
    (48, "DNSKEY"),
    (49, "DHCID"),
    (50, "NSEC3"),
    (51, "NSEC3PARAM"),
    (52, "TLSA"),
    (53, "SMIMEA"),
    (55, "HIP"),
    (56, "NINFO"),
    (57, "RKEY"),
    (58, "TALINK"),
    (59, "CDS"),
    (60, "CDNSKEY"),
    (61, "OPENPGPKEY"),
    (62, "CSYNC"),
    (63, "ZONEMD"),
    (64, "SVCB"),
    (65, "HTTPS"),
    (99, "SPF"),
    (100, "UINFO"),
    (101, "UID"),
    (102, "GID"),
    (103, "UNSPEC"),
    (104, "NID"),
    (105, "L32"),
    (106, "L64"),
    (107, "LP"),
    (108, "EUI48"),
    (109, "EUI64"),
    (249, "TKEY"),
    (250, "TSIG"),
    (251, "IXFR"),
    (252, "AXFR"),
    (253, "MAILB"),
    (254, "MAILA"),
    (255, "ANY"),
    (256, "URI"),
    (257, "CAA"),
    (258, "AVC"),
    (259, "DOA"),
    (260, "AMTRELAY"),
    (32768, "TA"),
    (32769, "DLV"),
];

const CLASSES: &[(u16, &str)] = &[(1, "IN"), (3, "CH"), (4, "HS"), (254, "NONE"), (255, "ANY")];

const RCODES: &[(u16, &str)] = &[
    (0, "NOERROR"),
    (1, "FORMERR"),
    (2, "SERVFAIL"),
    (3, "NXDOMAIN"),
    (4, "NOTIMP"),
    (5, "REFUSED"),
    (6, "YXDOMAIN"),
    (7, "YXRRSET"),
    (8, "NXRRSET"),
    (9, "NOTAUTH"),
    (10, "NOTZONE"),
    (11, "DSOTYPENI"),
    (16, "BADVERS"),
    (17, "BADKEY"),
    (18, "BADTIME"),
    (19, "BADMODE"),
    (20, "BADNAME"),
    (21, "BADALG"),
    (22, "BADTRUNC"),
    (23, "BADCOOKIE"),
];

/// Opcodes (RFC 1035, 1996, 2136, 8490).
const OPCODES: &[(u16, &str)] = &[
    (0, "QUERY"),
    (1, "IQUERY"),
    (2, "STATUS"),
    (4, "NOTIFY"),
    (5, "UPDATE"),
    (6, "DSO"),
];

pub const TYPE_A: u16 = 1;
pub const TYPE_NS: u16 = 2;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_MX: u16 = 15;
pub const TYPE_TXT: u16 = 16;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_OPT: u16 = 41;
pub const CLASS_IN: u16 = 1;
pub const RCODE_NXDOMAIN: u16 = 3;

fn lookup_code(table: &[(u16, &str)], text: &str, generic_prefix: &str) -> Option<u16> {
    if let Some((code, _)) = table.iter().find(|(_, n)| n.eq_ignore_ascii_case(text)) {
        return Some(*code);
    }
    let digits = if text.len() > generic_prefix.len()
        && text[..generic_prefix.len()].eq_ignore_ascii_case(generic_prefix)
    {
        &text[generic_prefix.len()..]
    } else {
        text
    };
    digits.parse().ok()
}

fn lookup_name(table: &[(u16, &'static str)], code: u16) -> Option<&'static str> {
    table.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// Parses a record type: a mnemonic (`AAAA`, any case), a number, or RFC 3597 `TYPE65`.
pub fn parse_type(text: &str) -> Option<u16> {
    lookup_code(TYPES, text, "TYPE")
}

/// Codes below this are looked up in a table built at compile time (the hot path of
/// every renderer); the few above it by search.
const DIRECT: usize = 261;

const fn direct_table() -> [&'static str; DIRECT] {
    let mut table = [""; DIRECT];
    let mut i = 0;
    while i < TYPES.len() {
        let (code, name) = TYPES[i];
        if (code as usize) < DIRECT {
            table[code as usize] = name;
        }
        i += 1;
    }
    table
}

static BY_CODE: [&str; DIRECT] = direct_table();

/// The mnemonic of a record type, if it has one.
pub fn type_name(code: u16) -> Option<&'static str> {
    match BY_CODE.get(usize::from(code)) {
        Some(&"") => None,
        Some(name) => Some(name),
        None => lookup_name(TYPES, code),
    }
}

/// Parses a class: `IN`, `CH`, `HS`, `NONE`, `ANY`, a number or `CLASS3`.
/// [`parse_type`] for option values: the error says what was not understood.
pub fn type_from_text(text: &str) -> Result<u16, String> {
    parse_type(text)
        .ok_or_else(|| format!("unknown record type '{text}' (try A, AAAA, MX, TXT, or a number)"))
}

/// [`parse_class`] for option values.
pub fn class_from_text(text: &str) -> Result<u16, String> {
    parse_class(text).ok_or_else(|| format!("unknown class '{text}'"))
}

/// [`parse_rcode`] for option values.
pub fn rcode_from_text(text: &str) -> Result<u16, String> {
    parse_rcode(text).ok_or_else(|| format!("unknown response code '{text}'"))
}

pub fn parse_class(text: &str) -> Option<u16> {
    lookup_code(CLASSES, text, "CLASS")
}

pub fn class_name(code: u16) -> Option<&'static str> {
    lookup_name(CLASSES, code)
}

/// Parses a response code: `NXDOMAIN`, `refused`, a number.
pub fn parse_rcode(text: &str) -> Option<u16> {
    lookup_code(RCODES, text, "RCODE").filter(|&c| c < 4096)
}

pub fn rcode_name(code: u16) -> Option<&'static str> {
    lookup_name(RCODES, code)
}

pub fn opcode_name(code: u8) -> Option<&'static str> {
    lookup_name(OPCODES, u16::from(code))
}

/// Appends `name`, or `prefix` and the code in decimal (RFC 3597's generic form).
fn push_name_or_code(out: &mut String, name: Option<&str>, prefix: &str, code: u16) {
    match name {
        Some(n) => out.push_str(n),
        None => {
            out.push_str(prefix);
            crate::dns::view::digits::push_u64_str(out, u64::from(code));
        }
    }
}

macro_rules! registry_newtype {
    ($(#[$doc:meta])* $name:ident($int:ty), $lookup:expr, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub $int);

        impl $name {
            /// The mnemonic, if the registry has one.
            pub fn name(self) -> Option<&'static str> {
                $lookup(self.0)
            }

            /// Appends the mnemonic or the generic form, without `core::fmt`.
            pub fn push_to(self, out: &mut String) {
                push_name_or_code(out, self.name(), $prefix, u16::from(self.0));
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => f.pad(n),
                    None => f.pad(&format!(concat!($prefix, "{}"), self.0)),
                }
            }
        }
    };
}

registry_newtype!(
    /// A record type: `AAAA`, or `TYPE65280`.
    RecordType(u16), type_name, "TYPE"
);
registry_newtype!(
    /// A class: `IN`, or `CLASS2`.
    Class(u16), class_name, "CLASS"
);
registry_newtype!(
    /// A response code, EDNS-extended (12 bits): `NXDOMAIN`, or `RCODE12`.
    Rcode(u16), rcode_name, "RCODE"
);
registry_newtype!(
    /// An opcode: `QUERY`, or `OPCODE3`.
    Opcode(u8), opcode_name, "OPCODE"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_by_name_and_number() {
        assert_eq!(parse_type("aaaa"), Some(28));
        assert_eq!(parse_type("NSAP-PTR"), Some(23));
        assert_eq!(parse_type("TYPE65"), Some(65));
        assert_eq!(parse_type("65535"), Some(65535));
        assert_eq!(parse_type("BOGUS"), None);
        assert_eq!(parse_type("65536"), None);
        assert_eq!(type_name(65), Some("HTTPS"));
        assert_eq!(parse_rcode("nxdomain"), Some(3));
        assert_eq!(parse_class("ch"), Some(3));
    }
}
