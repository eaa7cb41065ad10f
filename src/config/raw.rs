//! The configuration file as written (INTERFACE.md "Configuration"): plain serde structs
//! with `deny_unknown_fields`, no validation. `super` turns them into checked values.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub server: RawServer,
    pub outpost: RawOutpost,
    #[serde(default)]
    pub store: RawStore,
    #[serde(default)]
    pub buckets: Vec<RawBucket>,
    #[serde(default)]
    pub access_points: Vec<RawAccessPoint>,
    #[serde(default)]
    pub users: Vec<RawUser>,
    #[serde(default)]
    pub roles: Vec<RawRole>,
    #[serde(default)]
    pub network: RawNetwork,
    #[serde(default)]
    pub sts: RawSts,
    pub admin: Option<RawAdmin>,
    #[serde(default)]
    pub log: RawLog,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    #[serde(default = "default_listen")]
    pub listen: Vec<String>,
    #[serde(default = "default_skew")]
    pub max_clock_skew_secs: u64,
    #[serde(default)]
    pub endpoint_hosts: Vec<String>,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    pub proxy_protocol: Option<String>,
    /// How long in-flight transfers may take to finish after SIGTERM.
    #[serde(default = "default_grace")]
    pub shutdown_grace_secs: u64,
    /// Slow-header (slowloris) cut-off for HTTP/1.
    #[serde(default = "default_header_timeout")]
    pub header_read_timeout_secs: u64,
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Worker threads, each with its own runtime and listening sockets; 0 = one per core.
    #[serde(default)]
    pub workers: usize,
    /// How long a client may take to finish the TLS handshake.
    #[serde(default = "default_tls_handshake_timeout")]
    pub tls_handshake_timeout_secs: u64,
    /// How long a connection may sit with no request in flight before it is closed.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout_secs: u64,
    /// The request line and headers together, in bytes.
    #[serde(default = "default_max_header_bytes")]
    pub max_header_bytes: usize,
    /// The request target (path and query), in bytes.
    #[serde(default = "default_max_url_bytes")]
    pub max_url_bytes: usize,
}

fn default_idle_timeout() -> u64 {
    60
}
fn default_max_header_bytes() -> usize {
    16 * 1024
}
fn default_max_url_bytes() -> usize {
    8 * 1024
}

fn default_tls_handshake_timeout() -> u64 {
    10
}

impl Default for RawServer {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            max_clock_skew_secs: default_skew(),
            endpoint_hosts: Vec::new(),
            tls_cert: None,
            tls_key: None,
            proxy_protocol: None,
            shutdown_grace_secs: default_grace(),
            header_read_timeout_secs: default_header_timeout(),
            max_connections: default_max_connections(),
            workers: 0,
            tls_handshake_timeout_secs: default_tls_handshake_timeout(),
            idle_timeout_secs: default_idle_timeout(),
            max_header_bytes: default_max_header_bytes(),
            max_url_bytes: default_max_url_bytes(),
        }
    }
}

fn default_listen() -> Vec<String> {
    vec!["127.0.0.1:8080".to_owned()]
}
fn default_skew() -> u64 {
    900
}
fn default_grace() -> u64 {
    30
}
fn default_header_timeout() -> u64 {
    30
}
fn default_max_connections() -> usize {
    10_000
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutpost {
    pub region: String,
    pub account_id: String,
    pub outpost_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    #[serde(default = "default_kind")]
    pub kind: String,
    pub data_dir: Option<String>,
    pub endpoint: Option<String>,
    /// The nodes of one store service, each able to serve any request (a cluster).
    pub endpoints: Option<Vec<String>>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub secret_access_key_file: Option<String>,
    pub ca_file: Option<String>,
    /// The store treats keys as opaque text (never as paths): see `guard`.
    #[serde(default)]
    pub opaque_keys: bool,
    /// The store keeps object versions, so `versionId` may be forwarded.
    #[serde(default)]
    pub versions: bool,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    /// From the end of the request body to the first byte of the store's answer.
    #[serde(default = "default_first_byte_timeout")]
    pub first_byte_timeout_secs: u64,
}

fn default_connect_timeout() -> u64 {
    5
}
fn default_first_byte_timeout() -> u64 {
    120
}

impl Default for RawStore {
    fn default() -> Self {
        Self {
            kind: default_kind(),
            data_dir: None,
            endpoint: None,
            endpoints: None,
            region: None,
            access_key_id: None,
            secret_access_key: None,
            secret_access_key_file: None,
            ca_file: None,
            opaque_keys: false,
            versions: false,
            connect_timeout_secs: default_connect_timeout(),
            first_byte_timeout_secs: default_first_byte_timeout(),
        }
    }
}

fn default_kind() -> String {
    "embedded".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBucket {
    pub name: String,
    pub policy: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccessPoint {
    pub name: String,
    pub bucket: String,
    pub vpc_id: Option<String>,
    pub policy: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUser {
    pub arn: String,
    /// The unique id policies see as `aws:userid` (IAM's `AIDA…`); derived from the ARN
    /// when not given.
    pub user_id: Option<String>,
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default)]
    pub access_keys: Vec<RawAccessKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccessKey {
    pub id: String,
    pub secret: Option<String>,
    pub secret_file: Option<String>,
}

impl std::fmt::Debug for RawAccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawAccessKey")
            .field("id", &self.id)
            .field("secret_file", &self.secret_file)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRole {
    pub arn: String,
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default)]
    pub trusted: Vec<String>,
    #[serde(default = "default_max_session")]
    pub max_session_secs: u64,
    #[serde(default)]
    pub instance_profile: bool,
}

fn default_max_session() -> u64 {
    3600
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    #[serde(default)]
    pub vpcs: Vec<RawVpc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVpc {
    pub id: String,
    #[serde(default)]
    pub cidrs: Vec<String>,
    pub endpoint_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSts {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default = "default_token_key_file")]
    pub token_key_file: String,
    #[serde(default = "default_min_session")]
    pub min_session_secs: u64,
}

impl Default for RawSts {
    fn default() -> Self {
        Self { enabled: false, token_key_file: default_token_key_file(), min_session_secs: default_min_session() }
    }
}

fn default_token_key_file() -> String {
    "sts.key".to_owned()
}
fn default_min_session() -> u64 {
    900
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    pub listen: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    #[serde(default = "default_format")]
    pub format: String,
}

impl Default for RawLog {
    fn default() -> Self {
        Self { format: default_format() }
    }
}

fn default_format() -> String {
    "text".to_owned()
}
