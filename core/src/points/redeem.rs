//! The till's redemption flow as a state machine free of I/O: `update(state, event) -> (state,
//! action)`. The caller performs the action (verify offline, POST the redemption, show the
//! outcome) and feeds the result back as the next event. The rules it encodes:
//!
//! - nothing goes to the server until the offline check passed (an instant answer at the till);
//! - a redemption is sent with one attempt id, and every retry after a lost answer re-sends the
//!   SAME attempt id, so the server answers the first outcome again and never debits twice;
//! - after [`MAX_AUTO_RETRIES`] lost answers the till stops and says the outcome is unknown; a
//!   manual retry still re-uses the attempt id.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::voucher::{VoucherClaims, VoucherError};
use crate::ids::{PartnerId, VoucherId};

/// Lost answers retried automatically before asking the cashier.
pub const MAX_AUTO_RETRIES: u32 = 2;

/// What the server confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Redeemed {
    /// The voucher.
    pub voucher_id: VoucherId,
    /// Points taken.
    pub points: u32,
    /// The partner that took it.
    pub partner_id: PartnerId,
    /// When (server clock).
    pub redeemed_at: DateTime<Utc>,
}

/// Where the till is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemState {
    /// Waiting for a scan.
    Idle,
    /// A code was scanned; checking it offline.
    Verifying {
        /// The scanned token.
        token: String,
        /// The attempt id every POST of this redemption carries.
        attempt_id: Uuid,
    },
    /// Offline check passed; waiting for the server.
    Redeeming {
        /// The token.
        token: String,
        /// The attempt id.
        attempt_id: Uuid,
        /// What the voucher says.
        claims: VoucherClaims,
        /// Lost answers so far.
        lost: u32,
    },
    /// The network failed too often: the outcome is unknown until a retry gets an answer.
    Unknown {
        /// The token.
        token: String,
        /// The attempt id to retry with.
        attempt_id: Uuid,
        /// What the voucher says.
        claims: VoucherClaims,
    },
    /// Done: taken.
    Accepted(Redeemed),
    /// Done: refused (offline or by the server).
    Refused(VoucherError),
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemEvent {
    /// A code was scanned; `attempt_id` is a fresh UUID from the caller.
    Scanned {
        /// The code's text.
        token: String,
        /// Fresh id for this redemption.
        attempt_id: Uuid,
    },
    /// The offline check's result.
    Verified(Result<VoucherClaims, VoucherError>),
    /// The server answered.
    ServerAnswered(Result<Redeemed, VoucherError>),
    /// No answer from the server (timeout, connection lost, 5xx).
    NoAnswer,
    /// The cashier pressed retry.
    Retry,
    /// The cashier starts over.
    Reset,
}

/// What the caller must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemAction {
    /// Nothing.
    None,
    /// Run [`super::verify_voucher`] on the token and feed [`RedeemEvent::Verified`].
    VerifyOffline {
        /// The token.
        token: String,
    },
    /// POST `/v1/partner/redeem` and feed [`RedeemEvent::ServerAnswered`] or
    /// [`RedeemEvent::NoAnswer`].
    Post {
        /// The token.
        token: String,
        /// The attempt id (the same on every retry).
        attempt_id: Uuid,
    },
    /// Show the final state to the cashier.
    Show,
    /// Tell the cashier the outcome is unknown and offer a retry.
    AskRetry,
}

