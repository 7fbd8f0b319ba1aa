//! The resident's session in the local store: the bearer token and phone are sealed at rest.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::{
    api::auth::SessionResponse,
    ids::UserId,
    store::{
        Error, FieldCipher,
        readings::{parse_ts, ts},
    },
};

/// A stored session, opened.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// The user.
    pub user_id: UserId,
    /// The bearer token.
    pub token: String,
    /// When it expires unless refreshed by use.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a credential: never in debug output or logs.
        f.debug_struct("StoredSession")
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Replaces the session with a new one.
pub fn save(
    tx: &Transaction<'_>,
    cipher: &FieldCipher,
    session: &SessionResponse,
    phone: &str,
) -> Result<(), Error> {
    tx.execute(
        "INSERT OR REPLACE INTO session (id, user_id, token, phone, expires_at)
         VALUES (1, ?1, ?2, ?3, ?4)",
        params![
            session.user_id.0.to_string(),
            cipher
                .seal_str("session_token", &session.token)
                .map_err(Error::Seal)?,
            cipher.seal_str("phone", phone).map_err(Error::Seal)?,
            ts(session.expires_at),
        ],
    )
    .map_err(Error::Write)?;
    Ok(())
}

/// The current session, if any.
pub fn load(conn: &Connection, cipher: &FieldCipher) -> Result<Option<StoredSession>, Error> {
    let row: Option<(String, Vec<u8>, String)> = conn
        .query_row(
            "SELECT user_id, token, expires_at FROM session WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(Error::Read)?;
    row.map(|(user_id, token, expires_at)| {
        Ok(StoredSession {
            user_id: UserId(
                uuid::Uuid::parse_str(&user_id).map_err(|_| Error::Corrupt { what: "user id" })?,
            ),
            token: cipher
                .open_str("session_token", &token)
                .map_err(|source| Error::Unseal {
                    field: "session token",
                    source,
                })?,
            expires_at: parse_ts(&expires_at)?,
        })
    })
    .transpose()
}

/// Forgets the session (logout, or the server revoked it).
pub fn clear(tx: &Transaction<'_>) -> Result<(), Error> {
    tx.execute("DELETE FROM session", [])
        .map_err(Error::Write)?;
    Ok(())
}
