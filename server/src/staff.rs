//! Staff of managing companies: one-time invite links (the company's first report mails one to
//! the company's address; staff and admins invite more), the staff list, and assigning a report
//! to a staff member. The browser side of accepting an invite is in `web::login`.
//!
//! Routes:
//! - `POST /v1/invites/{token}/accept`         the caller becomes staff of the invite's company (once)
//! - `GET  /v1/company/staff?company_id=`      the staff of the caller's company (admin: any)
//! - `POST /v1/company/staff/invites`          invite one more staff member (staff of the company, admin)
//! - `POST /v1/company/reports/{id}/assign`    assign a report to a staff member (staff of its company)

use axum::{
    Router,
    extract::{Path, Query, State},
    routing::{get, post},
};
use chrono::{DateTime, Duration, Utc};
use connect_core::{
    api::{
        ErrorBody,
        reports::EventAuthor,
        staff::{
            AcceptInviteResponse, AssignRequest, AssignResponse, InviteStaffRequest,
            InviteStaffResponse, StaffMember, StaffResponse,
        },
    },
    auth::Role,
    ids::{CompanyId, ReportId, UserId},
    reports::ReportStatus,
};
use serde::Deserialize;
use utoipa::OpenApi;
use uuid::Uuid;

use crate::{
    AppState,
    auth::Session,
    crypto::token_hash,
    error::{ApiError, Json},
    mail::Mail,
    reports::{Access, load_for},
    store::{NewEvent, NewInvite, Redeemed, ReportRecord},
};

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/invites/{token}/accept", post(accept))
        .route("/v1/company/staff", get(list))
        .route("/v1/company/staff/invites", post(invite))
        .route("/v1/company/reports/{id}/assign", post(assign_route))
}

/// This module's part of `/openapi.json`.
#[derive(OpenApi)]
#[openapi(paths(accept, list, invite, assign_route))]
pub struct Api;

/// Longest staff name.
const MAX_NAME_CHARS: usize = 100;

/// The company the caller acts for: their own (staff of exactly one company may omit it), or
/// any named one (admin). Another company answers 404, exactly as one that does not exist.
pub(crate) fn company_of(session: &Session, asked: Option<&str>) -> Result<CompanyId, ApiError> {
    let own: Vec<&str> = session.scopes(Role::CompanyStaff).collect();
    match asked {
        Some(c) if own.contains(&c) || session.has(Role::Admin) => Ok(CompanyId(c.to_owned())),
        Some(_) => Err(if own.is_empty() {
            ApiError::Forbidden
        } else {
            ApiError::NotFound
        }),
        None => match own.as_slice() {
            [one] => Ok(CompanyId((*one).to_owned())),
            [] => Err(ApiError::Forbidden),
            _ => Err(ApiError::InvalidInput(
                "you work for several companies: name company_id".into(),
            )),
        },
    }
}

/// `+7•••••••4567`: enough for colleagues to tell two staff apart, not a number to call.
pub fn phone_hint(phone: &str) -> String {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    phone
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                // Keep the country code's first digit and the last four.
                if seen == 1 || seen + 4 > digits {
                    c
                } else {
                    '•'
                }
            } else {
                c
            }
        })
        .collect()
}

