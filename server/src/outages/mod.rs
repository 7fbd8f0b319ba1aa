//! Outages and planned works: operators post them, residents of the buildings they hit learn of
//! them through sync, and anyone can see them on the public map.
//!
//! Routes:
//! - `POST /v1/outages`                 create (company staff for their buildings; admin = dispatcher)
//! - `PUT  /v1/outages/{id}`            change (the owning company's staff, or admin)
//! - `POST /v1/outages/{id}/close`      mark restored now (same)
//! - `GET  /v1/outages/{id}`            one outage (public)
//! - `GET  /v1/outages?bbox=w,s,e,n`    outages hitting buildings in the box (public)
//! - `GET  /v1/outages.geojson?bbox=`   the same as a GeoJSON FeatureCollection (map page)
//! - `GET  /v1/buildings.geojson?bbox=` buildings as GeoJSON points (map page)
//! - `POST /v1/admin/outages:import`    a utility's CSV/JSON feed (admin); bad rows reported
//! - `GET  /v1/buildings/{id}/repairs`  repairs done and planned (public)
//! - `POST /v1/buildings/{id}/repairs`  publish a repair (the building's company staff, or admin)
//! - `GET  /map`, `/map/*`              the public map page and its assets ([`map`])
//!
//! There is no dispatcher role yet: a utility's dispatcher is an admin of the installation.
//! [`sync_outages`] is what `GET /v1/sync` adds for a resident.

pub mod area;
pub mod feed;
pub mod map;

use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, post},
};
use chrono::{DateTime, Duration, Utc};
use connect_core::{
    api::{
        ErrorBody,
        outages::{
            OutageImportResponse, OutageListResponse, OutageRequest, Repair, RepairListResponse,
            RepairRequest,
        },
    },
    auth::Role,
    ids::{BuildingId, CompanyId, OutageId, UserId},
    outages::{Outage, sort_for_resident},
};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::OpenApi;
use uuid::Uuid;

use crate::{
    AppState,
    auth::Session,
    error::{ApiError, Json},
    store::{BBox, OutageRecord},
};

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/outages", post(create).get(list))
        .route("/v1/outages/{id}", get(one).put(update))
        .route("/v1/outages/{id}/close", post(close))
        .route("/v1/outages.geojson", get(outages_geojson))
        .route("/v1/buildings.geojson", get(buildings_geojson))
        .route("/v1/admin/outages:import", post(import))
        .route("/v1/buildings/{id}/repairs", get(repairs).post(add_repair))
        .merge(map::router())
}

/// This module's part of `/openapi.json`.
#[derive(OpenApi)]
#[openapi(paths(
    create,
    update,
    close,
    one,
    list,
    outages_geojson,
    buildings_geojson,
    import,
    repairs,
    add_repair
))]
pub struct Api;

/// `?bbox=west,south,east,north`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct BBoxQuery {
    /// `west,south,east,north` in degrees (WGS84).
    pub bbox: Option<String>,
}

impl BBoxQuery {
    fn parse(&self) -> Result<Option<BBox>, ApiError> {
        let Some(s) = &self.bbox else { return Ok(None) };
        let bad = || ApiError::InvalidInput("bbox must be west,south,east,north in degrees".into());
        let v: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        let [west, south, east, north] = v[..] else {
            return Err(bad());
        };
        if !(west <= east && south <= north && v.iter().all(|x| x.is_finite())) {
            return Err(bad());
        }
        Ok(Some(BBox {
            west,
            south,
            east,
            north,
        }))
    }
}

/// A change stamp later than the previous one, so a sync cursor never skips a change.
fn next_stamp(previous: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let now = DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap_or_default();
    match previous {
        Some(p) if p >= now => p + Duration::milliseconds(1),
        _ => now,
    }
}

/// Which company acts, for a caller creating an outage (None = admin acting as dispatcher).
fn acting_company(
    session: &Session,
    asked: Option<CompanyId>,
) -> Result<Option<CompanyId>, ApiError> {
    if session.has(Role::Admin) {
        return Ok(asked);
    }
    let scopes: Vec<&str> = session.scopes(Role::CompanyStaff).collect();
    match (asked, scopes.as_slice()) {
        (Some(c), _) if scopes.contains(&c.0.as_str()) => Ok(Some(c)),
        (None, [only]) => Ok(Some(CompanyId((*only).to_owned()))),
        (None, [_, _, ..]) => Err(ApiError::InvalidInput(
            "you work for several companies: say which one in company_id".into(),
        )),
        _ => Err(ApiError::Forbidden),
    }
}

