//! The S3 code, status and message of each error.

use super::super::checksum::ChecksumAlgorithm;
use super::ChunkError;

#[test]
fn error_table() {
    let sig = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
    let cases: Vec<(ChunkError, &str, u16, &str)> = vec![
        (ChunkError::Truncated, "IncompleteBody", 400, "The request body terminated unexpectedly"),
        (ChunkError::MalformedChunk, "IncompleteBody", 400, "The request body terminated unexpectedly"),
        (ChunkError::ChunkSignatureMismatch, "SignatureDoesNotMatch", 403, sig),
        (ChunkError::TrailerSignatureMismatch, "SignatureDoesNotMatch", 403, sig),
        (
            ChunkError::ContentSha256Mismatch,
            "XAmzContentSHA256Mismatch",
            400,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ),
        (
            ChunkError::BadDigest(ChecksumAlgorithm::Crc32c),
            "BadDigest",
            400,
            "The CRC32C you specified did not match the calculated checksum.",
        ),
        (
            ChunkError::InvalidChecksumHeader(ChecksumAlgorithm::Sha1),
            "InvalidRequest",
            400,
            "Value for x-amz-checksum-sha1 header is invalid.",
        ),
        (ChunkError::VerifierMissing, "InternalError", 500, "We encountered an internal error. Please try again."),
    ];
    for (e, code, status, message) in cases {
        assert_eq!((e.s3_code(), e.status(), e.message()), (code, status, message), "{e:?}");
        assert_eq!(e.to_string(), format!("{code}: {message}"));
    }
}
