//! Bonus points on [`ConnectApp`]: the resident's balance, history and offers (from the local
//! store, filled by sync), making a voucher (online), and the partner's till: the offline check of
//! a scanned voucher and its online redemption, driven by the sans-I/O [`RedeemState`] machine.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{AppError, ConnectApp};
use crate::{
    api::{
        ErrorCode,
        points::{CreateVoucherRequest, RedeemRequest},
    },
    ids::PartnerId,
    points::{
        LedgerEntry, Offer, QrMatrix, RedeemAction, RedeemEvent, RedeemState, Redeemed, Voucher,
        VoucherClaims, VoucherError, voucher,
    },
    qr::TrustList,
    store,
    sync::{TransportError, Trigger},
};

/// A voucher the server just issued: the token to show, what it says, the balance left, and the
/// token's QR code drawn by core (the shells paint the matrix; the CLI prints it).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct IssuedVoucher {
    /// The signed token (the QR code's text).
    pub token: String,
    /// What the token says.
    pub voucher: Voucher,
    /// The balance after the reservation.
    pub balance: i64,
    /// The token's QR code.
    pub qr: QrMatrix,
}

/// Pause between automatic retries of a redemption whose answer was lost.
const REDEEM_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

/// The voucher refusal a server error code stands for.
fn refusal(code: ErrorCode) -> Option<VoucherError> {
    match code {
        ErrorCode::Forged => Some(VoucherError::Forged),
        ErrorCode::Expired => Some(VoucherError::Expired),
        ErrorCode::WrongPartner => Some(VoucherError::WrongPartner),
        ErrorCode::AlreadyRedeemed => Some(VoucherError::AlreadyRedeemed),
        _ => None,
    }
}

impl ConnectApp {
    /// The points balance as last synced (0 before the first sync). Works offline.
    pub fn points_balance(&self) -> Result<i64, AppError> {
        self.store
            .read(store::points::balance)
            .map_err(AppError::Storage)
    }

    /// The newest ledger entries (earned, spent, returned), newest first. Works offline.
    pub fn points_history(&self) -> Result<Vec<LedgerEntry>, AppError> {
        self.store
            .read(store::points::history)
            .map_err(AppError::Storage)
    }

    /// The partners' offers (points for a discount). Works offline.
    pub fn offers(&self) -> Result<Vec<Offer>, AppError> {
        self.store
            .read(store::points::offers)
            .map_err(AppError::Storage)
    }

    /// Fetches `GET /v1/points` into the store now (a till does this to learn the voucher keys;
    /// the resident's app gets the same through sync).
    pub fn refresh_points(&self) -> Result<i64, AppError> {
        let token = self.session_token()?.ok_or(AppError::NotLoggedIn)?;
        let points = self
            .runtime
            .block_on(self.transport.points(&token))
            .map_err(AppError::FetchPoints)?;
        self.store
            .write(|tx| store::points::save(tx, &points, Utc::now()))
            .map_err(AppError::Storage)?;
        Ok(points.balance)
    }

    /// Reserves `points` on the server and returns the signed voucher with its QR code
    /// (online only: the server must reserve the points). `partner` limits it to one shop.
    pub fn create_voucher(
        &self,
        points: u32,
        partner: Option<PartnerId>,
    ) -> Result<IssuedVoucher, AppError> {
        let session = self.session_token()?.ok_or(AppError::NotLoggedIn)?;
        let request = CreateVoucherRequest {
            points,
            partner_id: partner,
        };
        let issued = self
            .runtime
            .block_on(self.transport.create_voucher(&session, &request))
            .map_err(AppError::CreateVoucher)?;
        let qr = QrMatrix::encode(&issued.token).map_err(AppError::RenderQr)?;
        self.store
            .write(|tx| store::points::set_balance(tx, issued.balance, Utc::now()))
            .map_err(AppError::Storage)?;
        // The history gains the reservation on the next pull.
        self.engine.trigger(Trigger::NewWrite);
        Ok(IssuedVoucher {
            token: issued.token,
            voucher: issued.voucher,
            balance: issued.balance,
            qr,
        })
    }

    /// The keys that sign vouchers: the ones handed in at start and the ones synced from the
    /// server (entries that do not parse are skipped).
    fn voucher_trust(&self) -> Result<TrustList, AppError> {
        let mut trust = self.sticker_trust.keys.clone();
        for entry in self
            .store
            .read(store::points::voucher_keys)
            .map_err(AppError::Storage)?
        {
            if let Err(error) = trust.add_entry(&entry) {
                tracing::warn!(%error, "a synced voucher key does not parse; skipped");
            }
        }
        Ok(trust)
    }

