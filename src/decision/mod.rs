//! The decision, pure (no I/O, no clock): whatever the client sent, and the configuration
//! model, in; what was asked, who signed it, and the verdict out.
//!
//! In the order a request meets them: `guard` (what the store could read another way is
//! refused first), `network` (the client behind proxies, its VPC), `classify` (addressing,
//! action, resource, what the store will get), `credentials` (access keys → principals),
//! `decide` (the one road: authenticate, gather the facts policies read, authorize),
//! `authorize` (identity, bucket and access point policies combined as S3 does), and
//! `explain` (a decision's trace in words).

pub mod authenticate;
pub mod authorize;
pub mod body_check;
pub mod caller;
pub mod classify;
pub mod credentials;
pub mod decide;
pub mod explain;
pub mod guard;
pub mod network;
pub mod road;
pub mod trace;
