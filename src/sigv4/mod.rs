//! AWS Signature Version 4, query-string (presigned) verification and signing.
//!
//! - `encode`, `query`: percent-encoding and the query string, decoded once.
//! - `presigned`: the X-Amz-* parameters, checked for form.
//! - `canonical`: canonical request and string to sign.
//! - `key`: signing-key derivation and its per-scope cache.
//! - `verify`: the pure verification core (no I/O, no clock).
//! - `header`: the same for `Authorization`-header requests (the STS endpoint).
//! - `v4a`: SigV4a (`AWS4-ECDSA-P256-SHA256`): key derivation, ECDSA verification, the
//!   cache of derived public keys and verified signatures.
//! - `sign`: presigned URLs and header signing toward the store.
//!
//! Not here: chunked `STREAMING-*` payload signatures, SigV2; header auth for S3 requests
//! themselves (`REST-HEADER`).

pub mod auth;
pub mod authorization;
pub mod cache;
pub mod canonical;
pub mod encode;
pub mod key;
pub mod presigned;
pub mod query;
pub mod sign;
pub mod v4a;
pub mod verify;

pub use auth::{Algorithm, AuthForm, SigAuth};
pub use cache::SigningKeyCache;
pub use query::{Query, QueryPair};
pub use sign::Signer;
pub use verify::{SignedRequest, verify};