/// The buildings a request hits, limited to `company`'s buildings when a company acts.
async fn resolve_buildings(
    state: &AppState,
    req: &OutageRequest,
    company: Option<&CompanyId>,
) -> Result<Vec<BuildingId>, ApiError> {
    let mut ids: Vec<BuildingId> = Vec::new();
    if let Some(a) = &req.area {
        let area = area::parse(a).map_err(|e| ApiError::InvalidInput(e.to_string()))?;
        let regions = state.geo.regions();
        let indexes = || regions.values().map(|r| &r.index);
        let by_footprint = area::footprint_hits(indexes(), &area);
        let candidates = state.store.buildings_in(area::bbox(&area)).await?;
        let (with_footprint, by_point): (Vec<_>, Vec<_>) = candidates
            .into_iter()
            .partition(|b| area::has_footprint(indexes(), &b.id));
        let mut hit = area::inside(&area, by_point);
        // Footprints hit whose building's point lies outside the box are read one by one; ids
        // that are no building of ours (a shed nobody registered) have no residents to tell.
        for id in by_footprint {
            match with_footprint.iter().find(|b| b.id == id) {
                Some(b) => hit.push(b.clone()),
                None => hit.extend(state.store.building(id).await?),
            }
        }
        ids.extend(
            hit.into_iter()
                .filter(|b| company.is_none() || b.company_id.as_ref() == company)
                .map(|b| b.id),
        );
    }
    for id in &req.building_ids {
        let b = state
            .store
            .building(id.clone())
            .await?
            .ok_or_else(|| ApiError::InvalidInput(format!("unknown building {}", id.0)))?;
        if company.is_some() && b.company_id.as_ref() != company {
            return Err(ApiError::Forbidden);
        }
        ids.push(b.id);
    }
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Err(ApiError::InvalidInput("the outage hits no building".into()));
    }
    Ok(ids)
}

fn check_times(req: &OutageRequest) -> Result<(), ApiError> {
    if req.expected_end_at.is_some_and(|e| e < req.starts_at) {
        return Err(ApiError::InvalidInput(
            "expected_end_at is before starts_at".into(),
        ));
    }
    Ok(())
}

