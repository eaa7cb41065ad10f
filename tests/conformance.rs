//! Known answers.
//!
//! 1. AWS's SigV4 conformance suite (`tests/corpus/aws-signing-test-suite/v4`), query
//!    (presigned) variants, for the parts S3 shares with generic SigV4: query
//!    canonicalization, header canonicalization, the string to sign, key derivation and the
//!    signature. The suite signs for service `service` under the generic rules, so two
//!    things are taken from the suite's own files rather than from S3's rules: the payload
//!    hash (SHA-256 of the body; S3 presigned requests use `UNSIGNED-PAYLOAD`) and the
//!    canonical URI. S3 signs the path as sent and never normalizes it, so the six cases
//!    that exist to test dot-segment and slash normalization (`*-normalized` with `.`, `..`
//!    or `//`) do not apply and are listed in `NORMALIZATION_ONLY`; their `-unnormalized`
//!    twins, which keep the path as sent, are run. One more case, `post-sts-header-after`,
//!    appends the session token after signing (`omit_session_token`); S3 signs
//!    `X-Amz-Security-Token`, so that case is the generic variant S3 does not use, and its
//!    twin `post-sts-header-before` (token signed) is run.
//! 2. The two S3 answers of AWS's documentation and botocore's tests, through the real verifier with the
//!    clock set to the example's time.
//! 3. AWS's SigV4a suite (`tests/corpus/aws-signing-test-suite/v4a`), all 40 cases: the
//!    derived public key against `public-key.json`, and the query and header signatures
//!    verified with it over the suite's strings to sign; where the generic rules agree with
//!    S3's (the same cases as for SigV4), the canonical request and string to sign are
//!    rebuilt from the signed request and compared too.

use std::path::{Path, PathBuf};

use http::HeaderMap;
use outpost_gate::secret::SecretKey;
use outpost_gate::sigv4::SigningKeyCache;
use outpost_gate::sigv4::canonical::{CanonicalRequest, string_to_sign};
use outpost_gate::sigv4::encode::uri_encode;
use outpost_gate::sigv4::key::{derive_signing_key, signature_hex};
use outpost_gate::sigv4::v4a::{derive_public_key, string_to_sign_v4a, verify_der};
use outpost_gate::sigv4::{Query, SigAuth, SignedRequest, Signer, verify};
use outpost_gate::time::UnixTime;
use sha2::{Digest, Sha256};

const NORMALIZATION_ONLY: [&str; 6] = [
    "get-relative-normalized",
    "get-relative-relative-normalized",
    "get-slash-dot-slash-normalized",
    "get-slash-normalized",
    "get-slash-pointless-dot-normalized",
    "get-slashes-normalized",
];

const TOKEN_ADDED_AFTER_SIGNING: [&str; 1] = ["post-sts-header-after"];

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/aws-signing-test-suite/v4")
}

fn v4a_suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/aws-signing-test-suite/v4a")
}

struct RawRequest {
    method: String,
    path: String,
    query: String,
    /// Lower-cased names, values in order, folded lines joined.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_request(text: &str) -> RawRequest {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let (method, rest) = request_line.split_once(' ').unwrap();
    let target = rest.rsplit_once(' ').unwrap().0;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = headers.last_mut().unwrap();
            last.1.push('\n');
            last.1.push_str(line);
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.to_ascii_lowercase(), v.to_owned()));
        }
    }
    RawRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

