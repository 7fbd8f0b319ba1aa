//! Problem reports: residents file them (idempotent on the client's UUIDv7, content immutable and
//! covered by a SHA-256), the managing company's staff move them through the lifecycle, the
//! resident comments, rates once and reopens. Overdue is computed here with the server clock at
//! request time, never stored.
//!
//! Routes:
//! - `GET  /v1/report-categories`              the published categories (public)
//! - `POST /v1/reports`                        file a report (resident of the building)
//! - `GET  /v1/reports`                        the caller's own reports, newest first
//! - `GET  /v1/reports/{id}`                   one report with its history (author, staff of its company, authority of its region)
//! - `GET  /v1/reports/{id}/photos/{n}`        photo n (from 0) as `image/jpeg` (author, staff of its company)
//! - `POST /v1/reports/{id}/comments`          a comment (author, staff of its company)
//! - `POST /v1/reports/{id}/rating`            rate once when resolved or rejected (author)
//! - `POST /v1/reports/{id}/reopen`            the problem is back (author; resolved, rejected or rated)
//!
//! A rating or reopening may carry the client's UUIDv7 (`id`): a repeat of an applied one is
//! answered with the report as it is now (`report_sync::replayed_action`), never refused.
//! - `GET  /v1/company/reports?status=&overdue=` the staff's company reports by deadline
//! - `POST /v1/company/reports/{id}/status`    accept / in_progress / resolve / reject (staff of its company)

use axum::{
    Router,
    extract::{DefaultBodyLimit, Path, Query, State},
    http::header,
    response::IntoResponse,
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use connect_core::{
    api::{
        ErrorBody,
        reports::{
            CategoriesResponse, CommentRequest, EventAuthor, FileReportRequest,
            FiledReportResponse, MAX_PHOTO_BYTES, MAX_PHOTOS, MAX_TEXT_CHARS, RatingRequest,
            ReopenRequest, ReportCategory, ReportView, ReportsResponse, StatusChangeRequest,
            is_jpeg,
        },
    },
    auth::Role,
    ids::{CompanyId, ReportId},
    reports::ReportStatus,
};
use serde::Deserialize;
use utoipa::OpenApi;
use uuid::Uuid;

use crate::{
    AppState,
    auth::Session,
    error::{ApiError, Json},
    store::{Filed, NewEvent, NewReport, ReportFilter, ReportRecord},
};

/// Largest `POST /v1/reports` body: five photos at the cap, base64, plus the text.
const FILE_BODY_LIMIT: usize = MAX_PHOTOS * (MAX_PHOTO_BYTES * 4 / 3 + 4) + 64 * 1024;

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/report-categories", get(categories))
        .route(
            "/v1/reports",
            post(file)
                .layer(DefaultBodyLimit::max(FILE_BODY_LIMIT))
                .get(mine),
        )
        .route("/v1/reports/{id}", get(one))
        .route("/v1/reports/{id}/photos/{n}", get(photo))
        .route("/v1/reports/{id}/comments", post(comment))
        .route("/v1/reports/{id}/rating", post(rate))
        .route("/v1/reports/{id}/reopen", post(reopen))
        .route("/v1/company/reports", get(company_reports))
        .route("/v1/company/reports/{id}/status", post(change_status))
}

/// This module's part of `/openapi.json`.
#[derive(OpenApi)]
#[openapi(paths(
    categories,
    file,
    mine,
    one,
    photo,
    comment,
    rate,
    reopen,
    company_reports,
    change_status
))]
pub struct Api;

/// The categories residents choose from, with deadlines: emergencies in hours, the rest in days.
/// Overridable with `CONNECT_REPORT_CATEGORIES` (a JSON file with a list of categories).
pub fn default_categories() -> Vec<ReportCategory> {
    let c = |code: &str, title: &str, emergency: bool, deadline_hours: u32| ReportCategory {
        code: code.into(),
        title: title.into(),
        emergency,
        deadline_hours,
    };
    vec![
        c("leak", "Leak or flooding", true, 4),
        c("no_heating", "No heating", true, 24),
        c("electricity", "No electricity / sparking", true, 4),
        c("lift", "Lift out of order", false, 24),
        c("stairwell_light", "Dark stairwell", false, 3 * 24),
        c("cleaning", "Cleaning of common areas", false, 5 * 24),
        c("roof", "Roof or facade", false, 10 * 24),
        c("other", "Other", false, 10 * 24),
    ]
}

