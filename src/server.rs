//! Listeners, connections and shutdown.
//!
//! Each listener accepts under a shared connection cap; each connection is served by
//! hyper-util's auto builder (HTTP/1.1, or HTTP/2 with prior knowledge), with a header-read
//! timeout against slowloris. Shutdown is hyper-util's graceful way: stop accepting, let
//! in-flight requests finish, and give up after the grace period. Connections arrive as
//! plain TCP streams behind one generic `serve_connection`, so a TLS acceptor can wrap
//! them without touching the request road.

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
use tokio::sync::Semaphore;

use crate::config::{Config, StoreConfig};
use crate::gate::{ConnInfo, Gate};
use crate::store::start_embedded;
use crate::upstream::StoreTarget;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the embedded store: {0}")]
    Store(std::io::Error),
}

/// Runs the gate until `shutdown` resolves, then drains. `on_listening` is told each bound
/// address once it accepts connections.
pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()>,
    on_listening: impl Fn(SocketAddr),
) -> Result<(), ServeError> {
    let store = match &config.store {
        StoreConfig::Embedded { data_dir } => {
            start_embedded(data_dir, config.buckets.keys().map(String::as_str))
                .await
                .map_err(ServeError::Store)?
        }
        StoreConfig::S3 {
            endpoint,
            region,
            access_key_id,
            secret,
        } => StoreTarget {
            endpoint: endpoint.clone(),
            region: region.clone(),
            access_key_id: access_key_id.clone(),
            secret: secret.clone(),
        },
    };
    let gate = Arc::new(Gate::new(&config, store));

    let mut listeners = Vec::new();
    for addr in &config.server.listen {
        let l = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind {
                addr: *addr,
                source,
            })?;
        let local = l.local_addr().map_err(|source| ServeError::Bind {
            addr: *addr,
            source,
        })?;
        listeners.push((l, local));
    }

    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.server.header_read_timeout);
    let builder = Arc::new(builder);
    // Shared by the accept tasks, which each hand a watcher to every new connection.
    let graceful = Arc::new(GracefulShutdown::new());
    let permits = Arc::new(Semaphore::new(config.server.max_connections));

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut accept_tasks = Vec::new();
    for (listener, local) in listeners {
        on_listening(local);
        let (gate, builder, graceful, permits, mut stop) = (
            Arc::clone(&gate),
            Arc::clone(&builder),
            Arc::clone(&graceful),
            Arc::clone(&permits),
            stop_rx.clone(),
        );
        accept_tasks.push(tokio::spawn(async move {
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
                serve_connection(stream, ConnInfo { peer, local }, &gate, &builder, &graceful, permit);
            }
        }));
    }

    shutdown.await;
    tracing::info!(
        "shutting down: no new connections; draining for up to {:?}",
        config.server.shutdown_grace
    );
    let _ = stop_tx.send(true);
    for t in accept_tasks {
        let _ = t.await;
    }
    // The accept tasks have ended, so this is the last handle.
    let drained = async move {
        match Arc::try_unwrap(graceful) {
            Ok(g) => g.shutdown().await,
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = drained => tracing::info!("all connections drained"),
        () = tokio::time::sleep(config.server.shutdown_grace) => tracing::warn!("grace period over; closing the remaining connections"),
    }
    Ok(())
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
    let conn_fut = graceful.watch(
        builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned(),
    );
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