fn check_case(dir: &Path) {
    let ctx: serde_json::Value = serde_json::from_str(&read(dir, "context.json")).unwrap();
    let secret = ctx["credentials"]["secret_access_key"].as_str().unwrap();
    let req = parse_request(&read(dir, "query-signed-request.txt"));
    let query = Query::parse(&req.query).unwrap();
    let param = |k: &str| String::from_utf8(query.get(k).unwrap().to_vec()).unwrap();

    let canonical_uri = uri_encode(req.path.as_bytes(), true);
    let canonical_query = query.canonical(|k| k != b"X-Amz-Signature");
    let signed_headers = param("X-Amz-SignedHeaders");
    let payload_hash = hex::encode(Sha256::digest(&req.body));
    let mut buf = Vec::new();
    let mut c = CanonicalRequest::new(&mut buf, &req.method, &canonical_uri, &canonical_query);
    for name in signed_headers.split(';') {
        c.header(name, req.headers.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_bytes()));
    }
    let canonical = String::from_utf8(c.finish(&signed_headers, &payload_hash).to_vec()).unwrap();
    assert_eq!(canonical, read(dir, "query-canonical-request.txt"), "canonical request");

    let credential = param("X-Amz-Credential");
    let (_, scope) = credential.split_once('/').unwrap();
    let sts = string_to_sign(&param("X-Amz-Date"), scope, canonical.as_bytes());
    assert_eq!(sts, read(dir, "query-string-to-sign.txt"), "string to sign");

    let parts: Vec<&str> = scope.split('/').collect();
    let key = derive_signing_key(secret, parts[0], parts[1], parts[2]);
    let signature = signature_hex(&key, &sts);
    assert_eq!(signature, read(dir, "query-signature.txt").trim(), "signature");
    assert_eq!(signature, param("X-Amz-Signature"), "signature in the signed request");
}

#[test]
fn aws_sigv4_suite_query_variants() {
    let mut ran = Vec::new();
    let mut entries: Vec<_> =
        std::fs::read_dir(suite_dir()).expect("tests/corpus/aws-signing-test-suite/v4").flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if NORMALIZATION_ONLY.contains(&name.as_str()) || TOKEN_ADDED_AFTER_SIGNING.contains(&name.as_str()) {
            continue;
        }
        let result = std::panic::catch_unwind(|| check_case(&entry.path()));
        assert!(result.is_ok(), "suite case {name} failed");
        ran.push(name);
    }
    assert_eq!(ran.len(), 38 - NORMALIZATION_ONLY.len() - TOKEN_ADDED_AFTER_SIGNING.len(), "{ran:?}");
}

#[test]
fn s3_documentation_example_presigned_get() {
    let q = Query::parse(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
    )
    .unwrap();
    let auth = SigAuth::from_query(&q, "us-east-1").unwrap();
    let h = HeaderMap::new();
    let req = SignedRequest {
        method: "GET",
        raw_path: "/test.txt",
        query: &q,
        headers: &h,
        host: "examplebucket.s3.amazonaws.com",
    };
    let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    let at = UnixTime::parse_amz("20130524T000000Z").unwrap();
    verify(&req, &auth, &secret, at, 900, &SigningKeyCache::default()).unwrap();
}

#[test]
fn s3_on_outposts_access_point_example_presigned_get() {
    // botocore's functional test for an Outposts access point ARN, signing name s3-outposts.
    let host = "myaccesspoint-123456789012.op-01234567890123456.s3-outposts.us-west-2.amazonaws.com";
    let secret = SecretKey::new("SECRET_ACCESS_KEY");
    let at = UnixTime::parse_amz("20210827T000000Z").unwrap();
    let signer =
        Signer { access_key_id: "ACCESS_KEY_ID", secret: &secret, region: "us-west-2", service: "s3-outposts" };
    let url = signer.presign_url("GET", "https", host, "/obj", &[], 900, None, at);
    assert!(url.ends_with("X-Amz-Signature=a944fbe2bfbae429f922746546d1c6f890649c88ba7826bd1d258ac13f327e09"), "{url}");

    let q = Query::parse(url.split_once('?').unwrap().1).unwrap();
    let auth = SigAuth::from_query(&q, "us-west-2").unwrap();
    assert_eq!(auth.scope(), "20210827/us-west-2/s3-outposts/aws4_request");
    let h = HeaderMap::new();
    let req = SignedRequest { method: "GET", raw_path: "/obj", query: &q, headers: &h, host };
    verify(&req, &auth, &secret, at, 900, &SigningKeyCache::default()).unwrap();
    let late = UnixTime(at.0 + 901);
    assert_eq!(
        verify(&req, &auth, &secret, late, 900, &SigningKeyCache::default()).unwrap_err().message,
        "Request has expired"
    );
}

