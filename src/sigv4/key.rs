//! Signing-key derivation (the cache that keeps the keys is `cache`).
//!
//! `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")`
//! costs four HMACs, more than the rest of a verification. The key depends only on
//! (access key, date, region, service), so it is derived once a day per key and scope and
//! kept (see `cache`). The cache belongs to the credential set it was built from; a reload builds a
//! new one, so a rotated secret can never meet a stale key. What is kept is the keyed HMAC
//! state (the key's inner and outer pads already absorbed), which saves two more SHA-256
//! blocks on every signature.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub type SigningKey = [u8; 32];

/// HMAC-SHA256 keyed with a signing key, ready to take a string to sign.
pub type KeyedMac = Hmac<Sha256>;

pub fn keyed(key: &SigningKey) -> KeyedMac {
    <KeyedMac as Mac>::new_from_slice(key).expect("HMAC accepts any key length")
}

/// The lowercase hex signature of a string to sign, from a keyed state.
pub fn sign_hex(mut mac: KeyedMac, string_to_sign: impl AsRef<[u8]>) -> [u8; 64] {
    mac.update(string_to_sign.as_ref());
    super::encode::hex32(&mac.finalize().into_bytes().into())
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

pub fn derive_signing_key(secret: &str, date: &str, region: &str, service: &str) -> SigningKey {
    let mut k_secret = Vec::with_capacity(4 + secret.len());
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret.as_bytes());
    let k_date = hmac_sha256(&k_secret, date.as_bytes());
    zeroize::Zeroize::zeroize(&mut k_secret);
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// The lowercase hex signature of a string to sign, as bytes (no allocation).
pub fn signature_hex_bytes(key: &SigningKey, string_to_sign: &str) -> [u8; 64] {
    super::encode::hex32(&hmac_sha256(key, string_to_sign.as_bytes()))
}

/// The lowercase hex signature of a string to sign.
pub fn signature_hex(key: &SigningKey, string_to_sign: &str) -> String {
    String::from_utf8_lossy(&signature_hex_bytes(key, string_to_sign)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_documentation_signing_key() {
        // "Examples of how to derive a signing key for Signature Version 4" (AWS General Reference).
        let key = derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
        assert_eq!(hex::encode(key), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
    }
}
