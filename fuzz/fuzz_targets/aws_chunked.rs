//! The aws-chunked decoder and the plain verifier on arbitrary bodies, fed in arbitrary
//! pieces. Beyond "no panic": the bytes released never exceed the declared length, nothing
//! is released after a failure, a body that finishes has released exactly its declared
//! length, and a body framed correctly from the input (random chunk sizes, a CRC32 trailer)
//! always verifies and comes back byte for byte.

#![no_main]

use base64::Engine as _;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use outpost_gate::payload::{BodyCheck, ChecksumAlgorithm, ChunkDecoder, StreamingMode};

/// Feeds `wire` in pieces cut at the `cuts` bytes; returns the bytes out and whether it finished.
fn drive(mut check: BodyCheck, wire: &[u8], cuts: &[u8], declared: u64) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut rest = wire;
    let mut cut = cuts.iter().cycle();
    let mut failed = false;
    while !rest.is_empty() && !failed {
        let n = usize::from(*cut.next().unwrap_or(&255)).max(1).min(rest.len());
        let mut buf = BytesMut::from(&rest[..n]);
        rest = &rest[n..];
        loop {
            match check.feed(&mut buf) {
                Ok(Some(piece)) => out.extend_from_slice(&piece),
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        assert!(out.len() as u64 <= declared, "released past the declared length");
    }
    if failed {
        let before = out.len();
        assert!(check.finish().is_err(), "a failed body finished");
        assert_eq!(out.len(), before);
        return (out, false);
    }
    match check.finish() {
        Ok(last) => {
            out.extend_from_slice(last.as_deref().unwrap_or_default());
            assert_eq!(out.len() as u64, declared, "finished short or long");
            (out, true)
        }
        Err(_) => {
            assert!(out.len() as u64 != declared || declared == 0, "the last byte went out of a failed body");
            (out, false)
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&ctl, rest)) = input.split_first() else { return };
    let (cuts, body) = rest.split_at(rest.len().min(8));
    let declared = u64::from(ctl) * 97;
    // Arbitrary bytes as an unsigned-trailer body.
    let decoder = ChunkDecoder::new(StreamingMode::UnsignedPayloadTrailer, declared, vec![ChecksumAlgorithm::Crc32], None);
    if let Ok(decoder) = decoder {
        drive(BodyCheck::Chunked { decoder, decoded_len: declared, then: None }, body, cuts, declared);
    }
    // The same bytes framed correctly: they must verify and come back unchanged.
    let mut wire = Vec::new();
    let mut at = 0;
    let mut sizes = cuts.iter().cycle();
    while at < body.len() {
        let size = if body.len() - at <= 8192 { body.len() - at } else { 8192 + usize::from(*sizes.next().unwrap_or(&0)) };
        let size = size.min(body.len() - at);
        wire.extend_from_slice(format!("{size:x}\r\n").as_bytes());
        wire.extend_from_slice(&body[at..at + size]);
        wire.extend_from_slice(b"\r\n");
        at += size;
    }
    let crc = base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(body).to_be_bytes());
    wire.extend_from_slice(format!("0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n").as_bytes());
    let len = body.len() as u64;
    let decoder = ChunkDecoder::new(StreamingMode::UnsignedPayloadTrailer, len, vec![ChecksumAlgorithm::Crc32], None)
        .expect("a valid configuration");
    if len > 0 {
        let (out, finished) = drive(BodyCheck::Chunked { decoder, decoded_len: len, then: None }, &wire, cuts, len);
        assert!(finished, "a correctly framed body was refused");
        assert_eq!(out, body);
    }
});
