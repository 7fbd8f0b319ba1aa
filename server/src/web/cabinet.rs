//! The managing company's cabinet: its reports by status and deadline (overdue highlighted), one
//! report with photos and history, and the forms that accept, assign, answer, resolve or reject,
//! plus the staff list with the invite form. Every action calls the function behind the JSON
//! route (`reports::staff_action`, `reports::add_comment`, `staff::assign`, …), so the lifecycle
//! rules exist once. Browsers get pages and redirects; API clients (bearer, JSON) get JSON.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Path, Query, State},
    http::header,
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use connect_core::{
    api::{
        reports::{EventAuthor, ReportView, StaffAction, StatusChangeRequest},
        staff::{InviteStaffRequest, StaffMember},
    },
    auth::Role,
    ids::{CompanyId, UserId},
    reports::ReportStatus,
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Input,
    html::{WebError, esc, page, url_part},
    session::WebSession,
};
use crate::{
    AppState,
    error::ApiError,
    reports::{self, Access, CompanyQuery},
    staff::{self, display_name},
    store::status_to_db,
};

/// Human words for a status.
pub fn status_label(s: ReportStatus) -> &'static str {
    match s {
        ReportStatus::New => "new",
        ReportStatus::Accepted => "accepted",
        ReportStatus::InProgress => "in progress",
        ReportStatus::Resolved => "resolved",
        ReportStatus::Rejected => "rejected",
        ReportStatus::Rated => "rated",
        ReportStatus::Reopened => "reopened",
    }
}

const STATUSES: [ReportStatus; 7] = [
    ReportStatus::New,
    ReportStatus::Accepted,
    ReportStatus::InProgress,
    ReportStatus::Resolved,
    ReportStatus::Rejected,
    ReportStatus::Rated,
    ReportStatus::Reopened,
];

const ACTIONS: [(StaffAction, &str); 4] = [
    (StaffAction::Accept, "Accept"),
    (StaffAction::InProgress, "Start work (in progress)"),
    (StaffAction::Resolve, "Resolve"),
    (StaffAction::Reject, "Reject (give the reason)"),
];

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// The page frame of a signed-in caller, with the logout form.
fn shell(web: &WebSession, title: &str, body: &str) -> Html<String> {
    let s = &web.session;
    let mut nav = Vec::new();
    if s.has(Role::CompanyStaff) || s.has(Role::Admin) {
        nav.push(("/cabinet", "Reports"));
        nav.push(("/cabinet/staff", "Staff"));
    }
    if s.has(Role::Authority) || s.has(Role::Admin) {
        nav.push(("/dashboard", "Dashboard"));
    }
    nav.push(("/rating", "Rating"));
    let logout = format!(
        "<form method=\"post\" action=\"/cabinet/logout\" class=\"inline\" style=\"float:right\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Sign out</button></form>",
        esc(&web.csrf())
    );
    page(title, None, &nav, &format!("{logout}{body}"))
}

fn csrf_field(web: &WebSession) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(&web.csrf())
    )
}

fn category_title(state: &AppState, code: &str) -> String {
    state
        .settings
        .report_categories
        .iter()
        .find(|c| c.code == code)
        .map(|c| c.title.clone())
        .unwrap_or_else(|| code.to_owned())
}

/// The work list's order: open reports by deadline first, then closed ones, latest deadline first.
pub fn work_order(reports: &mut [ReportView]) {
    let closed = |r: &ReportView| {
        matches!(
            r.status,
            ReportStatus::Resolved | ReportStatus::Rejected | ReportStatus::Rated
        )
    };
    reports.sort_by(|a, b| match (closed(a), closed(b)) {
        (false, false) => a.due_at.cmp(&b.due_at),
        (true, true) => b.due_at.cmp(&a.due_at),
        (x, y) => x.cmp(&y),
    });
}

/// `?status=&overdue=` as the filter form sends them (empty = any).
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    overdue: Option<String>,
    #[serde(default)]
    joined: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> Result<CompanyQuery, ApiError> {
        let status = match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                crate::store::status_from_db(s)
                    .map_err(|_| ApiError::InvalidQuery(format!("unknown status {s:?}")))?,
            ),
        };
        let overdue = match self.overdue.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => {
                return Err(ApiError::InvalidQuery(
                    "overdue must be true or false".into(),
                ));
            }
        };
        Ok(CompanyQuery { status, overdue })
    }
}

