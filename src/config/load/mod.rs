//! Checking the raw configuration and building the model the gate runs on, one file per
//! section: `server` (with `[outpost]`), `store`, `identity` (users, roles, STS keys),
//! `network`, and here the resources (buckets, access points) and the whole. Every problem
//! is collected with the file and key at fault, not just the first.

mod identity;
mod network;
mod server;
mod store;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::base::secret::SecretKey;
use crate::config::model::{AccessPoint, Bucket, Config, ConfigErrors, LogFormat, NetworkConfig, StsConfig};
use crate::config::raw::{self, RawConfig};
use crate::policy::{Policy, PolicyKind};

impl Config {
    /// Reads and checks the file at `path`; relative paths in it are resolved against its
    /// directory.
    pub fn load(path: &Path) -> Result<Self, ConfigErrors> {
        Self::load_with(path, true)
    }

    /// As [`Config::load`], for a reload: a missing STS key file is an error, never made
    /// afresh, since a new key would end every session the running gate has issued.
    pub fn load_for_reload(path: &Path) -> Result<Self, ConfigErrors> {
        Self::load_with(path, false)
    }

    /// Checks `text` as if read from `path` (files it names are read relative to that
    /// directory), never writing anything: a missing STS key file is an error here too.
    /// For tests and fuzzing.
    pub fn from_text(text: &str, path: &Path) -> Result<Self, ConfigErrors> {
        Self::check(text, path, false)
    }

    fn load_with(path: &Path, make_missing_key_file: bool) -> Result<Self, ConfigErrors> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigErrors(vec![format!("{}: cannot read: {e}", path.display())]))?;
        Self::check(&text, path, make_missing_key_file)
    }

    fn check(text: &str, path: &Path, make_missing_key_file: bool) -> Result<Self, ConfigErrors> {
        let file = path.display().to_string();
        let raw: RawConfig = serde_path_to_error::deserialize(toml::Deserializer::new(text)).map_err(|e| {
            // Counted over bytes: a span need not fall on a character boundary.
            let line = e.inner().span().map(|s| {
                let before = text.as_bytes().get(..s.start).unwrap_or(text.as_bytes());
                before.split(|&b| b == b'\n').count()
            });
            let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
            let key = e.path().to_string();
            let key = if key == "." { String::new() } else { format!("{key}: ") };
            ConfigErrors(vec![format!("{file}: {key}{}{at}", e.inner().message())])
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Validator { file, dir, problems: Vec::new(), make_missing_key_file }.build(raw, path)
    }
}

struct Validator {
    file: String,
    dir: PathBuf,
    problems: Vec<String>,
    make_missing_key_file: bool,
}

impl Validator {
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

    fn build(mut self, raw: RawConfig, path: &Path) -> Result<Config, ConfigErrors> {
        let server = self.server(&raw.server);
        let outpost = self.outpost(raw.outpost);
        let store = self.store(raw.store, &outpost.region);
        let arn_base = outpost.arn_base();
        let buckets = self.buckets(raw.buckets, &arn_base);
        let access_points = self.access_points(raw.access_points, &arn_base, &buckets);
        let users = self.users(raw.users);
        let roles = self.roles(raw.roles);
        let network = self.network(raw.network);
        self.access_point_vpcs(&access_points, &network);
        let sts = self.sts(&raw.sts);
        let admin = self.admin(raw.admin);
        if let Some(a) = admin
            && a.port() != 0
            && server.listen.contains(&a)
        {
            // (Port 0 asks for any free port on each, so it cannot collide.)
            self.problem("admin.listen", "must not be one of server.listen (metrics never go on traffic listeners)");
        }
        let log_format = match raw.log.format.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                self.problem("log.format", format!("\"{other}\": expected \"text\" or \"json\""));
                LogFormat::Text
            }
        };
        if !self.problems.is_empty() {
            return Err(ConfigErrors(self.problems));
        }
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
    }

    fn buckets(&mut self, raw: Vec<raw::RawBucket>, arn_base: &str) -> BTreeMap<String, Arc<Bucket>> {
        let mut buckets = BTreeMap::new();
        for (i, b) in raw.into_iter().enumerate() {
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
        buckets
    }

    fn access_points(
        &mut self,
        raw: Vec<raw::RawAccessPoint>,
        arn_base: &str,
        buckets: &BTreeMap<String, Arc<Bucket>>,
    ) -> BTreeMap<String, Arc<AccessPoint>> {
        let mut access_points = BTreeMap::new();
        for (i, ap) in raw.into_iter().enumerate() {
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
        access_points
    }

    /// A VPC-bound access point must name a VPC the gate can recognize clients of.
    fn access_point_vpcs(&mut self, access_points: &BTreeMap<String, Arc<AccessPoint>>, network: &NetworkConfig) {
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
    }

    fn sts(&mut self, raw: &raw::RawSts) -> Option<StsConfig> {
        if raw.token_key_file.is_empty() {
            self.problem("sts.token_key_file", "must name a file");
        }
        if raw.min_session_secs == 0 || raw.min_session_secs > 900 {
            self.problem("sts.min_session_secs", "must be 1..=900 (AWS's minimum is 900; lower it only for tests)");
        }
        if !raw.enabled {
            return None;
        }
        self.token_keys(&raw.token_key_file)
            .map(|keys| StsConfig { keys: Arc::new(keys), min_session_secs: raw.min_session_secs })
    }

    fn admin(&mut self, raw: Option<raw::RawAdmin>) -> Option<SocketAddr> {
        raw.and_then(|a| {
            let addr = a.listen.parse::<SocketAddr>().ok();
            if addr.is_none() {
                self.problem("admin.listen", format!("\"{}\" is not an address such as \"127.0.0.1:9464\"", a.listen));
            }
            addr
        })
    }
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
