//! Parsing the `Authorization` header of a header-signed request into a `SigAuth`:
//! `AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, SignedHeaders=a;b,
//! Signature=hex`, or `AWS4-ECDSA-P256-SHA256` with a `date/service` scope and an
//! `X-Amz-Region-Set` header (SigV4a). The date is `X-Amz-Date`; a session token rides in
//! `X-Amz-Security-Token`. Form only, as for presigned URLs: `verify` does the rest.
//!
//! Messages are S3's (`AuthorizationHeaderMalformed`, 400); the STS endpoint maps them to
//! its own codes.

use std::borrow::Cow;

use http::HeaderMap;

use super::auth::{Algorithm, AuthForm, SigAuth};
use super::v4a::{is_well_formed_hex_der, region_set_covers};
use super::verify::HEADER_WINDOW_SECS;
use crate::base::s3err::S3Error;
use crate::base::time::UnixTime;

fn malformed(detail: impl std::fmt::Display) -> S3Error {
    S3Error::new(
        http::StatusCode::BAD_REQUEST,
        "AuthorizationHeaderMalformed",
        format!("The authorization header is malformed; {detail}"),
    )
}

/// A valid header-signed request names its date in `X-Amz-Date`.
fn no_date() -> S3Error {
    S3Error::new(
        http::StatusCode::FORBIDDEN,
        "AccessDenied",
        "AWS authentication requires a valid Date or x-amz-date header",
    )
}

fn unsupported() -> S3Error {
    S3Error::new(
        http::StatusCode::BAD_REQUEST,
        "InvalidRequest",
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    )
}

/// The three components, each once.
fn components(rest: &str) -> Result<(&str, &str, &str), S3Error> {
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) =
            part.split_once('=').ok_or_else(|| malformed(format!("the component \"{part}\" has no value.")))?;
        let slot = match k.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            other => return Err(malformed(format!("the component \"{other}\" is not known."))),
        };
        if slot.replace(v.trim()).is_some() {
            return Err(malformed(format!("the component {} appears twice.", k.trim())));
        }
    }
    match (credential, signed_headers, signature) {
        (Some(c), Some(h), Some(s)) if !c.is_empty() && !h.is_empty() && !s.is_empty() => Ok((c, h, s)),
        _ => Err(malformed(
            "the authorization header requires three components: Credential, SignedHeaders, and Signature.",
        )),
    }
}

impl<'h> SigAuth<'h> {
    /// The header auth of a request to one of `services` in `region`; `None` when the
    /// request has no `Authorization` header. `payload_hash` is `x-amz-content-sha256` as
    /// sent (empty when absent): the S3 road checks it, the STS endpoint replaces it with
    /// the hash of the body it read.
    pub fn from_header(headers: &'h HeaderMap, region: &str, services: &[&str]) -> Option<Result<Self, S3Error>> {
        let value = headers.get(http::header::AUTHORIZATION)?;
        Some(Self::parse_header(value.as_bytes(), headers, region, services))
    }

    fn parse_header(value: &'h [u8], headers: &'h HeaderMap, region: &str, services: &[&str]) -> Result<Self, S3Error> {
        if headers.get_all(http::header::AUTHORIZATION).iter().count() > 1 {
            return Err(malformed("only one Authorization header is allowed."));
        }
        let value = std::str::from_utf8(value).map_err(|_| malformed("it is not valid UTF-8."))?;
        let (name, rest) = value.trim().split_once(' ').ok_or_else(unsupported)?;
        let algorithm = Algorithm::from_name(name.as_bytes()).ok_or_else(unsupported)?;
        let v4a = algorithm == Algorithm::EcdsaP256;
        let (credential, signed_headers, signature) = components(rest)?;

        let scope_shape = if v4a {
            "<YOUR-AKID>/YYYYMMDD/SERVICE/aws4_request"
        } else {
            "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request"
        };
        let bad_credential = || malformed(format!("the Credential is mal-formed; expecting \"{scope_shape}\"."));
        let parts: Vec<&str> = credential.split('/').collect();
        let (access_key_id, date, cred_region, service, terminal) = match (v4a, parts.as_slice()) {
            (false, &[key, date, region, service, terminal]) => (key, date, region, service, terminal),
            (true, &[key, date, service, terminal]) => (key, date, "", service, terminal),
            _ => return Err(bad_credential()),
        };
        if access_key_id.is_empty() || date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad_credential());
        }
        if !v4a && cred_region != region {
            return Err(
                malformed(format!("the region '{cred_region}' is wrong; expecting '{region}'")).with("Region", region)
            );
        }
        if !services.contains(&service) {
            return Err(malformed(format!(
                "incorrect service \"{service}\". This endpoint belongs to \"{}\".",
                services.first().copied().unwrap_or_default()
            )));
        }
        if terminal != "aws4_request" {
            return Err(malformed(format!("incorrect terminal \"{terminal}\". This endpoint uses \"aws4_request\".")));
        }
        let region_set = if v4a { Some(header_region_set(headers, region)?) } else { None };

        let amz_date = single(headers, "x-amz-date")?.ok_or_else(no_date)?;
        let signed_at = UnixTime::parse_amz(amz_date).ok_or_else(no_date)?;
        if amz_date.get(..8) != Some(date) {
            return Err(malformed("Invalid credential date. Date is not the same as X-Amz-Date."));
        }
        let well_formed = if v4a {
            is_well_formed_hex_der(signature)
        } else {
            signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit())
        };
        if !well_formed {
            return Err(S3Error::signature_mismatch());
        }
        let security_token = single(headers, "x-amz-security-token")?.map(Cow::Borrowed);
        let payload_hash = Cow::Borrowed(single(headers, "x-amz-content-sha256")?.unwrap_or_default());
        Ok(Self {
            form: AuthForm::Header,
            algorithm,
            access_key_id: Cow::Borrowed(access_key_id),
            credential: Cow::Borrowed(credential),
            region_set,
            amz_date: Cow::Borrowed(amz_date),
            signed_at,
            expires_secs: HEADER_WINDOW_SECS,
            signed_headers: Cow::Borrowed(signed_headers),
            signature: if signature.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(signature.to_ascii_lowercase())
            } else {
                Cow::Borrowed(signature)
            },
            security_token,
            payload_hash,
        })
    }
}

/// A header that may appear at most once, as text.
fn single<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, S3Error> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(S3Error::invalid_argument(format!("{name} must appear only once")).with("ArgumentName", name));
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| S3Error::invalid_argument(format!("{name} is not valid text")).with("ArgumentName", name))
}

/// `X-Amz-Region-Set` of a SigV4a header-signed request: present, and covering `region`.
fn header_region_set<'h>(headers: &'h HeaderMap, region: &str) -> Result<Cow<'h, str>, S3Error> {
    let set = single(headers, "x-amz-region-set")?
        .ok_or_else(|| malformed("AWS4-ECDSA-P256-SHA256 requires the X-Amz-Region-Set header."))?;
    match region_set_covers(set, region) {
        Some(true) => Ok(Cow::Borrowed(set)),
        Some(false) => {
            Err(malformed(format!("the region set '{set}' does not include the region '{region}'"))
                .with("Region", region))
        }
        None => Err(malformed(format!("'{set}' is not a comma-separated list of regions"))),
    }
}

#[cfg(test)]
mod tests;
