//! Building stickers and account codes on the server.
//!
//! Routes:
//! - `GET  /v1/trust`              (public) the keys the app pins: sticker keys (current and retired
//!   still accepted) with the sticker host, and the voucher keys
//! - `POST /v1/accounts/{id}/code` (staff of the account's managing company, admin) a fresh
//!   account code for the bill, as text and QR SVG; earlier unclaimed codes stop working
//! - `POST /v1/accounts:claim`     (any signed-in user) claim an account with the code from the
//!   bill: links the caller to its apartment, once
//! - `GET  /p/{token}`             (public) the page a phone camera opens from a sticker
//!   ([`page`]); a forged, tampered or retired-key token gets a "not a genuine sticker" page
//!
//! [`keys`] holds the signing keys (derived from the secret, rotated by key id); [`sheet`] lays out
//! the printable sticker sheet of `connect-server stickers` as SVG or PDF ([`pdf`]).

pub mod keys;
pub mod page;
pub mod pdf;
pub mod render;
pub mod sheet;
pub mod subset;

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::{SubsecRound, Utc};
use connect_core::{
    api::{
        ErrorBody,
        qr::{AccountCodeResponse, ClaimAccountRequest, ClaimAccountResponse, TrustResponse},
    },
    auth::Role,
    ids::AccountId,
    qr::AccountCode,
};
use utoipa::OpenApi;
use uuid::Uuid;

pub use keys::{RetiredKey, StickerKeys, StickerSettings};

use crate::{
    AppState,
    auth::Session,
    error::{ApiError, Json},
    store::{ClaimOutcome, NewAccountCode},
};

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/trust", get(trust))
        .route("/v1/accounts/{id}/code", post(issue_code))
        .route("/v1/accounts:claim", post(claim))
        .route("/p/{token}", get(page::sticker_page))
}

/// This module's part of `/openapi.json`.
#[derive(OpenApi)]
#[openapi(paths(trust, issue_code, claim, page::sticker_page))]
pub struct Api;

/// Why an account code was refused; each message is ready to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    /// The text is not a well-formed account code (the parser's message says what is wrong).
    #[error("{0}")]
    Malformed(String),
    /// Well-formed, but no such code was issued.
    #[error("This account code is not valid; please check it against your bill.")]
    Unknown,
    /// A newer code was issued for the account.
    #[error("This account code was replaced by a newer one; use the code on your latest bill.")]
    Replaced,
    /// The code was used already (by anyone).
    #[error(
        "This account code was already used. If it was not you, contact your managing company."
    )]
    AlreadyClaimed,
}

/// The trust list: keys whose stickers and vouchers are genuine, and the sticker host.
#[utoipa::path(get, path = "/v1/trust", tag = "qr",
    responses((status = 200, body = TrustResponse)))]
async fn trust(State(state): State<AppState>) -> Response {
    let body = TrustResponse {
        sticker_host: state.stickers.host().to_owned(),
        sticker_keys: state.stickers.trusted_keys(),
        voucher_keys: keys::voucher_keys(&state.vouchers),
    };
    let mut res = Json(body).into_response();
    // Apps refresh it now and then; a rotation reaches them within minutes.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res
}

/// A fresh account code for the bill. Staff of other companies get 404, as for an unknown account.
#[utoipa::path(post, path = "/v1/accounts/{id}/code", tag = "qr",
    params(("id" = Uuid, Path, description = "personal account id")),
    responses((status = 201, body = AccountCodeResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn issue_code(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
) -> Result<(StatusCode, Json<AccountCodeResponse>), ApiError> {
    if !session.has(Role::Admin) && !session.has(Role::CompanyStaff) {
        return Err(ApiError::Forbidden);
    }
    let account = AccountId(id);
    let scope = state
        .store
        .account_scope(account)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !session.has(Role::Admin) && !session.is_staff_of(scope.company_id.as_ref()) {
        return Err(ApiError::NotFound);
    }
    let code = AccountCode::generate(account).map_err(|e| ApiError::Internal(e.to_string()))?;
    let now = Utc::now().trunc_subsecs(3);
    state
        .store
        .issue_account_code(NewAccountCode {
            id: connect_core::ids::new_v7(),
            account_id: account,
            secret_hash: code.secret_hash().to_vec(),
            issued_by: session.user_id,
            now,
        })
        .await
        .map_err(ApiError::from_write)?;
    let text = code.to_string();
    let qr_svg = render::code_svg(&text).map_err(|e| ApiError::Internal(e.to_string()))?;
    tracing::info!(account = %account.0, "account code issued");
    Ok((
        StatusCode::CREATED,
        Json(AccountCodeResponse {
            account_id: account,
            code: text,
            qr_svg,
            issued_at: now,
        }),
    ))
}

/// Claims a personal account with the code from the bill. A building sticker is not an account
/// code and never links anything.
#[utoipa::path(post, path = "/v1/accounts:claim", tag = "qr", request_body = ClaimAccountRequest,
    responses((status = 200, body = ClaimAccountResponse), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already_claimed"),
        (status = 422, body = ErrorBody, description = "invalid_account_code")),
    security(("bearer" = [])))]
async fn claim(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<ClaimAccountRequest>,
) -> Result<Json<ClaimAccountResponse>, ApiError> {
    let code = AccountCode::parse(&req.code)
        .map_err(|e| ApiError::AccountCode(ClaimError::Malformed(e.to_string())))?;
    let outcome = state
        .store
        .claim_account_code(
            code.account_id,
            code.secret_hash().to_vec(),
            session.user_id,
            Utc::now(),
        )
        .await?;
    let apartment = match outcome {
        ClaimOutcome::Claimed(apartment) => apartment,
        ClaimOutcome::AlreadyClaimed => {
            return Err(ApiError::AccountCode(ClaimError::AlreadyClaimed));
        }
        ClaimOutcome::Replaced => return Err(ApiError::AccountCode(ClaimError::Replaced)),
        ClaimOutcome::Unknown => return Err(ApiError::AccountCode(ClaimError::Unknown)),
    };
    tracing::info!(account = %code.account_id.0, user = %session.user_id.0, "account claimed");
    let home = state
        .store
        .home(apartment)
        .await?
        .ok_or_else(|| ApiError::Internal("claimed apartment vanished".into()))?;
    Ok(Json(ClaimAccountResponse {
        account_id: code.account_id,
        home,
    }))
}
