//! Verification of a typical presigned GET, from the raw query string to the decision:
//! parse the parameters, build the canonical request, derive or look up the signing key,
//! compare. `cached_key` is the steady state (one derivation per key and day);
//! `derived_key` pays the four key-derivation HMACs every time.
//!
//! `floor_sha256_canonical` and `floor_hmac_string_to_sign` are the two hashes no
//! verification can skip, over the same canonical request and string to sign: the floor
//! `cached_key` is compared with.
//!
//! `verify_sigv4a` is the same GET signed with SigV4a: `cold` verifies the ECDSA
//! signature every time (the public key derived once, as at load), `cached` finds the
//! signature in the verified-signature cache (a URL fetched again). Beside them, the bare
//! ECDSA P-256 verification of one string to sign, by ring (the one the gate uses) and by
//! the p256 crate, are the floor and the comparison that chose ring.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use http::HeaderMap;
use outpost_gate::secret::SecretKey;
use outpost_gate::sigv4::canonical::{CanonicalRequest, UNSIGNED_PAYLOAD, string_to_sign};
use outpost_gate::sigv4::key::{derive_signing_key, keyed, sign_hex};
use outpost_gate::sigv4::v4a::{derive_private_key, derive_public_key, verify_der};
use outpost_gate::sigv4::{Query, SigAuth, SignedRequest, Signer, SigningKeyCache, verify};
use outpost_gate::time::UnixTime;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use sha2::{Digest, Sha256};

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
        let auth = SigAuth::from_query(&q, "us-east-1").unwrap();
        let req = SignedRequest { method: "GET", raw_path: black_box(PATH), query: &q, headers: &headers, host: HOST };
        verify(&req, &auth, &secret, now, 900, keys).unwrap();
    };

    let mut g = c.benchmark_group("verify_presigned_get");
    let cache = SigningKeyCache::default();
    run(&cache);
    g.bench_function("cached_key", |b| b.iter(|| run(&cache)));
    let none = SigningKeyCache::disabled();
    g.bench_function("derived_key", |b| b.iter(|| run(&none)));
    // The first two steps of `cached_key` alone: splitting and decoding the query, then
    // reading the X-Amz-* parameters out of it.
    g.bench_function("step_parse_query", |b| b.iter(|| Query::parse(black_box(&raw_query)).unwrap().iter().count()));
    let parsed = Query::parse(&raw_query).unwrap();
    g.bench_function("step_read_parameters", |b| {
        b.iter(|| SigAuth::from_query(black_box(&parsed), "us-east-1").unwrap().expires_secs);
    });

    // The floor: the two hashes a verification cannot avoid, over the same inputs. The
    // canonical request's SHA-256, and the HMAC of the string to sign from a keyed state
    // cloned out of a cache (as `cached_key` does).
    let q = Query::parse(&raw_query).unwrap();
    let auth = SigAuth::from_query(&q, "us-east-1").unwrap();
    let mut canonical = Vec::new();
    let mut request = CanonicalRequest::new(&mut canonical, "GET", PATH, &q.canonical(|k| k != b"X-Amz-Signature"));
    request.header("host", [HOST.as_bytes()]);
    let canonical = request.finish("host", UNSIGNED_PAYLOAD).to_vec();
    let sts = string_to_sign(&auth.amz_date, &format!("{}/us-east-1/s3/aws4_request", &auth.amz_date[..8]), &canonical);
    let mac = keyed(&derive_signing_key(secret.expose(), &auth.amz_date[..8], "us-east-1", "s3"));
    g.bench_function("floor_sha256_canonical", |b| b.iter(|| Sha256::digest(black_box(&canonical))));
    g.bench_function("floor_hmac_string_to_sign", |b| b.iter(|| sign_hex(mac.clone(), black_box(&sts))));
    g.finish();

    let url_v4a = signer.presign_url_v4a("GET", "https", HOST, PATH, &[("x-id", "GetObject")], "*", 3600, None, now);
    let raw_v4a = url_v4a.split_once('?').unwrap().1.to_owned();
    let run_v4a = |keys: &SigningKeyCache| {
        let q = Query::parse(black_box(&raw_v4a)).unwrap();
        let auth = SigAuth::from_query(&q, "us-east-1").unwrap();
        let req = SignedRequest { method: "GET", raw_path: black_box(PATH), query: &q, headers: &headers, host: HOST };
        verify(&req, &auth, &secret, now, 900, keys).unwrap();
    };
    let mut g = c.benchmark_group("verify_sigv4a");
    let cold = SigningKeyCache::without_signature_memory();
    run_v4a(&cold);
    g.bench_function("cold", |b| b.iter(|| run_v4a(&cold)));
    let cached = SigningKeyCache::default();
    run_v4a(&cached);
    g.bench_function("cached", |b| b.iter(|| run_v4a(&cached)));

    // The bare ECDSA step over one string to sign, by each crate.
    let key = derive_public_key(secret.expose(), "AKIAIOSFODNN7EXAMPLE").unwrap();
    let d = derive_private_key(secret.expose(), "AKIAIOSFODNN7EXAMPLE").unwrap();
    let sts = "AWS4-ECDSA-P256-SHA256\n20261115T000000Z\n20261115/s3/aws4_request\n\
               0c9a1f6e5e2f4b0d8d4ad1d8a1f9e67b5c2c3d1b0a9e8f7d6c5b4a3928170615";
    let signature: p256::ecdsa::Signature = p256::ecdsa::SigningKey::from(d).sign(sts.as_bytes());
    let der = signature.to_der();
    g.bench_function("bare_ecdsa_ring", |b| {
        b.iter(|| assert!(verify_der(&key, black_box(sts.as_bytes()), der.as_bytes())));
    });
    let p256_key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&key.0).unwrap();
    g.bench_function("bare_ecdsa_p256", |b| {
        b.iter(|| {
            let sig = p256::ecdsa::Signature::from_der(black_box(der.as_bytes())).unwrap();
            p256_key.verify(black_box(sts.as_bytes()), &sig).unwrap();
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