    /// The till's offline check of a scanned voucher: genuine (signed by a trusted key), not
    /// expired at `now`, and for `partner` or any partner. Only the server knows whether it was
    /// already redeemed. A refusal is [`AppError::Voucher`] with the reason to show.
    pub fn verify_voucher(
        &self,
        token: &str,
        partner: &PartnerId,
        now: DateTime<Utc>,
    ) -> Result<VoucherClaims, AppError> {
        Ok(voucher::verify_voucher(
            token,
            &self.voucher_trust()?,
            partner,
            now,
        )?)
    }

    /// Redeems a voucher on the server once (`POST /v1/partner/redeem`). Re-send the same
    /// `attempt_id` after a lost answer: the server answers the first outcome again and never
    /// debits twice. A refusal (forged, expired, wrong partner, already redeemed) is
    /// [`AppError::Voucher`]; no answer is [`AppError::Redeem`].
    pub fn redeem(&self, token: &str, attempt_id: Uuid) -> Result<Redeemed, AppError> {
        let session = self.session_token()?.ok_or(AppError::NotLoggedIn)?;
        let request = RedeemRequest {
            token: token.trim().to_owned(),
            attempt_id,
        };
        let r = self
            .runtime
            .block_on(self.transport.redeem_voucher(&session, &request))
            .map_err(|e| {
                let reason = match &e {
                    TransportError::Refused {
                        code: Some(code), ..
                    } => refusal(*code),
                    _ => None,
                };
                reason.map_or(AppError::Redeem(e), AppError::Voucher)
            })?;
        Ok(Redeemed {
            voucher_id: r.voucher_id,
            points: r.points,
            partner_id: r.partner_id,
            redeemed_at: r.redeemed_at,
        })
    }

    /// The partner a cashier's session redeems for (`GET /v1/me`); `None` for a user without a
    /// cashier grant.
    pub fn cashier_partner(&self) -> Result<Option<PartnerId>, AppError> {
        let session = self.session_token()?.ok_or(AppError::NotLoggedIn)?;
        let me = self
            .runtime
            .block_on(self.transport.me(&session))
            .map_err(AppError::FetchAccount)?;
        Ok(me.partner_id)
    }

    /// The whole till flow for one scan: check offline, then redeem with `attempt_id`, retrying
    /// a lost answer with the same attempt id. Returns the final state: `Accepted`, `Refused`
    /// with the reason, or `Unknown` when the server never answered (run again with the same
    /// attempt id to learn the outcome). Errors are what the cashier cannot act on at the till
    /// (no session, the local store).
    pub fn redeem_scanned(
        &self,
        token: &str,
        partner: &PartnerId,
        attempt_id: Uuid,
    ) -> Result<RedeemState, AppError> {
        let mut state = RedeemState::Idle;
        let mut event = RedeemEvent::Scanned {
            token: token.trim().to_owned(),
            attempt_id,
        };
        loop {
            let (next, action) = state.update(event);
            state = next;
            event = match action {
                RedeemAction::VerifyOffline { token } => {
                    match self.verify_voucher(&token, partner, Utc::now()) {
                        Ok(claims) => RedeemEvent::Verified(Ok(claims)),
                        Err(AppError::Voucher(e)) => RedeemEvent::Verified(Err(e)),
                        Err(other) => return Err(other),
                    }
                }
                RedeemAction::Post { token, attempt_id } => match self.redeem(&token, attempt_id) {
                    Ok(r) => RedeemEvent::ServerAnswered(Ok(r)),
                    Err(AppError::Voucher(e)) => RedeemEvent::ServerAnswered(Err(e)),
                    Err(AppError::Redeem(
                        TransportError::Network(_)
                        | TransportError::Server(_)
                        | TransportError::RetryAfter(_),
                    )) => {
                        std::thread::sleep(REDEEM_RETRY_PAUSE);
                        RedeemEvent::NoAnswer
                    }
                    Err(other) => return Err(other),
                },
                RedeemAction::Show | RedeemAction::AskRetry | RedeemAction::None => {
                    return Ok(state);
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_server_refusal_code_maps_to_its_voucher_reason_and_nothing_else_does() {
        assert_eq!(refusal(ErrorCode::Forged), Some(VoucherError::Forged));
        assert_eq!(refusal(ErrorCode::Expired), Some(VoucherError::Expired));
        assert_eq!(
            refusal(ErrorCode::WrongPartner),
            Some(VoucherError::WrongPartner)
        );
        assert_eq!(
            refusal(ErrorCode::AlreadyRedeemed),
            Some(VoucherError::AlreadyRedeemed)
        );
        assert_eq!(refusal(ErrorCode::Forbidden), None);
        assert_eq!(refusal(ErrorCode::InsufficientPoints), None);
    }
}
