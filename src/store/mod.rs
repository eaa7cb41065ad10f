//! The store side: `upstream` re-signs the decided request toward the store and streams
//! both ways (`headers` says which headers cross), `nodes` says which of the store's endpoints take new requests, `pool` keeps
//! each worker's warm connections to each, `body` holds the body types on
//! the hot path (and the counting wrappers that close a request's access line), and
//! `embedded` runs s3s-fs in-process for the default configuration (`embedded_fs` mends its
//! 5xx edges).

pub mod body;
pub mod checked;
pub mod embedded;
mod embedded_fs;
mod headers;
pub mod inbound;
pub mod nodes;
pub mod pool;
pub mod upstream;

pub use embedded::start_embedded;
