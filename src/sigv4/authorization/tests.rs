use http::{HeaderMap, HeaderValue};

use super::*;
use crate::base::secret::SecretKey;
use crate::sigv4::cache::SigningKeyCache;
use crate::sigv4::query::Query;
use crate::sigv4::sign::Signer;
use crate::sigv4::verify::{SignedRequest, verify};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A request signed in the header by the gate's own store signer (botocore's shape), for
/// `/b/k?x=1` on `h.example` at 2024-05-01T00:00:00Z.
fn signed(extra: &[(&'static str, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (k, v) in extra {
        headers.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    let signer =
        Signer { access_key_id: "AKIDEXAMPLE", secret: &SecretKey::new(SECRET), region: "us-east-1", service: "s3" };
    signer.sign_headers("GET", "/b/k", "x=1", "h.example", &mut headers, at(0), &SigningKeyCache::default());
    headers
}

fn at(offset: i64) -> UnixTime {
    UnixTime(UnixTime::parse_amz("20240501T000000Z").unwrap().0 + offset)
}

fn check(headers: &HeaderMap, now: UnixTime) -> Result<(), S3Error> {
    let auth = SigAuth::from_header(headers, "us-east-1", &["s3", "s3-outposts"]).unwrap()?;
    let query = Query::parse("x=1").unwrap();
    let req = SignedRequest { method: "GET", raw_path: "/b/k", query: &query, headers, host: "h.example" };
    verify(&req, &auth, &SecretKey::new(SECRET), now, 900, &SigningKeyCache::default())
}

#[test]
fn a_header_signed_request_verifies_within_fifteen_minutes_of_its_date() {
    let h = signed(&[("x-amz-meta-a", "1")]);
    let auth = SigAuth::from_header(&h, "us-east-1", &["s3"]).unwrap().unwrap();
    assert_eq!(
        (auth.form, auth.algorithm, &*auth.payload_hash),
        (AuthForm::Header, Algorithm::HmacSha256, "UNSIGNED-PAYLOAD")
    );
    assert_eq!(auth.signed_headers, "host;x-amz-content-sha256;x-amz-date;x-amz-meta-a");
    check(&h, at(0)).unwrap();
    check(&h, at(900)).unwrap();
    check(&h, at(-900)).unwrap();
    for off in [901, -901] {
        let e = check(&h, at(off)).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (403, "RequestTimeTooSkewed"));
        assert_eq!(e.extra("MaxAllowedSkewMilliseconds"), Some("900000"));
    }
}

#[test]
fn the_signature_covers_the_headers_the_query_and_the_payload_hash() {
    let mut h = signed(&[("x-amz-meta-a", "1")]);
    h.insert("x-amz-meta-a", HeaderValue::from_static("2"));
    assert_eq!(check(&h, at(0)).unwrap_err().code, "SignatureDoesNotMatch");

    let mut h = signed(&[]);
    h.insert("x-amz-content-sha256", HeaderValue::from_static("STREAMING-UNSIGNED-PAYLOAD-TRAILER"));
    assert_eq!(check(&h, at(0)).unwrap_err().code, "SignatureDoesNotMatch");

    let h = signed(&[]);
    let auth = SigAuth::from_header(&h, "us-east-1", &["s3"]).unwrap().unwrap();
    let query = Query::parse("x=2").unwrap();
    let req = SignedRequest { method: "GET", raw_path: "/b/k", query: &query, headers: &h, host: "h.example" };
    let e = verify(&req, &auth, &SecretKey::new(SECRET), at(0), 900, &SigningKeyCache::default()).unwrap_err();
    assert_eq!(e.code, "SignatureDoesNotMatch");
    assert!(e.extra("CanonicalRequest").unwrap().contains("x=2"));

    // An x-amz-* header added after signing is refused by name.
    let mut h = signed(&[]);
    h.insert("x-amz-acl", HeaderValue::from_static("public-read"));
    let e = check(&h, at(0)).unwrap_err();
    assert_eq!((e.code, e.extra("HeadersNotSigned")), ("AccessDenied", Some("x-amz-acl")));
}

#[test]
fn a_session_token_is_redacted_in_the_echoed_canonical_request() {
    let mut h = signed(&[("x-amz-security-token", "SECRET-TOKEN-VALUE")]);
    h.insert("x-amz-meta-x", HeaderValue::from_static("late"));
    let auth = SigAuth::from_header(&h, "us-east-1", &["s3"]).unwrap().unwrap();
    assert_eq!(auth.security_token.as_deref(), Some("SECRET-TOKEN-VALUE"));
    assert!(!format!("{auth:?}").contains("SECRET-TOKEN-VALUE"));
    h.remove("x-amz-meta-x");
    h.insert("x-amz-security-token", HeaderValue::from_static("SECRET-TOKEN-VALUE"));
    let mut tampered = h.clone();
    tampered.insert("x-amz-date", HeaderValue::from_static("20240501T000001Z"));
    let e = check(&tampered, at(0)).unwrap_err();
    let echoed = format!("{e:?}");
    assert_eq!(e.code, "SignatureDoesNotMatch", "{e:?}");
    assert!(!echoed.contains("SECRET-TOKEN-VALUE") && echoed.contains("REDACTED"), "{echoed}");
}

#[test]
fn malformed_headers_get_s3s_answers() {
    let good = signed(&[]);
    let value = good.get("authorization").unwrap().to_str().unwrap().to_owned();
    let with = |v: &str| {
        let mut h = good.clone();
        h.insert("authorization", HeaderValue::from_str(v).unwrap());
        SigAuth::from_header(&h, "us-east-1", &["s3"]).unwrap().unwrap_err()
    };
    let code = |v: &str| {
        let e = with(v);
        (e.status.as_u16(), e.code)
    };
    assert_eq!(code("AWS AKIDEXAMPLE:c2lnbmF0dXJl"), (400, "InvalidRequest"));
    assert_eq!(code("AWS4-HMAC-SHA256"), (400, "InvalidRequest"));
    assert_eq!(code(&value.replace(", Signature=", ", Sig=")), (400, "AuthorizationHeaderMalformed"));
    assert_eq!(
        code(&value.replace("SignedHeaders=", "SignedHeaders=;x,SignedHeaders=")),
        (400, "AuthorizationHeaderMalformed")
    );
    assert_eq!(code(&value.replace("/us-east-1/", "/us-west-2/")), (400, "AuthorizationHeaderMalformed"));
    assert_eq!(with(&value.replace("/us-east-1/", "/us-west-2/")).extra("Region"), Some("us-east-1"));
    assert_eq!(code(&value.replace("/s3/", "/ec2/")), (400, "AuthorizationHeaderMalformed"));
    assert_eq!(code(&value.replace("/aws4_request", "/aws5_request")), (400, "AuthorizationHeaderMalformed"));
    assert_eq!(code(&value.replace("/20240501/", "/20240502/")), (400, "AuthorizationHeaderMalformed"));
    assert_eq!(code(&value.replace("Credential=AKIDEXAMPLE/", "Credential=/")), (400, "AuthorizationHeaderMalformed"));
    let short = value.rsplit_once('=').unwrap().0.to_owned() + "=abcd";
    assert_eq!(code(&short), (403, "SignatureDoesNotMatch"));

    let mut no_date = good.clone();
    no_date.remove("x-amz-date");
    let e = SigAuth::from_header(&no_date, "us-east-1", &["s3"]).unwrap().unwrap_err();
    assert_eq!((e.status.as_u16(), e.code), (403, "AccessDenied"));
    let mut twice = good.clone();
    twice.append("authorization", HeaderValue::from_static("AWS4-HMAC-SHA256 x"));
    assert_eq!(
        SigAuth::from_header(&twice, "us-east-1", &["s3"]).unwrap().unwrap_err().code,
        "AuthorizationHeaderMalformed"
    );
    assert!(SigAuth::from_header(&HeaderMap::new(), "us-east-1", &["s3"]).is_none());
}

#[test]
fn sigv4a_needs_a_region_set_covering_this_region() {
    let mut h = signed(&[]);
    let der = "3044022016ec6ff5b73b5e2b2cf1f67fe7a24b0b6c0a9dd8fcf1e3b6e0b7c2c7c1f2f7a402203c1f6c5d7f3e0f5b2f1e7d3c0b5a4e1f2d3c4b5a6f7e8d9c0b1a2f3e4d5c6b7a";
    let v = format!(
        "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20240501/s3/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature={der}"
    );
    h.insert("authorization", HeaderValue::from_str(&v).unwrap());
    let e = SigAuth::from_header(&h, "us-east-1", &["s3"]).unwrap().unwrap_err();
    assert!(e.message.contains("X-Amz-Region-Set"), "{e:?}");
    h.insert("x-amz-region-set", HeaderValue::from_static("eu-*"));
    let e = SigAuth::from_header(&h, "us-east-1", &["s3"]).unwrap().unwrap_err();
    assert_eq!(e.extra("Region"), Some("us-east-1"));
    h.insert("x-amz-region-set", HeaderValue::from_static("us-*"));
    let auth = SigAuth::from_header(&h, "us-east-1", &["s3"]).unwrap().unwrap();
    assert_eq!(
        (auth.algorithm, auth.scope(), auth.service()),
        (Algorithm::EcdsaP256, "20240501/s3/aws4_request", "s3")
    );
}
