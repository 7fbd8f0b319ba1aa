//! Pull of changes: `GET /v1/sync?since=<cursor>`.
//!
//! The answer carries what changed for this user since the cursor and a new cursor. Every list is
//! `#[serde(default)]` so capabilities (report statuses, outages, points) can add their own lists
//! later without breaking older clients or servers.

use serde::{Deserialize, Serialize};

use crate::{
    api::{
        readings::StoredReading,
        reports::{ReportEvent, ReportView},
    },
    outages::Outage,
    readings::Meter,
};

/// The answer to `GET /v1/sync?since=<cursor>` (no `since` on the first pull).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncResponse {
    /// Opaque position to send as `since` next time.
    pub cursor: String,
    /// Meters of the resident's apartments that were added or changed.
    #[serde(default)]
    pub meters: Vec<Meter>,
    /// Readings of those meters the server holds (the server-side history), from any device.
    #[serde(default)]
    pub readings: Vec<StoredReading>,
    /// The resident's reports whose status changed (current view, without history).
    #[serde(default)]
    pub reports: Vec<ReportView>,
    /// Resident-visible report events (status changes, answers), oldest first.
    #[serde(default)]
    pub report_events: Vec<ReportEvent>,
    /// The resident's points: balance, recent history, offers and voucher keys (absent from
    /// servers without points).
    #[serde(default)]
    pub points: Option<crate::api::points::PointsResponse>,
    /// Outages that hit the resident's buildings and changed since the cursor (started, changed or
    /// ended), most urgent first.
    #[serde(default)]
    pub outages: Vec<Outage>,
    /// More changes are waiting: pull again with the new cursor.
    #[serde(default)]
    pub has_more: bool,
    /// Outages that no longer hit any of the resident's buildings (the operator narrowed the
    /// area) since the cursor: the phone drops them.
    #[serde(default)]
    pub outages_withdrawn: Vec<crate::ids::OutageId>,
}
