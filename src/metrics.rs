//! Prometheus metrics (the `prometheus-client` crate), served as text on the admin
//! listener (`[admin] listen`) with `/healthz` and `/readyz`, never on traffic listeners.
//!
//! Counted today: requests by action, decision and status; time to the response head;
//! requests in progress; refusals by S3 error code (expired, bad signature, unknown key,
//! policy deny, …); store errors; reloads by outcome. Label values are static strings and
//! numbers, so counting allocates nothing.

use std::sync::{Arc, OnceLock};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub action: &'static str,
    pub decision: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

pub struct Metrics {
    pub requests: Family<RequestLabels, Counter>,
    pub refusals: Family<ReasonLabels, Counter>,
    pub head_seconds: Histogram,
    pub in_progress: Gauge,
    pub store_errors: Counter,
    pub reloads: Family<OutcomeLabels, Counter>,
    registry: Registry,
}

impl Metrics {
    fn new() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let refusals = Family::<ReasonLabels, Counter>::default();
        let head_seconds = Histogram::new(exponential_buckets(0.000_1, 2.0, 18));
        let in_progress = Gauge::default();
        let store_errors = Counter::default();
        let reloads = Family::<OutcomeLabels, Counter>::default();
        let mut registry = Registry::with_prefix("outpost_gate");
        registry.register("requests", "Requests by S3-on-Outposts action, decision and status", requests.clone());
        registry.register("refusals", "Requests refused, by S3 error code", refusals.clone());
        registry.register(
            "response_head_seconds",
            "Time from a request's arrival to its response head",
            head_seconds.clone(),
        );
        registry.register("requests_in_progress", "Requests not yet answered", in_progress.clone());
        registry.register(
            "store_errors",
            "Store requests that failed (unreachable, or not buildable)",
            store_errors.clone(),
        );
        registry.register("reloads", "Configuration reloads, by outcome", reloads.clone());
        Self { requests, refusals, head_seconds, in_progress, store_errors, reloads, registry }
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The process's metrics (one set, as one process serves one gate).
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// Serves `/metrics`, `/healthz` and `/readyz` on `addr` until the process ends. `/readyz`
/// is 200 only when a TCP connection to the store opens within a second.
pub async fn serve_admin(listener: tokio::net::TcpListener, store: Arc<str>) {
    use http::{Method, Response, StatusCode};
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let store = Arc::clone(&store);
        let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
            let store = Arc::clone(&store);
            async move {
                let (status, body) = match (req.method(), req.uri().path()) {
                    (&Method::GET, "/metrics") => (StatusCode::OK, global().render()),
                    (&Method::GET, "/healthz") => (StatusCode::OK, "ok\n".to_owned()),
                    (&Method::GET, "/readyz") => {
                        let connect = tokio::net::TcpStream::connect(&*store);
                        match tokio::time::timeout(std::time::Duration::from_secs(1), connect).await {
                            Ok(Ok(_)) => (StatusCode::OK, "ready\n".to_owned()),
                            _ => (StatusCode::SERVICE_UNAVAILABLE, format!("the store at {store} does not answer\n")),
                        }
                    }
                    _ => (StatusCode::NOT_FOUND, "not found\n".to_owned()),
                };
                let mut resp = Response::new(crate::body::GateBody::full(body));
                *resp.status_mut() = status;
                Ok::<_, std::convert::Infallible>(resp)
            }
        });
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
