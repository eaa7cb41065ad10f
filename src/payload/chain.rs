//! Chunk-signature chains: each chunk (and the trailer) is signed over a string that contains the previous signature,
//! starting from the `Authorization` header's signature. [`HmacChain`] checks SigV4, [`EcdsaChain`] builds the SigV4a
//! strings and leaves the ECDSA check to the caller.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::mode::{EMPTY_SHA256_HEX, sigv4a_der_hex};

/// Checks chunk and trailer signatures. The implementation owns the chaining (each signature covers the previous one)
/// and the string to sign.
///
/// `signature` is the signature exactly as it appeared on the wire (ASCII, surrounding whitespace removed; SigV4a
/// padding still present). A `false` return rejects the body; the decoder makes no further calls after it.
pub trait ChunkVerifier {
    fn chunk(&mut self, chunk_sha256: &[u8; 32], signature: &[u8]) -> bool;
    fn trailer(&mut self, canonical_trailer_sha256: &[u8; 32], signature: &[u8]) -> bool;
}

/// HMAC-SHA256 state already keyed with the 32-byte SigV4 signing key of the request's scope. The caller derives and
/// caches it; the chain clones it for every signature so the key schedule is not redone per chunk.
pub type KeyedMac = Hmac<Sha256>;

/// One link's string to sign: `{kind}\n{amz_date}\n{scope}\n{previous}`, then `hashes`
/// (hex) one a line: a chunk's are the empty hash and its data's, a trailer's its own.
fn chained(kind: &str, amz_date: &str, scope: &str, previous: &str, hashes: &[&str]) -> String {
    let mut out = format!("{kind}\n{amz_date}\n{scope}\n{previous}");
    for h in hashes {
        out.push('\n');
        out.push_str(h);
    }
    out
}

/// The SigV4 chunk-signature chain (`AWS4-HMAC-SHA256-PAYLOAD` and `AWS4-HMAC-SHA256-TRAILER` strings to sign).
#[derive(Clone)]
pub struct HmacChain {
    mac: KeyedMac,
    amz_date: String,
    scope: String,
    previous: String,
}

// Written by hand so the keyed state never ends up in a log.
impl fmt::Debug for HmacChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacChain")
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .field("previous", &self.previous)
            .finish_non_exhaustive()
    }
}

impl HmacChain {
    /// `mac` is keyed with the SigV4 signing key; `seed_signature_hex` is the `Signature=` of the request's
    /// `Authorization` header; `amz_date` is `x-amz-date` (`20130524T000000Z`); `scope` is
    /// `20130524/us-east-1/s3/aws4_request`.
    pub fn new(mac: KeyedMac, seed_signature_hex: &str, amz_date: &str, scope: &str) -> Self {
        HmacChain {
            mac,
            amz_date: amz_date.to_owned(),
            scope: scope.to_owned(),
            previous: seed_signature_hex.trim().to_ascii_lowercase(),
        }
    }

    /// The string to sign for a chunk whose data hashes to `chunk_sha256`.
    pub fn chunk_string_to_sign(&self, chunk_sha256: &[u8; 32]) -> String {
        let data = hex::encode(chunk_sha256);
        chained("AWS4-HMAC-SHA256-PAYLOAD", &self.amz_date, &self.scope, &self.previous, &[EMPTY_SHA256_HEX, &data])
    }

    /// The string to sign for a trailer whose canonical form hashes to `trailer_sha256`.
    pub fn trailer_string_to_sign(&self, trailer_sha256: &[u8; 32]) -> String {
        chained(
            "AWS4-HMAC-SHA256-TRAILER",
            &self.amz_date,
            &self.scope,
            &self.previous,
            &[&hex::encode(trailer_sha256)],
        )
    }

    /// The signature the next chunk must carry (lower-case hex), without advancing the chain. Useful to produce test
    /// bodies.
    pub fn expected_chunk_signature(&self, chunk_sha256: &[u8; 32]) -> String {
        self.sign(&self.chunk_string_to_sign(chunk_sha256))
    }

    /// The signature the trailer must carry (lower-case hex).
    pub fn expected_trailer_signature(&self, trailer_sha256: &[u8; 32]) -> String {
        self.sign(&self.trailer_string_to_sign(trailer_sha256))
    }

