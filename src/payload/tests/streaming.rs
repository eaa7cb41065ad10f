#![allow(clippy::cast_possible_truncation)] // test data from small counters

//! Streaming properties: any split of the input gives the same result, truncation and corruption never release the
//! whole body, the final byte is held back, errors are sticky and data is not copied.

use bytes::{Bytes, BytesMut};

use super::super::checksum::ChecksumAlgorithm;
use super::super::decoder::ChunkDecoder;
use super::super::error::ChunkError;
use super::super::mode::StreamingMode;
use super::{assert_ok, assert_rejected, aws, byte_at_a_time, decoder, drive, encode, one_shot};

#[test]
fn byte_at_a_time_equals_one_shot_in_every_mode() {
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    let algs = [ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Sha256];
    for mode in StreamingMode::ALL {
        let body = encode(mode, &data, &[8192, 9000], &algs);
        let a = one_shot(&mut decoder(mode, data.len(), &algs), &body);
        let b = byte_at_a_time(&mut decoder(mode, data.len(), &algs), &body);
        assert_ok(&a, &data);
        assert_ok(&b, &data);
    }
}

#[test]
fn truncation_anywhere_fails_and_never_releases_everything() {
    let data: Vec<u8> = b"the quick brown fox jumps over the lazy dog".to_vec();
    let algs = [ChecksumAlgorithm::Crc32c];
    for mode in StreamingMode::ALL {
        let body = encode(mode, &data, &[], &algs);
        for cut in 0..body.len() {
            for cuts in [vec![], vec![cut / 2]] {
                let o = drive(&mut decoder(mode, data.len(), &algs), &body[..cut], &cuts);
                assert!(o.result.is_err(), "{mode:?}: truncation at {cut} accepted");
                assert!(o.out.len() < data.len(), "{mode:?}: truncation at {cut} released all");
            }
        }
        let o = one_shot(&mut decoder(mode, data.len(), &algs), &body[..body.len() - 1]);
        assert_eq!(o.result, Err(ChunkError::Truncated), "{mode:?}");
        assert_eq!(o.result.unwrap_err().s3_code(), "IncompleteBody");
    }
}

#[test]
fn hold_back_rule() {
    let data = aws(10_000);
    let algs = [ChecksumAlgorithm::Crc32];
    for mode in StreamingMode::ALL {
        let body = encode(mode, &data, &[8192], &algs);
        let mut dec = decoder(mode, data.len(), &algs);
        let mut input = BytesMut::from(&body[..]);
        let mut released = 0;
        while let Some(piece) = dec.feed(&mut input).unwrap() {
            released += piece.len();
        }
        assert_eq!(released, data.len() - 1);
        assert_eq!(dec.released(), data.len() as u64 - 1);
        assert!(dec.is_verified());
        assert!(!dec.must_defer());
        assert_eq!(dec.finish().unwrap().unwrap().as_ref(), b"a");
        assert_eq!(dec.released(), data.len() as u64);
        assert_eq!(dec.finish(), Ok(None));
        // Anything after the end is refused.
        assert_eq!(dec.feed(&mut BytesMut::from(&b"x"[..])), Err(ChunkError::TrailingData));
    }
}

#[test]
fn trailing_data_after_final_crlf() {
    for mode in StreamingMode::ALL {
        let mut body = encode(mode, b"abc", &[], &[]);
        body.extend_from_slice(b"\r\n");
        let o = one_shot(&mut decoder(mode, 3, &[]), &body);
        assert_rejected(&o, 3, &ChunkError::TrailingData);
        // Also when the extra bytes arrive separately.
        let cut = body.len() - 2;
        let o = drive(&mut decoder(mode, 3, &[]), &body, &[cut]);
        assert_rejected(&o, 3, &ChunkError::TrailingData);
    }
}

/// A tiny xorshift generator, to avoid a dependency.
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

#[test]
fn random_bodies_random_splits() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for round in 0..150 {
        let mode = StreamingMode::ALL[rng.below(5) as usize];
        let len = match rng.below(4) {
            0 => rng.below(10) as usize,
            1 => rng.below(9000) as usize,
            _ => rng.below(120_000) as usize,
        };
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let mut sizes = Vec::new();
        let mut total = 0;
        while total < len {
            let s = 8192 + rng.below(40_000) as usize;
            sizes.push(s);
            total += s;
        }
        let algs: Vec<ChecksumAlgorithm> = if mode.has_trailer() && rng.below(4) != 0 {
            vec![ChecksumAlgorithm::ALL[rng.below(5) as usize]]
        } else {
            vec![]
        };
        let body = encode(mode, &data, &sizes, &algs);
        let mut cuts: Vec<usize> = (0..rng.below(40)).map(|_| rng.below(body.len() as u64 + 1) as usize).collect();
        cuts.sort_unstable();
        let o = drive(&mut decoder(mode, len, &algs), &body, &cuts);
        assert_ok(&o, &data);

        // The same body with one byte flipped never yields everything.
        if !body.is_empty() {
            let mut bad = body.clone();
            let pos = rng.below(body.len() as u64) as usize;
            bad[pos] ^= 1 << rng.below(8);
            let o = drive(&mut decoder(mode, len, &algs), &bad, &cuts);
            if o.result.is_ok() {
                // Only possible where nothing authenticates the flipped byte: unsigned data without a checksum, or
                // harmless case changes in hex digits and names.
                assert!(!mode.is_signed() || o.out == data, "round {round}: {mode:?} accepted a flipped byte at {pos}");
                if !algs.is_empty() {
                    assert_eq!(o.out, data, "round {round}: checksum missed corruption");
                }
            } else {
                assert!(o.out.len() < len.max(1), "round {round}: released all on failure");
            }
        }
    }
}

#[test]
fn errors_are_sticky() {
    let mut dec = decoder(StreamingMode::UnsignedPayloadTrailer, 5, &[]);
    let mut input = BytesMut::from(&b"zz\r\n"[..]);
    assert_eq!(dec.feed(&mut input), Err(ChunkError::MalformedChunk));
    assert_eq!(dec.feed(&mut BytesMut::from(&b"5\r\n"[..])), Err(ChunkError::MalformedChunk));
    assert_eq!(dec.finish(), Err(ChunkError::MalformedChunk));
}

#[test]
fn data_is_zero_copy() {
    let body = Bytes::from_static(b"5\r\nhello\r\n0\r\n\r\n");
    let mut input = BytesMut::from(&body[..]);
    let base = input.as_ptr() as usize;
    let mut dec = decoder(StreamingMode::UnsignedPayloadTrailer, 5, &[]);
    let piece = dec.feed(&mut input).unwrap().unwrap();
    assert_eq!(piece.as_ref(), b"hell");
    assert_eq!(piece.as_ptr() as usize, base + 3, "data was copied");
}

/// How the gate drives the decoder (formerly the module's doc example).
#[test]
fn usage_example() {
    let mut dec = ChunkDecoder::new(StreamingMode::UnsignedPayloadTrailer, 3, vec![], None).unwrap();
    let mut input = BytesMut::from(&b"3\r\nabc\r\n0\r\n\r\n"[..]);
    let mut out = Vec::new();
    // Call `feed` until it returns `None`: each call returns at most one zero-copy piece of decoded data.
    while let Some(piece) = dec.feed(&mut input).unwrap() {
        out.extend_from_slice(&piece);
    }
    // At end of input: the held-back final byte, or an error.
    if let Some(last) = dec.finish().unwrap() {
        out.extend_from_slice(&last);
    }
    assert_eq!(out, b"abc");
}
