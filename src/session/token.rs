//! Session tokens: sealed, self-contained, verifiable by any gate that holds the key file.
//!
//! A token is `OG1.<key id>.<base64url(nonce ‖ ChaCha20-Poly1305 ciphertext)>`. The sealed
//! claims name the principal, the kind of session, when it was issued and when it ends, and
//! the session's access key id. The session's secret key is never stored: it is an HMAC of
//! the nonce and the access key id under the sealing key, so every gate with the same key
//! file derives the same secret, and nothing is shared at run time.
//!
//! Several keys may be configured for rotation: the newest seals, any of them opens, and
//! the token names its key. Pure: randomness and time come from the caller.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::base::secret::SecretKey;

const PREFIX: &str = "OG1";
const AAD: &[u8] = b"outpost-gate session token v1|";
const NONCE_LEN: usize = 12;

/// What kind of temporary credentials a token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionKind {
    /// `GetSessionToken`: the user's own identity.
    Session,
    /// `AssumeRole`.
    AssumedRole,
    /// A role's credentials as an instance profile hands them out.
    InstanceProfile,
}

/// The sealed contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user ARN (sessions) or the role ARN (assumed roles, instance profiles).
    pub principal: String,
    pub kind: SessionKind,
    /// Assumed roles: the session name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// Unix seconds.
    pub issued: i64,
    pub expires: i64,
    pub access_key_id: String,
}

/// One sealing key and its id.
pub struct TokenKey {
    pub id: String,
    key: SecretKey,
    bytes: [u8; 32],
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKey({}, {:?})", self.id, self.key)
    }
}

impl TokenKey {
    pub fn new(id: &str, bytes: [u8; 32]) -> Option<Self> {
        let ok = !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        ok.then(|| Self { id: id.to_owned(), key: SecretKey::new(URL_SAFE_NO_PAD.encode(bytes)), bytes })
    }
}

/// The configured keys, oldest first: the last one seals.
#[derive(Debug, Default)]
pub struct KeyRing {
    pub keys: Vec<TokenKey>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed or sealed with a key this gate does not have")]
    Invalid,
}

/// A freshly minted session: the token and the credentials it stands for.
pub struct Minted {
    pub token: String,
    pub access_key_id: String,
    pub secret: SecretKey,
}

impl KeyRing {
    /// Seals `claims` with the newest key. `nonce` must be fresh random bytes.
    pub fn seal(&self, claims: &Claims, nonce: [u8; NONCE_LEN]) -> Option<Minted> {
        let key = self.keys.last()?;
        let plain = serde_json::to_vec(claims).ok()?;
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&key.bytes));
        let aad = [AAD, key.id.as_bytes()].concat();
        let sealed = cipher.encrypt(Nonce::from_slice(&nonce), Payload { msg: &plain, aad: &aad }).ok()?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Some(Minted {
            token: format!("{PREFIX}.{}.{}", key.id, URL_SAFE_NO_PAD.encode(blob)),
            access_key_id: claims.access_key_id.clone(),
            secret: derive_secret(key, &nonce, &claims.access_key_id),
        })
    }

    /// Opens a token: its claims and the session's secret key.
    pub fn open(&self, token: &str) -> Result<(Claims, SecretKey), TokenError> {
        let mut parts = token.splitn(3, '.');
        let (Some(PREFIX), Some(id), Some(blob)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(TokenError::Invalid);
        };
        let key = self.keys.iter().find(|k| k.id == id).ok_or(TokenError::Invalid)?;
        let blob = URL_SAFE_NO_PAD.decode(blob).map_err(|_| TokenError::Invalid)?;
        if blob.len() < NONCE_LEN {
            return Err(TokenError::Invalid);
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&key.bytes));
        let aad = [AAD, key.id.as_bytes()].concat();
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: &aad })
            .map_err(|_| TokenError::Invalid)?;
        let claims: Claims = serde_json::from_slice(&plain).map_err(|_| TokenError::Invalid)?;
        let secret = derive_secret(key, nonce, &claims.access_key_id);
        Ok((claims, secret))
    }
}

/// The session's secret key: HMAC-SHA256 of the nonce and access key id under the sealing key.
fn derive_secret(key: &TokenKey, nonce: &[u8], access_key_id: &str) -> SecretKey {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.bytes).expect("HMAC takes any key length");
    mac.update(b"outpost-gate session secret|");
    mac.update(nonce);
    mac.update(access_key_id.as_bytes());
    SecretKey::new(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// A session access key id: `ASIA` and 16 characters of `[A-Z2-7]` from `random`.
pub fn session_access_key_id(random: [u8; 10]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits = random.iter().fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
    let mut id = String::from("ASIA");
    for i in 0..16 {
        id.push(char::from(ALPHABET[((bits >> (5 * i)) & 31) as usize]));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(ids: &[(&str, u8)]) -> KeyRing {
        KeyRing { keys: ids.iter().map(|(id, b)| TokenKey::new(id, [*b; 32]).unwrap()).collect() }
    }

    fn claims() -> Claims {
        Claims {
            principal: "arn:aws:iam::111122223333:user/alice".into(),
            kind: SessionKind::Session,
            session_name: None,
            issued: 1_795_000_000,
            expires: 1_795_003_600,
            access_key_id: session_access_key_id([7; 10]),
        }
    }

    #[test]
    fn sealed_tokens_open_with_the_same_secret() {
        let r = ring(&[("k1", 1)]);
        let minted = r.seal(&claims(), [9; 12]).unwrap();
        assert!(minted.token.starts_with("OG1.k1."));
        let (c, secret) = r.open(&minted.token).unwrap();
        assert_eq!(c, claims());
        assert!(crate::base::secret::ct_eq(secret.expose().as_bytes(), minted.secret.expose().as_bytes()));
        assert!(minted.access_key_id.starts_with("ASIA") && minted.access_key_id.len() == 20);
    }

    #[test]
    fn rotation_newest_seals_all_open() {
        let old = ring(&[("k1", 1)]).seal(&claims(), [1; 12]).unwrap();
        let both = ring(&[("k1", 1), ("k2", 2)]);
        let new = both.seal(&claims(), [2; 12]).unwrap();
        assert!(new.token.starts_with("OG1.k2."));
        assert!(both.open(&old.token).is_ok());
        assert!(both.open(&new.token).is_ok());
        // A gate without k2 cannot open k2's tokens.
        assert_eq!(ring(&[("k1", 1)]).open(&new.token).err(), Some(TokenError::Invalid));
    }

    #[test]
    fn tampering_and_garbage_are_invalid() {
        let r = ring(&[("k1", 1)]);
        let t = r.seal(&claims(), [3; 12]).unwrap().token;
        let mut chars: Vec<char> = t.chars().collect();
        let last = chars.len() - 3;
        chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
        let tampered: String = chars.into_iter().collect();
        for bad in [tampered.as_str(), "", "OG1", "OG1.k1.", "OG1.k9.AAAA", "XX1.k1.AAAA", "OG1.k1.!!!!"] {
            assert_eq!(r.open(bad).err(), Some(TokenError::Invalid), "{bad}");
        }
        // The key id is bound too: the same blob under another id does not open.
        let relabelled = t.replacen("OG1.k1.", "OG1.k2.", 1);
        assert!(ring(&[("k1", 1), ("k2", 1)]).open(&relabelled).is_err());
    }
}
