//! What verifying an upload costs, per mode, against passing the same bytes through
//! unread: the gate's CPU per byte of a 64 MiB body arriving in 64 KiB reads, as its
//! upload path feeds them (`BodyCheck`, with the last byte held back).
//!
//! - `unsigned`: `UNSIGNED-PAYLOAD`, the bytes handed on (the anchor: one buffer move);
//! - `sha256`: a plain body against its hex `x-amz-content-sha256`;
//! - `trailer_crc32` / `trailer_crc64nvme`: `aws-chunked` with `STREAMING-UNSIGNED-PAYLOAD-TRAILER`,
//!   decoded and checksummed (what boto3 and the AWS CLI send over TLS);
//! - `signed_chunks`: `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, each 64 KiB chunk's SHA-256 and
//!   HMAC chained.
//!
//! Throughput is reported in bytes, so criterion prints MiB/s; the ratio of each mode to
//! `unsigned` is what benches/README.md records.

use std::hint::black_box;

use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hmac::Mac as _;
use outpost_gate::payload::{BodyCheck, ChecksumAlgorithm, ChunkDecoder, HmacChain, PlainVerifier, StreamingMode};
use sha2::Digest as _;

const READ: usize = 64 * 1024;
const TOTAL: usize = 64 * 1024 * 1024;

fn data() -> Vec<u8> {
    (0..TOTAL).map(|i| (i.wrapping_mul(31) >> 3).to_le_bytes()[0]).collect()
}

/// Feeds `wire` to `check` in 64 KiB reads, as the upload path does; returns the bytes out.
fn run(mut check: BodyCheck, wire: &[Bytes]) -> usize {
    let mut out = 0;
    let mut buf = BytesMut::new();
    for read in wire {
        buf.extend_from_slice(read);
        while let Some(piece) = check.feed(&mut buf).unwrap() {
            out += black_box(piece).len();
        }
    }
    out + check.finish().unwrap().map_or(0, |b| b.len())
}

fn reads(bytes: &[u8]) -> Vec<Bytes> {
    bytes.chunks(READ).map(Bytes::copy_from_slice).collect()
}

fn framed(data: &[u8], trailer: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 100 + 64);
    for piece in data.chunks(READ) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("0\r\n{trailer}\r\n").as_bytes());
    out
}

fn signing_key() -> hmac::Hmac<sha2::Sha256> {
    let key = ["20261130", "us-east-1", "s3", "aws4_request"].iter().fold(b"AWS4secret".to_vec(), |k, part| {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&k).unwrap();
        mac.update(part.as_bytes());
        mac.finalize().into_bytes().to_vec()
    });
    hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap()
}

const DATE: &str = "20261130T000000Z";
const SCOPE: &str = "20261130/us-east-1/s3/aws4_request";
const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

fn signed(data: &[u8]) -> Vec<u8> {
    let signer = HmacChain::new(signing_key(), SEED, DATE, SCOPE);
    let mut previous = SEED.to_owned();
    let mut out = Vec::new();
    for piece in data.chunks(READ).chain(std::iter::once(&[][..])) {
        let hash: [u8; 32] = sha2::Sha256::digest(piece).into();
        let sts = signer.chunk_string_to_sign(&hash).replace(SEED, &previous);
        let mut mac = signing_key();
        mac.update(sts.as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        out.extend_from_slice(format!("{:x};chunk-signature={signature}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
        previous = signature;
    }
    out
}

fn bench(c: &mut Criterion) {
    let data = data();
    let crc32 = base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(&data).to_be_bytes());
    let mut crc64 = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme);
    crc64.update(&data);
    let crc64 = base64::engine::general_purpose::STANDARD.encode(crc64.finalize().to_be_bytes());
    let sha = hex::encode(sha2::Sha256::digest(&data));
    let plain = reads(&data);
    let trailer32 = reads(&framed(&data, &format!("x-amz-checksum-crc32:{crc32}\r\n")));
    let trailer64 = reads(&framed(&data, &format!("x-amz-checksum-crc64nvme:{crc64}\r\n")));
    let chunks = reads(&signed(&data));
    let len = TOTAL as u64;

    let mut g = c.benchmark_group("upload_64MiB");
    g.throughput(Throughput::Bytes(len));
    g.sample_size(10);
    g.bench_function("unsigned", |b| {
        b.iter(|| {
            let mut buf = BytesMut::new();
            let mut out = 0;
            for read in &plain {
                buf.extend_from_slice(read);
                out += black_box(buf.split().freeze()).len();
            }
            assert_eq!(out, TOTAL);
        });
    });
    g.bench_function("sha256", |b| {
        b.iter(|| {
            let v = PlainVerifier::new(len, None, Some(&sha)).unwrap();
            assert_eq!(run(BodyCheck::Plain { verifier: v, content_length: len }, &plain), TOTAL);
        });
    });
    for (name, wire, alg) in [
        ("trailer_crc32", &trailer32, ChecksumAlgorithm::Crc32),
        ("trailer_crc64nvme", &trailer64, ChecksumAlgorithm::Crc64Nvme),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let d = ChunkDecoder::new(StreamingMode::UnsignedPayloadTrailer, len, vec![alg], None).unwrap();
                assert_eq!(run(BodyCheck::Chunked { decoder: d, decoded_len: len, then: None }, wire), TOTAL);
            });
        });
    }
    g.bench_function("signed_chunks", |b| {
        b.iter(|| {
            let chain = HmacChain::new(signing_key(), SEED, DATE, SCOPE);
            let d = ChunkDecoder::new(StreamingMode::SigV4Payload, len, Vec::new(), Some(Box::new(chain))).unwrap();
            assert_eq!(run(BodyCheck::Chunked { decoder: d, decoded_len: len, then: None }, &chunks), TOTAL);
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
