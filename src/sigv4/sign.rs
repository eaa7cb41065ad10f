//! Signing: presigned URLs (the `presign` command, tests) and header authentication toward
//! the store. Both go through the same canonicalization as verification, so the gate can
//! never sign in a way it would itself refuse.

use std::borrow::Cow;

use http::{HeaderMap, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};
use smallvec::SmallVec;

use super::cache::SigningKeyCache;
use super::canonical::{ALGORITHM, CanonicalRequest, UNSIGNED_PAYLOAD, string_to_sign, string_to_sign_into};
use super::key::{KeyedMac, derive_signing_key, sign_hex};
use super::presigned::{
    X_AMZ_ALGORITHM, X_AMZ_CREDENTIAL, X_AMZ_DATE, X_AMZ_EXPIRES, X_AMZ_REGION_SET, X_AMZ_SECURITY_TOKEN,
    X_AMZ_SIGNED_HEADERS,
};
use super::query::{Query, QueryPair};
use super::v4a::{ALGORITHM_V4A, derive_private_key, string_to_sign_v4a};
use crate::base::scratch::with_buf;
use crate::base::secret::SecretKey;
use crate::base::time::UnixTime;

/// What a presigned URL is for.
struct Target<'a> {
    method: &'a str,
    scheme: &'a str,
    host: &'a str,
    path: &'a str,
    params: &'a [(&'a str, &'a str)],
}

/// The hex DER ECDSA signature of a SigV4a string to sign (RFC 6979 nonces, from `p256`).
fn sign_v4a(secret: &SecretKey, access_key_id: &str, string_to_sign: &str) -> String {
    use p256::ecdsa::signature::Signer as _;
    let Some(d) = derive_private_key(secret.expose(), access_key_id) else { return String::new() };
    let key = p256::ecdsa::SigningKey::from(d);
    let signature: p256::ecdsa::Signature = key.sign(string_to_sign.as_bytes());
    hex::encode(signature.to_der().as_bytes())
}

/// Who signs, and for which scope.
pub struct Signer<'a> {
    pub access_key_id: &'a str,
    pub secret: &'a SecretKey,
    pub region: &'a str,
    pub service: &'a str,
}

