//! Meter readings: batched upload with per-item outcomes, per-meter history, and the pull of
//! changes.
//!
//! Routes:
//! - `POST /v1/readings:batch`        a resident's queued readings (own meters only), ≤ 1,000
//! - `GET  /v1/meters/{id}/readings`  history: the meter's resident, staff of its company
//! - `GET  /v1/sync?since=<cursor>`   the resident's meters, readings, outages, reports and points changed since the cursor
//!
//! The store does the judging (shared rules, server time, exact dedup) and the group commit;
//! this module checks roles, sizes and access, and turns a full ingest queue into `429` with
//! `Retry-After` instead of letting requests time out.

use axum::{
    Router,
    extract::{Path, Query, State},
    routing::{get, post},
};
use chrono::Utc;
use connect_core::{
    api::{
        ErrorBody,
        readings::{
            ReadingBatchRequest, ReadingBatchResponse, ReadingHistoryResponse, ReadingOutcome,
        },
        sync::SyncResponse,
    },
    auth::Role,
    ids::MeterId,
};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};
use uuid::Uuid;

use crate::{
    AppState,
    auth::Session,
    error::{ApiError, Json},
    store::{
        StoreError,
        readings::{MAX_BATCH, OVERLOAD_RETRY_SECS},
    },
};

/// Readings one history answer carries at most.
const HISTORY_LIMIT: u32 = 1000;

/// Changes one sync page carries at most.
const SYNC_PAGE: u32 = 500;

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/readings:batch", post(submit_batch))
        .route("/v1/meters/{id}/readings", get(meter_history))
        .route("/v1/sync", get(sync))
}

/// This module's part of `/openapi.json`.
#[derive(OpenApi)]
#[openapi(paths(submit_batch, meter_history, sync))]
pub struct Api;

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Overloaded => ApiError::Overloaded(OVERLOAD_RETRY_SECS),
        other => ApiError::Store(other),
    }
}

/// Upload queued readings: one outcome per item, in request order.
#[utoipa::path(post, path = "/v1/readings:batch", tag = "readings",
    request_body = ReadingBatchRequest,
    responses((status = 200, body = ReadingBatchResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "ingest queue full; see Retry-After")),
    security(("bearer" = [])))]
async fn submit_batch(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<ReadingBatchRequest>,
) -> Result<Json<ReadingBatchResponse>, ApiError> {
    session.require(Role::Resident)?;
    if req.items.len() > MAX_BATCH {
        return Err(ApiError::InvalidInput(format!(
            "at most {MAX_BATCH} readings per batch"
        )));
    }
    let results = state
        .store
        .submit_readings(session.user_id, req.items, Utc::now())
        .await
        .map_err(store_error)?;
    if results
        .iter()
        .any(|r| matches!(r.outcome, ReadingOutcome::Accepted { late: false, .. }))
    {
        // On-time readings queued their points in the commit; award them off the hot path.
        state.earnings.wake(&state);
    }
    Ok(Json(ReadingBatchResponse { results }))
}

/// A meter's stored readings, newest first. Anyone but its resident and its company's staff
/// gets 404, as for a meter that does not exist.
#[utoipa::path(get, path = "/v1/meters/{id}/readings", tag = "readings",
    params(("id" = Uuid, Path, description = "meter id")),
    responses((status = 200, body = ReadingHistoryResponse), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn meter_history(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
) -> Result<Json<ReadingHistoryResponse>, ApiError> {
    let meter = MeterId(id);
    let scope = state
        .store
        .meter_scope(meter)
        .await?
        .ok_or(ApiError::NotFound)?;
    let staff = session.is_staff_of(scope.company_id.as_ref());
    let resident = !staff
        && session.has(Role::Resident)
        && state
            .store
            .resident_apartments(session.user_id)
            .await?
            .contains(&scope.apartment_id);
    if !staff && !resident {
        return Err(ApiError::NotFound);
    }
    let readings = state.store.meter_readings(meter, HISTORY_LIMIT).await?;
    Ok(Json(ReadingHistoryResponse { readings }))
}

/// `GET /v1/sync` query.
#[derive(Debug, Deserialize, IntoParams)]
struct SyncQuery {
    /// The cursor of the previous answer; absent on the first pull.
    since: Option<String>,
}

/// Where a cursor points: one position per feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Cursor {
    /// Reading change number (`r`).
    readings: i64,
    /// Outage high-water millis (`o`).
    outages: i64,
    /// Report feed position (`e`).
    reports: i64,
}

