//! Domain names in wire form, built from the text users type.

use std::fmt::{self, Write as _};
use std::str::FromStr;

/// Longest name on the wire, terminating root label included (RFC 1035 2.3.4).
pub const MAX_NAME_LEN: usize = 255;
/// Longest label (RFC 1035 2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// An uncompressed domain name in wire form (length-prefixed labels, root byte last).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Name(Vec<u8>);

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("label '{0}' is {1} bytes, the limit is 63")]
    LabelTooLong(String, usize),
    #[error("name is {0} bytes on the wire, the limit is 255")]
    NameTooLong(usize),
    #[error("empty label (two dots in a row, or a leading dot)")]
    EmptyLabel,
    #[error("bad escape '\\{0}' (use \\. or \\DDD with DDD at most 255)")]
    BadEscape(String),
}

impl Name {
    pub fn root() -> Self {
        Name(vec![0])
    }

    /// The wire form: labels and the final zero byte.
    pub fn as_wire(&self) -> &[u8] {
        &self.0
    }

    /// Builds a name from already-checked labels.
    pub fn from_labels<'a>(labels: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, NameError> {
        let mut wire = Vec::new();
        for label in labels {
            if label.is_empty() {
                return Err(NameError::EmptyLabel);
            }
            if label.len() > MAX_LABEL_LEN {
                return Err(NameError::LabelTooLong(
                    String::from_utf8_lossy(label).into_owned(),
                    label.len(),
                ));
            }
            wire.push(label.len() as u8);
            wire.extend_from_slice(label);
        }
        wire.push(0);
        if wire.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong(wire.len()));
        }
        Ok(Name(wire))
    }

    /// The labels, outermost last.
    pub fn labels(&self) -> impl Iterator<Item = &[u8]> {
        let mut at = 0;
        std::iter::from_fn(move || {
            let len = usize::from(*self.0.get(at)?);
            if len == 0 {
                return None;
            }
            let label = &self.0[at + 1..at + 1 + len];
            at += 1 + len;
            Some(label)
        })
    }

    /// The name without its first label (the root stays the root).
    pub fn parent(&self) -> Name {
        match self.0.first() {
            Some(&len) if len > 0 => Name(self.0[1 + usize::from(len)..].to_vec()),
            _ => Name::root(),
        }
    }

    /// `label.self`.
    pub fn prepend(&self, label: &[u8]) -> Result<Name, NameError> {
        let labels: Vec<&[u8]> = std::iter::once(label).chain(self.labels()).collect();
        Name::from_labels(labels)
    }
}

impl FromStr for Name {
    type Err = NameError;

    /// Presentation format: labels separated by dots, an optional trailing dot, `.` for
    /// the root, `\.` and `\DDD` escapes inside labels.
    fn from_str(text: &str) -> Result<Self, NameError> {
        if text == "." || text.is_empty() {
            return Ok(Name::root());
        }
        let text = text
            .strip_suffix('.')
            .filter(|t| !t.ends_with('\\'))
            .unwrap_or(text);
        let bytes = text.as_bytes();
        let mut labels: Vec<Vec<u8>> = vec![Vec::new()];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'.' => labels.push(Vec::new()),
                b'\\' => {
                    let rest = &bytes[i + 1..];
                    if rest.len() >= 3 && rest[..3].iter().all(u8::is_ascii_digit) {
                        let value: u32 = std::str::from_utf8(&rest[..3]).unwrap().parse().unwrap();
                        let byte = u8::try_from(value).map_err(|_| {
                            NameError::BadEscape(String::from_utf8_lossy(&rest[..3]).into_owned())
                        })?;
                        labels.last_mut().unwrap().push(byte);
                        i += 3;
                    } else if let Some(&c) = rest.first() {
                        if c.is_ascii_digit() {
                            return Err(NameError::BadEscape(
                                String::from_utf8_lossy(&rest[..rest.len().min(3)]).into_owned(),
                            ));
                        }
                        labels.last_mut().unwrap().push(c);
                        i += 1;
                    } else {
                        return Err(NameError::BadEscape(String::new()));
                    }
                }
                c => labels.last_mut().unwrap().push(c),
            }
            i += 1;
        }
        Name::from_labels(labels.iter().map(Vec::as_slice))
    }
}

/// Appends bytes in presentation format (RFC 1035 5.1): each byte of `special`
/// after a backslash, bytes from `lowest` to `~` as they are, any other as `\DDD`.
pub fn push_escaped(out: &mut String, bytes: &[u8], special: [u8; 2], lowest: u8) {
    // Most names and strings need no escape: copy them whole. (The two special bytes
    // are compared directly: `contains` on a slice calls memchr for each byte.)
    let is_special = |b: u8| b == special[0] || b == special[1];
    if bytes
        .iter()
        .all(|&b| (lowest..=b'~').contains(&b) && !is_special(b))
    {
        out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
        return;
    }
    for &b in bytes {
        if is_special(b) {
            out.push('\\');
            out.push(b as char);
        } else if (lowest..=b'~').contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "\\{b:03}");
        }
    }
}

/// Appends one label: `.` and `\` escaped, spaces and other non-printables as `\DDD`.
pub fn push_label(out: &mut String, label: &[u8]) {
    push_escaped(out, label, *b".\\", b'!');
}

/// Appends a character-string's text (RFC 1035 5.1): `"` and `\` escaped, spaces
/// kept, other non-printables as `\DDD`.
pub fn push_text(out: &mut String, bytes: &[u8]) {
    push_escaped(out, bytes, *b"\"\\", b' ');
}

impl fmt::Display for Name {
    /// Presentation format without the trailing dot (`<Root>` for the root, as
    /// Wireshark writes it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        for label in self.labels() {
            if !text.is_empty() {
                text.push('.');
            }
            push_label(&mut text, label);
        }
        f.write_str(if text.is_empty() { "<Root>" } else { &text })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let n: Name = "www.Example.com.".parse().unwrap();
        assert_eq!(n.as_wire(), b"\x03www\x07Example\x03com\x00");
        assert_eq!(n.to_string(), "www.Example.com");
        assert_eq!(n.parent().to_string(), "Example.com");
        let e: Name = r"a\.b.c\032d".parse().unwrap();
        assert_eq!(e.as_wire(), b"\x03a.b\x03c d\x00");
        assert_eq!(".".parse::<Name>().unwrap(), Name::root());
    }

    #[test]
    fn enforces_limits() {
        let long_label = "a".repeat(64);
        assert!(matches!(
            long_label.parse::<Name>(),
            Err(NameError::LabelTooLong(_, 64))
        ));
        assert!("a".repeat(63).parse::<Name>().is_ok());
        // 4 labels of 63 = 4*64 + 1 = 257 bytes.
        let long_name = vec!["a".repeat(63); 4].join(".");
        assert!(matches!(
            long_name.parse::<Name>(),
            Err(NameError::NameTooLong(257))
        ));
        let ok = format!("{}.{}", vec!["a".repeat(63); 3].join("."), "a".repeat(61));
        assert_eq!(ok.parse::<Name>().unwrap().as_wire().len(), 255);
        assert_eq!("a..b".parse::<Name>(), Err(NameError::EmptyLabel));
        assert!(r"a\300".parse::<Name>().is_err());
    }
}
