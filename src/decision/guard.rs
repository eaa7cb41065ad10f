//! The store must act on the request the gate decided on. Anything the store could read
//! another way than the gate is refused here, before any signature or policy work:
//!
//! - keys a path-mapping store would normalise (`..`, empty segments, a trailing `/`, …);
//! - listing prefixes such a store would normalise;
//! - a `Connection` header naming an end-to-end header (the gate would check the header,
//!   then strip it as hop-by-hop before forwarding);
//! - repeated `x-amz-*` headers, policy-read headers that are not text, a malformed
//!   `x-amz-tagging` (the policy would read one value, the store another), and an
//!   `x-amz-content-sha256` that is none of S3's values (the body is checked against it);
//! - query parameters: each may come once, as UTF-8; only those S3 defines for the data
//!   plane are forwarded, so no store reads a sub-resource the gate did not classify.
//!
//! Everything here is pure: the rules read only the request and the store's traits.

use std::borrow::Cow;

use http::{HeaderMap, HeaderName, StatusCode, header};

use crate::base::s3err::S3Error;
use crate::config::StoreTraits;
use crate::payload::{ChunkError, StreamingMode};
use crate::sigv4::canonical::UNSIGNED_PAYLOAD;
use crate::sigv4::encode::{percent_decode, percent_decode_utf8, uri_encode_into};
use crate::sigv4::presigned::is_auth_param;
use crate::sigv4::sign::X_AMZ_CONTENT_SHA256;
use crate::sigv4::{Query, QueryPair};

/// `UNSIGNED-PAYLOAD`, a `STREAMING-*` mode, or 64 hex digits.
fn is_payload_claim(v: &[u8]) -> bool {
    v == UNSIGNED_PAYLOAD.as_bytes()
        || std::str::from_utf8(v).is_ok_and(|s| StreamingMode::from_content_sha256(s).is_some())
        || (v.len() == 64 && v.iter().all(u8::is_ascii_hexdigit))
}

/// S3's limit on a key's length, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// Query parameters of the S3 operations the gate carries. Only these reach the store.
const FORWARDED_PARAMS: &[&str] = &[
    "continuation-token",
    "delimiter",
    "encoding-type",
    "fetch-owner",
    "key-marker",
    "list-type",
    "marker",
    "max-keys",
    "max-parts",
    "max-uploads",
    "part-number-marker",
    "partNumber",
    "prefix",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "start-after",
    "tagging",
    "upload-id-marker",
    "uploadId",
    "uploads",
    "versionId",
    "x-id",
];

/// What the `Connection` header may name: hop-by-hop fields only.
const CONNECTION_TOKENS: &[&str] =
    &["close", "keep-alive", "te", "trailer", "upgrade", "http2-settings", "proxy-connection", "transfer-encoding"];

fn refuse(message: impl Into<Cow<'static, str>>, name: &str, value: &str) -> S3Error {
    S3Error::invalid_argument(message).with("ArgumentName", name).with("ArgumentValue", value)
}

/// A decoded object key (the request's, or a copy source's), checked against what the store
/// could read differently.
pub fn check_key(key: &str, traits: StoreTraits) -> Result<(), S3Error> {
    if key.len() > MAX_KEY_BYTES {
        return Err(S3Error::new(StatusCode::BAD_REQUEST, "KeyTooLongError", "Your key is too long")
            .with("Size", key.len().to_string())
            .with("MaxSizeAllowed", MAX_KEY_BYTES.to_string()));
    }
    // `/bucket//a` names the key `/a` in S3, but Garage drops a key's leading slashes and
    // would act on `a` (or on the bucket itself, for the key `/`), whatever a policy said
    // of `/a`: refused for every store, opaque or not.
    if key.starts_with('/') {
        return Err(refuse(
            "Object key refused: it begins with `/`, which a store may drop and read as another key",
            "key",
            key,
        ));
    }
    if traits.opaque_keys {
        return Ok(());
    }
    if let Some(why) = path_hazard(key, true) {
        return Err(refuse(
            format!("Object key refused: {why}; the store keeps keys as paths and would read it as another key"),
            "key",
            key,
        ));
    }
    Ok(())
}

