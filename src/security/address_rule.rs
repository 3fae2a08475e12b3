//! The peer-address patterns of the authenticator's allow and deny lists:
//! exact addresses as libzmq reports them, and CIDR ranges.

use std::net::IpAddr;

use crate::error::{Error, ErrorKind, Result};

/// One entry of an allow or deny list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum AddressPattern {
    /// The address exactly as libzmq reports it (`"127.0.0.1"`, `"::1"`).
    Exact(String),
    /// Every address in `network/prefix` (`10.0.0.0/8`, `fd00::/8`).
    Range { network: IpAddr, prefix: u8 },
}

impl AddressPattern {
    /// Parses `"10.0.0.0/8"` as a range and anything else as an exact
    /// address. A range must have a valid address and a prefix within its
    /// family (0–32 for IPv4, 0–128 for IPv6), and no bits set past it.
    pub(crate) fn parse(text: &str, operation: &'static str) -> Result<AddressPattern> {
        let Some((address, prefix)) = text.split_once('/') else {
            if text.is_empty() {
                return Err(invalid(operation, text, "an empty address"));
            }
            return Ok(AddressPattern::Exact(text.to_owned()));
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| invalid(operation, text, "not an IP address"))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| invalid(operation, text, "not a prefix length"))?;
        let bits = bits_of(network);
        if u32::from(prefix) > bits {
            return Err(invalid(operation, text, "prefix longer than the address"));
        }
        if masked(network, prefix) != network {
            return Err(invalid(operation, text, "bits set past the prefix"));
        }
        Ok(AddressPattern::Range { network, prefix })
    }

    /// Whether the peer `address` (as libzmq reports it) matches. An
    /// IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) matches IPv4 ranges.
    pub(crate) fn matches(&self, address: &str) -> bool {
        match self {
            AddressPattern::Exact(exact) => exact == address,
            AddressPattern::Range { network, prefix } => {
                let Ok(peer) = address.parse::<IpAddr>() else {
                    return false;
                };
                let peer = match peer {
                    IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
                    v4 => v4,
                };
                bits_of(peer) == bits_of(*network) && masked(peer, *prefix) == *network
            }
        }
    }
}

fn invalid(operation: &'static str, text: &str, why: &str) -> Error {
    // Errors keep a short detail: the reason first, then as much of the
    // input as fits.
    let shown: String = text.chars().take(20).collect();
    Error::with_kind(ErrorKind::InvalidInput, operation).context(&format!("{why}: {shown:?}"))
}

fn bits_of(address: IpAddr) -> u32 {
    match address {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// `address` with every bit past `prefix` cleared.
fn masked(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> AddressPattern {
        AddressPattern::parse(text, "test").unwrap()
    }

    #[test]
    fn ipv4_ranges_match_their_edges_and_nothing_past_them() {
        let ten = range("10.0.0.0/8");
        assert!(ten.matches("10.0.0.0"));
        assert!(ten.matches("10.255.255.255"));
        assert!(!ten.matches("11.0.0.0"));
        assert!(!ten.matches("9.255.255.255"));
        let one = range("192.168.1.7/32");
        assert!(one.matches("192.168.1.7"));
        assert!(!one.matches("192.168.1.6"));
        let all = range("0.0.0.0/0");
        assert!(all.matches("1.2.3.4") && all.matches("255.255.255.255"));
        assert!(!all.matches("::1"), "an IPv4 range does not match IPv6");
    }

    #[test]
    fn ipv6_ranges_and_mapped_ipv4() {
        let loopback = range("::1/128");
        assert!(loopback.matches("::1"));
        assert!(!loopback.matches("::2"));
        let ula = range("fd00::/8");
        assert!(ula.matches("fd12:3456::1"));
        assert!(!ula.matches("fe80::1"));
        let all = range("::/0");
        assert!(all.matches("2001:db8::1"));
        assert!(
            !all.matches("127.0.0.1"),
            "an IPv6 range does not match IPv4"
        );
        // A dual-stack socket reports IPv4 peers as mapped addresses.
        assert!(range("10.0.0.0/8").matches("::ffff:10.1.2.3"));
    }

    #[test]
    fn exact_addresses_and_garbage() {
        let exact = range("127.0.0.1");
        assert!(exact.matches("127.0.0.1"));
        assert!(!exact.matches("127.0.0.2"));
        assert!(!range("10.0.0.0/8").matches("not an address"));
    }

    #[test]
    fn bad_ranges_are_refused_with_the_reason() {
        for (text, why) in [
            ("10.0.0.0/33", "longer than the address"),
            ("::/129", "longer than the address"),
            ("10.0.0.1/8", "bits set past the prefix"),
            ("10.0.0/8", "not an IP address"),
            ("10.0.0.0/x", "not a prefix length"),
            ("10.0.0.0/-1", "not a prefix length"),
            ("", "an empty address"),
        ] {
            let error = AddressPattern::parse(text, "allow").unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput);
            assert!(error.to_string().contains(why), "{text}: {error}");
        }
    }
}
