//! Address, port and MAC specifications as users type them, and the walks over them.
//!
//! An address spec is one address (`10.0.0.1`), a range (`10.0.0.1-10.0.3.255`) or a
//! CIDR block (`10.0.0.0/16`, `2001:db8::/64`); a sequential walk steps through it with
//! carry across octets and wraps back to its start, a random walk draws from it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::rng::Rng;

/// A non-empty, contiguous set of addresses of one family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddrRange {
    first: IpAddr,
    /// Number of addresses, at least 1 (an IPv6 /0 is capped at 2^128 - 1).
    count: u128,
}

impl AddrRange {
    pub fn single(addr: IpAddr) -> Self {
        AddrRange {
            first: addr,
            count: 1,
        }
    }

    pub fn is_ipv6(&self) -> bool {
        self.first.is_ipv6()
    }

    pub fn len(&self) -> u128 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn first(&self) -> IpAddr {
        self.first
    }

    /// The `index`-th address, wrapping inside the range.
    pub fn nth(&self, index: u128) -> IpAddr {
        let offset = index % self.count;
        match self.first {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a).wrapping_add(offset as u32))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a).wrapping_add(offset))),
        }
    }

    /// A uniformly drawn address.
    pub fn random(&self, rng: &mut Rng) -> IpAddr {
        self.nth(rng.below(self.count))
    }
}

impl fmt::Display for AddrRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.count == 1 {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.nth(self.count - 1))
        }
    }
}

impl FromStr for AddrRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let parse = |a: &str| {
            a.trim()
                .parse::<IpAddr>()
                .map_err(|_| format!("'{a}' is not an IPv4 or IPv6 address"))
        };
        if let Some((addr, prefix)) = s.split_once('/') {
            let addr = parse(addr)?;
            let bits: u32 = if addr.is_ipv4() { 32 } else { 128 };
            let prefix: u32 = prefix
                .parse()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("'{prefix}' is not a prefix length from 0 to {bits}"))?;
            let host_bits = bits - prefix;
            let value = match addr {
                IpAddr::V4(a) => u128::from(u32::from(a)),
                IpAddr::V6(a) => u128::from(a),
            };
            let network = if host_bits >= 128 {
                0
            } else {
                value >> host_bits << host_bits
            };
            let size = if host_bits >= 128 {
                u128::MAX
            } else {
                1u128 << host_bits
            };
            // For IPv4 subnets with room for hosts, leave out the network and broadcast
            // addresses, as a user typing 10.0.0.0/24 means its 254 hosts.
            let (start, count) = if addr.is_ipv4() && host_bits >= 2 {
                (network + 1, size - 2)
            } else {
                (network, size)
            };
            let first = match addr {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(start as u32)),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(start)),
            };
            return Ok(AddrRange { first, count });
        }
        if let Some((a, b)) = s.split_once('-') {
            let (a, b) = (parse(a)?, parse(b)?);
            let (lo, hi) = match (a, b) {
                (IpAddr::V4(a), IpAddr::V4(b)) => {
                    (u128::from(u32::from(a)), u128::from(u32::from(b)))
                }
                (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b)),
                _ => return Err(format!("range '{s}' mixes IPv4 and IPv6")),
            };
            if hi < lo {
                return Err(format!("range '{s}' is empty: {b} comes before {a}"));
            }
            return Ok(AddrRange {
                first: a,
                count: (hi - lo).saturating_add(1),
            });
        }
        Ok(AddrRange::single(parse(s)?))
    }
}

/// A port choice: one port, a range walked in order (wrapping), or random draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortSpec {
    Fixed(u16),
    Range(u16, u16),
    Random(u16, u16),
}

impl PortSpec {
    /// The port for the `index`-th packet.
    pub fn pick(&self, index: u64, rng: &mut Rng) -> u16 {
        match *self {
            PortSpec::Fixed(p) => p,
            PortSpec::Range(lo, hi) => {
                let span = u64::from(hi - lo) + 1;
                lo + (index % span) as u16
            }
            PortSpec::Random(lo, hi) => lo + rng.below(u128::from(hi - lo) + 1) as u16,
        }
    }
}

