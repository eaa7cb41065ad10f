//! The authentication parameters of a SigV4 or SigV4a request, wherever they came from
//! (`presigned`: the query string; `authorization`: the `Authorization` header), in one
//! form that `verify` checks.

use std::borrow::Cow;
use std::fmt;

use super::canonical::ALGORITHM;
use super::v4a::ALGORITHM_V4A;
use crate::base::time::UnixTime;

/// The two signature algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// SigV4, `AWS4-HMAC-SHA256`.
    HmacSha256,
    /// SigV4a, `AWS4-ECDSA-P256-SHA256` (see `v4a`).
    EcdsaP256,
}

impl Algorithm {
    /// As `X-Amz-Algorithm` and `s3-outposts:signatureversion` name it.
    pub fn name(self) -> &'static str {
        match self {
            Self::HmacSha256 => ALGORITHM,
            Self::EcdsaP256 => ALGORITHM_V4A,
        }
    }

    pub fn from_name(name: &[u8]) -> Option<Self> {
        match name {
            b"AWS4-HMAC-SHA256" => Some(Self::HmacSha256),
            b"AWS4-ECDSA-P256-SHA256" => Some(Self::EcdsaP256),
            _ => None,
        }
    }
}

/// Where a request carries its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthForm {
    /// A presigned URL (`REST-QUERY-STRING`).
    Query,
    /// The `Authorization` header (`REST-HEADER`).
    Header,
}

/// The authentication parameters of one request, from its query string or its
/// `Authorization` header, checked for form. Its texts borrow from the request where they
/// can (a query value that needed no decoding, a header's value), so parsing seldom allocates.
#[derive(Clone, PartialEq, Eq)]
pub struct SigAuth<'a> {
    pub form: AuthForm,
    pub algorithm: Algorithm,
    pub access_key_id: Cow<'a, str>,
    /// `AKID/date/region/service/aws4_request` (SigV4a: `AKID/date/service/aws4_request`),
    /// decoded and checked; the accessors below slice it, so parsing allocates it once.
    pub(super) credential: Cow<'a, str>,
    /// `X-Amz-Region-Set` of a SigV4a URL, checked to cover the configured region.
    pub region_set: Option<Cow<'a, str>>,
    /// `X-Amz-Date` as sent, for the string to sign.
    pub amz_date: Cow<'a, str>,
    pub signed_at: UnixTime,
    /// `X-Amz-Expires`; for header auth, the 15 minutes a signed request is good for.
    pub expires_secs: u32,
    pub signed_headers: Cow<'a, str>,
    pub signature: Cow<'a, str>,
    pub security_token: Option<Cow<'a, str>>,
    /// The last line of the canonical request: `UNSIGNED-PAYLOAD` for a presigned URL,
    /// `x-amz-content-sha256` as sent for S3 header auth, the body's hash for STS.
    pub payload_hash: Cow<'a, str>,
}

impl fmt::Debug for SigAuth<'_> {
    // The signature and the session token are bearer material: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigAuth")
            .field("form", &self.form)
            .field("algorithm", &self.algorithm)
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope())
            .field("amz_date", &self.amz_date)
            .field("expires_secs", &self.expires_secs)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &"***")
            .field("security_token", &self.security_token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl SigAuth<'_> {
    /// The same parameters, owning their texts.
    pub fn into_owned(self) -> SigAuth<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        SigAuth {
            form: self.form,
            algorithm: self.algorithm,
            access_key_id: own(self.access_key_id),
            credential: own(self.credential),
            region_set: self.region_set.map(own),
            amz_date: own(self.amz_date),
            signed_at: self.signed_at,
            expires_secs: self.expires_secs,
            signed_headers: own(self.signed_headers),
            signature: own(self.signature),
            security_token: self.security_token.map(own),
            payload_hash: own(self.payload_hash),
        }
    }

    /// The signing-key cache id: `ACCESS_KEY/date/region/service` (SigV4a keys do not
    /// depend on the date or region: `ACCESS_KEY/date/service`, unused).
    pub fn key_id(&self) -> &str {
        self.credential.strip_suffix("/aws4_request").unwrap_or(&self.credential)
    }

    /// `date/region/service/aws4_request` (SigV4a: `date/service/aws4_request`).
    pub fn scope(&self) -> &str {
        self.credential.get(self.access_key_id.len() + 1..).unwrap_or_default()
    }

    fn scope_part(&self, i: usize) -> &str {
        self.scope().split('/').nth(i).unwrap_or_default()
    }

    pub fn date(&self) -> &str {
        self.scope_part(0)
    }

    /// The scope's region; SigV4a scopes have none (see `region_set`).
    pub fn region(&self) -> &str {
        match self.algorithm {
            Algorithm::HmacSha256 => self.scope_part(1),
            Algorithm::EcdsaP256 => "",
        }
    }

    pub fn service(&self) -> &str {
        match self.algorithm {
            Algorithm::HmacSha256 => self.scope_part(2),
            Algorithm::EcdsaP256 => self.scope_part(1),
        }
    }

    pub fn expires_at(&self) -> UnixTime {
        UnixTime(self.signed_at.0.saturating_add(i64::from(self.expires_secs)))
    }
}
