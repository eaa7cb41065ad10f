//! Who is calling from where: the client address behind load balancers and proxies, and
//! whether it came through a VPC (IAM User Guide, "AWS global condition context keys":
//! `aws:SourceIp`, `aws:SourceVpc`, `aws:SourceVpce`, `aws:VpcSourceIp`).
//!
//! - The connection gives the peer address, or the PROXY protocol header's source when a
//!   load balancer sent one (see `proxy_proto`), and the VPC endpoint id from its AWS TLV.
//! - `X-Forwarded-For` is believed only from `network.trusted_proxies`; walking it from the
//!   right, the first address that is not a trusted proxy is the client. A client can
//!   prepend anything it likes, so nothing left of that is read.
//! - A client whose address lies in a `network.vpcs` range, or that came through a VPC
//!   endpoint, is a VPC client: it gets `aws:SourceVpc`, `aws:SourceVpce` and
//!   `aws:VpcSourceIp`, and no `aws:SourceIp`, as AWS does for VPC endpoint traffic.
//!
//! Pure: addresses and header values in, the network origin out.

use std::fmt;
use std::net::IpAddr;

use http::HeaderMap;
use ipnet::IpNet;

use crate::config::{NetworkConfig, Vpc};

/// A VPC endpoint id (`vpce-` and up to 32 lowercase hex digits), stored inline so the
/// per-connection identity stays `Copy`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VpceId {
    bytes: [u8; VpceId::MAX],
    len: u8,
}

impl VpceId {
    const MAX: usize = 40;

    pub fn parse(s: &str) -> Option<Self> {
        if !is_vpce_id(s) {
            return None;
        }
        let mut bytes = [0u8; Self::MAX];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Some(Self { bytes, len: u8::try_from(s.len()).ok()? })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (checked by `is_vpce_id`).
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Debug for VpceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub use crate::config::is_vpce_id;

/// The network map from the configuration, ready for lookups.
#[derive(Debug, Clone, Default)]
pub struct NetworkMap {
    trusted_proxies: Vec<IpNet>,
    vpcs: Vec<Vpc>,
}

/// Where a request came from, as policies see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    /// The client's address (after PROXY and trusted `X-Forwarded-For`).
    pub client: IpAddr,
    /// Set for VPC clients.
    pub vpc: Option<&'a str>,
    pub vpce: Option<&'a str>,
}

impl Origin<'_> {
    pub fn is_vpc(&self) -> bool {
        self.vpc.is_some() || self.vpce.is_some()
    }
}

impl NetworkMap {
    pub fn new(config: &NetworkConfig) -> Self {
        Self { trusted_proxies: config.trusted_proxies.clone(), vpcs: config.vpcs.clone() }
    }

    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted_proxies.iter().any(|n| n.contains(&ip))
    }

    /// The client behind `sender` (the address that sent this HTTP request): `sender`
    /// itself unless it is a trusted proxy, else the right-most `X-Forwarded-For` hop that is
    /// not one. A hop that is not an address ends the walk at the proxy that wrote it.
    pub fn client_ip(&self, sender: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = sender.to_canonical();
        if !self.is_trusted_proxy(client) {
            return client;
        }
        // Several X-Forwarded-For headers read as one list, in order.
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .rev()
            .flat_map(|v| v.to_str().unwrap_or("").rsplit(','))
            .map(str::trim)
            .filter(|h| !h.is_empty());
        for hop in hops {
            let Some(ip) = parse_hop(hop) else { return client };
            client = ip.to_canonical();
            if !self.is_trusted_proxy(client) {
                return client;
            }
        }
        client
    }

    /// The VPC a client is in: by address range, else by the endpoint it came through.
    pub fn origin<'a>(&'a self, client: IpAddr, tlv_vpce: Option<&'a str>) -> Origin<'a> {
        let by_range = self.vpcs.iter().find(|v| v.cidrs.iter().any(|n| n.contains(&client)));
        let vpc = by_range.or_else(|| {
            let e = tlv_vpce?;
            self.vpcs.iter().find(|v| v.endpoint_id.as_deref() == Some(e))
        });
        Origin {
            client,
            vpc: vpc.map(|v| v.id.as_str()),
            vpce: tlv_vpce.or_else(|| vpc.and_then(|v| v.endpoint_id.as_deref())),
        }
    }
}

