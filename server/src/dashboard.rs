//! The authority's dashboard for its own region: reports per company by status, overdue per
//! company, the share answered on time and the trend by month, as JSON, CSV and a page. The
//! deadline rules are the reports module's (`is_overdue`, `answered_on_time`); the numbers are
//! computed on each request with the server clock.
//!
//! Routes:
//! - `GET /v1/authority/dashboard?region=`                 JSON (authority of the region, admin)
//! - `GET /v1/authority/dashboard.csv?region=&table=`      CSV: `companies` (default) or `months`
//! - `GET /dashboard?region=`                              the page (cookie or bearer session)

use std::collections::{BTreeMap, HashMap};

use axum::{
    Router,
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{DateTime, Utc};
use connect_core::{
    api::{
        ErrorBody,
        dashboard::{CompanyDashboard, DashboardResponse, MonthTrend, StatusCounts},
    },
    auth::Role,
    ids::RegionId,
    reports::ReportStatus,
};
use serde::Deserialize;
use utoipa::OpenApi;

use crate::{
    AppState,
    auth::Session,
    error::{ApiError, Json},
    reports::{answered_on_time, is_overdue},
    store::{ReportFilter, ReportRecord},
    web::{
        html::{WebError, esc, url_part},
        session::WebSession,
    },
};

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/authority/dashboard", get(dashboard_json))
        .route("/v1/authority/dashboard.csv", get(dashboard_csv))
        .route("/dashboard", get(dashboard_page))
        .layer(axum::middleware::from_fn(crate::web::page_headers))
}

/// This module's part of `/openapi.json`.
#[derive(OpenApi)]
#[openapi(paths(dashboard_json, dashboard_csv))]
pub struct Api;

/// `?region=&table=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DashboardQuery {
    /// The region (an authority of one region may omit it; an admin must name it).
    pub region: Option<String>,
    /// CSV only: `companies` (default) or `months`.
    pub table: Option<String>,
}

/// The region the caller may see: their own (authority), or any named one (admin). Another
/// region answers 404, exactly as one that does not exist.
pub fn region_of(session: &Session, asked: Option<&str>) -> Result<RegionId, ApiError> {
    let own: Vec<&str> = session.scopes(Role::Authority).collect();
    match asked.filter(|r| !r.is_empty()) {
        Some(r) if own.contains(&r) || session.has(Role::Admin) => Ok(RegionId(r.to_owned())),
        Some(_) => Err(if own.is_empty() {
            ApiError::Forbidden
        } else {
            ApiError::NotFound
        }),
        None => match own.as_slice() {
            [one] => Ok(RegionId((*one).to_owned())),
            [] => Err(ApiError::Forbidden),
            _ => Err(ApiError::InvalidQuery("name the region".into())),
        },
    }
}

fn count(counts: &mut StatusCounts, s: ReportStatus) {
    let slot = match s {
        ReportStatus::New => &mut counts.new,
        ReportStatus::Accepted => &mut counts.accepted,
        ReportStatus::InProgress => &mut counts.in_progress,
        ReportStatus::Resolved => &mut counts.resolved,
        ReportStatus::Rejected => &mut counts.rejected,
        ReportStatus::Rated => &mut counts.rated,
        ReportStatus::Reopened => &mut counts.reopened,
    };
    *slot += 1;
}

