//! Checking the raw configuration and building the values the gate runs on. Every
//! problem is collected with the file and key at fault; see the parent module.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;

use super::raw::{self, RawConfig};
use super::{
    AccessKey, AccessPoint, Bucket, Config, ConfigErrors, NetworkConfig, OutpostConfig, ProxyMode, Role, ServerConfig,
    StoreConfig, StoreKind, StoreTraits, StsConfig, TlsFiles, User, Vpc,
};
use crate::policy::{Policy, PolicyKind};
use crate::secret::SecretKey;
use crate::sts::token::{KeyRing, TokenKey};
use crate::upstream::StoreTimeouts;

pub(super) struct Validator {
    file: String,
    dir: PathBuf,
    problems: Vec<String>,
}

impl Validator {
    pub(super) fn new(file: String, dir: PathBuf) -> Self {
        Self { file, dir, problems: Vec::new() }
    }

    fn problem(&mut self, key: impl fmt::Display, message: impl fmt::Display) {
        self.problems.push(format!("{}: {key}: {message}", self.file));
    }

    fn resolve(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }

    fn read_secret(&mut self, key: &str, p: &str) -> Option<SecretKey> {
        match std::fs::read_to_string(self.resolve(p)) {
            Ok(s) if !s.trim().is_empty() => Some(SecretKey::new(s.trim_end_matches(['\n', '\r']).to_owned())),
            Ok(_) => {
                self.problem(key, format!("{p}: the file is empty"));
                None
            }
            Err(e) => {
                self.problem(key, format!("{p}: cannot read: {e}"));
                None
            }
        }
    }

    fn tls(&mut self, cert: &str, key: &str) -> Option<TlsFiles> {
        let read = |p: &str, this: &mut Self, field: &str| match std::fs::read(this.resolve(p)) {
            Ok(b) => Some(b),
            Err(e) => {
                this.problem(format!("server.{field}"), format!("{p}: cannot read: {e}"));
                None
            }
        };
        let (cert_pem, key_pem) = (read(cert, self, "tls_cert")?, read(key, self, "tls_key")?);
        match crate::tls::server_config(&cert_pem, &key_pem) {
            Ok(config) => Some(TlsFiles { cert: self.resolve(cert), key: self.resolve(key), config }),
            Err(e) => {
                self.problem("server.tls_cert", format!("{cert} / {key}: {e}"));
                None
            }
        }
    }

