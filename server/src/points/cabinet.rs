//! The partner cabinet: an HTML page of redemptions by day and the settlement CSV of a period.
//! A cashier sees only their own partner; an admin names the partner with `partner_id`.

use std::collections::BTreeMap;

use axum::{
    extract::{Query, State},
    http::header,
    response::{Html, IntoResponse, Response},
};
use chrono::{Days, NaiveDate, Utc};
use connect_core::{
    api::{ErrorBody, points::RedemptionDay},
    auth::Role,
    ids::PartnerId,
};
use serde::Deserialize;

use crate::{AppState, auth::Session, error::ApiError, store::SettlementRow};

/// Longest period one request may cover.
const MAX_DAYS: u64 = 366;

/// `?partner_id=&from=&to=` (dates inclusive, UTC; default: the last 30 days).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PeriodQuery {
    /// The partner (cashiers of one partner may omit it).
    partner_id: Option<String>,
    /// First day, `YYYY-MM-DD`.
    from: Option<NaiveDate>,
    /// Last day, `YYYY-MM-DD`.
    to: Option<NaiveDate>,
}

/// The partner the caller may see: their own (a cashier), or any named one (admin). Another
/// partner's id answers 404, exactly as one that does not exist.
fn partner_of(session: &Session, asked: Option<&str>) -> Result<PartnerId, ApiError> {
    let own: Vec<&str> = session.scopes(Role::PartnerCashier).collect();
    match asked {
        Some(p) if own.contains(&p) || session.has(Role::Admin) => Ok(PartnerId(p.to_owned())),
        Some(_) => Err(if own.is_empty() {
            ApiError::Forbidden
        } else {
            ApiError::NotFound
        }),
        None => own
            .first()
            .map(|p| PartnerId((*p).to_owned()))
            .ok_or(ApiError::Forbidden),
    }
}

async fn rows(
    state: &AppState,
    session: &Session,
    q: &PeriodQuery,
) -> Result<(PartnerId, NaiveDate, NaiveDate, Vec<SettlementRow>), ApiError> {
    let partner = partner_of(session, q.partner_id.as_deref())?;
    let to = q.to.unwrap_or_else(|| Utc::now().date_naive());
    let from = q.from.unwrap_or_else(|| to - Days::new(29));
    if from > to || (to - from).num_days() > MAX_DAYS as i64 {
        return Err(ApiError::InvalidInput(format!(
            "from must not be after to, and the period at most {MAX_DAYS} days"
        )));
    }
    let start = from.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = (to + Days::new(1))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    let rows = state.store.settlement(partner.clone(), start, end).await?;
    Ok((partner, from, to, rows))
}

/// Redemptions per day, oldest first.
pub fn by_day(rows: &[SettlementRow]) -> Vec<RedemptionDay> {
    let mut days: BTreeMap<NaiveDate, RedemptionDay> = BTreeMap::new();
    for r in rows {
        let day = r.redeemed_at.date_naive();
        let e = days.entry(day).or_insert(RedemptionDay {
            day,
            vouchers: 0,
            points: 0,
        });
        e.vouchers += 1;
        e.points += i64::from(r.points);
    }
    days.into_values().collect()
}

/// Settlement CSV: one line per redeemed voucher in the period.
#[utoipa::path(get, path = "/v1/partner/settlement.csv", tag = "partner", params(PeriodQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn settlement_csv(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, ApiError> {
    let (partner, from, to, rows) = rows(&state, &session, &q).await?;
    let mut csv = String::from("voucher_id,redeemed_at,points,cashier_id\n");
    let mut total = 0i64;
    for r in &rows {
        total += i64::from(r.points);
        csv.push_str(&format!(
            "{},{},{},{}\n",
            r.voucher_id.0,
            r.redeemed_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            r.points,
            r.cashier.0
        ));
    }
    let name = format!("settlement-{}-{from}-{to}.csv", partner.0);
    tracing::debug!(vouchers = rows.len(), total, "settlement exported");
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

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The cabinet page: redemptions by day in the period, with a link to the CSV.
#[utoipa::path(get, path = "/partner", tag = "partner", params(PeriodQuery),
    responses((status = 200, content_type = "text/html", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<PeriodQuery>,
) -> Result<Html<String>, ApiError> {
    let (partner, from, to, rows) = rows(&state, &session, &q).await?;
    let days = by_day(&rows);
    let mut body = String::new();
    for d in &days {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            d.day, d.vouchers, d.points
        ));
    }
    let total: i64 = days.iter().map(|d| d.points).sum();
    let count: u32 = days.iter().map(|d| d.vouchers).sum();
    let p = escape(&partner.0);
    Ok(Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Partner {p}</title></head><body>\
         <h1>Redemptions of {p}</h1><p>{from} – {to}: {count} vouchers, {total} points</p>\
         <table><thead><tr><th>Day</th><th>Vouchers</th><th>Points</th></tr></thead><tbody>{body}</tbody></table>\
         <p><a href=\"/v1/partner/settlement.csv?partner_id={p}&amp;from={from}&amp;to={to}\">Settlement CSV</a></p>\
         </body></html>"
    )))
}
