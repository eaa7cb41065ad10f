//! SigV4a framing and chaining (with a stand-in for ECDSA), and the layout of the SigV4 and SigV4a strings to sign.

use sha2::{Digest, Sha256};

use super::super::chain::{ChunkVerifier, EcdsaChain, HmacChain};
use super::super::error::ChunkError;
use super::super::mode::{EMPTY_SHA256_HEX, SIGV4A_PADDED_SIGNATURE_LEN, StreamingMode};
use super::{
    DATE, SCOPE, TEST_SEED, assert_ok, assert_rejected, aws, byte_at_a_time, decoder, encode, one_shot, test_mac,
};

#[test]
fn sigv4a_chain() {
    let mode = StreamingMode::SigV4aPayload;
    let data = aws(20_000);
    let body = encode(mode, &data, &[8192, 8192], &[]);
    let text = String::from_utf8_lossy(&body).into_owned();
    // Every signature is padded to 144 characters.
    for part in text.split("chunk-signature=").skip(1) {
        let sig = part.split("\r\n").next().unwrap();
        assert_eq!(sig.len(), SIGV4A_PADDED_SIGNATURE_LEN);
        assert!(sig.ends_with('*'));
    }
    assert_ok(&one_shot(&mut decoder(mode, data.len(), &[]), &body), &data);
    assert_ok(&byte_at_a_time(&mut decoder(mode, data.len(), &[]), &body), &data);
    // Unpadded signatures are accepted too.
    let unpadded = text.replace('*', "");
    assert_ok(&one_shot(&mut decoder(mode, data.len(), &[]), unpadded.as_bytes()), &data);
    // Too long, odd length, padding in the middle.
    let first = text.split("chunk-signature=").nth(1).unwrap().split("\r\n").next().unwrap().to_owned();
    let der = first.trim_end_matches('*').to_owned();
    for bad in [format!("{first}*"), format!("{der}0"), format!("{}*{}", &der[..10], &der[10..])] {
        let o = one_shot(&mut decoder(mode, data.len(), &[]), text.replacen(&first, &bad, 1).as_bytes());
        assert_rejected(&o, data.len(), &ChunkError::MalformedChunk);
    }
    // A signature from another chain.
    let other = text.replacen(&der, &"ab".repeat(35), 1);
    let o = one_shot(&mut decoder(mode, data.len(), &[]), other.as_bytes());
    assert_rejected(&o, data.len(), &ChunkError::ChunkSignatureMismatch);
}

#[test]
fn ecdsa_string_to_sign_layout() {
    let mut seen = Vec::new();
    let mut chain = EcdsaChain::new("30aa**", DATE, SCOPE, |sts: &[u8], der: &[u8]| {
        seen.push((String::from_utf8(sts.to_vec()).unwrap(), der.to_vec()));
        true
    });
    let h = [7u8; 32];
    assert!(chain.chunk(&h, b"3044ff****"));
    assert!(chain.trailer(&h, b"3045ee"));
    assert!(!chain.chunk(&h, b"zz"));
    drop(chain);
    let hh = hex::encode(h);
    assert_eq!(seen[0].0, format!("AWS4-ECDSA-P256-SHA256-PAYLOAD\n{DATE}\n{SCOPE}\n30aa\n{EMPTY_SHA256_HEX}\n{hh}"));
    assert_eq!(seen[0].1, vec![0x30, 0x44, 0xff]);
    assert_eq!(seen[1].0, format!("AWS4-ECDSA-P256-SHA256-TRAILER\n{DATE}\n{SCOPE}\n3044ff\n{hh}"));
    assert_eq!(seen.len(), 2);
}

#[test]
fn hmac_string_to_sign_layout() {
    let chain = HmacChain::new(test_mac(), TEST_SEED, DATE, SCOPE);
    let h = [1u8; 32];
    assert_eq!(
        chain.chunk_string_to_sign(&h),
        format!("AWS4-HMAC-SHA256-PAYLOAD\n{DATE}\n{SCOPE}\n{TEST_SEED}\n{EMPTY_SHA256_HEX}\n{}", hex::encode(h))
    );
    assert_eq!(
        chain.trailer_string_to_sign(&h),
        format!("AWS4-HMAC-SHA256-TRAILER\n{DATE}\n{SCOPE}\n{TEST_SEED}\n{}", hex::encode(h))
    );
    assert_eq!(hex::encode(Sha256::digest(b"")), EMPTY_SHA256_HEX);
}
