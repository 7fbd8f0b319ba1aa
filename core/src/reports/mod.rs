//! Problem reports: a resident tells the managing company about a leak, a broken lift, a dark
//! stairwell. Filed content is immutable once the server accepts it; later words are comments.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{BuildingId, CompanyId, ReportId};

/// Where a report is in its lifecycle:
/// new → accepted → in progress → resolved | rejected → rated (or reopened).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Filed by the resident, not yet looked at by the company.
    New,
    /// The company took it.
    Accepted,
    /// Someone is working on it.
    InProgress,
    /// The company says it is fixed.
    Resolved,
    /// The company refused it, with a reason.
    Rejected,
    /// The resident rated the result.
    Rated,
    /// The resident says the problem is back.
    Reopened,
}

/// A problem report as filed by a resident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProblemReport {
    /// Client-generated UUIDv7: one id end to end.
    pub id: ReportId,
    /// Public number given by the server once filed, e.g. `2026-000123`.
    pub number: Option<String>,
    /// The building it is about.
    pub building_id: BuildingId,
    /// The company responsible (resolved by the server from the building).
    pub company_id: Option<CompanyId>,
    /// Category code from the list the server publishes.
    pub category: String,
    /// What the resident wrote.
    pub text: String,
    /// Where in the building ("entrance 2, 5th floor").
    pub place: String,
    /// Current status.
    pub status: ReportStatus,
    /// When the server accepted it (server clock).
    pub filed_at: Option<DateTime<Utc>>,
    /// When an answer is due (server clock).
    pub due_at: Option<DateTime<Utc>>,
    /// SHA-256 (hex) of the filed content, returned by the server.
    pub content_sha256: Option<String>,
}
