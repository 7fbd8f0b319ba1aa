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
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum OutageKind {
    /// Unplanned (a burst pipe).
    Emergency,
    /// Announced in advance (seasonal hot-water shutdown).
    Planned,
}

impl OutageKind {
    /// The stable wire/database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OutageKind::Emergency => "emergency",
            OutageKind::Planned => "planned",
        }
    }

    /// Parses the wire/database spelling.
    pub fn parse(s: &str) -> Option<Self> {
        [OutageKind::Emergency, OutageKind::Planned]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// An outage or planned work affecting a set of buildings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
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

/// What an outage means for a resident at a given moment, computed from the server's time fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum OutageState {
    /// Started and not ended: the utility is off now.
    AffectedNow,
    /// Announced, not started yet.
    Planned,
    /// Ended (closed by the operator, or past its expected end).
    Restored,
}

impl OutageState {
    /// The stable wire/database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OutageState::AffectedNow => "affected_now",
            OutageState::Planned => "planned",
            OutageState::Restored => "restored",
        }
    }

    /// Parses the wire/database spelling.
    pub fn parse(s: &str) -> Option<Self> {
        [
            OutageState::AffectedNow,
            OutageState::Planned,
            OutageState::Restored,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

impl Outage {
    /// The state at `now`. An outage with an expected end in the past and no explicit end counts
    /// as restored: operators often forget to close, and a resident must not see a stale alarm.
    pub fn state_at(&self, now: DateTime<Utc>) -> OutageState {
        if self.ended_at.is_some_and(|e| e <= now) || self.expected_end_at.is_some_and(|e| e <= now)
        {
            OutageState::Restored
        } else if self.starts_at > now {
            OutageState::Planned
        } else {
            OutageState::AffectedNow
        }
    }

    /// Whether it hits this building.
    pub fn hits(&self, building: &BuildingId) -> bool {
        self.building_ids.contains(building)
    }
}

/// Orders outages for display: those hitting `mine` first, then affected-now before planned
/// before restored, then by start.
pub fn sort_for_resident(outages: &mut [Outage], mine: &[BuildingId], now: DateTime<Utc>) {
    let rank = |s: OutageState| match s {
        OutageState::AffectedNow => 0,
        OutageState::Planned => 1,
        OutageState::Restored => 2,
    };
    outages.sort_by_key(|o| {
        (
            !o.building_ids.iter().any(|b| mine.contains(b)),
            rank(o.state_at(now)),
            o.starts_at,
            o.id,
        )
    });
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;

    fn outage(start_h: u32, end_h: Option<u32>, ended_h: Option<u32>, building: &str) -> Outage {
        let at = |h| {
            Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0)
                .single()
                .unwrap_or_default()
        };
        Outage {
            id: OutageId(Uuid::from_u128(u128::from(start_h))),
            utility: UtilityKind::HotWater,
            kind: OutageKind::Planned,
            starts_at: at(start_h),
            expected_end_at: end_h.map(at),
            ended_at: ended_h.map(at),
            building_ids: vec![BuildingId(building.into())],
            description: String::new(),
            updated_at: at(0),
        }
    }

    #[test]
    fn state_follows_the_server_time_fields() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(
            outage(14, Some(18), None, "a").state_at(now),
            OutageState::Planned
        );
        assert_eq!(
            outage(10, Some(18), None, "a").state_at(now),
            OutageState::AffectedNow
        );
        assert_eq!(
            outage(10, None, None, "a").state_at(now),
            OutageState::AffectedNow
        );
        assert_eq!(
            outage(10, Some(18), Some(11), "a").state_at(now),
            OutageState::Restored
        );
        assert_eq!(
            outage(8, Some(11), None, "a").state_at(now),
            OutageState::Restored
        );
    }

    #[test]
    fn my_buildings_come_first_then_current_before_planned() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
            .single()
            .unwrap_or_default();
        let mut list = vec![
            outage(9, None, None, "other"),
            outage(14, None, None, "mine"),
            outage(10, None, None, "mine"),
        ];
        sort_for_resident(&mut list, &[BuildingId("mine".into())], now);
        let starts: Vec<u32> = list
            .iter()
            .map(|o| chrono::Timelike::hour(&o.starts_at))
            .collect();
        assert_eq!(starts, vec![10, 14, 9]);
    }
}
