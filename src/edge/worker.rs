//! One worker thread: its listeners' accept loops, the PROXY header and TLS handshake of
//! each new connection, serving the connection under its idle timeout, and draining on
//! shutdown. See `server` for the thread-per-core design.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio_rustls::TlsAcceptor;

use crate::config::ProxyMode;
use crate::edge::gate::{ConnInfo, Gate};
use crate::edge::proxy_proto::{self, ProxyHeader, Rewind};
use crate::ops::activity::Activity;

/// How connections are handled, from `[server]`.
#[derive(Clone)]
pub(super) struct Settings {
    /// For the request head, and for the PROXY header before it.
    pub(super) header_read_timeout: std::time::Duration,
    pub(super) grace: std::time::Duration,
    pub(super) proxy_mode: ProxyMode,
    /// Set when the listeners speak TLS; a reload may swap the certificate.
    pub(super) tls: Option<Arc<ArcSwap<rustls::ServerConfig>>>,
    pub(super) tls_handshake_timeout: std::time::Duration,
    pub(super) idle_timeout: Duration,
    /// The request head's cap; the gate answers S3's error past it, and hyper's own buffer
    /// (twice as large, at least 32 KiB) closes the connection past that. The same size
    /// caps what a response queues toward a client that reads slowly.
    pub(super) max_header_bytes: usize,
}

/// Every connection of a worker holds one; the worker waits for all of them to be dropped
/// when it drains (the mini-redis shutdown pattern).
pub(super) type Live = mpsc::Sender<()>;

/// What every accept loop of a worker shares.
#[derive(Clone)]
struct Shared {
    gate: Arc<Gate>,
    conns: Arc<Conns>,
    live: Live,
    permits: Arc<Semaphore>,
    settings: Settings,
}

/// Serves `listeners` on this thread until `stop`, then drains for up to the grace period.
pub(super) async fn run(
    listeners: Vec<std::net::TcpListener>,
    gate: Gate,
    permits: Arc<Semaphore>,
    stop: watch::Receiver<bool>,
    settings: Settings,
) {
    crate::base::logbuf::buffer_this_thread();
    let flusher = tokio::spawn(async {
        let mut tick = tokio::time::interval(crate::base::logbuf::FLUSH_EVERY);
        loop {
            tick.tick().await;
            crate::base::logbuf::flush_thread();
        }
    });
    let mut builder = Builder::new(TokioExecutor::new());
    // Also the most a response queues for a client that does not read: with 1,000 stalled
    // downloads, every 32 KiB here is 32 MiB of the gate's memory.
    let hyper_head_cap = (2 * settings.max_header_bytes).max(32 * 1024);
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout)
        .max_buf_size(hyper_head_cap);
    builder.http2().timer(TokioTimer::new()).max_header_list_size(u32::try_from(hyper_head_cap).unwrap_or(u32::MAX));
    let conns = Arc::new(Conns { builder, stop: stop.clone(), idle_timeout: settings.idle_timeout });
    let (live, mut all_closed) = mpsc::channel::<()>(1);
    let grace = settings.grace;
    let shared = Shared { gate: Arc::new(gate), conns, live, permits, settings };

    let mut accepts = tokio::task::JoinSet::new();
    for std_listener in listeners {
        match TcpListener::from_std(std_listener) {
            Ok(listener) => drop(accepts.spawn(accept_loop(listener, shared.clone(), stop.clone()))),
            Err(e) => tracing::error!("cannot register a listener: {e}"),
        }
    }
    // Accept loops end on the stop signal; dropping their listeners closes the sockets.
    while accepts.join_next().await.is_some() {}

    // Every connection has been told to finish (see `Conns::serve`); each holds a `Live`
    // sender until it has closed. (A connection still reading its PROXY header or TLS
    // handshake holds one too, for at most its timeout.)
    drop(shared);
    tokio::select! {
        _ = all_closed.recv() => tracing::debug!("worker drained"),
        () = tokio::time::sleep(grace) => tracing::warn!("grace period over; closing the remaining connections"),
    }
    flusher.abort();
    crate::base::logbuf::flush_thread();
}