fn check_email(email: &str) -> Result<(), ApiError> {
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::InvalidInput(
            "email is not an e-mail address".into(),
        ))
    }
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::InvalidInput(format!(
            "name must be 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(name.to_owned())
}

fn ts(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A fresh invite: the stored row and the link that carries its token.
fn new_invite(
    state: &AppState,
    company: &CompanyId,
    name: String,
    email: Option<String>,
    created_by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<(NewInvite, String), ApiError> {
    let (token, hash) = state
        .keys
        .new_token()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let expires = now + Duration::hours(i64::from(state.settings.invite_ttl_hours));
    Ok((
        NewInvite {
            token_hash: hash,
            company_id: company.clone(),
            name,
            email,
            created_by,
            created_ms: now.timestamp_millis(),
            expires_ms: expires.timestamp_millis(),
        },
        state.link(&format!("/invite/{token}")),
    ))
}

fn invite_mail(
    to: &str,
    company: &str,
    invited: &str,
    url: &str,
    expires: DateTime<Utc>,
    why: &str,
) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: format!("Invitation to the CommunityConnect cabinet of {company}"),
        text: format!(
            "{why}\n\n{invited} is invited to the web cabinet of {company}, where staff answer \
             residents' problem reports.\n\nOpen this link and log in with your phone number:\n{url}\n\n\
             The link works once, until {} UTC. If you did not expect it, ignore this message.",
            expires.format("%Y-%m-%d %H:%M")
        ),
    }
}

/// After a report is filed: when its company has an e-mail address, no staff and no live
/// invite, mail a one-time invite link there. Runs in the background and never fails the filing.
pub fn on_report_filed(state: &AppState, report: &ReportRecord) {
    let Some(company_id) = report.company_id.clone() else {
        return;
    };
    let state = state.clone();
    let number = report.number.clone();
    tokio::spawn(async move {
        if let Err(error) = first_invite(&state, &company_id, &number).await {
            tracing::warn!(%error, company = %company_id.0, "first-report invite not sent");
        }
    });
}

async fn first_invite(
    state: &AppState,
    company_id: &CompanyId,
    number: &str,
) -> Result<(), ApiError> {
    let Some(company) = state.store.company(company_id.clone()).await? else {
        return Ok(());
    };
    let Some(email) = company.email.filter(|e| check_email(e).is_ok()) else {
        tracing::info!(company = %company_id.0, "no e-mail address: no staff invite on its first report");
        return Ok(());
    };
    let now = Utc::now();
    let (invite, url) = new_invite(
        state,
        company_id,
        "Company administrator".into(),
        Some(email.clone()),
        None,
        now,
    )?;
    let expires = ts(invite.expires_ms);
    if !state.store.create_first_invite(invite).await? {
        return Ok(());
    }
    let why = format!(
        "A resident has filed report {number} about a building {} manages, and nobody of the \
         company has joined CommunityConnect yet.",
        company.name
    );
    state
        .mail
        .send(&invite_mail(
            &email,
            &company.name,
            "The company's administrator",
            &url,
            expires,
            &why,
        ))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    metrics::counter!("connect_staff_invites_mailed_total").increment(1);
    tracing::info!(company = %company_id.0, "first-report staff invite mailed");
    Ok(())
}

/// Invites one more staff member: stores the invite and mails the link when an address is given.
pub(crate) async fn invite_staff(
    state: &AppState,
    session: &Session,
    req: InviteStaffRequest,
) -> Result<InviteStaffResponse, ApiError> {
    let company_id = company_of(session, req.company_id.as_ref().map(|c| c.0.as_str()))?;
    let name = check_name(&req.name)?;
    let email = req
        .email
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty());
    if let Some(e) = &email {
        check_email(e)?;
    }
    let company = state
        .store
        .company(company_id.clone())
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = Utc::now();
    let (invite, url) = new_invite(
        state,
        &company_id,
        name.clone(),
        email.clone(),
        Some(session.user_id),
        now,
    )?;
    let expires_at = ts(invite.expires_ms);
    state
        .store
        .create_invite(invite)
        .await
        .map_err(ApiError::from_write)?;
    let mut mailed = false;
    if let Some(to) = &email {
        let why = format!("A colleague at {} invites you.", company.name);
        match state
            .mail
            .send(&invite_mail(
                to,
                &company.name,
                &name,
                &url,
                expires_at,
                &why,
            ))
            .await
        {
            Ok(()) => mailed = true,
            // The inviter still gets the link and can pass it on.
            Err(error) => tracing::warn!(%error, company = %company_id.0, "invite mail not sent"),
        }
    }
    tracing::info!(company = %company_id.0, mailed, "staff invite created");
    Ok(InviteStaffResponse {
        company_id,
        url,
        expires_at,
        mailed,
    })
}

/// Uses an invite for `user`.
pub(crate) async fn accept_invite(
    state: &AppState,
    user: UserId,
    token: &str,
) -> Result<AcceptInviteResponse, ApiError> {
    let outcome = state
        .store
        .redeem_invite(token_hash(token), user, Utc::now().timestamp_millis())
        .await?;
    let company_id = match outcome {
        Redeemed::Joined(c) => c,
        Redeemed::Unknown => return Err(ApiError::NotFound),
        Redeemed::Expired => return Err(ApiError::Conflict("this invite has expired".into())),
        Redeemed::AlreadyUsed => {
            return Err(ApiError::Conflict("this invite was already used".into()));
        }
    };
    tracing::info!(company = %company_id.0, "staff invite accepted");
    let company_name = state
        .store
        .company(company_id.clone())
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    Ok(AcceptInviteResponse {
        company_id,
        company_name,
    })
}

/// The staff of a company with their names and phone hints.
pub(crate) async fn staff_of(
    state: &AppState,
    company: &CompanyId,
) -> Result<Vec<StaffMember>, ApiError> {
    let mut staff: Vec<StaffMember> = state
        .store
        .staff(company.clone())
        .await?
        .into_iter()
        .map(|m| StaffMember {
            user_id: m.user_id,
            name: m.name,
            phone_hint: state
                .keys
                .decrypt_phone(&m.phone_sealed)
                .map(|p| phone_hint(&p))
                .unwrap_or_default(),
        })
        .collect();
    staff.sort_by(|a, b| (&a.name, a.user_id).cmp(&(&b.name, b.user_id)));
    Ok(staff)
}

