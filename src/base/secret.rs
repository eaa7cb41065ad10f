//! Secret values: redacted in `Debug`, zeroed on drop, compared in constant time.
//!
//! Secret access keys (users', the store's) are held only as `SecretKey`, so a stray `{:?}`
//! in a log line prints `SecretKey(***)` and never the key.

use std::fmt;
use std::sync::Arc;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// A secret access key. Clones share one copy, wiped when the last is dropped: handing a
/// request the secret that checks it copies no key material and allocates nothing.
#[derive(Clone)]
pub struct SecretKey(Arc<Zeroizing<String>>);

impl SecretKey {
    pub fn new(s: impl Into<String>) -> Self {
        Self(Arc::new(Zeroizing::new(s.into())))
    }

    /// The raw secret, for key derivation only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for SecretKey {}

/// Constant-time equality for signatures and tokens. Lengths are not secret.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        assert_eq!(format!("{s:?}"), "SecretKey(***)");
        assert!(!format!("{:?}", Some(&s)).contains("EXAMPLE"));
    }

    #[test]
    fn compares_by_value() {
        assert_eq!(SecretKey::new("a"), SecretKey::new("a"));
        assert_ne!(SecretKey::new("a"), SecretKey::new("b"));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
