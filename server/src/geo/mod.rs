//! Geolocation: which building is at a point and who manages it, from stored footprints.
//!
//! Routes (all public: footprints and managers are public facts, and the app runs the same lookup
//! offline from the pack anyway):
//! - `GET /v1/geo/lookup?lat=…&lon=…&accuracy=…[&region=…]`  inside / near / nothing
//! - `GET /v1/geo/pack?region=…`                             the region's offline pack (ETag, 304)
//! - `GET /v1/geo/regions`                                   regions with footprints
//!
//! The server keeps one [`BuildingIndex`] per region, built from the store at start-up
//! ([`GeoState::load_all`]) and rebuilt after an import in this process ([`GeoState::rebuild`]),
//! together with the region's pack bytes and ETag, so a pack request is a memory copy. Imports run
//! by the `connect-server import` command in another process are picked up at the next start.

pub mod import;

use std::{
    collections::BTreeMap,
    sync::{Arc, RwLock},
};

use axum::{
    Router,
    body::Body,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use connect_core::{
    api::{
        ErrorBody,
        geo::{
            GeoBuilding, GeoCandidate, GeoCompany, GeoLookupResponse, GeoRegion, GeoRegionsResponse,
        },
    },
    geo::{BuildingIndex, BuildingMatch, IndexError, Lookup, PackMeta, lookup_any, pack_etag},
    ids::{CompanyId, RegionId},
};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::Deserialize;
use utoipa::OpenApi;

use crate::{
    AppState,
    error::{ApiError, Json},
    store::{FootprintRow, Store, StoreError},
};

/// Largest accepted `accuracy` in metres: beyond this a position says nothing about a building.
pub const MAX_ACCURACY_M: f64 = 5_000.0;

/// Why a region's index could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    /// Reading footprints failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A stored footprint is not a MultiPolygon coordinates array.
    #[error("building {0}: stored footprint unreadable: {1}")]
    DecodeFootprint(String, String),
    /// The footprints do not make an index.
    #[error("building the index: {0}")]
    BuildIndex(#[from] IndexError),
    /// The index build task failed.
    #[error("index task: {0}")]
    Task(String),
}

/// One region's index with its pack, ready to serve.
#[derive(Debug)]
pub struct RegionIndex {
    /// The lookup index.
    pub index: BuildingIndex,
    /// The offline pack of the index.
    pub pack: Arc<[u8]>,
    /// Strong ETag of the pack (quoted).
    pub etag: String,
}

/// The per-region indexes the server answers from; swapped whole on rebuild, so readers never
/// wait on a build.
#[derive(Debug, Default)]
pub struct GeoState {
    regions: RwLock<Arc<BTreeMap<RegionId, Arc<RegionIndex>>>>,
}

/// Encodes a footprint as the GeoJSON MultiPolygon `coordinates` array (rings closed).
pub fn encode_footprint(mp: &MultiPolygon<f64>) -> String {
    let rings = |p: &Polygon<f64>| -> Vec<Vec<[f64; 2]>> {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
            .collect()
    };
    let coords: Vec<Vec<Vec<[f64; 2]>>> = mp.0.iter().map(rings).collect();
    serde_json::to_string(&coords).unwrap_or_else(|_| "[]".into())
}

/// Decodes [`encode_footprint`]'s text.
pub fn decode_footprint(text: &str) -> Result<MultiPolygon<f64>, String> {
    let coords: Vec<Vec<Vec<[f64; 2]>>> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let ring = |r: Vec<[f64; 2]>| LineString(r.into_iter().map(|[x, y]| Coord { x, y }).collect());
    let polys = coords
        .into_iter()
        .map(|mut rings| {
            if rings.is_empty() {
                return Err("polygon without rings".to_owned());
            }
            let exterior = ring(rings.remove(0));
            Ok(Polygon::new(
                exterior,
                rings.into_iter().map(ring).collect(),
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MultiPolygon(polys))
}

/// The pack's data version for a region last changed at `updated_ms`.
fn data_version(updated_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(updated_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Builds a region's index and pack from its stored footprints (CPU work; call off the runtime).
pub fn build_region(
    region: RegionId,
    updated_ms: i64,
    rows: Vec<FootprintRow>,
) -> Result<RegionIndex, GeoError> {
    let buildings = rows
        .into_iter()
        .map(|r| {
            let footprint = decode_footprint(&r.footprint)
                .map_err(|e| GeoError::DecodeFootprint(r.building_id.0.clone(), e))?;
            Ok(connect_core::geo::Building {
                id: r.building_id,
                address: r.address,
                company: r.company,
                area_m2: r.area_m2,
                footprint,
            })
        })
        .collect::<Result<Vec<_>, GeoError>>()?;
    let meta = PackMeta {
        region,
        data_version: data_version(updated_ms),
    };
    let index = BuildingIndex::new(meta, buildings)?;
    let pack: Arc<[u8]> = index.to_pack().into();
    let etag = pack_etag(&pack);
    Ok(RegionIndex { index, pack, etag })
}

impl GeoState {
    /// No regions yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every region's index, by region id.
    pub fn regions(&self) -> Arc<BTreeMap<RegionId, Arc<RegionIndex>>> {
        match self.regions.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// One region's index.
    pub fn region(&self, id: &RegionId) -> Option<Arc<RegionIndex>> {
        self.regions().get(id).cloned()
    }

    fn put(&self, id: RegionId, built: Option<RegionIndex>) {
        let mut guard = match self.regions.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let mut next = BTreeMap::clone(&guard);
        match built {
            Some(b) => next.insert(id, Arc::new(b)),
            None => next.remove(&id),
        };
        *guard = Arc::new(next);
    }

    /// Builds every region with footprints (start-up).
    pub async fn load_all(&self, store: &dyn Store) -> Result<(), GeoError> {
        for r in store.geo_regions().await? {
            self.rebuild(store, &r.region).await?;
        }
        Ok(())
    }

    /// Rebuilds one region from the store (after an import) and swaps it in.
    pub async fn rebuild(&self, store: &dyn Store, region: &RegionId) -> Result<(), GeoError> {
        let summary = store
            .geo_regions()
            .await?
            .into_iter()
            .find(|r| &r.region == region);
        let Some(summary) = summary else {
            self.put(region.clone(), None);
            return Ok(());
        };
        let rows = store.footprints(region.clone()).await?;
        let id = region.clone();
        let built = tokio::task::spawn_blocking(move || build_region(id, summary.updated_ms, rows))
            .await
            .map_err(|e| GeoError::Task(e.to_string()))??;
        tracing::info!(
            region = %region.0,
            buildings = built.index.len(),
            pack_bytes = built.pack.len(),
            "geo index built"
        );
        self.put(region.clone(), Some(built));
        Ok(())
    }
}

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/geo/lookup", get(lookup))
        .route("/v1/geo/pack", get(pack))
        .route("/v1/geo/regions", get(regions))
}

/// This module's part of `/openapi.json`.
#[derive(OpenApi)]
#[openapi(paths(lookup, pack, regions))]
pub struct Api;

/// Query of `GET /v1/geo/lookup`; parsed by hand so a bad number is a 400 `invalid_input`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// Latitude, WGS84 degrees.
    #[param(value_type = f64)]
    lat: Option<String>,
    /// Longitude, WGS84 degrees.
    #[param(value_type = f64)]
    lon: Option<String>,
    /// Horizontal accuracy of the position in metres (default 0; near radius is at least 30 m).
    #[param(value_type = Option<f64>)]
    accuracy: Option<String>,
    /// Only this region (default: every region).
    #[param(value_type = Option<String>)]
    region: Option<String>,
}

fn number(name: &str, v: Option<&str>, lo: f64, hi: f64) -> Result<f64, ApiError> {
    let v = v.ok_or_else(|| ApiError::InvalidQuery(format!("{name} is required")))?;
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && (lo..=hi).contains(&x) => Ok(x),
        _ => Err(ApiError::InvalidQuery(format!(
            "{name} must be a number from {lo} to {hi}"
        ))),
    }
}

/// The lookup answer across the given regions: the first region with the point inside wins;
/// otherwise near candidates of every region, nearest first, ties by id.
pub fn lookup_in(regions: &[Arc<RegionIndex>], lat: f64, lon: f64, accuracy_m: f64) -> Lookup {
    lookup_any(regions.iter().map(|r| &r.index), lat, lon, accuracy_m)
}

async fn wire_building(state: &AppState, b: BuildingMatch) -> Result<GeoBuilding, ApiError> {
    let company = match b.company {
        Some(id) => Some(company(state, id).await?),
        None => None,
    };
    Ok(GeoBuilding {
        id: b.building_id,
        address: b.address,
        company,
    })
}

async fn company(state: &AppState, id: CompanyId) -> Result<GeoCompany, ApiError> {
    let name = state.store.company(id.clone()).await?.map(|c| c.name);
    Ok(GeoCompany { id, name })
}

/// Which building is at a point: `inside` (with its managing company), else `near` candidates
/// within max(accuracy, 30 m), else `nothing`. Public.
#[utoipa::path(get, path = "/v1/geo/lookup", tag = "geo", params(LookupQuery),
    responses((status = 200, body = GeoLookupResponse), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "unknown region")))]
async fn lookup(
    State(state): State<AppState>,
    Query(q): Query<LookupQuery>,
) -> Result<Json<GeoLookupResponse>, ApiError> {
    let lat = number("lat", q.lat.as_deref(), -90.0, 90.0)?;
    let lon = number("lon", q.lon.as_deref(), -180.0, 180.0)?;
    let accuracy = match q.accuracy.as_deref() {
        Some(a) => number("accuracy", Some(a), 0.0, MAX_ACCURACY_M)?,
        None => 0.0,
    };
    let all = state.geo.regions();
    let regions: Vec<Arc<RegionIndex>> = match &q.region {
        Some(r) => vec![
            all.get(&RegionId(r.clone()))
                .cloned()
                .ok_or(ApiError::NotFound)?,
        ],
        None => all.values().cloned().collect(),
    };
    let answer = match lookup_in(&regions, lat, lon, accuracy) {
        Lookup::Inside(b) => GeoLookupResponse::Inside {
            building: wire_building(&state, b).await?,
        },
        Lookup::Near(cands) => {
            let mut candidates = Vec::with_capacity(cands.len());
            for c in cands {
                candidates.push(GeoCandidate {
                    building: wire_building(&state, c.building).await?,
                    distance_m: c.distance_m,
                });
            }
            GeoLookupResponse::Near { candidates }
        }
        Lookup::Nothing => GeoLookupResponse::Nothing,
    };
    Ok(Json(answer))
}

/// Query of `GET /v1/geo/pack`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PackQuery {
    /// Region id, as listed by `/v1/geo/regions`.
    region: Option<String>,
}

