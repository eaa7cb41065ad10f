//! The configuration model: the checked, typed values the gate runs on (socket addresses,
//! compiled policies, secrets), built by `load` from the `raw` TOML. The model owns its
//! small types (log format, store timeouts, network entries); the modules that read it
//! depend on it, never the reverse.
//!
//! Every problem is collected, not just the first, and each names the file and the key at
//! fault (`config/outpost-gate.toml: buckets[1].policy: policies/b.json: Statement[0].Effect:
//! …`), which is what `check-config` prints. Relative paths are resolved against the
//! directory of the configuration file. A feature whose enforcement is not built is
//! refused here by name, never ignored: a gate that silently ignored one would do less
//! than its owner believes.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;

use crate::base::secret::SecretKey;
use crate::policy::Policy;
use crate::session::token::KeyRing;

/// Where `--config` points when neither the flag nor `OUTPOST_GATE_CONFIG` is given.
pub const DEFAULT_PATH: &str = "config/outpost-gate.toml";

#[derive(Debug)]
pub struct Config {
    pub source: PathBuf,
    pub server: ServerConfig,
    pub outpost: OutpostConfig,
    pub store: StoreConfig,
    pub buckets: BTreeMap<String, Arc<Bucket>>,
    pub access_points: BTreeMap<String, Arc<AccessPoint>>,
    pub users: Vec<Arc<User>>,
    pub roles: Vec<Arc<Role>>,
    pub network: NetworkConfig,
    /// Set when `[sts] enabled = true`.
    pub sts: Option<StsConfig>,
    /// `[admin] listen`: metrics and probes.
    pub admin: Option<SocketAddr>,
    /// `[log] format`.
    pub log_format: LogFormat,
}

/// The STS endpoint's keys and limits.
#[derive(Debug, Clone)]
pub struct StsConfig {
    pub keys: Arc<KeyRing>,
    /// AWS's 900, unless lowered for tests.
    pub min_session_secs: u64,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: Vec<SocketAddr>,
    pub max_clock_skew_secs: i64,
    /// Lower case, no port.
    pub endpoint_hosts: Vec<String>,
    pub shutdown_grace: Duration,
    pub header_read_timeout: Duration,
    pub proxy_protocol: ProxyMode,
    /// Set when the listeners speak TLS.
    pub tls: Option<TlsFiles>,
    pub tls_handshake_timeout: Duration,
    pub max_connections: usize,
    /// Worker threads (resolved: at least 1).
    pub workers: usize,
    /// A connection with no request in flight for this long is closed.
    pub idle_timeout: Duration,
    /// Request line plus headers.
    pub max_header_bytes: usize,
    /// Path plus query.
    pub max_url_bytes: usize,
}

/// The certificate and key files, and the acceptor configuration made from them.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub config: Arc<rustls::ServerConfig>,
}

/// Whether connections start with a PROXY protocol v2 header (INTERFACE.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    Off,
    /// Every connection must start with one; the listener is for the load balancer only.
    Required,
    /// Read one only from peers in `network.trusted_proxies`.
    Optional,
}

#[derive(Debug, Clone)]
pub struct OutpostConfig {
    pub region: String,
    pub account_id: String,
    pub outpost_id: String,
}

impl OutpostConfig {
    /// `arn:aws:s3-outposts:REGION:ACCOUNT:outpost/OUTPOST`, the stem of every resource ARN.
    pub fn arn_base(&self) -> String {
        format!("arn:aws:s3-outposts:{}:{}:outpost/{}", self.region, self.account_id, self.outpost_id)
    }
}

#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub kind: StoreKind,
    pub timeouts: StoreTimeouts,
    pub traits: StoreTraits,
}

/// How the store reads what the gate forwards, as far as deciding depends on it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreTraits {
    /// Keys are opaque text to the store. When false (the default, and always for the
    /// embedded store) keys a path-mapping store would normalise are refused.
    pub opaque_keys: bool,
    /// The store keeps object versions; when false only `versionId=null` is accepted.
    pub versions: bool,
}

#[derive(Debug, Clone)]
pub enum StoreKind {
    /// s3s-fs in-process on a loopback port, with credentials made at start-up.
    Embedded { data_dir: PathBuf },
    /// Any S3-compatible service at one endpoint, or at several nodes of one cluster;
    /// `tls` verifies `https://` ones (the system roots, or `store.ca_file`).
    S3 {
        /// Never empty.
        endpoints: Vec<http::Uri>,
        region: String,
        access_key_id: String,
        secret: SecretKey,
        tls: Option<Arc<rustls::ClientConfig>>,
    },
}

#[derive(Debug)]
pub struct Bucket {
    pub name: String,
    pub policy: Option<Arc<Policy>>,
    /// `…:outpost/OP/bucket/NAME`.
    pub arn: String,
}