impl Signer<'_> {
    /// `X-Amz-Date` and the credential scope. Built by pushing, not `format!`: the store
    /// request is signed for every client request.
    fn scope(&self, now: UnixTime) -> (String, String) {
        let amz = now.amz_bytes();
        let amz_date: String = amz.iter().map(|&b| char::from(b)).collect();
        let date = amz_date.get(..8).unwrap_or_default();
        let mut scope = String::with_capacity(date.len() + self.region.len() + self.service.len() + 16);
        for part in [date, "/", self.region, "/", self.service, "/aws4_request"] {
            scope.push_str(part);
        }
        (amz_date, scope)
    }

    fn key(&self, date: &str, cache: &SigningKeyCache) -> KeyedMac {
        let mut id = String::with_capacity(self.access_key_id.len() + date.len() + self.region.len() + 16);
        for part in [self.access_key_id, "/", date, "/", self.region, "/", self.service] {
            id.push_str(part);
        }
        cache.get_or_derive(&id, || derive_signing_key(self.secret.expose(), date, self.region, self.service))
    }

    /// A presigned URL. `path` is already encoded (`/bucket/key` with the key URI-encoded);
    /// `params` are extra query parameters, decoded.
    #[allow(clippy::too_many_arguments)]
    pub fn presign_url(
        &self,
        method: &str,
        scheme: &str,
        host: &str,
        path: &str,
        params: &[(&str, &str)],
        expires_secs: u32,
        session_token: Option<&str>,
        now: UnixTime,
    ) -> String {
        let target = Target { method, scheme, host, path, params };
        self.presign(&target, None, expires_secs, session_token, now)
    }

    /// A SigV4a presigned URL (`AWS4-ECDSA-P256-SHA256`) valid in the regions of
    /// `region_set` (`*`, a list, entries ending in `*`); the scope has no region.
    #[allow(clippy::too_many_arguments)]
    pub fn presign_url_v4a(
        &self,
        method: &str,
        scheme: &str,
        host: &str,
        path: &str,
        params: &[(&str, &str)],
        region_set: &str,
        expires_secs: u32,
        session_token: Option<&str>,
        now: UnixTime,
    ) -> String {
        let target = Target { method, scheme, host, path, params };
        self.presign(&target, Some(region_set), expires_secs, session_token, now)
    }

    /// SigV4 when `region_set` is `None`, SigV4a otherwise.
    fn presign(
        &self,
        t: &Target<'_>,
        region_set: Option<&str>,
        expires_secs: u32,
        session_token: Option<&str>,
        now: UnixTime,
    ) -> String {
        let (amz_date, scope) = self.scope(now);
        let date = amz_date.get(..8).unwrap_or_default();
        let scope = match region_set {
            None => scope,
            Some(_) => format!("{date}/{}/aws4_request", self.service),
        };
        let credential = format!("{}/{scope}", self.access_key_id);
        let expires = expires_secs.to_string();
        let mut pairs: Vec<(&str, &str)> = t.params.to_vec();
        pairs.extend([
            (X_AMZ_ALGORITHM, if region_set.is_some() { ALGORITHM_V4A } else { ALGORITHM }),
            (X_AMZ_CREDENTIAL, credential.as_str()),
            (X_AMZ_DATE, amz_date.as_str()),
            (X_AMZ_EXPIRES, expires.as_str()),
            (X_AMZ_SIGNED_HEADERS, "host"),
        ]);
        if let Some(set) = region_set {
            pairs.push((X_AMZ_REGION_SET, set));
        }
        if let Some(token) = session_token {
            pairs.push((X_AMZ_SECURITY_TOKEN, token));
        }
        let query = Query::from_pairs(
            pairs.iter().map(|(k, v)| QueryPair::new(Cow::Borrowed(k.as_bytes()), Cow::Borrowed(v.as_bytes()))),
        );
        let canonical_query = query.canonical(|_| true);
        let mut buf = Vec::new();
        let mut c = CanonicalRequest::new(&mut buf, t.method, t.path, &canonical_query);
        c.header("host", [t.host.as_bytes()]);
        let canonical = c.finish("host", UNSIGNED_PAYLOAD);
        let signature = if region_set.is_some() {
            let sts = string_to_sign_v4a(&amz_date, &scope, canonical);
            sign_v4a(self.secret, self.access_key_id, &sts)
        } else {
            let sts = string_to_sign(&amz_date, &scope, canonical);
            let signature = sign_hex(self.key(date, &SigningKeyCache::disabled()), &sts);
            String::from_utf8_lossy(&signature).into_owned()
        };
        format!("{}://{}{}?{canonical_query}&X-Amz-Signature={signature}", t.scheme, t.host, t.path)
    }

    // The SigV4 inputs, one argument each; a struct would only rename them.
    #[allow(clippy::too_many_arguments)]
    /// Header authentication with `UNSIGNED-PAYLOAD`, so the body streams unread. Signs
    /// `host` and every `x-amz-*` header present; sets `x-amz-date`,
    /// `x-amz-content-sha256` and `authorization` in `headers`.
    pub fn sign_headers(
        &self,
        method: &str,
        path: &str,
        canonical_query: &str,
        host: &str,
        headers: &mut HeaderMap,
        now: UnixTime,
        cache: &SigningKeyCache,
    ) {
        self.sign_headers_for(method, path, canonical_query, host, headers, UNSIGNED_PAYLOAD, now, cache);
    }

    /// As `sign_headers`, with `payload_hash` as `x-amz-content-sha256` (a hex SHA-256 or a
    /// `STREAMING-*` mode, as SDKs send; the gate's tests sign such requests with it).
    /// Runs for every request sent to the store, so its text is built in reused buffers:
    /// the only allocations are the two header values it adds.
    #[allow(clippy::too_many_arguments)]
    pub fn sign_headers_for(
        &self,
        method: &str,
        path: &str,
        canonical_query: &str,
        host: &str,
        headers: &mut HeaderMap,
        payload_hash: &str,
        now: UnixTime,
        cache: &SigningKeyCache,
    ) {
        let amz = now.amz_bytes();
        let amz_date = std::str::from_utf8(&amz).unwrap_or_default();
        let date = amz_date.get(..8).unwrap_or_default();
        let content_sha256 = if payload_hash == UNSIGNED_PAYLOAD {
            Ok(HeaderValue::from_static(UNSIGNED_PAYLOAD))
        } else {
            HeaderValue::from_str(payload_hash)
        };
        if let Ok(v) = content_sha256 {
            headers.insert(X_AMZ_CONTENT_SHA256, v);
        }
        if let Ok(v) = HeaderValue::from_bytes(&amz) {
            headers.insert(X_AMZ_DATE_HEADER, v);
        }
        let authorization = with_buf(|credential| {
            // `AKID/date/region/service/aws4_request`: the scope and the key cache's id are
            // slices of it.
            for part in [self.access_key_id, "/", date, "/", self.region, "/", self.service, "/aws4_request"] {
                credential.extend_from_slice(part.as_bytes());
            }
            let credential = std::str::from_utf8(credential).unwrap_or_default();
            let scope = credential.get(self.access_key_id.len() + 1..).unwrap_or_default();
            let key_id = credential.strip_suffix("/aws4_request").unwrap_or_default();
            with_buf(|signed_headers| {
                // `host` and the `x-amz-*` headers, sorted by name ("host" sorts first).
                let mut amz_names: SmallVec<[&HeaderName; 16]> =
                    headers.keys().filter(|n| n.as_str().starts_with("x-amz-")).collect();
                amz_names.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
                signed_headers.extend_from_slice(b"host");
                for name in &amz_names {
                    signed_headers.push(b';');
                    signed_headers.extend_from_slice(name.as_str().as_bytes());
                }
                let signed_headers = std::str::from_utf8(signed_headers).unwrap_or_default();
                let signature = with_buf(|buf| {
                    let mut c = CanonicalRequest::new(buf, method, path, canonical_query);
                    c.header("host", [host.as_bytes()]);
                    for name in &amz_names {
                        c.header(name.as_str(), headers.get_all(*name).iter().map(HeaderValue::as_bytes));
                    }
                    let hash: [u8; 32] = Sha256::digest(c.finish(signed_headers, payload_hash)).into();
                    string_to_sign_into(buf, ALGORITHM, amz_date, scope, &hash);
                    let key = cache.get_or_derive(key_id, || {
                        derive_signing_key(self.secret.expose(), date, self.region, self.service)
                    });
                    sign_hex(key, &*buf)
                });
                // Sized exactly, so the bytes become the header value without another copy.
                let parts = [ALGORITHM, " Credential=", credential, ", SignedHeaders=", signed_headers, ", Signature="];
                let mut value = Vec::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + signature.len());
                for part in parts {
                    value.extend_from_slice(part.as_bytes());
                }
                value.extend_from_slice(&signature);
                HeaderValue::from_maybe_shared(bytes::Bytes::from(value))
            })
        });
        if let Ok(mut v) = authorization {
            v.set_sensitive(true);
            headers.insert(http::header::AUTHORIZATION, v);
        }
    }
}

