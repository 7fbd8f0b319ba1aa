//! Outages and planned works, and which buildings they hit.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    ids::{BuildingId, OutageId},
    property::UtilityKind,
};

/// Emergency or planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutageKind {
    /// Unplanned (a burst pipe).
    Emergency,
    /// Announced in advance (seasonal hot-water shutdown).
    Planned,
}

/// An outage or planned work affecting a set of buildings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outage {
    /// Stable id.
    pub id: OutageId,
    /// Utility that is off.
    pub utility: UtilityKind,
    /// Emergency or planned.
    pub kind: OutageKind,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// Expected end.
    pub expected_end_at: Option<DateTime<Utc>>,
    /// When it actually ended (restored).
    pub ended_at: Option<DateTime<Utc>>,
    /// Buildings affected.
    pub building_ids: Vec<BuildingId>,
    /// Text for residents.
    pub description: String,
    /// Last change (server clock).
    pub updated_at: DateTime<Utc>,
}
