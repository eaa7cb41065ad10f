//! Chunk framing: size lines, CRLFs, chunk signatures, the decoded length, the 8 KiB rule, empty bodies, and the rules
//! checked when a decoder is built.

use bytes::BytesMut;

use super::super::checksum::ChecksumAlgorithm;
use super::super::decoder::ChunkDecoder;
use super::super::error::ChunkError;
use super::super::mode::{MAX_CHUNK_LINE, StreamingMode, parse_x_amz_trailer};
use super::{assert_ok, assert_rejected, aws, byte_at_a_time, decoder, encode, one_shot, verifier_for};

#[test]
fn oversize_chunk_header() {
    let mut body = b"5;chunk-signature=".to_vec();
    body.extend(std::iter::repeat_n(b'0', MAX_CHUNK_LINE));
    body.extend_from_slice(b"\r\nhello\r\n");
    let o = one_shot(&mut decoder(StreamingMode::SigV4Payload, 5, &[]), &body);
    assert_rejected(&o, 5, &ChunkError::ChunkLineTooLong);
    let o = byte_at_a_time(&mut decoder(StreamingMode::SigV4Payload, 5, &[]), &body);
    assert_rejected(&o, 5, &ChunkError::ChunkLineTooLong);
    // Unsigned mode: an endless line of spaces.
    let mut body = b"5".to_vec();
    body.extend(std::iter::repeat_n(b' ', 10_000));
    let o = one_shot(&mut decoder(StreamingMode::UnsignedPayloadTrailer, 5, &[]), &body);
    assert_rejected(&o, 5, &ChunkError::ChunkLineTooLong);
}

#[test]
fn chunk_size_hex_limits() {
    let unsigned = StreamingMode::UnsignedPayloadTrailer;
    // 17 digits: refused before any arithmetic.
    let o = one_shot(&mut decoder(unsigned, 5, &[]), b"10000000000000000\r\n");
    assert_rejected(&o, 5, &ChunkError::ChunkSizeTooLarge);
    let o = one_shot(&mut decoder(unsigned, 5, &[]), b"00000000000000005\r\nhello\r\n0\r\n\r\n");
    assert_rejected(&o, 5, &ChunkError::ChunkSizeTooLarge);
    // 16 digits parse, but exceed the decoded length.
    let o = one_shot(&mut decoder(unsigned, 5, &[]), b"ffffffffffffffff\r\n");
    assert_rejected(&o, 5, &ChunkError::LengthMismatch);
    // Sizes that add up past u64::MAX.
    let body = b"ffffffffffffffff\r\n";
    let mut dec = ChunkDecoder::new(unsigned, u64::MAX, vec![], None).unwrap();
    let mut input = BytesMut::from(&body[..]);
    assert_eq!(dec.feed(&mut input), Ok(None));
    for bad in [&b"-5\r\n"[..], b"0x5\r\n", b"\r\n", b"5 5\r\n", b"g\r\n", b"+5\r\n"] {
        let o = one_shot(&mut decoder(unsigned, 5, &[]), bad);
        assert_rejected(&o, 5, &ChunkError::MalformedChunk);
    }
    // Hex digits in either case, surrounding blanks tolerated.
    let o = one_shot(&mut decoder(unsigned, 10, &[]), b"A\r\n0123456789\r\n0\r\n\r\n");
    assert_ok(&o, b"0123456789");
    let o = one_shot(&mut decoder(unsigned, 10, &[]), b" a \r\n0123456789\r\n0\r\n\r\n");
    assert_ok(&o, b"0123456789");
}

#[test]
fn crlf_is_required() {
    let unsigned = StreamingMode::UnsignedPayloadTrailer;
    for bad in [
        &b"5\nhello\r\n0\r\n\r\n"[..],
        b"5\r\nhello\n0\r\n\r\n",
        b"5\r\nhelloX\r\n0\r\n\r\n",
        b"5\r\nhello\r\r0\r\n\r\n",
        b"5\r\nhello0\r\n\r\n",
        b"5\r\nhello\r\n0\n\r\n",
    ] {
        let o = one_shot(&mut decoder(unsigned, 5, &[]), bad);
        assert_rejected(&o, 5, &ChunkError::MalformedChunk);
        assert_eq!(o.result.unwrap_err().s3_code(), "IncompleteBody");
    }
}

#[test]
fn signed_chunk_lines() {
    let mode = StreamingMode::SigV4Payload;
    let good = encode(mode, b"hello", &[], &[]);
    let text = String::from_utf8(good.clone()).unwrap();
    assert_ok(&one_shot(&mut decoder(mode, 5, &[]), &good), b"hello");
    // Blanks around the extension are tolerated.
    let spaced = text.replacen(";chunk-signature=", " ; chunk-signature= ", 1);
    assert_ok(&one_shot(&mut decoder(mode, 5, &[]), spaced.as_bytes()), b"hello");
    // Missing, renamed, short or non-hex signatures are malformed.
    let sig = text.split("chunk-signature=").nth(1).unwrap()[..64].to_owned();
    for bad in [
        text.replacen(&format!(";chunk-signature={sig}"), "", 1),
        text.replacen("chunk-signature=", "chunk-signatur=", 1),
        text.replacen(&sig, &sig[..63], 1),
        text.replacen(&sig, &format!("{}g", &sig[..63]), 1),
        text.replacen(&sig, &format!("{sig}0"), 1),
    ] {
        let o = one_shot(&mut decoder(mode, 5, &[]), bad.as_bytes());
        assert_rejected(&o, 5, &ChunkError::MalformedChunk);
    }
    // A well-formed but wrong signature.
    let wrong = text.replacen(&sig, &"0".repeat(64), 1);
    let o = one_shot(&mut decoder(mode, 5, &[]), wrong.as_bytes());
    assert_rejected(&o, 5, &ChunkError::ChunkSignatureMismatch);
}

