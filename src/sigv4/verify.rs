//! Verifying a presigned request: a pure function of the request parts, the parsed
//! parameters, the secret and the arrival time.
//!
//! S3's rules, where they differ from the generic SigV4 suite: the canonical URI is the path
//! exactly as sent (not normalized, not encoded again), and the payload hash is
//! `UNSIGNED-PAYLOAD`. Expiry is decided here, once, against the `now` the caller read when
//! the request arrived; nothing downstream looks at the clock again, which is what lets a
//! started transfer outlive its URL.

use http::HeaderMap;

use super::auth::{Algorithm, AuthForm, SigAuth};
use super::cache::SigningKeyCache;
use super::canonical::{ALGORITHM, CanonicalRequest, string_to_sign_into};
use super::key::{derive_signing_key, sign_hex};
use super::presigned::{X_AMZ_SECURITY_TOKEN, X_AMZ_SIGNATURE};
use super::query::Query;
use super::v4a::{MAX_DER_LEN, V4aCache, derive_public_key, string_to_sign_v4a_hashed, verify_der};
use crate::base::s3err::S3Error;
use crate::base::scratch::with_buf;
use crate::base::secret::{SecretKey, ct_eq};
use crate::base::time::UnixTime;
use sha2::Digest as _;

/// The parts of a request that a signature covers.
#[derive(Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as it arrived, still percent-encoded.
    pub raw_path: &'a str,
    pub query: &'a Query<'a>,
    pub headers: &'a HeaderMap,
    /// What the client addressed: the Host header, or HTTP/2's `:authority`.
    pub host: &'a str,
}

/// Unsigned `x-amz-*` headers S3 tolerates on a presigned request.
const MAY_GO_UNSIGNED: [&str; 1] = ["x-amz-content-sha256"];

pub fn verify(
    req: &SignedRequest<'_>,
    auth: &SigAuth<'_>,
    secret: &SecretKey,
    now: UnixTime,
    max_skew_secs: i64,
    keys: &SigningKeyCache,
) -> Result<(), S3Error> {
    match auth.form {
        AuthForm::Query => {
            if auth.signed_at.0 > now.0.saturating_add(max_skew_secs) {
                return Err(S3Error::not_yet_valid(auth.signed_at, now));
            }
            let expires_at = auth.expires_at();
            if now > expires_at {
                return Err(S3Error::expired(auth.expires_secs, expires_at, now));
            }
        }
        // A header-signed request is good for 15 minutes either side of its date.
        AuthForm::Header => {
            if auth.signed_at.0.abs_diff(now.0) > u64::from(HEADER_WINDOW_SECS) {
                return Err(S3Error::request_time_too_skewed(auth.signed_at, now));
            }
        }
    }

    check_signed_headers(req, &auth.signed_headers)?;

    let first = check_signature(req, auth, secret, now, keys);
    // S3 signs the canonical form of the key (decoded, then each byte encoded once), so a
    // URL whose reserved characters (`! ' ( ) *`) an HTTP stack sent unencoded still
    // verifies there; the path as sent is tried first, then that form (the key, and so
    // what is decided and forwarded, is the same either way).
    match first {
        Err(e) if e.code == "SignatureDoesNotMatch" => match canonical_path(req.raw_path) {
            Some(path) if path != req.raw_path => {
                let again = SignedRequest { raw_path: &path, ..*req };
                check_signature(&again, auth, secret, now, keys).map_err(|_| e)
            }
            _ => Err(e),
        },
        other => other,
    }
}

/// How long a header-signed request is good for, either side of its date.
pub const HEADER_WINDOW_SECS: u32 = 900;

/// The path as S3 would canonicalise the key it names: decoded once, every byte but the
/// unreserved ones and `/` encoded again. `None` for a path that does not decode.
fn canonical_path(raw_path: &str) -> Option<String> {
    let decoded = super::encode::percent_decode(raw_path).ok()?;
    Some(super::encode::uri_encode(&decoded, true))
}

