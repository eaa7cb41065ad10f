//! Leaves any layer may use: they name nothing else in the crate.
//!
//! - `secret`: redacted, zeroized secrets and constant-time comparison.
//! - `ids`: the shapes of account ids, VPC endpoint ids and CIDRs.
//! - `time`: SigV4 dates and Unix time, with no clock inside except `now`.
//! - `s3err`: S3 error documents, the one client-facing error type.
//! - `logbuf`: per-worker log buffers.
//! - `scratch`: per-thread reusable buffers for a request's transient text.
//! - `metrics`: the process's Prometheus counters; `shard`: the per-request ones, counted
//!   per thread and summed when scraped.

pub mod ids;
pub mod logbuf;
pub mod metrics;
pub mod s3err;
pub mod scratch;
pub mod secret;
pub mod shard;
pub mod time;
