//! Wire types of the authority's dashboard: reports per company by status, overdue per
//! company, the share answered on time, and the trend by month, for one region.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CompanyId, RegionId};

/// Report counts by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusCounts {
    /// new
    pub new: u32,
    /// accepted
    pub accepted: u32,
    /// in_progress
    pub in_progress: u32,
    /// resolved
    pub resolved: u32,
    /// rejected
    pub rejected: u32,
    /// rated
    pub rated: u32,
    /// reopened
    pub reopened: u32,
}

/// One company's line of the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompanyDashboard {
    /// The company (`None`: buildings no company manages).
    pub company_id: Option<CompanyId>,
    /// Its name.
    pub name: String,
    /// All its reports.
    pub total: u32,
    /// By status now.
    pub by_status: StatusCounts,
    /// Open past their deadline now.
    pub overdue: u32,
    /// Reports the deadline decided (answered, or open past the deadline).
    pub decided: u32,
    /// Of those, answered by the deadline.
    pub answered_on_time: u32,
    /// `answered_on_time / decided`.
    pub on_time_share: Option<f64>,
}

/// One month of the trend (by filing month, UTC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthTrend {
    /// `YYYY-MM`.
    pub month: String,
    /// Reports filed that month.
    pub filed: u32,
    /// Of those, answered so far.
    pub answered: u32,
    /// Of those, answered by their deadline.
    pub answered_on_time: u32,
    /// Of those, open past their deadline now.
    pub overdue: u32,
}

/// `GET /v1/authority/dashboard`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DashboardResponse {
    /// The region.
    pub region_id: RegionId,
    /// Computed at (server clock).
    pub generated_at: DateTime<Utc>,
    /// Per company, most overdue first.
    pub companies: Vec<CompanyDashboard>,
    /// The whole region by month, oldest first.
    pub months: Vec<MonthTrend>,
}
