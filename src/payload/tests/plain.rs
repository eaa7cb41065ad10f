//! [`PlainVerifier`]: digests, lengths, malformed header values and the empty body.

use bytes::BytesMut;
use sha2::{Digest, Sha256};

use super::super::checksum::{ChecksumAlgorithm, checksum_base64};
use super::super::error::ChunkError;
use super::super::mode::EMPTY_SHA256_HEX;
use super::super::plain::PlainVerifier;
use super::{assert_ok, assert_rejected, byte_at_a_time, drive, one_shot};

#[test]
fn plain_verifier() {
    let data = b"hello world";
    let sha = hex::encode(Sha256::digest(data));
    let crc = checksum_base64(ChecksumAlgorithm::Crc32, data);
    let new = |c: Option<&str>, s: Option<&str>| {
        PlainVerifier::new(data.len() as u64, c.map(|c| (ChecksumAlgorithm::Crc32, c)), s).unwrap()
    };
    assert_ok(&one_shot(&mut new(Some(&crc), Some(&sha)), data), data);
    assert_ok(&byte_at_a_time(&mut new(Some(&crc), Some(&sha)), data), data);
    assert_ok(&one_shot(&mut new(None, None), data), data);
    assert_ok(&one_shot(&mut new(None, Some(&sha.to_uppercase())), data), data);
    let other_crc = checksum_base64(ChecksumAlgorithm::Crc32, b"x");
    let o = one_shot(&mut new(Some(&other_crc), Some(&sha)), data);
    assert_rejected(&o, data.len(), &ChunkError::BadDigest(ChecksumAlgorithm::Crc32));
    let other_sha = hex::encode(Sha256::digest(b"x"));
    let o = one_shot(&mut new(Some(&crc), Some(&other_sha)), data);
    assert_rejected(&o, data.len(), &ChunkError::ContentSha256Mismatch);
    // Short and long bodies.
    let o = one_shot(&mut new(None, None), &data[..5]);
    assert_rejected(&o, data.len(), &ChunkError::LengthMismatch);
    let o = one_shot(&mut new(None, None), b"hello world!");
    assert_rejected(&o, data.len(), &ChunkError::LengthMismatch);
    // Every truncation fails without releasing everything.
    for cut in 0..data.len() {
        let o = drive(&mut new(Some(&crc), None), &data[..cut], &[cut / 2]);
        assert_rejected(&o, data.len(), &ChunkError::LengthMismatch);
    }
    // Malformed header values are refused up front.
    assert_eq!(
        PlainVerifier::new(1, Some((ChecksumAlgorithm::Sha1, "AAAAAA==")), None).unwrap_err(),
        ChunkError::InvalidChecksumHeader(ChecksumAlgorithm::Sha1)
    );
    for bad in ["", "abc", &"g".repeat(64), &"a".repeat(63)] {
        assert_eq!(PlainVerifier::new(1, None, Some(bad)).unwrap_err(), ChunkError::InvalidContentSha256);
    }
    // Empty body.
    let mut v = PlainVerifier::new(0, Some((ChecksumAlgorithm::Crc32, "AAAAAA==")), Some(EMPTY_SHA256_HEX)).unwrap();
    assert!(v.must_defer());
    assert_ok(&one_shot(&mut v, b""), b"");
    let mut v = PlainVerifier::new(0, Some((ChecksumAlgorithm::Crc32, "AAAAAA==")), None).unwrap();
    assert_eq!(v.feed(&mut BytesMut::from(&b"x"[..])), Err(ChunkError::LengthMismatch));
    // After finish, more data is refused.
    let mut v = new(None, None);
    let o = one_shot(&mut v, data);
    assert_ok(&o, data);
    assert_eq!(v.feed(&mut BytesMut::from(&b"x"[..])), Err(ChunkError::TrailingData));
    assert_eq!(v.released(), data.len() as u64);
}
