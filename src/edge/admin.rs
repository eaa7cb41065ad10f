//! The admin listener (`[admin] listen`): `/metrics`, `/healthz`, and `/readyz`, which is
//! 200 while at least one store node answers a signed request, and says which do not. And
//! the watch that probes the store nodes marked down, to take back one that answers again.

use std::sync::Arc;
use std::time::Duration;

use crate::base::metrics;

/// How long one probe of one node may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the nodes marked down are probed.
const PROBE_INTERVAL: Duration = Duration::from_secs(2);

/// How `/readyz` and the watch ask the store nodes whether they answer.
pub struct Readiness {
    pub state: Arc<arc_swap::ArcSwap<crate::decision::decide::Decider>>,
    pub upstream: crate::store::upstream::Upstream,
}

impl Readiness {
    /// Whether node `i` answers a signed `HEAD` of the first configured bucket with a
    /// success, within `PROBE_TIMEOUT`; otherwise, why not.
    async fn probe(&self, i: usize) -> Result<(), String> {
        let state = self.state.load_full();
        let bucket = state.catalog.buckets.keys().next().map(String::as_str);
        let probe = self.upstream.probe_node(i, bucket, crate::base::time::UnixTime::now());
        match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
            Ok(Ok(status)) if status.is_success() => Ok(()),
            Ok(Ok(status)) => Err(format!(
                "the store answered {status} to HEAD /{} (check the bucket and [store] credentials)",
                bucket.unwrap_or_default()
            )),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("the store did not answer within {PROBE_TIMEOUT:?}")),
        }
    }

    /// Every node probed at once: ready while one answers. The text says which do not.
    async fn check(self: &Arc<Self>) -> Result<String, String> {
        let nodes = self.upstream.nodes();
        let mut probes = tokio::task::JoinSet::new();
        for i in 0..nodes.len() {
            let me = Arc::clone(self);
            probes.spawn(async move { (i, me.probe(i).await) });
        }
        let mut results: Vec<(usize, Result<(), String>)> = probes.join_all().await;
        results.sort_by_key(|(i, _)| *i);
        let name = |i: usize| nodes.get(i).map_or("?", |n| n.health.name());
        let down: Vec<String> =
            results.iter().filter_map(|(i, r)| r.as_ref().err().map(|why| format!("{}: {why}", name(*i)))).collect();
        match (nodes.len(), down.len()) {
            (_, 0) => Ok("ready\n".to_owned()),
            (1, _) => {
                Err(format!("not ready: {}\n", results.into_iter().find_map(|(_, r)| r.err()).unwrap_or_default()))
            }
            (n, d) if d < n => Ok(format!("ready: {} of {n} store nodes answer; down: {}\n", n - d, down.join("; "))),
            _ => Err(format!("not ready: no store node answers: {}\n", down.join("; "))),
        }
    }
}

/// Probes the store nodes marked down every `PROBE_INTERVAL`, so that a node answering
/// again is back in turn without waiting for a request to try it.
pub async fn watch_store_nodes(readiness: Readiness) {
    loop {
        tokio::time::sleep(PROBE_INTERVAL).await;
        for (i, node) in readiness.upstream.nodes().iter().enumerate() {
            if !node.health.is_up() {
                let _ = readiness.probe(i).await;
            }
        }
    }
}

/// Serves `/metrics`, `/healthz` and `/readyz` on `listener` until the process ends.
pub async fn serve_admin(listener: tokio::net::TcpListener, readiness: Readiness) {
    use http::{Method, Response, StatusCode};
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    let readiness = Arc::new(readiness);
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let readiness = Arc::clone(&readiness);
        let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
            let readiness = Arc::clone(&readiness);
            async move {
                let (status, body) = match (req.method(), req.uri().path()) {
                    (&Method::GET, "/metrics") => (StatusCode::OK, metrics::global().render()),
                    (&Method::GET, "/healthz") => (StatusCode::OK, "ok\n".to_owned()),
                    (&Method::GET, "/readyz") => match readiness.check().await {
                        Ok(text) => (StatusCode::OK, text),
                        Err(text) => (StatusCode::SERVICE_UNAVAILABLE, text),
                    },
                    _ => (StatusCode::NOT_FOUND, "not found\n".to_owned()),
                };
                let mut resp = Response::new(crate::store::body::GateBody::full(body));
                *resp.status_mut() = status;
                Ok::<_, std::convert::Infallible>(resp)
            }
        });
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