/// What makes `text` read as another path by a store that maps keys to files. A prefix
/// (`whole = false`) may end in `/`; a key may not.
fn path_hazard(text: &str, whole: bool) -> Option<&'static str> {
    if text.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Some("it contains a control character");
    }
    if text.contains('\\') {
        return Some("it contains a backslash");
    }
    let mut segments = text.split('/').peekable();
    while let Some(seg) = segments.next() {
        let last = segments.peek().is_none();
        match seg {
            "." | ".." => return Some("it has a `.` or `..` segment"),
            "" if last && !whole && !text.is_empty() => {}
            "" if last && whole && text.len() > 1 => return Some("it ends with `/`"),
            "" if !text.is_empty() => return Some("it has an empty segment (`//` or a leading `/`)"),
            _ => {}
        }
    }
    None
}

/// The listing prefix, as policies read it (`s3-outposts:prefix`) and as the store will use
/// it: refused where a path-mapping store would normalise it.
pub fn check_prefix(query: &Query<'_>, traits: StoreTraits) -> Result<(), S3Error> {
    if traits.opaque_keys {
        return Ok(());
    }
    for name in ["prefix", "start-after", "marker", "key-marker"] {
        let Some(value) = query.get(name) else { continue };
        let text = std::str::from_utf8(value).map_err(|_| refuse("The value is not UTF-8", name, ""))?;
        if let Some(why) = path_hazard(text, false) {
            return Err(refuse(
                format!("Listing parameter refused: {why}; the store keeps keys as paths and would read it otherwise"),
                name,
                text,
            ));
        }
    }
    Ok(())
}

/// The query the store gets: the parameters S3 defines for the operations carried, each
/// once and UTF-8, canonically encoded; `versionId=null` is dropped for a store without
/// versions (it names the one version such a store has). Anything else is left out, as
/// S3 ignores parameters it does not know.
pub fn forwarded_query(query: &Query<'_>, traits: StoreTraits) -> Result<String, S3Error> {
    // Only what is forwarded is checked here; the authentication parameters are the
    // verifier's to judge.
    let forwarded = |k: &[u8]| FORWARDED_PARAMS.iter().any(|p| p.as_bytes() == k);
    // Some presigners hoist `x-amz-*` headers into the query (`x-amz-acl`,
    // `x-amz-server-side-encryption`); S3 applies them as headers. The gate's policies read
    // headers, so such a request is refused rather than decided without them or forwarded
    // with them unseen.
    if let Some(p) = query
        .iter()
        .find(|p| p.key.get(..6).is_some_and(|head| head.eq_ignore_ascii_case(b"x-amz-")) && !is_auth_param(&p.key))
    {
        return Err(refuse(
            "x-amz-* request headers must be sent as headers, not query parameters",
            &String::from_utf8_lossy(&p.key),
            "",
        ));
    }
    for (i, pair) in query.iter().enumerate().filter(|(_, p)| forwarded(&p.key)) {
        let name = String::from_utf8_lossy(&pair.key);
        if query.iter().skip(i + 1).any(|p| p.key == pair.key) {
            return Err(refuse("A query parameter may be given once", &name, ""));
        }
        if std::str::from_utf8(&pair.value).is_err() {
            return Err(refuse("The value is not UTF-8", &name, ""));
        }
    }
    if let Some(version) = query.get("versionId")
        && !traits.versions
        && version != b"null"
    {
        return Err(refuse("Invalid version id specified", "versionId", &String::from_utf8_lossy(version)));
    }
    // S3 reads an empty delimiter as none; a store may not (s3s-fs panics on it), so it is
    // not forwarded.
    let empty_delimiter = |p: &QueryPair<'_>| p.key.as_ref() == b"delimiter" && p.value.is_empty();
    let without;
    let query = if query.iter().any(empty_delimiter) {
        without = Query::from_pairs(query.iter().filter(|p| !empty_delimiter(p)).cloned());
        &without
    } else {
        query
    };
    Ok(query.canonical(|k| forwarded(k) && (traits.versions || k != b"versionId")))
}