/// Names of the staff of the caller's companies, and who each report is assigned to.
async fn assignments(
    state: &AppState,
    web: &WebSession,
) -> Result<(HashMap<Uuid, String>, Vec<(CompanyId, Vec<StaffMember>)>), ApiError> {
    let mut by_report = HashMap::new();
    let mut staff = Vec::new();
    for c in web.session.scopes(Role::CompanyStaff) {
        let company = CompanyId(c.to_owned());
        let members = staff::staff_of(state, &company).await?;
        let names: HashMap<UserId, String> = members
            .iter()
            .map(|m| (m.user_id, display_name(m)))
            .collect();
        for (report, user) in state.store.assignments(company.clone()).await? {
            if let Some(n) = names.get(&user) {
                by_report.insert(report.0, n.clone());
            }
        }
        staff.push((company, members));
    }
    Ok((by_report, staff))
}

/// `GET /cabinet`: the company's reports by deadline.
pub async fn list(
    State(state): State<AppState>,
    web: WebSession,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let filter = q.filter().map_err(|e| web.err(e))?;
    let mut reports = reports::company_list(&state, &web.session, &filter)
        .await
        .map_err(|e| web.err(e))?;
    if !web.html {
        return Ok(Json(connect_core::api::reports::ReportsResponse { reports }).into_response());
    }
    work_order(&mut reports);
    let (assigned, _) = assignments(&state, &web).await.map_err(|e| web.err(e))?;
    let overdue = reports.iter().filter(|r| r.overdue).count();
    let mut rows = String::new();
    for r in &reports {
        let badge = if r.overdue {
            " <span class=\"badge overdue\">overdue</span>"
        } else {
            ""
        };
        rows.push_str(&format!(
            "<tr class=\"report{cls}\" data-id=\"{id}\" data-status=\"{st}\"><td><a href=\"/cabinet/reports/{id}\">{num}</a></td>\
             <td>{cat}</td><td>{addr}<br><small>{place}</small></td><td><span class=\"badge\">{label}</span>{badge}</td>\
             <td>{filed}</td><td>{due}</td><td>{who}</td></tr>",
            cls = if r.overdue { " overdue" } else { "" },
            id = r.id.0,
            st = status_to_db(r.status),
            num = esc(&r.number),
            cat = esc(&category_title(&state, &r.category)),
            addr = esc(&r.address),
            place = esc(&r.place),
            label = status_label(r.status),
            filed = when(r.filed_at),
            due = when(r.due_at),
            who = esc(assigned.get(&r.id.0).map(String::as_str).unwrap_or("—")),
        ));
    }
    if reports.is_empty() {
        rows.push_str("<tr><td colspan=\"7\" class=\"muted\">No reports match.</td></tr>");
    }
    let selected = |v: &str, cur: Option<&str>| {
        if cur.unwrap_or("") == v {
            " selected"
        } else {
            ""
        }
    };
    let mut status_opts = format!(
        "<option value=\"\"{}>any status</option>",
        selected("", q.status.as_deref())
    );
    for s in STATUSES {
        status_opts.push_str(&format!(
            "<option value=\"{v}\"{sel}>{l}</option>",
            v = status_to_db(s),
            sel = selected(status_to_db(s), q.status.as_deref()),
            l = status_label(s)
        ));
    }
    let ov = q.overdue.as_deref();
    let joined = if q.joined.is_some() {
        "<p class=\"ok\">Welcome! You are now staff of the company.</p>"
    } else {
        ""
    };
    let body = format!(
        "{joined}<h1>Reports</h1><p>{n} reports, <strong id=\"overdue-count\">{overdue}</strong> overdue \
         (by the server clock at {now} UTC).</p>\
         <form method=\"get\" action=\"/cabinet\" class=\"card\"><label>Status <select name=\"status\" id=\"status-filter\">{status_opts}</select></label> \
         <label>Deadline <select name=\"overdue\"><option value=\"\"{a}>any</option><option value=\"true\"{t}>overdue</option>\
         <option value=\"false\"{f}>not overdue</option></select></label> <button type=\"submit\">Filter</button></form>\
         <table id=\"reports\"><thead><tr><th>Number</th><th>Category</th><th>Where</th><th>Status</th><th>Filed</th>\
         <th>Due</th><th>Assigned</th></tr></thead><tbody>{rows}</tbody></table>",
        n = reports.len(),
        now = when(Utc::now()),
        a = selected("", ov),
        t = selected("true", ov),
        f = selected("false", ov),
    );
    Ok(shell(&web, "Reports", &body).into_response())
}

fn author_label(a: EventAuthor) -> &'static str {
    match a {
        EventAuthor::Resident => "resident",
        EventAuthor::Company => "company",
    }
}

