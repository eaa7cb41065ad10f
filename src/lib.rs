//! outpost-gate: a verifying reverse proxy for S3 on Outposts presigned URLs, in front of
//! any S3-compatible store.
//!
//! # Layers
//!
//! Bottom to top; every import points down (`tests/layers.rs` checks it and prints the map).
//! A request meets them from the top:
//!
//! - [`edge`]: listeners and connections ([`edge::server`]), PROXY v2 headers
//!   ([`edge::proxy_proto`]), the request handler ([`edge::gate`]: the decision, then the
//!   store, one log line), the STS API ([`edge::sts`]), metrics and readiness
//!   ([`edge::admin`]), the command line ([`edge::cli`]).
//! - [`store`]: re-signing toward the store and streaming both ways ([`store::upstream`]),
//!   warm connections ([`store::pool`]), the body types ([`store::body`]), the embedded
//!   s3s-fs store ([`store::embedded`]).
//! - [`ops`]: the access log, per-connection request accounting, reload, systemd readiness.
//! - [`decision`], pure: [`decision::guard`] refuses what the store could read another
//!   way, [`decision::network`] finds the client and its VPC, [`decision::classify`] the
//!   action, resource and what the store will get, [`decision::decide`] authenticates,
//!   gathers the facts and authorizes ([`decision::authorize`]) on one road shared by
//!   `serve` and `explain` ([`decision::explain`] renders its trace).
//! - [`config`]: the TOML file, checked section by section into the typed model the
//!   decision reads; TLS material built at load.
//! - Building blocks, pure: [`sigv4`] (SigV4 and SigV4a: parsing, canonicalization,
//!   verification with its caches, signing), [`payload`] (`aws-chunked` bodies, chunk
//!   signatures, trailers and checksums, verified as they stream), [`policy`] (the IAM grammar, compiled once,
//!   evaluated without allocating), [`session`] (sealed STS session tokens, minting).
//! - [`base`]: secrets, time, S3 error documents, log buffers, metrics counters.

pub mod base;
pub mod config;
pub mod decision;
pub mod edge;
pub mod ops;
pub mod payload;
pub mod policy;
pub mod session;
pub mod sigv4;
pub mod store;

// The paths the tests, benches and fuzz targets have always used.
pub use base::{logbuf, metrics, s3err, secret, time};
pub use config::tls;
pub use decision::{authorize, classify, credentials, decide, explain, guard, network};
pub use edge::{cli, gate, proxy_proto, server};
pub use ops::{access, reload, sd_notify};
pub use store::{body, pool, upstream};
