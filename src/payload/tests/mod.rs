//! End-to-end tests of [`ChunkDecoder`](super::decoder::ChunkDecoder) and
//! [`PlainVerifier`](super::plain::PlainVerifier), and the harness they share: a driver that feeds bodies in arbitrary
//! pieces, an encoder that builds bodies the way SDKs do, and SigV4 key derivation (test-only, through the `hmac`
//! crate).

mod aws_examples;
mod framing;
mod plain;
mod signatures;
mod streaming;
mod trailers;

use bytes::{Bytes, BytesMut};
use hmac::Mac;
use sha2::{Digest, Sha256};

use super::chain::{ChunkVerifier, EcdsaChain, HmacChain, KeyedMac};
use super::checksum::{ChecksumAlgorithm, checksum_base64};
use super::decoder::ChunkDecoder;
use super::error::ChunkError;
use super::mode::{EMPTY_SHA256_HEX, StreamingMode};
use super::plain::PlainVerifier;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20130524T000000Z";
const SCOPE: &str = "20130524/us-east-1/s3/aws4_request";

// --- driving helpers ---------------------------------------------------

#[derive(Debug)]
struct Outcome {
    out: Vec<u8>,
    /// Bytes released before `finish` was called.
    before_finish: u64,
    result: Result<(), ChunkError>,
}

trait Feeder {
    fn feed(&mut self, input: &mut BytesMut) -> Result<Option<Bytes>, ChunkError>;
    fn finish(&mut self) -> Result<Option<Bytes>, ChunkError>;
}
impl Feeder for ChunkDecoder {
    fn feed(&mut self, input: &mut BytesMut) -> Result<Option<Bytes>, ChunkError> {
        ChunkDecoder::feed(self, input)
    }
    fn finish(&mut self) -> Result<Option<Bytes>, ChunkError> {
        ChunkDecoder::finish(self)
    }
}
impl Feeder for PlainVerifier {
    fn feed(&mut self, input: &mut BytesMut) -> Result<Option<Bytes>, ChunkError> {
        PlainVerifier::feed(self, input)
    }
    fn finish(&mut self) -> Result<Option<Bytes>, ChunkError> {
        PlainVerifier::finish(self)
    }
}

/// Feeds `body` cut at the (sorted) positions in `cuts`.
fn drive(dec: &mut impl Feeder, body: &[u8], cuts: &[usize]) -> Outcome {
    let mut out = Vec::new();
    let mut start = 0;
    let ends = cuts.iter().copied().chain(std::iter::once(body.len()));
    for end in ends {
        let end = end.clamp(start, body.len());
        let mut buf = BytesMut::from(&body[start..end]);
        start = end;
        loop {
            match dec.feed(&mut buf) {
                Ok(Some(piece)) => {
                    assert!(!piece.is_empty(), "feed returned an empty piece");
                    out.extend_from_slice(&piece);
                }
                Ok(None) => {
                    assert!(buf.is_empty(), "feed returned None with input left");
                    break;
                }
                Err(e) => {
                    let before_finish = out.len() as u64;
                    return Outcome { out, before_finish, result: Err(e) };
                }
            }
        }
    }
    let before_finish = out.len() as u64;
    let result = match dec.finish() {
        Ok(last) => {
            if let Some(b) = last {
                out.extend_from_slice(&b);
            }
            Ok(())
        }
        Err(e) => Err(e),
    };
    Outcome { out, before_finish, result }
}

fn one_shot(dec: &mut impl Feeder, body: &[u8]) -> Outcome {
    drive(dec, body, &[])
}

fn byte_at_a_time(dec: &mut impl Feeder, body: &[u8]) -> Outcome {
    let cuts: Vec<usize> = (1..body.len()).collect();
    drive(dec, body, &cuts)
}

// --- test encoders -----------------------------------------------------

trait TestSigner {
    fn sign_chunk(&mut self, sha: &[u8; 32]) -> String;
    fn sign_trailer(&mut self, sha: &[u8; 32]) -> String;
}

impl TestSigner for HmacChain {
    fn sign_chunk(&mut self, sha: &[u8; 32]) -> String {
        let s = self.expected_chunk_signature(sha);
        assert!(self.chunk(sha, s.as_bytes()));
        s
    }
    fn sign_trailer(&mut self, sha: &[u8; 32]) -> String {
        let s = self.expected_trailer_signature(sha);
        assert!(self.trailer(sha, s.as_bytes()));
        s
    }
}

/// A stand-in for ECDSA: the "signature" of a string to sign is a DER-shaped 70-byte blob derived from its SHA-256.
/// Only the framing, padding and chaining are under test here.
fn fake_der(string_to_sign: &[u8]) -> Vec<u8> {
    let r = Sha256::digest(string_to_sign);
    let s = Sha256::digest(r);
    let mut der = vec![0x30, 0x44, 0x02, 0x20];
    der.extend_from_slice(&r);
    der.extend_from_slice(&[0x02, 0x20]);
    der.extend_from_slice(&s);
    der
}

struct FakeEcdsaSigner {
    previous: String,
}

impl FakeEcdsaSigner {
    fn sign(&mut self, sts: &str) -> String {
        let der_hex = hex::encode(fake_der(sts.as_bytes()));
        self.previous = der_hex.clone();
        format!("{der_hex:*<144}")
    }
}

