//! Deciding a request, without touching the store: classify → authenticate → gather the
//! facts policies read → authorize. `serve` runs it for every request; `explain` runs the
//! same code for one URL and prints the trace.

use std::sync::Arc;

use http::{HeaderMap, StatusCode, header};

use crate::authorize::{Decision, PolicyObserver, Subject, Target, ViaAccessPoint, authorize_observed};
use crate::classify::{Action, Asked, Catalog};
use crate::config::{Config, User};
use crate::credentials::Credentials;
use crate::network::{NetworkMap, Origin};
use crate::policy::keys::AmzHeader;
use crate::policy::{AccessPointFacts, AuthFacts, Facts};
use crate::s3err::S3Error;
use crate::sigv4::encode::percent_decode;
use crate::sigv4::presigned::is_presigned;
use crate::sigv4::{PresignedAuth, Query, SignedRequest, verify};
use crate::time::UnixTime;

/// Who signed the request, established once at arrival.
pub struct Authenticated {
    pub user: Arc<User>,
    pub access_key_id: String,
    pub signed_at: UnixTime,
    pub expires_at: UnixTime,
}

/// The read-only state deciding needs: buckets, access points, keys (with the signing-key
/// cache) and the clock-skew allowance.
pub struct Decider {
    pub catalog: Catalog,
    pub credentials: Credentials,
    pub max_skew_secs: i64,
    pub network: NetworkMap,
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
            },
            credentials: Credentials::new(&config.users),
            max_skew_secs: config.server.max_clock_skew_secs,
            network: NetworkMap::new(&config.network),
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
        let auth = PresignedAuth::parse(query, &self.catalog.outpost.region)?;
        let entry = self
            .credentials
            .lookup(&auth.access_key_id)
            .ok_or_else(|| S3Error::invalid_access_key_id(&auth.access_key_id))?;
        // Every configured key is a permanent user key: a session token cannot belong to it.
        if auth.security_token.is_some() {
            return Err(S3Error::invalid_token());
        }
        let signed = SignedRequest {
            method: parts.method.as_str(),
            raw_path: parts.uri.path(),
            query,
            headers: &parts.headers,
            host,
        };
        verify(&signed, &auth, &entry.secret, now, self.max_skew_secs, &self.credentials.signing_keys)?;
        Ok(Authenticated {
            user: Arc::clone(&entry.user),
            expires_at: auth.expires_at(),
            signed_at: auth.signed_at,
            access_key_id: auth.access_key_id,
        })
    }

    /// The request and, for a copy, its source must both be allowed.
    pub fn authorize<'a>(
        &'a self,
        facts: &'a Facts<'a>,
        caller: &'a Authenticated,
        asked: &'a Asked,
        observer: &mut impl PolicyObserver,
    ) -> Decision<'a> {
        let subject = Subject { facts, identity_policies: &caller.user.policies };
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
            principal_arn: &caller.user.arn,
            principal_account: &caller.user.account,
            principal_type: "User",
            username: Some(&caller.user.name),
            userid: Some(&caller.user.userid),
            token_issue_time: None,
            now_ms: arrival.now_ms,
            // AWS leaves aws:SourceIp out for traffic through a VPC, and gives aws:VpcSourceIp.
            source_ip: (!arrival.origin.is_vpc()).then_some(arrival.origin.client),
            source_vpc: arrival.origin.vpc,
            source_vpce: arrival.origin.vpce,
            vpc_source_ip: arrival.origin.is_vpc().then_some(arrival.origin.client),
            secure_transport: arrival.secure,
            auth: Some(AuthFacts {
                auth_type: "REST-QUERY-STRING",
                signature_version: "AWS4-HMAC-SHA256",
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
            headers: AmzHeader::ALL.map(|h| header(h.header_name())),
            tags,
            ..Facts::default()
        }
    }
}

/// `x-amz-tagging` (`k1=v1&k2=v2`, form-encoded), decoded; `None` when absent or not
/// decodable (a malformed header is the store's to refuse; policies then see no tags).
pub fn request_tags(headers: &HeaderMap) -> Option<Vec<(String, String)>> {
    let raw = headers.get("x-amz-tagging")?.to_str().ok()?;
    let decode = |s: &str| -> Option<String> {
        let plus = s.replace('+', " ");
        String::from_utf8(percent_decode(&plus).ok()?.into_owned()).ok()
    };
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

/// The access key id of `X-Amz-Credential`, if it looks like one (for the log line).
pub fn claimed_access_key(query: &Query<'_>) -> Option<String> {
    let credential = query.get(crate::sigv4::presigned::X_AMZ_CREDENTIAL)?;
    let id = credential.split(|&b| b == b'/').next()?;
    (!id.is_empty() && id.len() <= 128 && id.iter().all(u8::is_ascii_alphanumeric))
        .then(|| String::from_utf8_lossy(id).into_owned())
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