/// Headers the decision reads, and the `Connection` header that could make the gate drop
/// one of them after deciding.
pub fn check_headers(headers: &HeaderMap) -> Result<(), S3Error> {
    for value in headers.get_all(header::CONNECTION) {
        let text = value.to_str().map_err(|_| refuse("The Connection header is not text", "Connection", ""))?;
        for token in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if !CONNECTION_TOKENS.iter().any(|t| t.eq_ignore_ascii_case(token)) {
                return Err(refuse(
                    "The Connection header may name hop-by-hop headers only, not a header the request is decided on",
                    "Connection",
                    token,
                ));
            }
        }
    }
    // The signature and classification read one Host; two would leave which one open.
    if headers.get_all(header::HOST).iter().nth(1).is_some() {
        return Err(refuse("A request may carry one Host header", "Host", ""));
    }
    let mut amz = false;
    for name in headers.keys().filter(|n| n.as_str().starts_with("x-amz-")) {
        amz = true;
        // `keys` yields each name once; a name with more than one value is repeated.
        if headers.get_all(name).iter().nth(1).is_some() {
            return Err(refuse("The header may be given once", name.as_str(), ""));
        }
        // Policies read these as text, and a store may canonicalize other bytes (obs-text)
        // otherwise than the gate signs them (s3s-fs then refuses the gate's signature).
        // The SDKs send only ASCII metadata.
        if headers.get(name).is_some_and(|v| v.to_str().is_err()) {
            return Err(refuse("The header value must be visible ASCII text", name.as_str(), ""));
        }
        if store_command(name.as_str()) {
            return Err(refuse(
                "This metadata header is a command to some stores (MinIO unpacks an upload carrying it into \
                 objects the policies never saw); the gate does not forward it",
                name.as_str(),
                "",
            ));
        }
    }
    // Everything below reads `x-amz-*` headers; a plain presigned GET has none.
    if !amz {
        return Ok(());
    }
    // Policies read this header and the gate checks the body against it (`body_check`),
    // so it must be one of the values S3 knows.
    if let Some(v) = headers.get(X_AMZ_CONTENT_SHA256)
        && !is_payload_claim(v.as_bytes())
    {
        return Err(ChunkError::InvalidContentSha256.to_s3());
    }
    Ok(())
}

/// After authentication, as S3 judges a header only once the signature covers it (an
/// unsigned one is `HeadersNotSigned` first): refuses what `needs_an_action_the_gate_lacks`
/// names with S3's answer to an unimplemented header.
pub fn check_permission_headers(headers: &HeaderMap) -> Result<(), S3Error> {
    for (name, value) in headers.iter().filter(|(n, _)| n.as_str().starts_with("x-amz-")) {
        if needs_an_action_the_gate_lacks(name.as_str(), value.as_bytes()) {
            return Err(S3Error::new(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                "A header you provided implies functionality that is not implemented",
            )
            .with("Header", name.as_str()));
        }
    }
    Ok(())
}

/// Headers S3 honours only with a permission beyond the request's own action
/// (`PutObjectAcl`, `PutObjectRetention`, `PutObjectLegalHold`, `BypassGovernanceRetention`),
/// none of which the gate carries: forwarded on `PutObject` or `DeleteObject` alone, they
/// would let a writer make objects public on the store, lock them until 2099, or delete
/// locked ones. A canned ACL that grants nobody more (`private`,
/// `bucket-owner-full-control`, which tools send by habit) is let through.
fn needs_an_action_the_gate_lacks(name: &str, value: &[u8]) -> bool {
    match name {
        "x-amz-acl" => {
            !(value.eq_ignore_ascii_case(b"private") || value.eq_ignore_ascii_case(b"bucket-owner-full-control"))
        }
        "x-amz-bypass-governance-retention" => true,
        _ => name.starts_with("x-amz-grant-") || name.starts_with("x-amz-object-lock-"),
    }
}

