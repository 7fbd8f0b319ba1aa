//! The public rating of managing companies: the regional regulator's criteria (imported from the
//! CSV it publishes, [`import`]) beside the residents' part computed from reports, combined by
//! the formula in [`score`] (documented in `docs/RATING.md`). Every number on the page comes
//! with its inputs and arithmetic. Computed on each request from the store, with the server
//! clock deciding "on time" and "overdue".
//!
//! Routes:
//! - `GET  /v1/rating?region=`        the rating as JSON (public)
//! - `GET  /rating?region=`           the rating page (public)
//! - `POST /v1/admin/rating:import`   the regulator's CSV (admin); bad rows reported with their line

pub mod import;
pub mod score;

use std::collections::HashMap;

use axum::{
    Router,
    extract::{Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use connect_core::{
    api::{
        ErrorBody,
        rating::{CompanyRating, RatingImportResponse, RatingResponse, ScorePart},
    },
    auth::Role,
    ids::RegionId,
};
use serde::Deserialize;
use utoipa::OpenApi;

use crate::{
    AppState,
    auth::Session,
    error::{ApiError, Json},
    store::{ReportFilter, ReportRecord},
    web::html::{esc, page, url_part},
};

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/rating", get(rating_json))
        .route("/rating", get(rating_page))
        .route("/v1/admin/rating:import", post(import_csv))
        .layer(axum::middleware::from_fn(crate::web::page_headers))
}

/// This module's part of `/openapi.json`.
#[derive(OpenApi)]
#[openapi(paths(rating_json, import_csv))]
pub struct Api;

/// `?region=` (may be omitted while the installation has companies in one region only).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RegionQuery {
    /// The region, e.g. `RU-VLG`.
    pub region: Option<String>,
}

/// The region asked for, or the only one there is; `Err(list)` when several exist.
async fn pick_region(
    state: &AppState,
    asked: Option<&str>,
) -> Result<Result<RegionId, Vec<RegionId>>, ApiError> {
    if let Some(r) = asked.filter(|r| !r.is_empty()) {
        return Ok(Ok(RegionId(r.to_owned())));
    }
    let regions = state.store.company_regions().await?;
    Ok(match regions.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(regions),
    })
}

/// The rating of a region at `now`.
pub async fn compute(
    state: &AppState,
    region: RegionId,
    now: DateTime<Utc>,
) -> Result<RatingResponse, ApiError> {
    let companies = state.store.companies_in(region.clone()).await?;
    let criteria: HashMap<_, _> = state
        .store
        .rating_criteria(region.clone())
        .await?
        .into_iter()
        .map(|c| (c.company_id.clone(), c))
        .collect();
    let reports = state
        .store
        .reports(ReportFilter::Region(region.clone()))
        .await?;
    let mut by_company: HashMap<_, Vec<&ReportRecord>> = HashMap::new();
    for r in &reports {
        if let Some(c) = &r.company_id {
            by_company.entry(c.clone()).or_default().push(r);
        }
    }
    let mut rated: Vec<CompanyRating> = companies
        .into_iter()
        .map(|c| {
            let crit = criteria.get(&c.id).cloned();
            let figures = score::resident_figures(
                by_company.get(&c.id).map(Vec::as_slice).unwrap_or(&[]),
                now,
            );
            let regulator = score::regulator_part(crit.as_ref());
            let residents = score::residents_part(&figures);
            let (total, total_explanation) = score::total(&regulator, &residents);
            CompanyRating {
                rank: None,
                company_id: c.id,
                name: c.name,
                total,
                total_explanation,
                criteria: crit,
                regulator,
                resident_figures: figures,
                residents,
            }
        })
        .collect();
    // Best first; unrated companies last, by name.
    rated.sort_by(|a, b| {
        b.total
            .unwrap_or(-1.0)
            .total_cmp(&a.total.unwrap_or(-1.0))
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut rank = 0;
    for c in rated.iter_mut().filter(|c| c.total.is_some()) {
        rank += 1;
        c.rank = Some(rank);
    }
    Ok(RatingResponse {
        region_id: region,
        generated_at: now,
        companies: rated,
    })
}

/// The rating of managing companies in a region, each score with its inputs and arithmetic.
#[utoipa::path(get, path = "/v1/rating", tag = "rating", params(RegionQuery),
    responses((status = 200, body = RatingResponse),
        (status = 400, body = ErrorBody, description = "several regions: name one")))]
