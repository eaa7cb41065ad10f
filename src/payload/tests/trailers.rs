#![allow(clippy::cast_possible_truncation)] // test data from small counters

//! Trailer sections: every checksum algorithm, bad digests and values, tolerated and refused syntax, and the
//! signed-trailer rules.

use super::super::checksum::{ChecksumAlgorithm, checksum_base64};
use super::super::decoder::ChunkDecoder;
use super::super::error::ChunkError;
use super::super::mode::StreamingMode;
use super::{assert_ok, assert_rejected, aws, byte_at_a_time, decoder, encode, one_shot};

fn replace_bytes(hay: &[u8], from: &str, to: &str) -> Vec<u8> {
    let from = from.as_bytes();
    let pos = hay.windows(from.len()).rposition(|w| w == from).unwrap();
    let mut out = hay[..pos].to_vec();
    out.extend_from_slice(to.as_bytes());
    out.extend_from_slice(&hay[pos + from.len()..]);
    out
}

fn unsigned(len: usize, alg: ChecksumAlgorithm) -> ChunkDecoder {
    decoder(StreamingMode::UnsignedPayloadTrailer, len, &[alg])
}

#[test]
fn unsigned_trailer_every_checksum() {
    let data: Vec<u8> = (0..30_000u32).map(|i| (i * 31) as u8).collect();
    for alg in ChecksumAlgorithm::ALL {
        let body = encode(StreamingMode::UnsignedPayloadTrailer, &data, &[10_000], &[alg]);
        let o = one_shot(&mut unsigned(data.len(), alg), &body);
        assert_ok(&o, &data);
        let o = byte_at_a_time(&mut unsigned(data.len(), alg), &body);
        assert_ok(&o, &data);
        // The value of another payload is a bad digest naming the algorithm.
        let wrong = checksum_base64(alg, b"something else");
        let right = checksum_base64(alg, &data);
        let bad = replace_bytes(&body, &right, &wrong);
        let o = one_shot(&mut unsigned(data.len(), alg), &bad);
        assert_rejected(&o, data.len(), &ChunkError::BadDigest(alg));
        let e = o.result.unwrap_err();
        assert_eq!((e.s3_code(), e.status()), ("BadDigest", 400));
        assert_eq!(e.message(), format!("The {} you specified did not match the calculated checksum.", alg.name()));
        // Not base64 of the right length.
        let bad = replace_bytes(&body, &right, "abc");
        let o = one_shot(&mut unsigned(data.len(), alg), &bad);
        assert_rejected(&o, data.len(), &ChunkError::InvalidTrailerChecksum(alg));
        assert_eq!(
            o.result.unwrap_err().message(),
            format!("Value for {} trailing header is invalid.", alg.header_name())
        );
    }
}

#[test]
fn wrong_trailer_crc_is_bad_digest() {
    // CRC32("hello") is NhCmhg==; claim the CRC32 of "hellp".
    let body = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
    assert_ok(&one_shot(&mut unsigned(5, ChecksumAlgorithm::Crc32), body), b"hello");
    let wrong = format!(
        "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:{}\r\n\r\n",
        checksum_base64(ChecksumAlgorithm::Crc32, b"hellp")
    );
    let o = one_shot(&mut unsigned(5, ChecksumAlgorithm::Crc32), wrong.as_bytes());
    assert_rejected(&o, 5, &ChunkError::BadDigest(ChecksumAlgorithm::Crc32));
    assert_eq!(o.result.unwrap_err().message(), "The CRC32 you specified did not match the calculated checksum.");
}

#[test]
fn third_party_crc64nvme_vectors() {
    // Values used by an S3-compatible server's integration tests.
    let body = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc64nvme:M3eFcAZSQlc=\r\n\r\n";
    assert_ok(&one_shot(&mut unsigned(5, ChecksumAlgorithm::Crc64Nvme), body), b"hello");
    let body = b"a\r\ndummy data\r\n0\r\nx-amz-checksum-crc64nvme:dPVWc2vU1+Q=\r\n\r\n";
    assert_ok(&one_shot(&mut unsigned(10, ChecksumAlgorithm::Crc64Nvme), body), b"dummy data");
}

