//! What a request's body must prove before the store may keep it, read from its headers
//! and its verified signature: nothing (`UNSIGNED-PAYLOAD`, no checksum header), a hex
//! SHA-256 and/or an `x-amz-checksum-*` header over a plain body, or an `aws-chunked`
//! body with its chunk signatures (chained from the request's signature), trailer and
//! checksums. Pure: the store side runs the check as the body streams.

use http::{HeaderMap, StatusCode};

use crate::base::s3err::S3Error;
use crate::decision::caller::{Authenticated, ChainKey};
use crate::payload::{
    BodyCheck, ChecksumAlgorithm, ChunkDecoder, ChunkError, ChunkVerifier, EcdsaChain, HmacChain, PlainVerifier,
    StreamingMode, parse_x_amz_trailer,
};
use crate::sigv4::v4a::verify_der;

const CHECKSUM_HEADERS: [ChecksumAlgorithm; 5] = [
    ChecksumAlgorithm::Crc32,
    ChecksumAlgorithm::Crc32c,
    ChecksumAlgorithm::Crc64Nvme,
    ChecksumAlgorithm::Sha1,
    ChecksumAlgorithm::Sha256,
];

fn missing_length() -> S3Error {
    S3Error::new(
        StatusCode::LENGTH_REQUIRED,
        "MissingContentLength",
        "You must provide the Content-Length HTTP header.",
    )
}

fn text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn length(headers: &HeaderMap, name: &'static str) -> Result<Option<u64>, S3Error> {
    match text(headers, name) {
        None => Ok(None),
        Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
            S3Error::invalid_argument(format!("{name} must be a whole number")).with("ArgumentName", name)
        }),
    }
}

/// The `x-amz-checksum-*` header of a plain body, if any (at most one, as S3).
fn checksum_header(headers: &HeaderMap) -> Result<Option<(ChecksumAlgorithm, &str)>, S3Error> {
    let mut found = None;
    for alg in CHECKSUM_HEADERS {
        if let Some(v) = headers.get(alg.header_name()) {
            let value = v.to_str().map_err(|_| ChunkError::InvalidChecksumHeader(alg).to_s3())?;
            if found.replace((alg, value)).is_some() {
                return Err(S3Error::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
                ));
            }
        }
    }
    Ok(found)
}

/// The check `caller`'s body needs, or `None` when it streams through unread.
pub fn body_check(headers: &HeaderMap, caller: &Authenticated) -> Result<Option<BodyCheck>, S3Error> {
    let claimed = caller.payload_hash.as_ref();
    if let Some(mode) = StreamingMode::from_content_sha256(claimed) {
        return chunked(headers, caller, mode).map(Some);
    }
    let sha256 = (claimed != crate::sigv4::canonical::UNSIGNED_PAYLOAD).then_some(claimed);
    // Everything below reads these headers; a plain presigned GET has none of them, and
    // then there is nothing to look up.
    let reads = |n: &http::HeaderName| {
        n.as_str().starts_with("x-amz-") || n.as_str() == "content-md5" || n == http::header::CONTENT_ENCODING
    };
    if sha256.is_none() && !headers.keys().any(reads) {
        return Ok(None);
    }
    // The aws-chunked framing with a payload claim that is not a STREAMING mode: the store
    // might decode what the gate checked as plain bytes.
    let encoded = text(headers, "content-encoding")
        .is_some_and(|v| v.split(',').any(|e| e.trim().eq_ignore_ascii_case("aws-chunked")));
    if encoded || headers.contains_key("x-amz-decoded-content-length") {
        return Err(S3Error::invalid_argument(
            "Content-Encoding aws-chunked and X-Amz-Decoded-Content-Length need a STREAMING-* x-amz-content-sha256",
        )
        .with("ArgumentName", "x-amz-content-sha256"));
    }
    // A trailer needs the aws-chunked framing to arrive in; a store told to expect one on a
    // plain body may keep the body before finding none (s3s-fs does).
    if headers.contains_key("x-amz-trailer") {
        return Err(S3Error::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "x-amz-trailer is only valid on an aws-chunked body with a STREAMING-*-TRAILER x-amz-content-sha256.",
        ));
    }
    let checksum = checksum_header(headers)?;
    checksum_claims(headers, checksum.map(|(alg, _)| alg).as_slice())?;
    let md5 = text(headers, "content-md5");
    if sha256.is_none() && checksum.is_none() && md5.is_none() {
        return Ok(None);
    }
    // No Content-Length and no Transfer-Encoding is an empty body (RFC 9112 6.3); a
    // chunked one must say its length for the hash to be checked against it.
    let content_length = match length(headers, "content-length")? {
        Some(n) => n,
        None if !headers.contains_key(http::header::TRANSFER_ENCODING) => 0,
        None => return Err(missing_length()),
    };
    let verifier = described(content_length, checksum, sha256, md5)?;
    Ok(Some(BodyCheck::Plain { verifier, content_length }))
}