fn detail_page(
    state: &AppState,
    web: &WebSession,
    r: &ReportView,
    staff: &[StaffMember],
    assignee: Option<UserId>,
) -> Html<String> {
    let id = r.id.0;
    let mut photos = String::new();
    for n in 0..r.photo_count {
        photos.push_str(&format!(
            "<a href=\"/cabinet/reports/{id}/photos/{n}\"><img src=\"/cabinet/reports/{id}/photos/{n}\" alt=\"photo {}\"></a>",
            n + 1
        ));
    }
    if photos.is_empty() {
        photos.push_str("<span class=\"muted\">No photos.</span>");
    }
    let mut history = String::new();
    for e in &r.events {
        history.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            when(e.at),
            author_label(e.author),
            e.status.map(status_label).unwrap_or(""),
            esc(e.text.as_deref().unwrap_or(""))
        ));
    }
    if history.is_empty() {
        history.push_str("<tr><td colspan=\"4\" class=\"muted\">Nothing yet.</td></tr>");
    }
    let csrf = csrf_field(web);
    let actions: Vec<_> = ACTIONS
        .iter()
        .filter(|(a, _)| a.apply(r.status).is_some())
        .collect();
    let status_form = if actions.is_empty() {
        "<p class=\"muted\">No status change is possible now: the resident rates or reopens a closed report.</p>"
            .to_owned()
    } else {
        let opts: String = actions
            .iter()
            .map(|(a, l)| {
                let v = serde_json::to_value(a)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                format!("<option value=\"{}\">{}</option>", esc(&v), esc(l))
            })
            .collect();
        format!(
            "<form method=\"post\" action=\"/cabinet/reports/{id}/status\" class=\"card\" id=\"status-form\">\
             <h3>Change the status</h3>{csrf}<p><select name=\"action\" id=\"action\">{opts}</select></p>\
             <p><textarea name=\"comment\" id=\"comment\" rows=\"3\" placeholder=\"Answer to the resident (required to reject)\"></textarea></p>\
             <button type=\"submit\" id=\"change-status\">Apply</button></form>"
        )
    };
    let open = !matches!(
        r.status,
        ReportStatus::Resolved | ReportStatus::Rejected | ReportStatus::Rated
    );
    let assign_form = if open && !staff.is_empty() {
        let opts: String = staff
            .iter()
            .map(|m| {
                format!(
                    "<option value=\"{}\"{}>{}</option>",
                    m.user_id.0,
                    if Some(m.user_id) == assignee {
                        " selected"
                    } else {
                        ""
                    },
                    esc(&display_name(m))
                )
            })
            .collect();
        format!(
            "<form method=\"post\" action=\"/cabinet/reports/{id}/assign\" class=\"card\">\
             <h3>Assign</h3>{csrf}<select name=\"user_id\" id=\"assignee\">{opts}</select> \
             <button type=\"submit\" id=\"assign\">Assign</button></form>"
        )
    } else {
        String::new()
    };
    let answer_form = format!(
        "<form method=\"post\" action=\"/cabinet/reports/{id}/comments\" class=\"card\">\
         <h3>Answer the resident</h3>{csrf}<p><textarea name=\"text\" id=\"answer\" rows=\"3\" required></textarea></p>\
         <button type=\"submit\" id=\"send-answer\">Send</button></form>"
    );
    let assigned = assignee
        .and_then(|u| staff.iter().find(|m| m.user_id == u))
        .map(display_name)
        .unwrap_or_else(|| "nobody".to_owned());
    let overdue = if r.overdue {
        " <span class=\"badge overdue\" id=\"overdue\">overdue</span>"
    } else {
        ""
    };
    let rating = r
        .rating
        .map(|s| format!("<p>Resident's rating: <strong>{s} / 5</strong></p>"))
        .unwrap_or_default();
    let body = format!(
        "<p><a href=\"/cabinet\">← All reports</a></p><h1>Report {num}</h1>\
         <div class=\"card\"><p>Status: <span class=\"badge\" id=\"status\" data-status=\"{st}\">{label}</span>{overdue} · \
         assigned to <span id=\"assigned\">{assigned}</span></p>\
         <p><strong>{cat}</strong> at {addr}, {place}</p><p>{text}</p>\
         <p><small>Filed {filed} UTC · due {due} UTC · content SHA-256 <code>{sha}</code></small></p>{rating}\
         <div class=\"photos\">{photos}</div></div>\
         {status_form}{assign_form}{answer_form}\
         <h2>History</h2><table id=\"history\"><thead><tr><th>When (UTC)</th><th>Who</th><th>Status</th><th>Words</th></tr></thead>\
         <tbody>{history}</tbody></table>",
        num = esc(&r.number),
        st = status_to_db(r.status),
        label = status_label(r.status),
        cat = esc(&category_title(state, &r.category)),
        addr = esc(&r.address),
        place = esc(&r.place),
        text = esc(&r.text),
        filed = when(r.filed_at),
        due = when(r.due_at),
        sha = esc(&r.content_sha256),
    );
    shell(web, &format!("Report {}", r.number), &body)
}