/// The outage if the caller may change it; 404 for other tenants, as for a missing id.
async fn editable(state: &AppState, session: &Session, id: Uuid) -> Result<OutageRecord, ApiError> {
    let record = state
        .store
        .outage(OutageId(id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let allowed = session.has(Role::Admin) || session.is_staff_of(record.company_id.as_ref());
    if !allowed {
        return Err(if session.has(Role::CompanyStaff) {
            ApiError::NotFound
        } else {
            ApiError::Forbidden
        });
    }
    Ok(record)
}

/// Creates an outage.
#[utoipa::path(post, path = "/v1/outages", tag = "outages", request_body = OutageRequest,
    responses((status = 201, body = Outage), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<OutageRequest>,
) -> Result<(StatusCode, Json<Outage>), ApiError> {
    let company = acting_company(&session, req.company_id.clone())?;
    check_times(&req)?;
    let building_ids = resolve_buildings(&state, &req, company.as_ref()).await?;
    let outage = Outage {
        id: OutageId(Uuid::now_v7()),
        utility: req.utility,
        kind: req.kind,
        starts_at: req.starts_at,
        expected_end_at: req.expected_end_at,
        ended_at: None,
        building_ids,
        description: req.description,
        updated_at: next_stamp(None),
    };
    state
        .store
        .put_outage(OutageRecord {
            outage: outage.clone(),
            company_id: company,
        })
        .await
        .map_err(ApiError::from_write)?;
    tracing::info!(outage = %outage.id.0, buildings = outage.building_ids.len(), "outage created");
    Ok((StatusCode::CREATED, Json(outage)))
}

/// Changes an outage (times, area, text). Its residents see the change at their next sync.
#[utoipa::path(put, path = "/v1/outages/{id}", tag = "outages", request_body = OutageRequest,
    params(("id" = Uuid, Path, description = "outage id")),
    responses((status = 200, body = Outage), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn update(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
    Json(req): Json<OutageRequest>,
) -> Result<Json<Outage>, ApiError> {
    let record = editable(&state, &session, id).await?;
    check_times(&req)?;
    let building_ids = resolve_buildings(&state, &req, record.company_id.as_ref()).await?;
    let outage = Outage {
        utility: req.utility,
        kind: req.kind,
        starts_at: req.starts_at,
        expected_end_at: req.expected_end_at,
        building_ids,
        description: req.description,
        updated_at: next_stamp(Some(record.outage.updated_at)),
        ..record.outage
    };
    state
        .store
        .put_outage(OutageRecord {
            outage: outage.clone(),
            company_id: record.company_id,
        })
        .await
        .map_err(ApiError::from_write)?;
    Ok(Json(outage))
}

/// Marks an outage restored now.
#[utoipa::path(post, path = "/v1/outages/{id}/close", tag = "outages",
    params(("id" = Uuid, Path, description = "outage id")),
    responses((status = 200, body = Outage), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn close(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
) -> Result<Json<Outage>, ApiError> {
    let record = editable(&state, &session, id).await?;
    let stamp = next_stamp(Some(record.outage.updated_at));
    let outage = Outage {
        ended_at: Some(record.outage.ended_at.unwrap_or(stamp)),
        updated_at: stamp,
        ..record.outage
    };
    state
        .store
        .put_outage(OutageRecord {
            outage: outage.clone(),
            company_id: record.company_id,
        })
        .await?;
    Ok(Json(outage))
}

/// One outage (public: outages are announced to everyone).
#[utoipa::path(get, path = "/v1/outages/{id}", tag = "outages",
    params(("id" = Uuid, Path, description = "outage id")),
    responses((status = 200, body = Outage), (status = 404, body = ErrorBody)))]
async fn one(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> Result<Json<Outage>, ApiError> {
    let record = state
        .store
        .outage(OutageId(id))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(record.outage))
}

/// Outages hitting buildings in the box, current before planned before restored.
#[utoipa::path(get, path = "/v1/outages", tag = "outages", params(BBoxQuery),
    responses((status = 200, body = OutageListResponse), (status = 422, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Query(q): Query<BBoxQuery>,
) -> Result<Json<OutageListResponse>, ApiError> {
    let mut outages = state.store.outages_in(q.parse()?).await?;
    sort_for_resident(&mut outages, &[], Utc::now());
    Ok(Json(OutageListResponse { outages }))
}

/// Outages as GeoJSON: one feature per outage, a MultiPoint of the buildings it hits.
#[utoipa::path(get, path = "/v1/outages.geojson", tag = "outages", params(BBoxQuery),
    responses((status = 200, description = "GeoJSON FeatureCollection")))]
async fn outages_geojson(
    State(state): State<AppState>,
    Query(q): Query<BBoxQuery>,
) -> Result<Json<Value>, ApiError> {
    let bbox = q.parse()?;
    let mut outages = state.store.outages_in(bbox).await?;
    let now = Utc::now();
    sort_for_resident(&mut outages, &[], now);
    let buildings = state.store.buildings_in(None).await?;
    let point = |id: &BuildingId| {
        buildings
            .binary_search_by(|b| b.id.cmp(id))
            .ok()
            .map(|i| json!([buildings[i].lon, buildings[i].lat]))
    };
    let features: Vec<Value> = outages
        .iter()
        .map(|o| {
            json!({
                "type": "Feature",
                "id": o.id,
                "geometry": {"type": "MultiPoint",
                    "coordinates": o.building_ids.iter().filter_map(point).collect::<Vec<_>>()},
                "properties": {
                    "utility": o.utility, "kind": o.kind, "state": o.state_at(now),
                    "starts_at": o.starts_at, "expected_end_at": o.expected_end_at,
                    "ended_at": o.ended_at, "description": o.description,
                    "building_ids": o.building_ids,
                },
            })
        })
        .collect();
    Ok(Json(
        json!({"type": "FeatureCollection", "features": features}),
    ))
}

/// Buildings as GeoJSON points.
#[utoipa::path(get, path = "/v1/buildings.geojson", tag = "outages", params(BBoxQuery),
    responses((status = 200, description = "GeoJSON FeatureCollection")))]
async fn buildings_geojson(
    State(state): State<AppState>,
    Query(q): Query<BBoxQuery>,
) -> Result<Json<Value>, ApiError> {
    let buildings = state.store.buildings_in(q.parse()?).await?;
    let features: Vec<Value> = buildings
        .iter()
        .map(|b| {
            json!({
                "type": "Feature",
                "id": b.id,
                "geometry": {"type": "Point", "coordinates": [b.lon, b.lat]},
                "properties": {"address": b.address, "company_id": b.company_id},
            })
        })
        .collect();
    Ok(Json(
        json!({"type": "FeatureCollection", "features": features}),
    ))
}