/// A verifier of `length` bytes against the hash, checksum and MD5 headers given.
fn described(
    length: u64,
    checksum: Option<(ChecksumAlgorithm, &str)>,
    sha256: Option<&str>,
    md5: Option<&str>,
) -> Result<PlainVerifier, S3Error> {
    let verifier = PlainVerifier::new(length, checksum, sha256).map_err(|e| e.to_s3())?;
    match md5 {
        Some(b64) => verifier.with_content_md5(b64).map_err(|e| e.to_s3()),
        None => Ok(verifier),
    }
}

/// An SDK names the algorithm of the checksum it sends (`sent`: in a header or a trailer).
/// Naming one and sending none, or naming another than the one sent, is S3's 400: a store
/// would otherwise compute the named one and, finding nothing or something else to compare
/// it with, refuse only after keeping the object (s3s-fs does).
fn checksum_claims(headers: &HeaderMap, sent: &[ChecksumAlgorithm]) -> Result<(), S3Error> {
    let invalid = |message: String| Err(S3Error::new(StatusCode::BAD_REQUEST, "InvalidRequest", message));
    if sent.is_empty() {
        if headers.contains_key("x-amz-sdk-checksum-algorithm") {
            return invalid(
                "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer \
                 headers were found."
                    .to_owned(),
            );
        }
        return Ok(());
    }
    for name in ["x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"] {
        if let Some(v) = headers.get(name)
            && !v.to_str().ok().and_then(ChecksumAlgorithm::from_name).is_some_and(|alg| sent.contains(&alg))
        {
            return invalid(format!("Value for {name} header is invalid."));
        }
    }
    Ok(())
}

fn chunked(headers: &HeaderMap, caller: &Authenticated, mode: StreamingMode) -> Result<BodyCheck, S3Error> {
    let decoded_len = length(headers, "x-amz-decoded-content-length")?.ok_or_else(missing_length)?;
    let trailers = match text(headers, "x-amz-trailer") {
        Some(v) => parse_x_amz_trailer(v).map_err(|e| e.to_s3())?,
        None => Vec::new(),
    };
    let verifier: Option<Box<dyn ChunkVerifier + Send>> = match (&caller.chain, mode.is_signed()) {
        (_, false) => None,
        (Some(seed), true) => Some(match &seed.key {
            ChainKey::Hmac(mac) => Box::new(HmacChain::new(mac.clone(), &seed.signature, &seed.amz_date, &seed.scope)),
            ChainKey::Ecdsa(key) => {
                let key = key.clone();
                let verify = move |sts: &[u8], der: &[u8]| key.as_ref().is_some_and(|k| verify_der(k, sts, der));
                Box::new(EcdsaChain::new(&seed.signature, &seed.amz_date, &seed.scope, verify))
            }
        }),
        // A signed streaming mode always gets its seed at authentication.
        (None, true) => return Err(S3Error::internal_error()),
    };
    // The chunk signatures must be of the request's own algorithm.
    if mode.is_signed() && mode.is_sigv4a() != (caller.algorithm == crate::sigv4::Algorithm::EcdsaP256) {
        return Err(ChunkError::InvalidContentSha256.to_s3());
    }
    let checksum = checksum_header(headers)?;
    let sent: Vec<ChecksumAlgorithm> = trailers.iter().copied().chain(checksum.map(|(alg, _)| alg)).collect();
    checksum_claims(headers, &sent)?;
    let md5 = text(headers, "content-md5");
    let then =
        if checksum.is_some() || md5.is_some() { Some(described(decoded_len, checksum, None, md5)?) } else { None };
    let decoder = ChunkDecoder::new(mode, decoded_len, trailers, verifier).map_err(|e| e.to_s3())?;
    Ok(BodyCheck::Chunked { decoder, decoded_len, then })
}

#[cfg(test)]
mod tests;