async fn rating_json(
    State(state): State<AppState>,
    Query(q): Query<RegionQuery>,
) -> Result<Json<RatingResponse>, ApiError> {
    let region = pick_region(&state, q.region.as_deref())
        .await?
        .map_err(|regions| {
            ApiError::InvalidQuery(format!(
                "name a region: one of {}",
                regions
                    .iter()
                    .map(|r| r.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    Ok(Json(compute(&state, region, Utc::now()).await?))
}

fn score_cell(s: Option<f64>) -> String {
    s.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into())
}

fn part_html(title: &str, p: &ScorePart) -> String {
    let mut rows = String::new();
    for t in &p.terms {
        rows.push_str(&format!(
            "<tr data-term=\"{}\"><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"num\">{} / {}</td></tr>",
            esc(&t.key),
            esc(&t.label),
            esc(&t.inputs),
            esc(&t.formula),
            score_cell(t.points),
            t.max_points
        ));
    }
    let table = if rows.is_empty() {
        String::new()
    } else {
        format!(
            "<table><thead><tr><th>Term</th><th>Inputs</th><th>Arithmetic</th><th>Points</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    format!(
        "<h4>{}: {}</h4><p>{}</p>{table}",
        esc(title),
        score_cell(p.score),
        esc(&p.explanation)
    )
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.0}%", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn rating_html(r: &RatingResponse) -> String {
    let mut rows = String::new();
    let mut unrated = Vec::new();
    for c in &r.companies {
        if c.total.is_none() {
            unrated.push(esc(&c.name));
            continue;
        }
        let f = &c.resident_figures;
        let period = c
            .criteria
            .as_ref()
            .map(|k| {
                format!(
                    "<p class=\"muted\">Regulator's period {}: {} buildings, {:.0} m², {} years managing.</p>",
                    esc(&k.period),
                    k.buildings,
                    k.area_m2,
                    k.years_managed
                )
            })
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr class=\"company\" data-id=\"{id}\"><td class=\"num\">{rank}</td><td>{name}</td>\
             <td class=\"num total\">{total}</td><td class=\"num\">{reg}</td><td class=\"num residents\">{res}</td>\
             <td class=\"num raters\">{raters}</td><td class=\"num\">{pos} / {neg}</td><td class=\"num\">{avg}</td>\
             <td class=\"num\">{ontime}</td></tr>\
             <tr class=\"why\"><td></td><td colspan=\"8\"><details><summary>Why {total}? {why}</summary>{period}{p1}{p2}</details></td></tr>",
            id = esc(&c.company_id.0),
            rank = c.rank.map(|n| n.to_string()).unwrap_or_else(|| "—".into()),
            name = esc(&c.name),
            total = score_cell(c.total),
            reg = score_cell(c.regulator.score),
            res = score_cell(c.residents.score),
            raters = f.residents_rated,
            pos = f.positive,
            neg = f.negative,
            avg = f
                .average_rating
                .map(|a| format!("{a:.2}"))
                .unwrap_or_else(|| "—".into()),
            ontime = pct(f.on_time_share),
            why = esc(&c.total_explanation),
            p1 = part_html("Regulator's part", &c.regulator),
            p2 = part_html("Residents' part", &c.residents),
        ));
    }
    format!(
        "<h1>Managing companies of {region}</h1>\
         <p>The total is the mean of two parts, each 0–100: the regional regulator's criteria (orders, \
         inspections, penalties, disclosure, experience) and what residents' reports say (their ratings \
         and answers by the deadline). Open a row to see the inputs and the arithmetic; the formula is in \
         <code>docs/RATING.md</code>. Computed at {at} UTC. <a href=\"/v1/rating?region={q}\">JSON</a></p>\
         <table id=\"rating\"><thead><tr><th>#</th><th>Company</th><th>Total</th><th>Regulator</th><th>Residents</th>\
         <th>Residents who rated</th><th>Positive / negative</th><th>Average rating</th><th>On time</th></tr></thead>\
         <tbody>{rows}</tbody></table>{rest}",
        rest = if unrated.is_empty() {
            String::new()
        } else {
            format!(
                "<details id=\"unrated\"><summary>{} companies have no score yet (no regulator's row, no decided reports)</summary><p>{}</p></details>",
                unrated.len(),
                unrated.join(" · ")
            )
        },
        region = esc(&r.region_id.0),
        at = r.generated_at.format("%Y-%m-%d %H:%M"),
        q = url_part(&r.region_id.0),
    )
}

/// `GET /rating`: the public page.
async fn rating_page(
    State(state): State<AppState>,
    Query(q): Query<RegionQuery>,
) -> Result<Response, crate::web::html::WebError> {
    let err = |e: ApiError| crate::web::html::WebError::new(e, true);
    let nav = [("/cabinet", "Cabinet"), ("/dashboard", "Dashboard")];
    let region = match pick_region(&state, q.region.as_deref())
        .await
        .map_err(err)?
    {
        Ok(r) => r,
        Err(regions) => {
            let links: String = regions
                .iter()
                .map(|r| {
                    format!(
                        "<li><a href=\"/rating?region={}\">{}</a></li>",
                        url_part(&r.0),
                        esc(&r.0)
                    )
                })
                .collect();
            let body = if links.is_empty() {
                "<h1>Rating</h1><p>No managing companies yet.</p>".to_owned()
            } else {
                format!("<h1>Rating</h1><p>Choose a region:</p><ul>{links}</ul>")
            };
            return Ok(page("Rating", None, &nav, &body).into_response());
        }
    };
    let r = compute(&state, region, Utc::now()).await.map_err(err)?;
    let html: Html<String> = page("Rating", None, &nav, &rating_html(&r));
    Ok((StatusCode::OK, html).into_response())
}

/// Imports the regulator's rating CSV (body); bad rows are reported with their line, the rest
/// imported (a company's row replaces its earlier one).
#[utoipa::path(post, path = "/v1/admin/rating:import", tag = "admin",
    request_body(content = String, description = "the regulator's CSV"),
    responses((status = 200, body = RatingImportResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn import_csv(
    State(state): State<AppState>,
    session: Session,
    body: String,
) -> Result<Json<RatingImportResponse>, ApiError> {
    session.require(Role::Admin)?;
    import::import(state.store.as_ref(), body.as_bytes())
        .await
        .map(Json)
        .map_err(|e| match e {
            import::RatingImportError::Store(s) => ApiError::Store(s),
            other => ApiError::InvalidInput(other.to_string()),
        })
}
