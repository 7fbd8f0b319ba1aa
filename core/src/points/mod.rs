//! Bonus points and vouchers spent at partner shops.
//!
//! - [`voucher`]: the signed voucher token, its offline check and its QR rendering.
//! - [`redeem`]: the till's redemption flow as a state machine free of I/O.
//! - [`render`]: a token drawn as a QR code (matrix, SVG, terminal, grey image).
//!
//! The rules (server side, see `docs/ARCHITECTURE.md`): the balance is the sum of an append-only
//! ledger and never negative; earning rules have amounts and monthly caps; a voucher reserves its
//! points when issued and gives them back when it expires unredeemed.

pub mod redeem;
pub mod render;
pub mod voucher;

pub use redeem::{RedeemAction, RedeemEvent, RedeemState, Redeemed};
pub use render::QrMatrix;
pub use voucher::{VoucherClaims, VoucherError, sign_voucher, verify_voucher};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{PartnerId, VoucherId};

/// Why the balance changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
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
    /// An operator's manual correction or award.
    Adjustment,
}

/// An earning rule (each with an amount and a monthly cap in the server's configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EarnRule {
    /// A reading submitted within the provider's window.
    OnTimeReading,
    /// A problem report the resident rated after it was closed.
    RatedReport,
    /// An answered house inspection.
    HouseInspection,
}

impl EarnRule {
    /// The ledger reason this rule writes.
    pub fn reason(self) -> LedgerReason {
        match self {
            EarnRule::OnTimeReading => LedgerReason::OnTimeReading,
            EarnRule::RatedReport => LedgerReason::RatedReport,
            EarnRule::HouseInspection => LedgerReason::HouseInspection,
        }
    }
}

impl LedgerReason {
    /// Stable storage name (the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerReason::OnTimeReading => "on_time_reading",
            LedgerReason::RatedReport => "rated_report",
            LedgerReason::HouseInspection => "house_inspection",
            LedgerReason::VoucherReserved => "voucher_reserved",
            LedgerReason::VoucherExpired => "voucher_expired",
            LedgerReason::Adjustment => "adjustment",
        }
    }

    /// Parses [`LedgerReason::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            LedgerReason::OnTimeReading,
            LedgerReason::RatedReport,
            LedgerReason::HouseInspection,
            LedgerReason::VoucherReserved,
            LedgerReason::VoucherExpired,
            LedgerReason::Adjustment,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// One entry of the append-only points ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct LedgerEntry {
    /// Signed change of the balance.
    pub delta: i64,
    /// Why.
    pub reason: LedgerReason,
    /// When (server clock).
    pub at: DateTime<Utc>,
    /// What caused it: the reading, report or inspection id, or the voucher id.
    #[serde(default)]
    pub source_id: Option<String>,
}

/// A partner's offer shown in the app: spend this many points for this discount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Offer {
    /// Stable id.
    pub id: uuid::Uuid,
    /// The partner.
    pub partner_id: PartnerId,
    /// The partner's display name.
    pub partner_name: String,
    /// What the resident gets, e.g. "Coffee".
    pub title: String,
    /// Points it costs.
    pub points: u32,
    /// The discount in the partner's words, e.g. "−100 ₽".
    pub discount: String,
}

/// A voucher as the server issued it (the signed QR payload is built from these fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
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
