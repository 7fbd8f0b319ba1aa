//! The resident's side of reports in the change feed and in retried actions.
//!
//! - [`sync_reports`]: the `reports` and `report_events` lists of `GET /v1/sync`, paged by the
//!   report feed (cursor part `e<feed seq>`): every filing and every history event of the
//!   caller's reports (status changes, staff answers, comments), in commit order, each exactly
//!   once across pages, with the current view of every report the page touches.
//! - [`replayed_action`] / [`settle_action`]: a rating or reopening carries the client's UUIDv7;
//!   a repeat of an applied action (a retry after a lost answer, a duplicated request) is
//!   answered with the report's current view, never refused and never applied twice.

use chrono::Utc;
use connect_core::{
    api::reports::{ReportEvent, ReportView},
    ids::{ReportId, UserId},
};
use uuid::Uuid;

use crate::{AppState, error::ApiError};

/// Feed entries one sync page carries at most.
pub const FEED_PAGE: u32 = 500;

/// The report part of one sync page.
#[derive(Debug, Default)]
pub struct ReportChanges {
    /// Current views (without history) of the reports the page touches, in feed order.
    pub reports: Vec<ReportView>,
    /// The page's history events, oldest first.
    pub events: Vec<ReportEvent>,
    /// The feed position to put in the next cursor (`after` when the page is empty).
    pub last: i64,
    /// The page is full: more entries wait.
    pub has_more: bool,
}

/// The caller's report changes after feed position `after`.
pub async fn sync_reports(
    state: &AppState,
    user: UserId,
    after: i64,
) -> Result<ReportChanges, ApiError> {
    let page = state.store.report_feed(user, after, FEED_PAGE).await?;
    let has_more = page.len() == FEED_PAGE as usize;
    let last = page.last().map_or(after, |e| e.seq);
    let mut touched: Vec<ReportId> = Vec::new();
    let mut events = Vec::new();
    for entry in page {
        if !touched.contains(&entry.report_id) {
            touched.push(entry.report_id);
        }
        events.extend(entry.event);
    }
    let now = Utc::now();
    let mut reports = Vec::with_capacity(touched.len());
    for id in touched {
        // Reports are never deleted; a missing one would be a store defect, not the caller's.
        let record =
            state.store.report(id).await?.ok_or_else(|| {
                ApiError::Internal(format!("report {} of the feed is missing", id.0))
            })?;
        reports.push(crate::reports::view(state, record, now, false).await?);
    }
    Ok(ReportChanges {
        reports,
        events,
        last,
        has_more,
    })
}

/// The report's current view when the action id `op` was already applied to it; `None` when it
/// was not (or no id was sent). An id applied to another report is refused.
pub async fn replayed_action(
    state: &AppState,
    report: ReportId,
    op: Option<Uuid>,
) -> Result<Option<ReportView>, ApiError> {
    let Some(op) = op else {
        return Ok(None);
    };
    match state.store.report_of_client_op(op).await? {
        None => Ok(None),
        Some(applied_to) if applied_to == report => {
            let record = state
                .store
                .report(report)
                .await?
                .ok_or(ApiError::NotFound)?;
            Ok(Some(
                crate::reports::view(state, record, Utc::now(), true).await?,
            ))
        }
        Some(_) => Err(ApiError::Conflict(
            "this action id was already used for another report".into(),
        )),
    }
}

/// Turns the refusal of an action whose id a concurrent repeat applied first into that repeat's
/// answer; everything else passes through.
pub async fn settle_action(
    state: &AppState,
    report: ReportId,
    op: Option<Uuid>,
    outcome: Result<crate::error::Json<ReportView>, ApiError>,
) -> Result<crate::error::Json<ReportView>, ApiError> {
    match outcome {
        Err(refused @ ApiError::Conflict(_)) => match replayed_action(state, report, op).await? {
            Some(view) => Ok(crate::error::Json(view)),
            None => Err(refused),
        },
        other => other,
    }
}
