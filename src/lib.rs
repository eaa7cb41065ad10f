//! outpost-gate: a verifying reverse proxy for S3 on Outposts presigned URLs, in front of
//! any S3-compatible store.
//!
//! # Layout
//!
//! In the order a request meets them:
//!
//! - [`server`]: listeners, connections, limits, graceful shutdown.
//! - [`tls`]: TLS toward clients (rustls), built once at load.
//! - [`proxy_proto`]: PROXY protocol v2 headers from a load balancer (pure parser, and the
//!   reading around it).
//! - [`network`]: the client behind proxies (`X-Forwarded-For`) and its VPC, if any.
//! - [`gate`]: the request road, classify → authenticate → authorize → forward; the one
//!   place refusals become S3 XML and the one log line per request.
//! - [`guard`]: whatever the store could read another way than the gate (dot segments,
//!   empty segments, `Connection`-named headers, repeated parameters) is refused first.
//! - [`classify`]: addressing (path, virtual host, Outposts access points), the action, the
//!   resource ARN, and the query and copy source the store will get.
//! - [`sigv4`]: presigned SigV4 and SigV4a parsing, canonicalization, verification (pure,
//!   with the derived-key and verified-signature caches) and signing.
//! - [`decide`]: classify → authenticate → the facts policies read → authorize, with no
//!   store in sight (shared by `serve` and `explain`).
//! - [`credentials`]: access keys → principals, with the signing-key cache.
//! - [`sts`]: session tokens (sealed, stateless), the STS API at `POST /`, minting.
//! - [`authorize`]: identity, bucket and access point policies combined as S3 does.
//! - [`policy`]: the IAM policy grammar and every condition operator, compiled once,
//!   evaluated without allocating.
//! - [`explain`]: a decision's trace in words, for `explain` and the debug log.
//! - [`upstream`]: re-signing toward the store and streaming both ways.
//! - [`pool`]: each worker's warm HTTP/1.1 connections to the store.
//! - [`store`]: the embedded s3s-fs store.
//! - [`body`]: the body types on the hot path, and the counting wrappers that close a
//!   request's access line.
//!
//! Around them: [`access`] (the access log, one line per request when it ends), [`metrics`] (Prometheus, on the admin listener), [`sd_notify`] (systemd readiness), [`reload`] (SIGHUP: build the new state, swap it in whole), [`config`] (the TOML file, validated), [`s3err`] (S3 error documents),
//! [`secret`] (redacted, constant-time secrets), [`logbuf`] (per-worker log buffers), [`time`] (SigV4 dates, no clock inside),
//! [`cli`] (the command line).

pub mod access;
pub mod authorize;
pub mod body;
pub mod classify;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod decide;
pub mod explain;
pub mod gate;
pub mod guard;
pub mod logbuf;
pub mod metrics;
pub mod network;
pub mod policy;
pub mod pool;
pub mod proxy_proto;
pub mod reload;
pub mod s3err;
pub mod sd_notify;
pub mod secret;
pub mod server;
pub mod sigv4;
pub mod store;
pub mod sts;
pub mod time;
pub mod tls;
pub mod upstream;
