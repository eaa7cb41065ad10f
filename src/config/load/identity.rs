//! `[[users]]`, `[[roles]]` and the STS token keys: who may sign, and with what.

use std::path::Path;
use std::sync::Arc;

use super::Validator;
use crate::base::ids::is_account_id;
use crate::base::secret::SecretKey;
use crate::config::model::{AccessKey, Role, User};
use crate::config::raw;
use crate::policy::PolicyKind;
use crate::session::token::{KeyRing, TokenKey};

impl Validator {
    /// The session-token keys: one `id key` per line (key: 32 bytes, base64url), oldest
    /// first; made with one fresh random key, mode 0600, when the file does not exist.
    pub(super) fn token_keys(&mut self, p: &str) -> Option<KeyRing> {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let path = self.resolve(p);
        if !path.exists() && !self.make_missing_key_file {
            self.problem("sts.token_key_file", format!("{p}: does not exist (a reload never makes a new key)"));
            return None;
        }
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

    pub(super) fn users(&mut self, raw: Vec<raw::RawUser>) -> Vec<Arc<User>> {
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

    pub(super) fn roles(&mut self, raw: Vec<raw::RawRole>) -> Vec<Arc<Role>> {
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
    (is_account_id(account) && !name.is_empty()).then(|| (account.to_owned(), name.to_owned()))
}
