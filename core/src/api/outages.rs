//! Outages and planned works on the wire: `POST /v1/outages`, `PUT /v1/outages/{id}`,
//! `POST /v1/outages/{id}/close`, `GET /v1/outages?bbox=…`, `POST /v1/admin/outages:import`, and
//! the repairs a company publishes per building.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    ids::{BuildingId, CompanyId},
    outages::{Outage, OutageKind},
    property::UtilityKind,
};

/// A new or changed outage. The area is either `building_ids` or `area` (a GeoJSON `Polygon`
/// geometry, WGS84 `[lon, lat]`), resolved by the server to the buildings inside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutageRequest {
    /// Utility that is off.
    pub utility: UtilityKind,
    /// Emergency or planned.
    pub kind: OutageKind,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// Expected end.
    #[serde(default)]
    pub expected_end_at: Option<DateTime<Utc>>,
    /// Buildings affected, when listed explicitly.
    #[serde(default)]
    pub building_ids: Vec<BuildingId>,
    /// The affected area as a GeoJSON Polygon geometry.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub area: Option<serde_json::Value>,
    /// Text for residents.
    #[serde(default)]
    pub description: String,
    /// The company posting it; staff of several companies must say which (admin may omit it).
    #[serde(default)]
    pub company_id: Option<CompanyId>,
}

/// Outages in a bounding box, most urgent first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutageListResponse {
    /// The outages.
    pub outages: Vec<Outage>,
}

/// One row of an outage feed that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportRowError {
    /// 1-based line (CSV, counting the header) or 1-based item (JSON array).
    pub line: usize,
    /// Why.
    pub message: String,
}

/// The result of `POST /v1/admin/outages:import`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutageImportResponse {
    /// Rows imported (created or updated).
    pub imported: usize,
    /// Rows refused, with their line.
    pub errors: Vec<ImportRowError>,
}

/// A repair a company publishes for a building: done or planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Repair {
    /// The building.
    pub building_id: BuildingId,
    /// What is (or was) repaired, e.g. "roof".
    pub title: String,
    /// Planned for / done on this day.
    pub date: chrono::NaiveDate,
    /// Done (true) or planned (false).
    pub done: bool,
}

/// `POST /v1/buildings/{id}/repairs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepairRequest {
    /// What is (or was) repaired.
    pub title: String,
    /// Planned for / done on this day.
    pub date: chrono::NaiveDate,
    /// Done (true) or planned (false).
    pub done: bool,
}

/// The repairs of one building.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepairListResponse {
    /// Newest first.
    pub repairs: Vec<Repair>,
}
