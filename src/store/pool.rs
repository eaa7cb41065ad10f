//! One worker's connections to the store: HTTP/1.1 senders kept warm and reused, over TCP
//! or TLS (an `https://` store endpoint).
//!
//! Each worker owns its pool, and a connection's I/O task runs on the worker that made it,
//! so a request and the store connection it uses never involve another thread. A sender
//! goes back to the pool only when the store's response body has been read to its end
//! (`Lease`, released by the body); a body cut short closes its connection instead, so no
//! half-read response can ever be handed to the next request. Nothing is retried: the
//! request body is streamed, so a request cannot be sent twice.
//!
//! Two timeouts guard against a store that stops answering: connecting (TCP and TLS
//! handshake together), and the first byte of the answer, counted from when the request
//! body has been sent in full, so a slow upload is never cut by it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;

/// Idle connections kept per worker; more are closed when released.
const MAX_IDLE: usize = 256;

/// The most one read from a store connection takes, and so the largest piece of a
/// response body in flight. hyper's default grows its reads up to 400 KiB on a fast store,
/// and a piece a stalled client has not taken pins its whole read buffer, so the cap bounds
/// what a stalled download holds. Reads start at 8 KiB and grow to the cap only while the
/// store fills them (a large download); 16 KiB cost 512 MiB downloads about a fifth of
/// their speed, 32 KiB matches the queue toward a client. A store's response head must fit
/// in it (S3's are a few KiB; user metadata is capped at 2 KiB); a larger one fails as a
/// store error (503).
const STORE_READ: usize = 32 * 1024;

/// How to reach one store node.
#[derive(Clone)]
pub struct Dial {
    /// `host:port`.
    pub addr: String,
    /// The node's endpoint as configured, for its metrics.
    pub label: String,
    /// Set for an `https://` endpoint: the verifier's configuration and the name to verify.
    pub tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
}

impl std::fmt::Debug for Dial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dial")
            .field("addr", &self.addr)
            .field("label", &self.label)
            .field("tls", &self.tls.is_some())
            .field("connect_timeout", &self.connect_timeout)
            .field("first_byte_timeout", &self.first_byte_timeout)
            .finish()
    }
}

/// Generic over the request body type `B`, so the pool knows nothing of the bodies that
/// use it.
pub struct StorePool<B> {
    dial: Dial,
    idle: Mutex<Vec<SendRequest<B>>>,
}

/// What a request body must be for hyper's client.
pub trait SendBody:
    http_body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>> + Send + Unpin + 'static
{
}

impl<B> SendBody for B where
    B: http_body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>> + Send + Unpin + 'static
{
}

/// A sender on loan to one response body.
pub struct Lease<B> {
    sender: SendRequest<B>,
    pool: Arc<StorePool<B>>,
}

impl<B> Lease<B> {
    /// The response was read to its end: the connection can serve the next request.
    pub fn release(self) {
        if let Ok(mut idle) = self.pool.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(self.sender);
        }
    }
}

impl<B: SendBody> StorePool<B> {
    pub fn new(dial: Dial) -> Arc<Self> {
        Arc::new(Self { dial, idle: Mutex::new(Vec::new()) })
    }

    /// Sends `req` on an idle connection, or a new one, and lends that connection to the
    /// response. `body_sent` resolves when the request body has been sent in full, which
    /// starts the first-byte timeout.
    pub async fn send(
        self: &Arc<Self>,
        req: Request<B>,
        body_sent: impl Future<Output = ()>,
    ) -> Result<(Response<Incoming>, Lease<B>), PoolError> {
        self.ready().await?.send(req, body_sent).await
    }

    /// A connection ready for a request: an idle one, or a new one. Nothing of a request
    /// has been sent yet, so a caller may try another node when this fails.
    pub async fn ready(self: &Arc<Self>) -> Result<Ready<B>, PoolError> {
        let sender = loop {
            let candidate = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            match candidate {
                // A connection the store has closed meanwhile fails `ready` and is dropped.
                Some(mut s) => {
                    if s.ready().await.is_ok() {
                        break s;
                    }
                }
                None => break self.connect().await?,
            }
        };
        Ok(Ready { sender, pool: Arc::clone(self) })
    }

    async fn connect(&self) -> Result<SendRequest<B>, PoolError> {
        let Dial { addr, label, tls, connect_timeout, .. } = &self.dial;
        let timed_out = || PoolError::Connect(format!("{addr}: connect timed out after {connect_timeout:?}"));
        tokio::time::timeout(*connect_timeout, async {
            let stream =
                tokio::net::TcpStream::connect(addr).await.map_err(|e| PoolError::Connect(format!("{addr}: {e}")))?;
            let _ = stream.set_nodelay(true);
            match tls {
                None => handshake(stream, label).await,
                Some((config, name)) => {
                    let connector = tokio_rustls::TlsConnector::from(Arc::clone(config));
                    let stream = connector
                        .connect(name.clone(), stream)
                        .await
                        .map_err(|e| PoolError::Connect(format!("{addr}: TLS: {e}")))?;
                    handshake(stream, label).await
                }
            }
        })
        .await
        .map_err(|_| timed_out())?
    }
}

/// A connection taken from the pool, not yet used.
pub struct Ready<B> {
    sender: SendRequest<B>,
    pool: Arc<StorePool<B>>,
}

impl<B: SendBody> Ready<B> {
    /// See [`StorePool::send`].
    pub async fn send(
        mut self,
        req: Request<B>,
        body_sent: impl Future<Output = ()>,
    ) -> Result<(Response<Incoming>, Lease<B>), PoolError> {
        let limit = self.pool.dial.first_byte_timeout;
        let deadline = async {
            body_sent.await;
            tokio::time::sleep(limit).await;
        };
        let resp = tokio::select! {
            r = self.sender.send_request(req) => r.map_err(|e| PoolError::Send(error_chain(&e)))?,
            () = deadline => return Err(PoolError::FirstByteTimeout(limit)),
        };
        Ok((resp, Lease { sender: self.sender, pool: self.pool }))
    }
}

/// An HTTP/1.1 client connection over `io`, its I/O driven by a task on this worker and
/// counted open in the node's metrics while it lasts.
async fn handshake<T, B: SendBody>(io: T, label: &str) -> Result<SendRequest<B>, PoolError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = http1::Builder::new()
        .max_buf_size(STORE_READ)
        .handshake(TokioIo::new(io))
        .await
        .map_err(|e| PoolError::Connect(error_chain(&e)))?;
    let open = crate::base::metrics::global()
        .store_node_connections
        .get_or_create(&crate::base::metrics::NodeLabels { node: label.to_owned() })
        .clone();
    open.inc();
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!("store connection ended: {e}");
        }
        open.dec();
    });
    Ok(sender)
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("cannot connect to the store: {0}")]
    Connect(String),
    #[error("the store request failed: {0}")]
    Send(String),
    #[error("the store sent no answer within {0:?}")]
    FirstByteTimeout(Duration),
}

/// An error with its sources, for the log.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
