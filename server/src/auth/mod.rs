//! Phone login and sessions.
//!
//! Routes:
//! - `POST /v1/auth/code`   send a one-time code (same answer for known and unknown numbers)
//! - `POST /v1/auth/verify` code → session token
//! - `POST /v1/auth/logout` revoke the calling session
//! - `GET  /v1/me`          who the session belongs to

pub mod otp;
pub mod session;
pub mod sms;

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use chrono::Utc;
use connect_core::{
    api::{
        ErrorBody,
        auth::{MeResponse, SendCodeRequest, SendCodeResponse, SessionResponse, VerifyCodeRequest},
    },
    auth::{PhoneNumber, Role},
    ids::{CompanyId, PartnerId, RegionId},
};
use utoipa::OpenApi;

pub use session::{ClientIp, Session};

use crate::{
    AppState,
    error::{ApiError, Json},
};

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/code", post(send_code))
        .route("/v1/auth/verify", post(verify))
        .route("/v1/auth/logout", post(logout))
        .route("/v1/me", get(me))
}

/// This module's part of `/openapi.json`.
#[derive(OpenApi)]
#[openapi(paths(send_code, verify, logout, me))]
pub struct Api;

pub(crate) fn parse_phone(s: &str) -> Result<PhoneNumber, ApiError> {
    PhoneNumber::parse(s).map_err(|e| ApiError::InvalidInput(e.to_string()))
}

/// Send a one-time code by SMS.
#[utoipa::path(post, path = "/v1/auth/code", tag = "auth", request_body = SendCodeRequest,
    responses(
        (status = 200, body = SendCodeResponse),
        (status = 422, body = ErrorBody, description = "malformed phone number"),
        (status = 429, body = ErrorBody, description = "resend delay or per-IP cap"),
    ))]
async fn send_code(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(req): Json<SendCodeRequest>,
) -> Result<Json<SendCodeResponse>, ApiError> {
    let phone = parse_phone(&req.phone)?;
    Ok(Json(
        otp::send_code(&state, &phone, &ip.0, Utc::now()).await?,
    ))
}

/// Exchange the code for a session.
#[utoipa::path(post, path = "/v1/auth/verify", tag = "auth", request_body = VerifyCodeRequest,
    responses(
        (status = 200, body = SessionResponse),
        (status = 401, body = ErrorBody, description = "`invalid_code`"),
    ))]
async fn verify(
    State(state): State<AppState>,
    Json(req): Json<VerifyCodeRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    let phone = parse_phone(&req.phone)?;
    Ok(Json(
        otp::verify(&state, &phone, &req.code, Utc::now()).await?,
    ))
}

/// Revoke the calling session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn logout(State(state): State<AppState>, session: Session) -> Result<StatusCode, ApiError> {
    state.store.revoke_session(session.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the session belongs to.
#[utoipa::path(get, path = "/v1/me", tag = "auth",
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn me(session: Session) -> Json<MeResponse> {
    let mut roles: Vec<Role> = session.grants.iter().map(|g| g.role).collect();
    roles.dedup();
    let first = |r| session.scopes(r).next().map(str::to_owned);
    Json(MeResponse {
        user_id: session.user_id,
        roles,
        company_id: first(Role::CompanyStaff).map(CompanyId),
        partner_id: first(Role::PartnerCashier).map(PartnerId),
        region_id: first(Role::Authority).map(RegionId),
    })
}
