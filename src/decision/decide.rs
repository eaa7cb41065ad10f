//! Deciding a request, without touching the store: classify → authenticate → gather the
//! facts policies read → authorize. `serve` runs it for every request; `explain` runs the
//! same code for one URL and prints the trace.

use std::sync::Arc;

use http::{HeaderMap, header};

use crate::base::ids::{KeyId, key_id};
use crate::base::s3err::S3Error;
use crate::base::time::UnixTime;
use crate::config::{Config, Role, StsConfig, User};
use crate::decision::authorize::{Decision, PolicyObserver, Subject, Target, ViaAccessPoint, authorize_observed};
pub use crate::decision::caller::{Authenticated, Caller};
use crate::decision::classify::{Action, Asked, Catalog};
use crate::decision::credentials::Credentials;
use crate::decision::network::{NetworkMap, Origin};
use crate::policy::keys::AmzHeader;
use crate::policy::{AccessPointFacts, AuthFacts, Facts};
use crate::sigv4::auth::Algorithm;
use crate::sigv4::{AuthForm, Query};

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

    /// The request and, for a copy, its source must both be allowed; a write that tags
    /// its object (`x-amz-tagging`) needs `PutObjectTagging` as well, as in S3.
    pub fn authorize<'a>(
        &'a self,
        facts: &'a Facts<'a>,
        caller: &'a Authenticated,
        asked: &'a Asked,
        observer: &mut impl PolicyObserver,
    ) -> Decision<'a> {
        let subject = Subject { facts, identity_policies: caller.caller.policies() };
        let mut decision = self.authorize_one(&subject, asked, asked.action, observer);
        if decision.allowed && asked.action == Action::PutObject && facts.tags.is_some() {
            decision = self.authorize_one(&subject, asked, Action::PutObjectTagging, observer);
        }
        if decision.allowed
            && let Some(src) = &asked.copy_source
        {
            // The source is read through its own access point, or none: the destination's
            // (`DataAccessPointArn`, `…Account`, `AccessPointNetworkOrigin`) must not
            // lend it access.
            let src_facts = facts.through(self.access_point_facts(src));
            let subject = Subject { facts: &src_facts, identity_policies: caller.caller.policies() };
            decision = self.authorize_one(&subject, src, src.action, observer);
        }
        decision
    }

    fn access_point_facts<'a>(&'a self, asked: &'a Asked) -> Option<AccessPointFacts<'a>> {
        asked.access_point.as_ref().map(|ap| AccessPointFacts {
            arn: &ap.arn,
            account: &self.catalog.outpost.account_id,
            network_origin: if ap.vpc_id.is_some() { "VPC" } else { "Internet" },
        })
    }

    fn authorize_one<'a>(
        &'a self,
        subject: &Subject<'_, 'a>,
        asked: &'a Asked,
        action: Action,
        observer: &mut impl PolicyObserver,
    ) -> Decision<'a> {
        let target = Target {
            owner_account: &self.catalog.outpost.account_id,
            action_lower: action.name_lower(),
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
        // Every header read here is an `x-amz-*` one; most GETs carry none, and then
        // nothing is looked up.
        let amz = headers.keys().any(|n| n.as_str().starts_with("x-amz-"));
        let header = |name: &str| if amz { headers.get(name).and_then(|v| v.to_str().ok()) } else { None };
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
                auth_type: caller.auth_type(),
                signature_version: caller.algorithm.name(),
                // AWS sets signatureAge for presigned URLs only. A date within the allowed
                // skew in the future is not a negative age.
                signature_age_ms: (caller.form == AuthForm::Query)
                    .then(|| arrival.now_ms.saturating_sub(signed_ms).max(0)),
                content_sha256: header("x-amz-content-sha256").unwrap_or(crate::sigv4::canonical::UNSIGNED_PAYLOAD),
            }),
            prefix: list_key("prefix"),
            delimiter: list_key("delimiter"),
            max_keys: list_key("max-keys"),
            access_point: self.access_point_facts(asked),
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

/// Who a request claims signed it, and how, before the claim is checked (for the log
/// line; never the secret or the signature).
#[derive(Debug, Default)]
pub struct Claim {
    pub access_key_id: Option<KeyId>,
    pub algorithm: Option<Algorithm>,
    /// `REST-QUERY-STRING` or `REST-HEADER`.
    pub auth_type: Option<&'static str>,
}

impl Claim {
    /// From `X-Amz-Algorithm`/`X-Amz-Credential`, else from the `Authorization` header.
    pub fn of(headers: &HeaderMap, query: &Query<'_>) -> Self {
        let key_id = |credential: &[u8]| key_id(credential.split(|&b| b == b'/').next()?);
        if let Some(credential) = query.get(crate::sigv4::presigned::X_AMZ_CREDENTIAL) {
            return Self {
                access_key_id: key_id(credential),
                algorithm: query.get(crate::sigv4::presigned::X_AMZ_ALGORITHM).and_then(Algorithm::from_name),
                auth_type: Some("REST-QUERY-STRING"),
            };
        }
        let Some(value) = headers.get(header::AUTHORIZATION) else { return Self::default() };
        let value = value.as_bytes();
        let (name, rest) = value.split_at(value.iter().position(|&b| b == b' ').unwrap_or(value.len()));
        let credential = rest
            .split(|&b| b == b',')
            .find_map(|part| part.trim_ascii().strip_prefix(b"Credential="))
            .unwrap_or_default();
        Self {
            access_key_id: key_id(credential),
            algorithm: Algorithm::from_name(name),
            auth_type: Some("REST-HEADER"),
        }
    }
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