/// True when an `If-None-Match` header names this ETag (or `*`); weak validators compare weakly.
fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// A region's offline pack (binary, `application/octet-stream`) with a strong ETag; `304` when
/// `If-None-Match` names the current ETag. Public.
#[utoipa::path(get, path = "/v1/geo/pack", tag = "geo", params(PackQuery),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>,
            headers(("ETag" = String, description = "strong validator of the pack"))),
        (status = 304, description = "the pack named by If-None-Match is current"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn pack(
    State(state): State<AppState>,
    Query(q): Query<PackQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let region = q
        .region
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::InvalidQuery("region is required".into()))?;
    let r = state
        .geo
        .region(&RegionId(region))
        .ok_or(ApiError::NotFound)?;
    let etag = HeaderValue::from_str(&r.etag).map_err(|e| ApiError::Internal(e.to_string()))?;
    let cache = HeaderValue::from_static("no-cache");
    if etag_matches(&headers, &r.etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok((
        StatusCode::OK,
        [
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
        ],
        Body::from(r.pack.to_vec()),
    )
        .into_response())
}

/// Regions with footprints, with their pack ETag and size. Public.
#[utoipa::path(get, path = "/v1/geo/regions", tag = "geo",
    responses((status = 200, body = GeoRegionsResponse)))]
async fn regions(State(state): State<AppState>) -> Json<GeoRegionsResponse> {
    let regions = state
        .geo
        .regions()
        .iter()
        .map(|(id, r)| GeoRegion {
            id: id.clone(),
            buildings: r.index.len() as u64,
            pack_etag: r.etag.clone(),
            pack_bytes: r.pack.len() as u64,
        })
        .collect();
    Json(GeoRegionsResponse { regions })
}
