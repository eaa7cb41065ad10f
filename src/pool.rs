//! One worker's connections to the store: HTTP/1.1 senders kept warm and reused.
//!
//! Each worker owns its pool, and a connection's I/O task runs on the worker that made it,
//! so a request and the store connection it uses never involve another thread. A sender
//! goes back to the pool only when the store's response body has been read to its end
//! (`Lease`, released by the body); a body cut short closes its connection instead, so no
//! half-read response can ever be handed to the next request. Nothing is retried: the
//! request body is streamed, so a request cannot be sent twice.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;

use crate::body::GateBody;

/// Idle connections kept per worker; more are closed when released.
const MAX_IDLE: usize = 256;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct StorePool {
    /// `host:port` of the store.
    addr: String,
    idle: Mutex<Vec<SendRequest<GateBody>>>,
}

/// A sender on loan to one response body.
pub struct Lease {
    sender: SendRequest<GateBody>,
    pool: Arc<StorePool>,
}

impl Lease {
    /// The response was read to its end: the connection can serve the next request.
    pub fn release(self) {
        if let Ok(mut idle) = self.pool.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(self.sender);
        }
    }
}

impl StorePool {
    pub fn new(addr: String) -> Arc<Self> {
        Arc::new(Self { addr, idle: Mutex::new(Vec::new()) })
    }

    /// Sends `req` on an idle connection, or a new one. The response carries the lease.
    pub async fn send(self: &Arc<Self>, req: Request<GateBody>) -> Result<Response<GateBody>, PoolError> {
        let mut sender = loop {
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
        let resp = sender.send_request(req).await.map_err(|e| PoolError::Send(error_chain(&e)))?;
        let lease = Lease { sender, pool: Arc::clone(self) };
        Ok(resp.map(|body: Incoming| GateBody::pooled(body, lease)))
    }

    async fn connect(&self) -> Result<SendRequest<GateBody>, PoolError> {
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(&self.addr))
            .await
            .map_err(|_| PoolError::Connect(format!("{}: connect timed out", self.addr)))?
            .map_err(|e| PoolError::Connect(format!("{}: {e}", self.addr)))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) =
            http1::handshake(TokioIo::new(stream)).await.map_err(|e| PoolError::Connect(error_chain(&e)))?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("store connection ended: {e}");
            }
        });
        Ok(sender)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("cannot connect to the store: {0}")]
    Connect(String),
    #[error("the store request failed: {0}")]
    Send(String),
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
