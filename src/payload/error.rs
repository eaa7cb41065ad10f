//! Why a body was rejected ([`ChunkError`]) and how each reason maps to the S3 error response: code, HTTP status and
//! message, as S3 and its clones send them.

use std::fmt;

use super::checksum::ChecksumAlgorithm;

/// Why a body was rejected. Each variant maps to the S3 error response via [`s3_code`](Self::s3_code),
/// [`status`](Self::status) and [`message`](Self::message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkError {
    /// The body ended before its framing was complete (including a trailer that never came).
    Truncated,
    /// A chunk-size line or chunk delimiter is not well formed (bad hex, missing or malformed `chunk-signature`,
    /// missing CRLF, extension in unsigned mode).
    MalformedChunk,
    /// A chunk-size line is longer than `MAX_CHUNK_LINE`.
    ChunkLineTooLong,
    /// A chunk size has more than `MAX_CHUNK_SIZE_DIGITS` hex digits.
    ChunkSizeTooLarge,
    /// Chunk number `chunk` (1-based) had `size` < 8192 bytes but was not the last data chunk.
    ChunkTooSmall { chunk: u64, size: u64 },
    /// The number of data bytes differs from the declared length (`X-Amz-Decoded-Content-Length`, or `Content-Length`
    /// for plain bodies).
    LengthMismatch,
    /// Bytes follow the end of the body.
    TrailingData,
    /// A chunk signature did not verify.
    ChunkSignatureMismatch,
    /// The trailer signature did not verify.
    TrailerSignatureMismatch,
    /// The trailer section is malformed, names an undeclared header, lacks a declared checksum or the trailer
    /// signature, or repeats a name.
    MalformedTrailer,
    /// The trailer section is longer than `MAX_TRAILER_SECTION`.
    TrailerTooLarge,
    /// `X-Amz-Trailer` names something other than a supported checksum, or a trailer was announced for a mode without
    /// trailers.
    TrailerNotSupported,
    /// A trailing checksum value is not valid base64 of the right length.
    InvalidTrailerChecksum(ChecksumAlgorithm),
    /// An `x-amz-checksum-*` header value is not valid base64 of the right length.
    InvalidChecksumHeader(ChecksumAlgorithm),
    /// A checksum did not match the data.
    BadDigest(ChecksumAlgorithm),
    /// The hex `x-amz-content-sha256` did not match the data.
    ContentSha256Mismatch,
    /// `Content-MD5` is not the base64 of 16 bytes.
    InvalidContentMd5,
    /// The body's MD5 differs from `Content-MD5`.
    ContentMd5Mismatch,
    /// The `x-amz-content-sha256` value is not a valid hex SHA-256.
    InvalidContentSha256,
    /// A signed mode was set up without a verifier (a bug in the caller).
    VerifierMissing,
}

