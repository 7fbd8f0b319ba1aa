//! Bonus points, vouchers and partner shops.
//!
//! Routes:
//! - `GET  /v1/points`                    the caller's balance, history, offers and voucher keys
//! - `POST /v1/vouchers`                  (resident) reserve points, get a signed voucher token
//! - `POST /v1/partner/redeem`            (cashier) redeem a voucher once, idempotent per attempt id
//! - `GET  /v1/partner/settlement.csv`    (cashier of that partner, admin) redemptions in a period
//! - `GET  /partner`                      (cashier of that partner, admin) cabinet: redemptions by day
//! - `POST /v1/admin/partners`            (admin) create or rename a partner
//! - `POST /v1/admin/offers`              (admin) add an offer
//! - `POST /v1/admin/points/award`        (admin) award an earning rule (house inspections)
//!
//! Earning from other capabilities is queued in the transaction that stores the event and
//! settled after the commit ([`earnings`]); the admin route goes through [`award`] directly. The
//! balance lives in the store's ledger; see the rules in `docs/ARCHITECTURE.md` (Points).

mod cabinet;
pub mod earnings;

pub use earnings::Earnings;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::State,
    routing::{get, post},
};
use chrono::Utc;
use connect_core::{
    api::{
        ErrorBody,
        points::{
            AwardRequest, AwardResponse, CreateOfferRequest, CreatePartnerRequest,
            CreateVoucherRequest, CreateVoucherResponse, PointsResponse, RedeemRequest,
            RedeemResponse,
        },
    },
    auth::Role,
    ids::{PartnerId, UserId, VoucherId},
    points::{EarnRule, Offer, Voucher, VoucherClaims, voucher},
    qr::{KeyId, SigningError, TokenSigner, TrustList},
};
use utoipa::OpenApi;

use crate::{
    AppState,
    auth::Session,
    config::Config,
    crypto::Keys,
    error::{ApiError, Json},
    store::{
        AwardOutcome, NewAward, NewVoucher, RedeemCommand, RedeemOutcome, ReserveOutcome, Store,
    },
};

/// Ledger entries returned by `GET /v1/points`.
pub const HISTORY_LIMIT: u32 = 200;

/// An earning rule's amount and monthly cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSettings {
    /// Points per event.
    pub amount: i64,
    /// Most points per UTC month from this rule.
    pub monthly_cap: i64,
}

/// Points rules and voucher settings (from [`Config`]; defaults documented there).
#[derive(Debug, Clone)]
pub struct PointsSettings {
    /// On-time reading.
    pub on_time_reading: RuleSettings,
    /// Rated report.
    pub rated_report: RuleSettings,
    /// House inspection.
    pub house_inspection: RuleSettings,
    /// Voucher lifetime.
    pub voucher_ttl: chrono::Duration,
    /// Most points one voucher may carry.
    pub voucher_max_points: u32,
    /// Key id of the voucher signing key.
    pub voucher_key_id: KeyId,
}

impl Default for PointsSettings {
    fn default() -> Self {
        PointsSettings {
            on_time_reading: RuleSettings {
                amount: 10,
                monthly_cap: 30,
            },
            rated_report: RuleSettings {
                amount: 20,
                monthly_cap: 60,
            },
            house_inspection: RuleSettings {
                amount: 50,
                monthly_cap: 100,
            },
            voucher_ttl: chrono::Duration::seconds(600),
            voucher_max_points: 10_000,
            voucher_key_id: KeyId(1),
        }
    }
}