/// Accepts on one listener while a connection permit is free, until `stop`.
async fn accept_loop(listener: TcpListener, shared: Shared, mut stop: watch::Receiver<bool>) {
    let Ok(local) = listener.local_addr() else { return };
    let mut failing = AcceptFailures::default();
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&shared.permits).acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = stop.changed() => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    drop(permit);
                    let pause = failing.failed(&e, local, tokio::time::Instant::now());
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        _ = stop.changed() => break,
                    }
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        failing.pause = Duration::ZERO;
        let _ = stream.set_nodelay(true);
        let conn = ConnInfo::direct(peer, local);
        let reads_proxy = match shared.settings.proxy_mode {
            ProxyMode::Off => false,
            ProxyMode::Required => true,
            ProxyMode::Optional => shared.gate.is_trusted_proxy(peer.ip()),
        };
        let held = (permit, shared.live.clone());
        if !reads_proxy && shared.settings.tls.is_none() {
            shared.conns.serve(stream, conn, &shared.gate, held);
            continue;
        }
        // The PROXY header and the TLS handshake happen off the accept loop, each under
        // its own timeout.
        tokio::spawn(prelude_then_serve(stream, conn, reads_proxy, shared.clone(), held));
    }
}

/// Accept errors, paced and summarised. Out of file descriptors (or memory), `accept` fails
/// at once every time it is called: without a pause the loop would spin a core and write a
/// warning per spin (millions a second). So a failure waits 10 ms, doubling to 1 s while
/// failures continue, and a warning is written at most once a second with the count since.
#[derive(Default)]
struct AcceptFailures {
    pause: Duration,
    last_warned: Option<tokio::time::Instant>,
    unreported: u64,
}

impl AcceptFailures {
    /// Counts a failure; returns how long to wait before accepting again.
    fn failed(&mut self, e: &std::io::Error, local: std::net::SocketAddr, now: tokio::time::Instant) -> Duration {
        self.unreported += 1;
        if self.last_warned.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1)) {
            tracing::warn!("accept on {local} failed: {e} ({} failures since the last warning)", self.unreported);
            self.last_warned = Some(now);
            self.unreported = 0;
        }
        self.pause = (self.pause * 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
        self.pause
    }
}

/// Reads the PROXY header and completes the TLS handshake, as configured, then serves.
async fn prelude_then_serve(stream: TcpStream, conn: ConnInfo, reads_proxy: bool, shared: Shared, held: Held) {
    let Settings { proxy_mode, header_read_timeout, tls_handshake_timeout, .. } = shared.settings;
    let (stream, conn) = if reads_proxy {
        let required = proxy_mode == ProxyMode::Required;
        match read_proxy(stream, conn, required, header_read_timeout).await {
            Some(s) => s,
            None => return,
        }
    } else {
        (Rewind::new(bytes::Bytes::new(), stream), conn)
    };
    let Some(tls) = &shared.settings.tls else {
        shared.conns.serve(stream, conn, &shared.gate, held);
        return;
    };
    // The certificate current now: a reload affects new connections only.
    let acceptor = TlsAcceptor::from(tls.load_full());
    match tokio::time::timeout(tls_handshake_timeout, acceptor.accept(stream)).await {
        Ok(Ok(tls_stream)) => {
            let conn = ConnInfo { secure: true, ..conn };
            shared.conns.serve(tls_stream, conn, &shared.gate, held);
        }
        Ok(Err(e)) => tracing::debug!(peer = %conn.peer, "TLS handshake failed: {e}"),
        Err(_) => {
            tracing::debug!(peer = %conn.peer, "TLS handshake not done within {tls_handshake_timeout:?}");
        }
    }
}

/// A connection's permit and its worker's drain token, released when it closes.
type Held = (OwnedSemaphorePermit, Live);

