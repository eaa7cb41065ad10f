//! Verification of a typical presigned GET, from the raw query string to the decision:
//! parse the parameters, build the canonical request, derive or look up the signing key,
//! compare. `cached_key` is the steady state (one derivation per key and day);
//! `derived_key` pays the four key-derivation HMACs every time.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use http::HeaderMap;
use outpost_gate::secret::SecretKey;
use outpost_gate::sigv4::{PresignedAuth, Query, SignedRequest, Signer, SigningKeyCache, verify};
use outpost_gate::time::UnixTime;

const HOST: &str = "gate.example.internal:8443";
const PATH: &str = "/example-outpost-bucket/reports/2026/11/summary%20final.pdf";

fn bench(c: &mut Criterion) {
    let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    let signer = Signer { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret: &secret, region: "us-east-1", service: "s3" };
    let now = UnixTime(1_795_000_000);
    let url = signer.presign_url("GET", "https", HOST, PATH, &[("x-id", "GetObject")], 3600, None, now);
    let raw_query = url.split_once('?').unwrap().1.to_owned();
    let mut headers = HeaderMap::new();
    headers.insert("host", HOST.parse().unwrap());
    headers.insert("user-agent", "curl/8.5.0".parse().unwrap());
    headers.insert("accept", "*/*".parse().unwrap());

    let run = |keys: &SigningKeyCache| {
        let q = Query::parse(black_box(&raw_query)).unwrap();
        let auth = PresignedAuth::parse(&q, "us-east-1").unwrap();
        let req = SignedRequest { method: "GET", raw_path: black_box(PATH), query: &q, headers: &headers, host: HOST };
        verify(&req, &auth, &secret, now, 900, keys).unwrap();
    };

    let mut g = c.benchmark_group("verify_presigned_get");
    let cache = SigningKeyCache::default();
    run(&cache);
    g.bench_function("cached_key", |b| b.iter(|| run(&cache)));
    let none = SigningKeyCache::disabled();
    g.bench_function("derived_key", |b| b.iter(|| run(&none)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
