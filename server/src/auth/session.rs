//! The [`Session`] extractor: resolves `Authorization: Bearer <token>` to the user and their
//! grants (401 `unauthorized` when missing, unknown, expired or revoked), and the role checks
//! handlers use (`session.require(Role::Admin)?` → 403 `forbidden`).

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{header, request::Parts},
};
use chrono::Utc;
use connect_core::{auth::Role, ids::UserId};

use super::otp::SESSION_TTL;
use crate::{AppState, crypto::token_hash, error::ApiError, store::Grant};

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user.
    pub user_id: UserId,
    /// Roles with their scopes.
    pub grants: Vec<Grant>,
    /// Hash of the bearer token (logout revokes it).
    pub token_hash: Vec<u8>,
}

impl Session {
    /// True when the user holds `role` (any scope).
    pub fn has(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// 403 unless the user holds `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.has(role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// The tenant ids the user holds `role` for (company ids for staff, …).
    pub fn scopes(&self, role: Role) -> impl Iterator<Item = &str> {
        self.grants
            .iter()
            .filter(move |g| g.role == role)
            .filter_map(|g| g.scope.as_deref())
    }

    /// True when the user holds `role` scoped to `scope`.
    pub fn has_scope(&self, role: Role, scope: &str) -> bool {
        self.scopes(role).any(|s| s == scope)
    }

    /// True when the user is staff of `company` (false for objects no company manages).
    pub fn is_staff_of(&self, company: Option<&connect_core::ids::CompanyId>) -> bool {
        company.is_some_and(|c| self.has_scope(Role::CompanyStaff, &c.0))
    }
}

/// Reads the bearer token from the request.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim())
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        // Tokens are 43 base64url characters; anything else cannot be ours.
        if token.len() != 43 {
            return Err(ApiError::Unauthorized);
        }
        let hash = token_hash(token);
        let now = Utc::now();
        let record = state
            .store
            .touch_session(
                hash.clone(),
                now.timestamp_millis(),
                (now + SESSION_TTL).timestamp_millis(),
            )
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(Session {
            user_id: record.user_id,
            grants: record.grants,
            token_hash: hash,
        })
    }
}

/// The client's IP: the configured trusted-proxy header when set, else the peer address.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let forwarded = state
            .settings
            .trusted_proxy_header
            .as_ref()
            .and_then(|h| parts.headers.get(h.as_str()))
            .and_then(|v| v.to_str().ok())
            // The proxy appends the address it saw last; that one it vouches for.
            .and_then(|v| v.split(',').map(str::trim).rfind(|s| !s.is_empty()));
        if let Some(ip) = forwarded {
            return Ok(ClientIp(ip.to_owned()));
        }
        let peer = ConnectInfo::<std::net::SocketAddr>::from_request_parts(parts, state)
            .await
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|_| "unknown".to_owned());
        Ok(ClientIp(peer))
    }
}
