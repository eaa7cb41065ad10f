//! Minting temporary credentials, shared by the STS endpoint and `outpost-gate credentials`.
//!
//! A URL signed with session credentials lives only as long as its token: the gate takes
//! the earlier of X-Amz-Date + X-Amz-Expires and the token's expiry (see
//! `Decider::open_session`).

use super::token::{Claims, KeyRing, SessionKind, session_access_key_id};
use crate::base::secret::SecretKey;
use crate::base::time::UnixTime;

/// Temporary credentials, as `GetSessionToken`/`AssumeRole` and `credential_process` return them.
pub struct Session {
    pub access_key_id: String,
    pub secret: SecretKey,
    pub token: String,
    /// Unix seconds.
    pub expires: i64,
}

#[derive(Debug, Clone, Copy, thiserror::Error)]
pub enum MintError {
    #[error("no session-token key to seal with")]
    NoKey,
}

/// Mints a session for `principal` lasting `duration_secs` from `now`. The caller has
/// checked the duration against the limits for this kind of credentials.
pub fn mint(
    keys: &KeyRing,
    principal: &str,
    kind: SessionKind,
    session_name: Option<String>,
    now: UnixTime,
    duration_secs: u64,
) -> Result<Session, MintError> {
    let expires = now.0.saturating_add(i64::try_from(duration_secs).unwrap_or(i64::MAX));
    let claims = Claims {
        principal: principal.to_owned(),
        kind,
        session_name,
        issued: now.0,
        expires,
        access_key_id: session_access_key_id(rand::random()),
    };
    let minted = keys.seal(&claims, rand::random()).ok_or(MintError::NoKey)?;
    Ok(Session { access_key_id: minted.access_key_id, secret: minted.secret, token: minted.token, expires })
}