impl ChunkError {
    /// The S3 error code.
    pub fn s3_code(&self) -> &'static str {
        match self {
            ChunkError::Truncated
            | ChunkError::MalformedChunk
            | ChunkError::ChunkLineTooLong
            | ChunkError::ChunkSizeTooLarge
            | ChunkError::LengthMismatch
            | ChunkError::TrailingData => "IncompleteBody",
            ChunkError::ChunkTooSmall { .. } => "InvalidChunkSizeError",
            ChunkError::ChunkSignatureMismatch | ChunkError::TrailerSignatureMismatch => "SignatureDoesNotMatch",
            ChunkError::MalformedTrailer | ChunkError::TrailerTooLarge => "MalformedTrailerError",
            ChunkError::TrailerNotSupported
            | ChunkError::InvalidTrailerChecksum(_)
            | ChunkError::InvalidChecksumHeader(_) => "InvalidRequest",
            ChunkError::BadDigest(_) | ChunkError::ContentMd5Mismatch => "BadDigest",
            ChunkError::ContentSha256Mismatch => "XAmzContentSHA256Mismatch",
            ChunkError::InvalidContentMd5 => "InvalidDigest",
            ChunkError::InvalidContentSha256 => "InvalidArgument",
            ChunkError::VerifierMissing => "InternalError",
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            ChunkError::ChunkSignatureMismatch | ChunkError::TrailerSignatureMismatch => 403,
            ChunkError::VerifierMissing => 500,
            _ => 400,
        }
    }

    /// The `<Message>` S3 sends.
    pub fn message(&self) -> &'static str {
        use ChecksumAlgorithm as A;
        match self {
            ChunkError::Truncated
            | ChunkError::MalformedChunk
            | ChunkError::ChunkLineTooLong
            | ChunkError::ChunkSizeTooLarge => "The request body terminated unexpectedly",
            ChunkError::LengthMismatch | ChunkError::TrailingData => {
                "You did not provide the number of bytes specified by the Content-Length HTTP header"
            }
            ChunkError::ChunkTooSmall { .. } => "Only the last chunk is allowed to have a size less than 8192 bytes",
            ChunkError::ChunkSignatureMismatch | ChunkError::TrailerSignatureMismatch => {
                "The request signature we calculated does not match the signature you provided. \
                 Check your key and signing method."
            }
            ChunkError::MalformedTrailer | ChunkError::TrailerTooLarge => {
                "The request contained trailing data that was not well-formed or did not conform \
                 to our published schema."
            }
            ChunkError::TrailerNotSupported => "The value specified in the x-amz-trailer header is not supported",
            ChunkError::InvalidTrailerChecksum(alg) => match alg {
                A::Crc32 => "Value for x-amz-checksum-crc32 trailing header is invalid.",
                A::Crc32c => "Value for x-amz-checksum-crc32c trailing header is invalid.",
                A::Crc64Nvme => "Value for x-amz-checksum-crc64nvme trailing header is invalid.",
                A::Sha1 => "Value for x-amz-checksum-sha1 trailing header is invalid.",
                A::Sha256 => "Value for x-amz-checksum-sha256 trailing header is invalid.",
            },
            ChunkError::InvalidChecksumHeader(alg) => match alg {
                A::Crc32 => "Value for x-amz-checksum-crc32 header is invalid.",
                A::Crc32c => "Value for x-amz-checksum-crc32c header is invalid.",
                A::Crc64Nvme => "Value for x-amz-checksum-crc64nvme header is invalid.",
                A::Sha1 => "Value for x-amz-checksum-sha1 header is invalid.",
                A::Sha256 => "Value for x-amz-checksum-sha256 header is invalid.",
            },
            ChunkError::BadDigest(alg) => match alg {
                A::Crc32 => "The CRC32 you specified did not match the calculated checksum.",
                A::Crc32c => "The CRC32C you specified did not match the calculated checksum.",
                A::Crc64Nvme => "The CRC64NVME you specified did not match the calculated checksum.",
                A::Sha1 => "The SHA1 you specified did not match the calculated checksum.",
                A::Sha256 => "The SHA256 you specified did not match the calculated checksum.",
            },
            ChunkError::InvalidContentMd5 => "The Content-MD5 you specified was invalid.",
            ChunkError::ContentMd5Mismatch => "The Content-MD5 you specified did not match what we received.",
            ChunkError::ContentSha256Mismatch => {
                "The provided 'x-amz-content-sha256' header does not match what was computed."
            }
            ChunkError::InvalidContentSha256 => {
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, \
                 STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, \
                 STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, \
                 STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value."
            }
            ChunkError::VerifierMissing => "We encountered an internal error. Please try again.",
        }
    }

    /// Extra elements S3 adds to an `InvalidChunkSizeError` response: `(Chunk, BadChunkSize)`.
    pub fn chunk_size_detail(&self) -> Option<(u64, u64)> {
        match self {
            ChunkError::ChunkTooSmall { chunk, size } => Some((*chunk, *size)),
            _ => None,
        }
    }
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.s3_code(), self.message())
    }
}

impl std::error::Error for ChunkError {}

#[cfg(test)]
mod tests;
