//! Listeners, workers, connections and shutdown.
//!
//! Thread per core: each worker thread runs its own single-threaded tokio runtime with its
//! own listening socket per address (`SO_REUSEPORT`, so the kernel spreads connections) and
//! its own connection pool to the store. A request, its client connection and its store
//! connection are all driven by one thread, so serving it never wakes another thread; on
//! a small Outpost instance that is the difference between proxy speed and a third less.
//!
//! Each connection is served by hyper-util's auto builder (HTTP/1.1, or HTTP/2 with prior
//! knowledge) under a connection cap shared by all workers, with a header-read timeout
//! against slowloris, a cap on the request head's size, and an idle timeout: a connection
//! with no request in flight for `idle_timeout` is closed gracefully. Shutdown: stop
//! accepting, ask every connection to finish what it is doing and close, give up after
//! the grace period. Connections reach `serve_connection` as generic streams, so a TLS
//! acceptor can wrap them without touching the request road.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, mpsc, watch};

use crate::config::{Config, ProxyMode, StoreKind};
use crate::gate::{ConnInfo, Gate};
use crate::proxy_proto::{self, ProxyHeader, Rewind};
use crate::store::start_embedded;
use crate::upstream::StoreTarget;
use arc_swap::ArcSwap;
use tokio_rustls::TlsAcceptor;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot start the embedded store: {0}")]
    Store(std::io::Error),
    #[error("cannot start a runtime: {0}")]
    Runtime(std::io::Error),
}

/// Runs the gate until SIGTERM or SIGINT, then drains. `on_listening` is told each bound
/// address once connections to it are accepted.
pub fn run(config: &Config, on_listening: impl Fn(SocketAddr)) -> Result<(), ServeError> {
    run_until(config, shutdown_signal(), on_listening)
}

/// As `run`, until `shutdown` resolves (it is polled on the control thread).
pub fn run_until(
    config: &Config,
    shutdown: impl Future<Output = ()>,
    on_listening: impl Fn(SocketAddr),
) -> Result<(), ServeError> {
    // The control runtime watches for shutdown and, when embedded, hosts the store.
    let control = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("outpost-gate-control")
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    let timeouts = config.store.timeouts;
    let store = match &config.store.kind {
        StoreKind::Embedded { data_dir } => control
            .block_on(start_embedded(data_dir, config.buckets.keys().map(String::as_str), timeouts))
            .map_err(ServeError::Store)?,
        StoreKind::S3 { endpoint, region, access_key_id, secret, tls } => StoreTarget::new(
            endpoint.clone(),
            region.clone(),
            access_key_id.clone(),
            secret.clone(),
            tls.clone(),
            timeouts,
        )
        .map_err(|e| ServeError::Store(std::io::Error::other(e)))?,
    };
    crate::access::set_format(config.log_format);

    let workers = config.server.workers;
    let (listeners, bound) = bind_all(&config.server.listen, workers)?;
    let gate = Gate::new(config, store);
    let swap = crate::reload::Swappable {
        state: gate.state(),
        tls: config.server.tls.as_ref().map(|t| Arc::new(ArcSwap::new(Arc::clone(&t.config)))),
    };
    let permits = Arc::new(Semaphore::new(config.server.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let settings = Settings {
        header_read_timeout: config.server.header_read_timeout,
        grace: config.server.shutdown_grace,
        proxy_mode: config.server.proxy_protocol,
        tls: swap.tls.clone(),
        tls_handshake_timeout: config.server.tls_handshake_timeout,
        idle_timeout: config.server.idle_timeout,
        max_header_bytes: config.server.max_header_bytes,
    };
    let grace = settings.grace;

    let mut threads = Vec::with_capacity(workers);
    for (i, worker_listeners) in listeners.into_iter().enumerate() {
        let gate = gate.for_worker();
        let (permits, stop, settings) = (Arc::clone(&permits), stop_rx.clone(), settings.clone());
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(ServeError::Runtime)?;
        let thread = std::thread::Builder::new()
            .name(format!("outpost-gate-{i}"))
            .spawn(move || {
                rt.block_on(worker(worker_listeners, gate, permits, stop, settings));
            })
            .map_err(ServeError::Runtime)?;
        threads.push(thread);
    }
    if let Some(admin) = config.admin {
        let listener = control
            .block_on(tokio::net::TcpListener::bind(admin))
            .map_err(|source| ServeError::Bind { addr: admin, source })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Bind { addr: admin, source })?;
        control.spawn(crate::metrics::serve_admin(listener, gate.readiness()));
        println!("admin listening on http://{addr}");
    }
    for addr in bound {
        on_listening(addr);
    }
    crate::sd_notify::ready();

    // SIGHUP: reload, on the control thread, while the workers serve.
    let (path, running) = (config.source.clone(), crate::reload::FixedAtStart::of(config));
    control.spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let Ok(mut hup) = signal(SignalKind::hangup()) else { return };
            while hup.recv().await.is_some() {
                tracing::info!("SIGHUP: reloading {}", path.display());
                // Reading files and compiling policies is blocking work.
                let _ = tokio::task::block_in_place(|| crate::reload::reload(&path, &running, &swap));
            }
        }
    });
    control.block_on(shutdown);
    tracing::info!("shutting down: no new connections; draining for up to {grace:?}");
    let _ = stop_tx.send(true);
    for t in threads {
        let _ = t.join();
    }
    Ok(())
}