impl FromStr for PortSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let port = |p: &str| {
            p.trim()
                .parse::<u16>()
                .map_err(|_| format!("'{p}' is not a port number (0-65535)"))
        };
        let range = |r: &str| -> Result<(u16, u16), String> {
            let (a, b) = r
                .split_once('-')
                .ok_or_else(|| format!("'{r}' is not a port range A-B"))?;
            let (a, b) = (port(a)?, port(b)?);
            if b < a {
                return Err(format!("port range '{r}' is empty"));
            }
            Ok((a, b))
        };
        if s == "random" {
            return Ok(PortSpec::Random(1024, 65535));
        }
        if let Some(r) = s.strip_prefix("random:") {
            let (a, b) = range(r)?;
            return Ok(PortSpec::Random(a, b));
        }
        if s.contains('-') {
            let (a, b) = range(s)?;
            return Ok(PortSpec::Range(a, b));
        }
        Ok(PortSpec::Fixed(port(s)?))
    }
}

/// A 48-bit MAC address written as six hex bytes separated by `:` or `-`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mac(pub [u8; 6]);

impl FromStr for Mac {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split([':', '-']).collect();
        let bad = || format!("'{s}' is not a MAC address like 02:00:00:00:00:01");
        if parts.len() != 6 {
            return Err(bad());
        }
        let mut mac = [0u8; 6];
        for (byte, part) in mac.iter_mut().zip(parts) {
            if part.is_empty() || part.len() > 2 {
                return Err(bad());
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
        }
        Ok(Mac(mac))
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_walk_carries_and_wraps() {
        let r: AddrRange = "192.168.0.254-192.168.1.1".parse().unwrap();
        let walk: Vec<String> = (0..5).map(|i| r.nth(i).to_string()).collect();
        assert_eq!(
            walk,
            [
                "192.168.0.254",
                "192.168.0.255",
                "192.168.1.0",
                "192.168.1.1",
                "192.168.0.254"
            ]
        );
    }

    #[test]
    fn cidr_blocks() {
        let r: AddrRange = "10.0.0.77/24".parse().unwrap();
        assert_eq!(r.first().to_string(), "10.0.0.1");
        assert_eq!(r.len(), 254);
        let r: AddrRange = "10.0.0.7/32".parse().unwrap();
        assert_eq!((r.first().to_string(), r.len()), ("10.0.0.7".into(), 1));
        let r: AddrRange = "2001:db8::/126".parse().unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!(r.nth(3).to_string(), "2001:db8::3");
        let r: AddrRange = "::/0".parse().unwrap();
        assert_eq!(r.len(), u128::MAX);
    }

    #[test]
    fn bad_specs() {
        for s in [
            "10.0.0.300",
            "10.0.0.5-10.0.0.1",
            "10.0.0.0/33",
            "10.0.0.1-::1",
            "",
        ] {
            assert!(s.parse::<AddrRange>().is_err(), "{s}");
        }
        for s in ["70000", "9-3", "x", "random:5"] {
            assert!(s.parse::<PortSpec>().is_err(), "{s}");
        }
        assert!("02:00:00:00:00".parse::<Mac>().is_err());
        assert!("02:00:00:00:00:zz".parse::<Mac>().is_err());
    }

    #[test]
    fn ports() {
        let mut rng = Rng::new(1);
        assert_eq!("80".parse::<PortSpec>().unwrap().pick(5, &mut rng), 80);
        let r: PortSpec = "1000-1002".parse().unwrap();
        assert_eq!(
            (0..4).map(|i| r.pick(i, &mut rng)).collect::<Vec<_>>(),
            [1000, 1001, 1002, 1000]
        );
        let r: PortSpec = "random:5-6".parse().unwrap();
        assert!((0..50).all(|i| (5..=6).contains(&r.pick(i, &mut rng))));
    }
}
