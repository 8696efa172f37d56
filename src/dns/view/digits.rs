//! Number formatting for the per-message hot path: `core::fmt` costs more than the
//! decoding it reports on. Everything writes ASCII into a byte buffer or a `String`
//! alike ([`Ascii`]), without allocating.

/// Where digits go: a byte buffer or a `String` (only ASCII is ever pushed).
pub trait Ascii {
    fn push_byte(&mut self, b: u8);
    fn push_ascii(&mut self, bytes: &[u8]);
    /// Pushes the first `len` bytes of `bytes`.
    #[inline]
    fn push_first<const N: usize>(&mut self, bytes: &[u8; N], len: usize) {
        self.push_ascii(&bytes[..len]);
    }
}

impl Ascii for Vec<u8> {
    #[inline]
    fn push_byte(&mut self, b: u8) {
        self.push(b);
    }
    #[inline]
    fn push_ascii(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    /// A copy of fixed length is a few vector moves, where a copy of variable length
    /// is a call of `memcpy`: the whole array is copied, then the tail dropped.
    #[inline]
    fn push_first<const N: usize>(&mut self, bytes: &[u8; N], len: usize) {
        let end = self.len() + len.min(N);
        self.extend_from_slice(bytes);
        self.truncate(end);
    }
}

impl Ascii for String {
    #[inline]
    fn push_byte(&mut self, b: u8) {
        self.push(char::from(b));
    }
    #[inline]
    fn push_ascii(&mut self, bytes: &[u8]) {
        // A few digits: cheaper pushed one by one than validated as UTF-8.
        self.reserve(bytes.len());
        for &b in bytes {
            self.push(char::from(b));
        }
    }
}

/// "00" to "99": two digits per division.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `n` in decimal.
#[inline]
pub fn push_u64(out: &mut impl Ascii, n: u64) {
    if n < 10 {
        out.push_byte(b'0' + n as u8);
        return;
    }
    let digits = n.ilog10() as usize + 1;
    let mut buf = [0u8; 20];
    let mut i = digits;
    let mut n = n;
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    out.push_first(&buf, digits);
}

/// Appends `n` in decimal to a `String`.
pub fn push_u64_str(out: &mut String, n: u64) {
    push_u64(out, n);
}

/// Appends an IP address to a `String` (as [`push_ip`] writes it).
pub fn push_ip_str(out: &mut String, addr: std::net::IpAddr) {
    push_ip(out, addr);
}

/// Appends `n` as exactly `width` decimal digits (zero-padded, truncated on the left).
pub fn push_padded(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Appends `0x` and `n` in lowercase hex, at least `digits` digits (zero-padded).
pub fn push_hex(out: &mut Vec<u8>, n: u32, digits: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"0x");
    let needed = (8 - n.leading_zeros() as usize / 4).max(digits).max(1);
    for i in (0..needed).rev() {
        out.push(HEX[(n >> (4 * i)) as usize & 0xf]);
    }
}

/// Appends `0x` and four lowercase hex digits.
pub fn push_hex16(out: &mut Vec<u8>, n: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"0x");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((n >> shift) & 0xf)]);
    }
}

/// Each byte's decimal digits followed by a dot, and how many digits: an IPv4 address
/// is then four fixed-size copies.
const OCTETS: [([u8; 4], u8); 256] = {
    let mut table = [([0u8; 4], 0u8); 256];
    let mut n = 0;
    while n < 256 {
        let (hundreds, tens, ones) = ((n / 100) as u8, (n / 10 % 10) as u8, (n % 10) as u8);
        table[n] = if n >= 100 {
            ([b'0' + hundreds, b'0' + tens, b'0' + ones, b'.'], 3)
        } else if n >= 10 {
            ([b'0' + tens, b'0' + ones, b'.', 0], 2)
        } else {
            ([b'0' + ones, b'.', 0, 0], 1)
        };
        n += 1;
    }
    table
};

/// Appends a dotted-quad IPv4 address (the commonest thing a line holds besides names).
#[inline]
pub fn push_ipv4(out: &mut impl Ascii, a: [u8; 4]) {
    let mut text = [0u8; 16];
    let mut len = 0;
    for octet in a {
        let (digits, count) = OCTETS[usize::from(octet)];
        text[len..len + 4].copy_from_slice(&digits);
        len += usize::from(count) + 1;
    }
    // Without the last octet's dot.
    out.push_first(&text, len - 1);
}

