//! `GET /v1/sync?since=<cursor>`: what changed for the caller since the cursor. Each concern
//! contributes its list to [`SyncResponse`]; today that is the outages hitting the caller's
//! buildings. The cursor is opaque to clients: `o<millis>` (the outages' high-water mark).

use axum::{
    Router,
    extract::{Query, State},
    routing::get,
};
use connect_core::api::{ErrorBody, sync::SyncResponse};
use serde::Deserialize;
use utoipa::OpenApi;

use crate::{
    AppState,
    auth::Session,
    error::{ApiError, Json},
};

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/sync", get(sync))
}

/// This module's part of `/openapi.json`.
#[derive(OpenApi)]
#[openapi(paths(sync))]
pub struct Api;

/// `?since=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SyncQuery {
    /// The cursor of the previous answer; absent on the first pull.
    pub since: Option<String>,
}

fn parse_cursor(since: Option<&str>) -> Result<i64, ApiError> {
    match since {
        None | Some("") => Ok(0),
        Some(c) => c
            .strip_prefix('o')
            .and_then(|ms| ms.parse::<i64>().ok())
            .ok_or_else(|| {
                ApiError::InvalidInput("unknown sync cursor; pull without since".into())
            }),
    }
}

/// Changes for the caller since the cursor.
#[utoipa::path(get, path = "/v1/sync", tag = "sync", params(SyncQuery),
    responses((status = 200, body = SyncResponse), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn sync(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<SyncQuery>,
) -> Result<Json<SyncResponse>, ApiError> {
    let since = parse_cursor(q.since.as_deref())?;
    let (outages, high) = crate::outages::sync_outages(&state, session.user_id, since).await?;
    Ok(Json(SyncResponse {
        cursor: format!("o{high}"),
        outages,
        ..SyncResponse::default()
    }))
}
