//! The shapes of the identifiers and addresses the configuration, policies and requests
//! name, checked in one place each.

use std::net::IpAddr;

use ipnet::IpNet;

/// A 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `vpce-` followed by 1 to 32 lowercase hex digits.
pub fn is_vpce_id(s: &str) -> bool {
    s.strip_prefix("vpce-").is_some_and(|hex| {
        !hex.is_empty() && hex.len() <= 32 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// A CIDR, or a bare address meaning /32 or /128 (surrounding spaces ignored).
pub fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>().ok().or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// An access key id as a request claims it (at most 128 ASCII letters and digits, as IAM
/// allows), held inline: the access line keeps it without a heap allocation.
pub type KeyId = arrayvec::ArrayString<128>;

/// `text` as a `KeyId` when it has that shape.
pub fn key_id(text: &[u8]) -> Option<KeyId> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    KeyId::from(std::str::from_utf8(text).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(is_account_id("111122223333"));
        assert!(!is_account_id("11112222333") && !is_account_id("11112222333x"));
        assert!(is_vpce_id("vpce-08d2bf15fac5001c9"));
        for bad in ["vpce-", "vpce-XYZ", "vpc-1234", "vpce-08D2"] {
            assert!(!is_vpce_id(bad), "{bad}");
        }
        assert_eq!(parse_net(" 10.0.0.1 "), Some("10.0.0.1/32".parse().unwrap()));
        assert_eq!(parse_net("2001:db8::/32"), Some("2001:db8::/32".parse().unwrap()));
        assert_eq!(parse_net("10.0.0.0/33"), None);
    }
}
