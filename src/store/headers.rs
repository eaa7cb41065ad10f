//! The headers a request and its answer carry across the gate: what never crosses (one
//! hop's own headers, the client's addressing and authentication) and what an
//! `aws-chunked` upload's headers become once decoded for the store.

use http::header::{self, HeaderMap, HeaderName};
use smallvec::SmallVec;

/// Headers that describe one hop (RFC 9110 §7.6.1 and the usual proxy extras): stripped in
/// both directions.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The client's own addressing, authentication and expectations: replaced or handled by the
/// gate, never forwarded to the store.
const CLIENT_ONLY: [&str; 5] = ["host", "authorization", "expect", "x-amz-date", "x-amz-security-token"];

/// The request headers S3 reads besides `x-amz-*`: the object's own (stored with it on a
/// write), conditions and ranges, and CORS's origin.
const S3_REQUEST_HEADERS: [&str; 13] = [
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "expires",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-unmodified-since",
    "range",
];

/// What the store gets of the client's headers: `x-amz-*` (the gate reads and checks those)
/// and the headers S3 defines, minus hop-by-hop ones (and any the Connection header names)
/// and the client's authentication. Everything else is dropped, as S3 ignores headers it does
/// not define, because a store may not: MinIO deletes a whole prefix on
/// `x-minio-force-delete` and reads inside a zip on `x-minio-extract`, and stores log
/// `X-Forwarded-For` as the client. Only what the decision saw reaches the store.
pub(super) fn forwardable(mut headers: HeaderMap) -> HeaderMap {
    // Hop-by-hop headers and `host`, `authorization`, `expect` are neither `x-amz-*` nor
    // S3's, so they go with the rest.
    strip(&mut headers, |name| {
        !(if name.starts_with("x-amz-") { !CLIENT_ONLY.contains(&name) } else { S3_REQUEST_HEADERS.contains(&name) })
    });
    headers
}

/// The headers of an `aws-chunked` upload as the store must see it decoded: its real
/// length, and none of the framing's own headers.
pub(super) fn as_decoded(headers: &mut HeaderMap, length: u64) {
    headers.remove("x-amz-decoded-content-length");
    headers.remove("x-amz-trailer");
    let encodings: Vec<String> = headers
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
        .map(str::to_owned)
        .collect();
    headers.remove(header::CONTENT_ENCODING);
    if let Ok(v) = http::HeaderValue::from_str(&encodings.join(", "))
        && !encodings.is_empty()
    {
        headers.insert(header::CONTENT_ENCODING, v);
    }
    headers.insert(header::CONTENT_LENGTH, http::HeaderValue::from(length));
}

/// An upload that names a checksum algorithm but carries no checksum value (its trailer,
/// verified by the gate, is not forwarded): the store is not told to expect one, since a
/// store may keep the object before finding no value to compare (s3s-fs does).
pub(super) fn without_empty_checksum_claims(headers: &mut HeaderMap) {
    const VALUES: [&str; 5] = [
        "x-amz-checksum-crc32",
        "x-amz-checksum-crc32c",
        "x-amz-checksum-crc64nvme",
        "x-amz-checksum-sha1",
        "x-amz-checksum-sha256",
    ];
    if !VALUES.iter().any(|v| headers.contains_key(*v)) {
        headers.remove("x-amz-checksum-algorithm");
        headers.remove("x-amz-sdk-checksum-algorithm");
    }
}

pub(super) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    strip(headers, |name| HOP_BY_HOP.contains(&name));
}

/// Removes the headers `doomed` picks (a set that includes `HOP_BY_HOP`) and those the
/// Connection header names. Most messages name nothing but `keep-alive` (or `close`, on
/// their last exchange): then nothing is collected for it. The doomed names are found in
/// one pass and removed after (a client sends a few; eight are held without allocating).
fn strip(headers: &mut HeaderMap, doomed: impl Fn(&str) -> bool) {
    // What Connection names, read while it is still there to say so. Names that are
    // hop-by-hop anyway are left to the pass below.
    let named: SmallVec<[HeaderName; 2]> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty() && !HOP_BY_HOP.iter().any(|h| h.eq_ignore_ascii_case(t)))
        .filter_map(|t| HeaderName::from_bytes(t.as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    let gone: SmallVec<[HeaderName; 8]> = headers.keys().filter(|n| doomed(n.as_str())).cloned().collect();
    for name in gone {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_s3_headers_reach_the_store_without_hop_by_hop_or_client_auth() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("host", "gate"),
            ("connection", "keep-alive, X-Private"),
            ("x-private", "1"),
            ("keep-alive", "timeout=5"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=x"),
            ("x-amz-security-token", "t"),
            ("range", "bytes=0-1"),
            ("x-amz-meta-a", "b"),
            ("content-type", "text/plain"),
            ("if-none-match", "*"),
            ("x-minio-force-delete", "true"),
            ("x-minio-extract", "true"),
            ("x-forwarded-for", "10.9.9.9"),
            ("forwarded", "for=10.9.9.9"),
            ("x-http-method-override", "DELETE"),
            ("user-agent", "curl"),
        ] {
            h.append(HeaderName::from_static(k), http::HeaderValue::from_static(v));
        }
        let kept = forwardable(h.clone());
        let mut names: Vec<&str> = kept.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["content-type", "if-none-match", "range", "x-amz-meta-a"]);
        strip_hop_by_hop(&mut h);
        assert!(h.contains_key("host") && h.contains_key("authorization") && !h.contains_key("x-private"));
        assert!(!h.contains_key("connection") && !h.contains_key("keep-alive"));
    }
}