fn check_signature(
    req: &SignedRequest<'_>,
    auth: &SigAuth<'_>,
    secret: &SecretKey,
    now: UnixTime,
    keys: &SigningKeyCache,
) -> Result<(), S3Error> {
    // One reused buffer holds the canonical request, then the string to sign.
    with_buf(|buf| {
        let canonical = canonical_request_into(buf, req, auth);
        if auth.algorithm == Algorithm::EcdsaP256 {
            return verify_v4a(req, auth, secret, now, keys, canonical);
        }
        let hash: [u8; 32] = sha2::Sha256::digest(canonical).into();
        string_to_sign_into(buf, ALGORITHM, &auth.amz_date, auth.scope(), &hash);
        let key = keys.get_or_derive(auth.key_id(), || {
            derive_signing_key(secret.expose(), auth.date(), auth.region(), auth.service())
        });
        let expected = sign_hex(key, &*buf);
        if ct_eq(&expected, auth.signature.as_bytes()) {
            Ok(())
        } else {
            Err(mismatch(req, auth, &String::from_utf8_lossy(buf)))
        }
    })
}

/// SigV4a: ECDSA over the same canonical request, with the key derived from the secret and
/// the access key id. A signature verified before for the same string to sign is not
/// verified again until its URL expires; everything before this step (expiry, headers,
/// the canonical request) was checked afresh.
fn verify_v4a(
    req: &SignedRequest<'_>,
    auth: &SigAuth<'_>,
    secret: &SecretKey,
    now: UnixTime,
    keys: &SigningKeyCache,
    canonical: &[u8],
) -> Result<(), S3Error> {
    let canonical_hash: [u8; 32] = sha2::Sha256::digest(canonical).into();
    let sts = string_to_sign_v4a_hashed(&auth.amz_date, auth.scope(), &canonical_hash);
    let mut buf = [0u8; MAX_DER_LEN];
    let der: Option<&[u8]> = buf.get_mut(..auth.signature.len() / 2).and_then(|d| {
        let ok = hex::decode_to_slice(auth.signature.as_bytes(), &mut *d).is_ok();
        ok.then_some(&*d)
    });
    // What the ECDSA check proves: this key's signature over this string to sign. The key
    // id must be in the entry: a header-signed request's canonical request and scope do
    // not name it (its Credential is in the Authorization header), so without it a
    // signature verified under one key would be taken for another key's.
    let verified: [u8; 32] = sha2::Sha256::new()
        .chain_update(auth.access_key_id.as_bytes())
        .chain_update(b"\n")
        .chain_update(sts.as_bytes())
        .finalize()
        .into();
    let id = der.and_then(|d| V4aCache::entry_id(&verified, d));
    let (Some(der), Some(id)) = (der, id) else {
        return Err(mismatch(req, auth, &sts));
    };
    if keys.remembers_signatures() && keys.v4a.was_verified(&id, now) {
        return Ok(());
    }
    let Some(key) = keys.v4a_key(&auth.access_key_id, || derive_public_key(secret.expose(), &auth.access_key_id))
    else {
        return Err(mismatch(req, auth, &sts));
    };
    if !verify_der(&key, sts.as_bytes(), der) {
        return Err(mismatch(req, auth, &sts));
    }
    if keys.remembers_signatures() {
        keys.v4a.remember(id, auth.expires_at(), now);
    }
    Ok(())
}

/// `host` must be signed; every signed header must be there; no `x-amz-*` header may ride
/// along unsigned (it could change what the request does: `x-amz-copy-source`, `x-amz-acl`).
fn check_signed_headers(req: &SignedRequest<'_>, signed_headers: &str) -> Result<(), S3Error> {
    let signed = || signed_headers.split(';');
    if !signed().any(|h| h == "host") {
        return Err(S3Error::headers_not_signed("host"));
    }
    let mut unsigned = String::new();
    for name in req.headers.keys() {
        let name = name.as_str();
        if name.starts_with("x-amz-") && !MAY_GO_UNSIGNED.contains(&name) && !signed().any(|h| h == name) {
            if !unsigned.is_empty() {
                unsigned.push_str(", ");
            }
            unsigned.push_str(name);
        }
    }
    if !unsigned.is_empty() {
        return Err(S3Error::headers_not_signed(&unsigned));
    }
    Ok(())
}

/// The canonical request, written into `buf`.
fn canonical_request_into<'b>(buf: &'b mut Vec<u8>, req: &SignedRequest<'_>, auth: &SigAuth<'_>) -> &'b [u8] {
    let mut c = CanonicalRequest::with_query(buf, req.method, req.raw_path, |b| match auth.form {
        AuthForm::Query => req.query.canonical_into(|k| k != X_AMZ_SIGNATURE.as_bytes(), b),
        AuthForm::Header => req.query.canonical_into(|_| true, b),
    });
    c.signed_headers(&auth.signed_headers, req.host, req.headers, false);
    c.finish(&auth.signed_headers, &auth.payload_hash)
}

