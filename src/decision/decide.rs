//! Deciding a request, without touching the store: classify → authenticate → gather the
//! facts policies read → authorize. `serve` runs it for every request; `explain` runs the
//! same code for one URL and prints the trace.

use std::sync::Arc;

use http::{HeaderMap, StatusCode, header};

use crate::base::s3err::S3Error;
use crate::base::time::UnixTime;
use crate::config::{Config, Role, StsConfig, User};
use crate::decision::authorize::{Decision, PolicyObserver, Subject, Target, ViaAccessPoint, authorize_observed};
use crate::decision::classify::{Action, Asked, Catalog};
use crate::decision::credentials::Credentials;
use crate::decision::network::{NetworkMap, Origin};
use crate::policy::keys::AmzHeader;
use crate::policy::{AccessPointFacts, AuthFacts, Facts};
use crate::session::token::SessionKind;
use crate::sigv4::auth::Algorithm;
use crate::sigv4::presigned::is_presigned;
use crate::sigv4::{Query, SigAuth, SignedRequest, verify};

/// Who signed the request, established once at arrival.
pub struct Authenticated {
    pub caller: Caller,
    pub access_key_id: String,
    /// SigV4 or SigV4a (`s3-outposts:signatureversion`).
    pub algorithm: Algorithm,
    pub signed_at: UnixTime,
    /// The earlier of the URL's expiry and its session token's.
    pub expires_at: UnixTime,
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

    fn principal_type(&self) -> &'static str {
        match self {
            Self::User(_) | Self::Session { .. } => "User",
            Self::Role { .. } => "AssumedRole",
        }
    }

    fn username(&self) -> Option<&str> {
        match self {
            Self::User(u) | Self::Session { user: u, .. } => Some(&u.name),
            Self::Role { .. } => None,
        }
    }

    fn userid(&self) -> &str {
        match self {
            Self::User(u) | Self::Session { user: u, .. } => &u.userid,
            Self::Role { userid, .. } => userid,
        }
    }

    fn token_issue_time(&self) -> Option<UnixTime> {
        match self {
            Self::User(_) => None,
            Self::Session { issued, .. } | Self::Role { issued, .. } => Some(*issued),
        }
    }
}

/// The read-only state deciding needs: buckets, access points, keys (with the signing-key
/// cache) and the clock-skew allowance.
pub struct Decider {
    pub catalog: Catalog,
    pub credentials: Credentials,
    pub max_skew_secs: i64,
    pub network: NetworkMap,
    /// Session tokens are accepted when the STS endpoint is on.
    pub sts: Option<StsConfig>,
    pub users: Vec<Arc<User>>,
    pub roles: Vec<Arc<Role>>,
}

/// Where a request came from and when, as the connection and the clock say.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub origin: Origin<'a>,
    /// Milliseconds since the epoch, read once.
    pub now_ms: i64,
    pub secure: bool,
}

impl Arrival<'_> {
    pub fn now(&self) -> UnixTime {
        UnixTime(self.now_ms.div_euclid(1000))
    }
}

impl Decider {
    pub fn new(config: &Config) -> Self {
        Self {
            catalog: Catalog {
                outpost: config.outpost.clone(),
                endpoint_hosts: config.server.endpoint_hosts.clone(),
                buckets: config.buckets.clone(),
                access_points: config.access_points.clone(),
                traits: config.store.traits,
            },
            credentials: Credentials::new(&config.users),
            max_skew_secs: config.server.max_clock_skew_secs,
            network: NetworkMap::new(&config.network),
            sts: config.sts.clone(),
            users: config.users.clone(),
            roles: config.roles.clone(),
        }
    }

    /// A VPC-bound access point serves its VPC only, whatever the policies say; checked
    /// before any signature or policy work.
    pub fn check_network(&self, asked: &Asked, arrival: &Arrival<'_>) -> Result<(), S3Error> {
        let aps = asked.access_point.iter().chain(asked.copy_source.iter().flat_map(|c| c.access_point.iter()));
        for ap in aps {
            if let Some(vpc) = &ap.vpc_id
                && arrival.origin.vpc != Some(vpc.as_str())
            {
                tracing::debug!(
                    access_point = %ap.name,
                    client = %arrival.origin.client,
                    from_vpc = arrival.origin.vpc.unwrap_or("(none)"),
                    "denied: access point {} serves requests from {vpc} only",
                    ap.name
                );
                return Err(S3Error::access_denied());
            }
        }
        Ok(())
    }

