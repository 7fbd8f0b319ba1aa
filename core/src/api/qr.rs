//! Wire types of signed QR payloads: the trust list the app pins (`GET /v1/trust`), account codes
//! staff print on bills (`POST /v1/accounts/{id}/code`) and their claim by a resident
//! (`POST /v1/accounts:claim`). See `docs/PROTOCOL.md`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{api::property::Home, ids::AccountId};

/// One public key of a trust list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrustedKey {
    /// Key id, 4 hex digits (written into every token it signs).
    pub key_id: String,
    /// The 32-byte Ed25519 public key, base64url without padding.
    pub public_key: String,
    /// `KEYID:BASE64PUBKEY`: the entry `AppConfig::trusted_keys` and tills take as it is.
    pub entry: String,
    /// True for the key that signs new tokens; false for retired keys still accepted.
    pub current: bool,
}

/// `GET /v1/trust`: which keys sign genuine stickers and vouchers, and the host stickers name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrustResponse {
    /// `host[:port]` of genuine sticker URLs (`https://<host>/p/<token>`).
    pub sticker_host: String,
    /// Keys whose building stickers are genuine, the current one first.
    pub sticker_keys: Vec<TrustedKey>,
    /// Keys whose vouchers are genuine.
    pub voucher_keys: Vec<TrustedKey>,
}

/// The answer to `POST /v1/accounts/{id}/code`: a fresh code for the bill. Any earlier unclaimed
/// code of the account stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountCodeResponse {
    /// The account it claims.
    pub account_id: AccountId,
    /// The code to print (`CC1-…`); it carries the claim secret, so it is shown once.
    pub code: String,
    /// The same code as a QR code, a standalone SVG document to place on the bill.
    pub qr_svg: String,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
}

/// `POST /v1/accounts:claim`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimAccountRequest {
    /// The code from the bill, typed or scanned.
    pub code: String,
}

/// The answer to a successful claim: the home the account belongs to, now linked to the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimAccountResponse {
    /// The claimed account.
    pub account_id: AccountId,
    /// Its apartment with building, company, accounts and meters.
    pub home: Home,
}
