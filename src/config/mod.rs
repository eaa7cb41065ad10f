//! Configuration: `raw` mirrors the TOML file, `load` checks it section by section and
//! builds the typed `model` the rest of the gate reads, and `tls` turns certificate files
//! into rustls configurations at load time.
//!
//! Every problem is collected, not just the first, and each names the file and the key at
//! fault (`config/outpost-gate.toml: buckets[1].policy: policies/b.json: Statement[0].Effect:
//! …`), which is what `check-config` prints. Relative paths are resolved against the
//! directory of the configuration file. A feature whose enforcement is not built is
//! refused here by name, never ignored: a gate that silently ignored one would do less
//! than its owner believes.

mod load;
pub mod model;
mod raw;
pub mod tls;

pub use model::*;

#[cfg(test)]
mod tests;
