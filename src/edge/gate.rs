//! The request road: classify → authenticate → authorize → forward.
//!
//! `handle` reads the clock once, runs the steps, turns a refusal into S3 XML in exactly
//! one place and writes one log line. Everything after `authenticate` trusts the decision
//! made at arrival: a transfer that has started is never re-checked, so it outlives its URL.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;

use arc_swap::ArcSwap;

use crate::base::s3err::S3Error;
use crate::base::time::now_ms;
use crate::config::Config;
use crate::decision::authorize::Decision;
use crate::decision::body_check::body_check;
use crate::decision::classify::Asked;
use crate::decision::decide::{Arrival, Authenticated, Claim, Decider, host_of};
use crate::decision::network::VpceId;
use crate::decision::road::{RequestView, Witness};
use crate::decision::trace::{Recorder, render};
use crate::ops::access::Entry;
use crate::ops::activity::Busy;
use crate::payload::BodyCheck;
use crate::sigv4::Query;
use crate::sigv4::auth::Algorithm;
use crate::store::body::{GateBody, Inbound, Inflow, Logged};
use crate::store::checked::Checked;
use crate::store::upstream::{StoreError, StoreTarget, Upstream};

/// `s3-outposts:authType` values, as the access line says them.
const REST_HEADER: &str = "REST-HEADER";

const X_AMZ_REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-amz-request-id");

/// Answered on every listener without authentication.
pub const HEALTH_PATH: &str = "/_gate/healthz";

/// What the gate knows about the connection a request came on, computed once when it is
/// accepted.
#[derive(Debug, Clone, Copy)]
pub struct ConnInfo {
    /// The socket's peer.
    pub peer: SocketAddr,
    pub local: SocketAddr,
    /// Who sent the HTTP requests: the PROXY header's source, else the peer.
    pub sender: SocketAddr,
    /// The VPC endpoint the PROXY header named.
    pub vpce: Option<VpceId>,
    /// Over TLS (`aws:SecureTransport`).
    pub secure: bool,
}

impl ConnInfo {
    /// A connection with no load balancer in front.
    pub fn direct(peer: SocketAddr, local: SocketAddr) -> Self {
        Self { peer, local, sender: peer, vpce: None, secure: false }
    }
}

/// One worker's gate: the shared, read-only state and this worker's own store client
/// (each worker thread keeps its own connection pool, so a request and the store
/// connection it uses are driven by the same thread).
pub struct Gate {
    /// Swapped whole on reload; a request holds the state it started with to its end.
    state: Arc<ArcSwap<Decider>>,
    store: StoreTarget,
    upstream: Upstream,
    limits: HeadLimits,
}

/// `server.max_header_bytes` and `server.max_url_bytes`.
#[derive(Clone, Copy)]
struct HeadLimits {
    header_bytes: usize,
    url_bytes: usize,
}

impl HeadLimits {
    /// The request head as it came on the wire, measured: the request line and each
    /// `name: value` line.
    fn check(self, req: &Request<Incoming>) -> Result<(), S3Error> {
        let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
        if target > self.url_bytes {
            return Err(S3Error::header_section_too_large(self.url_bytes));
        }
        let line = req.method().as_str().len() + target + 12;
        let headers: usize = req.headers().iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
        if line + headers > self.header_bytes {
            return Err(S3Error::header_section_too_large(self.header_bytes));
        }
        Ok(())
    }
}

/// What the request road fills in for the access line, and the upload it is streaming.
struct Trace {
    entry: Entry,
    inflow: Option<Arc<Inflow>>,
}

impl Gate {
    pub fn new(config: &Config, store: StoreTarget) -> Self {
        let upstream = Upstream::new(store.clone());
        let limits =
            HeadLimits { header_bytes: config.server.max_header_bytes, url_bytes: config.server.max_url_bytes };
        Self { state: Arc::new(ArcSwap::from_pointee(Decider::new(config))), store, upstream, limits }
    }

    /// For the listener's PROXY-header decision.
    pub fn is_trusted_proxy(&self, ip: std::net::IpAddr) -> bool {
        self.state.load().network.is_trusted_proxy(ip)
    }