/// `GET /cabinet/reports/{id}`.
pub async fn one(
    State(state): State<AppState>,
    web: WebSession,
    Path(id): Path<Uuid>,
) -> Result<Response, WebError> {
    let (r, _) = reports::load_for(&state, &web.session, id, &[Access::Staff])
        .await
        .map_err(|e| web.err(e))?;
    let company = r.company_id.clone();
    let view = reports::view(&state, r, Utc::now(), true)
        .await
        .map_err(|e| web.err(e))?;
    if !web.html {
        return Ok(Json(view).into_response());
    }
    let staff = match &company {
        Some(c) => staff::staff_of(&state, c).await.map_err(|e| web.err(e))?,
        None => Vec::new(),
    };
    let assignee = state
        .store
        .assignee(view.id)
        .await
        .map_err(|e| web.err(e.into()))?;
    Ok(detail_page(&state, &web, &view, &staff, assignee).into_response())
}

/// `GET /cabinet/reports/{id}/photos/{n}`.
pub async fn photo(
    State(state): State<AppState>,
    web: WebSession,
    Path((id, n)): Path<(Uuid, u32)>,
) -> Result<Response, WebError> {
    let jpeg = reports::photo_bytes(&state, &web.session, id, n)
        .await
        .map_err(|e| web.err(e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        jpeg,
    )
        .into_response())
}

/// After a form: back to the report (browsers) or its JSON view (API clients).
async fn done(state: &AppState, web: &WebSession, id: Uuid) -> Result<Response, WebError> {
    if web.html {
        return Ok(Redirect::to(&format!("/cabinet/reports/{id}")).into_response());
    }
    let (r, _) = reports::load_for(state, &web.session, id, &[Access::Staff])
        .await
        .map_err(|e| web.err(e))?;
    let view = reports::view(state, r, Utc::now(), true)
        .await
        .map_err(|e| web.err(e))?;
    Ok(Json(view).into_response())
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The status form.
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    action: StaffAction,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    csrf: Option<String>,
}

/// `POST /cabinet/reports/{id}/status`.
pub async fn status(
    State(state): State<AppState>,
    web: WebSession,
    Path(id): Path<Uuid>,
    Input(form): Input<StatusForm>,
) -> Result<Response, WebError> {
    web.check_csrf(form.csrf.as_deref())?;
    let req = StatusChangeRequest {
        action: form.action,
        comment: non_empty(form.comment),
    };
    reports::staff_action(&state, &web.session, id, req)
        .await
        .map_err(|e| web.err(e))?;
    done(&state, &web, id).await
}

/// The assign form.
#[derive(Debug, Deserialize)]
pub struct AssignForm {
    user_id: UserId,
    #[serde(default)]
    csrf: Option<String>,
}

/// `POST /cabinet/reports/{id}/assign`.
pub async fn assign(
    State(state): State<AppState>,
    web: WebSession,
    Path(id): Path<Uuid>,
    Input(form): Input<AssignForm>,
) -> Result<Response, WebError> {
    web.check_csrf(form.csrf.as_deref())?;
    staff::assign(&state, &web.session, id, form.user_id)
        .await
        .map_err(|e| web.err(e))?;
    done(&state, &web, id).await
}

/// The answer form.
#[derive(Debug, Deserialize)]
pub struct CommentForm {
    text: String,
    #[serde(default)]
    csrf: Option<String>,
}

/// `POST /cabinet/reports/{id}/comments`: the company's answer.
pub async fn comment(
    State(state): State<AppState>,
    web: WebSession,
    Path(id): Path<Uuid>,
    Input(form): Input<CommentForm>,
) -> Result<Response, WebError> {
    web.check_csrf(form.csrf.as_deref())?;
    // Only staff answer here; residents comment from the app.
    reports::load_for(&state, &web.session, id, &[Access::Staff])
        .await
        .map_err(|e| web.err(e))?;
    reports::add_comment(&state, &web.session, id, form.text)
        .await
        .map_err(|e| web.err(e))?;
    done(&state, &web, id).await
}

/// `?company_id=` (admins name the company).
#[derive(Debug, Deserialize)]
pub struct StaffQuery {
    company_id: Option<String>,
}