/// True when the report is still open past its deadline at `now`.
pub fn is_overdue(r: &ReportRecord, now: DateTime<Utc>) -> bool {
    let open = matches!(
        r.status,
        ReportStatus::New
            | ReportStatus::Accepted
            | ReportStatus::InProgress
            | ReportStatus::Reopened
    );
    open && now.timestamp_millis() > r.due_ms
}

/// How the deadline judged a report at `now`: `Some(true)` answered (first resolve or reject) by
/// its deadline, `Some(false)` answered late or still open past it, `None` open and not yet due.
/// The rating's and the dashboard's "answered on time" share counts these.
pub fn answered_on_time(r: &ReportRecord, now: DateTime<Utc>) -> Option<bool> {
    match r.answered_ms {
        Some(at) => Some(at <= r.due_ms),
        None if now.timestamp_millis() > r.due_ms => Some(false),
        None => None,
    }
}

fn ts(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The published categories.
#[utoipa::path(get, path = "/v1/report-categories", tag = "reports",
    responses((status = 200, body = CategoriesResponse)))]
async fn categories(State(state): State<AppState>) -> Json<CategoriesResponse> {
    Json(CategoriesResponse {
        categories: state.settings.report_categories.clone(),
    })
}

fn filed_response(r: &ReportRecord) -> FiledReportResponse {
    FiledReportResponse {
        id: r.id,
        number: r.number.clone(),
        content_sha256: r.content_sha256.clone(),
        status: r.status,
        filed_at: ts(r.filed_ms),
        due_at: ts(r.due_ms),
    }
}

fn check_text(field: &str, text: &str, max: usize) -> Result<(), ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::InvalidInput(format!("{field} must not be empty")));
    }
    if text.chars().count() > max {
        return Err(ApiError::InvalidInput(format!(
            "{field} is longer than {max} characters"
        )));
    }
    Ok(())
}

