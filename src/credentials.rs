//! Access keys → who holds them. Built from the configuration; owns the signing-key cache
//! for exactly these secrets, so a reloaded key set starts with a fresh cache.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::User;
use crate::secret::SecretKey;
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
        let by_id = users
            .iter()
            .flat_map(|u| {
                u.access_keys.iter().map(|k| (k.id.clone(), KeyEntry { secret: k.secret.clone(), user: Arc::clone(u) }))
            })
            .collect();
        Self { by_id, signing_keys: SigningKeyCache::default() }
    }

    pub fn lookup(&self, access_key_id: &str) -> Option<&KeyEntry> {
        self.by_id.get(access_key_id)
    }
}