#[derive(Debug)]
pub struct AccessPoint {
    pub name: String,
    pub bucket: String,
    pub policy: Option<Arc<Policy>>,
    /// `…:outpost/OP/accesspoint/NAME`.
    pub arn: String,
    /// Only clients from this VPC may use it.
    pub vpc_id: Option<String>,
}

#[derive(Debug)]
pub struct User {
    pub arn: String,
    pub account: String,
    pub name: String,
    /// `aws:userid`.
    pub userid: String,
    pub policies: Vec<Arc<Policy>>,
    pub access_keys: Vec<AccessKey>,
}

#[derive(Debug)]
pub struct AccessKey {
    pub id: String,
    pub secret: SecretKey,
}

#[derive(Debug)]
pub struct Role {
    pub arn: String,
    pub account: String,
    pub name: String,
    /// `AROA…`, the role part of `aws:userid` for its sessions.
    pub role_id: String,
    pub policies: Vec<Arc<Policy>>,
    pub trusted: Vec<String>,
    pub max_session_secs: u64,
    pub instance_profile: bool,
}

#[derive(Debug, Default, Clone)]
pub struct NetworkConfig {
    pub trusted_proxies: Vec<IpNet>,
    pub vpcs: Vec<Vpc>,
}

#[derive(Debug, Clone)]
pub struct Vpc {
    pub id: String,
    pub cidrs: Vec<IpNet>,
    pub endpoint_id: Option<String>,
}

/// Every problem found, one line each.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for ConfigErrors {}

/// `--config`, else `OUTPOST_GATE_CONFIG`, else the default.
pub fn resolve_path(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("OUTPOST_GATE_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PATH))
}

impl Config {
    /// Policy problems that load but deserve a look (a condition key the gate never sets),
    /// one line each: `check-config` prints them and `serve` logs them.
    pub fn warnings(&self) -> Vec<String> {
        let bucket_policies = self.buckets.values().filter_map(|b| b.policy.as_deref());
        let ap_policies = self.access_points.values().filter_map(|a| a.policy.as_deref());
        let identity = self.users.iter().flat_map(|u| &u.policies).chain(self.roles.iter().flat_map(|r| &r.policies));
        let mut seen = std::collections::BTreeSet::new();
        bucket_policies
            .chain(ap_policies)
            .chain(identity.map(|p| &**p))
            .flat_map(|p| p.warnings.iter().map(move |w| format!("{}: {}: {w}", self.source.display(), p.source)))
            .filter(|line| seen.insert(line.clone()))
            .collect()
    }

    /// The short summary `check-config` prints.
    pub fn summary(&self) -> String {
        let store = match &self.store.kind {
            StoreKind::Embedded { data_dir } => {
                format!("embedded store in {}", data_dir.display())
            }
            StoreKind::S3 { endpoints, .. } => {
                let all: Vec<String> = endpoints.iter().map(ToString::to_string).collect();
                format!("s3 store at {}", all.join(", "))
            }
        };
        let keys: usize = self.users.iter().map(|u| u.access_keys.len()).sum();
        format!(
            "{}: ok: {} listener(s), {store}, {} bucket(s), {} access point(s), {} user(s) with {keys} access key(s), {} role(s)",
            self.source.display(),
            self.server.listen.len(),
            self.buckets.len(),
            self.access_points.len(),
            self.users.len(),
            self.roles.len(),
        )
    }

    /// What `check-config` says of the keys and versions the store is given.
    pub fn store_explained(&self) -> String {
        let keys = if self.store.traits.opaque_keys {
            "keys: opaque (store.opaque_keys = true): passed to the store as written, except a leading `/` \
             (refused, as Garage drops it); the store must treat keys as text, never as file paths"
        } else {
            "keys: strict: keys with `.` or `..` segments, empty segments, a trailing `/`, `\\` or control \
             characters are refused with 400, since a store that maps keys to paths would read them as another \
             key (set store.opaque_keys = true only for a store that treats keys as opaque text: Garage, Ceph \
             RGW, AWS)"
        };
        let versions = if self.store.traits.versions {
            "versions: the store keeps object versions; versionId is forwarded"
        } else {
            "versions: none (store.versions = false): versionId other than \"null\" is refused with 400"
        };
        format!("{keys}\n{versions}")
    }
}

/// The access log's line format (`[log] format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum LogFormat {
    Text = 0,
    Json = 1,
}

/// How long the store may take: to accept a connection (with TLS, its handshake too), and
/// to start answering once a request has been sent in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreTimeouts {
    pub connect: Duration,
    pub first_byte: Duration,
}

pub use crate::base::ids::is_vpce_id;
