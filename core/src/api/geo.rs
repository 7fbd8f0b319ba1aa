//! Geolocation: `GET /v1/geo/lookup`, `GET /v1/geo/regions` (`GET /v1/geo/pack` is binary, the
//! format of [`crate::geo::BuildingIndex::to_pack`]).

use serde::{Deserialize, Serialize};

use crate::ids::{BuildingId, CompanyId, RegionId};

/// A managing company named in a lookup answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeoCompany {
    /// Company id.
    pub id: CompanyId,
    /// Company name, when the server knows the company.
    pub name: Option<String>,
}

/// A building in a lookup answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeoBuilding {
    /// Building id.
    pub id: BuildingId,
    /// Postal address, when known.
    pub address: Option<String>,
    /// Managing company, when known.
    pub company: Option<GeoCompany>,
}

/// A building near the point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeoCandidate {
    /// The building.
    pub building: GeoBuilding,
    /// Metres from the point to the footprint's outline.
    pub distance_m: f64,
}

/// `GET /v1/geo/lookup`: which building is at the point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum GeoLookupResponse {
    /// The point is inside this building's footprint.
    Inside {
        /// The building.
        building: GeoBuilding,
    },
    /// The point is in no footprint; these are within max(accuracy, 30 m), nearest first.
    Near {
        /// Candidates, nearest first (ties by id).
        candidates: Vec<GeoCandidate>,
    },
    /// Nothing inside or near.
    Nothing,
}

/// One region with footprints on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeoRegion {
    /// Region id (the `region` parameter of `/v1/geo/pack`).
    pub id: RegionId,
    /// Buildings in the region.
    pub buildings: u64,
    /// Strong ETag of the region's pack, quoted, exactly as the `ETag` header sends it.
    pub pack_etag: String,
    /// Pack size in bytes.
    pub pack_bytes: u64,
}

/// `GET /v1/geo/regions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeoRegionsResponse {
    /// Regions, by id.
    pub regions: Vec<GeoRegion>,
}
