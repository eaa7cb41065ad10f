//! The derived keys of one credential set: SigV4 signing keys per scope (as keyed HMAC
//! states), and SigV4a public keys with the signatures already verified. The cache belongs
//! to the credential set it was built from; a reload builds a new one, so a rotated secret
//! can never meet a stale key.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::key::{KeyedMac, SigningKey, keyed};
use super::v4a::{PublicKey, V4aCache};

/// More distinct (key, day, region, service) scopes than this means something odd is going
/// on (a flood of bad dates); the cache then starts over rather than grow without bound.
const MAX_ENTRIES: usize = 16_384;

/// Derived keys of one credential set: SigV4 signing keys per scope, and SigV4a public
/// keys per access key with the signatures already verified (`v4a::V4aCache`).
#[derive(Default)]
pub struct SigningKeyCache {
    map: RwLock<HashMap<String, KeyedMac>>,
    disabled: bool,
    pub v4a: V4aCache,
    /// Whether SigV4a signatures are remembered once verified (off to measure the ECDSA
    /// step every time).
    forget_signatures: bool,
}

impl SigningKeyCache {
    /// A cache that never keeps anything: for benchmarks that measure derivation.
    pub fn disabled() -> Self {
        Self { disabled: true, forget_signatures: true, ..Self::default() }
    }

    /// Keeps derived keys but verifies every SigV4a signature afresh: for benchmarks.
    pub fn without_signature_memory() -> Self {
        Self { forget_signatures: true, ..Self::default() }
    }

    pub fn remembers_signatures(&self) -> bool {
        !self.forget_signatures
    }

    /// The SigV4a public key of `access_key_id`, derived on first use (or every time when
    /// the cache is disabled).
    pub fn v4a_key(&self, access_key_id: &str, derive: impl FnOnce() -> Option<PublicKey>) -> Option<Arc<PublicKey>> {
        if self.disabled {
            return derive().map(Arc::new);
        }
        self.v4a.public_key(access_key_id, derive)
    }

    /// `id` is `ACCESS_KEY/date/region/service`, which names the key uniquely within one
    /// credential set.
    pub fn get_or_derive(&self, id: &str, derive: impl FnOnce() -> SigningKey) -> KeyedMac {
        if self.disabled {
            return keyed(&derive());
        }
        if let Ok(map) = self.map.read()
            && let Some(mac) = map.get(id)
        {
            return mac.clone();
        }
        let mac = keyed(&derive());
        if let Ok(mut map) = self.map.write() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(id.to_owned(), mac.clone());
        }
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::key::{sign_hex, signature_hex_bytes};

    #[test]
    fn cache_derives_once_per_scope() {
        let cache = SigningKeyCache::default();
        let mut calls = 0;
        for _ in 0..3 {
            cache.get_or_derive("AK/20130524/us-east-1/s3", || {
                calls += 1;
                [7; 32]
            });
        }
        assert_eq!(calls, 1);
        let other = cache.get_or_derive("AK/20130525/us-east-1/s3", || [8; 32]);
        assert_eq!(sign_hex(other, "x"), signature_hex_bytes(&[8; 32], "x"));
        let cached = cache.get_or_derive("AK/20130524/us-east-1/s3", || [0; 32]);
        assert_eq!(sign_hex(cached, "x"), signature_hex_bytes(&[7; 32], "x"), "the cached key, not a new one");
    }
}