    fn sign(&self, string_to_sign: &str) -> String {
        hex::encode(self.mac.clone().chain_update(string_to_sign.as_bytes()).finalize().into_bytes())
    }

    /// Verifies `signature` and, only on success, makes it the previous signature of the chain.
    fn check(&mut self, string_to_sign: &str, signature: &[u8]) -> bool {
        let mut given = [0u8; 32];
        if hex::decode_to_slice(signature, &mut given).is_err() {
            return false;
        }
        // `verify_slice` compares in constant time.
        let ok = self.mac.clone().chain_update(string_to_sign.as_bytes()).verify_slice(&given).is_ok();
        if ok {
            self.previous = hex::encode(given);
        }
        ok
    }
}

impl ChunkVerifier for HmacChain {
    fn chunk(&mut self, chunk_sha256: &[u8; 32], signature: &[u8]) -> bool {
        let sts = self.chunk_string_to_sign(chunk_sha256);
        self.check(&sts, signature)
    }

    fn trailer(&mut self, canonical_trailer_sha256: &[u8; 32], signature: &[u8]) -> bool {
        let sts = self.trailer_string_to_sign(canonical_trailer_sha256);
        self.check(&sts, signature)
    }
}

/// The SigV4a chunk-signature chain. It builds the `AWS4-ECDSA-P256-SHA256-PAYLOAD` / `-TRAILER` strings to sign,
/// strips the `*` padding, decodes the hex DER signature and asks `verify` whether it is a valid ECDSA P-256 / SHA-256
/// signature of the string to sign under the request's derived public key. `verify(string_to_sign, der)` must hash the
/// string itself.
///
/// The previous signature in each string to sign is the unpadded hex, as aws-c-auth computes it.
pub struct EcdsaChain<F> {
    verify: F,
    amz_date: String,
    scope: String,
    previous: String,
}

impl<F> fmt::Debug for EcdsaChain<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcdsaChain")
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .field("previous", &self.previous)
            .finish_non_exhaustive()
    }
}

impl<F: FnMut(&[u8], &[u8]) -> bool> EcdsaChain<F> {
    /// `seed_signature_hex` is the hex DER `Signature=` of the request's `Authorization` header (padding, if any, is
    /// ignored).
    pub fn new(seed_signature_hex: &str, amz_date: &str, scope: &str, verify: F) -> Self {
        let seed = seed_signature_hex.trim().trim_end_matches('*').to_ascii_lowercase();
        EcdsaChain { verify, amz_date: amz_date.to_owned(), scope: scope.to_owned(), previous: seed }
    }

    pub fn chunk_string_to_sign(&self, chunk_sha256: &[u8; 32]) -> String {
        let data = hex::encode(chunk_sha256);
        chained(
            "AWS4-ECDSA-P256-SHA256-PAYLOAD",
            &self.amz_date,
            &self.scope,
            &self.previous,
            &[EMPTY_SHA256_HEX, &data],
        )
    }

    pub fn trailer_string_to_sign(&self, trailer_sha256: &[u8; 32]) -> String {
        chained(
            "AWS4-ECDSA-P256-SHA256-TRAILER",
            &self.amz_date,
            &self.scope,
            &self.previous,
            &[&hex::encode(trailer_sha256)],
        )
    }

    fn check(&mut self, string_to_sign: &str, signature: &[u8]) -> bool {
        let Some(der_hex) = sigv4a_der_hex(signature) else {
            return false;
        };
        let Ok(der) = hex::decode(der_hex) else {
            return false;
        };
        if !(self.verify)(string_to_sign.as_bytes(), &der) {
            return false;
        }
        self.previous = hex::encode(der);
        true
    }
}

impl<F: FnMut(&[u8], &[u8]) -> bool> ChunkVerifier for EcdsaChain<F> {
    fn chunk(&mut self, chunk_sha256: &[u8; 32], signature: &[u8]) -> bool {
        let sts = self.chunk_string_to_sign(chunk_sha256);
        self.check(&sts, signature)
    }

    fn trailer(&mut self, canonical_trailer_sha256: &[u8; 32], signature: &[u8]) -> bool {
        let sts = self.trailer_string_to_sign(canonical_trailer_sha256);
        self.check(&sts, signature)
    }
}
