//! Decoding and verification of S3 upload bodies.
//!
//! With `Content-Encoding: aws-chunked` an SDK streams a body of unknown size as a sequence of hex-sized chunks, each
//! optionally signed (SigV4 HMAC or SigV4a ECDSA, chained from the request signature), ending with a zero-length chunk
//! and, in the trailer modes, a trailer section carrying the checksum of the data and its own signature.
//! `x-amz-content-sha256` names the variant and `X-Amz-Decoded-Content-Length` the data length.
//!
//! **Hold-back rule.** Decoded data is released as it arrives, except the body's last byte. That byte comes out of
//! `finish()` only once every signature, the length, the trailer and its checksums have verified, so a store that is
//! sent `Content-Length: decoded_len` can never commit a forged or corrupted object. An empty body has no byte to hold
//! back: then the caller waits for `finish()` before contacting the store (`must_defer()`).
//!
//! Files, leaves first:
//! - `checksum.rs`: the CRC32 / CRC32C / CRC64NVME / SHA-1 / SHA-256 checksums in S3's base64 form.
//! - `error.rs`: [`ChunkError`] and its S3 code, status and message.
//! - `mode.rs`: [`StreamingMode`], `X-Amz-Trailer` parsing, limits and shared lexical rules.
//! - `hold.rs`: the hold-back rule, shared by both verifiers.
//! - `chain.rs`: [`ChunkVerifier`] and the SigV4 ([`HmacChain`]) and SigV4a ([`EcdsaChain`]) signature chains.
//! - `trailer.rs`: parsing and verifying the trailer section.
//! - `decoder.rs`: [`ChunkDecoder`], the incremental `aws-chunked` decoder.
//! - `plain.rs`: [`PlainVerifier`], the same interface for non-chunked bodies.
//! - `check.rs`: [`BodyCheck`], either of the two, and the S3 error a failure becomes.
//! - `tests/`: end-to-end tests of the decoder and the plain verifier.

mod chain;
mod check;
mod checksum;
mod decoder;
mod error;
mod hold;
mod mode;
mod plain;
mod trailer;

#[cfg(test)]
mod tests;

pub use chain::{ChunkVerifier, EcdsaChain, HmacChain, KeyedMac};
pub use check::BodyCheck;
pub use checksum::{ChecksumAlgorithm, Checksummer, checksum_base64};
pub use decoder::ChunkDecoder;
pub use error::ChunkError;
pub use mode::{
    EMPTY_SHA256_HEX, MAX_CHUNK_LINE, MAX_CHUNK_SIZE_DIGITS, MAX_TRAILER_SECTION, MIN_CHUNK_SIZE,
    SIGV4A_PADDED_SIGNATURE_LEN, StreamingMode, parse_x_amz_trailer,
};
pub use plain::PlainVerifier;