#[test]
fn trailer_tolerance_and_strictness() {
    let crc = ChecksumAlgorithm::Crc32;
    // Case and blanks around the colon are tolerated.
    for ok in [
        &b"5\r\nhello\r\n0\r\nX-Amz-Checksum-CRC32:NhCmhg==\r\n\r\n"[..],
        b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32 : NhCmhg== \r\n\r\n",
        b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:\tNhCmhg==\r\n\r\n",
    ] {
        assert_ok(&one_shot(&mut unsigned(5, crc), ok), b"hello");
    }
    let malformed = ChunkError::MalformedTrailer;
    for bad in [
        // missing trailer
        &b"5\r\nhello\r\n0\r\n\r\n"[..],
        // no name, no colon, undeclared name, duplicate
        b"5\r\nhello\r\n0\r\n:NhCmhg==\r\n\r\n",
        b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32 NhCmhg==\r\n\r\n",
        b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32c:NhCmhg==\r\n\r\n",
        b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n",
        b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\nx-amz-meta-a:b\r\n\r\n",
        // bare LF, control characters
        b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\n\r\n",
        b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhC\x01mhg==\r\n\r\n",
        // a trailer signature in unsigned mode
        b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\nx-amz-trailer-signature:00\r\n\r\n",
    ] {
        let o = one_shot(&mut unsigned(5, crc), bad);
        assert_rejected(&o, 5, &malformed);
    }
    let e = ChunkError::MalformedTrailer;
    assert_eq!(
        (e.s3_code(), e.status(), e.message()),
        (
            "MalformedTrailerError",
            400,
            "The request contained trailing data that was not well-formed or did not conform to our published schema."
        )
    );
    // A trailer that never comes.
    for cut in [b"5\r\nhello\r\n0\r\n".len(), b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n".len()] {
        let body = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
        let o = one_shot(&mut unsigned(5, crc), &body[..cut]);
        assert_rejected(&o, 5, &ChunkError::Truncated);
    }
    // An endless trailer section.
    let mut body = b"5\r\nhello\r\n0\r\n".to_vec();
    for _ in 0..2000 {
        body.extend_from_slice(b"x-amz-checksum-crc32:NhCmhg==\r\n");
    }
    let o = one_shot(&mut unsigned(5, crc), &body);
    assert_rejected(&o, 5, &ChunkError::TrailerTooLarge);
    // A trailer in a mode without trailers.
    let mode = StreamingMode::SigV4Payload;
    let mut body = encode(mode, b"hello", &[], &[]);
    body.truncate(body.len() - 2);
    body.extend_from_slice(b"x-amz-checksum-crc32:NhCmhg==\r\n\r\n");
    let o = one_shot(&mut decoder(mode, 5, &[]), &body);
    assert_rejected(&o, 5, &malformed);
}

#[test]
fn signed_trailer_rules() {
    for mode in [StreamingMode::SigV4PayloadTrailer, StreamingMode::SigV4aPayloadTrailer] {
        let algs = [ChecksumAlgorithm::Sha256, ChecksumAlgorithm::Crc64Nvme];
        let data = aws(9000);
        let body = encode(mode, &data, &[8192], &algs);
        assert_ok(&one_shot(&mut decoder(mode, data.len(), &algs), &body), &data);
        let text = String::from_utf8(body).unwrap();
        let (head, sig_line) = text.rsplit_once("x-amz-trailer-signature:").unwrap();
        // Missing signature.
        let missing = format!("{head}\r\n");
        let o = one_shot(&mut decoder(mode, data.len(), &algs), missing.as_bytes());
        assert_rejected(&o, data.len(), &ChunkError::MalformedTrailer);
        // Signature of other trailers.
        let sha = checksum_base64(ChecksumAlgorithm::Sha256, &data);
        let other = text.replace(&sha, &checksum_base64(ChecksumAlgorithm::Sha256, b"x"));
        let o = one_shot(&mut decoder(mode, data.len(), &algs), other.as_bytes());
        assert_rejected(&o, data.len(), &ChunkError::TrailerSignatureMismatch);
        // Reordered trailers change the canonical form.
        let crc_line = format!("x-amz-checksum-crc64nvme:{}\r\n", checksum_base64(ChecksumAlgorithm::Crc64Nvme, &data));
        let sha_line = format!("x-amz-checksum-sha256:{sha}\r\n");
        let swapped = text.replace(&format!("{sha_line}{crc_line}"), &format!("{crc_line}{sha_line}"));
        assert_ne!(swapped, text);
        let o = one_shot(&mut decoder(mode, data.len(), &algs), swapped.as_bytes());
        assert_rejected(&o, data.len(), &ChunkError::TrailerSignatureMismatch);
        // Something after the signature.
        let after = format!("{head}x-amz-trailer-signature:{}x-amz-meta:a\r\n\r\n", sig_line.trim_end_matches("\r\n"));
        let o = one_shot(&mut decoder(mode, data.len(), &algs), after.as_bytes());
        assert_rejected(&o, data.len(), &ChunkError::MalformedTrailer);
    }
}