/// Built once: a lookup by a `HeaderName` hashes the name without parsing it again.
pub const X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");
const X_AMZ_DATE_HEADER: HeaderName = HeaderName::from_static("x-amz-date");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::{SigAuth, SignedRequest, verify};

    #[test]
    fn reproduces_the_s3_documentation_presigned_url() {
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        let signer =
            Signer { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret: &secret, region: "us-east-1", service: "s3" };
        let now = UnixTime::parse_amz("20130524T000000Z").unwrap();
        let url =
            signer.presign_url("GET", "https", "examplebucket.s3.amazonaws.com", "/test.txt", &[], 86_400, None, now);
        assert!(
            url.ends_with("X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"),
            "{url}"
        );
    }

    #[test]
    fn what_presign_makes_verify_accepts() {
        let secret = SecretKey::new("s3cr3t");
        let signer = Signer { access_key_id: "AKID", secret: &secret, region: "us-east-1", service: "s3-outposts" };
        let now = UnixTime(1_700_000_000);
        let path = "/b/a%20b%2Bc/%E1%88%B4";
        let url = signer.presign_url("PUT", "http", "h:8080", path, &[("x-id", "PutObject")], 60, Some("tok/+="), now);
        let raw_query = url.split_once('?').unwrap().1;
        let q = Query::parse(raw_query).unwrap();
        let auth = SigAuth::from_query(&q, "us-east-1").unwrap();
        let h = HeaderMap::new();
        let req = SignedRequest { method: "PUT", raw_path: path, query: &q, headers: &h, host: "h:8080" };
        verify(&req, &auth, &secret, now, 0, &SigningKeyCache::default()).unwrap();
        assert_eq!(auth.security_token.as_deref(), Some("tok/+="));

        let url = signer.presign_url_v4a("GET", "http", "h:8080", path, &[], "us-*", 60, None, now);
        let q = Query::parse(url.split_once('?').unwrap().1).unwrap();
        let auth = SigAuth::from_query(&q, "us-east-1").unwrap();
        assert_eq!(
            (auth.algorithm.name(), auth.scope()),
            ("AWS4-ECDSA-P256-SHA256", "20231114/s3-outposts/aws4_request")
        );
        let req = SignedRequest { method: "GET", raw_path: path, query: &q, headers: &h, host: "h:8080" };
        verify(&req, &auth, &secret, now, 0, &SigningKeyCache::default()).unwrap();
        let other = SignedRequest { method: "GET", raw_path: "/b/other", query: &q, headers: &h, host: "h:8080" };
        assert_eq!(
            verify(&other, &auth, &secret, now, 0, &SigningKeyCache::default()).unwrap_err().code,
            "SignatureDoesNotMatch"
        );
    }
}
