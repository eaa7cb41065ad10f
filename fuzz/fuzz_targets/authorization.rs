//! The `Authorization` header parser on arbitrary values (and with arbitrary companion
//! headers). Beyond "no panic": whatever parses names a header-signed request whose scope
//! has the shape of its algorithm, whose signature is hex, and whose region set (SigV4a)
//! covers the region.

#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use outpost_gate::sigv4::{Algorithm, AuthForm, SigAuth};

fuzz_target!(|input: &[u8]| {
    let mut parts = input.splitn(3, |&b| b == b'\n');
    let (Some(auth), date, set) = (parts.next(), parts.next(), parts.next()) else { return };
    let mut headers = HeaderMap::new();
    let Ok(value) = HeaderValue::from_bytes(auth) else { return };
    headers.insert("authorization", value);
    headers.insert("x-amz-date", HeaderValue::from_bytes(date.unwrap_or(b"20261130T000000Z")).unwrap_or(HeaderValue::from_static("x")));
    if let Some(set) = set.and_then(|s| HeaderValue::from_bytes(s).ok()) {
        headers.insert("x-amz-region-set", set);
    }
    headers.insert("x-amz-content-sha256", HeaderValue::from_static("UNSIGNED-PAYLOAD"));
    let Some(Ok(parsed)) = SigAuth::from_header(&headers, "us-east-1", &["s3", "s3-outposts"]) else { return };
    assert_eq!(parsed.form, AuthForm::Header);
    let scope_parts = parsed.scope().split('/').count();
    match parsed.algorithm {
        Algorithm::HmacSha256 => {
            assert_eq!(scope_parts, 4);
            assert_eq!(parsed.region(), "us-east-1");
            assert_eq!(parsed.signature.len(), 64);
        }
        Algorithm::EcdsaP256 => {
            assert_eq!(scope_parts, 3);
            assert!(parsed.region_set.is_some());
        }
    }
    assert!(parsed.signature.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(["s3", "s3-outposts"].contains(&parsed.service()));
    // The signature is redacted in Debug output (the signed-header list may hold any text).
    assert!(format!("{parsed:?}").contains("signature: \"***\""), "the signature is never printed");
});
