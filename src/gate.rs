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

use arc_swap::ArcSwap;

use crate::body::GateBody;
use crate::config::Config;
use crate::decide::{Arrival, Decider, claimed_access_key, host_of, request_tags};
use crate::explain::{Recorder, render};
use crate::network::VpceId;
use crate::s3err::S3Error;
use crate::sigv4::Query;
use crate::time::now_ms;
use crate::upstream::{StoreError, StoreTarget, Upstream};

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
        let upstream = Upstream::new(store.clone());
        Self { state: Arc::new(ArcSwap::from_pointee(Decider::new(config))), store, upstream }
    }

    /// For the listener's PROXY-header decision.
    pub fn is_trusted_proxy(&self, ip: std::net::IpAddr) -> bool {
        self.state.load().network.is_trusted_proxy(ip)
    }

    /// `host:port` of the store, for the readiness probe.
    pub fn store_addr(&self) -> String {
        let port = self.store.endpoint.port_u16().unwrap_or(80);
        format!("{}:{port}", self.store.endpoint.host().unwrap_or_default())
    }

    /// Where a reload puts the new state: every worker's gate reads from it.
    pub fn state(&self) -> Arc<ArcSwap<Decider>> {
        Arc::clone(&self.state)
    }

    /// Another worker's gate: the same shared state, a store client of its own.
    #[must_use]
    pub fn for_worker(&self) -> Self {
        Self { state: Arc::clone(&self.state), store: self.store.clone(), upstream: Upstream::new(self.store.clone()) }
    }

    pub async fn handle(&self, req: Request<Incoming>, conn: ConnInfo) -> Response<GateBody> {
        let decider = self.state.load_full();
        let network = &decider.network;
        let client = network.client_ip(conn.sender.ip(), req.headers());
        let origin = network.origin(client, conn.vpce.as_ref().map(VpceId::as_str));
        let arrival = Arrival { origin, now_ms: now_ms(), secure: conn.secure };
        let started = Instant::now();
        let request_id = format!("{:016X}", rand::random::<u64>());
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let mut trace = Trace::default();

        let metrics = crate::metrics::global();
        metrics.in_progress.inc();
        let mut resp = match self.serve(&decider, req, &arrival, &request_id, &mut trace).await {
            Ok(resp) => resp,
            Err(e) => {
                metrics.refusals.get_or_create(&crate::metrics::ReasonLabels { reason: e.code }).inc();
                error_response(&e, &request_id, &method)
            }
        };
        metrics.in_progress.dec();
        metrics.head_seconds.observe(started.elapsed().as_secs_f64());
        metrics
            .requests
            .get_or_create(&crate::metrics::RequestLabels {
                action: trace.action.unwrap_or("-"),
                decision: trace.decision.unwrap_or("-"),
                status: resp.status().as_u16(),
            })
            .inc();
        if !resp.headers().contains_key("x-amz-request-id")
            && let Ok(v) = HeaderValue::from_str(&request_id)
        {
            resp.headers_mut().insert("x-amz-request-id", v);
        }
        tracing::info!(
            target: "outpost_gate::access",
            request_id = %request_id,
            client = %conn.peer,
            source = %arrival.origin.client,
            vpc = arrival.origin.vpc.unwrap_or("-"),
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
        decider: &Decider,
        req: Request<Incoming>,
        arrival: &Arrival<'_>,
        request_id: &str,
        trace: &mut Trace,
    ) -> Result<Response<GateBody>, S3Error> {
        if req.uri().path() == HEALTH_PATH && matches!(*req.method(), Method::GET | Method::HEAD) {
            return Ok(Response::new(GateBody::full("ok\n")));
        }
        if decider.sts.is_some() && crate::sts::api::is_sts_request(req.method(), req.uri().path(), req.headers()) {
            let (resp, action) = crate::sts::api::handle(decider, req, arrival.now(), request_id).await;
            trace.action = Some(action);
            return Ok(resp);
        }
        let (parts, body) = req.into_parts();
        // Owned copies (a refcount and a short string) so `parts` can move on to the store.
        let uri = parts.uri.clone();
        let host = host_of(&parts)?.to_owned();
        let query = Query::parse(uri.query().unwrap_or("")).map_err(|_| S3Error::invalid_uri())?;

        let asked = decider.catalog.classify(&parts.method, &host, uri.path(), &query, &parts.headers)?;
        trace.action = Some(asked.action.name());
        decider.check_network(&asked, arrival)?;

        // The key id names who claims to sign, even when the claim fails (never the secret).
        trace.access_key_id = claimed_access_key(&query);
        let caller = decider.authenticate(&parts, &host, &query, arrival.now())?;
        trace.principal = Some(caller.caller.acting_arn().to_owned());

        let tags = request_tags(&parts.headers);
        let facts = decider.facts(arrival, &caller, &asked, &query, &parts.headers, tags.as_deref());
        let decision = decider.authorize(&facts, &caller, &asked, &mut ());
        trace.decision = Some(if decision.allowed { "allow" } else { "deny" });
        if !decision.allowed {
            if tracing::enabled!(tracing::Level::DEBUG) {
                // Re-run with a recorder: the trace costs nothing unless someone reads it.
                let mut recorder = Recorder::new(&facts);
                let decision = decider.authorize(&facts, &caller, &asked, &mut recorder);
                tracing::debug!(
                    request_id,
                    principal = %caller.caller.acting_arn(),
                    action = asked.action.name(),
                    resource = %asked.resource,
                    "denied:\n{}",
                    render(&recorder, &decision)
                );
            }
            return Err(S3Error::access_denied());
        }
        drop(facts);

        match self.upstream.forward(parts, body, &asked, &query, arrival.now()).await {
            Ok(resp) => Ok(resp),
            Err(StoreError::Unreachable(why)) => {
                crate::metrics::global().store_errors.inc();
                tracing::warn!("store unreachable: {why}");
                Err(S3Error::service_unavailable())
            }
            Err(StoreError::Build(why)) => {
                crate::metrics::global().store_errors.inc();
                tracing::warn!("could not build the store request: {why}");
                Err(S3Error::invalid_uri())
            }
        }
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