/// `203.0.113.7`, `2001:db8::1`, `203.0.113.7:5678` or `[2001:db8::1]:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(sa) = hop.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    hop.strip_prefix('[').and_then(|h| h.strip_suffix(']')).and_then(|h| h.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> NetworkMap {
        NetworkMap {
            trusted_proxies: vec!["127.0.0.1/32".parse().unwrap(), "10.9.0.0/16".parse().unwrap()],
            vpcs: vec![
                Vpc {
                    id: "vpc-1a2b3c4d".into(),
                    cidrs: vec!["10.0.0.0/16".parse().unwrap()],
                    endpoint_id: Some("vpce-0123456789abcdef0".into()),
                },
                Vpc { id: "vpc-99".into(), cidrs: vec!["fd00::/8".parse().unwrap()], endpoint_id: None },
            ],
        }
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies() {
        let m = map();
        // An untrusted sender's header is ignored entirely.
        assert_eq!(m.client_ip(ip("198.51.100.1"), &xff(&["10.0.0.5"])), ip("198.51.100.1"));
        // A trusted proxy: the right-most hop that is not a trusted proxy.
        assert_eq!(m.client_ip(ip("127.0.0.1"), &xff(&["203.0.113.9"])), ip("203.0.113.9"));
        // A spoofed left part is never reached.
        assert_eq!(m.client_ip(ip("127.0.0.1"), &xff(&["10.0.0.5, 203.0.113.9"])), ip("203.0.113.9"));
        // Chains of trusted proxies are walked through.
        assert_eq!(m.client_ip(ip("127.0.0.1"), &xff(&["203.0.113.9, 10.9.1.1"])), ip("203.0.113.9"));
        assert_eq!(m.client_ip(ip("127.0.0.1"), &xff(&["203.0.113.9", "10.9.1.1"])), ip("203.0.113.9"));
        // Garbage stops the walk at the proxy that wrote it.
        assert_eq!(m.client_ip(ip("127.0.0.1"), &xff(&["10.0.0.5, unknown"])), ip("127.0.0.1"));
        // Ports and brackets.
        assert_eq!(m.client_ip(ip("127.0.0.1"), &xff(&["203.0.113.9:5678"])), ip("203.0.113.9"));
        assert_eq!(m.client_ip(ip("127.0.0.1"), &xff(&["[2001:db8::1]:443"])), ip("2001:db8::1"));
        // No header: the proxy itself.
        assert_eq!(m.client_ip(ip("127.0.0.1"), &HeaderMap::new()), ip("127.0.0.1"));
        // v4-mapped senders are seen as IPv4.
        assert_eq!(m.client_ip(ip("::ffff:127.0.0.1"), &xff(&["203.0.113.9"])), ip("203.0.113.9"));
    }

    #[test]
    fn vpc_clients_by_range_or_endpoint() {
        let m = map();
        let o = m.origin(ip("10.0.3.4"), None);
        assert_eq!((o.vpc, o.vpce), (Some("vpc-1a2b3c4d"), Some("vpce-0123456789abcdef0")));
        // The TLV's endpoint wins over the configured one.
        let o = m.origin(ip("10.0.3.4"), Some("vpce-0aaa"));
        assert_eq!((o.vpc, o.vpce), (Some("vpc-1a2b3c4d"), Some("vpce-0aaa")));
        // Through a known endpoint from an address outside every range.
        let o = m.origin(ip("192.0.2.1"), Some("vpce-0123456789abcdef0"));
        assert_eq!(o.vpc, Some("vpc-1a2b3c4d"));
        // Through an unknown endpoint: a VPC client whose VPC is not known.
        let o = m.origin(ip("192.0.2.1"), Some("vpce-0bbb"));
        assert!(o.is_vpc());
        assert_eq!(o.vpc, None);
        assert!(!m.origin(ip("203.0.113.9"), None).is_vpc());
        assert_eq!(m.origin(ip("fd00::5"), None).vpc, Some("vpc-99"));
    }

    #[test]
    fn vpce_ids() {
        assert!(is_vpce_id("vpce-08d2bf15fac5001c9"));
        for bad in ["vpce-", "vpce-XYZ", "vpc-1", "vpce-0123456789abcdef0123456789abcdef0", "vpce-08d2 "] {
            assert!(!is_vpce_id(bad), "{bad}");
        }
        assert_eq!(VpceId::parse("vpce-08d2bf15fac5001c9").unwrap().as_str(), "vpce-08d2bf15fac5001c9");
    }
}