fn share(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

/// The dashboard of `region` from its reports at `now` (no I/O; `names` maps company ids).
pub fn summarize(
    region: RegionId,
    reports: &[ReportRecord],
    names: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> DashboardResponse {
    let mut companies: BTreeMap<Option<String>, CompanyDashboard> = BTreeMap::new();
    let mut months: BTreeMap<String, MonthTrend> = BTreeMap::new();
    for r in reports {
        let key = r.company_id.as_ref().map(|c| c.0.clone());
        let c = companies
            .entry(key.clone())
            .or_insert_with(|| CompanyDashboard {
                company_id: r.company_id.clone(),
                name: match &key {
                    Some(id) => names.get(id).cloned().unwrap_or_else(|| id.clone()),
                    None => "(no managing company)".into(),
                },
                total: 0,
                by_status: StatusCounts::default(),
                overdue: 0,
                decided: 0,
                answered_on_time: 0,
                on_time_share: None,
            });
        c.total += 1;
        count(&mut c.by_status, r.status);
        let overdue = is_overdue(r, now);
        let judged = answered_on_time(r, now);
        c.overdue += u32::from(overdue);
        c.decided += u32::from(judged.is_some());
        c.answered_on_time += u32::from(judged == Some(true));
        let month = DateTime::from_timestamp_millis(r.filed_ms)
            .unwrap_or_default()
            .format("%Y-%m")
            .to_string();
        let m = months.entry(month.clone()).or_insert_with(|| MonthTrend {
            month,
            filed: 0,
            answered: 0,
            answered_on_time: 0,
            overdue: 0,
        });
        m.filed += 1;
        m.answered += u32::from(r.answered_ms.is_some());
        m.answered_on_time += u32::from(r.answered_ms.is_some() && judged == Some(true));
        m.overdue += u32::from(overdue);
    }
    let mut companies: Vec<CompanyDashboard> = companies
        .into_values()
        .map(|mut c| {
            c.on_time_share = share(c.answered_on_time, c.decided);
            c
        })
        .collect();
    companies.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then(b.total.cmp(&a.total))
            .then_with(|| a.name.cmp(&b.name))
    });
    DashboardResponse {
        region_id: region,
        generated_at: now,
        companies,
        months: months.into_values().collect(),
    }
}

async fn compute(state: &AppState, region: RegionId) -> Result<DashboardResponse, ApiError> {
    let reports = state
        .store
        .reports(ReportFilter::Region(region.clone()))
        .await?;
    let names: HashMap<String, String> = state
        .store
        .companies_in(region.clone())
        .await?
        .into_iter()
        .map(|c| (c.id.0, c.name))
        .collect();
    Ok(summarize(region, &reports, &names, Utc::now()))
}