    /// What the admin listener's `/readyz` asks: the store, through a client of its own,
    /// about the first configured bucket of the state in force.
    pub fn readiness(&self) -> crate::edge::admin::Readiness {
        crate::edge::admin::Readiness { state: Arc::clone(&self.state), upstream: Upstream::new(self.store.clone()) }
    }

    /// Where a reload puts the new state: every worker's gate reads from it.
    pub fn state(&self) -> Arc<ArcSwap<Decider>> {
        Arc::clone(&self.state)
    }

    /// Another worker's gate: the same shared state, a store client of its own.
    #[must_use]
    pub fn for_worker(&self) -> Self {
        Self {
            state: Arc::clone(&self.state),
            store: self.store.clone(),
            upstream: Upstream::new(self.store.clone()),
            limits: self.limits,
        }
    }

    /// Serves one request. The response carries its access-log entry; the line is written
    /// when the response body is dropped, after the last byte (see `body::Logged`).
    pub async fn handle(&self, req: Request<Incoming>, conn: ConnInfo, busy: Option<Busy>) -> Response<Logged> {
        let decider = self.state.load_full();
        let network = &decider.network;
        let client = network.client_ip(conn.sender.ip(), req.headers());
        let origin = network.origin(client, conn.vpce.as_ref().map(VpceId::as_str));
        let arrival = Arrival { origin, now_ms: now_ms(), secure: conn.secure };
        let mut entry = Entry::new(conn.peer, origin.client, req.method().clone(), arrival.now_ms);
        entry.vpc = origin.vpc.map(str::to_owned);
        entry.vpce = origin.vpce.map(str::to_owned);
        let mut trace = Trace { entry, inflow: None };

        let metrics = crate::base::metrics::global();
        metrics.request_started();
        let request_id = trace.entry.request_id;
        let method = trace.entry.method.clone();
        let mut resp = match self.serve(&decider, req, &arrival, &mut trace).await {
            Ok(resp) => resp,
            Err(e) => {
                metrics.refusals.get_or_create(&crate::base::metrics::ReasonLabels { reason: e.code }).inc();
                trace.entry.error = Some(e.code);
                error_response(&e, request_id.as_str(), &method)
            }
        };
        let status = resp.status().as_u16();
        metrics.request_answered(
            trace.entry.started.elapsed(),
            crate::base::metrics::RequestLabels {
                action: trace.entry.action.unwrap_or("-"),
                decision: trace.entry.decision.unwrap_or("-"),
                status,
            },
        );
        if !resp.headers().contains_key(X_AMZ_REQUEST_ID)
            && let Ok(v) = HeaderValue::from_str(request_id.as_str())
        {
            resp.headers_mut().insert(X_AMZ_REQUEST_ID, v);
        }
        trace.entry.status = status;
        let Trace { entry, inflow } = trace;
        resp.map(|body| Logged::new(body, entry, inflow, busy))
    }

