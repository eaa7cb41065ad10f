//! Parsing the query-string authentication parameters of a presigned URL into a `SigAuth`
//! (Amazon S3 API Reference, "Authenticating Requests: Using Query Parameters (AWS Signature
//! Version 4)").
//!
//! Parsing checks form only: presence, uniqueness, the credential scope against the
//! configured region and the accepted services, the date format and the expiry range. It
//! reads no clock and knows no keys; `verify` does the rest. Messages are S3's own.

use std::borrow::Cow;

use super::auth::{Algorithm, AuthForm, SigAuth};
use super::canonical::UNSIGNED_PAYLOAD;
use super::query::Query;
use super::v4a::region_set_covers;
use crate::base::s3err::S3Error;
use crate::base::time::UnixTime;

pub const X_AMZ_ALGORITHM: &str = "X-Amz-Algorithm";
pub const X_AMZ_CREDENTIAL: &str = "X-Amz-Credential";
pub const X_AMZ_DATE: &str = "X-Amz-Date";
pub const X_AMZ_EXPIRES: &str = "X-Amz-Expires";
pub const X_AMZ_SIGNED_HEADERS: &str = "X-Amz-SignedHeaders";
pub const X_AMZ_SIGNATURE: &str = "X-Amz-Signature";
pub const X_AMZ_SECURITY_TOKEN: &str = "X-Amz-Security-Token";
pub const X_AMZ_REGION_SET: &str = "X-Amz-Region-Set";

/// The parameters that carry authentication; none of them is forwarded to the store.
pub const AUTH_PARAMS: [&str; 8] = [
    X_AMZ_ALGORITHM,
    X_AMZ_CREDENTIAL,
    X_AMZ_DATE,
    X_AMZ_EXPIRES,
    X_AMZ_SIGNED_HEADERS,
    X_AMZ_SIGNATURE,
    X_AMZ_SECURITY_TOKEN,
    X_AMZ_REGION_SET,
];

/// S3 accepts presigned URLs for at most a week.
pub const MAX_EXPIRES_SECS: u32 = 604_800;

/// Signing names an S3-on-Outposts endpoint answers to: botocore signs access-point ARN
/// requests as `s3-outposts`, most other clients as `s3`.
pub const SERVICES: [&str; 2] = ["s3-outposts", "s3"];

/// Positions in `AUTH_PARAMS`.
const ALGORITHM_AT: usize = 0;
const CREDENTIAL_AT: usize = 1;
const DATE_AT: usize = 2;
const EXPIRES_AT: usize = 3;
const SIGNED_HEADERS_AT: usize = 4;
const SIGNATURE_AT: usize = 5;
const SECURITY_TOKEN_AT: usize = 6;
const REGION_SET_AT: usize = 7;

/// In the order S3's message names them.
const REQUIRED: [usize; 6] = [ALGORITHM_AT, CREDENTIAL_AT, SIGNATURE_AT, DATE_AT, SIGNED_HEADERS_AT, EXPIRES_AT];

/// Which of `AUTH_PARAMS` a query key is (case matters, as in S3).
fn auth_param_index(key: &[u8]) -> Option<usize> {
    // One match on the whole key: compiled to a switch on its length, then at most two
    // comparisons (the test below keeps it in step with `AUTH_PARAMS`).
    match key {
        b"X-Amz-Algorithm" => Some(ALGORITHM_AT),
        b"X-Amz-Credential" => Some(CREDENTIAL_AT),
        b"X-Amz-Date" => Some(DATE_AT),
        b"X-Amz-Expires" => Some(EXPIRES_AT),
        b"X-Amz-SignedHeaders" => Some(SIGNED_HEADERS_AT),
        b"X-Amz-Signature" => Some(SIGNATURE_AT),
        b"X-Amz-Security-Token" => Some(SECURITY_TOKEN_AT),
        b"X-Amz-Region-Set" => Some(REGION_SET_AT),
        _ => None,
    }
}

/// Whether a query key is one of `AUTH_PARAMS`.
pub fn is_auth_param(key: &[u8]) -> bool {
    auth_param_index(key).is_some()
}

/// A request is presigned when it carries any SigV4 query parameter; it must then carry all.
pub fn is_presigned(query: &Query<'_>) -> bool {
    query.iter().any(|p| is_auth_param(&p.key))
}

/// The authentication parameters of one query, read in one pass over its pairs: how often
/// each of `AUTH_PARAMS` occurs, and its first value.
struct AuthParams<'q> {
    count: [usize; AUTH_PARAMS.len()],
    first: [Option<&'q [u8]>; AUTH_PARAMS.len()],
}

