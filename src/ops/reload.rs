//! Live reload on SIGHUP: the configuration file is read and validated again, and the whole
//! new state (users, keys, roles, policies, buckets, access points, network map, STS keys,
//! TLS certificate) is built first, then swapped in at once. Requests hold the state they
//! started with, so in-flight transfers never notice. The access log's format is switched
//! too. A configuration that does not load leaves the running one serving. Settings that
//! only a restart can change (listeners, workers, limits and timeouts, the store, PROXY
//! mode, turning TLS on or off, the admin listener) are reported, not half-applied.

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::config::Config;
use crate::decision::decide::Decider;

/// What a reload can swap.
pub struct Swappable {
    pub state: Arc<ArcSwap<Decider>>,
    pub tls: Option<Arc<ArcSwap<rustls::ServerConfig>>>,
}

/// The settings fixed at start-up, to tell what a new file would change that needs a restart.
#[derive(Debug, PartialEq, Eq)]
pub struct FixedAtStart {
    listen: Vec<std::net::SocketAddr>,
    workers: usize,
    max_connections: usize,
    proxy_protocol: String,
    header_read_timeout: std::time::Duration,
    shutdown_grace: std::time::Duration,
    tls: bool,
    idle_timeout: std::time::Duration,
    max_header_bytes: usize,
    max_url_bytes: usize,
    admin: Option<std::net::SocketAddr>,
    store: String,
}

impl FixedAtStart {
    pub fn of(c: &Config) -> Self {
        Self {
            listen: c.server.listen.clone(),
            workers: c.server.workers,
            max_connections: c.server.max_connections,
            proxy_protocol: format!("{:?}", c.server.proxy_protocol),
            header_read_timeout: c.server.header_read_timeout,
            shutdown_grace: c.server.shutdown_grace,
            tls: c.server.tls.is_some(),
            idle_timeout: c.server.idle_timeout,
            max_header_bytes: c.server.max_header_bytes,
            max_url_bytes: c.server.max_url_bytes,
            admin: c.admin,
            store: describe_store(&c.store),
        }
    }

    /// The names of what differs.
    fn differences(&self, other: &Self) -> Vec<&'static str> {
        let mut d = Vec::new();
        let mut check = |same: bool, name| {
            if !same {
                d.push(name);
            }
        };
        check(self.listen == other.listen, "server.listen");
        check(self.workers == other.workers, "server.workers");
        check(self.max_connections == other.max_connections, "server.max_connections");
        check(self.proxy_protocol == other.proxy_protocol, "server.proxy_protocol");
        check(self.header_read_timeout == other.header_read_timeout, "server.header_read_timeout_secs");
        check(self.shutdown_grace == other.shutdown_grace, "server.shutdown_grace_secs");
        check(self.tls == other.tls, "server.tls_cert (turning TLS on or off)");
        check(self.idle_timeout == other.idle_timeout, "server.idle_timeout_secs");
        check(self.max_header_bytes == other.max_header_bytes, "server.max_header_bytes");
        check(self.max_url_bytes == other.max_url_bytes, "server.max_url_bytes");
        check(self.admin == other.admin, "[admin]");
        check(self.store == other.store, "[store]");
        d
    }
}

/// What identifies the store connection. A change of the store's secret alone is not
/// seen here (secrets are never compared or printed), and needs a restart too.
fn describe_store(s: &crate::config::StoreConfig) -> String {
    use crate::config::StoreKind;
    let kind = match &s.kind {
        StoreKind::Embedded { data_dir } => format!("embedded {}", data_dir.display()),
        StoreKind::S3 { endpoints, region, access_key_id, tls, .. } => {
            format!("s3 {endpoints:?} {region} {access_key_id} tls={}", tls.is_some())
        }
    };
    format!("{kind} {:?}", s.timeouts)
}

/// Reloads from `path`. Logs the outcome; returns whether the new state is serving.
pub fn reload(path: &Path, running: &FixedAtStart, swap: &Swappable) -> bool {
    let config = match Config::load_for_reload(path) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("reload failed; the running configuration stays in place:\n{e}");
            count("failed");
            return false;
        }
    };
    for w in config.warnings() {
        tracing::warn!("{w}");
    }
    let restart = running.differences(&FixedAtStart::of(&config));
    if !restart.is_empty() {
        tracing::warn!("reload: these changes need a restart and are not applied: {}", restart.join(", "));
    }
    if let (Some(slot), Some(tls)) = (&swap.tls, &config.server.tls) {
        slot.store(Arc::clone(&tls.config));
    }
    swap.state.store(Arc::new(Decider::new(&config)));
    crate::ops::access::set_format(config.log_format);
    tracing::info!("configuration reloaded: {}", config.summary());
    count("applied");
    true
}

fn count(outcome: &'static str) {
    crate::base::metrics::global().reloads.get_or_create(&crate::base::metrics::OutcomeLabels { outcome }).inc();
}
