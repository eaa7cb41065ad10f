//! `[server]` and `[outpost]`: listeners, TLS, limits, and the Outpost whose ARNs the gate serves.

use std::net::SocketAddr;
use std::time::Duration;

use super::Validator;
use crate::base::ids::is_account_id;
use crate::config::model::{OutpostConfig, ProxyMode, ServerConfig, TlsFiles};
use crate::config::raw;

impl Validator {
    fn tls(&mut self, cert: &str, key: &str) -> Option<TlsFiles> {
        let read = |p: &str, this: &mut Self, field: &str| match std::fs::read(this.resolve(p)) {
            Ok(b) => Some(b),
            Err(e) => {
                this.problem(format!("server.{field}"), format!("{p}: cannot read: {e}"));
                None
            }
        };
        let (cert_pem, key_pem) = (read(cert, self, "tls_cert")?, read(key, self, "tls_key")?);
        match crate::config::tls::server_config(&cert_pem, &key_pem) {
            Ok(config) => Some(TlsFiles { cert: self.resolve(cert), key: self.resolve(key), config }),
            Err(e) => {
                self.problem("server.tls_cert", format!("{cert} / {key}: {e}"));
                None
            }
        }
    }

    pub(super) fn server(&mut self, s: &raw::RawServer) -> ServerConfig {
        let listen = self.listen(s);
        let endpoint_hosts = self.endpoint_hosts(s);
        let tls = match (&s.tls_cert, &s.tls_key) {
            (None, None) => None,
            (Some(cert), Some(key)) => self.tls(cert, key),
            (Some(_), None) => {
                self.problem("server.tls_key", "tls_cert needs tls_key");
                None
            }
            (None, Some(_)) => {
                self.problem("server.tls_cert", "tls_key needs tls_cert");
                None
            }
        };
        let proxy_protocol = match s.proxy_protocol.as_deref() {
            None | Some("off") => ProxyMode::Off,
            Some("required") => ProxyMode::Required,
            Some("optional") => ProxyMode::Optional,
            Some(other) => {
                self.problem(
                    "server.proxy_protocol",
                    format!("\"{other}\": expected \"off\", \"required\" or \"optional\""),
                );
                ProxyMode::Off
            }
        };
        self.limits(s);
        ServerConfig {
            listen,
            max_clock_skew_secs: i64::try_from(s.max_clock_skew_secs).unwrap_or(i64::MAX),
            endpoint_hosts,
            shutdown_grace: Duration::from_secs(s.shutdown_grace_secs),
            header_read_timeout: Duration::from_secs(s.header_read_timeout_secs.max(1)),
            proxy_protocol,
            tls,
            tls_handshake_timeout: Duration::from_secs(s.tls_handshake_timeout_secs.max(1)),
            max_connections: s.max_connections,
            idle_timeout: Duration::from_secs(s.idle_timeout_secs.max(1)),
            max_header_bytes: s.max_header_bytes,
            max_url_bytes: s.max_url_bytes,
            workers: match s.workers {
                0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
                n => n,
            },
        }
    }

    fn listen(&mut self, s: &raw::RawServer) -> Vec<SocketAddr> {
        let mut listen = Vec::new();
        for (i, a) in s.listen.iter().enumerate() {
            match a.parse::<SocketAddr>() {
                Ok(addr) => listen.push(addr),
                Err(_) => self.problem(
                    format!("server.listen[{i}]"),
                    format!("\"{a}\" is not an address such as \"127.0.0.1:8080\""),
                ),
            }
        }
        if s.listen.is_empty() {
            self.problem("server.listen", "at least one address is needed");
        }
        listen
    }

    fn endpoint_hosts(&mut self, s: &raw::RawServer) -> Vec<String> {
        let mut endpoint_hosts = Vec::new();
        for (i, h) in s.endpoint_hosts.iter().enumerate() {
            if h.is_empty() || h.contains(['/', ':', ' ']) {
                self.problem(
                    format!("server.endpoint_hosts[{i}]"),
                    format!("\"{h}\" must be a bare host name, without scheme or port"),
                );
            }
            endpoint_hosts.push(h.to_ascii_lowercase());
        }
        endpoint_hosts
    }

    /// The numeric limits, each within what the gate (and hyper under it) can honour.
    fn limits(&mut self, s: &raw::RawServer) {
        if s.max_clock_skew_secs > 7 * 86_400 {
            self.problem("server.max_clock_skew_secs", "at most 604800");
        }
        if s.workers > 1024 {
            self.problem("server.workers", "at most 1024 (0 means one per core)");
        }
        if s.max_connections == 0 {
            self.problem("server.max_connections", "must be at least 1");
        }
        if s.idle_timeout_secs == 0 {
            self.problem("server.idle_timeout_secs", "must be at least 1");
        }
        // hyper's own read buffer cannot be smaller than 8 KiB, nor a request head larger
        // than the buffer it is read into.
        if !(1024..=1024 * 1024).contains(&s.max_header_bytes) {
            self.problem("server.max_header_bytes", "must be 1024..=1048576");
        }
        if s.max_url_bytes < 256 || s.max_url_bytes > s.max_header_bytes {
            self.problem("server.max_url_bytes", "must be at least 256 and at most server.max_header_bytes");
        }
    }

    pub(super) fn outpost(&mut self, o: raw::RawOutpost) -> OutpostConfig {
        if o.region.is_empty() || !o.region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            self.problem("outpost.region", format!("\"{}\" is not a region such as \"us-east-1\"", o.region));
        }
        if !is_account_id(&o.account_id) {
            self.problem("outpost.account_id", format!("\"{}\" is not a 12-digit account id", o.account_id));
        }
        if !o.outpost_id.starts_with("op-") || o.outpost_id.contains(['/', ':', '.']) {
            self.problem(
                "outpost.outpost_id",
                format!("\"{}\" is not an outpost id such as \"op-01ac5d28a6a232904\"", o.outpost_id),
            );
        }
        OutpostConfig { region: o.region, account_id: o.account_id, outpost_id: o.outpost_id.to_ascii_lowercase() }
    }
}
