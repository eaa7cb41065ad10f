//! The embedded store: s3s-fs served in-process on a loopback port, so one command gives a
//! working gate. The gate reaches it over HTTP with its own freshly made credentials,
//! exactly as it reaches a remote store, so the forwarding path under test is the
//! production one.

use std::path::Path;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;

use crate::secret::SecretKey;
use crate::upstream::{StoreTarget, StoreTimeouts};

/// Makes the data directory and one directory per configured bucket (s3s-fs keeps each
/// bucket as a directory), then serves it. Returns where and how to reach it.
pub async fn start_embedded<'a>(
    data_dir: &Path,
    buckets: impl IntoIterator<Item = &'a str>,
    timeouts: StoreTimeouts,
) -> std::io::Result<StoreTarget> {
    // The directory itself, even when no bucket is configured yet.
    tokio::fs::create_dir_all(data_dir).await?;
    for b in buckets {
        tokio::fs::create_dir_all(data_dir.join(b)).await?;
    }
    let fs = s3s_fs::FileSystem::new(data_dir).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    let access_key_id = format!("EMBEDDED{:016X}", rand::random::<u64>());
    let secret = SecretKey::new(hex::encode(rand::random::<[u8; 20]>()));
    let service = {
        let mut b = S3ServiceBuilder::new(fs);
        b.set_auth(SimpleAuth::from_single(access_key_id.clone(), secret.expose().to_owned()));
        b.build()
    };
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let builder = Builder::new(TokioExecutor::new());
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let conn = builder.serve_connection(TokioIo::new(stream), service.clone()).into_owned();
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!("embedded store connection ended: {e}");
                }
            });
        }
    });
    let endpoint =
        format!("http://{addr}").parse().map_err(|e: http::uri::InvalidUri| std::io::Error::other(e.to_string()))?;
    StoreTarget::new(endpoint, "us-east-1".to_owned(), access_key_id, secret, None, timeouts)
        .map_err(std::io::Error::other)
}
