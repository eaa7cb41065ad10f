//! Authentication: the request's signature (a presigned URL or the `Authorization`
//! header), its key (a configured user's, or a session's opened from its token), checked
//! at the arrival time read once.

use std::borrow::Cow;
use std::sync::Arc;

use http::StatusCode;

use crate::base::s3err::S3Error;
use crate::base::secret::SecretKey;
use crate::base::time::UnixTime;
use crate::decision::caller::{Authenticated, Caller, ChainKey, ChainSeed};
use crate::decision::decide::Decider;
use crate::payload::StreamingMode;
use crate::session::token::SessionKind;
use crate::sigv4::canonical::UNSIGNED_PAYLOAD;
use crate::sigv4::key::derive_signing_key;
use crate::sigv4::presigned::{SERVICES, is_presigned};
use crate::sigv4::sign::X_AMZ_CONTENT_SHA256;
use crate::sigv4::v4a::derive_public_key;
use crate::sigv4::{AuthForm, Query, SigAuth, SignedRequest, verify};

impl Decider {
    /// A presigned URL or a header-signed request, SigV4 or SigV4a; anything else is an
    /// anonymous request, and the gate serves no anonymous requests.
    pub fn authenticate(
        &self,
        parts: &http::request::Parts,
        host: &str,
        query: &Query<'_>,
        now: UnixTime,
    ) -> Result<Authenticated, S3Error> {
        let auth = self.claim(parts, query)?;
        let (caller, secret, token_expires) = self.signer(&auth, now)?;
        let signed = SignedRequest {
            method: parts.method.as_str(),
            raw_path: parts.uri.path(),
            query,
            headers: &parts.headers,
            host,
        };
        verify(&signed, &auth, &secret, now, self.max_skew_secs, &self.credentials.signing_keys)?;
        // A presigned URL signs no payload hash, but its request may still claim one (or an
        // `aws-chunked` body) in an unsigned header; the body is then checked against it.
        let payload_hash = match (auth.form, parts.headers.get(X_AMZ_CONTENT_SHA256).map(|v| v.to_str())) {
            (AuthForm::Query, Some(Ok(claimed))) if claimed != UNSIGNED_PAYLOAD => Cow::Owned(claimed.to_owned()),
            (AuthForm::Query, _) => Cow::Borrowed(UNSIGNED_PAYLOAD),
            (AuthForm::Header, _) if auth.payload_hash == UNSIGNED_PAYLOAD => Cow::Borrowed(UNSIGNED_PAYLOAD),
            (AuthForm::Header, _) => Cow::Owned(auth.payload_hash.clone().into_owned()),
        };
        let chain = match StreamingMode::from_content_sha256(&payload_hash) {
            Some(mode) if mode.is_signed() => Some(Box::new(self.chain_seed(&auth, &secret, mode))),
            _ => None,
        };
        let signature_expires = auth.expires_at();
        Ok(Authenticated {
            caller,
            expires_at: token_expires.map_or(signature_expires, |t| t.min(signature_expires)),
            signed_at: auth.signed_at,
            algorithm: auth.algorithm,
            form: auth.form,
            payload_hash,
            chain,
            // Configured and minted key ids are letters and digits, 16 to 128 of them.
            access_key_id: crate::base::ids::key_id(auth.access_key_id.as_bytes()).unwrap_or_default(),
        })
    }

