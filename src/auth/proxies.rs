//! Which address a request comes from when a reverse proxy is in front: the peer's
//! address, unless the peer is one of the operator's trusted proxies; then the rightmost
//! address in `X-Forwarded-For` that is not a trusted proxy (what the first trusted proxy
//! saw; anything to its left was written by the client and proves nothing).

use super::AuthError;
use std::net::IpAddr;
use std::str::FromStr;

/// One network, `address/prefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The trusted proxies: networks in CIDR notation (`10.0.0.0/8`, `::1/128`, or a single
/// address).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl FromStr for TrustedProxies {
    type Err = AuthError;

    /// A comma-separated list of networks.
    fn from_str(text: &str) -> Result<Self, AuthError> {
        let bad = |item: &str| AuthError::TrustedProxy(item.to_string());
        let mut networks = Vec::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, prefix) = item.split_once('/').unwrap_or((item, ""));
            let address = addr
                .parse::<IpAddr>()
                .map_err(|_| bad(item))?
                .to_canonical();
            let max = if address.is_ipv4() { 32 } else { 128 };
            let prefix = if prefix.is_empty() {
                max
            } else {
                prefix
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| bad(item))?
            };
            networks.push(Network { address, prefix });
        }
        Ok(Self(networks))
    }
}

impl TrustedProxies {
    /// True when no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client's address for a connection from `peer` carrying the `X-Forwarded-For`
    /// values `forwarded` (every header line, in order): `peer` unless it is trusted;
    /// then the rightmost forwarded address that is not trusted (the leftmost when all
    /// are). An entry that is not an address ends the walk at the last good one.
    pub fn client<'a>(&self, peer: IpAddr, forwarded: impl IntoIterator<Item = &'a str>) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let hops: Vec<&str> = forwarded
            .into_iter()
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.into_iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                return client;
            };
            client = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        client
    }
}

/// An `X-Forwarded-For` entry: an address, optionally with a port (`1.2.3.4:5`,
/// `[::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(socket.ip().to_canonical());
    }
    hop.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_match() {
        let proxies: TrustedProxies = "10.0.0.0/8, 192.168.1.5, fd00::/8, ::1".parse().unwrap();
        assert!(proxies.trusts(ip("10.200.3.4")));
        assert!(proxies.trusts(ip("192.168.1.5")));
        assert!(!proxies.trusts(ip("192.168.1.6")));
        assert!(proxies.trusts(ip("fd12::1")));
        assert!(proxies.trusts(ip("::1")));
        assert!(proxies.trusts(ip("::ffff:10.1.1.1")), "IPv4-mapped");
        assert!(!proxies.trusts(ip("11.0.0.1")));
        let everything: TrustedProxies = "0.0.0.0/0".parse().unwrap();
        assert!(everything.trusts(ip("8.8.8.8")));
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "proxy.local",
            "::/129",
            "1.2.3.4/x",
        ] {
            assert!(bad.parse::<TrustedProxies>().is_err(), "{bad}");
        }
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let none: TrustedProxies = TrustedProxies::default();
        // Not behind a trusted proxy: the header is ignored.
        assert_eq!(none.client(ip("10.0.0.1"), ["1.1.1.1"]), ip("10.0.0.1"));
        assert_eq!(proxies.client(ip("8.8.8.8"), ["1.1.1.1"]), ip("8.8.8.8"));
        // Behind one: what the proxy saw, not what the client claims to its left.
        assert_eq!(
            proxies.client(ip("10.0.0.1"), ["6.6.6.6, 2.2.2.2"]),
            ip("2.2.2.2")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.1"), ["6.6.6.6", "2.2.2.2, 10.0.0.9"]),
            ip("2.2.2.2"),
            "two proxies, two header lines"
        );
        assert_eq!(
            proxies.client(ip("10.0.0.1"), [] as [&str; 0]),
            ip("10.0.0.1")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.1"), ["10.0.0.7"]),
            ip("10.0.0.7"),
            "all trusted: the leftmost"
        );
        assert_eq!(
            proxies.client(ip("10.0.0.1"), ["garbage, 10.0.0.7"]),
            ip("10.0.0.7")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.1"), ["2.2.2.2:5555"]),
            ip("2.2.2.2")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.1"), ["[2001:db8::1]:80"]),
            ip("2001:db8::1")
        );
    }
}
