//! Starting the gate: the store, the listeners, one worker thread per core (`worker`),
//! the admin listener and SIGHUP reloads; then shutdown.
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

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio::sync::{Semaphore, watch};

use crate::config::{Config, StoreKind};
use crate::edge::gate::Gate;
use crate::edge::worker;
use crate::store::embedded::start_embedded_for;
use crate::store::upstream::StoreTarget;

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
    // The embedded store reads its files on this runtime's blocking threads: a burst of
    // downloads queues for a bounded set of them rather than starting hundreds that stay.
    let control = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(64)
        .thread_name("outpost-gate-control")
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    let store = control.block_on(store_target(config))?;
    crate::ops::access::set_format(config.log_format);

    let workers = config.server.workers;
    let (listeners, bound) = bind_all(&config.server.listen, workers)?;
    let gate = Gate::new(config, store);
    let swap = crate::ops::reload::Swappable {
        state: gate.state(),
        tls: config.server.tls.as_ref().map(|t| Arc::new(ArcSwap::new(Arc::clone(&t.config)))),
    };
    let permits = Arc::new(Semaphore::new(config.server.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let settings = settings(config, swap.tls.clone());
    let grace = settings.grace;

    let mut threads = Vec::with_capacity(workers);
    for (i, worker_listeners) in listeners.into_iter().enumerate() {
        let gate = gate.for_worker();
        let (permits, stop, settings) = (Arc::clone(&permits), stop_rx.clone(), settings.clone());
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(ServeError::Runtime)?;
        let thread = std::thread::Builder::new()
            .name(format!("outpost-gate-{i}"))
            .spawn(move || {
                rt.block_on(worker::run(worker_listeners, gate, permits, stop, settings));
            })
            .map_err(ServeError::Runtime)?;
        threads.push(thread);
    }
    // Store nodes marked down are probed in the background, admin listener or not.
    control.spawn(crate::edge::admin::watch_store_nodes(gate.readiness()));
    if let Some(admin) = config.admin {
        let addr = start_admin(&control, admin, &gate)?;
        println!("admin listening on http://{addr}");
    }
    for addr in bound {
        on_listening(addr);
    }
    crate::ops::sd_notify::ready();

    // SIGHUP: reload, on the control thread, while the workers serve.
    let (path, running) = (config.source.clone(), crate::ops::reload::FixedAtStart::of(config));
    control.spawn(reload_on_hangup(path, running, swap));
    control.block_on(shutdown);
    tracing::info!("shutting down: no new connections; draining for up to {grace:?}");
    let _ = stop_tx.send(true);
    for t in threads {
        let _ = t.join();
    }
    Ok(())
}

/// One worker, serving `listener` on the calling thread until `stop` resolves: the same
/// worker, gate and store client as `run`, without the control thread, reloads or TLS
/// swaps. For measuring the request path as it runs (`tests/allocations.rs` counts what
/// one presigned GET allocates on the thread that serves it).
pub fn serve_one_worker(
    config: &Config,
    listener: std::net::TcpListener,
    stop: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(ServeError::Runtime)?;
    let store = rt.block_on(store_target(config))?;
    let tls = config.server.tls.as_ref().map(|t| Arc::new(ArcSwap::new(Arc::clone(&t.config))));
    let gate = Gate::new(config, store).for_worker();
    let permits = Arc::new(Semaphore::new(config.server.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    rt.block_on(async {
        let serving = worker::run(vec![listener], gate, permits, stop_rx, settings(config, tls));
        let stopping = async {
            stop.await;
            let _ = stop_tx.send(true);
        };
        tokio::join!(serving, stopping);
    });
    Ok(())
}

/// How the workers handle connections, from `[server]`.
fn settings(config: &Config, tls: Option<Arc<ArcSwap<rustls::ServerConfig>>>) -> worker::Settings {
    worker::Settings {
        header_read_timeout: config.server.header_read_timeout,
        grace: config.server.shutdown_grace,
        proxy_mode: config.server.proxy_protocol,
        tls,
        tls_handshake_timeout: config.server.tls_handshake_timeout,
        idle_timeout: config.server.idle_timeout,
        max_header_bytes: config.server.max_header_bytes,
    }
}

/// The store the workers forward to: the embedded one, started here, or the configured one.
async fn store_target(config: &Config) -> Result<StoreTarget, ServeError> {
    let timeouts = config.store.timeouts;
    match &config.store.kind {
        StoreKind::Embedded { data_dir } => {
            let buckets = config.buckets.keys().map(String::as_str);
            start_embedded_for(data_dir, buckets, timeouts, config.server.max_header_bytes)
                .await
                .map_err(ServeError::Store)
        }
        StoreKind::S3 { endpoints, region, access_key_id, secret, tls } => {
            StoreTarget::new(endpoints, region.clone(), access_key_id.clone(), secret.clone(), tls.as_ref(), timeouts)
                .map_err(|e| ServeError::Store(std::io::Error::other(e)))
        }
    }
}

/// Binds the admin listener and serves it on the control runtime.
fn start_admin(control: &tokio::runtime::Runtime, admin: SocketAddr, gate: &Gate) -> Result<SocketAddr, ServeError> {
    let listener = control
        .block_on(tokio::net::TcpListener::bind(admin))
        .map_err(|source| ServeError::Bind { addr: admin, source })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Bind { addr: admin, source })?;
    control.spawn(crate::edge::admin::serve_admin(listener, gate.readiness()));
    Ok(addr)
}

/// Reloads the configuration on each SIGHUP (reading files and compiling policies is
/// blocking work, so it runs on the control thread, never a worker).
#[allow(clippy::unused_async)] // the signal stream exists on unix only
async fn reload_on_hangup(
    path: std::path::PathBuf,
    running: crate::ops::reload::FixedAtStart,
    swap: crate::ops::reload::Swappable,
) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else { return };
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading {}", path.display());
            let _ = tokio::task::block_in_place(|| crate::ops::reload::reload(&path, &running, &swap));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, running, swap);
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
