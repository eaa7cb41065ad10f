//! SigV4a (`AWS4-ECDSA-P256-SHA256`): the asymmetric variant the AWS CLI v2 and the SDKs
//! use for S3 on Outposts access points.
//!
//! The signer's ECDSA P-256 key is derived from the secret access key and the access key
//! id (NIST SP 800-108 counter-mode KDF with HMAC-SHA256, input key `"AWS4A" + secret`,
//! label `AWS4-ECDSA-P256-SHA256`, retried with the next external counter while the
//! candidate is above n - 2), so it does not depend on the date or the region: it is
//! derived once per access key and only the public key is kept. The signature is a DER
//! ECDSA signature over SHA-256 of the string to sign, in hex; low-S and high-S forms both
//! verify, as the signers emit both.
//!
//! Verification costs tens of microseconds, so URLs fetched again (one URL shared by many
//! readers, retries, Range requests) hit a bounded cache of signatures already verified,
//! keyed by everything the signature covers; a hit skips only the ECDSA step.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use p256::elliptic_curve::PrimeField as _;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use zeroize::Zeroize as _;

use super::key::hmac_sha256;
use crate::base::time::UnixTime;

pub const ALGORITHM_V4A: &str = "AWS4-ECDSA-P256-SHA256";

/// An uncompressed SEC1 P-256 public key (`04 || X || Y`).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(pub [u8; 65]);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", hex::encode(&self.0[1..9]))
    }
}

impl PublicKey {
    /// The affine X and Y coordinates, big-endian.
    pub fn xy(&self) -> (&[u8], &[u8]) {
        (&self.0[1..33], &self.0[33..])
    }
}

/// The private scalar for `access_key_id`, as AWS derives it. `None` only if 254 counters
/// all give out-of-range candidates, which does not happen in practice.
pub fn derive_private_key(secret: &str, access_key_id: &str) -> Option<p256::NonZeroScalar> {
    let mut input_key = Vec::with_capacity(5 + secret.len());
    input_key.extend_from_slice(b"AWS4A");
    input_key.extend_from_slice(secret.as_bytes());
    let mut found = None;
    for counter in 1..=254u8 {
        // [i]_32 || label || 0x00 || context (access key id || external counter) || [L]_32
        let mut block = Vec::with_capacity(4 + ALGORITHM_V4A.len() + 1 + access_key_id.len() + 1 + 4);
        block.extend_from_slice(&1u32.to_be_bytes());
        block.extend_from_slice(ALGORITHM_V4A.as_bytes());
        block.push(0);
        block.extend_from_slice(access_key_id.as_bytes());
        block.push(counter);
        block.extend_from_slice(&256u32.to_be_bytes());
        let mut candidate = hmac_sha256(&input_key, &block);
        // c must be at most n - 2; then d = c + 1 is in [1, n - 1].
        let scalar = p256::Scalar::from_repr(candidate.into());
        candidate.zeroize();
        if let Some(c) = Option::<p256::Scalar>::from(scalar) {
            let d = c + p256::Scalar::ONE;
            if let Some(d) = Option::<p256::NonZeroScalar>::from(p256::NonZeroScalar::new(d)) {
                found = Some(d);
                break;
            }
        }
    }
    input_key.zeroize();
    found
}

/// The public key verification needs; the private scalar is dropped (and zeroized by
/// `p256`) before this returns.
pub fn derive_public_key(secret: &str, access_key_id: &str) -> Option<PublicKey> {
    let d = derive_private_key(secret, access_key_id)?;
    let point = p256::PublicKey::from_secret_scalar(&d).to_encoded_point(false);
    let bytes: [u8; 65] = point.as_bytes().try_into().ok()?;
    Some(PublicKey(bytes))
}

/// Whether `der` is a valid ECDSA P-256 signature by `key` over SHA-256 of `message`.
/// ring's verifier (assembly-backed) does the curve work; see benches/verify.rs.
pub fn verify_der(key: &PublicKey, message: &[u8], der: &[u8]) -> bool {
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, &key.0[..])
        .verify(message, der)
        .is_ok()
}