/// Cursors are `r<reading change number>.o<outage high-water millis>.e<report feed position>`;
/// the older forms `r<n>` and `r<n>.o<m>` read the missing parts as 0 (so a client from before
/// reports were in the feed gets every report change once). Anything else is refused rather
/// than guessed at.
fn parse_cursor(since: Option<&str>) -> Result<Cursor, ApiError> {
    let bad = || ApiError::InvalidInput("unknown sync cursor; pull without since".into());
    let number = |part: &str, prefix: char| {
        part.strip_prefix(prefix)
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| *n >= 0)
    };
    let Some(c) = since.filter(|c| !c.is_empty()) else {
        return Ok(Cursor::default());
    };
    let mut parts = c.split('.');
    let mut cursor = Cursor {
        readings: parts.next().and_then(|p| number(p, 'r')).ok_or_else(bad)?,
        ..Cursor::default()
    };
    for (field, prefix) in [(&mut cursor.outages, 'o'), (&mut cursor.reports, 'e')] {
        if let Some(part) = parts.next() {
            *field = number(part, prefix).ok_or_else(bad)?;
        }
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(cursor)
}

/// What changed for the caller since the cursor: on the first pull (no cursor) the meters of
/// their apartments, and on every pull the readings of those meters stored since, the outages
/// of their buildings and the changes of their reports (`report_sync`).
#[utoipa::path(get, path = "/v1/sync", tag = "readings", params(SyncQuery),
    responses((status = 200, body = SyncResponse), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn sync(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<SyncQuery>,
) -> Result<Json<SyncResponse>, ApiError> {
    let since = parse_cursor(q.since.as_deref())?;
    let after = since.readings;
    let mut meters = Vec::new();
    if after == 0 {
        for apartment in state.store.resident_apartments(session.user_id).await? {
            if let Some(home) = state.store.home(apartment).await? {
                meters.extend(home.meters);
            }
        }
    }
    let page = state
        .store
        .readings_since(session.user_id, after, SYNC_PAGE)
        .await?;
    let readings_more = page.len() == SYNC_PAGE as usize;
    let last = page.last().map_or(after, |(seq, _)| *seq);
    let outages = crate::outages::sync_outages(&state, session.user_id, since.outages).await?;
    let reports = crate::report_sync::sync_reports(&state, session.user_id, since.reports).await?;
    Ok(Json(SyncResponse {
        cursor: format!("r{last}.o{}.e{}", outages.high_ms, reports.last),
        outages: outages.outages,
        outages_withdrawn: outages.withdrawn,
        meters,
        readings: page.into_iter().map(|(_, r)| r).collect(),
        reports: reports.reports,
        report_events: reports.events,
        points: Some(crate::points::summary(&state, session.user_id).await?),
        has_more: readings_more || reports.has_more,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = |readings, outages, reports| Cursor {
            readings,
            outages,
            reports,
        };
        assert_eq!(parse_cursor(None).ok(), Some(c(0, 0, 0)));
        assert_eq!(parse_cursor(Some("r42")).ok(), Some(c(42, 0, 0)));
        assert_eq!(parse_cursor(Some("r42.o1700")).ok(), Some(c(42, 1700, 0)));
        assert_eq!(
            parse_cursor(Some("r42.o1700.e9")).ok(),
            Some(c(42, 1700, 9))
        );
        assert!(parse_cursor(Some("42")).is_err());
        assert!(parse_cursor(Some("r-1")).is_err());
        assert!(parse_cursor(Some("r1.x2")).is_err());
        assert!(parse_cursor(Some("o5")).is_err());
        assert!(
            parse_cursor(Some("r1.e2")).is_err(),
            "parts keep their order"
        );
        assert!(parse_cursor(Some("r1.o2.e3.e4")).is_err());
        assert!(parse_cursor(Some("r1.o2.e-3")).is_err());
    }
}
