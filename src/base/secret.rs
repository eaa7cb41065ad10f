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
///
/// Every byte pair is XORed into one accumulator, with no branch on any of them, and only
/// the accumulator passes `subtle`'s optimisation barrier (its slice comparison puts each
/// byte through the barrier, 3.5 % of a whole verification).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    a.len() == b.len() && bool::from(diff.ct_eq(&0))
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
        assert!(!ct_eq(b"ab", b"abc"));
        assert!(!ct_eq(b"xbc", b"abc"));
        assert!(ct_eq(b"", b""));
        // Each bit of each position counts.
        let sig = [0x5au8; 64];
        for i in 0..64 * 8 {
            let mut other = sig;
            other[i / 8] ^= 1 << (i % 8);
            assert!(!ct_eq(&sig, &other), "bit {i}");
        }
    }
}