/// User metadata that a store reads as an instruction rather than keeps: MinIO's
/// `snowball-auto-extract` unpacks a tar upload into objects named by its entries, under a
/// `minio-snowball-*` prefix, and `x-minio-*` names are its internal ones. S3 would only
/// store them; the gate cannot forward them without letting one PUT write anywhere.
fn store_command(name: &str) -> bool {
    name.strip_prefix("x-amz-meta-")
        .is_some_and(|rest| ["snowball-", "minio-", "x-minio-"].iter().any(|p| rest.starts_with(p)))
}

const X_AMZ_TAGGING: HeaderName = HeaderName::from_static("x-amz-tagging");
const X_AMZ_TAGGING_DIRECTIVE: HeaderName = HeaderName::from_static("x-amz-tagging-directive");

/// `x-amz-tagging` (`k1=v1&k2=v2`, form-encoded, UTF-8), decoded, as policies read it
/// (`s3-outposts:RequestObjectTag/…`). Refused when the store could read it otherwise:
/// undecodable, or a key given twice.
pub fn request_tags(headers: &HeaderMap) -> Result<Option<Vec<(String, String)>>, S3Error> {
    let Some(value) = headers.get(X_AMZ_TAGGING) else {
        // A copy that replaces its tags with none still sets the tag set (to empty).
        let replace =
            headers.get(X_AMZ_TAGGING_DIRECTIVE).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"REPLACE"));
        return Ok(replace.then(Vec::new));
    };
    let bad = || {
        S3Error::invalid_argument("The header 'x-amz-tagging' shall be encoded as UTF-8 encoded URL query parameters.")
    };
    let raw = value.to_str().map_err(|_| bad())?;
    let decode = |s: &str| -> Result<String, S3Error> {
        let plus = s.replace('+', " ");
        String::from_utf8(percent_decode(&plus).map_err(|_| bad())?.into_owned()).map_err(|_| bad())
    };
    let mut tags: Vec<(String, String)> = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (decode(k)?, decode(v)?);
        if tags.iter().any(|(seen, _)| *seen == k) {
            return Err(S3Error::new(
                StatusCode::BAD_REQUEST,
                "InvalidTag",
                "Cannot provide multiple Tags with the same key",
            )
            .with("TagKey", k));
        }
        tags.push((k, v));
    }
    Ok(Some(tags))
}

/// `x-amz-copy-source` as S3 reads it: the URL-encoded `bucket/key` (or access-point object
/// ARN), with an optional leading `/`, then optionally `?versionId=` and nothing else.
pub struct CopySourceText<'a> {
    /// Decoded once, leading `/` removed.
    pub path: Cow<'a, str>,
    pub version: Option<Cow<'a, str>>,
}

pub fn parse_copy_source(raw: &[u8]) -> Result<CopySourceText<'_>, S3Error> {
    let bad = || S3Error::invalid_argument("Invalid copy source object key");
    let raw = std::str::from_utf8(raw).map_err(|_| bad())?;
    let (path, version) = match raw.split_once('?') {
        None => (raw, None),
        Some((path, rest)) => {
            let v = rest.strip_prefix("versionId=").ok_or_else(bad)?;
            (path, Some(percent_decode_utf8(v).ok_or_else(bad)?))
        }
    };
    let decoded = percent_decode_utf8(path).ok_or_else(bad)?;
    let path = match decoded {
        Cow::Borrowed(s) => Cow::Borrowed(s.strip_prefix('/').unwrap_or(s)),
        Cow::Owned(s) => Cow::Owned(s.strip_prefix('/').map(str::to_owned).unwrap_or(s)),
    };
    Ok(CopySourceText { path, version })
}

/// The `x-amz-copy-source` the store gets: built from the classified source, never the
/// client's text.
pub fn copy_source_header(bucket: &str, key: &str, version: Option<&str>) -> String {
    let mut out = String::with_capacity(bucket.len() + key.len() + 8);
    out.push('/');
    uri_encode_into(&mut out, bucket.as_bytes(), false);
    out.push('/');
    uri_encode_into(&mut out, key.as_bytes(), true);
    if let Some(v) = version {
        out.push_str("?versionId=");
        uri_encode_into(&mut out, v.as_bytes(), false);
    }
    out
}

#[cfg(test)]
mod tests;