/// File a report. Repeating the same id with the same content returns the first answer; with
/// other content it is refused with 409 and nothing is written.
#[utoipa::path(post, path = "/v1/reports", tag = "reports", request_body = FileReportRequest,
    responses((status = 200, body = FiledReportResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn file(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<FileReportRequest>,
) -> Result<Json<FiledReportResponse>, ApiError> {
    let now = Utc::now();
    let sha = req.content_sha256();
    // A repeat is answered before any other check, so a retry after a rule change still gets
    // the answer it is owed.
    if let Some(existing) = state.store.report(req.id).await? {
        return repeat(&session, existing, &sha);
    }
    let category = state
        .settings
        .report_categories
        .iter()
        .find(|c| c.code == req.category)
        .ok_or_else(|| ApiError::InvalidInput("unknown category".into()))?;
    check_text("text", &req.text, MAX_TEXT_CHARS)?;
    check_text("place", &req.place, 500)?;
    if req.photos.len() > MAX_PHOTOS {
        return Err(ApiError::InvalidInput(format!(
            "at most {MAX_PHOTOS} photos"
        )));
    }
    let mut photos = Vec::with_capacity(req.photos.len());
    for (i, p) in req.photos.iter().enumerate() {
        let bytes = STANDARD
            .decode(p)
            .map_err(|_| ApiError::InvalidInput(format!("photo {i} is not base64")))?;
        if bytes.len() > MAX_PHOTO_BYTES {
            return Err(ApiError::InvalidInput(format!(
                "photo {i} is larger than {MAX_PHOTO_BYTES} bytes"
            )));
        }
        if !is_jpeg(&bytes) {
            return Err(ApiError::InvalidInput(format!("photo {i} is not a JPEG")));
        }
        photos.push(bytes);
    }
    let mut lives_there = false;
    for apt in state.store.resident_apartments(session.user_id).await? {
        if let Some(a) = state.store.apartment(apt).await?
            && a.building_id == req.building_id
        {
            lives_there = true;
            break;
        }
    }
    if !lives_there {
        return Err(ApiError::Forbidden);
    }
    let building = state
        .store
        .building(req.building_id.clone())
        .await?
        .ok_or(ApiError::Forbidden)?;
    let filed_ms = now.timestamp_millis();
    let new = NewReport {
        id: req.id,
        author: session.user_id,
        building_id: building.id,
        company_id: building.company_id,
        region_id: building.region_id,
        category: req.category,
        text: req.text,
        place: req.place,
        content_sha256: sha.clone(),
        photos,
        filed_ms,
        due_ms: filed_ms + i64::from(category.deadline_hours) * 3_600_000,
    };
    match state.store.file_report(new).await? {
        Filed::Created(r) => {
            tracing::info!(report = %r.id.0, number = %r.number, "report filed");
            crate::staff::on_report_filed(&state, &r);
            Ok(Json(filed_response(&r)))
        }
        Filed::Existing(r) => repeat(&session, r, &sha),
    }
}

fn repeat(
    session: &Session,
    existing: ReportRecord,
    sha: &str,
) -> Result<Json<FiledReportResponse>, ApiError> {
    if existing.author != session.user_id {
        // Someone else's id: do not reveal that it exists.
        return Err(ApiError::Conflict("this report id is taken".into()));
    }
    if existing.content_sha256 != sha {
        return Err(ApiError::Conflict(
            "a report with this id was filed with other content; filed reports are immutable, add a comment instead".into(),
        ));
    }
    Ok(Json(filed_response(&existing)))
}

/// The view of a report (with its history when `history`), overdue by `now`.
pub(crate) async fn view(
    state: &AppState,
    r: ReportRecord,
    now: DateTime<Utc>,
    history: bool,
) -> Result<ReportView, ApiError> {
    let address = state
        .store
        .building(r.building_id.clone())
        .await?
        .map(|b| b.address)
        .unwrap_or_default();
    let events = if history {
        state.store.report_events(r.id).await?
    } else {
        Vec::new()
    };
    Ok(ReportView {
        overdue: is_overdue(&r, now),
        id: r.id,
        number: r.number,
        building_id: r.building_id,
        address,
        company_id: r.company_id,
        category: r.category,
        text: r.text,
        place: r.place,
        photo_count: r.photo_count,
        content_sha256: r.content_sha256,
        status: r.status,
        filed_at: ts(r.filed_ms),
        due_at: ts(r.due_ms),
        rating: r.rating,
        events,
    })
}

/// Who may see a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// The resident who filed it.
    Author,
    /// Staff of the company that manages its building.
    Staff,
    /// The authority of its region.
    Authority,
}

fn access(session: &Session, r: &ReportRecord) -> Option<Access> {
    if r.author == session.user_id {
        Some(Access::Author)
    } else if session.is_staff_of(r.company_id.as_ref()) {
        Some(Access::Staff)
    } else if session.has_scope(Role::Authority, &r.region_id.0) {
        Some(Access::Authority)
    } else {
        None
    }
}

/// Loads a report the caller may use in one of `allowed` ways; everyone else gets 404, exactly
/// as for an id that does not exist.
pub(crate) async fn load_for(
    state: &AppState,
    session: &Session,
    id: Uuid,
    allowed: &[Access],
) -> Result<(ReportRecord, Access), ApiError> {
    let r = state
        .store
        .report(ReportId(id))
        .await?
        .ok_or(ApiError::NotFound)?;
    match access(session, &r) {
        Some(a) if allowed.contains(&a) => Ok((r, a)),
        _ => Err(ApiError::NotFound),
    }
}

/// The caller's own reports, newest first.
#[utoipa::path(get, path = "/v1/reports", tag = "reports",
    responses((status = 200, body = ReportsResponse), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn mine(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<ReportsResponse>, ApiError> {
    let now = Utc::now();
    let mut reports = Vec::new();
    for r in state
        .store
        .reports(ReportFilter::Author(session.user_id))
        .await?
    {
        reports.push(view(&state, r, now, true).await?);
    }
    Ok(Json(ReportsResponse { reports }))
}

/// One report with its history.
#[utoipa::path(get, path = "/v1/reports/{id}", tag = "reports",
    params(("id" = Uuid, Path, description = "report id")),
    responses((status = 200, body = ReportView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn one(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
) -> Result<Json<ReportView>, ApiError> {
    let (r, _) = load_for(
        &state,
        &session,
        id,
        &[Access::Author, Access::Staff, Access::Authority],
    )
    .await?;
    Ok(Json(view(&state, r, Utc::now(), true).await?))
}

/// One photo of a report.
#[utoipa::path(get, path = "/v1/reports/{id}/photos/{n}", tag = "reports",
    params(("id" = Uuid, Path, description = "report id"), ("n" = u32, Path, description = "photo index from 0")),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn photo(
    State(state): State<AppState>,
    session: Session,
    Path((id, n)): Path<(Uuid, u32)>,
) -> Result<impl IntoResponse, ApiError> {
    let jpeg = photo_bytes(&state, &session, id, n).await?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg")], jpeg))
}

/// Photo `n` of a report the caller filed or whose company they work for.
pub(crate) async fn photo_bytes(
    state: &AppState,
    session: &Session,
    id: Uuid,
    n: u32,
) -> Result<Vec<u8>, ApiError> {
    let (r, _) = load_for(state, session, id, &[Access::Author, Access::Staff]).await?;
    state
        .store
        .report_photo(r.id, n)
        .await?
        .ok_or(ApiError::NotFound)
}

/// A comment by the resident or the company; filed content never changes.
#[utoipa::path(post, path = "/v1/reports/{id}/comments", tag = "reports",
    params(("id" = Uuid, Path, description = "report id")), request_body = CommentRequest,
    responses((status = 200, body = ReportView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn comment(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
    Json(req): Json<CommentRequest>,
) -> Result<Json<ReportView>, ApiError> {
    Ok(Json(add_comment(&state, &session, id, req.text).await?))
}

/// Appends a comment by the author or by staff of the report's company (their answer).
pub(crate) async fn add_comment(
    state: &AppState,
    session: &Session,
    id: Uuid,
    text: String,
) -> Result<ReportView, ApiError> {
    let (r, who) = load_for(state, session, id, &[Access::Author, Access::Staff]).await?;
    check_text("text", &text, MAX_TEXT_CHARS)?;
    let now = Utc::now();
    let author = if who == Access::Author {
        EventAuthor::Resident
    } else {
        EventAuthor::Company
    };
    state
        .store
        .add_report_comment(
            r.id,
            NewEvent {
                at_ms: now.timestamp_millis(),
                author,
                text: Some(text),
                client_op: None,
            },
        )
        .await?;
    view(state, r, now, true).await
}

async fn transition(
    state: &AppState,
    r: ReportRecord,
    from: &[ReportStatus],
    to: ReportStatus,
    rating: Option<u8>,
    event: NewEvent,
) -> Result<Json<ReportView>, ApiError> {
    let now = ts(event.at_ms);
    let current = r.status;
    let updated = state
        .store
        .change_report_status(r.id, from.to_vec(), to, rating, event)
        .await?
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "a report in status {} cannot become {}",
                crate::store::status_to_db(current),
                crate::store::status_to_db(to)
            ))
        })?;
    tracing::info!(report = %updated.id.0, status = crate::store::status_to_db(to), "report status changed");
    Ok(Json(view(state, updated, now, true).await?))
}

/// Rate a resolved or rejected report, once. A repeat of an applied rating `id` gets the
/// report's current view.
#[utoipa::path(post, path = "/v1/reports/{id}/rating", tag = "reports",
    params(("id" = Uuid, Path, description = "report id")), request_body = RatingRequest,
    responses((status = 200, body = ReportView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn rate(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
    Json(req): Json<RatingRequest>,
) -> Result<Json<ReportView>, ApiError> {
    let (r, _) = load_for(&state, &session, id, &[Access::Author]).await?;
    if let Some(done) = crate::report_sync::replayed_action(&state, r.id, req.id).await? {
        return Ok(Json(done));
    }
    if !(1..=5).contains(&req.stars) {
        return Err(ApiError::InvalidInput("stars must be 1 to 5".into()));
    }
    if let Some(c) = &req.comment {
        check_text("comment", c, MAX_TEXT_CHARS)?;
    }
    // Once: a reopened-then-closed report was already rated only if `rating` is set.
    if r.rating.is_some() {
        return Err(ApiError::Conflict("this report is already rated".into()));
    }
    let event = NewEvent {
        at_ms: Utc::now().timestamp_millis(),
        author: EventAuthor::Resident,
        text: req.comment,
        client_op: req.id,
    };
    let report = r.id;
    let rated = transition(
        &state,
        r,
        &[ReportStatus::Resolved, ReportStatus::Rejected],
        ReportStatus::Rated,
        Some(req.stars),
        event,
    )
    .await;
    if rated.is_ok() {
        // The rating queued its points in the same commit; award them now, off the request.
        state.earnings.wake(&state);
    }
    crate::report_sync::settle_action(&state, report, req.id, rated).await
}

/// The problem is back. A repeat of an applied reopening `id` gets the report's current view.
#[utoipa::path(post, path = "/v1/reports/{id}/reopen", tag = "reports",
    params(("id" = Uuid, Path, description = "report id")), request_body = ReopenRequest,
    responses((status = 200, body = ReportView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn reopen(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
    Json(req): Json<ReopenRequest>,
) -> Result<Json<ReportView>, ApiError> {
    let (r, _) = load_for(&state, &session, id, &[Access::Author]).await?;
    if let Some(done) = crate::report_sync::replayed_action(&state, r.id, req.id).await? {
        return Ok(Json(done));
    }
    check_text("text", &req.text, MAX_TEXT_CHARS)?;
    let event = NewEvent {
        at_ms: Utc::now().timestamp_millis(),
        author: EventAuthor::Resident,
        text: Some(req.text),
        client_op: req.id,
    };
    let report = r.id;
    let reopened = transition(
        &state,
        r,
        &[
            ReportStatus::Resolved,
            ReportStatus::Rejected,
            ReportStatus::Rated,
        ],
        ReportStatus::Reopened,
        None,
        event,
    )
    .await;
    crate::report_sync::settle_action(&state, report, req.id, reopened).await
}

/// Filters of `GET /v1/company/reports`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CompanyQuery {
    /// Only this status.
    pub status: Option<ReportStatus>,
    /// Only overdue (`true`) or only not overdue (`false`).
    pub overdue: Option<bool>,
}

/// The reports of the caller's companies, by deadline.
#[utoipa::path(get, path = "/v1/company/reports", tag = "reports", params(CompanyQuery),
    responses((status = 200, body = ReportsResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn company_reports(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<CompanyQuery>,
) -> Result<Json<ReportsResponse>, ApiError> {
    Ok(Json(ReportsResponse {
        reports: company_list(&state, &session, &q).await?,
    }))
}

/// The reports of the caller's companies by deadline, filtered.
pub(crate) async fn company_list(
    state: &AppState,
    session: &Session,
    q: &CompanyQuery,
) -> Result<Vec<ReportView>, ApiError> {
    session.require(Role::CompanyStaff)?;
    let now = Utc::now();
    let companies: Vec<String> = session
        .scopes(Role::CompanyStaff)
        .map(str::to_owned)
        .collect();
    let mut records = Vec::new();
    for c in companies {
        records.extend(
            state
                .store
                .reports(ReportFilter::Company(CompanyId(c)))
                .await?,
        );
    }
    records.sort_by_key(|r| (r.due_ms, r.id));
    let mut reports = Vec::new();
    for r in records {
        if q.status.is_some_and(|s| s != r.status)
            || q.overdue.is_some_and(|o| o != is_overdue(&r, now))
        {
            continue;
        }
        reports.push(view(state, r, now, false).await?);
    }
    Ok(reports)
}

/// Move a report through the lifecycle (staff of its company).
#[utoipa::path(post, path = "/v1/company/reports/{id}/status", tag = "reports",
    params(("id" = Uuid, Path, description = "report id")), request_body = StatusChangeRequest,
    responses((status = 200, body = ReportView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn change_status(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
    Json(req): Json<StatusChangeRequest>,
) -> Result<Json<ReportView>, ApiError> {
    Ok(Json(staff_action(&state, &session, id, req).await?))
}

/// A staff member of the report's company moves it through the lifecycle; a closure (resolved
/// or rejected) also texts the resident.
pub(crate) async fn staff_action(
    state: &AppState,
    session: &Session,
    id: Uuid,
    req: StatusChangeRequest,
) -> Result<ReportView, ApiError> {
    let (r, _) = load_for(state, session, id, &[Access::Staff]).await?;
    if let Some(c) = &req.comment {
        check_text("comment", c, MAX_TEXT_CHARS)?;
    }
    if req.action == connect_core::api::reports::StaffAction::Reject && req.comment.is_none() {
        return Err(ApiError::InvalidInput("a rejection needs a reason".into()));
    }
    let to = req.action.apply(r.status).ok_or_else(|| {
        ApiError::Conflict(format!(
            "a report in status {} cannot take this action",
            crate::store::status_to_db(r.status)
        ))
    })?;
    let from = [r.status];
    let event = NewEvent {
        at_ms: Utc::now().timestamp_millis(),
        author: EventAuthor::Company,
        text: req.comment.clone(),
        client_op: None,
    };
    let Json(view) = transition(state, r, &from, to, None, event).await?;
    if matches!(to, ReportStatus::Resolved | ReportStatus::Rejected) {
        crate::notify::report_closed(state, &view, req.comment.as_deref());
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_core::ids::{BuildingId, RegionId, UserId};

    fn record(status: ReportStatus, due_ms: i64) -> ReportRecord {
        ReportRecord {
            id: ReportId(Uuid::nil()),
            number: "2026-000001".into(),
            author: UserId(Uuid::nil()),
            building_id: BuildingId("b".into()),
            company_id: None,
            region_id: RegionId("r".into()),
            category: "leak".into(),
            text: "t".into(),
            place: "p".into(),
            content_sha256: String::new(),
            photo_count: 0,
            status,
            filed_ms: 0,
            due_ms,
            answered_ms: None,
            rating: None,
        }
    }

    #[test]
    fn an_open_report_becomes_overdue_only_after_its_deadline_by_the_given_clock() {
        let due = 1_800_000_000_000;
        let r = record(ReportStatus::Accepted, due);
        assert!(!is_overdue(&r, ts(due)));
        assert!(is_overdue(&r, ts(due + 1)));
        assert!(!is_overdue(
            &record(ReportStatus::Resolved, due),
            ts(due + 1)
        ));
        assert!(is_overdue(
            &record(ReportStatus::Reopened, due),
            ts(due + 1)
        ));
    }

    #[test]
    fn the_deadline_judges_answered_reports_by_their_answer_and_open_ones_only_once_due() {
        let due = 1_800_000_000_000;
        let mut r = record(ReportStatus::Accepted, due);
        assert_eq!(answered_on_time(&r, ts(due)), None);
        assert_eq!(answered_on_time(&r, ts(due + 1)), Some(false));
        r.answered_ms = Some(due);
        assert_eq!(answered_on_time(&r, ts(due + 1_000_000)), Some(true));
        r.answered_ms = Some(due + 1);
        assert_eq!(answered_on_time(&r, ts(due - 1)), Some(false));
    }

    #[test]
    fn emergency_categories_count_in_hours_and_others_in_days() {
        for c in default_categories() {
            if c.emergency {
                assert!(c.deadline_hours <= 24, "{}", c.code);
            } else {
                assert_eq!(c.deadline_hours % 24, 0, "{}", c.code);
            }
        }
    }
}