/// The canonical request of a signed suite request: the path encoded once, the query
/// without the signature, the signed headers, and the payload hash.
fn canonical_of(req: &RawRequest, query: &Query<'_>, signed_headers: &str, payload_hash: &str) -> String {
    let canonical_uri = uri_encode(req.path.as_bytes(), true);
    let canonical_query = query.canonical(|k| k != b"X-Amz-Signature");
    let mut buf = Vec::new();
    let mut c = CanonicalRequest::new(&mut buf, &req.method, &canonical_uri, &canonical_query);
    for name in signed_headers.split(';') {
        c.header(name, req.headers.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_bytes()));
    }
    String::from_utf8(c.finish(signed_headers, payload_hash).to_vec()).unwrap()
}

fn check_v4a_case(dir: &Path, compare_canonical: bool) {
    let ctx: serde_json::Value = serde_json::from_str(&read(dir, "context.json")).unwrap();
    let access_key_id = ctx["credentials"]["access_key_id"].as_str().unwrap();
    let secret = ctx["credentials"]["secret_access_key"].as_str().unwrap();
    let key = derive_public_key(secret, access_key_id).unwrap();
    if !dir.join("public-key.json").exists() {
        // Two cases carry only the request (query ordering): the key their credentials
        // derive is the suite's key for the same credentials, and what we sign verifies.
        let vanilla: serde_json::Value =
            serde_json::from_str(&read(&dir.with_file_name("get-vanilla"), "public-key.json")).unwrap();
        assert_eq!(hex::encode(key.xy().0), vanilla["X"].as_str().unwrap());
        let req = parse_request(&read(dir, "request.txt"));
        let secret = SecretKey::new(secret);
        let signer = Signer { access_key_id, secret: &secret, region: "us-east-1", service: "s3" };
        let query = Query::parse(&req.query).unwrap();
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|p| (String::from_utf8_lossy(&p.key).into_owned(), String::from_utf8_lossy(&p.value).into_owned()))
            .collect();
        let params: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let at = UnixTime::parse_amz("20150830T123600Z").unwrap();
        let url = signer.presign_url_v4a(
            &req.method,
            "https",
            "example.amazonaws.com",
            &req.path,
            &params,
            "*",
            3600,
            None,
            at,
        );
        let q = Query::parse(url.split_once('?').unwrap().1).unwrap();
        let auth = SigAuth::from_query(&q, "us-east-1").unwrap();
        let h = HeaderMap::new();
        let signed = SignedRequest {
            method: &req.method,
            raw_path: &req.path,
            query: &q,
            headers: &h,
            host: "example.amazonaws.com",
        };
        verify(&signed, &auth, &secret, at, 900, &SigningKeyCache::default()).unwrap();
        return;
    }
    let expected: serde_json::Value = serde_json::from_str(&read(dir, "public-key.json")).unwrap();
    let (x, y) = key.xy();
    assert_eq!(hex::encode(x), expected["X"].as_str().unwrap(), "public key X");
    assert_eq!(hex::encode(y), expected["Y"].as_str().unwrap(), "public key Y");

    // Presigned: the suite's signature over its string to sign, and our own rebuild of both.
    let req = parse_request(&read(dir, "query-signed-request.txt"));
    let query = Query::parse(&req.query).unwrap();
    let param = |k: &str| String::from_utf8(query.get(k).unwrap().to_vec()).unwrap();
    assert_eq!(param("X-Amz-Algorithm"), "AWS4-ECDSA-P256-SHA256");
    let sts = read(dir, "query-string-to-sign.txt");
    let signature = hex::decode(read(dir, "query-signature.txt").trim()).unwrap();
    assert!(verify_der(&key, sts.as_bytes(), &signature), "query signature");
    assert!(verify_der(&key, sts.as_bytes(), &hex::decode(param("X-Amz-Signature")).unwrap()), "signed request");
    assert!(!verify_der(&key, format!("{sts} ").as_bytes(), &signature), "a changed string to sign");
    if compare_canonical {
        let signed = param("X-Amz-SignedHeaders");
        let canonical = canonical_of(&req, &query, &signed, &hex::encode(Sha256::digest(&req.body)));
        assert_eq!(canonical, read(dir, "query-canonical-request.txt"), "query canonical request");
        let (_, scope) = param("X-Amz-Credential").split_once('/').map(|(a, s)| (a.to_owned(), s.to_owned())).unwrap();
        assert_eq!(string_to_sign_v4a(&param("X-Amz-Date"), &scope, canonical.as_bytes()), sts, "query string to sign");
    }

    // Header-signed: the same verifier, ready for header authentication.
    let req = parse_request(&read(dir, "header-signed-request.txt"));
    let sts = read(dir, "header-string-to-sign.txt");
    let signature = hex::decode(read(dir, "header-signature.txt").trim()).unwrap();
    assert!(verify_der(&key, sts.as_bytes(), &signature), "header signature");
    let authorization = req.headers.iter().find(|(k, _)| k == "authorization").map(|(_, v)| v.clone()).unwrap();
    let field = |name: &str| {
        authorization.split([' ', ',']).find_map(|p| p.strip_prefix(&format!("{name}="))).unwrap().to_owned()
    };
    // ECDSA signatures are randomised: the signed request carries another valid one.
    assert!(verify_der(&key, sts.as_bytes(), &hex::decode(field("Signature")).unwrap()), "Authorization signature");
    if compare_canonical {
        let query = Query::parse(&req.query).unwrap();
        let payload = req
            .headers
            .iter()
            .find(|(k, _)| k == "x-amz-content-sha256")
            .map_or_else(|| hex::encode(Sha256::digest(&req.body)), |(_, v)| v.clone());
        let canonical = canonical_of(&req, &query, &field("SignedHeaders"), &payload);
        assert_eq!(canonical, read(dir, "header-canonical-request.txt"), "header canonical request");
        let date = req.headers.iter().find(|(k, _)| k == "x-amz-date").map(|(_, v)| v.clone()).unwrap();
        let credential = field("Credential");
        let scope = credential.split_once('/').unwrap().1;
        assert_eq!(string_to_sign_v4a(&date, scope, canonical.as_bytes()), sts, "header string to sign");
    }
}

