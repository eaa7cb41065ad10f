//! Verifying header authentication (`Authorization: AWS4-HMAC-SHA256 Credential=…,
//! SignedHeaders=…, Signature=…` with `x-amz-date`), as the SDKs' STS clients send it: the
//! same canonicalization and key cache as the presigned verifier, with the payload hash of
//! the body the caller has read. Pure.

use http::HeaderMap;

use super::cache::SigningKeyCache;
use super::canonical::{ALGORITHM, CanonicalRequest, string_to_sign};
use super::key::{derive_signing_key, sign_hex};
use crate::base::s3err::S3Error;
use crate::base::secret::{SecretKey, ct_eq};
use crate::base::time::UnixTime;

/// The parts of an `Authorization` header, checked for form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderAuth {
    pub access_key_id: String,
    /// `date/region/service/aws4_request`.
    pub scope: String,
    pub signed_headers: String,
    pub signature: String,
    pub amz_date: String,
    pub signed_at: UnixTime,
    pub security_token: Option<String>,
}

fn incomplete(message: impl Into<std::borrow::Cow<'static, str>>) -> S3Error {
    S3Error::new(http::StatusCode::BAD_REQUEST, "IncompleteSignature", message)
}

impl HeaderAuth {
    /// Parses the header auth of a request to `service` in `region`. `None` when the request
    /// carries no `Authorization` header at all.
    pub fn parse(headers: &HeaderMap, region: &str, service: &str) -> Option<Result<Self, S3Error>> {
        let value = headers.get(http::header::AUTHORIZATION)?;
        Some(Self::parse_value(value.as_bytes(), headers, region, service))
    }

    fn parse_value(value: &[u8], headers: &HeaderMap, region: &str, service: &str) -> Result<Self, S3Error> {
        let value = std::str::from_utf8(value).map_err(|_| incomplete("Authorization header is not valid"))?;
        let rest = value
            .strip_prefix(ALGORITHM)
            .and_then(|r| r.strip_prefix(' '))
            .ok_or_else(|| incomplete("Authorization header must start with AWS4-HMAC-SHA256"))?;
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (k, v) = part.trim().split_once('=').ok_or_else(|| incomplete("Authorization header is malformed"))?;
            let slot = match k {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed_headers,
                "Signature" => &mut signature,
                _ => return Err(incomplete(format!("Authorization header has an unknown part {k}"))),
            };
            if slot.replace(v).is_some() {
                return Err(incomplete(format!("Authorization header names {k} twice")));
            }
        }
        let (Some(credential), Some(signed_headers), Some(signature)) = (credential, signed_headers, signature) else {
            return Err(incomplete("Authorization header needs Credential, SignedHeaders and Signature"));
        };
        let (access_key_id, scope) = credential
            .split_once('/')
            .ok_or_else(|| incomplete("Credential is not AKID/date/region/service/aws4_request"))?;
        let mut s = scope.split('/');
        let (Some(date), Some(r), Some(svc), Some("aws4_request"), None) =
            (s.next(), s.next(), s.next(), s.next(), s.next())
        else {
            return Err(incomplete("Credential is not AKID/date/region/service/aws4_request"));
        };
        if r != region || svc != service {
            return Err(incomplete(format!("Credential should be scoped to region {region} and service {service}")));
        }
        if access_key_id.is_empty() || signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(incomplete("Authorization header is malformed"));
        }
        if !signed_headers.split(';').any(|h| h == "host") {
            return Err(incomplete("host must be a signed header"));
        }
        let amz_date = headers
            .get("x-amz-date")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| incomplete("x-amz-date header is required"))?;
        let signed_at = UnixTime::parse_amz(amz_date).ok_or_else(|| incomplete("x-amz-date is not a SigV4 date"))?;
        if amz_date.get(..8) != Some(date) {
            return Err(incomplete("Credential date does not match x-amz-date"));
        }
        let security_token = headers.get("x-amz-security-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Self {
            access_key_id: access_key_id.to_owned(),
            scope: scope.to_owned(),
            signed_headers: signed_headers.to_owned(),
            signature: signature.to_ascii_lowercase(),
            amz_date: amz_date.to_owned(),
            signed_at,
            security_token,
        })
    }
}

/// The parts of a header-signed request that its signature covers.
pub struct HeaderSigned<'a> {
    pub method: &'a str,
    /// Already canonical (for STS, `/`).
    pub canonical_uri: &'a str,
    pub canonical_query: &'a str,
    pub headers: &'a HeaderMap,
    pub host: &'a str,
    /// Hex SHA-256 of the body as read.
    pub payload_hash: &'a str,
}