/// Whether `der` is a well-formed DER ECDSA signature with both integers in range: a
/// malformed one is a malformed request (400), not a mismatch.
/// A hex text that decodes to a well-formed DER signature (decoded on the stack).
pub fn is_well_formed_hex_der(hex_text: &str) -> bool {
    let mut buf = [0u8; MAX_DER_LEN];
    buf.get_mut(..hex_text.len() / 2)
        .is_some_and(|d| hex::decode_to_slice(hex_text, &mut *d).is_ok() && is_well_formed_der(d))
}

pub fn is_well_formed_der(der: &[u8]) -> bool {
    p256::ecdsa::Signature::from_der(der).is_ok()
}

/// The string to sign: `AWS4-ECDSA-P256-SHA256\n{amz_date}\n{date/service/aws4_request}\n{hex(sha256(canonical))}`.
pub fn string_to_sign_v4a(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    super::canonical::string_to_sign_with(ALGORITHM_V4A, amz_date, scope, canonical_request)
}

/// The same, from the canonical request's hash.
pub fn string_to_sign_v4a_hashed(amz_date: &str, scope: &str, canonical_hash: &[u8; 32]) -> String {
    super::canonical::string_to_sign_hashed(ALGORITHM_V4A, amz_date, scope, canonical_hash)
}

/// The longest DER encoding of a P-256 ECDSA signature.
pub const MAX_DER_LEN: usize = 72;

/// What identifies one verified signature: a hash of the access key id and the string to
/// sign (the date, the scope and the canonical request: the path, the host, the query and
/// every signed header), and the signature itself. The key id is hashed in explicitly: a
/// presigned URL's canonical query names it, a header-signed request's does not.
pub type VerifiedId = [u8; 32 + 1 + MAX_DER_LEN];

/// More entries than this and a cache starts over (as the signing-key cache does).
const MAX_KEYS: usize = 16_384;
const MAX_VERIFIED: usize = 65_536;

/// Derived public keys by access key id, and signatures already verified. Belongs to one
/// credential set, so a reload starts afresh.
#[derive(Default)]
pub struct V4aCache {
    keys: RwLock<HashMap<String, Arc<PublicKey>>>,
    /// Signatures verified (see `VerifiedId`) → when their URL expires.
    verified: Mutex<HashMap<VerifiedId, UnixTime>>,
}

impl V4aCache {
    pub fn public_key(
        &self,
        access_key_id: &str,
        derive: impl FnOnce() -> Option<PublicKey>,
    ) -> Option<Arc<PublicKey>> {
        if let Ok(keys) = self.keys.read()
            && let Some(k) = keys.get(access_key_id)
        {
            return Some(Arc::clone(k));
        }
        let key = Arc::new(derive()?);
        if let Ok(mut keys) = self.keys.write() {
            if keys.len() >= MAX_KEYS {
                keys.clear();
            }
            keys.insert(access_key_id.to_owned(), Arc::clone(&key));
        }
        Some(key)
    }

    /// The cache entry of `signature` by the key and over the string to sign that
    /// `signed` hashes (see `verify`); `None` for a signature too long to be P-256 DER.
    pub fn entry_id(signed: &[u8; 32], signature: &[u8]) -> Option<VerifiedId> {
        let len = u8::try_from(signature.len()).ok().filter(|&l| usize::from(l) <= MAX_DER_LEN)?;
        let mut id = [0u8; 32 + 1 + MAX_DER_LEN];
        id[..32].copy_from_slice(signed);
        id[32] = len;
        id[33..33 + signature.len()].copy_from_slice(signature);
        Some(id)
    }

    /// Whether this exact signature was verified before and its URL has not expired.
    pub fn was_verified(&self, id: &VerifiedId, now: UnixTime) -> bool {
        self.verified.lock().is_ok_and(|map| map.get(id).is_some_and(|&expires| now <= expires))
    }

    pub fn remember(&self, id: VerifiedId, expires: UnixTime, now: UnixTime) {
        if let Ok(mut map) = self.verified.lock() {
            if map.len() >= MAX_VERIFIED {
                map.retain(|_, e| now <= *e);
                if map.len() >= MAX_VERIFIED {
                    map.clear();
                }
            }
            map.insert(id, expires);
        }
    }
}

