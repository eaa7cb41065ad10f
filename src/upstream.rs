//! Forwarding to the store: the request re-addressed path style, stripped of the client's
//! authentication and hop-by-hop headers, re-signed with the store's own credentials
//! (header SigV4, `UNSIGNED-PAYLOAD`), its body streamed as it arrives; the store's answer
//! streamed back unchanged, over this worker's own connections (`pool`).
//!
//! The store's credentials never leave this module: they sign, and only the signature goes
//! on the wire to the store. Nothing here retries: a PUT body cannot be replayed.

use std::sync::Arc;

use http::header::{self, HeaderMap, HeaderName};
use http::{Request, Response, Uri};
use hyper::body::Incoming;

use crate::body::GateBody;
use crate::classify::Asked;
use crate::pool::StorePool;
use crate::secret::SecretKey;
use crate::sigv4::encode::uri_encode_into;
use crate::sigv4::presigned::AUTH_PARAMS;
use crate::sigv4::{Query, Signer, SigningKeyCache};
use crate::time::UnixTime;

/// Where the store is and how to sign for it.
#[derive(Debug, Clone)]
pub struct StoreTarget {
    pub endpoint: Uri,
    pub region: String,
    pub access_key_id: String,
    pub secret: SecretKey,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unreachable: {0}")]
    Unreachable(String),
    #[error("store request could not be built: {0}")]
    Build(String),
}

pub struct Upstream {
    pool: Arc<StorePool>,
    target: StoreTarget,
    /// `host[:port]` of the store, as signed.
    host: String,
    keys: SigningKeyCache,
}

/// Headers that describe one hop (RFC 9110 §7.6.1 and the usual proxy extras): stripped in
/// both directions.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The client's own addressing, authentication and expectations: replaced or handled by the
/// gate, never forwarded to the store.
const CLIENT_ONLY: [&str; 5] = ["host", "authorization", "expect", "x-amz-date", "x-amz-security-token"];

impl Upstream {
    pub fn new(target: StoreTarget) -> Self {
        let host = target.endpoint.authority().map(ToString::to_string).unwrap_or_default();
        let port = target.endpoint.port_u16().unwrap_or(80);
        let addr = format!("{}:{port}", target.endpoint.host().unwrap_or_default());
        Self { pool: StorePool::new(addr), target, host, keys: SigningKeyCache::default() }
    }

    pub async fn forward(
        &self,
        parts: http::request::Parts,
        body: Incoming,
        asked: &Asked,
        query: &Query<'_>,
        now: UnixTime,
    ) -> Result<Response<GateBody>, StoreError> {
        let mut path = String::with_capacity(64);
        path.push('/');
        uri_encode_into(&mut path, asked.bucket.name.as_bytes(), false);
        if let Some(key) = &asked.key {
            path.push('/');
            uri_encode_into(&mut path, key.as_bytes(), true);
        }
        let canonical_query = query.canonical(|k| !AUTH_PARAMS.iter().any(|a| a.as_bytes() == k));
        let origin = if canonical_query.is_empty() { path.clone() } else { format!("{path}?{canonical_query}") };
        let origin: Uri = origin.parse().map_err(|e: http::uri::InvalidUri| StoreError::Build(e.to_string()))?;

        let mut headers = forwardable(parts.headers);
        let signer = Signer {
            access_key_id: &self.target.access_key_id,
            secret: &self.target.secret,
            region: &self.target.region,
            service: "s3",
        };
        signer.sign_headers(parts.method.as_str(), &path, &canonical_query, &self.host, &mut headers, now, &self.keys);
        if let Ok(host) = http::HeaderValue::from_str(&self.host) {
            headers.insert(header::HOST, host);
        }

        // HTTP/1 connections take the path (origin form) on the request line; the store's
        // authority is in the Host header, which the signature covers.
        let mut req = Request::builder().method(parts.method).uri(origin).version(http::Version::HTTP_11);
        if let Some(h) = req.headers_mut() {
            *h = headers;
        }
        let req = req.body(GateBody::Stream(body)).map_err(|e| StoreError::Build(e.to_string()))?;
        let mut resp = self.pool.send(req).await.map_err(|e| StoreError::Unreachable(e.to_string()))?;
        strip_hop_by_hop(resp.headers_mut());
        Ok(resp)
    }
}

/// The client's headers minus hop-by-hop ones (including any the Connection header names)
/// and its authentication.
fn forwardable(mut headers: HeaderMap) -> HeaderMap {
    strip_hop_by_hop(&mut headers);
    for name in CLIENT_ONLY {
        headers.remove(name);
    }
    headers
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}
