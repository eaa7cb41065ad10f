//! Forwarding to the store: the request re-addressed path style, stripped of the client's
//! authentication and hop-by-hop headers, re-signed with the store's own credentials
//! (header SigV4, `UNSIGNED-PAYLOAD`), its body streamed as it arrives; the store's answer
//! streamed back unchanged, over this worker's own connections (`pool`).
//!
//! The store's credentials never leave this module: they sign, and only the signature goes
//! on the wire to the store. Nothing here retries: a PUT body cannot be replayed.

use std::sync::Arc;
use std::time::Duration;

use http::header::{self, HeaderMap};
use http::{Request, Response, Uri};
use rustls_pki_types::ServerName;

use crate::base::scratch::with_buf;
use crate::base::secret::SecretKey;
use crate::base::time::UnixTime;
use crate::decision::classify::Asked;
use crate::sigv4::encode::uri_encode_bytes;
use crate::sigv4::{Signer, SigningKeyCache};
use crate::store::body::{GateBody, Inflow};
use crate::store::headers::{as_decoded, forwardable, strip_hop_by_hop, without_empty_checksum_claims};
use crate::store::nodes::{NodeHealth, StoreNode, order};
use crate::store::pool::{Dial, PoolError, Ready, StorePool};

/// Where the store is (one or more nodes), how to reach it and how to sign for it.
#[derive(Debug, Clone)]
pub struct StoreTarget {
    /// Never empty.
    pub nodes: Vec<StoreNode>,
    pub region: String,
    pub access_key_id: String,
    pub secret: SecretKey,
}

pub use crate::config::StoreTimeouts;

impl StoreTarget {
    /// Each endpoint is `http://` or `https://` (then `tls` verifies it) with a host.
    pub fn new(
        endpoints: &[Uri],
        region: String,
        access_key_id: String,
        secret: SecretKey,
        tls: Option<&Arc<rustls::ClientConfig>>,
        timeouts: StoreTimeouts,
    ) -> Result<Self, String> {
        if endpoints.is_empty() {
            return Err("the store has no endpoint".into());
        }
        let nodes = endpoints.iter().map(|e| node(e, tls, timeouts)).collect::<Result<_, _>>()?;
        Ok(Self { nodes, region, access_key_id, secret })
    }

    /// The first node's endpoint (the only one, but for a cluster).
    pub fn endpoint(&self) -> &Uri {
        self.nodes.first().map_or(&EMPTY_URI, |n| &n.endpoint)
    }
}

static EMPTY_URI: std::sync::LazyLock<Uri> = std::sync::LazyLock::new(Uri::default);

fn node(endpoint: &Uri, tls: Option<&Arc<rustls::ClientConfig>>, timeouts: StoreTimeouts) -> Result<StoreNode, String> {
    let host = endpoint.host().ok_or("the store endpoint has no host")?;
    let https = endpoint.scheme_str() == Some("https");
    let port = endpoint.port_u16().unwrap_or(if https { 443 } else { 80 });
    // A bracketed IPv6 literal connects and verifies without its brackets.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addr = if bare.contains(':') { format!("[{bare}]:{port}") } else { format!("{bare}:{port}") };
    let tls = match (https, tls) {
        (false, _) => None,
        (true, Some(config)) => {
            let name = ServerName::try_from(bare.to_owned()).map_err(|e| format!("{host}: {e}"))?;
            Some((Arc::clone(config), name))
        }
        (true, None) => return Err("an https store endpoint needs a TLS configuration".into()),
    };
    let label = endpoint.to_string();
    let dial = Dial {
        addr,
        label: label.clone(),
        tls,
        connect_timeout: timeouts.connect,
        first_byte_timeout: timeouts.first_byte,
    };
    Ok(StoreNode {
        endpoint: endpoint.clone(),
        host: endpoint.authority().map(ToString::to_string).unwrap_or_default(),
        dial,
        health: NodeHealth::new(&label),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unreachable: {0}")]
    Unreachable(String),
    /// Connected, but the exchange broke before a usable response head (a reset, or an
    /// answer that is not HTTP).
    #[error("the store failed the request: {0}")]
    Failed(String),
    #[error("the store sent no answer within {0:?}")]
    FirstByteTimeout(Duration),
    #[error("store request could not be built: {0}")]
    Build(String),
}

impl From<PoolError> for StoreError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::FirstByteTimeout(after) => Self::FirstByteTimeout(after),
            PoolError::Connect(why) => Self::Unreachable(why),
            PoolError::Send(why) => Self::Failed(why),
        }
    }
}