/// A member's name as colleagues see it.
pub fn display_name(m: &StaffMember) -> String {
    m.name.clone().unwrap_or_else(|| m.phone_hint.clone())
}

/// Assigns a report of the caller's company to one of its staff; the resident sees that
/// someone was assigned (an event without the phone).
pub(crate) async fn assign(
    state: &AppState,
    session: &Session,
    id: Uuid,
    user: UserId,
) -> Result<AssignResponse, ApiError> {
    let (r, _) = load_for(state, session, id, &[Access::Staff]).await?;
    if matches!(
        r.status,
        ReportStatus::Resolved | ReportStatus::Rejected | ReportStatus::Rated
    ) {
        return Err(ApiError::Conflict(
            "a closed report cannot be assigned; it is reopened by its resident".into(),
        ));
    }
    let company = r.company_id.clone().ok_or(ApiError::NotFound)?;
    let member = staff_of(state, &company)
        .await?
        .into_iter()
        .find(|m| m.user_id == user)
        .ok_or_else(|| ApiError::InvalidInput("not a staff member of this company".into()))?;
    let text = match &member.name {
        Some(n) => format!("Assigned to {n}"),
        None => "Assigned to a staff member".to_owned(),
    };
    let event = NewEvent {
        at_ms: Utc::now().timestamp_millis(),
        author: EventAuthor::Company,
        text: Some(text),
        client_op: None,
    };
    if !state.store.assign_report(r.id, user, event).await? {
        return Err(ApiError::NotFound);
    }
    tracing::info!(report = %r.id.0, "report assigned");
    Ok(AssignResponse {
        report_id: ReportId(r.id.0),
        assignee: member,
    })
}

/// Become staff of the invite's company (the invite works once, until it expires).
#[utoipa::path(post, path = "/v1/invites/{token}/accept", tag = "staff",
    params(("token" = String, Path, description = "the token of the invite link")),
    responses((status = 200, body = AcceptInviteResponse), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no such invite"),
        (status = 409, body = ErrorBody, description = "used or expired")),
    security(("bearer" = [])))]
async fn accept(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
) -> Result<Json<AcceptInviteResponse>, ApiError> {
    Ok(Json(accept_invite(&state, session.user_id, &token).await?))
}

/// `?company_id=` (staff of one company may omit it).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CompanyParam {
    /// The company.
    pub company_id: Option<String>,
}

/// The staff of the caller's company.
#[utoipa::path(get, path = "/v1/company/staff", tag = "staff", params(CompanyParam),
    responses((status = 200, body = StaffResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<CompanyParam>,
) -> Result<Json<StaffResponse>, ApiError> {
    let company_id = company_of(&session, q.company_id.as_deref())?;
    let staff = staff_of(&state, &company_id).await?;
    Ok(Json(StaffResponse { company_id, staff }))
}

/// Invite one more staff member: a one-time link, mailed when `email` is given.
#[utoipa::path(post, path = "/v1/company/staff/invites", tag = "staff",
    request_body = InviteStaffRequest,
    responses((status = 200, body = InviteStaffResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn invite(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<InviteStaffRequest>,
) -> Result<Json<InviteStaffResponse>, ApiError> {
    Ok(Json(invite_staff(&state, &session, req).await?))
}

/// Assign a report to a staff member of its company.
#[utoipa::path(post, path = "/v1/company/reports/{id}/assign", tag = "staff",
    params(("id" = Uuid, Path, description = "report id")), request_body = AssignRequest,
    responses((status = 200, body = AssignResponse), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn assign_route(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
    Json(req): Json<AssignRequest>,
) -> Result<Json<AssignResponse>, ApiError> {
    Ok(Json(assign(&state, &session, id, req.user_id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_hint_keeps_the_country_digit_and_the_last_four() {
        assert_eq!(phone_hint("+79001234567"), "+7••••••4567");
        assert_eq!(phone_hint("+123"), "+123");
    }

    #[test]
    fn e_mail_addresses_are_checked_for_shape_and_line_breaks() {
        assert!(check_email("uk@example.org").is_ok());
        assert!(check_email("uk@localhost").is_err());
        assert!(check_email("uk@example.org\r\nBcc: x@y.z").is_err());
        assert!(check_email("@example.org").is_err());
    }
}