/// Reports per company by status, overdue, on-time share and the monthly trend of a region.
#[utoipa::path(get, path = "/v1/authority/dashboard", tag = "authority", params(DashboardQuery),
    responses((status = 200, body = DashboardResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn dashboard_json(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<DashboardQuery>,
) -> Result<Json<DashboardResponse>, ApiError> {
    let region = region_of(&session, q.region.as_deref())?;
    Ok(Json(compute(&state, region).await?))
}

fn fmt_share(s: Option<f64>) -> String {
    s.map(|v| format!("{v:.3}")).unwrap_or_default()
}

/// The CSV text of one table of the dashboard.
pub fn to_csv(d: &DashboardResponse, months: bool) -> Result<String, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ApiError::Internal(e.to_string());
    if months {
        w.write_record(["month", "filed", "answered", "answered_on_time", "overdue"])
            .map_err(fail)?;
        for m in &d.months {
            w.write_record([
                m.month.clone(),
                m.filed.to_string(),
                m.answered.to_string(),
                m.answered_on_time.to_string(),
                m.overdue.to_string(),
            ])
            .map_err(fail)?;
        }
    } else {
        w.write_record([
            "company_id",
            "company_name",
            "total",
            "new",
            "accepted",
            "in_progress",
            "resolved",
            "rejected",
            "rated",
            "reopened",
            "overdue",
            "decided",
            "answered_on_time",
            "on_time_share",
        ])
        .map_err(fail)?;
        for c in &d.companies {
            let s = c.by_status;
            w.write_record([
                c.company_id
                    .as_ref()
                    .map(|i| i.0.clone())
                    .unwrap_or_default(),
                c.name.clone(),
                c.total.to_string(),
                s.new.to_string(),
                s.accepted.to_string(),
                s.in_progress.to_string(),
                s.resolved.to_string(),
                s.rejected.to_string(),
                s.rated.to_string(),
                s.reopened.to_string(),
                c.overdue.to_string(),
                c.decided.to_string(),
                c.answered_on_time.to_string(),
                fmt_share(c.on_time_share),
            ])
            .map_err(fail)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ApiError::Internal(e.to_string()))
}

/// The dashboard as CSV (`table=companies` or `months`); the page links here with its cookie.
#[utoipa::path(get, path = "/v1/authority/dashboard.csv", tag = "authority", params(DashboardQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn dashboard_csv(
    State(state): State<AppState>,
    web: WebSession,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, WebError> {
    let months = match q.table.as_deref() {
        None | Some("companies") => false,
        Some("months") => true,
        Some(_) => {
            return Err(web.err(ApiError::InvalidQuery(
                "table must be companies or months".into(),
            )));
        }
    };
    let region = region_of(&web.session, q.region.as_deref()).map_err(|e| web.err(e))?;
    let d = compute(&state, region).await.map_err(|e| web.err(e))?;
    let csv = to_csv(&d, months).map_err(|e| web.err(e))?;
    let name = format!(
        "dashboard-{}-{}-{}.csv",
        d.region_id
            .0
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_"),
        if months { "months" } else { "companies" },
        d.generated_at.format("%Y%m%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        csv,
    )
        .into_response())
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.0}%", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// `GET /dashboard`: the page.
async fn dashboard_page(
    State(state): State<AppState>,
    web: WebSession,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, WebError> {
    let region = region_of(&web.session, q.region.as_deref()).map_err(|e| web.err(e))?;
    let d = compute(&state, region).await.map_err(|e| web.err(e))?;
    if !web.html {
        return Ok(Json(d).into_response());
    }
    let mut rows = String::new();
    for c in &d.companies {
        let s = c.by_status;
        rows.push_str(&format!(
            "<tr class=\"company{cls}\" data-id=\"{id}\"><td>{name}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num overdue-n\">{}</td><td class=\"num\">{} / {} = {}</td></tr>",
            c.total,
            s.new,
            s.accepted,
            s.in_progress,
            s.resolved,
            s.rejected,
            s.rated,
            s.reopened,
            c.overdue,
            c.answered_on_time,
            c.decided,
            pct(c.on_time_share),
            cls = if c.overdue > 0 { " overdue" } else { "" },
            id = esc(c.company_id.as_ref().map(|i| i.0.as_str()).unwrap_or("")),
            name = esc(&c.name),
        ));
    }
    if rows.is_empty() {
        rows.push_str(
            "<tr><td colspan=\"11\" class=\"muted\">No reports in this region yet.</td></tr>",
        );
    }
    let peak = d.months.iter().map(|m| m.filed).max().unwrap_or(1).max(1);
    let mut trend = String::new();
    for m in &d.months {
        let w = |n: u32| n * 300 / peak;
        trend.push_str(&format!(
            "<tr class=\"month\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td><div style=\"background:#1f4e79;height:8px;width:{}px\"></div>\
             <div style=\"background:#2e7d32;height:8px;width:{}px\"></div><div style=\"background:#c62828;height:8px;width:{}px\"></div></td></tr>",
            esc(&m.month),
            m.filed,
            m.answered,
            m.answered_on_time,
            m.overdue,
            w(m.filed),
            w(m.answered_on_time),
            w(m.overdue)
        ));
    }
    let r = url_part(&d.region_id.0);
    let body = format!(
        "<h1>Region {region}</h1><p>Reports about buildings of the region, by managing company, at {at} UTC. \
         Overdue: open past the category's deadline. On time: answered (resolved or rejected) by the deadline, \
         of the reports the deadline has decided. Export: <a id=\"csv\" href=\"/v1/authority/dashboard.csv?region={r}\">companies CSV</a> · \
         <a href=\"/v1/authority/dashboard.csv?region={r}&amp;table=months\">months CSV</a></p>\
         <table id=\"companies\"><thead><tr><th>Company</th><th>Total</th><th>New</th><th>Accepted</th><th>In progress</th>\
         <th>Resolved</th><th>Rejected</th><th>Rated</th><th>Reopened</th><th>Overdue</th><th>On time</th></tr></thead>\
         <tbody>{rows}</tbody></table><h2>By month of filing</h2>\
         <table id=\"months\"><thead><tr><th>Month</th><th>Filed</th><th>Answered</th><th>On time</th><th>Overdue now</th>\
         <th>filed / on time / overdue</th></tr></thead><tbody>{trend}</tbody></table>",
        region = esc(&d.region_id.0),
        at = d.generated_at.format("%Y-%m-%d %H:%M"),
    );
    let nav: Vec<(&str, &str)> = vec![("/dashboard", "Dashboard"), ("/rating", "Rating")];
    let logout = format!(
        "<form method=\"post\" action=\"/cabinet/logout\" class=\"inline\" style=\"float:right\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Sign out</button></form>",
        esc(&web.csrf())
    );
    Ok(crate::web::html::page("Dashboard", None, &nav, &format!("{logout}{body}")).into_response())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use connect_core::ids::{BuildingId, CompanyId, ReportId, UserId};
    use uuid::Uuid;

    use super::*;

    const DAY: i64 = 86_400_000;
    const MARCH: i64 = 1_772_323_200_000; // 2026-03-01
    const APRIL: i64 = MARCH + 31 * DAY;

    fn report(
        company: Option<&str>,
        status: ReportStatus,
        filed: i64,
        answered: Option<i64>,
    ) -> ReportRecord {
        ReportRecord {
            id: ReportId(Uuid::now_v7()),
            number: "n".into(),
            author: UserId(Uuid::nil()),
            building_id: BuildingId("B".into()),
            company_id: company.map(|c| CompanyId(c.into())),
            region_id: RegionId("R".into()),
            category: "leak".into(),
            text: String::new(),
            place: String::new(),
            content_sha256: String::new(),
            photo_count: 0,
            status,
            filed_ms: filed,
            due_ms: filed + DAY,
            answered_ms: answered,
            rating: None,
        }
    }

    #[test]
    fn companies_are_counted_by_status_overdue_and_on_time_and_months_by_filing() {
        let now = DateTime::from_timestamp_millis(APRIL + 10 * DAY).unwrap();
        let rs = vec![
            report(
                Some("X"),
                ReportStatus::Resolved,
                MARCH,
                Some(MARCH + DAY / 2),
            ), // on time
            report(
                Some("X"),
                ReportStatus::Rejected,
                MARCH,
                Some(MARCH + 2 * DAY),
            ), // late
            report(Some("X"), ReportStatus::Accepted, APRIL, None), // overdue
            report(Some("Y"), ReportStatus::New, APRIL + 10 * DAY, None), // not due
            report(None, ReportStatus::New, APRIL, None),           // overdue
        ];
        let names = HashMap::from([("X".to_owned(), "UK \"X\", Ltd".to_owned())]);
        let d = summarize(RegionId("R".into()), &rs, &names, now);
        let x = &d.companies[0];
        assert_eq!(x.name, "UK \"X\", Ltd");
        assert_eq!(
            (x.total, x.overdue, x.decided, x.answered_on_time),
            (3, 1, 3, 1)
        );
        assert_eq!(
            (
                x.by_status.resolved,
                x.by_status.rejected,
                x.by_status.accepted
            ),
            (1, 1, 1)
        );
        assert_eq!(x.on_time_share, Some(1.0 / 3.0));
        assert_eq!(d.companies[1].name, "(no managing company)");
        assert_eq!(d.companies[2].company_id, Some(CompanyId("Y".into())));
        assert_eq!(d.companies[2].on_time_share, None);
        let months: Vec<(&str, u32, u32, u32, u32)> = d
            .months
            .iter()
            .map(|m| {
                (
                    m.month.as_str(),
                    m.filed,
                    m.answered,
                    m.answered_on_time,
                    m.overdue,
                )
            })
            .collect();
        assert_eq!(months, [("2026-03", 2, 2, 1, 0), ("2026-04", 3, 0, 0, 2)]);
        let csv = to_csv(&d, false).unwrap();
        let mut lines = csv.lines();
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("company_id,company_name,total,new")
        );
        assert_eq!(
            lines.next().unwrap(),
            "X,\"UK \"\"X\"\", Ltd\",3,0,1,0,1,1,0,0,1,3,1,0.333"
        );
        assert_eq!(
            to_csv(&d, true).unwrap().lines().nth(2).unwrap(),
            "2026-04,3,0,0,2"
        );
    }
}