#[test]
fn unsigned_mode_refuses_chunk_extensions() {
    let body = b"5;chunk-signature=00\r\nhello\r\n0\r\n\r\n";
    let o = one_shot(&mut decoder(StreamingMode::UnsignedPayloadTrailer, 5, &[]), body);
    assert_rejected(&o, 5, &ChunkError::MalformedChunk);
}

#[test]
fn decoded_length_must_match() {
    let unsigned = StreamingMode::UnsignedPayloadTrailer;
    // Fewer bytes than declared: caught at the zero chunk.
    let o = one_shot(&mut decoder(unsigned, 6, &[]), b"5\r\nhello\r\n0\r\n\r\n");
    assert_rejected(&o, 6, &ChunkError::LengthMismatch);
    // More: caught at the chunk header, before any of it is released.
    let o = one_shot(&mut decoder(unsigned, 4, &[]), b"5\r\nhello\r\n0\r\n\r\n");
    assert_rejected(&o, 4, &ChunkError::LengthMismatch);
    assert!(o.out.is_empty());
    let e = ChunkError::LengthMismatch;
    assert_eq!(
        (e.s3_code(), e.status(), e.message()),
        ("IncompleteBody", 400, "You did not provide the number of bytes specified by the Content-Length HTTP header")
    );
    for mode in StreamingMode::ALL {
        let body = encode(mode, b"hello", &[], &[]);
        let o = one_shot(&mut decoder(mode, 6, &[]), &body);
        assert_rejected(&o, 6, &ChunkError::LengthMismatch);
    }
}

#[test]
fn short_non_final_chunk() {
    let data = aws(20_000);
    for mode in StreamingMode::ALL {
        // 8192 then 100 then the rest: chunk 2 is short and not last.
        let body = encode(mode, &data, &[8192, 100], &[]);
        let o = one_shot(&mut decoder(mode, data.len(), &[]), &body);
        let err = ChunkError::ChunkTooSmall { chunk: 2, size: 100 };
        assert_rejected(&o, data.len(), &err);
        let e = o.result.unwrap_err();
        assert_eq!(e.s3_code(), "InvalidChunkSizeError");
        assert_eq!(e.status(), 400);
        assert_eq!(e.message(), "Only the last chunk is allowed to have a size less than 8192 bytes");
        assert_eq!(e.chunk_size_detail(), Some((2, 100)));
        // Exactly 8192 is allowed, and so is a short last chunk.
        let body = encode(mode, &data, &[8192, 8192], &[]);
        assert_ok(&one_shot(&mut decoder(mode, data.len(), &[]), &body), &data);
        let body = encode(mode, &data[..100], &[], &[]);
        assert_ok(&one_shot(&mut decoder(mode, 100, &[]), &body), &data[..100]);
        // 8191 followed by more data is not.
        let body = encode(mode, &data, &[8191], &[]);
        let o = one_shot(&mut decoder(mode, data.len(), &[]), &body);
        assert_rejected(&o, data.len(), &ChunkError::ChunkTooSmall { chunk: 1, size: 8191 });
    }
}

#[test]
fn empty_bodies() {
    for mode in StreamingMode::ALL {
        let algs = [ChecksumAlgorithm::Crc32];
        let body = encode(mode, b"", &[], &algs);
        let mut dec = decoder(mode, 0, &algs);
        assert!(dec.must_defer());
        let o = one_shot(&mut dec, &body);
        assert_ok(&o, b"");
        let o = byte_at_a_time(&mut decoder(mode, 0, &algs), &body);
        assert_ok(&o, b"");
        // An empty input is not an empty body.
        let o = one_shot(&mut decoder(mode, 0, &algs), b"");
        assert_eq!(o.result, Err(ChunkError::Truncated));
    }
    let o = one_shot(&mut decoder(StreamingMode::UnsignedPayloadTrailer, 0, &[]), b"0\r\n\r\n");
    assert_ok(&o, b"");
    let body = b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
    let o = one_shot(&mut decoder(StreamingMode::UnsignedPayloadTrailer, 0, &[ChecksumAlgorithm::Crc32]), body);
    assert_ok(&o, b"");
}

// --- construction, modes, error table ------------------------------------

#[test]
fn construction_rules() {
    for mode in StreamingMode::ALL {
        assert_eq!(StreamingMode::from_content_sha256(mode.as_str()), Some(mode));
        if mode.is_signed() {
            assert_eq!(ChunkDecoder::new(mode, 1, vec![], None).unwrap_err(), ChunkError::VerifierMissing);
        }
        if !mode.has_trailer() {
            let r = ChunkDecoder::new(mode, 1, vec![ChecksumAlgorithm::Crc32], verifier_for(mode));
            assert_eq!(r.unwrap_err(), ChunkError::TrailerNotSupported);
        }
    }
    assert_eq!(StreamingMode::from_content_sha256("UNSIGNED-PAYLOAD"), None);
    assert_eq!(StreamingMode::from_content_sha256("streaming-unsigned-payload-trailer"), None);
    assert_eq!(
        parse_x_amz_trailer("x-amz-checksum-crc32, X-Amz-Checksum-SHA256,x-amz-checksum-crc32"),
        Ok(vec![ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Sha256])
    );
    assert_eq!(parse_x_amz_trailer(""), Ok(vec![]));
    assert_eq!(parse_x_amz_trailer("x-amz-checksum-md5"), Err(ChunkError::TrailerNotSupported));
    // Duplicated expected trailers are merged.
    let algs = [ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32];
    let o = one_shot(
        &mut decoder(StreamingMode::UnsignedPayloadTrailer, 5, &algs),
        b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n",
    );
    assert_ok(&o, b"hello");
}