    /// Presigned SigV4 only, for now: anything else is an anonymous request, and the gate
    /// serves no anonymous requests.
    pub fn authenticate(
        &self,
        parts: &http::request::Parts,
        host: &str,
        query: &Query<'_>,
        now: UnixTime,
    ) -> Result<Authenticated, S3Error> {
        if !is_presigned(query) {
            // SigV2 query authentication, as `aws s3 presign` makes it by default in CLI v1.
            if query.has("AWSAccessKeyId") && query.has("Signature") {
                return Err(S3Error::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
                ));
            }
            return Err(S3Error::access_denied());
        }
        let auth = SigAuth::from_query(query, &self.catalog.outpost.region)?;
        let (caller, secret, token_expires) = self.signer(&auth, now)?;
        let signed = SignedRequest {
            method: parts.method.as_str(),
            raw_path: parts.uri.path(),
            query,
            headers: &parts.headers,
            host,
        };
        verify(&signed, &auth, &secret, now, self.max_skew_secs, &self.credentials.signing_keys)?;
        let url_expires = auth.expires_at();
        Ok(Authenticated {
            caller,
            expires_at: token_expires.map_or(url_expires, |t| t.min(url_expires)),
            signed_at: auth.signed_at,
            algorithm: auth.algorithm,
            access_key_id: auth.access_key_id,
        })
    }

    /// Who signed with `auth`'s access key, the secret to check the signature with, and when
    /// a session's token expires: a configured user's key (which no token may accompany), or
    /// a session key opened from its token.
    pub fn signer(
        &self,
        auth: &SigAuth,
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

    /// The request and, for a copy, its source must both be allowed.
    pub fn authorize<'a>(
        &'a self,
        facts: &'a Facts<'a>,
        caller: &'a Authenticated,
        asked: &'a Asked,
        observer: &mut impl PolicyObserver,
    ) -> Decision<'a> {
        let subject = Subject { facts, identity_policies: caller.caller.policies() };
        let mut decision = self.authorize_one(&subject, asked, observer);
        if decision.allowed
            && let Some(src) = &asked.copy_source
        {
            decision = self.authorize_one(&subject, src, observer);
        }
        decision
    }

    fn authorize_one<'a>(
        &'a self,
        subject: &Subject<'a>,
        asked: &'a Asked,
        observer: &mut impl PolicyObserver,
    ) -> Decision<'a> {
        let target = Target {
            owner_account: &self.catalog.outpost.account_id,
            action_lower: asked.action.name_lower(),
            resource: &asked.resource,
            bucket_resource: &asked.bucket_resource,
            bucket_policy: asked.bucket.policy.as_deref(),
            access_point: asked.access_point.as_ref().map(|ap| ViaAccessPoint { policy: ap.policy.as_deref() }),
        };
        authorize_observed(subject, &target, observer)
    }

    /// The facts policies read, borrowed from what the request already holds. `tags` is the
    /// decoded `x-amz-tagging` header, owned by the caller (see `request_tags`).
    pub fn facts<'a>(
        &'a self,
        arrival: &Arrival<'a>,
        caller: &'a Authenticated,
        asked: &'a Asked,
        query: &'a Query<'_>,
        headers: &'a HeaderMap,
        tags: Option<&'a [(String, String)]>,
    ) -> Facts<'a> {
        let text = |v: Option<&'a [u8]>| v.and_then(|b| std::str::from_utf8(b).ok());
        let listing = asked.action == Action::ListBucket;
        let list_key = |name| if listing { text(query.get(name)) } else { None };
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let signed_ms = caller.signed_at.0.saturating_mul(1000);
        Facts {
            principal_arn: caller.caller.arn(),
            principal_account: caller.caller.account(),
            principal_type: caller.caller.principal_type(),
            username: caller.caller.username(),
            userid: Some(caller.caller.userid()),
            token_issue_time: caller.caller.token_issue_time(),
            session_arn: match &caller.caller {
                Caller::Role { session_arn, .. } => Some(session_arn),
                _ => None,
            },
            now_ms: arrival.now_ms,
            // AWS leaves aws:SourceIp out for traffic through a VPC, and gives aws:VpcSourceIp.
            source_ip: (!arrival.origin.is_vpc()).then_some(arrival.origin.client),
            source_vpc: arrival.origin.vpc,
            source_vpce: arrival.origin.vpce,
            vpc_source_ip: arrival.origin.is_vpc().then_some(arrival.origin.client),
            secure_transport: arrival.secure,
            auth: Some(AuthFacts {
                auth_type: "REST-QUERY-STRING",
                signature_version: caller.algorithm.name(),
                // A date within the allowed skew in the future is not a negative age.
                signature_age_ms: Some(arrival.now_ms.saturating_sub(signed_ms).max(0)),
                content_sha256: header("x-amz-content-sha256").unwrap_or(crate::sigv4::canonical::UNSIGNED_PAYLOAD),
            }),
            prefix: list_key("prefix"),
            delimiter: list_key("delimiter"),
            max_keys: list_key("max-keys"),
            access_point: asked.access_point.as_ref().map(|ap| AccessPointFacts {
                arn: &ap.arn,
                account: &self.catalog.outpost.account_id,
                network_origin: if ap.vpc_id.is_some() { "VPC" } else { "Internet" },
            }),
            // The copy source as classified (`bucket/key`, decoded), which is what the store
            // gets, not the client's spelling of it.
            headers: AmzHeader::ALL.map(|h| match h {
                AmzHeader::CopySource => asked.forward.copy_source_fact.as_deref(),
                _ => header(h.header_name()),
            }),
            tags,
            ..Facts::default()
        }
    }
}

/// The access key id of `X-Amz-Credential`, if it looks like one (for the log line).
pub fn claimed_access_key(query: &Query<'_>) -> Option<String> {
    let credential = query.get(crate::sigv4::presigned::X_AMZ_CREDENTIAL)?;
    let id = credential.split(|&b| b == b'/').next()?;
    (!id.is_empty() && id.len() <= 128 && id.iter().all(u8::is_ascii_alphanumeric))
        .then(|| String::from_utf8_lossy(id).into_owned())
}

/// The signature version a presigned request claims (for the log line), if it is one the
/// gate knows.
pub fn claimed_algorithm(query: &Query<'_>) -> Option<Algorithm> {
    Algorithm::from_name(query.get(crate::sigv4::presigned::X_AMZ_ALGORITHM)?)
}

/// The Host header, or HTTP/2's `:authority`.
pub fn host_of(parts: &http::request::Parts) -> Result<&str, S3Error> {
    if let Some(h) = parts.headers.get(header::HOST) {
        return h.to_str().map_err(|_| S3Error::invalid_argument("The Host header is not valid"));
    }
    parts
        .uri
        .authority()
        .map(http::uri::Authority::as_str)
        .ok_or_else(|| S3Error::invalid_argument("A Host header is required"))
}