    /// The signature's parameters, from the query string or the `Authorization` header
    /// (never both, as S3).
    fn claim<'r>(&self, parts: &'r http::request::Parts, query: &'r Query<'_>) -> Result<SigAuth<'r>, S3Error> {
        let region = &self.catalog.outpost.region;
        match (is_presigned(query), SigAuth::from_header(&parts.headers, region, &SERVICES)) {
            (true, Some(_)) => Err(S3Error::invalid_argument(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query \
                 string parameter or the Authorization header should be specified",
            )
            .with("ArgumentName", "Authorization")),
            (true, None) => SigAuth::from_query(query, region),
            (false, Some(header)) => {
                let auth = header?;
                if auth.payload_hash.is_empty() {
                    return Err(S3Error::new(
                        StatusCode::BAD_REQUEST,
                        "InvalidRequest",
                        "Missing required header for this request: x-amz-content-sha256",
                    ));
                }
                Ok(auth)
            }
            (false, None) => {
                // SigV2 query authentication, as `aws s3 presign` makes it by default in CLI v1.
                if query.has("AWSAccessKeyId") && query.has("Signature") {
                    return Err(S3Error::new(
                        StatusCode::BAD_REQUEST,
                        "InvalidRequest",
                        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
                    ));
                }
                Err(S3Error::access_denied())
            }
        }
    }

    /// What a `STREAMING-*` body's chunk signatures chain from: the request's signature,
    /// and the key that checks them (the same cached keys that checked it).
    fn chain_seed(&self, auth: &SigAuth<'_>, secret: &SecretKey, mode: StreamingMode) -> ChainSeed {
        let keys = &self.credentials.signing_keys;
        let key = if mode.is_sigv4a() {
            let derive = || derive_public_key(secret.expose(), &auth.access_key_id);
            ChainKey::Ecdsa(keys.v4a_key(&auth.access_key_id, derive))
        } else {
            ChainKey::Hmac(keys.get_or_derive(auth.key_id(), || {
                derive_signing_key(secret.expose(), auth.date(), auth.region(), auth.service())
            }))
        };
        ChainSeed {
            signature: auth.signature.clone().into_owned(),
            amz_date: auth.amz_date.clone().into_owned(),
            scope: auth.scope().to_owned(),
            key,
        }
    }

    /// Who signed with `auth`'s access key, the secret to check the signature with, and when
    /// a session's token expires: a configured user's key (which no token may accompany), or
    /// a session key opened from its token.
    pub fn signer(
        &self,
        auth: &SigAuth<'_>,
        now: UnixTime,
    ) -> Result<(Caller, crate::base::secret::SecretKey, Option<UnixTime>), S3Error> {
        match self.credentials.lookup(&auth.access_key_id) {
            Some(_) if auth.security_token.is_some() => Err(S3Error::invalid_token()),
            Some(entry) => Ok((Caller::User(Arc::clone(&entry.user)), entry.secret.clone(), None)),
            None => {
                let (caller, secret, expires) =
                    self.open_session(&auth.access_key_id, auth.security_token.as_deref(), now)?;
                Ok((caller, secret, Some(expires)))
            }
        }
    }

    /// A session key: its token must be present, open with one of our keys, belong to this
    /// key id, and not have expired; the secret is derived from it.
    pub fn open_session(
        &self,
        access_key_id: &str,
        token: Option<&str>,
        now: UnixTime,
    ) -> Result<(Caller, crate::base::secret::SecretKey, UnixTime), S3Error> {
        let (Some(sts), Some(token)) = (&self.sts, token) else {
            return Err(S3Error::invalid_access_key_id(access_key_id));
        };
        let (claims, secret) = sts.keys.open(token).map_err(|_| S3Error::invalid_token())?;
        if !crate::base::secret::ct_eq(claims.access_key_id.as_bytes(), access_key_id.as_bytes()) {
            return Err(S3Error::invalid_token());
        }
        if now.0 > claims.expires {
            return Err(S3Error::expired_token());
        }
        let issued = UnixTime(claims.issued);
        let caller = match claims.kind {
            SessionKind::Session => {
                let user = self.users.iter().find(|u| u.arn == claims.principal).ok_or_else(S3Error::invalid_token)?;
                Caller::Session { user: Arc::clone(user), issued }
            }
            SessionKind::AssumedRole | SessionKind::InstanceProfile => {
                let role = self.roles.iter().find(|r| r.arn == claims.principal).ok_or_else(S3Error::invalid_token)?;
                let session = claims.session_name.clone().unwrap_or_default();
                Caller::Role {
                    session_arn: format!("arn:aws:sts::{}:assumed-role/{}/{session}", role.account, role.name),
                    userid: format!("{}:{session}", role.role_id),
                    role: Arc::clone(role),
                    issued,
                }
            }
        };
        Ok((caller, secret, UnixTime(claims.expires)))
    }
}