/// `GET /cabinet/staff`: colleagues and the invite form.
pub async fn staff(
    State(state): State<AppState>,
    web: WebSession,
    Query(q): Query<StaffQuery>,
) -> Result<Response, WebError> {
    let company_id =
        staff::company_of(&web.session, q.company_id.as_deref()).map_err(|e| web.err(e))?;
    let members = staff::staff_of(&state, &company_id)
        .await
        .map_err(|e| web.err(e))?;
    if !web.html {
        return Ok(Json(connect_core::api::staff::StaffResponse {
            company_id,
            staff: members,
        })
        .into_response());
    }
    let company = state
        .store
        .company(company_id.clone())
        .await
        .map_err(|e| web.err(e.into()))?
        .map(|c| c.name)
        .unwrap_or_else(|| company_id.0.clone());
    let rows: String = members
        .iter()
        .map(|m| {
            format!(
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(m.name.as_deref().unwrap_or("—")),
                esc(&m.phone_hint)
            )
        })
        .collect();
    let body = format!(
        "<h1>Staff of {c}</h1><table id=\"staff\"><thead><tr><th>Name</th><th>Phone</th></tr></thead><tbody>{rows}</tbody></table>\
         <form method=\"post\" action=\"/cabinet/staff/invites\" class=\"card\"><h3>Invite a colleague</h3>{csrf}\
         <input type=\"hidden\" name=\"company_id\" value=\"{cid}\">\
         <p><label>Name <input name=\"name\" id=\"invite-name\" required maxlength=\"100\"></label></p>\
         <p><label>E-mail (optional) <input name=\"email\" id=\"invite-email\" type=\"email\"></label></p>\
         <button type=\"submit\" id=\"invite\">Create a one-time link</button></form>",
        c = esc(&company),
        csrf = csrf_field(&web),
        cid = esc(&company_id.0),
    );
    Ok(shell(&web, "Staff", &body).into_response())
}

/// The invite form.
#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    company_id: Option<String>,
    name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    csrf: Option<String>,
}

/// `POST /cabinet/staff/invites`: shows the one-time link.
pub async fn invite(
    State(state): State<AppState>,
    web: WebSession,
    Input(form): Input<InviteForm>,
) -> Result<Response, WebError> {
    web.check_csrf(form.csrf.as_deref())?;
    let req = InviteStaffRequest {
        company_id: non_empty(form.company_id).map(CompanyId),
        name: form.name,
        email: non_empty(form.email),
    };
    let made = staff::invite_staff(&state, &web.session, req)
        .await
        .map_err(|e| web.err(e))?;
    if !web.html {
        return Ok(Json(made).into_response());
    }
    let mailed = if made.mailed {
        "It was also mailed to the address you gave."
    } else {
        "Pass it on yourself (it was not mailed)."
    };
    let body = format!(
        "<h1>Invitation created</h1><div class=\"card\"><p>This link works once, until {} UTC. {mailed}</p>\
         <p><code id=\"invite-url\">{}</code></p></div><p><a href=\"/cabinet/staff?company_id={}\">Back to the staff</a></p>",
        when(made.expires_at),
        esc(&made.url),
        url_part(&made.company_id.0)
    );
    Ok(shell(&web, "Invitation", &body).into_response())
}

#[cfg(test)]
mod tests {
    use connect_core::ids::{BuildingId, ReportId};

    use super::*;

    fn view(n: &str, status: ReportStatus, due_s: i64) -> ReportView {
        ReportView {
            id: ReportId(Uuid::now_v7()),
            number: n.into(),
            building_id: BuildingId("B".into()),
            address: String::new(),
            company_id: None,
            category: "leak".into(),
            text: String::new(),
            place: String::new(),
            photo_count: 0,
            content_sha256: String::new(),
            status,
            filed_at: DateTime::default(),
            due_at: DateTime::from_timestamp(due_s, 0).unwrap_or_default(),
            overdue: false,
            rating: None,
            events: Vec::new(),
        }
    }

    #[test]
    fn the_work_list_puts_open_reports_by_deadline_before_closed_ones_newest_first() {
        let mut list = vec![
            view("resolved-early", ReportStatus::Resolved, 10),
            view("new-late", ReportStatus::New, 300),
            view("rated-late", ReportStatus::Rated, 200),
            view("reopened-early", ReportStatus::Reopened, 20),
            view("in-progress", ReportStatus::InProgress, 100),
        ];
        work_order(&mut list);
        let order: Vec<&str> = list.iter().map(|r| r.number.as_str()).collect();
        assert_eq!(
            order,
            [
                "reopened-early",
                "in-progress",
                "new-late",
                "rated-late",
                "resolved-early"
            ]
        );
    }
}
