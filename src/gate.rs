//! The request road: classify → authenticate → authorize → forward.
//!
//! `handle` reads the clock once, runs the steps, turns a refusal into S3 XML in exactly
//! one place and writes one log line. Everything after `authenticate` trusts the decision
//! made at arrival: a transfer that has started is never re-checked, so it outlives its URL.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;

use crate::authorize::{Decision, Subject, Target, ViaAccessPoint, authorize};
use crate::body::GateBody;
use crate::classify::{Asked, Catalog};
use crate::config::{Config, User};
use crate::credentials::Credentials;
use crate::s3err::S3Error;
use crate::sigv4::presigned::is_presigned;
use crate::sigv4::{PresignedAuth, Query, SignedRequest, verify};
use crate::time::UnixTime;
use crate::upstream::{StoreError, StoreTarget, Upstream};

/// Answered on every listener without authentication.
pub const HEALTH_PATH: &str = "/_gate/healthz";

/// What the gate knows about the connection a request came on.
#[derive(Debug, Clone, Copy)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    pub local: SocketAddr,
}

/// Who signed the request, established once at arrival.
pub struct Authenticated {
    pub user: Arc<User>,
    pub access_key_id: String,
    pub signed_at: UnixTime,
    pub expires_at: UnixTime,
}

/// One worker's gate: the shared, read-only state and this worker's own store client
/// (each worker thread keeps its own connection pool, so a request and the store
/// connection it uses are driven by the same thread).
pub struct Gate {
    shared: Arc<Shared>,
    upstream: Upstream,
}

/// What every worker reads: buckets, access points, keys (with the signing-key cache).
struct Shared {
    catalog: Catalog,
    credentials: Credentials,
    max_skew_secs: i64,
    store: StoreTarget,
}

/// What the log line says about a request, filled in as it goes.
#[derive(Default)]
struct Trace {
    action: Option<&'static str>,
    principal: Option<String>,
    access_key_id: Option<String>,
    decision: Option<&'static str>,
}

impl Gate {
    pub fn new(config: &Config, store: StoreTarget) -> Self {
        let shared = Shared {
            catalog: Catalog {
                outpost: config.outpost.clone(),
                endpoint_hosts: config.server.endpoint_hosts.clone(),
                buckets: config.buckets.clone(),
                access_points: config.access_points.clone(),
            },
            credentials: Credentials::new(&config.users),
            max_skew_secs: config.server.max_clock_skew_secs,
            store,
        };
        let upstream = Upstream::new(shared.store.clone());
        Self { shared: Arc::new(shared), upstream }
    }

    /// Another worker's gate: the same shared state, a store client of its own.
    #[must_use]
    pub fn for_worker(&self) -> Self {
        Self { shared: Arc::clone(&self.shared), upstream: Upstream::new(self.shared.store.clone()) }
    }