impl PointsSettings {
    /// From the server configuration.
    pub fn from_config(c: &Config) -> Result<Self, SigningError> {
        Ok(PointsSettings {
            on_time_reading: RuleSettings {
                amount: c.points_on_time_reading,
                monthly_cap: c.points_on_time_reading_cap,
            },
            rated_report: RuleSettings {
                amount: c.points_rated_report,
                monthly_cap: c.points_rated_report_cap,
            },
            house_inspection: RuleSettings {
                amount: c.points_house_inspection,
                monthly_cap: c.points_house_inspection_cap,
            },
            voucher_ttl: chrono::Duration::seconds(i64::from(c.voucher_ttl_secs.max(1))),
            voucher_max_points: c.voucher_max_points,
            voucher_key_id: c.voucher_key_id.parse()?,
        })
    }

    /// The amount and cap of a rule.
    pub fn rule(&self, rule: EarnRule) -> RuleSettings {
        match rule {
            EarnRule::OnTimeReading => self.on_time_reading,
            EarnRule::RatedReport => self.rated_report,
            EarnRule::HouseInspection => self.house_inspection,
        }
    }
}

/// The server's voucher signing key and the trust list of its public half.
pub struct VoucherKeys {
    signer: Option<TokenSigner>,
    trust: TrustList,
}

impl std::fmt::Debug for VoucherKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VoucherKeys(<secret>)")
    }
}

impl VoucherKeys {
    /// Derives the key from the server secret.
    pub fn new(keys: &Keys, key_id: KeyId) -> Self {
        let signer = keys.voucher_signer(key_id).ok();
        let mut trust = TrustList::new();
        if let Some(s) = &signer {
            trust.insert(s.key_id(), s.public_key());
        }
        if signer.is_none() {
            tracing::error!("voucher signing key could not be derived; vouchers are disabled");
        }
        VoucherKeys { signer, trust }
    }

    /// Trust entries for tills.
    pub fn trust_entries(&self) -> Vec<String> {
        self.signer.iter().map(TokenSigner::trust_entry).collect()
    }

    /// The trust list.
    pub fn trust(&self) -> &TrustList {
        &self.trust
    }
}

/// Awards an earning rule to a resident, once per `source_id` (a reading id, a report id, an
/// inspection answer id), within the rule's monthly cap. This is the one entry point for earning:
/// call it after the event is stored (e.g. `points::award(&state, user, EarnRule::OnTimeReading,
/// &reading_id.to_string()).await`).
pub async fn award(
    state: &AppState,
    user: UserId,
    rule: EarnRule,
    source_id: &str,
) -> Result<AwardOutcome, crate::store::StoreError> {
    let r = state.settings.points.rule(rule);
    state
        .store
        .award(NewAward {
            user,
            reason: rule.reason(),
            source_id: source_id.to_owned(),
            amount: r.amount,
            monthly_cap: r.monthly_cap,
            now: Utc::now(),
        })
        .await
}

/// Expires unredeemed vouchers every `period` and gives their points back (reads also expire a
/// user's vouchers lazily, so a late sweep never shows a wrong balance).
pub fn spawn_sweeper(store: Arc<dyn Store>, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match store.expire_vouchers(None, Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "vouchers expired, points returned"),
                Err(e) => tracing::warn!(error = %e, "voucher sweep failed"),
            }
        }
    })
}

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/points", get(points))
        .route("/v1/vouchers", post(create_voucher))
        .route("/v1/partner/redeem", post(redeem))
        .route("/v1/partner/settlement.csv", get(cabinet::settlement_csv))
        .route("/partner", get(cabinet::page))
        .route("/v1/admin/partners", post(create_partner))
        .route("/v1/admin/offers", post(create_offer))
        .route("/v1/admin/points/award", post(admin_award))
}

/// This module's part of `/openapi.json`.
#[derive(OpenApi)]
#[openapi(paths(
    points,
    create_voucher,
    redeem,
    cabinet::settlement_csv,
    cabinet::page,
    create_partner,
    create_offer,
    admin_award
))]
pub struct Api;

/// The caller's points (also the `points` part of a sync answer).
pub async fn summary(state: &AppState, user: UserId) -> Result<PointsResponse, ApiError> {
    let (balance, history) = state
        .store
        .points_summary(user, Utc::now(), HISTORY_LIMIT)
        .await?;
    Ok(PointsResponse {
        balance,
        history,
        offers: state.store.offers().await?,
        voucher_keys: state.vouchers.trust_entries(),
    })
}

