//! Phone login: `POST /v1/auth/code`, `POST /v1/auth/verify`, `POST /v1/auth/logout`, `GET /v1/me`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{auth::Role, ids::UserId};

/// `POST /v1/auth/code`: send a one-time code by SMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendCodeRequest {
    /// Phone number, with country code.
    pub phone: String,
}

/// The answer to `POST /v1/auth/code`. Identical for known and unknown numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendCodeResponse {
    /// Seconds the code stays valid.
    pub expires_in_s: u32,
    /// Seconds before another code may be requested for this number.
    pub resend_after_s: u32,
}

/// `POST /v1/auth/verify`: exchange the code for a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyCodeRequest {
    /// The same phone number the code was sent to.
    pub phone: String,
    /// The code from the SMS.
    pub code: String,
}

/// A new session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionResponse {
    /// Bearer token (256 random bits, base64url). Sent as `Authorization: Bearer <token>`.
    pub token: String,
    /// The user.
    pub user_id: UserId,
    /// Roles of the user.
    pub roles: Vec<Role>,
    /// When the session expires unless refreshed by use.
    pub expires_at: DateTime<Utc>,
}

/// `GET /v1/me`: who the session belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeResponse {
    /// The user.
    pub user_id: UserId,
    /// Roles of the user.
    pub roles: Vec<Role>,
    /// The managing company, for company staff.
    pub company_id: Option<crate::ids::CompanyId>,
    /// The partner shop, for cashiers.
    pub partner_id: Option<crate::ids::PartnerId>,
    /// The region, for authorities.
    pub region_id: Option<crate::ids::RegionId>,
}
