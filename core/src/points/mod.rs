//! Bonus points and vouchers spent at partner shops.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{PartnerId, VoucherId};

/// Why the balance changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LedgerReason {
    /// A reading submitted within the window.
    OnTimeReading,
    /// A problem report the resident rated.
    RatedReport,
    /// An answered house inspection.
    HouseInspection,
    /// Points reserved for a voucher.
    VoucherReserved,
    /// An expired, unredeemed voucher gave its points back.
    VoucherExpired,
}

/// One entry of the append-only points ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerEntry {
    /// Signed change of the balance.
    pub delta: i64,
    /// Why.
    pub reason: LedgerReason,
    /// When (server clock).
    pub at: DateTime<Utc>,
}

/// A voucher as the server issued it (the signed QR payload is built from these fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Voucher {
    /// Stable id.
    pub id: VoucherId,
    /// Points it is worth.
    pub points: u32,
    /// The one partner that may redeem it, or any partner.
    pub partner_id: Option<PartnerId>,
    /// Expiry (server clock).
    pub expires_at: DateTime<Utc>,
}
