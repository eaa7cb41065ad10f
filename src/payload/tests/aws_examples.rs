//! The worked examples of the AWS documentation (sigv4-streaming and sigv4-streaming-trailers), the SigV4 signing-key
//! example, and RFC 4231 vectors for the test-side HMAC helper.

use sha2::{Digest, Sha256};

use super::super::chain::{ChunkVerifier, HmacChain};
use super::super::checksum::{ChecksumAlgorithm, checksum_base64};
use super::super::decoder::ChunkDecoder;
use super::super::error::ChunkError;
use super::super::mode::StreamingMode;
use super::{
    DATE, SCOPE, TEST_SEED, assert_ok, assert_rejected, aws, byte_at_a_time, hmac_sha256, hmac_verifier, keyed,
    one_shot, signing_key, test_mac,
};

// --- the AWS documentation examples ------------------------------------

const DOC_SIGS: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];

fn doc_body() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(format!("10000;chunk-signature={}\r\n", DOC_SIGS[0]).as_bytes());
    b.extend_from_slice(&aws(65536));
    b.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", DOC_SIGS[1]).as_bytes());
    b.extend_from_slice(&aws(1024));
    b.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n\r\n", DOC_SIGS[2]).as_bytes());
    b
}

fn doc_decoder() -> ChunkDecoder {
    ChunkDecoder::new(StreamingMode::SigV4Payload, 66560, vec![], Some(hmac_verifier())).unwrap()
}

#[test]
fn aws_example_signatures() {
    let mut chain = HmacChain::new(test_mac(), TEST_SEED, DATE, SCOPE);
    for (len, sig) in [(65536, DOC_SIGS[0]), (1024, DOC_SIGS[1]), (0, DOC_SIGS[2])] {
        let h: [u8; 32] = Sha256::digest(aws(len)).into();
        assert_eq!(chain.expected_chunk_signature(&h), sig);
        assert!(chain.chunk(&h, sig.as_bytes()));
    }
}

#[test]
fn aws_example_decodes() {
    let body = doc_body();
    assert_eq!(body.len(), 66824, "the documented Content-Length");
    let o = one_shot(&mut doc_decoder(), &body);
    assert_ok(&o, &aws(66560));
    let o = byte_at_a_time(&mut doc_decoder(), &body);
    assert_ok(&o, &aws(66560));
    // Signatures in upper case are the same hex.
    let upper = String::from_utf8(body.clone()).unwrap().replace(DOC_SIGS[1], &DOC_SIGS[1].to_uppercase());
    assert_ok(&one_shot(&mut doc_decoder(), upper.as_bytes()), &aws(66560));
}

#[test]
fn aws_example_any_flipped_bit_fails() {
    let body = doc_body();
    // Every byte of the framing, and a sample of data bytes in each chunk.
    let header1 = 88;
    let mut positions: Vec<usize> = (0..header1).collect();
    positions.extend([header1, header1 + 1, header1 + 40_000, header1 + 65535]);
    let second = header1 + 65536;
    positions.extend(second..second + 2 + 86);
    positions.extend([second + 88, second + 88 + 1023]);
    let third = second + 88 + 1024;
    positions.extend(third..body.len());
    for pos in positions {
        for bit in [0x01u8, 0x20, 0x80] {
            let mut bad = body.clone();
            bad[pos] ^= bit;
            let o = one_shot(&mut doc_decoder(), &bad);
            // Changing the case of a hex digit keeps the same signature.
            let case_only = bit == 0x20 && matches!(body[pos], b'a'..=b'f');
            if case_only && o.result.is_ok() {
                assert_eq!(o.out, aws(66560));
                continue;
            }
            assert!(o.result.is_err(), "flip {bit:#x} at {pos} accepted");
            assert!(o.out.len() < 66560, "flip at {pos} released everything");
        }
    }
}

#[test]
fn aws_example_wrong_key_fails_on_first_chunk() {
    let key = keyed(&signing_key("other", "20130524", "us-east-1", "s3"));
    let mut dec = ChunkDecoder::new(
        StreamingMode::SigV4Payload,
        66560,
        vec![],
        Some(Box::new(HmacChain::new(key, TEST_SEED, DATE, SCOPE))),
    )
    .unwrap();
    let o = one_shot(&mut dec, &doc_body());
    assert_rejected(&o, 66560, &ChunkError::ChunkSignatureMismatch);
    assert_eq!(o.result.unwrap_err().status(), 403);
}

/// The trailer example of the AWS docs ("Signature calculations for trailing headers"), seed 106e2a8a…, CRC32C trailer.
#[test]
fn aws_trailer_example_signatures() {
    let seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    let sigs = [
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    ];
    let trailer_sig = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";
    let mut body = Vec::new();
    body.extend_from_slice(format!("10000;chunk-signature={}\r\n", sigs[0]).as_bytes());
    body.extend_from_slice(&aws(65536));
    body.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", sigs[1]).as_bytes());
    body.extend_from_slice(&aws(1024));
    body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n", sigs[2]).as_bytes());
    body.extend_from_slice(b"x-amz-checksum-crc32c:sOO8/Q==\r\n");
    body.extend_from_slice(format!("x-amz-trailer-signature:{trailer_sig}\r\n\r\n").as_bytes());
    // The documented string to sign of the trailer hashes this.
    assert_eq!(
        hex::encode(Sha256::digest(b"x-amz-checksum-crc32c:sOO8/Q==\n")),
        "1e376db7e1a34a8ef1c4bcee131a2d60a1cb62503747488624e10995f448d774"
    );
    let new = || {
        ChunkDecoder::new(
            StreamingMode::SigV4PayloadTrailer,
            66560,
            vec![ChecksumAlgorithm::Crc32c],
            Some(Box::new(HmacChain::new(test_mac(), seed, DATE, SCOPE))),
        )
        .unwrap()
    };
    // sOO8/Q== is the CRC32C of the 66560 bytes (checked independently).
    assert_eq!(checksum_base64(ChecksumAlgorithm::Crc32c, &aws(66560)), "sOO8/Q==");
    assert_ok(&one_shot(&mut new(), &body), &aws(66560));
    assert_ok(&byte_at_a_time(&mut new(), &body), &aws(66560));
    // A wrong trailer signature is caught before the checksum.
    let tampered = String::from_utf8(body).unwrap().replace(trailer_sig, &"0".repeat(64));
    let o = one_shot(&mut new(), tampered.as_bytes());
    assert_rejected(&o, 66560, &ChunkError::TrailerSignatureMismatch);
}

/// The signing-key derivation example of the SigV4 documentation (IAM, 2015-08-30).
#[test]
fn signing_key_matches_aws_example() {
    let key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam");
    assert_eq!(hex::encode(key), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

/// RFC 4231 vectors, so a wrong test helper cannot make the examples above agree by accident.
#[test]
fn hmac_helper_matches_rfc4231() {
    // Test case 6: a 131-byte key, longer than the block.
    let key = [0xaau8; 131];
    let data = b"Test Using Larger Than Block-Size Key - Hash Key First";
    assert_eq!(
        hex::encode(hmac_sha256(&key, data)),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
    // Test case 2: a short key.
    assert_eq!(
        hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}