    async fn serve(
        &self,
        decider: &Decider,
        req: Request<Incoming>,
        arrival: &Arrival<'_>,
        trace: &mut Trace,
    ) -> Result<Response<GateBody>, S3Error> {
        let entry = &mut trace.entry;
        self.limits.check(&req)?;
        if req.uri().path() == HEALTH_PATH && matches!(*req.method(), Method::GET | Method::HEAD) {
            return Ok(Response::new(GateBody::full("ok\n")));
        }
        if decider.sts.is_some() && crate::edge::sts::is_sts_request(req.method(), req.uri().path(), req.headers()) {
            entry.auth_type = Some(REST_HEADER);
            // Boxed, as below: the request future stays small, and hyper moves it whole.
            let sts = crate::edge::sts::handle(decider, req, arrival.now(), entry.request_id.as_str());
            let (resp, action) = Box::pin(sts).await;
            entry.action = Some(action);
            return Ok(resp);
        }
        let (parts, body) = req.into_parts();
        // A refcounted copy, so `parts` can move on to the store while the query borrows it.
        let uri = parts.uri.clone();
        let query = Query::parse(uri.query().unwrap_or("")).map_err(|_| S3Error::invalid_uri())?;

        let req = RequestView { parts: &parts, host: host_of(&parts)?, path: uri.path(), query: &query };
        let asked = admit(decider, req, arrival, entry)?;

        // What the body must prove on its way (a hash, checksums, chunk signatures).
        let check = match &entry.caller {
            Some(caller) => body_check(&parts.headers, caller)?,
            None => None,
        };
        let (upload, flow) = Inbound::new(body);
        let decoded = check.as_ref().filter(|c| c.is_chunked()).map(BodyCheck::store_length);
        let upload = match check {
            None => GateBody::Upload(upload),
            Some(check) => {
                let mut checked = Checked::new(upload, check, Arc::clone(&flow));
                if checked.must_defer() {
                    Box::pin(checked.settle()).await?;
                }
                GateBody::Checked(Box::new(checked))
            }
        };
        let inflow = &**trace.inflow.insert(flow);
        // Boxed: forwarding is most of this future's size, and hyper moves the request
        // future into place whole; one allocation is cheaper than copying it around.
        let forward = self.upstream.forward(parts, upload, inflow, &asked, decoded, arrival.now());
        match Box::pin(forward).await {
            Ok(resp) => Ok(resp),
            // The upload failed its check, or the client went away mid-upload: the
            // client's fault, not the store's.
            Err(_) if inflow.failed() => Err(inflow.refusal().unwrap_or_else(S3Error::incomplete_body)),
            Err(StoreError::FirstByteTimeout(after)) => {
                crate::base::metrics::global().store_errors.inc();
                tracing::warn!("the store sent no answer within {after:?} of the request's end");
                Err(S3Error::service_unavailable())
            }
            Err(e @ (StoreError::Unreachable(_) | StoreError::Failed(_))) => {
                crate::base::metrics::global().store_errors.inc();
                tracing::warn!("{e}");
                Err(S3Error::service_unavailable())
            }
            Err(StoreError::Build(why)) => {
                crate::base::metrics::global().store_errors.inc();
                tracing::warn!("could not build the store request: {why}");
                Err(S3Error::invalid_uri())
            }
        }
    }
}

/// Whether the request may go to the store, and as what: the decision's road, with the
/// access line filled in along the way. Synchronous, so the policy facts and any trace live
/// on the stack and never in the request's future.
fn admit(decider: &Decider, req: RequestView<'_>, arrival: &Arrival<'_>, entry: &mut Entry) -> Result<Asked, S3Error> {
    let decided = decider.decide(req, arrival, &mut Line(entry)).map_err(|r| r.error)?;
    entry.caller = Some(decided.caller);
    entry.decision = Some(if decided.allowed { "allow" } else { "deny" });
    if !decided.allowed {
        return Err(S3Error::access_denied());
    }
    Ok(decided.asked)
}

/// Fills the access line as the road goes, and writes a denial's reasons to the debug log.
struct Line<'e>(&'e mut Entry);

impl Witness for Line<'_> {
    fn classified(&mut self, asked: &Asked) {
        self.0.action = Some(asked.action.name());
        self.0.resource = Some(Arc::clone(&asked.resource));
    }

    fn claimed(&mut self, claim: Claim) {
        self.0.auth_type = claim.auth_type;
        self.0.access_key_id = claim.access_key_id;
        self.0.signature_version = claim.algorithm.map(Algorithm::name);
    }

    fn wants_reasons(&self, allowed: bool) -> bool {
        !allowed && tracing::enabled!(tracing::Level::DEBUG)
    }

    fn reasons(&mut self, caller: &Authenticated, asked: &Asked, recorder: &Recorder<'_>, decision: &Decision<'_>) {
        tracing::debug!(
            request_id = %self.0.request_id,
            principal = %caller.caller.acting_arn(),
            action = asked.action.name(),
            resource = %asked.resource,
            "denied:\n{}",
            render(recorder, decision)
        );
    }
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
