//! Who signed a request: the principal behind its key, and what the signature said.

use std::borrow::Cow;
use std::sync::Arc;

use crate::base::time::UnixTime;
use crate::config::{Role, User};
use crate::sigv4::auth::{Algorithm, AuthForm};
use crate::sigv4::key::KeyedMac;
use crate::sigv4::v4a::PublicKey;

/// Who signed the request, established once at arrival.
pub struct Authenticated {
    pub caller: Caller,
    pub access_key_id: crate::base::ids::KeyId,
    /// SigV4 or SigV4a (`s3-outposts:signatureversion`).
    pub algorithm: Algorithm,
    pub signed_at: UnixTime,
    /// The earlier of the signature's expiry (a URL's, or a header-signed request's 15
    /// minutes) and its session token's.
    pub expires_at: UnixTime,
    /// `REST-QUERY-STRING` or `REST-HEADER`.
    pub form: AuthForm,
    /// What the signature says of the body (`x-amz-content-sha256` as signed;
    /// `UNSIGNED-PAYLOAD` for a presigned URL).
    pub payload_hash: Cow<'static, str>,
    /// For a `STREAMING-*` signed body: what its chunk signatures chain from.
    pub chain: Option<Box<ChainSeed>>,
}

impl Authenticated {
    /// `s3-outposts:authType`.
    pub fn auth_type(&self) -> &'static str {
        match self.form {
            AuthForm::Query => "REST-QUERY-STRING",
            AuthForm::Header => "REST-HEADER",
        }
    }
}

/// The start of a signed `aws-chunked` body's signature chain.
pub struct ChainSeed {
    /// The request's own signature (hex; DER for SigV4a).
    pub signature: String,
    pub amz_date: String,
    pub scope: String,
    pub key: ChainKey,
}

/// The key chunk signatures are checked with.
pub enum ChainKey {
    /// SigV4: the keyed HMAC state of the request's signing key.
    Hmac(KeyedMac),
    /// SigV4a: the signer's public key (`None` when the secret derives none, which no
    /// verified request can have).
    Ecdsa(Option<Arc<PublicKey>>),
}

/// The principal behind a key: a user with a permanent key, a user's session
/// (`GetSessionToken`), or a role's session (`AssumeRole`, instance profiles).
pub enum Caller {
    User(Arc<User>),
    Session { user: Arc<User>, issued: UnixTime },
    Role { role: Arc<Role>, issued: UnixTime, session_arn: String, userid: String },
}

impl Caller {
    /// What policies name: the user ARN, or the role ARN for a role's sessions
    /// (`aws:PrincipalArn`).
    pub fn arn(&self) -> &str {
        match self {
            Self::User(u) | Self::Session { user: u, .. } => &u.arn,
            Self::Role { role, .. } => &role.arn,
        }
    }

    /// Who is acting, for logs: the assumed-role session ARN for role sessions.
    pub fn acting_arn(&self) -> &str {
        match self {
            Self::Role { session_arn, .. } => session_arn,
            _ => self.arn(),
        }
    }

    pub fn account(&self) -> &str {
        match self {
            Self::User(u) | Self::Session { user: u, .. } => &u.account,
            Self::Role { role, .. } => &role.account,
        }
    }

    pub fn policies(&self) -> &[Arc<crate::policy::Policy>] {
        match self {
            Self::User(u) | Self::Session { user: u, .. } => &u.policies,
            Self::Role { role, .. } => &role.policies,
        }
    }

    pub fn principal_type(&self) -> &'static str {
        match self {
            Self::User(_) | Self::Session { .. } => "User",
            Self::Role { .. } => "AssumedRole",
        }
    }

    pub fn username(&self) -> Option<&str> {
        match self {
            Self::User(u) | Self::Session { user: u, .. } => Some(&u.name),
            Self::Role { .. } => None,
        }
    }

    pub fn userid(&self) -> &str {
        match self {
            Self::User(u) | Self::Session { user: u, .. } => &u.userid,
            Self::Role { userid, .. } => userid,
        }
    }

    pub fn token_issue_time(&self) -> Option<UnixTime> {
        match self {
            Self::User(_) => None,
            Self::Session { issued, .. } | Self::Role { issued, .. } => Some(*issued),
        }
    }
}