/// Checks the signature of a header-authenticated request at `now`. Header-signed requests
/// are good for 15 minutes either side of their date, as AWS allows.
pub fn verify_header(
    req: &HeaderSigned<'_>,
    auth: &HeaderAuth,
    secret: &SecretKey,
    now: UnixTime,
    keys: &SigningKeyCache,
) -> Result<(), S3Error> {
    const WINDOW_SECS: i64 = 900;
    if (auth.signed_at.0 - now.0).abs() > WINDOW_SECS {
        return Err(S3Error::new(
            http::StatusCode::BAD_REQUEST,
            "SignatureDoesNotMatch",
            "Signature expired: the request's x-amz-date is more than 15 minutes from the server's time.",
        ));
    }
    for name in auth.signed_headers.split(';') {
        if name != "host" && !req.headers.contains_key(name) {
            return Err(incomplete(format!("signed header {name} is missing")));
        }
    }
    let mut c = CanonicalRequest::new(req.method, req.canonical_uri, req.canonical_query);
    for name in auth.signed_headers.split(';') {
        if name == "host" {
            c.header(name, [req.host.as_bytes()]);
        } else {
            c.header(name, req.headers.get_all(name).iter().map(http::HeaderValue::as_bytes));
        }
    }
    let canonical = c.finish(&auth.signed_headers, req.payload_hash);
    let sts = string_to_sign(&auth.amz_date, &auth.scope, &canonical);
    let mut scope = auth.scope.split('/');
    let (date, region, service) = (scope.next().unwrap_or(""), scope.next().unwrap_or(""), scope.next().unwrap_or(""));
    let cache_id = format!("{}/{date}/{region}/{service}", auth.access_key_id);
    let key = keys.get_or_derive(&cache_id, || derive_signing_key(secret.expose(), date, region, service));
    let expected = sign_hex(key, &sts);
    if ct_eq(&expected, auth.signature.as_bytes()) {
        Ok(())
    } else {
        Err(S3Error::new(
            http::StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's SigV4 example for IAM ListUsers ("Signature Version 4 signing process" examples,
    /// the `get-vanilla`-style request with header auth), recomputed with our signer's parts.
    #[test]
    fn accepts_what_an_sdk_signs_and_rejects_tampering() {
        use sha2::Digest as _;
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        let body = b"Action=GetCallerIdentity&Version=2011-06-15";
        let payload_hash = hex::encode(sha2::Sha256::digest(body));
        let now = UnixTime::parse_amz("20261122T120000Z").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("content-type", "application/x-www-form-urlencoded; charset=utf-8".parse().unwrap());
        headers.insert("x-amz-date", "20261122T120000Z".parse().unwrap());
        // Sign as an SDK would: content-type;host;x-amz-date.
        let signed_headers = "content-type;host;x-amz-date";
        let scope = "20261122/us-east-1/sts/aws4_request";
        let mut c = CanonicalRequest::new("POST", "/", "");
        c.header("content-type", [headers["content-type"].as_bytes()]);
        c.header("host", [b"127.0.0.1:8080".as_slice()]);
        c.header("x-amz-date", [b"20261122T120000Z".as_slice()]);
        let sts = string_to_sign("20261122T120000Z", scope, &c.finish(signed_headers, &payload_hash));
        let key = derive_signing_key(secret.expose(), "20261122", "us-east-1", "sts");
        let signature = super::super::key::signature_hex(&key, &sts);
        headers.insert(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/{scope}, SignedHeaders={signed_headers}, Signature={signature}")
                .parse()
                .unwrap(),
        );
        let auth = HeaderAuth::parse(&headers, "us-east-1", "sts").unwrap().unwrap();
        let req = HeaderSigned {
            method: "POST",
            canonical_uri: "/",
            canonical_query: "",
            headers: &headers,
            host: "127.0.0.1:8080",
            payload_hash: &payload_hash,
        };
        let cache = SigningKeyCache::default();
        verify_header(&req, &auth, &secret, now, &cache).unwrap();
        let other_body = hex::encode(sha2::Sha256::digest(b"Action=AssumeRole"));
        let tampered = HeaderSigned { payload_hash: &other_body, ..req };
        assert_eq!(verify_header(&tampered, &auth, &secret, now, &cache).unwrap_err().code, "SignatureDoesNotMatch");
        let late = UnixTime(now.0 + 901);
        assert!(verify_header(&req, &auth, &secret, late, &cache).is_err());
        // Wrong service or region in the scope.
        assert!(HeaderAuth::parse(&headers, "us-west-2", "sts").unwrap().is_err());
        assert!(HeaderAuth::parse(&headers, "us-east-1", "s3").unwrap().is_err());
    }

    #[test]
    fn malformed_headers_are_incomplete_signatures() {
        for bad in [
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 Credential=A/20261122/us-east-1/sts/aws4_request",
            "AWS4-HMAC-SHA256 Credential=A/20261122/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=zz",
            "Basic dXNlcjpwYXNz",
        ] {
            let mut h = HeaderMap::new();
            h.insert("authorization", bad.parse().unwrap());
            h.insert("x-amz-date", "20261122T120000Z".parse().unwrap());
            let e = HeaderAuth::parse(&h, "us-east-1", "sts").unwrap().unwrap_err();
            assert_eq!(e.code, "IncompleteSignature", "{bad}");
        }
    }
}