/// Imports a utility's feed (CSV or JSON body); bad rows are reported with their line, the rest
/// imported. Re-publishing a row with the same `id` updates that outage.
#[utoipa::path(post, path = "/v1/admin/outages:import", tag = "admin",
    request_body(content = String, description = "CSV or JSON feed"),
    responses((status = 200, body = OutageImportResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn import(
    State(state): State<AppState>,
    session: Session,
    body: String,
) -> Result<Json<OutageImportResponse>, ApiError> {
    session.require(Role::Admin)?;
    let (rows, mut errors) =
        feed::read(&body).map_err(|e| ApiError::InvalidInput(e.to_string()))?;
    let mut imported = 0;
    for row in rows {
        let mut unknown = None;
        for b in &row.building_ids {
            if state.store.building(b.clone()).await?.is_none() {
                unknown = Some(b.0.clone());
                break;
            }
        }
        if let Some(b) = unknown {
            errors.push(connect_core::api::outages::ImportRowError {
                line: row.line,
                message: format!("unknown building {b}"),
            });
            continue;
        }
        let previous = state.store.outage(row.id).await?;
        let outage = Outage {
            id: row.id,
            utility: row.utility,
            kind: row.kind,
            starts_at: row.starts_at,
            expected_end_at: row.expected_end_at,
            ended_at: previous.as_ref().and_then(|p| p.outage.ended_at),
            building_ids: row.building_ids,
            description: row.description,
            updated_at: next_stamp(previous.as_ref().map(|p| p.outage.updated_at)),
        };
        let company_id = previous.and_then(|p| p.company_id);
        state
            .store
            .put_outage(OutageRecord { outage, company_id })
            .await
            .map_err(ApiError::from_write)?;
        imported += 1;
    }
    errors.sort_by_key(|e| e.line);
    Ok(Json(OutageImportResponse { imported, errors }))
}

/// Repairs done and planned for a building (public).
#[utoipa::path(get, path = "/v1/buildings/{id}/repairs", tag = "outages",
    params(("id" = String, Path, description = "building id")),
    responses((status = 200, body = RepairListResponse), (status = 404, body = ErrorBody)))]
async fn repairs(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RepairListResponse>, ApiError> {
    let id = BuildingId(id);
    state
        .store
        .building(id.clone())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(RepairListResponse {
        repairs: state.store.repairs(id).await?,
    }))
}

/// Publishes a repair of a building: staff of its managing company, or admin.
#[utoipa::path(post, path = "/v1/buildings/{id}/repairs", tag = "outages",
    params(("id" = String, Path, description = "building id")), request_body = RepairRequest,
    responses((status = 201, body = Repair), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn add_repair(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Json(req): Json<RepairRequest>,
) -> Result<(StatusCode, Json<Repair>), ApiError> {
    let building = state
        .store
        .building(BuildingId(id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let allowed = session.has(Role::Admin) || session.is_staff_of(building.company_id.as_ref());
    if !allowed {
        return Err(ApiError::Forbidden);
    }
    if req.title.trim().is_empty() {
        return Err(ApiError::InvalidInput("a repair needs a title".into()));
    }
    let repair = Repair {
        building_id: building.id,
        title: req.title.trim().to_owned(),
        date: req.date,
        done: req.done,
    };
    state
        .store
        .add_repair(repair.clone())
        .await
        .map_err(ApiError::from_write)?;
    Ok((StatusCode::CREATED, Json(repair)))
}

/// How far behind now a sync cursor stays (milliseconds).
const SYNC_SETTLE_MS: i64 = 2_000;

/// What `GET /v1/sync` adds for a resident.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutageSync {
    /// Outages hitting their buildings changed since the cursor (started, changed or ended),
    /// theirs first.
    pub outages: Vec<Outage>,
    /// Outages that stopped hitting any of their buildings since the cursor.
    pub withdrawn: Vec<OutageId>,
    /// The new high-water mark (unix millis).
    pub high_ms: i64,
}

/// The outage part of a resident's pull since `since_ms`.
pub async fn sync_outages(
    state: &AppState,
    user: UserId,
    since_ms: i64,
) -> Result<OutageSync, ApiError> {
    let mine = state.store.resident_buildings(user).await?;
    if mine.is_empty() {
        return Ok(OutageSync {
            high_ms: since_ms,
            ..OutageSync::default()
        });
    }
    let mut outages = state
        .store
        .outages_for_buildings(mine.clone(), since_ms)
        .await?;
    // A removal is stamped with the change that made it, so an outage that still hits another of
    // the resident's buildings is in `outages` (changed after the cursor) and is not withdrawn.
    let removals = state.store.outage_removals(mine.clone(), since_ms).await?;
    let withdrawn: Vec<OutageId> = removals
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !outages.iter().any(|o| o.id == *id))
        .collect();
    // A change stamped in the same millisecond as the pull but committed just after it would sit
    // behind a cursor at `max(updated_at)`; holding the cursor a little behind now re-sends a few
    // recent outages instead, which the app ignores when their stamp is unchanged.
    let settled = Utc::now().timestamp_millis() - SYNC_SETTLE_MS;
    let high_ms = outages
        .iter()
        .map(|o| o.updated_at.timestamp_millis())
        .chain(removals.iter().map(|(_, at)| *at))
        .max()
        .unwrap_or(since_ms)
        .min(settled)
        .max(since_ms);
    sort_for_resident(&mut outages, &mine, Utc::now());
    Ok(OutageSync {
        outages,
        withdrawn,
        high_ms,
    })
}
