//! Access keys → who holds them. Built from the configuration; owns the signing-key cache
//! for exactly these secrets, so a reloaded key set starts with a fresh cache. SigV4a
//! public keys of permanent keys are derived here, at load (session keys on first use).

use std::collections::HashMap;
use std::sync::Arc;

use crate::base::secret::SecretKey;
use crate::config::User;
use crate::sigv4::SigningKeyCache;

pub struct KeyEntry {
    pub secret: SecretKey,
    pub user: Arc<User>,
}

#[derive(Default)]
pub struct Credentials {
    by_id: HashMap<String, KeyEntry>,
    pub signing_keys: SigningKeyCache,
}

impl Credentials {
    pub fn new(users: &[Arc<User>]) -> Self {
        let by_id: HashMap<String, KeyEntry> = users
            .iter()
            .flat_map(|u| {
                u.access_keys.iter().map(|k| (k.id.clone(), KeyEntry { secret: k.secret.clone(), user: Arc::clone(u) }))
            })
            .collect();
        let signing_keys = SigningKeyCache::default();
        for (id, entry) in &by_id {
            signing_keys.v4a_key(id, || crate::sigv4::v4a::derive_public_key(entry.secret.expose(), id));
        }
        Self { by_id, signing_keys }
    }

    pub fn lookup(&self, access_key_id: &str) -> Option<&KeyEntry> {
        self.by_id.get(access_key_id)
    }
}