#[test]
fn aws_sigv4a_suite_every_case() {
    let mut entries: Vec<_> =
        std::fs::read_dir(v4a_suite_dir()).expect("tests/corpus/aws-signing-test-suite/v4a").flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    let mut compared = 0;
    for entry in &entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let compare = !NORMALIZATION_ONLY.contains(&name.as_str())
            && !TOKEN_ADDED_AFTER_SIGNING.contains(&name.as_str())
            && entry.path().join("public-key.json").exists();
        compared += usize::from(compare);
        let result = std::panic::catch_unwind(|| check_v4a_case(&entry.path(), compare));
        assert!(result.is_ok(), "v4a suite case {name} failed");
    }
    assert_eq!(entries.len(), 40, "all 40 cases ran");
    assert_eq!(compared, 40 - NORMALIZATION_ONLY.len() - TOKEN_ADDED_AFTER_SIGNING.len() - 2);
}

/// A SigV4a URL signed by the gate's own signer verifies through the real verifier, and the
/// key id's derived key is what signs (another secret does not verify).
#[test]
fn sigv4a_presigned_url_through_the_verifier() {
    let host = "myaccesspoint-123456789012.op-01234567890123456.s3-outposts.us-west-2.amazonaws.com";
    let secret = SecretKey::new("SECRET_ACCESS_KEY");
    let at = UnixTime::parse_amz("20210827T000000Z").unwrap();
    let signer =
        Signer { access_key_id: "ACCESS_KEY_ID", secret: &secret, region: "us-west-2", service: "s3-outposts" };
    let url = signer.presign_url_v4a("GET", "https", host, "/obj", &[], "us-*", 900, None, at);
    let q = Query::parse(url.split_once('?').unwrap().1).unwrap();
    let auth = SigAuth::from_query(&q, "us-west-2").unwrap();
    assert_eq!(auth.scope(), "20210827/s3-outposts/aws4_request");
    let h = HeaderMap::new();
    let req = SignedRequest { method: "GET", raw_path: "/obj", query: &q, headers: &h, host };
    verify(&req, &auth, &secret, at, 900, &SigningKeyCache::default()).unwrap();
    let wrong = SecretKey::new("ANOTHER_SECRET");
    let e = verify(&req, &auth, &wrong, at, 900, &SigningKeyCache::default()).unwrap_err();
    assert_eq!(e.code, "SignatureDoesNotMatch");
}
