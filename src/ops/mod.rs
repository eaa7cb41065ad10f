//! Operating the gate: the access log (one line per request when it ends), request
//! accounting per connection, reload (SIGHUP: build the new state, swap it in whole), and
//! systemd readiness.

pub mod access;
pub mod activity;
pub mod reload;
pub mod sd_notify;
