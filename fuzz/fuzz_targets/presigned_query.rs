//! Presigned query parsing and SigV4 and SigV4a verification. Beyond "no panic": a query
//! that parses has its authentication parameters in range; a URL signed (SigV4 and SigV4a)
//! by the gate's own signer for a fuzz-chosen key verifies, and the same URL with its
//! signature changed does not; the fuzz input as a signature never verifies. The canonical
//! query, which copies pairs sent already canonical, is the one encoding them afresh gives.
//! The one-pass split agrees with splitting on `&` and `=` and decoding each side alone.

#![no_main]

use http::HeaderMap;
use libfuzzer_sys::fuzz_target;
use outpost_gate::secret::SecretKey;
use outpost_gate::sigv4::encode::{percent_decode_canonical, uri_encode};
use outpost_gate::sigv4::{Query, QueryPair, SigAuth, SignedRequest, Signer, SigningKeyCache, verify};
use outpost_gate::time::UnixTime;

const HOST: &str = "gate.example:8080";

fuzz_target!(|input: &[u8]| {
    // Arbitrary text as a query: parsing never panics, splits as the obvious way does, and
    // what parses is checked for form.
    if let Ok(text) = std::str::from_utf8(input) {
        let parsed = Query::parse(text).map(|q| q.iter().cloned().collect::<Vec<_>>());
        assert_eq!(parsed, split_piece_by_piece(text), "the one-pass split disagrees");
    }
    if let Ok(text) = std::str::from_utf8(input)
        && let Ok(q) = Query::parse(text)
    {
        let afresh = Query::from_pairs(q.iter().map(|p| QueryPair::new(p.key.clone(), p.value.clone())));
        assert_eq!(q.canonical(|_| true), afresh.canonical(|_| true), "a pair copied as sent was not canonical");
        if let Ok(auth) = SigAuth::from_query(&q, "us-east-1") {
            assert!(auth.expires_secs >= 1 && auth.expires_secs <= 604_800);
            assert_eq!(auth.scope().split('/').last(), Some("aws4_request"));
        }
    }

    // A URL the gate signs for a key made of the input verifies; a changed signature does not.
    let key = String::from_utf8_lossy(input.get(..input.len().min(64)).unwrap_or_default()).into_owned();
    let path = format!("/bucket/{}", uri_encode(key.as_bytes(), true));
    let secret = SecretKey::new("fuzz-secret");
    let signer = Signer { access_key_id: "AKIAFUZZEXAMPLE00001", secret: &secret, region: "us-east-1", service: "s3" };
    let now = UnixTime(1_795_000_000);
    let url = signer.presign_url("GET", "http", HOST, &path, &[], 3600, None, now);
    let Some((_, query)) = url.split_once('?') else { return };
    let q = Query::parse(query).expect("the signer's own query parses");
    let auth = SigAuth::from_query(&q, "us-east-1").expect("the signer's own parameters parse");
    let headers = HeaderMap::new();
    let req = SignedRequest { method: "GET", raw_path: &path, query: &q, headers: &headers, host: HOST };
    let keys = keys();
    verify(&req, &auth, &secret, now, 900, keys).expect("the signer's own URL verifies");
    let mut forged = auth.clone();
    forged.signature = forged.signature.chars().rev().collect();
    if forged.signature != auth.signature {
        assert!(verify(&req, &forged, &secret, now, 900, keys).is_err(), "a changed signature verified");
    }
    forged.signature = String::from_utf8_lossy(input).into_owned().into();
    assert!(verify(&req, &forged, &secret, now, 900, keys).is_err(), "the fuzz input verified as a signature");

    // The same with SigV4a (the derived key cached across runs, as in the gate).
    let url = signer.presign_url_v4a("GET", "http", HOST, &path, &[], "us-*", 3600, None, now);
    let Some((_, query)) = url.split_once('?') else { return };
    let q = Query::parse(query).expect("the signer's own v4a query parses");
    let auth = SigAuth::from_query(&q, "us-east-1").expect("the signer's own v4a parameters parse");
    let req = SignedRequest { query: &q, ..req };
    verify(&req, &auth, &secret, now, 900, keys).expect("the signer's own v4a URL verifies");
    let mut forged = auth.clone();
    forged.signature = hex_flip(&auth.signature, input.first().copied().unwrap_or(0)).into();
    assert!(verify(&req, &forged, &secret, now, 900, keys).is_err(), "a changed v4a signature verified");
});

/// Each `&`-separated piece split at its first `=`, each side decoded on its own; a pair
/// is canonical when both sides are and it has its `=`.
fn split_piece_by_piece(text: &str) -> Result<Vec<QueryPair<'_>>, outpost_gate::sigv4::encode::BadEscape> {
    let mut pairs = Vec::new();
    for piece in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        let ((key, key_ok), (value, value_ok)) = (percent_decode_canonical(k)?, percent_decode_canonical(v)?);
        let canonical = (key_ok && value_ok && piece.contains('=')).then_some(piece);
        pairs.push(QueryPair { key, value, canonical });
    }
    Ok(pairs)
}

fn keys() -> &'static SigningKeyCache {
    static KEYS: std::sync::OnceLock<SigningKeyCache> = std::sync::OnceLock::new();
    KEYS.get_or_init(SigningKeyCache::default)
}

/// `signature` with one hex digit (chosen by `at`) changed.
fn hex_flip(signature: &str, at: u8) -> String {
    let mut chars: Vec<char> = signature.chars().collect();
    if chars.is_empty() {
        return "0".to_owned();
    }
    let i = usize::from(at) % chars.len();
    chars[i] = if chars[i] == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}
