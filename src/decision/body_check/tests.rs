use std::borrow::Cow;
use std::sync::Arc;

use bytes::BytesMut;
use http::HeaderMap;

use super::*;
use crate::base::time::UnixTime;
use crate::config::User;
use crate::decision::caller::Caller;
use crate::sigv4::{Algorithm, AuthForm};

fn caller(payload_hash: &'static str) -> Authenticated {
    let user = User {
        arn: "arn:aws:iam::111122223333:user/u".into(),
        account: "111122223333".into(),
        name: "u".into(),
        userid: "AIDAEXAMPLE".into(),
        policies: Vec::new(),
        access_keys: Vec::new(),
    };
    Authenticated {
        caller: Caller::User(Arc::new(user)),
        access_key_id: crate::base::ids::KeyId::from("AKIDEXAMPLE").unwrap(),
        algorithm: Algorithm::HmacSha256,
        signed_at: UnixTime(0),
        expires_at: UnixTime(900),
        form: AuthForm::Header,
        payload_hash: Cow::Borrowed(payload_hash),
        chain: None,
    }
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    pairs.iter().map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap())).collect()
}

fn code(r: Result<Option<BodyCheck>, S3Error>) -> (u16, &'static str) {
    let e = r.unwrap_err();
    (e.status.as_u16(), e.code)
}

#[test]
fn an_unsigned_body_without_checksums_streams_unread() {
    assert!(body_check(&headers(&[("content-length", "5")]), &caller("UNSIGNED-PAYLOAD")).unwrap().is_none());
}

#[test]
fn a_plain_body_is_checked_against_its_hash_and_checksum() {
    let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    // No Content-Length and no Transfer-Encoding: an empty body, which the hash must fit.
    let mut check = body_check(&HeaderMap::new(), &caller(empty)).unwrap().unwrap();
    assert!(check.must_defer() && !check.is_chunked());
    assert_eq!(check.feed(&mut BytesMut::new()).unwrap(), None);
    check.finish().unwrap();

    let h = headers(&[("content-length", "5"), ("x-amz-checksum-crc32", "NhCmhg==")]);
    let mut check = body_check(&h, &caller("UNSIGNED-PAYLOAD")).unwrap().unwrap();
    let mut buf = BytesMut::from(&b"hello"[..]);
    let first = check.feed(&mut buf).unwrap().unwrap();
    assert_eq!(&first[..], b"hell", "the last byte waits for the checksum");
    assert_eq!(&check.finish().unwrap().unwrap()[..], b"o");

    let h = headers(&[("content-length", "5"), ("x-amz-checksum-crc32", "AAAAAA==")]);
    let mut check = body_check(&h, &caller("UNSIGNED-PAYLOAD")).unwrap().unwrap();
    let mut buf = BytesMut::from(&b"hello"[..]);
    while check.feed(&mut buf).unwrap().is_some() {}
    assert_eq!(check.finish().unwrap_err().to_s3().code, "BadDigest");
}

#[test]
fn malformed_claims_get_s3s_answers() {
    let chunked = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    assert_eq!(code(body_check(&HeaderMap::new(), &caller(chunked))), (411, "MissingContentLength"));
    let h = headers(&[("x-amz-decoded-content-length", "ten")]);
    assert_eq!(code(body_check(&h, &caller(chunked))), (400, "InvalidArgument"));
    let h = headers(&[("x-amz-decoded-content-length", "10"), ("x-amz-trailer", "x-amz-checksum-md5")]);
    assert_eq!(body_check(&h, &caller(chunked)).unwrap_err().status.as_u16(), 400);
    let h = headers(&[("content-length", "1"), ("x-amz-checksum-crc32", "AAAAAA=="), ("x-amz-checksum-sha1", "x")]);
    assert_eq!(code(body_check(&h, &caller("UNSIGNED-PAYLOAD"))), (400, "InvalidRequest"));
    let h = headers(&[("transfer-encoding", "chunked")]);
    let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_eq!(code(body_check(&h, &caller(hex))), (411, "MissingContentLength"));
    // A signed streaming mode whose seed was never set up cannot be checked: refused.
    let h = headers(&[("x-amz-decoded-content-length", "10")]);
    assert_eq!(body_check(&h, &caller("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")).unwrap_err().status.as_u16(), 500);
}

#[test]
fn a_named_algorithm_must_be_the_one_sent_and_a_trailer_needs_aws_chunked() {
    let crc = ("x-amz-checksum-crc32", "NhCmhg==");
    let plain = |more: &[(&'static str, &str)]| {
        let mut all = vec![("content-length", "5"), crc];
        all.extend_from_slice(more);
        body_check(&headers(&all), &caller("UNSIGNED-PAYLOAD"))
    };
    for name in ["x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"] {
        for other in ["SHA256", "MD5", ""] {
            let e = plain(&[(name, other)]).unwrap_err();
            assert_eq!((e.status.as_u16(), e.code), (400, "InvalidRequest"), "{name}: {other}");
            assert_eq!(e.message, format!("Value for {name} header is invalid."));
        }
        assert!(plain(&[(name, "crc32")]).unwrap().is_some(), "{name} naming the algorithm sent");
    }
    let e = plain(&[("x-amz-trailer", "x-amz-checksum-sha256")]).unwrap_err();
    assert_eq!((e.status.as_u16(), e.code), (400, "InvalidRequest"));
    // With the trailer, the named algorithm must be the trailer's.
    let chunked = |alg: &'static str| {
        let h = headers(&[
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "5"),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
            ("x-amz-sdk-checksum-algorithm", alg),
        ]);
        body_check(&h, &caller("STREAMING-UNSIGNED-PAYLOAD-TRAILER"))
    };
    assert!(chunked("CRC32").is_ok());
    assert_eq!(code(chunked("CRC32C")), (400, "InvalidRequest"));
}