impl<'q> AuthParams<'q> {
    fn read(query: &'q Query<'_>) -> Self {
        let mut params = Self { count: [0; AUTH_PARAMS.len()], first: [None; AUTH_PARAMS.len()] };
        for p in query.iter() {
            if let Some(i) = auth_param_index(&p.key)
                && let (Some(count), Some(first)) = (params.count.get_mut(i), params.first.get_mut(i))
            {
                *count += 1;
                first.get_or_insert(p.value.as_ref());
            }
        }
        params
    }

    fn count(&self, at: usize) -> usize {
        self.count.get(at).copied().unwrap_or_default()
    }

    fn get(&self, at: usize) -> Option<&'q [u8]> {
        self.first.get(at).copied().flatten()
    }

    /// A parameter's value as text (empty when absent).
    fn text(&self, at: usize) -> Result<&'q str, S3Error> {
        std::str::from_utf8(self.get(at).unwrap_or_default()).map_err(|_| {
            let name = AUTH_PARAMS.get(at).copied().unwrap_or_default();
            S3Error::auth_query(format!("{name} is not valid UTF-8."))
        })
    }
}

impl<'q> SigAuth<'q> {
    /// The parameters of a presigned URL, borrowed from `query`.
    pub fn from_query(query: &'q Query<'_>, region: &str) -> Result<Self, S3Error> {
        let params = AuthParams::read(query);
        check_present(&params)?;

        let algorithm = Algorithm::from_name(params.get(ALGORITHM_AT).unwrap_or_default()).ok_or_else(|| {
            S3Error::auth_query("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\" and \"AWS4-ECDSA-P256-SHA256\"")
        })?;
        let v4a = algorithm == Algorithm::EcdsaP256;

        let credential = params.text(CREDENTIAL_AT)?;
        let (access_key_id, date) = check_credential(credential, algorithm, region)?;
        let amz_date = params.text(DATE_AT)?;
        let signed_at = UnixTime::parse_amz(amz_date).ok_or_else(|| {
            S3Error::auth_query("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        })?;
        if amz_date.get(..8) != Some(date) {
            return Err(S3Error::auth_query(format!(
                "Invalid credential date \"{date}\". This date is not the same as X-Amz-Date: \"{}\".",
                amz_date.get(..8).unwrap_or_default()
            )));
        }
        let region_set = if v4a { Some(check_region_set(&params, region)?) } else { None };

        let expires = params.get(EXPIRES_AT).and_then(|v| std::str::from_utf8(v).ok()).unwrap_or("?");
        let expires_secs = parse_expires(expires)?;
        let signed_headers = params.text(SIGNED_HEADERS_AT)?;
        let signature = params.text(SIGNATURE_AT)?;
        if v4a && !super::v4a::is_well_formed_hex_der(signature) {
            return Err(S3Error::auth_query("X-Amz-Signature must be a hex-encoded DER ECDSA P-256 signature"));
        }
        let security_token = match params.get(SECURITY_TOKEN_AT) {
            Some(_) => Some(Cow::Borrowed(params.text(SECURITY_TOKEN_AT)?)),
            None => None,
        };

        Ok(Self {
            algorithm,
            access_key_id: Cow::Borrowed(access_key_id),
            credential: Cow::Borrowed(credential),
            region_set,
            amz_date: Cow::Borrowed(amz_date),
            signed_at,
            expires_secs,
            signed_headers: Cow::Borrowed(signed_headers),
            signature: Cow::Borrowed(signature),
            security_token,
            form: AuthForm::Query,
            payload_hash: Cow::Borrowed(UNSIGNED_PAYLOAD),
        })
    }
}

/// Every required parameter present, each once; the session token at most once.
fn check_present(params: &AuthParams<'_>) -> Result<(), S3Error> {
    for at in REQUIRED {
        match params.count(at) {
            0 => {
                return Err(S3Error::auth_query(
                    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, \
                     X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
                ));
            }
            1 => {}
            _ => {
                let name = AUTH_PARAMS.get(at).copied().unwrap_or_default();
                return Err(S3Error::auth_query(format!("{name} must appear only once in the query string.")));
            }
        }
    }
    if params.count(SECURITY_TOKEN_AT) > 1 {
        return Err(S3Error::auth_query("X-Amz-Security-Token must appear only once in the query string."));
    }
    Ok(())
}

/// `AKID/date/region/service/aws4_request` (SigV4a: no region) checked against this
/// endpoint; returns the access key id and the date.
fn check_credential<'c>(
    credential: &'c str,
    algorithm: Algorithm,
    region: &str,
) -> Result<(&'c str, &'c str), S3Error> {
    let v4a = algorithm == Algorithm::EcdsaP256;
    // A SigV4a scope has no region: it is read as empty (the region set is checked instead).
    let parts = split_credential(credential, v4a).ok_or_else(|| malformed_credential(algorithm))?;
    if parts.iter().enumerate().any(|(i, p)| p.is_empty() && !(v4a && i == 2)) {
        return Err(malformed_credential(algorithm));
    }
    let [access_key_id, date, cred_region, service, terminal] = parts;
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(S3Error::auth_query(format!(
            "Error parsing the X-Amz-Credential parameter; incorrect date format \"{date}\". \
             This date in the credential must be in the format \"yyyyMMdd\"."
        )));
    }
    if !v4a && cred_region != region {
        return Err(S3Error::auth_query(format!(
            "Error parsing the X-Amz-Credential parameter; the region '{cred_region}' is wrong; expecting '{region}'"
        ))
        .with("Region", region));
    }
    if !SERVICES.contains(&service) {
        return Err(S3Error::auth_query(format!(
            "Error parsing the X-Amz-Credential parameter; incorrect service \"{service}\". \
             This endpoint belongs to \"s3-outposts\"."
        )));
    }
    if terminal != "aws4_request" {
        return Err(S3Error::auth_query(format!(
            "Error parsing the X-Amz-Credential parameter; incorrect terminal \"{terminal}\". \
             This endpoint uses \"aws4_request\"."
        )));
    }
    Ok((access_key_id, date))
}

/// The five parts of `AKID/date/region/service/aws4_request` (SigV4a: four, the region
/// left empty), or `None` for another number of `/`. One pass over the bytes: `/` is ASCII,
/// so every cut falls between characters (`str::split` costs half as much again here).
fn split_credential(credential: &str, v4a: bool) -> Option<[&str; 5]> {
    let mut cuts = [0usize; 4];
    let mut found = 0;
    for (at, &b) in credential.as_bytes().iter().enumerate() {
        if b == b'/' {
            *cuts.get_mut(found)? = at;
            found += 1;
        }
    }
    let mut pieces = [""; 5];
    let slots: &[usize] = if v4a { &[0, 1, 3, 4] } else { &[0, 1, 2, 3, 4] };
    if found + 1 != slots.len() {
        return None;
    }
    let mut start = 0;
    for (n, &slot) in slots.iter().enumerate() {
        let end = if n < found { *cuts.get(n)? } else { credential.len() };
        *pieces.get_mut(slot)? = credential.get(start..end)?;
        start = end + 1;
    }
    Some(pieces)
}

fn malformed_credential(algorithm: Algorithm) -> S3Error {
    S3Error::auth_query(match algorithm {
        Algorithm::HmacSha256 => {
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; \
             expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
        }
        Algorithm::EcdsaP256 => {
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; \
             expecting \"<YOUR-AKID>/YYYYMMDD/SERVICE/aws4_request\"."
        }
    })
}

/// `X-Amz-Region-Set`: present once, well formed, and covering this endpoint's region.
fn check_region_set<'q>(params: &AuthParams<'q>, region: &str) -> Result<Cow<'q, str>, S3Error> {
    let set = match (params.count(REGION_SET_AT), params.get(REGION_SET_AT)) {
        (0, _) => {
            return Err(S3Error::auth_query(
                "Query-string authentication with AWS4-ECDSA-P256-SHA256 requires the X-Amz-Region-Set parameter.",
            ));
        }
        (1, Some(v)) => {
            std::str::from_utf8(v).map_err(|_| S3Error::auth_query("X-Amz-Region-Set is not valid UTF-8."))?
        }
        _ => return Err(S3Error::auth_query("X-Amz-Region-Set must appear only once in the query string.")),
    };
    match region_set_covers(set, region) {
        Some(true) => Ok(Cow::Borrowed(set)),
        Some(false) => Err(S3Error::auth_query(format!(
            "Error parsing the X-Amz-Region-Set parameter; the region set '{set}' does not include the region \
             '{region}' of this endpoint"
        ))
        .with("Region", region)),
        None => Err(S3Error::auth_query(format!(
            "Error parsing the X-Amz-Region-Set parameter; '{set}' is not a comma-separated list of regions \
             (each may end in '*')"
        ))),
    }
}

/// 1..=604800. Digits of any length are a number (a huge one is "more than a week", never
/// an overflow); a sign or anything else is not.
fn parse_expires(s: &str) -> Result<u32, S3Error> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(S3Error::auth_query("X-Amz-Expires should be a number"));
    }
    let is_zero = digits.bytes().all(|b| b == b'0');
    if negative && !is_zero {
        return Err(S3Error::auth_query("X-Amz-Expires must be non-negative"));
    }
    if is_zero {
        return Err(S3Error::auth_query("X-Amz-Expires must be greater than 0"));
    }
    match digits.parse::<u32>() {
        Ok(n) if n <= MAX_EXPIRES_SECS => Ok(n),
        _ => Err(S3Error::auth_query(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less \
             than 604800 seconds",
        )),
    }
}

#[cfg(test)]
mod tests;
