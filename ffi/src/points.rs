//! Bonus points for the shells: the resident's balance, history and offers (offline, from sync),
//! making a voucher with its QR code, and the partner's till (offline check, online redemption).
//! One line per method; a refused voucher is [`ConnectError::Rejected`] with the stable code
//! (`forged`, `expired`, `wrong_partner`, `already_redeemed`, …) and a message ready to show.

use chrono::{DateTime, Utc};
use connect_core::{
    app::IssuedVoucher,
    ids::PartnerId,
    points::{LedgerEntry, Offer, Redeemed, VoucherClaims},
};
use uuid::Uuid;

use crate::{app::ConnectApp, error::ConnectError};

#[uniffi::export]
impl ConnectApp {
    /// The points balance as last synced (works offline).
    pub fn points_balance(&self) -> Result<i64, ConnectError> {
        Ok(self.core().points_balance()?)
    }

    /// The newest points ledger entries, newest first (works offline).
    pub fn points_history(&self) -> Result<Vec<LedgerEntry>, ConnectError> {
        Ok(self.core().points_history()?)
    }

    /// The partners' offers (works offline).
    pub fn offers(&self) -> Result<Vec<Offer>, ConnectError> {
        Ok(self.core().offers()?)
    }

    /// Fetches the points and the voucher keys now (a till after login); returns the balance.
    pub fn refresh_points(&self) -> Result<i64, ConnectError> {
        Ok(self.core().refresh_points()?)
    }

    /// Reserves points and returns the signed voucher with its QR code (online only).
    pub fn create_voucher(
        &self,
        points: u32,
        partner_id: Option<PartnerId>,
    ) -> Result<IssuedVoucher, ConnectError> {
        Ok(self.core().create_voucher(points, partner_id)?)
    }

    /// The till's offline check: genuine, not expired at `now`, for `partner_id` (or any).
    pub fn verify_voucher(
        &self,
        token: String,
        partner_id: PartnerId,
        now: DateTime<Utc>,
    ) -> Result<VoucherClaims, ConnectError> {
        Ok(self.core().verify_voucher(&token, &partner_id, now)?)
    }

    /// Redeems a voucher once on the server; re-send the same `attempt_id` after a lost answer.
    pub fn redeem(&self, token: String, attempt_id: Uuid) -> Result<Redeemed, ConnectError> {
        Ok(self.core().redeem(&token, attempt_id)?)
    }

    /// The partner shop this cashier redeems for, if the session has a cashier grant.
    pub fn cashier_partner(&self) -> Result<Option<PartnerId>, ConnectError> {
        Ok(self.core().cashier_partner()?)
    }
}
