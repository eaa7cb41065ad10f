//! Listeners, workers, connections and shutdown.
//!
//! Thread per core: each worker thread runs its own single-threaded tokio runtime with its
//! own listening socket per address (`SO_REUSEPORT`, so the kernel spreads connections) and
//! its own connection pool to the store. A request, its client connection and its store
//! connection are all driven by one thread, so serving it never wakes another thread; on
//! a small Outpost instance that is the difference between proxy speed and a third less.
//!
//! Each connection is served by hyper-util's auto builder (HTTP/1.1, or HTTP/2 with prior
//! knowledge) with a header-read timeout against slowloris, under a connection cap shared
//! by all workers. Shutdown is hyper-util's graceful way: stop accepting, let in-flight
//! requests finish, give up after the grace period. Connections reach `serve_connection`
//! as generic streams, so a TLS acceptor can wrap them without touching the request road.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::config::{Config, ProxyMode, StoreConfig};
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
    let store = match &config.store {
        StoreConfig::Embedded { data_dir } => control
            .block_on(start_embedded(data_dir, config.buckets.keys().map(String::as_str)))
            .map_err(ServeError::Store)?,
        StoreConfig::S3 { endpoint, region, access_key_id, secret } => StoreTarget {
            endpoint: endpoint.clone(),
            region: region.clone(),
            access_key_id: access_key_id.clone(),
            secret: secret.clone(),
        },
    };

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
        let store_addr: Arc<str> = gate.store_addr().into();
        control.spawn(crate::metrics::serve_admin(listener, store_addr));
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
    let Settings { header_read_timeout, grace, proxy_mode, tls, tls_handshake_timeout } = settings;
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
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    let builder = Arc::new(builder);
    let graceful = Arc::new(GracefulShutdown::new());

    let mut accepts = tokio::task::JoinSet::new();
    for std_listener in listeners {
        let listener = match TcpListener::from_std(std_listener) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("cannot register a listener: {e}");
                continue;
            }
        };
        let (gate, builder, graceful, permits, mut stop, tls) = (
            Arc::clone(&gate),
            Arc::clone(&builder),
            Arc::clone(&graceful),
            Arc::clone(&permits),
            stop.clone(),
            tls.clone(),
        );
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
                if !reads_proxy && tls.is_none() {
                    serve_connection(stream, conn, &gate, &builder, &graceful, permit);
                    continue;
                }
                // The PROXY header and the TLS handshake happen off the accept loop, each
                // under its own timeout.
                let (gate, builder, graceful, tls) =
                    (Arc::clone(&gate), Arc::clone(&builder), Arc::clone(&graceful), tls.clone());
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
                        serve_connection(stream, conn, &gate, &builder, &graceful, permit);
                        return;
                    };
                    // The certificate current now: a reload affects new connections only.
                    let acceptor = TlsAcceptor::from(tls.load_full());
                    match tokio::time::timeout(tls_handshake_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => {
                            let conn = ConnInfo { secure: true, ..conn };
                            serve_connection(tls_stream, conn, &gate, &builder, &graceful, permit);
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

    // The accept loops have ended; a connection still reading its PROXY header may hold a
    // handle for a moment (at most the header timeout).
    let drained = async move {
        let mut graceful = graceful;
        loop {
            match Arc::try_unwrap(graceful) {
                Ok(g) => break g.shutdown().await,
                Err(still_shared) => {
                    graceful = still_shared;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
        }
    };
    tokio::select! {
        () = drained => tracing::debug!("worker drained"),
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

fn serve_connection<S>(
    stream: S,
    conn: ConnInfo,
    gate: &Arc<Gate>,
    builder: &Builder<TokioExecutor>,
    graceful: &GracefulShutdown,
    permit: tokio::sync::OwnedSemaphorePermit,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let gate = Arc::clone(gate);
    let service = service_fn(move |req| {
        let gate = Arc::clone(&gate);
        async move { Ok::<_, Infallible>(gate.handle(req, conn).await) }
    });
    let conn_fut = graceful.watch(builder.serve_connection(TokioIo::new(stream), service).into_owned());
    tokio::spawn(async move {
        if let Err(e) = conn_fut.await {
            tracing::debug!(peer = %conn.peer, "connection ended: {e}");
        }
        drop(permit);
    });
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