/// Whether a region set (`X-Amz-Region-Set`, comma-separated; `*` alone, or an entry ending
/// in `*` as a prefix) covers `region`. `None` when the set is malformed.
pub fn region_set_covers(set: &str, region: &str) -> Option<bool> {
    let mut covers = false;
    for entry in set.split(',').map(str::trim) {
        let ok = !entry.is_empty()
            && entry.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'*')
            && entry.find('*').is_none_or(|i| i == entry.len() - 1);
        if !ok {
            return None;
        }
        covers |= match entry.strip_suffix('*') {
            Some(prefix) => region.starts_with(prefix),
            None => entry == region,
        };
    }
    Some(covers)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's SigV4a suite (`get-vanilla`): the key derived for `AKIDEXAMPLE`, and the
    /// suite's own query signature over its string to sign.
    #[test]
    fn derived_key_and_signature_of_the_aws_suite() {
        let key = derive_public_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "AKIDEXAMPLE").unwrap();
        let (x, y) = key.xy();
        assert_eq!(hex::encode(x), "b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1");
        assert_eq!(hex::encode(y), "865ed22a7eadc9c5cb9d2cbaca1b3699139fedc5043dc6661864218330c8e518");
        let sts = "AWS4-ECDSA-P256-SHA256\n20150830T123600Z\n20150830/service/aws4_request\n\
                   890c4ed28c1a1ac10b5862719b537afbe392e987dc1aab1efa16fe7de41d3c81";
        let der = hex::decode(
            "3045022100b3246f8e1442dd58e73292ae1294720c3256ee58f6cea50f3a3f83b4a4b0331a0220329693f7745c9008a5887c0529ceccb0fae4e16d707b712ea66acdbaf963769a",
        )
        .unwrap();
        assert!(is_well_formed_der(&der));
        assert!(verify_der(&key, sts.as_bytes(), &der));
        assert!(!verify_der(&key, &sts.as_bytes()[1..], &der));
        // The same signature with s replaced by n - s (the high-S form) verifies too.
        let sig = p256::ecdsa::Signature::from_der(&der).unwrap();
        let (r, s) = sig.split_scalars();
        let flipped = p256::ecdsa::Signature::from_scalars(r.to_bytes(), (-*s).to_bytes()).unwrap();
        assert!(verify_der(&key, sts.as_bytes(), flipped.to_der().as_bytes()));
        assert!(!format!("{key:?}").contains(&hex::encode(x)));
    }

    #[test]
    fn region_sets() {
        assert_eq!(region_set_covers("*", "us-east-1"), Some(true));
        assert_eq!(region_set_covers("us-east-1", "us-east-1"), Some(true));
        assert_eq!(region_set_covers("us-west-2,us-*", "us-east-1"), Some(true));
        assert_eq!(region_set_covers("eu-*", "us-east-1"), Some(false));
        assert_eq!(region_set_covers("us-west-2", "us-east-1"), Some(false));
        for bad in ["", ",", "us-east-1,", "US-EAST-1", "u*s", "us_east", "a b"] {
            assert_eq!(region_set_covers(bad, "us-east-1"), None, "{bad:?}");
        }
    }

    #[test]
    fn the_signature_cache_expires_with_the_url() {
        let cache = V4aCache::default();
        let id = V4aCache::entry_id(&[1; 32], b"sig").unwrap();
        assert!(!cache.was_verified(&id, UnixTime(10)));
        cache.remember(id, UnixTime(20), UnixTime(10));
        assert!(cache.was_verified(&id, UnixTime(20)));
        assert!(!cache.was_verified(&id, UnixTime(21)));
        // One byte more, less or different of anything covered is another entry.
        assert_ne!(Some(id), V4aCache::entry_id(&[1; 32], b"sih"));
        assert_ne!(Some(id), V4aCache::entry_id(&[1; 32], b"sig\0"));
        assert_ne!(Some(id), V4aCache::entry_id(&[2; 32], b"sig"));
        assert!(V4aCache::entry_id(&[1; 32], &[0; 73]).is_none());
    }
}