    pub async fn handle(&self, req: Request<Incoming>, conn: ConnInfo) -> Response<GateBody> {
        let now = UnixTime::now();
        let started = Instant::now();
        let request_id = format!("{:016X}", rand::random::<u64>());
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let mut trace = Trace::default();

        let mut resp = match self.serve(req, now, &mut trace).await {
            Ok(resp) => resp,
            Err(e) => error_response(&e, &request_id, &method),
        };
        if !resp.headers().contains_key("x-amz-request-id")
            && let Ok(v) = HeaderValue::from_str(&request_id)
        {
            resp.headers_mut().insert("x-amz-request-id", v);
        }
        tracing::info!(
            target: "outpost_gate::access",
            request_id = %request_id,
            client = %conn.peer,
            method = %method,
            path = %path,
            action = trace.action.unwrap_or("-"),
            principal = trace.principal.as_deref().unwrap_or("-"),
            access_key_id = trace.access_key_id.as_deref().unwrap_or("-"),
            decision = trace.decision.unwrap_or("-"),
            status = resp.status().as_u16(),
            ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        resp
    }

    async fn serve(
        &self,
        req: Request<Incoming>,
        now: UnixTime,
        trace: &mut Trace,
    ) -> Result<Response<GateBody>, S3Error> {
        if req.uri().path() == HEALTH_PATH && matches!(*req.method(), Method::GET | Method::HEAD) {
            return Ok(Response::new(GateBody::full("ok\n")));
        }
        let (parts, body) = req.into_parts();
        // Owned copies (a refcount and a short string) so `parts` can move on to the store.
        let uri = parts.uri.clone();
        let host = host_of(&parts)?.to_owned();
        let query = Query::parse(uri.query().unwrap_or("")).map_err(|_| S3Error::invalid_uri())?;

        let asked = self.shared.catalog.classify(&parts.method, &host, uri.path(), &query, &parts.headers)?;
        trace.action = Some(asked.action.name());

        // The key id names who claims to sign, even when the claim fails (never the secret).
        trace.access_key_id = claimed_access_key(&query);
        let caller = self.authenticate(&parts, &host, &query, now)?;
        trace.principal = Some(caller.user.arn.clone());

        let decision = self.authorize(&caller, &asked);
        trace.decision = Some(if decision.allowed { "allow" } else { "deny" });
        if !decision.allowed {
            tracing::debug!(principal = %caller.user.arn, action = asked.action.name(), resource = %asked.resource, "denied: {}", decision.reason);
            return Err(S3Error::access_denied());
        }

        match self.upstream.forward(parts, body, &asked, &query, now).await {
            Ok(resp) => Ok(resp),
            Err(StoreError::Unreachable(why)) => {
                tracing::warn!("store unreachable: {why}");
                Err(S3Error::service_unavailable())
            }
            Err(StoreError::Build(why)) => {
                tracing::warn!("could not build the store request: {why}");
                Err(S3Error::invalid_uri())
            }
        }
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
        let auth = PresignedAuth::parse(query, &self.shared.catalog.outpost.region)?;
        let entry = self
            .shared
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
        verify(&signed, &auth, &entry.secret, now, self.shared.max_skew_secs, &self.shared.credentials.signing_keys)?;
        Ok(Authenticated {
            user: Arc::clone(&entry.user),
            expires_at: auth.expires_at(),
            signed_at: auth.signed_at,
            access_key_id: auth.access_key_id,
        })
    }

    /// The request and, for a copy, its source must both be allowed.
    pub fn authorize<'a>(&'a self, caller: &'a Authenticated, asked: &'a Asked) -> Decision<'a> {
        let subject = Subject {
            principal_arn: &caller.user.arn,
            account: &caller.user.account,
            identity_policies: &caller.user.policies,
        };
        let mut decision = self.authorize_one(&subject, asked);
        if decision.allowed
            && let Some(src) = &asked.copy_source
        {
            decision = self.authorize_one(&subject, src);
        }
        decision
    }

    fn authorize_one<'a>(&'a self, subject: &Subject<'a>, asked: &'a Asked) -> Decision<'a> {
        let target = Target {
            owner_account: &self.shared.catalog.outpost.account_id,
            action_lower: asked.action.name_lower(),
            resource: &asked.resource,
            bucket_resource: &asked.bucket_resource,
            bucket_policy: asked.bucket.policy.as_deref(),
            access_point: asked.access_point.as_ref().map(|ap| ViaAccessPoint { policy: ap.policy.as_deref() }),
        };
        authorize(subject, &target)
    }
}

/// The access key id of `X-Amz-Credential`, if it looks like one (for the log line).
fn claimed_access_key(query: &Query<'_>) -> Option<String> {
    let credential = query.get(crate::sigv4::presigned::X_AMZ_CREDENTIAL)?;
    let id = credential.split(|&b| b == b'/').next()?;
    (!id.is_empty() && id.len() <= 128 && id.iter().all(u8::is_ascii_alphanumeric))
        .then(|| String::from_utf8_lossy(id).into_owned())
}

/// The Host header, or HTTP/2's `:authority`.
fn host_of(parts: &http::request::Parts) -> Result<&str, S3Error> {
    if let Some(h) = parts.headers.get(header::HOST) {
        return h.to_str().map_err(|_| S3Error::invalid_argument("The Host header is not valid"));
    }
    parts
        .uri
        .authority()
        .map(http::uri::Authority::as_str)
        .ok_or_else(|| S3Error::invalid_argument("A Host header is required"))
}

/// The only place an `S3Error` becomes a response. HEAD answers carry no body, as S3's.
pub fn error_response(e: &S3Error, request_id: &str, method: &Method) -> Response<GateBody> {
    let body = if *method == Method::HEAD { GateBody::empty() } else { GateBody::full(e.to_xml(request_id)) };
    let mut resp = Response::new(body);
    *resp.status_mut() = e.status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    if e.status == StatusCode::SERVICE_UNAVAILABLE {
        resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    resp
}