    /// The session-token keys: one `id key` per line (key: 32 bytes, base64url), oldest
    /// first; made with one fresh random key, mode 0600, when the file does not exist.
    fn token_keys(&mut self, p: &str) -> Option<KeyRing> {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let path = self.resolve(p);
        if !path.exists()
            && let Err(e) = create_key_file(&path)
        {
            self.problem("sts.token_key_file", format!("{p}: cannot create: {e}"));
            return None;
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                self.problem("sts.token_key_file", format!("{p}: cannot read: {e}"));
                return None;
            }
        };
        let mut ring = KeyRing::default();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#')) {
            let parsed = line.split_once(' ').and_then(|(id, key)| {
                let bytes: [u8; 32] = URL_SAFE_NO_PAD.decode(key.trim()).ok()?.try_into().ok()?;
                TokenKey::new(id.trim(), bytes)
            });
            match parsed {
                Some(k) if ring.keys.iter().any(|o| o.id == k.id) => {
                    self.problem(
                        "sts.token_key_file",
                        format!("{p}: line {}: key id \"{}\" is used twice", n + 1, k.id),
                    );
                }
                Some(k) => ring.keys.push(k),
                None => self.problem(
                    "sts.token_key_file",
                    format!("{p}: line {}: expected \"ID KEY\" with a 32-byte base64url key", n + 1),
                ),
            }
        }
        if ring.keys.is_empty() {
            self.problem("sts.token_key_file", format!("{p}: holds no key"));
            return None;
        }
        Some(ring)
    }

    fn policy(&mut self, key: &str, p: &str, kind: PolicyKind) -> Option<Arc<Policy>> {
        let text = match std::fs::read_to_string(self.resolve(p)) {
            Ok(t) => t,
            Err(e) => {
                self.problem(key, format!("{p}: cannot read: {e}"));
                return None;
            }
        };
        match Policy::parse(&text, kind, p) {
            Ok(policy) => Some(Arc::new(policy)),
            Err(e) => {
                self.problem(key, format!("{p}: {e}"));
                None
            }
        }
    }

    pub(super) fn build(mut self, raw: RawConfig, path: &Path) -> Result<Config, ConfigErrors> {
        let server = self.server(&raw.server);
        let outpost = self.outpost(raw.outpost);
        let store = self.store(raw.store, &outpost.region);
        let arn_base = outpost.arn_base();

        let mut buckets = BTreeMap::new();
        for (i, b) in raw.buckets.into_iter().enumerate() {
            let key = format!("buckets[{i}]");
            if !valid_bucket_name(&b.name) {
                self.problem(
                    format!("{key}.name"),
                    format!("\"{}\" is not a valid bucket name (3-63 of a-z, 0-9, '-', '.')", b.name),
                );
            }
            let policy =
                b.policy.as_deref().and_then(|p| self.policy(&format!("{key}.policy"), p, PolicyKind::Resource));
            let arn = format!("{arn_base}/bucket/{}", b.name);
            if buckets.insert(b.name.clone(), Arc::new(Bucket { name: b.name.clone(), policy, arn })).is_some() {
                self.problem(format!("{key}.name"), format!("bucket \"{}\" is listed twice", b.name));
            }
        }

        let mut access_points = BTreeMap::new();
        for (i, ap) in raw.access_points.into_iter().enumerate() {
            let key = format!("access_points[{i}]");
            if !valid_access_point_name(&ap.name) {
                self.problem(
                    format!("{key}.name"),
                    format!("\"{}\" is not a valid access point name (3-50 of a-z, 0-9, '-')", ap.name),
                );
            }
            if !buckets.contains_key(&ap.bucket) {
                self.problem(format!("{key}.bucket"), format!("no bucket \"{}\" in [[buckets]]", ap.bucket));
            }
            let policy =
                ap.policy.as_deref().and_then(|p| self.policy(&format!("{key}.policy"), p, PolicyKind::Resource));
            let arn = format!("{arn_base}/accesspoint/{}", ap.name);
            let entry = AccessPoint { name: ap.name.clone(), bucket: ap.bucket, policy, arn, vpc_id: ap.vpc_id };
            if access_points.insert(ap.name.clone(), Arc::new(entry)).is_some() {
                self.problem(format!("{key}.name"), format!("access point \"{}\" is listed twice", ap.name));
            }
        }

        let users = self.users(raw.users);
        let roles = self.roles(raw.roles);
        let network = self.network(raw.network);
        // A VPC-bound access point must name a VPC the gate can recognize clients of.
        for (i, ap) in access_points.values().enumerate() {
            if let Some(vpc) = &ap.vpc_id
                && !network.vpcs.iter().any(|v| v.id == *vpc)
            {
                self.problem(
                    format!("access_points[{i}].vpc_id"),
                    format!("no [[network.vpcs]] entry has id \"{vpc}\", so no client could use this access point"),
                );
            }
        }
        if raw.sts.token_key_file.is_empty() {
            self.problem("sts.token_key_file", "must name a file");
        }
        if raw.sts.min_session_secs == 0 || raw.sts.min_session_secs > 900 {
            self.problem("sts.min_session_secs", "must be 1..=900 (AWS's minimum is 900; lower it only for tests)");
        }
        let sts = if raw.sts.enabled {
            self.token_keys(&raw.sts.token_key_file)
                .map(|keys| StsConfig { keys: Arc::new(keys), min_session_secs: raw.sts.min_session_secs })
        } else {
            None
        };
        let admin = raw.admin.and_then(|a| {
            let addr = a.listen.parse::<SocketAddr>().ok();
            if addr.is_none() {
                self.problem("admin.listen", format!("\"{}\" is not an address such as \"127.0.0.1:9464\"", a.listen));
            }
            addr
        });
        // (Port 0 asks for any free port on each, so it cannot collide.)
        if let Some(a) = admin
            && a.port() != 0
            && server.listen.contains(&a)
        {
            self.problem("admin.listen", "must not be one of server.listen (metrics never go on traffic listeners)");
        }
        let log_format = match raw.log.format.as_str() {
            "text" => crate::access::Format::Text,
            "json" => crate::access::Format::Json,
            other => {
                self.problem("log.format", format!("\"{other}\": expected \"text\" or \"json\""));
                crate::access::Format::Text
            }
        };

        if self.problems.is_empty() {
            Ok(Config {
                source: path.to_path_buf(),
                server,
                outpost,
                store,
                buckets,
                access_points,
                users,
                roles,
                sts,
                admin,
                network,
                log_format,
            })
        } else {
            Err(ConfigErrors(self.problems))
        }
    }

    fn server(&mut self, s: &raw::RawServer) -> ServerConfig {
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
        if s.max_clock_skew_secs > 7 * 86_400 {
            self.problem("server.max_clock_skew_secs", "at most 604800");
        }
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

    fn outpost(&mut self, o: raw::RawOutpost) -> OutpostConfig {
        if o.region.is_empty() || !o.region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            self.problem("outpost.region", format!("\"{}\" is not a region such as \"us-east-1\"", o.region));
        }
        if !is_account(&o.account_id) {
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

    fn store(&mut self, s: raw::RawStore, region: &str) -> StoreConfig {
        for (key, secs) in [
            ("store.connect_timeout_secs", s.connect_timeout_secs),
            ("store.first_byte_timeout_secs", s.first_byte_timeout_secs),
        ] {
            if secs == 0 {
                self.problem(key, "must be at least 1");
            }
        }
        let timeouts = StoreTimeouts {
            connect: Duration::from_secs(s.connect_timeout_secs.max(1)),
            first_byte: Duration::from_secs(s.first_byte_timeout_secs.max(1)),
        };
        let traits = StoreTraits { opaque_keys: s.opaque_keys, versions: s.versions };
        if s.kind == "embedded" {
            // s3s-fs keeps each key as a file path and keeps no versions.
            if s.opaque_keys {
                self.problem(
                    "store.opaque_keys",
                    "the embedded store keeps keys as file paths: it cannot be true there",
                );
            }
            if s.versions {
                self.problem("store.versions", "the embedded store keeps no object versions: it cannot be true there");
            }
        }
        let kind = match s.kind.as_str() {
            "embedded" => StoreKind::Embedded { data_dir: self.resolve(s.data_dir.as_deref().unwrap_or("data")) },
            "s3" => self.s3_store(s, region),
            other => {
                self.problem("store.kind", format!("\"{other}\": expected \"embedded\" or \"s3\""));
                StoreKind::Embedded { data_dir: PathBuf::new() }
            }
        };
        StoreConfig { kind, timeouts, traits }
    }

    fn s3_store(&mut self, s: raw::RawStore, region: &str) -> StoreKind {
        let endpoint = match s.endpoint.as_deref().map(str::parse::<http::Uri>) {
            Some(Ok(u))
                if matches!(u.scheme_str(), Some("http" | "https"))
                    && u.host().is_some_and(|h| !h.is_empty())
                    && u.path() == "/"
                    && u.query().is_none() =>
            {
                u
            }
            Some(_) => {
                self.problem(
                    "store.endpoint",
                    "must be a URL with no path, such as \"http://10.0.1.20:9000\" or \"https://minio.internal:9000\"",
                );
                http::Uri::default()
            }
            None => {
                self.problem("store.endpoint", "needed when kind = \"s3\"");
                http::Uri::default()
            }
        };
        let https = endpoint.scheme_str() == Some("https");
        let tls = match (&s.ca_file, https) {
            (Some(_), false) => {
                self.problem("store.ca_file", "only for an https:// store endpoint");
                None
            }
            (ca_file, true) => {
                match crate::tls::store_client_config(ca_file.as_deref().map(|p| self.resolve(p)).as_deref()) {
                    Ok(config) => Some(config),
                    Err(e) => {
                        let key = if ca_file.is_some() { "store.ca_file" } else { "store.endpoint" };
                        self.problem(key, e);
                        None
                    }
                }
            }
            (None, false) => None,
        };
        let access_key_id = s.access_key_id.unwrap_or_else(|| {
            self.problem("store.access_key_id", "needed when kind = \"s3\"");
            String::new()
        });
        let secret = match (s.secret_access_key, s.secret_access_key_file) {
            (Some(inline), None) => SecretKey::new(inline),
            (None, Some(p)) => {
                self.read_secret("store.secret_access_key_file", &p).unwrap_or_else(|| SecretKey::new(""))
            }
            _ => {
                self.problem(
                    "store.secret_access_key",
                    "give exactly one of secret_access_key and secret_access_key_file",
                );
                SecretKey::new("")
            }
        };
        StoreKind::S3 { endpoint, region: s.region.unwrap_or_else(|| region.to_owned()), access_key_id, secret, tls }
    }

    fn users(&mut self, raw: Vec<raw::RawUser>) -> Vec<Arc<User>> {
        let mut seen_keys = std::collections::HashSet::new();
        let mut users = Vec::new();
        for (i, u) in raw.into_iter().enumerate() {
            let key = format!("users[{i}]");
            let Some((account, name)) = parse_iam_arn(&u.arn, "user/") else {
                self.problem(
                    format!("{key}.arn"),
                    format!("\"{}\" is not an IAM user ARN such as \"arn:aws:iam::444455556666:user/alice\"", u.arn),
                );
                continue;
            };
            let policies = u
                .policies
                .iter()
                .enumerate()
                .filter_map(|(j, p)| self.policy(&format!("{key}.policies[{j}]"), p, PolicyKind::Identity))
                .collect();
            let mut access_keys = Vec::new();
            for (j, k) in u.access_keys.into_iter().enumerate() {
                let kkey = format!("{key}.access_keys[{j}]");
                if k.id.len() < 16 || k.id.len() > 128 || !k.id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    self.problem(
                        format!("{kkey}.id"),
                        format!("\"{}\" is not an access key id (16-128 letters and digits)", k.id),
                    );
                }
                if !seen_keys.insert(k.id.clone()) {
                    self.problem(format!("{kkey}.id"), format!("access key \"{}\" is used twice", k.id));
                }
                let secret = match (k.secret, k.secret_file) {
                    (Some(s), None) if !s.is_empty() => Some(SecretKey::new(s)),
                    (None, Some(p)) => self.read_secret(&format!("{kkey}.secret_file"), &p),
                    _ => {
                        self.problem(format!("{kkey}.secret"), "give exactly one of secret and secret_file");
                        None
                    }
                };
                if let Some(secret) = secret {
                    access_keys.push(AccessKey { id: k.id, secret });
                }
            }
            let userid = match u.user_id {
                Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()) => id,
                Some(id) => {
                    self.problem(
                        format!("{key}.user_id"),
                        format!("\"{id}\" is not an IAM unique id (letters and digits)"),
                    );
                    continue;
                }
                None => derived_unique_id("AIDA", &u.arn),
            };
            users.push(Arc::new(User { arn: u.arn.clone(), account, name, userid, policies, access_keys }));
        }
        users
    }

    fn roles(&mut self, raw: Vec<raw::RawRole>) -> Vec<Arc<Role>> {
        let mut roles = Vec::new();
        for (i, r) in raw.into_iter().enumerate() {
            let key = format!("roles[{i}]");
            if parse_iam_arn(&r.arn, "role/").is_none() {
                self.problem(format!("{key}.arn"), format!("\"{}\" is not an IAM role ARN", r.arn));
            }
            let policies = r
                .policies
                .iter()
                .enumerate()
                .filter_map(|(j, p)| self.policy(&format!("{key}.policies[{j}]"), p, PolicyKind::Identity))
                .collect();
            let cap = if r.instance_profile { 21_600 } else { 43_200 };
            if r.max_session_secs < 900 || r.max_session_secs > cap {
                self.problem(format!("{key}.max_session_secs"), format!("must be 900..={cap}"));
            }
            let (account, name) = parse_iam_arn(&r.arn, "role/").unwrap_or_default();
            roles.push(Arc::new(Role {
                role_id: derived_unique_id("AROA", &r.arn),
                account,
                name,
                arn: r.arn,
                policies,
                trusted: r.trusted,
                max_session_secs: r.max_session_secs,
                instance_profile: r.instance_profile,
            }));
        }
        roles
    }

    fn network(&mut self, raw: raw::RawNetwork) -> NetworkConfig {
        let net = |key: String, s: &str, problems: &mut Self| -> Option<IpNet> {
            s.parse::<IpNet>().ok().or_else(|| s.parse::<std::net::IpAddr>().ok().map(IpNet::from)).or_else(|| {
                problems.problem(key, format!("\"{s}\" is not an address or CIDR"));
                None
            })
        };
        let trusted_proxies = raw
            .trusted_proxies
            .iter()
            .enumerate()
            .filter_map(|(i, s)| net(format!("network.trusted_proxies[{i}]"), s, self))
            .collect();
        let vpcs = raw
            .vpcs
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                if !v.id.starts_with("vpc-") {
                    self.problem(
                        format!("network.vpcs[{i}].id"),
                        format!("\"{}\" is not a VPC id such as \"vpc-1a2b3c4d\"", v.id),
                    );
                }
                if let Some(e) = &v.endpoint_id
                    && !crate::network::is_vpce_id(e)
                {
                    self.problem(
                        format!("network.vpcs[{i}].endpoint_id"),
                        format!("\"{e}\" is not a VPC endpoint id such as \"vpce-0123456789abcdef0\""),
                    );
                }
                Vpc {
                    cidrs: v
                        .cidrs
                        .iter()
                        .enumerate()
                        .filter_map(|(j, s)| net(format!("network.vpcs[{i}].cidrs[{j}]"), s, self))
                        .collect(),
                    id: v.id,
                    endpoint_id: v.endpoint_id,
                }
            })
            .collect();
        NetworkConfig { trusted_proxies, vpcs }
    }
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A new key file with one random key, readable by its owner only.
fn create_key_file(path: &Path) -> std::io::Result<()> {
    use base64::Engine as _;
    use std::io::Write as _;
    let key: [u8; 32] = rand::random();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path)?;
    writeln!(f, "# outpost-gate session-token keys: \"ID KEY\" per line, oldest first; the last one seals.")?;
    writeln!(f, "k1 {}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key))
}

