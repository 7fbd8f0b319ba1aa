//! Wire types of bonus points, vouchers and partner shops (`/v1/points`, `/v1/vouchers`,
//! `/v1/partner/…`, `/v1/admin/partners|offers|points/award`). See `docs/PROTOCOL.md`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    ids::{PartnerId, UserId, VoucherId},
    points::{EarnRule, LedgerEntry, Offer, Voucher},
};

/// `GET /v1/points` (and the `points` part of a sync answer).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsResponse {
    /// Current balance (never negative).
    pub balance: i64,
    /// The ledger, newest first (at most the last 200 entries).
    #[serde(default)]
    pub history: Vec<LedgerEntry>,
    /// Offers of every partner.
    #[serde(default)]
    pub offers: Vec<Offer>,
    /// Trust entries (`KEYID:BASE64PUBKEY`) of the keys that sign vouchers, for partners' tills.
    #[serde(default)]
    pub voucher_keys: Vec<String>,
}

/// `POST /v1/vouchers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateVoucherRequest {
    /// Points to reserve (1 ..= the server's maximum).
    pub points: u32,
    /// The partner that may take it; `null` = any partner.
    #[serde(default)]
    pub partner_id: Option<PartnerId>,
}

/// The answer to `POST /v1/vouchers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateVoucherResponse {
    /// The signed token: render it as a QR code.
    pub token: String,
    /// What the token says.
    pub voucher: Voucher,
    /// Balance after the reservation.
    pub balance: i64,
}

/// `POST /v1/partner/redeem`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedeemRequest {
    /// The scanned token.
    pub token: String,
    /// Fresh UUID per redemption at the till, re-sent unchanged on every retry.
    pub attempt_id: Uuid,
}

/// The answer to a successful redemption (refusals answer the error shape with code `forged`,
/// `expired`, `wrong_partner` or `already_redeemed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedeemResponse {
    /// The voucher.
    pub voucher_id: VoucherId,
    /// Points taken.
    pub points: u32,
    /// The partner that took it.
    pub partner_id: PartnerId,
    /// When (server clock).
    pub redeemed_at: DateTime<Utc>,
}

/// `POST /v1/admin/partners`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatePartnerRequest {
    /// Id (ASCII letters, digits, `-_.`; at most 64), used as the cashier grant's scope.
    pub id: PartnerId,
    /// Display name.
    pub name: String,
}

/// `POST /v1/admin/offers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateOfferRequest {
    /// The partner.
    pub partner_id: PartnerId,
    /// What the resident gets.
    pub title: String,
    /// Points it costs.
    pub points: u32,
    /// The discount in the partner's words.
    pub discount: String,
}

/// `POST /v1/admin/points/award`: award an earning rule to a resident (house inspections today;
/// readings and reports call the same service function in-process).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AwardRequest {
    /// The resident.
    pub user_id: UserId,
    /// Which rule.
    pub rule: EarnRule,
    /// What earned it (inspection answer id…); awarding the same source twice awards once.
    pub source_id: String,
}

/// The answer to an award.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AwardResponse {
    /// Points added now (0 when the source was already awarded or the monthly cap is reached;
    /// less than the rule's amount when the cap cuts it).
    pub awarded: i64,
    /// True when this source had been awarded before (nothing added now).
    pub duplicate: bool,
    /// Balance after.
    pub balance: i64,
}

/// One day of a partner's redemptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedemptionDay {
    /// The day (UTC).
    pub day: NaiveDate,
    /// Vouchers taken.
    pub vouchers: u32,
    /// Points taken.
    pub points: i64,
}