/// How connections are handled, from `[server]`.
#[derive(Clone)]
struct Settings {
    /// For the request head, and for the PROXY header before it.
    header_read_timeout: std::time::Duration,
    grace: std::time::Duration,
    proxy_mode: ProxyMode,
    /// Set when the listeners speak TLS; a reload may swap the certificate.
    tls: Option<Arc<ArcSwap<rustls::ServerConfig>>>,
    tls_handshake_timeout: std::time::Duration,
    idle_timeout: Duration,
    /// The request head's cap; the gate answers S3's error past it, and hyper's own buffer
    /// (twice as large, at least 64 KiB) closes the connection past that.
    max_header_bytes: usize,
}

/// Every connection of a worker holds one; the worker waits for all of them to be dropped
/// when it drains (the mini-redis shutdown pattern).
type Live = mpsc::Sender<()>;

/// A connection's requests in flight and when the last one ended, for its idle timeout.
struct Activity {
    in_flight: AtomicUsize,
    /// Milliseconds after `epoch`.
    last_end_ms: AtomicU64,
    became_idle: Notify,
    epoch: Instant,
}

/// Held by a request from arrival to the end of its response body (it travels inside the
/// body, see `body::Logged`), so a long download is never mistaken for an idle connection.
pub struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let a = &self.0;
        a.last_end_ms.store(millis(a.epoch.elapsed()), Ordering::Relaxed);
        if a.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            a.became_idle.notify_waiters();
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Activity {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            in_flight: AtomicUsize::new(0),
            last_end_ms: AtomicU64::new(0),
            became_idle: Notify::new(),
            epoch: Instant::now(),
        })
    }

    fn begin(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        Busy(Arc::clone(self))
    }

    /// Resolves once the connection has had no request in flight for `timeout`.
    async fn idle_for(&self, timeout: Duration) {
        loop {
            let became_idle = self.became_idle.notified();
            tokio::pin!(became_idle);
            became_idle.as_mut().enable();
            if self.in_flight.load(Ordering::Acquire) > 0 {
                became_idle.await;
                continue;
            }
            let idle_since = Duration::from_millis(self.last_end_ms.load(Ordering::Relaxed));
            let deadline = self.epoch + idle_since + timeout;
            if Instant::now() >= deadline {
                return;
            }
            // Requests may come and go meanwhile: look again at the deadline.
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

/// One listening socket per worker per address, all sharing the port (`SO_REUSEPORT`). A
/// configured port 0 is resolved by the first bind and reused by the rest.
type Bound = (Vec<Vec<std::net::TcpListener>>, Vec<SocketAddr>);

fn bind_all(addrs: &[SocketAddr], workers: usize) -> Result<Bound, ServeError> {
    let mut per_worker: Vec<Vec<std::net::TcpListener>> = (0..workers).map(|_| Vec::new()).collect();
    let mut bound = Vec::with_capacity(addrs.len());
    for &configured in addrs {
        let mut addr = configured;
        for slot in &mut per_worker {
            let l = bind_one(addr).map_err(|source| ServeError::Bind { addr: configured, source })?;
            addr = l.local_addr().map_err(|source| ServeError::Bind { addr: configured, source })?;
            slot.push(l);
        }
        bound.push(addr);
    }
    Ok((per_worker, bound))
}

fn bind_one(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

async fn worker(
    listeners: Vec<std::net::TcpListener>,
    gate: Gate,
    permits: Arc<Semaphore>,
    stop: watch::Receiver<bool>,
    settings: Settings,
) {
    let Settings { header_read_timeout, grace, proxy_mode, tls, tls_handshake_timeout, idle_timeout, max_header_bytes } =
        settings;
    let gate = Arc::new(gate);
    crate::logbuf::buffer_this_thread();
    let flusher = tokio::spawn(async {
        let mut tick = tokio::time::interval(crate::logbuf::FLUSH_EVERY);
        loop {
            tick.tick().await;
            crate::logbuf::flush_thread();
        }
    });
    let mut builder = Builder::new(TokioExecutor::new());
    let hyper_head_cap = (2 * max_header_bytes).max(64 * 1024);
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_read_timeout).max_buf_size(hyper_head_cap);
    builder.http2().timer(TokioTimer::new()).max_header_list_size(u32::try_from(hyper_head_cap).unwrap_or(u32::MAX));
    let conns = Arc::new(Conns { builder, stop: stop.clone(), idle_timeout });
    let (live, mut all_closed) = mpsc::channel::<()>(1);

    let mut accepts = tokio::task::JoinSet::new();
    for std_listener in listeners {
        let listener = match TcpListener::from_std(std_listener) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("cannot register a listener: {e}");
                continue;
            }
        };
        let (gate, conns, live, permits, mut stop, tls) =
            (Arc::clone(&gate), Arc::clone(&conns), live.clone(), Arc::clone(&permits), stop.clone(), tls.clone());
        accepts.spawn(async move {
            let Ok(local) = listener.local_addr() else { return };
            loop {
                let permit = tokio::select! {
                    p = Arc::clone(&permits).acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                    _ = stop.changed() => break,
                };
                let (stream, peer) = tokio::select! {
                    r = listener.accept() => match r {
                        Ok(s) => s,
                        Err(e) => {
                            tracing::warn!("accept on {local} failed: {e}");
                            continue;
                        }
                    },
                    _ = stop.changed() => break,
                };
                let _ = stream.set_nodelay(true);
                let conn = ConnInfo::direct(peer, local);
                let reads_proxy = match proxy_mode {
                    ProxyMode::Off => false,
                    ProxyMode::Required => true,
                    ProxyMode::Optional => gate.is_trusted_proxy(peer.ip()),
                };
                let held = (permit, live.clone());
                if !reads_proxy && tls.is_none() {
                    conns.serve(stream, conn, &gate, held);
                    continue;
                }
                // The PROXY header and the TLS handshake happen off the accept loop, each
                // under its own timeout.
                let (gate, conns, tls) = (Arc::clone(&gate), Arc::clone(&conns), tls.clone());
                tokio::spawn(async move {
                    let (stream, conn) = if reads_proxy {
                        let required = proxy_mode == ProxyMode::Required;
                        match read_proxy(stream, conn, required, header_read_timeout).await {
                            Some(s) => s,
                            None => return,
                        }
                    } else {
                        (Rewind::new(bytes::Bytes::new(), stream), conn)
                    };
                    let Some(tls) = tls else {
                        conns.serve(stream, conn, &gate, held);
                        return;
                    };
                    // The certificate current now: a reload affects new connections only.
                    let acceptor = TlsAcceptor::from(tls.load_full());
                    match tokio::time::timeout(tls_handshake_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => {
                            let conn = ConnInfo { secure: true, ..conn };
                            conns.serve(tls_stream, conn, &gate, held);
                        }
                        Ok(Err(e)) => tracing::debug!(peer = %peer, "TLS handshake failed: {e}"),
                        Err(_) => {
                            tracing::debug!(peer = %peer, "TLS handshake not done within {tls_handshake_timeout:?}");
                        }
                    }
                });
            }
        });
    }
    // Accept loops end on the stop signal; dropping their listeners closes the sockets.
    while accepts.join_next().await.is_some() {}

    // Every connection has been told to finish (see `Conns::serve`); each holds a `Live`
    // sender until it has closed. (A connection still reading its PROXY header or TLS
    // handshake holds one too, for at most its timeout.)
    drop(live);
    drop(conns);
    tokio::select! {
        _ = all_closed.recv() => tracing::debug!("worker drained"),
        () = tokio::time::sleep(grace) => tracing::warn!("grace period over; closing the remaining connections"),
    }
    flusher.abort();
    crate::logbuf::flush_thread();
}

/// Reads the PROXY header(s) of a new connection; `None` when it is closed unserved (the
/// log says why).
async fn read_proxy(
    mut stream: tokio::net::TcpStream,
    conn: ConnInfo,
    required: bool,
    timeout: std::time::Duration,
) -> Option<(Rewind<tokio::net::TcpStream>, ConnInfo)> {
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
    fn serve<S>(&self, stream: S, conn: ConnInfo, gate: &Arc<Gate>, held: (tokio::sync::OwnedSemaphorePermit, Live))
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
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(held);
        });
    }
}

/// SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
