//! The `aws-chunked` variants (chosen by `x-amz-content-sha256`), the size limits the decoder enforces, and the small
//! lexical rules shared by chunk-size lines and trailer lines.

use super::checksum::ChecksumAlgorithm;
use super::error::ChunkError;

/// Every chunk but the last must carry at least this many bytes.
pub const MIN_CHUNK_SIZE: u64 = 8192;
/// Longest accepted chunk-size line, signature and CRLF included.
pub const MAX_CHUNK_LINE: usize = 4096;
/// Longest accepted trailer section, final empty line included.
pub const MAX_TRAILER_SECTION: usize = 16 * 1024;
/// Most hex digits accepted in a chunk size (a `u64`).
pub const MAX_CHUNK_SIZE_DIGITS: usize = 16;
/// SigV4a chunk and trailer signatures are hex DER right-padded with `*` to this width (twice the longest DER encoding
/// of a P-256 ECDSA signature).
pub const SIGV4A_PADDED_SIGNATURE_LEN: usize = 144;
/// Hex SHA-256 of the empty string.
pub const EMPTY_SHA256_HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Name of the trailer line that carries the trailer signature in the signed modes.
pub(super) const TRAILER_SIGNATURE_NAME: &str = "x-amz-trailer-signature";

/// The `aws-chunked` variant, chosen by the `x-amz-content-sha256` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamingMode {
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: no chunk signatures, trailer.
    UnsignedPayloadTrailer,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: SigV4 chunk signatures.
    SigV4Payload,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: SigV4 chunk signatures and a signed trailer.
    SigV4PayloadTrailer,
    /// `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD`: SigV4a chunk signatures.
    SigV4aPayload,
    /// `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER`: SigV4a chunk signatures and a signed trailer.
    SigV4aPayloadTrailer,
}

impl StreamingMode {
    pub const ALL: [StreamingMode; 5] = [
        StreamingMode::UnsignedPayloadTrailer,
        StreamingMode::SigV4Payload,
        StreamingMode::SigV4PayloadTrailer,
        StreamingMode::SigV4aPayload,
        StreamingMode::SigV4aPayloadTrailer,
    ];

    /// Maps an `x-amz-content-sha256` value to its mode; `None` for anything else (a hex digest, `UNSIGNED-PAYLOAD`,
    /// ...). The match is exact.
    pub fn from_content_sha256(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StreamingMode::UnsignedPayloadTrailer => "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            StreamingMode::SigV4Payload => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            StreamingMode::SigV4PayloadTrailer => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            StreamingMode::SigV4aPayload => "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
            StreamingMode::SigV4aPayloadTrailer => "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
        }
    }

    /// Chunks carry `;chunk-signature=`.
    pub fn is_signed(self) -> bool {
        self != StreamingMode::UnsignedPayloadTrailer
    }

    /// A trailer section follows the final chunk.
    pub fn has_trailer(self) -> bool {
        matches!(
            self,
            StreamingMode::UnsignedPayloadTrailer
                | StreamingMode::SigV4PayloadTrailer
                | StreamingMode::SigV4aPayloadTrailer
        )
    }

    /// Signatures are SigV4a (hex DER ECDSA, `*`-padded).
    pub fn is_sigv4a(self) -> bool {
        matches!(self, StreamingMode::SigV4aPayload | StreamingMode::SigV4aPayloadTrailer)
    }

    /// Whether `sig` has the shape of a signature of this mode. A badly shaped signature is a framing error, while a
    /// well-shaped but wrong one is a signature mismatch, so the two are told apart before verifying.
    pub(super) fn signature_well_formed(self, sig: &[u8]) -> bool {
        if self.is_sigv4a() {
            sigv4a_der_hex(sig).is_some()
        } else {
            sig.len() == 64 && sig.iter().all(u8::is_ascii_hexdigit)
        }
    }
}

/// Parses an `X-Amz-Trailer` header value (comma-separated names) into the checksum algorithms it announces.
pub fn parse_x_amz_trailer(value: &str) -> Result<Vec<ChecksumAlgorithm>, ChunkError> {
    let mut algs = Vec::new();
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let alg = ChecksumAlgorithm::from_header_name(name).ok_or(ChunkError::TrailerNotSupported)?;
        if !algs.contains(&alg) {
            algs.push(alg);
        }
    }
    Ok(algs)
}

/// Strips SigV4a `*` padding and returns the hex DER part, if the signature is well formed: at most
/// [`SIGV4A_PADDED_SIGNATURE_LEN`] characters, a non-empty even-length run of hex digits, then only `*`. Padded and
/// unpadded forms are both accepted because clients differ.
pub(super) fn sigv4a_der_hex(sig: &[u8]) -> Option<&[u8]> {
    if sig.len() > SIGV4A_PADDED_SIGNATURE_LEN {
        return None;
    }
    let end = sig.iter().position(|&b| b == b'*').unwrap_or(sig.len());
    let (hex_part, padding) = sig.split_at(end);
    let ok = !hex_part.is_empty()
        && hex_part.len() % 2 == 0
        && hex_part.iter().all(u8::is_ascii_hexdigit)
        && padding.iter().all(|&b| b == b'*');
    ok.then_some(hex_part)
}

/// Position of the first `\n` in `buf`, if any.
pub(super) fn find_lf(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == b'\n')
}

/// Removes blanks (space, tab) at both ends. Clients put blanks around `;`, `=` and `:`, and S3 accepts them.
pub(super) fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Strips the CRLF from a line that ends in `\n`; `None` for a bare `\n`, which S3 refuses.
pub(super) fn strip_crlf(line: &[u8]) -> Option<&[u8]> {
    line.strip_suffix(b"\r\n")
}