/// A stable IAM-style unique id for a user that names none: `AIDA` and 17 base32 characters
/// of the ARN's SHA-256, so it survives restarts and is the same on every gate.
fn derived_unique_id(prefix: &str, arn: &str) -> String {
    use sha2::Digest as _;
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = sha2::Sha256::digest(arn.as_bytes());
    let mut bits = digest.iter().take(16).fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
    let mut id = String::from(prefix);
    for _ in 0..17 {
        id.push(char::from(ALPHABET[(bits & 31) as usize]));
        bits >>= 5;
    }
    id
}

/// `arn:aws:iam::ACCOUNT:user/[path/]NAME` → (account, name).
fn parse_iam_arn(arn: &str, kind: &str) -> Option<(String, String)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path = resource.strip_prefix(kind)?;
    let name = path.rsplit('/').next()?;
    (is_account(account) && !name.is_empty()).then(|| (account.to_owned(), name.to_owned()))
}

fn valid_bucket_name(n: &str) -> bool {
    (3..=63).contains(&n.len())
        && n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && n.starts_with(|c: char| c.is_ascii_alphanumeric())
        && n.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn valid_access_point_name(n: &str) -> bool {
    (3..=50).contains(&n.len())
        && n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !n.starts_with('-')
        && !n.ends_with('-')
}