/// The canonical request with the session token's value replaced, for echoing in an error.
fn canonical_request_redacted(req: &SignedRequest<'_>, auth: &SigAuth<'_>) -> Vec<u8> {
    let mut query = match auth.form {
        AuthForm::Query => req.query.canonical(|k| k != X_AMZ_SIGNATURE.as_bytes()),
        AuthForm::Header => req.query.canonical(|_| true),
    };
    if auth.form == AuthForm::Query
        && let Some(token) = &auth.security_token
    {
        let encoded = super::encode::uri_encode(token.as_bytes(), false);
        query =
            query.replace(&format!("{X_AMZ_SECURITY_TOKEN}={encoded}"), &format!("{X_AMZ_SECURITY_TOKEN}=REDACTED"));
    }
    let mut buf = Vec::new();
    let mut c = CanonicalRequest::new(&mut buf, req.method, req.raw_path, &query);
    c.signed_headers(&auth.signed_headers, req.host, req.headers, true);
    c.finish(&auth.signed_headers, &auth.payload_hash);
    buf
}

/// S3's SignatureDoesNotMatch, with what the gate computed so a client can find its error.
/// The signature the client sent and any session token are left out.
fn mismatch(req: &SignedRequest<'_>, auth: &SigAuth<'_>, sts: &str) -> S3Error {
    let echoed = canonical_request_redacted(req, auth);
    let spaced_hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ");
    S3Error::signature_mismatch()
        .with("AWSAccessKeyId", auth.access_key_id.clone())
        .with("StringToSign", sts)
        .with("StringToSignBytes", spaced_hex(sts.as_bytes()))
        .with("CanonicalRequest", String::from_utf8_lossy(&echoed).into_owned())
        .with("CanonicalRequestBytes", spaced_hex(&echoed))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const DOC_QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

    fn at(s: &str) -> UnixTime {
        UnixTime::parse_amz(s).unwrap()
    }

    fn run(path: &str, query: &str, headers: &HeaderMap, host: &str, now: UnixTime) -> Result<(), S3Error> {
        let q = Query::parse(query).unwrap();
        let auth = SigAuth::from_query(&q, "us-east-1")?;
        let req = SignedRequest { method: "GET", raw_path: path, query: &q, headers, host };
        verify(&req, &auth, &SecretKey::new(SECRET), now, 900, &SigningKeyCache::default())
    }

    #[test]
    fn example_get_object() {
        // Amazon S3 API Reference, "Authenticating Requests: Using Query Parameters", example.
        let h = HeaderMap::new();
        run("/test.txt", DOC_QUERY, &h, "examplebucket.s3.amazonaws.com", at("20130524T120000Z")).unwrap();
    }

    #[test]
    fn example_get_object_intermediate_values() {
        let q = Query::parse(DOC_QUERY).unwrap();
        let auth = SigAuth::from_query(&q, "us-east-1").unwrap();
        let h = HeaderMap::new();
        let req = SignedRequest {
            method: "GET",
            raw_path: "/test.txt",
            query: &q,
            headers: &h,
            host: "examplebucket.s3.amazonaws.com",
        };
        let mut buf = Vec::new();
        let canonical = std::str::from_utf8(canonical_request_into(&mut buf, &req, &auth)).unwrap().to_owned();
        assert_eq!(
            canonical,
            "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\nhost:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD"
        );
        let sts = crate::sigv4::canonical::string_to_sign(&auth.amz_date, auth.scope(), canonical.as_bytes());
        assert_eq!(
            sts,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04"
        );
    }

    #[test]
    fn expired_by_one_second() {
        let h = HeaderMap::new();
        let host = "examplebucket.s3.amazonaws.com";
        run("/test.txt", DOC_QUERY, &h, host, at("20130525T000000Z")).unwrap();
        let e = run("/test.txt", DOC_QUERY, &h, host, at("20130525T000001Z")).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code, e.message.as_ref()), (403, "AccessDenied", "Request has expired"));
        assert_eq!(e.extra("X-Amz-Expires"), Some("86400"));
        assert_eq!(e.extra("Expires"), Some("2013-05-25T00:00:00Z"));
        assert_eq!(e.extra("ServerTime"), Some("2013-05-25T00:00:01Z"));
    }

    #[test]
    fn not_yet_valid_beyond_the_skew() {
        let h = HeaderMap::new();
        let host = "examplebucket.s3.amazonaws.com";
        run("/test.txt", DOC_QUERY, &h, host, at("20130523T234500Z")).unwrap();
        let e = run("/test.txt", DOC_QUERY, &h, host, at("20130523T234459Z")).unwrap_err();
        assert_eq!(e.message, "Request is not yet valid");
    }

    #[test]
    fn another_spelling_of_the_same_key_matches() {
        // `%2E` names the same key as `.`: S3 signs the key's canonical form.
        let h = HeaderMap::new();
        run("/test%2Etxt", DOC_QUERY, &h, "examplebucket.s3.amazonaws.com", at("20130524T120000Z")).unwrap();
    }

    #[test]
    fn a_changed_path_host_or_query_does_not_match() {
        let h = HeaderMap::new();
        let now = at("20130524T120000Z");
        let host = "examplebucket.s3.amazonaws.com";
        for (path, query, host) in [
            ("/test.txT", DOC_QUERY, host),
            ("/test%252Etxt", DOC_QUERY, host),
            ("/test.txt", &format!("{DOC_QUERY}&x-id=GetObject") as &str, host),
            ("/test.txt", DOC_QUERY, "otherbucket.s3.amazonaws.com"),
        ] {
            let e = run(path, query, &h, host, now).unwrap_err();
            assert_eq!(e.code, "SignatureDoesNotMatch", "{path} {query} {host}");
            assert_eq!(e.extra("AWSAccessKeyId"), Some("AKIAIOSFODNN7EXAMPLE"));
            assert!(e.extra("CanonicalRequest").is_some());
            assert!(!e.to_xml("r").contains("aeeed9bb"), "the provided signature is never echoed");
        }
    }

    #[test]
    fn reserved_characters_verify_sent_either_way_and_nothing_else_does() {
        // Signed as S3 canonicalises the key `a'b(c)*!`, then sent with the reserved
        // characters as they are.
        let secret = SecretKey::new(SECRET);
        let signer = crate::sigv4::Signer {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret: &secret,
            region: "us-east-1",
            service: "s3",
        };
        let now = at("20130524T000000Z");
        let url = signer.presign_url("GET", "https", "h", "/b/a%27b%28c%29%2A%21", &[], 60, None, now);
        let query = url.split_once('?').unwrap().1;
        let h = HeaderMap::new();
        for path in ["/b/a%27b%28c%29%2A%21", "/b/a'b(c)*!", "/b/a'b%28c)*%21"] {
            run(path, query, &h, "h", now).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        for path in ["/b/a'b(c)*", "/b/A'b(c)*!", "/b/a%2527b(c)*!"] {
            assert_eq!(run(path, query, &h, "h", now).unwrap_err().code, "SignatureDoesNotMatch", "{path}");
        }
    }

    #[test]
    fn host_not_signed() {
        let q = DOC_QUERY.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=range");
        let e = run("/test.txt", &q, &HeaderMap::new(), "h", at("20130524T120000Z")).unwrap_err();
        assert_eq!((e.code, e.extra("HeadersNotSigned")), ("AccessDenied", Some("host")));
    }

    #[test]
    fn unsigned_amz_headers_are_refused_but_content_sha256_is_tolerated() {
        let mut h = HeaderMap::new();
        h.insert("x-amz-content-sha256", "UNSIGNED-PAYLOAD".parse().unwrap());
        let host = "examplebucket.s3.amazonaws.com";
        run("/test.txt", DOC_QUERY, &h, host, at("20130524T120000Z")).unwrap();
        h.insert("x-amz-copy-source", "other/key".parse().unwrap());
        h.insert("x-amz-acl", "public-read".parse().unwrap());
        let e = run("/test.txt", DOC_QUERY, &h, host, at("20130524T120000Z")).unwrap_err();
        assert_eq!(e.message, "There were headers present in the request which were not signed");
        let names = e.extra("HeadersNotSigned").unwrap();
        assert!(names.contains("x-amz-copy-source") && names.contains("x-amz-acl"), "{names}");
    }

    #[test]
    fn session_token_is_signed_but_never_echoed() {
        let q = format!("{DOC_QUERY}&X-Amz-Security-Token=SECRETTOKEN%2B%2F%3D");
        let e = run("/test.txt", &q, &HeaderMap::new(), "h", at("20130524T120000Z")).unwrap_err();
        let xml = e.to_xml("r");
        assert!(xml.contains("X-Amz-Security-Token=REDACTED"), "{xml}");
        assert!(!xml.contains("SECRETTOKEN"));
    }
}
