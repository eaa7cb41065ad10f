//! The edge, where bytes arrive: `server` (listeners, connections, limits, graceful
//! shutdown), `proxy_proto` (PROXY v2 headers from a load balancer), `gate` (the request
//! handler: the decision, then the store, one log line), `sts` (the STS API at `POST /`),
//! `admin` (metrics and readiness), and `cli` (the command line).

pub mod admin;
pub mod cli;
pub mod gate;
pub mod proxy_proto;
pub mod server;
pub mod sts;
mod worker;