/// One worker's client of the store: a pool of connections per node.
pub struct Upstream {
    pools: Vec<Arc<StorePool<GateBody>>>,
    /// Each node's `Host` header, made once (a clone shares its bytes).
    host_headers: Vec<http::HeaderValue>,
    target: StoreTarget,
    /// Whose turn it is among the nodes.
    turn: std::sync::atomic::AtomicUsize,
    keys: SigningKeyCache,
}

impl Upstream {
    pub fn new(target: StoreTarget) -> Self {
        let pools = target.nodes.iter().map(|n| StorePool::new(n.dial.clone())).collect();
        let host_headers = target
            .nodes
            .iter()
            .map(|n| http::HeaderValue::from_str(&n.host).unwrap_or_else(|_| http::HeaderValue::from_static("")))
            .collect();
        Self {
            pools,
            host_headers,
            target,
            turn: std::sync::atomic::AtomicUsize::new(0),
            keys: SigningKeyCache::default(),
        }
    }

    /// A ready connection to the next node in turn, moving on to the next when one does
    /// not connect (nothing was sent to it), with the node it goes to.
    async fn ready(&self) -> Result<(usize, &StoreNode, Ready<GateBody>), StoreError> {
        let turn = self.turn.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut last = None;
        for i in order(&self.target.nodes, turn) {
            let (Some(node), Some(pool)) = (self.target.nodes.get(i), self.pools.get(i)) else { continue };
            match pool.ready().await {
                Ok(ready) => return Ok((i, node, ready)),
                Err(e) => {
                    node.health.mark_down(&e.to_string());
                    last = Some(e);
                }
            }
        }
        Err(last.map_or_else(|| StoreError::Unreachable("no store node".into()), StoreError::from))
    }

    /// The nodes, for probes and readiness.
    pub fn nodes(&self) -> &[StoreNode] {
        &self.target.nodes
    }

    /// Sends the client's request on to the store; `upload` is its body, counted by
    /// `inflow`. `decoded` is the length of an `aws-chunked` body once decoded: the store
    /// gets the decoded bytes, under plain headers.
    pub async fn forward(
        &self,
        parts: http::request::Parts,
        upload: GateBody,
        inflow: &Inflow,
        asked: &Asked,
        decoded: Option<u64>,
        now: UnixTime,
    ) -> Result<Response<GateBody>, StoreError> {
        // The query and copy source come from classification (`Asked::forward`): the store
        // reads exactly what was decided on. The target is built once, in one buffer that
        // the URI then owns, and signed from the URI's own path and query.
        let canonical_query = asked.forward.query.as_str();
        let origin = with_buf(|target| {
            target.push(b'/');
            uri_encode_bytes(target, asked.bucket.name.as_bytes(), false);
            if let Some(key) = &asked.key {
                target.push(b'/');
                uri_encode_bytes(target, key.as_bytes(), true);
            }
            if !canonical_query.is_empty() {
                target.push(b'?');
                target.extend_from_slice(canonical_query.as_bytes());
            }
            // One exact copy, which the URI then owns.
            Uri::from_maybe_shared(bytes::Bytes::copy_from_slice(target))
        })
        .map_err(|e: http::uri::InvalidUri| StoreError::Build(e.to_string()))?;

        let mut headers = forwardable(parts.headers);
        if let Some(length) = decoded {
            as_decoded(&mut headers, length);
        }
        if parts.method == http::Method::PUT {
            without_empty_checksum_claims(&mut headers);
        }
        if let Some(source) = &asked.forward.copy_source {
            let value = http::HeaderValue::from_str(source).map_err(|e| StoreError::Build(e.to_string()))?;
            headers.insert("x-amz-copy-source", value);
        }
        let (i, node, ready) = self.ready().await?;
        let req = self.signed(i, parts.method, origin, headers, upload, now)?;
        let (resp, lease) = ready.send(req, inflow.finished()).await.inspect_err(|_| node.health.count_error())?;
        // A store that answered before taking the whole upload (an early error) leaves the
        // connection mid-request: it closes after this answer instead of serving another.
        let mut resp = if inflow.ended() {
            resp.map(|body| GateBody::pooled(body, lease))
        } else {
            drop(lease);
            resp.map(GateBody::Stream)
        };
        strip_hop_by_hop(resp.headers_mut());
        Ok(resp)
    }