/// Balance, history, offers and the voucher keys.
#[utoipa::path(get, path = "/v1/points", tag = "points",
    responses((status = 200, body = PointsResponse), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn points(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<PointsResponse>, ApiError> {
    Ok(Json(summary(&state, session.user_id).await?))
}

/// Reserve points and get a signed voucher.
#[utoipa::path(post, path = "/v1/vouchers", tag = "points", request_body = CreateVoucherRequest,
    responses((status = 200, body = CreateVoucherResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody, description = "insufficient_points"),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_voucher(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<CreateVoucherRequest>,
) -> Result<Json<CreateVoucherResponse>, ApiError> {
    session.require(Role::Resident)?;
    let max = state.settings.points.voucher_max_points;
    if req.points == 0 || req.points > max {
        return Err(ApiError::InvalidInput(format!(
            "points must be between 1 and {max}"
        )));
    }
    let signer = state
        .vouchers
        .signer
        .as_ref()
        .ok_or_else(|| ApiError::Internal("no voucher key".into()))?;
    let now = Utc::now();
    // Whole seconds: the token carries seconds, and the store must agree with it.
    let expires_at =
        chrono::DateTime::from_timestamp((now + state.settings.points.voucher_ttl).timestamp(), 0)
            .ok_or_else(|| ApiError::Internal("expiry out of range".into()))?;
    let id = VoucherId(connect_core::ids::new_v7());
    let claims = VoucherClaims {
        id,
        points: req.points,
        partner_id: req.partner_id.clone(),
        expires_at,
        key_id: signer.key_id(),
    };
    let token = voucher::sign_voucher(signer, &claims)
        .map_err(|_| ApiError::InvalidInput("partner id is not valid".into()))?;
    let outcome = state
        .store
        .reserve_voucher(NewVoucher {
            id,
            user: session.user_id,
            points: req.points,
            partner_id: req.partner_id.clone(),
            now,
            expires_at,
        })
        .await
        .map_err(|e| match e {
            crate::store::StoreError::MissingReference => {
                ApiError::InvalidInput("no such partner".into())
            }
            other => ApiError::from_write(other),
        })?;
    match outcome {
        ReserveOutcome::Insufficient(balance) => Err(ApiError::InsufficientPoints(balance)),
        ReserveOutcome::Reserved(balance) => Ok(Json(CreateVoucherResponse {
            token,
            voucher: Voucher {
                id,
                points: req.points,
                partner_id: req.partner_id,
                expires_at,
            },
            balance,
        })),
    }
}

/// Redeem a voucher at a till. Exactly one redemption of a voucher ever succeeds; a retry with the
/// same attempt id answers the first outcome again.
#[utoipa::path(post, path = "/v1/partner/redeem", tag = "partner", request_body = RedeemRequest,
    responses((status = 200, body = RedeemResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "forbidden, or wrong_partner"),
        (status = 409, body = ErrorBody, description = "already_redeemed"),
        (status = 410, body = ErrorBody, description = "expired"),
        (status = 422, body = ErrorBody, description = "forged")),
    security(("bearer" = [])))]
async fn redeem(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<RedeemRequest>,
) -> Result<Json<RedeemResponse>, ApiError> {
    let partners: Vec<&str> = session.scopes(Role::PartnerCashier).collect();
    let Some(first) = partners.first() else {
        return Err(ApiError::Forbidden);
    };
    let claims =
        voucher::open_voucher(&req.token, state.vouchers.trust()).map_err(ApiError::Voucher)?;
    // A cashier of several partners redeems for the one the voucher names, when they hold it.
    let partner = claims
        .partner_id
        .as_ref()
        .filter(|p| partners.contains(&p.0.as_str()))
        .map(|p| p.0.clone())
        .unwrap_or_else(|| (*first).to_owned());
    let outcome = state
        .store
        .redeem_voucher(RedeemCommand {
            voucher_id: claims.id,
            attempt_id: req.attempt_id,
            cashier: session.user_id,
            partner_id: PartnerId(partner),
            now: Utc::now(),
        })
        .await?;
    match outcome {
        RedeemOutcome::Redeemed(r) => {
            tracing::info!(voucher = %r.voucher_id.0, points = r.points, "voucher redeemed");
            Ok(Json(r))
        }
        RedeemOutcome::Refused(connect_core::points::VoucherError::Malformed) => Err(
            ApiError::InvalidInput("this attempt id belongs to another redemption".into()),
        ),
        RedeemOutcome::Refused(e) => Err(ApiError::Voucher(e)),
    }
}

fn valid_partner_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= voucher::MAX_PARTNER_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Create or rename a partner shop (its id is the scope of its cashiers' grants).
#[utoipa::path(post, path = "/v1/admin/partners", tag = "admin", request_body = CreatePartnerRequest,
    responses((status = 200), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_partner(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<CreatePartnerRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    session.require(Role::Admin)?;
    if !valid_partner_id(&req.id.0) || req.name.trim().is_empty() {
        return Err(ApiError::InvalidInput(
            "partner id: 1-64 of A-Z a-z 0-9 - _ . ; name must not be empty".into(),
        ));
    }
    state
        .store
        .upsert_partner(req.id.clone(), req.name.trim().to_owned(), Utc::now())
        .await?;
    Ok(Json(serde_json::json!({ "id": req.id })))
}

/// Add an offer of a partner.
#[utoipa::path(post, path = "/v1/admin/offers", tag = "admin", request_body = CreateOfferRequest,
    responses((status = 200, body = Offer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_offer(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<CreateOfferRequest>,
) -> Result<Json<Offer>, ApiError> {
    session.require(Role::Admin)?;
    if req.points == 0 || req.title.trim().is_empty() {
        return Err(ApiError::InvalidInput(
            "an offer needs a title and at least 1 point".into(),
        ));
    }
    let offer = Offer {
        id: connect_core::ids::new_v7(),
        partner_id: req.partner_id,
        partner_name: String::new(),
        title: req.title.trim().to_owned(),
        points: req.points,
        discount: req.discount,
    };
    state
        .store
        .insert_offer(offer.clone(), Utc::now())
        .await
        .map_err(ApiError::from_write)?;
    let stored = state
        .store
        .offers()
        .await?
        .into_iter()
        .find(|o| o.id == offer.id)
        .unwrap_or(offer);
    Ok(Json(stored))
}

/// Award an earning rule to a resident (house inspections; idempotent on the source id).
#[utoipa::path(post, path = "/v1/admin/points/award", tag = "admin", request_body = AwardRequest,
    responses((status = 200, body = AwardResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn admin_award(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<AwardRequest>,
) -> Result<Json<AwardResponse>, ApiError> {
    session.require(Role::Admin)?;
    if req.source_id.is_empty() || req.source_id.len() > 128 {
        return Err(ApiError::InvalidInput("source_id: 1-128 characters".into()));
    }
    let outcome = award(&state, req.user_id, req.rule, &req.source_id)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::MissingReference => {
                ApiError::InvalidInput("no such user".into())
            }
            other => ApiError::Store(other),
        })?;
    let (balance, _) = state
        .store
        .points_summary(req.user_id, Utc::now(), 0)
        .await?;
    let (awarded, duplicate) = match outcome {
        AwardOutcome::Awarded(n) => (n, false),
        AwardOutcome::Duplicate => (0, true),
        AwardOutcome::Capped => (0, false),
    };
    Ok(Json(AwardResponse {
        awarded,
        duplicate,
        balance,
    }))
}
