//! IPv4 and IPv6 networks, as `rules.allow_cidrs` names them.

use std::net::IpAddr;

/// An IPv4 or IPv6 network, as (network address, mask).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cidr {
    V4(u32, u32),
    V6(u128, u128),
}

impl Cidr {
    pub(super) fn parse(text: &str) -> Result<Cidr, String> {
        let bad = || format!("{text:?} is not an IPv4 or IPv6 CIDR");
        let (addr, len) = match text.split_once('/') {
            Some((addr, len)) => (addr, Some(len)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len: u32 = match len {
            None => max,
            Some(len) if !len.is_empty() && len.bytes().all(|b| b.is_ascii_digit()) => {
                len.parse().ok().filter(|&n| n <= max).ok_or_else(bad)?
            }
            Some(_) => return Err(bad()),
        };
        // Host bits are ignored: 10.1.2.3/8 means 10.0.0.0/8.
        Ok(match addr {
            IpAddr::V4(a) => {
                let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
                Cidr::V4(u32::from(a) & mask, mask)
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
                Cidr::V6(u128::from(a) & mask, mask)
            }
        })
    }

    pub(super) fn contains(self, ip: IpAddr) -> bool {
        match (self, ip) {
            (Cidr::V4(net, mask), IpAddr::V4(a)) => u32::from(a) & mask == net,
            // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 address.
            (Cidr::V4(..), IpAddr::V6(a)) => a
                .to_ipv4_mapped()
                .is_some_and(|a| self.contains(IpAddr::V4(a))),
            (Cidr::V6(net, mask), IpAddr::V6(a)) => u128::from(a) & mask == net,
            (Cidr::V6(..), IpAddr::V4(_)) => false,
        }
    }
}