    /// Whether node `i` answers S3: a signed `HEAD` of `bucket` (or of `/` when no bucket
    /// is configured). Returns the status it answered with; any answer brings a node that
    /// was down back in turn, and a failed connect takes it out.
    pub async fn probe_node(
        &self,
        i: usize,
        bucket: Option<&str>,
        now: UnixTime,
    ) -> Result<http::StatusCode, StoreError> {
        let (Some(node), Some(pool)) = (self.target.nodes.get(i), self.pools.get(i)) else {
            return Err(StoreError::Unreachable(format!("no store node {i}")));
        };
        let mut path = vec![b'/'];
        if let Some(b) = bucket {
            uri_encode_bytes(&mut path, b.as_bytes(), false);
        }
        let origin = Uri::from_maybe_shared(bytes::Bytes::from(path))
            .map_err(|e: http::uri::InvalidUri| StoreError::Build(e.to_string()))?;
        let req = self.signed(i, http::Method::HEAD, origin, HeaderMap::new(), GateBody::empty(), now)?;
        match pool.send(req, std::future::ready(())).await {
            Ok((resp, lease)) => {
                node.health.mark_up();
                let resp = resp.map(|body| GateBody::pooled(body, lease));
                Ok(resp.status())
            }
            Err(e @ PoolError::Connect(_)) => {
                node.health.mark_down(&e.to_string());
                Err(e.into())
            }
            Err(e) => {
                node.health.count_error();
                Err(e.into())
            }
        }
    }

    /// A request to node `i` signed with the store's own key (header SigV4,
    /// `UNSIGNED-PAYLOAD`); `origin` is the encoded path and the canonical query.
    fn signed(
        &self,
        i: usize,
        method: http::Method,
        origin: Uri,
        mut headers: HeaderMap,
        body: GateBody,
        now: UnixTime,
    ) -> Result<Request<GateBody>, StoreError> {
        let (Some(node), Some(host_header)) = (self.target.nodes.get(i), self.host_headers.get(i)) else {
            return Err(StoreError::Build(format!("no store node {i}")));
        };
        let (host, path, canonical_query) = (&node.host, origin.path(), origin.query().unwrap_or(""));
        let signer = Signer {
            access_key_id: &self.target.access_key_id,
            secret: &self.target.secret,
            region: &self.target.region,
            service: "s3",
        };
        signer.sign_headers(method.as_str(), path, canonical_query, host, &mut headers, now, &self.keys);
        headers.insert(header::HOST, host_header.clone());
        // HTTP/1 connections take the path (origin form) on the request line; the store's
        // authority is in the Host header, which the signature covers.
        let mut req = Request::builder().method(method).uri(origin).version(http::Version::HTTP_11);
        if let Some(h) = req.headers_mut() {
            *h = headers;
        }
        req.body(body).map_err(|e| StoreError::Build(e.to_string()))
    }
}
