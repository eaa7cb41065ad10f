//! The admin listener (`[admin] listen`): `/metrics`, `/healthz`, and `/readyz`, which is
//! 200 only while the store answers a signed request.

use std::sync::Arc;

use crate::base::metrics;

/// How `/readyz` asks the store whether it answers.
pub struct Readiness {
    pub state: Arc<arc_swap::ArcSwap<crate::decision::decide::Decider>>,
    pub upstream: crate::store::upstream::Upstream,
}

impl Readiness {
    /// Ready when the store answers a signed `HEAD` of the first configured bucket with
    /// a success, within `PROBE_TIMEOUT`. Otherwise, why not.
    async fn check(&self) -> Result<(), String> {
        const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
        let state = self.state.load_full();
        let bucket = state.catalog.buckets.keys().next().map(String::as_str);
        let probe = self.upstream.probe(bucket, crate::base::time::UnixTime::now());
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
                        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
                        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {why}\n")),
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