/// Appends an IPv6 address as Wireshark writes it (BIND's inet_ntop6): the longest
/// run of two or more zero groups as `::`, and IPv4-mapped and IPv4-compatible
/// addresses with a dotted quad at the end.
pub fn push_ipv6(out: &mut impl Ascii, a: [u8; 16]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let words: [u16; 8] = std::array::from_fn(|i| u16::from_be_bytes([a[2 * i], a[2 * i + 1]]));
    let (mut best, mut best_len) = (usize::MAX, 0);
    let mut i = 0;
    while i < 8 {
        if words[i] == 0 {
            let start = i;
            while i < 8 && words[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                (best, best_len) = (start, i - start);
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best = usize::MAX;
    }
    let mut i = 0;
    while i < 8 {
        if i == best {
            out.push_ascii(b"::");
            i += best_len;
            continue;
        }
        if i > 0 && (best == usize::MAX || i != best + best_len) {
            out.push_byte(b':');
        }
        let embedded_v4 = i == 6
            && best == 0
            && (best_len == 6
                || (best_len == 7 && words[7] != 1)
                || (best_len == 5 && words[5] == 0xffff));
        if embedded_v4 {
            push_ipv4(out, [a[12], a[13], a[14], a[15]]);
            return;
        }
        let w = words[i];
        let mut started = false;
        for shift in [12, 8, 4, 0] {
            let d = (w >> shift) & 0xf;
            if d != 0 || started || shift == 0 {
                out.push_byte(HEX[usize::from(d)]);
                started = true;
            }
        }
        i += 1;
    }
}

/// Appends an IP address.
pub fn push_ip(out: &mut impl Ascii, addr: std::net::IpAddr) {
    match addr {
        std::net::IpAddr::V4(a) => push_ipv4(out, a.octets()),
        std::net::IpAddr::V6(a) => push_ipv6(out, a.octets()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let mut v = Vec::new();
        push_u64(&mut v, 0);
        v.push(b' ');
        push_u64(&mut v, 18_446_744_073_709_551_615);
        v.push(b' ');
        push_padded(&mut v, 42, 6);
        v.push(b' ');
        push_hex16(&mut v, 0xbeef);
        v.push(b' ');
        push_ipv4(&mut v, [192, 0, 2, 255]);
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "0 18446744073709551615 000042 0xbeef 192.0.2.255"
        );
    }

    #[test]
    fn decimals_and_hex_like_core_fmt() {
        let mut rng = crate::rng::Rng::new(5);
        for i in 0..100_000u64 {
            // Small numbers, every width, and the edges.
            let n = match i % 4 {
                0 => i,
                1 => rng.next_u64() >> rng.below(64),
                2 => 10u64.saturating_pow((i / 4 % 20) as u32) - (i / 80 % 2),
                _ => u64::MAX - i,
            };
            let mut v = Vec::new();
            push_u64(&mut v, n);
            assert_eq!(String::from_utf8(v).unwrap(), n.to_string());
            let (x, digits) = (n as u32, (i % 9) as usize);
            let mut v = Vec::new();
            push_hex(&mut v, x, digits);
            assert_eq!(String::from_utf8(v).unwrap(), format!("0x{x:0digits$x}"));
        }
    }

    #[test]
    fn ipv4_like_std() {
        let mut rng = crate::rng::Rng::new(7);
        for i in 0..70_000u32 {
            // Every value in every position, then random addresses.
            let a = if i < 1024 {
                let b = (i % 256) as u8;
                let mut a = [1, 22, 133, 4];
                a[(i / 256) as usize] = b;
                a
            } else {
                (rng.next_u64() as u32).to_be_bytes()
            };
            let mut v = b"x".to_vec();
            push_ipv4(&mut v, a);
            let mut s = String::from("x");
            push_ipv4(&mut s, a);
            let want = format!("x{}", std::net::Ipv4Addr::from(a));
            assert_eq!((String::from_utf8(v).unwrap(), s), (want.clone(), want));
        }
    }

    #[test]
    fn ipv6_like_wireshark() {
        for (text, want) in [
            ("2001:db8::1", "2001:db8::1"),
            ("::", "::"),
            ("::1", "::1"),
            ("fe80::1:0:0:1", "fe80::1:0:0:1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("::192.0.2.1", "::192.0.2.1"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8"),
        ] {
            let a: std::net::Ipv6Addr = text.parse().unwrap();
            let mut v = Vec::new();
            push_ipv6(&mut v, a.octets());
            assert_eq!(String::from_utf8(v).unwrap(), want, "{text}");
        }
    }
}