/// Reads the PROXY header(s) of a new connection; `None` when it is closed unserved (the
/// log says why).
async fn read_proxy(
    mut stream: TcpStream,
    conn: ConnInfo,
    required: bool,
    timeout: std::time::Duration,
) -> Option<(Rewind<TcpStream>, ConnInfo)> {
    let peer = conn.peer;
    let accepted = match tokio::time::timeout(timeout, proxy_proto::read_headers(&mut stream, required)).await {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => {
            tracing::warn!(peer = %peer, "closing the connection unserved: {e}");
            return None;
        }
        Err(_) => {
            tracing::warn!(peer = %peer, "closing the connection unserved: no complete PROXY header within {timeout:?}");
            return None;
        }
    };
    if accepted.dropped > 0 {
        tracing::debug!(peer = %peer, "ignored {} further PROXY header(s) behind the first", accepted.dropped);
    }
    let conn = match accepted.header {
        Some(ProxyHeader { source: Some(sender), vpce }) => ConnInfo { sender, vpce, ..conn },
        Some(ProxyHeader { source: None, vpce }) => ConnInfo { vpce, ..conn },
        None => conn,
    };
    Some((Rewind::new(accepted.rest, stream), conn))
}

/// How long an idle connection asked to close may take to finish closing (no request is
/// in flight on it) before it is dropped.
const IDLE_CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// What a worker's connections share.
struct Conns {
    builder: Builder<TokioExecutor>,
    stop: watch::Receiver<bool>,
    idle_timeout: Duration,
}

impl Conns {
    /// Serves one connection on this worker until it closes: by the client, after
    /// `idle_timeout` with no request in flight, or when shutdown asks it to finish.
    /// `held` (the connection permit and the worker's drain token) is released at the end.
    fn serve<S>(&self, stream: S, conn: ConnInfo, gate: &Arc<Gate>, held: Held)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let gate = Arc::clone(gate);
        let activity = Activity::new();
        let service = {
            let activity = Arc::clone(&activity);
            service_fn(move |req| {
                let busy = activity.begin();
                let gate = Arc::clone(&gate);
                async move { Ok::<_, Infallible>(gate.handle(req, conn, Some(busy)).await) }
            })
        };
        let connection = self.builder.serve_connection(TokioIo::new(stream), service).into_owned();
        let (mut stop, idle_timeout) = (self.stop.clone(), self.idle_timeout);
        tokio::spawn(async move {
            tokio::pin!(connection);
            let mut closing = *stop.borrow_and_update();
            if closing {
                connection.as_mut().graceful_shutdown();
            }
            // Set when an idle connection is asked to close: HTTP/2's graceful close waits
            // for the client to answer a PING, and a client that never answers would hold its
            // connection (and its permit) forever.
            let mut cut_at: Option<tokio::time::Instant> = None;
            loop {
                tokio::select! {
                    r = connection.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(peer = %conn.peer, "connection ended: {e}");
                        }
                        break;
                    }
                    _ = stop.changed(), if !closing => {
                        closing = true;
                        connection.as_mut().graceful_shutdown();
                    }
                    () = activity.idle_for(idle_timeout), if !closing => {
                        tracing::debug!(peer = %conn.peer, "closing a connection idle for {idle_timeout:?}");
                        closing = true;
                        cut_at = Some(tokio::time::Instant::now() + IDLE_CLOSE_WAIT);
                        connection.as_mut().graceful_shutdown();
                    }
                    () = until(cut_at), if cut_at.is_some() => {
                        tracing::debug!(peer = %conn.peer, "cut: an idle connection did not close within {IDLE_CLOSE_WAIT:?}");
                        break;
                    }
                }
            }
            drop(held);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_failures_pause_doubling_to_a_second_and_warn_once_a_second() {
        let mut f = AcceptFailures::default();
        let local: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        let e = std::io::Error::from_raw_os_error(24); // EMFILE
        let start = tokio::time::Instant::now();
        let pauses: Vec<u128> = (0..10).map(|_| f.failed(&e, local, start).as_millis()).collect();
        assert_eq!(pauses, [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000]);
        // The first failure warned; the nine since wait for the next second.
        assert_eq!(f.unreported, 9);
        f.failed(&e, local, start + Duration::from_secs(1));
        assert_eq!(f.unreported, 0, "a second later, one warning with the count");
    }
}