impl RedeemState {
    /// One step of the flow.
    pub fn update(self, event: RedeemEvent) -> (RedeemState, RedeemAction) {
        use RedeemEvent as E;
        use RedeemState as S;
        match (self, event) {
            (_, E::Reset) => (S::Idle, RedeemAction::None),
            (S::Idle | S::Accepted(_) | S::Refused(_), E::Scanned { token, attempt_id }) => (
                S::Verifying {
                    token: token.clone(),
                    attempt_id,
                },
                RedeemAction::VerifyOffline { token },
            ),
            (S::Verifying { token, attempt_id }, E::Verified(result)) => match result {
                Ok(claims) => (
                    S::Redeeming {
                        token: token.clone(),
                        attempt_id,
                        claims,
                        lost: 0,
                    },
                    RedeemAction::Post { token, attempt_id },
                ),
                Err(e) => (S::Refused(e), RedeemAction::Show),
            },
            (S::Redeeming { .. } | S::Unknown { .. }, E::ServerAnswered(result)) => match result {
                Ok(r) => (S::Accepted(r), RedeemAction::Show),
                Err(e) => (S::Refused(e), RedeemAction::Show),
            },
            (
                S::Redeeming {
                    token,
                    attempt_id,
                    claims,
                    lost,
                },
                E::NoAnswer,
            ) => {
                if lost < MAX_AUTO_RETRIES {
                    (
                        S::Redeeming {
                            token: token.clone(),
                            attempt_id,
                            claims,
                            lost: lost + 1,
                        },
                        RedeemAction::Post { token, attempt_id },
                    )
                } else {
                    (
                        S::Unknown {
                            token,
                            attempt_id,
                            claims,
                        },
                        RedeemAction::AskRetry,
                    )
                }
            }
            (
                S::Unknown {
                    token,
                    attempt_id,
                    claims,
                },
                E::Retry | E::NoAnswer,
            ) => (
                S::Redeeming {
                    token: token.clone(),
                    attempt_id,
                    claims,
                    lost: 0,
                },
                RedeemAction::Post { token, attempt_id },
            ),
            // Anything else is out of order (a late answer, a double scan): keep the state.
            (state, _) => (state, RedeemAction::None),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::qr::KeyId;

    fn claims() -> VoucherClaims {
        VoucherClaims {
            id: VoucherId(Uuid::from_u128(1)),
            points: 100,
            partner_id: None,
            expires_at: DateTime::from_timestamp(2_000_000_000, 0).unwrap(),
            key_id: KeyId(1),
        }
    }

    fn redeemed() -> Redeemed {
        Redeemed {
            voucher_id: VoucherId(Uuid::from_u128(1)),
            points: 100,
            partner_id: PartnerId("cafe".into()),
            redeemed_at: DateTime::from_timestamp(1_999_999_000, 0).unwrap(),
        }
    }

    fn scanned() -> (RedeemState, RedeemAction) {
        RedeemState::Idle.update(RedeemEvent::Scanned {
            token: "T".into(),
            attempt_id: Uuid::from_u128(9),
        })
    }

    #[test]
    fn a_scan_is_checked_offline_before_anything_is_sent() {
        let (state, action) = scanned();
        assert_eq!(action, RedeemAction::VerifyOffline { token: "T".into() });
        assert!(matches!(state, RedeemState::Verifying { .. }));
    }

    #[test]
    fn an_offline_refusal_never_reaches_the_server() {
        let (state, _) = scanned();
        let (state, action) = state.update(RedeemEvent::Verified(Err(VoucherError::Forged)));
        assert_eq!(state, RedeemState::Refused(VoucherError::Forged));
        assert_eq!(action, RedeemAction::Show);
    }

    #[test]
    fn every_retry_after_lost_answers_carries_the_same_attempt_id() {
        let (state, _) = scanned();
        let (mut state, action) = state.update(RedeemEvent::Verified(Ok(claims())));
        let first = action.clone();
        assert_eq!(
            first,
            RedeemAction::Post {
                token: "T".into(),
                attempt_id: Uuid::from_u128(9)
            }
        );
        for _ in 0..MAX_AUTO_RETRIES {
            let (s, a) = state.update(RedeemEvent::NoAnswer);
            assert_eq!(a, first);
            state = s;
        }
        let (state, action) = state.update(RedeemEvent::NoAnswer);
        assert_eq!(action, RedeemAction::AskRetry);
        assert!(matches!(state, RedeemState::Unknown { .. }));
        let (state, action) = state.update(RedeemEvent::Retry);
        assert_eq!(action, first);
        let (state, action) = state.update(RedeemEvent::ServerAnswered(Ok(redeemed())));
        assert_eq!(state, RedeemState::Accepted(redeemed()));
        assert_eq!(action, RedeemAction::Show);
    }

    #[test]
    fn the_servers_refusal_is_final() {
        let (state, _) = scanned();
        let (state, _) = state.update(RedeemEvent::Verified(Ok(claims())));
        let (state, action) = state.update(RedeemEvent::ServerAnswered(Err(
            VoucherError::AlreadyRedeemed,
        )));
        assert_eq!(state, RedeemState::Refused(VoucherError::AlreadyRedeemed));
        assert_eq!(action, RedeemAction::Show);
        // A late duplicate answer changes nothing.
        let (state2, action) = state
            .clone()
            .update(RedeemEvent::ServerAnswered(Ok(redeemed())));
        assert_eq!(state2, state);
        assert_eq!(action, RedeemAction::None);
    }
}