impl TestSigner for FakeEcdsaSigner {
    fn sign_chunk(&mut self, sha: &[u8; 32]) -> String {
        let sts = format!(
            "AWS4-ECDSA-P256-SHA256-PAYLOAD\n{DATE}\n{SCOPE}\n{}\n{EMPTY_SHA256_HEX}\n{}",
            self.previous,
            hex::encode(sha)
        );
        self.sign(&sts)
    }
    fn sign_trailer(&mut self, sha: &[u8; 32]) -> String {
        let sts = format!("AWS4-ECDSA-P256-SHA256-TRAILER\n{DATE}\n{SCOPE}\n{}\n{}", self.previous, hex::encode(sha));
        self.sign(&sts)
    }
}

const ECDSA_SEED: &str = "3045022100aabbccddeeff00112233445566778899aabbccddeeff0011223344556677889902200123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn ecdsa_verifier() -> Box<dyn ChunkVerifier + Send> {
    Box::new(EcdsaChain::new(ECDSA_SEED, DATE, SCOPE, |sts: &[u8], der: &[u8]| fake_der(sts) == der))
}

// --- SigV4 keys ----------------------------------------------------------

/// One HMAC-SHA256 through the `hmac` crate.
fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    KeyedMac::new_from_slice(key).unwrap().chain_update(data).finalize().into_bytes().into()
}

/// The SigV4 signing key `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// The keyed state the gate hands to [`HmacChain::new`].
fn keyed(signing_key: &[u8; 32]) -> KeyedMac {
    KeyedMac::new_from_slice(signing_key).unwrap()
}

/// The keyed state for the AWS documentation examples.
fn test_mac() -> KeyedMac {
    keyed(&signing_key(SECRET, "20130524", "us-east-1", "s3"))
}

const TEST_SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

fn hmac_verifier() -> Box<dyn ChunkVerifier + Send> {
    Box::new(HmacChain::new(test_mac(), TEST_SEED, DATE, SCOPE))
}

fn signer_for(mode: StreamingMode) -> Option<Box<dyn TestSigner>> {
    if !mode.is_signed() {
        None
    } else if mode.is_sigv4a() {
        Some(Box::new(FakeEcdsaSigner { previous: ECDSA_SEED.to_owned() }))
    } else {
        Some(Box::new(HmacChain::new(test_mac(), TEST_SEED, DATE, SCOPE)))
    }
}

fn verifier_for(mode: StreamingMode) -> Option<Box<dyn ChunkVerifier + Send>> {
    if !mode.is_signed() {
        None
    } else if mode.is_sigv4a() {
        Some(ecdsa_verifier())
    } else {
        Some(hmac_verifier())
    }
}

/// Encodes `data` in chunks of the given sizes (the remainder goes in a last chunk), the way SDKs put it on the wire.
fn encode(mode: StreamingMode, data: &[u8], sizes: &[usize], trailers: &[ChecksumAlgorithm]) -> Vec<u8> {
    let mut signer = signer_for(mode);
    let mut body = Vec::new();
    let mut pieces: Vec<&[u8]> = Vec::new();
    let mut rest = data;
    for &s in sizes {
        let (a, b) = rest.split_at(s.min(rest.len()));
        if !a.is_empty() {
            pieces.push(a);
        }
        rest = b;
    }
    if !rest.is_empty() {
        pieces.push(rest);
    }
    pieces.push(&[]);
    for piece in pieces {
        body.extend_from_slice(format!("{:x}", piece.len()).as_bytes());
        if let Some(s) = signer.as_mut() {
            let sig = s.sign_chunk(&Sha256::digest(piece).into());
            body.extend_from_slice(format!(";chunk-signature={sig}").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        if !piece.is_empty() {
            body.extend_from_slice(piece);
            body.extend_from_slice(b"\r\n");
        }
    }
    if mode.has_trailer() {
        let mut canonical = String::new();
        for &alg in trailers {
            let line = format!("{}:{}", alg.header_name(), checksum_base64(alg, data));
            body.extend_from_slice(line.as_bytes());
            body.extend_from_slice(b"\r\n");
            canonical.push_str(&line);
            canonical.push('\n');
        }
        if let Some(s) = signer.as_mut() {
            let sig = s.sign_trailer(&Sha256::digest(canonical.as_bytes()).into());
            body.extend_from_slice(format!("x-amz-trailer-signature:{sig}\r\n").as_bytes());
        }
    }
    body.extend_from_slice(b"\r\n");
    body
}

fn decoder(mode: StreamingMode, len: usize, trailers: &[ChecksumAlgorithm]) -> ChunkDecoder {
    let trailers = if mode.has_trailer() { trailers.to_vec() } else { vec![] };
    ChunkDecoder::new(mode, len as u64, trailers, verifier_for(mode)).unwrap()
}

fn assert_ok(o: &Outcome, data: &[u8]) {
    assert_eq!(o.result, Ok(()), "decode failed");
    assert_eq!(o.out, data);
    if !data.is_empty() {
        assert_eq!(o.before_finish, data.len() as u64 - 1, "final byte not held back");
    }
}

fn assert_rejected(o: &Outcome, len: usize, err: &ChunkError) {
    assert_eq!(o.result.as_ref().err(), Some(err));
    assert!((o.out.len() as u64) < len as u64 || len == 0, "released {} of {len} bytes on failure", o.out.len());
}

fn aws(n: usize) -> Vec<u8> {
    vec![b'a'; n]
}
